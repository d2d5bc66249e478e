#!/usr/bin/env bash
# Every command given bad arguments exits 2, says how to call it, and
# changes nothing (the state directory is not even created).
# Usage: test_cli_usage.sh BREAKGLASS
set -u
bin=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/bg-usage.XXXXXX")
trap 'rm -rf "$work"' EXIT
out=$work/out err=$work/err rc=0
. "$(dirname "$0")/lib.sh"

run() { "$bin" --state "$work/state" "$@" >"$out" 2>"$err"; rc=$?; }
says() { grep -qF -- "$1" "$err"; }

# command, then what its usage line must start with
cases=(
  "init|init --account ID"
  "init --account 1|init --account ID"
  "seal|seal ACCOUNT"
  "seal 111122223333 root-password --generate|seal ACCOUNT root-password --as NAME"
  "seal 111122223333 root-mfa --base32 -|seal ACCOUNT root-password --as NAME"
  "seal 111122223333 notes --note|seal ACCOUNT root-password --as NAME"
  "seal 111122223333 root-password --as|seal ACCOUNT root-password --as NAME"
  "request|request ACCOUNT --reason TEXT"
  "request 111122223333 --reason x|request ACCOUNT --reason TEXT"
  "approve|approve ID --as CUSTODIAN"
  "approve abc|approve ID --as CUSTODIAN"
  "approve --as alice|approve ID --as CUSTODIAN"
  "deny abc --as bob|deny ID --as NAME --reason TEXT"
  "release|release ID --as REQUESTER"
  "release abc --as rita --bogus|release ID --as REQUESTER"
  "status a b|status [ID]"
  "status --frob|status [ID]"
  "audit prove|audit prove SEQ"
  "vault|vault COMMAND"
  "custody attest|custody attest NAME"
  "alerts test|alerts test SINK"
)
for c in "${cases[@]}"; do
  cmd=${c%%|*} want=${c#*|}
  # shellcheck disable=SC2086
  run $cmd
  check "$cmd: exit 2" is_rc 2
  check "$cmd: says 'usage: breakglass $want'" says "usage: breakglass $want"
  check "$cmd: nothing created" test ! -e "$work/state"
done
# an empty or missing --state is an error, never the default state
"$bin" --state "" status >"$out" 2>"$err"; rc=$?
check "--state '': exit 2" is_rc 2
check "--state '': says it was empty" says "--state takes a directory"
"$bin" --state >"$out" 2>"$err"; rc=$?
check "--state alone: exit 2" is_rc 2
check "--state alone: says it was missing" says "--state takes a directory"

# seal needs --as NAME (vault format v2: the sealer's token signs the
# version): the usage of seal says so, and so must --help
run seal 111122223333 root-password --generate
check "seal without --as: the usage says who NAME is" \
    says "NAME: a member of a group the item needs, or a requester"
"$bin" --help >"$out" 2>"$err"; rc=$?
check "--help exits 0" is_rc 0
check "--help shows seal with --as NAME" \
    grep -q -- "seal ACCOUNT.*--as NAME" "$out"
check "--help shows vault arm" grep -q -- "vault arm" "$out"

run frobnicate
check "an unknown command: exit 2" is_rc 2
check "an unknown command: named" has_err "unknown command 'frobnicate'"

# an error bounds what it echoes: a 120,000-byte word is not said whole
run "$(head -c 120000 /dev/zero | tr '\0' a)"
check "a 120 KB unknown command: exit 2" is_rc 2
check "a 120 KB unknown command: the error is under 2 KB ($(wc -c <"$err") bytes)" \
    test "$(wc -c <"$err")" -lt 2048
check "a 120 KB unknown command: it says how much was not shown" \
    has_err "more bytes not shown"

echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]
