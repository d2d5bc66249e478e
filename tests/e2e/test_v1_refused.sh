#!/bin/bash
# tests/e2e/test_v1_refused.sh: a state directory whose vault.json is of
# vault format v1 ("breakglass-vault-v1", docs/design.md §5.1: approvals
# re-sealed raw shares of long-lived group keys, which a requester could
# pool offline) is refused by the shipped binary: every command that
# opens the vault exits non-zero with the message telling to set the
# vault up again with 'breakglass init' (in a new state directory), no
# state file changes, no token is touched, the refusal is in the audit
# log, and the log still verifies. `breakglass init` in a new directory
# then makes a v2 vault.
#
# The v1 states are made from a v2 one (software tokens of tests/virtual):
#   v2-relabelled  vault.json of a sealed v2 vault with an open, approved
#                  request, its format string rewritten to v1;
#   v1-minimal     a vault.json in the v1 layout (accounts with "keys":
#                  group public keys and their shares; items with
#                  "keys": one part per group);
# each recorded in the audit log with the log's signing key, as the v1
# binary that wrote it had done (a v1 state directory's log names its
# vault.json). And one that is not recorded:
#   unrecorded     the format string rewritten by hand: a file changed
#                  behind the log's back, refused as tampering (exit 3).
#
# usage: test_v1_refused.sh BREAKGLASS BG_VFIDO BG_VYK LIBBGVFIDO LIBBGVYK
#            [asan|plain]
#
# A check that fails because the product is wrong is never weakened: it is
# a FAIL line whose text starts with "KNOWN BUG" (naming the file and
# function) until the product is fixed.
set -u

if [ $# -lt 5 ]; then
	echo "usage: $0 BREAKGLASS BG_VFIDO BG_VYK LIBBGVFIDO LIBBGVYK [asan|plain]" >&2
	exit 2
fi
bg=$1
vfido=$2
vyk=$3
pre_fido=$4
pre_yk=$5
mode=${6:-plain}
command -v python3 >/dev/null || { echo "python3 is needed" >&2; exit 2; }
command -v openssl >/dev/null || { echo "openssl is needed" >&2; exit 2; }

. "${BASH_SOURCE%/*}/lib.sh"

dir=$(mktemp -d "${TMPDIR:-/tmp}/bg_v1_refused.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
virt=$dir/virtual
mkdir "$virt"
out=$dir/stdout
err=$dir/stderr
ST=$dir/v2		# the state directory the commands use
A1=111122223333
SETUP_AGAIN="set the vault up again with 'breakglass init'"

bgrun() {
	env "${asan_env[@]}" LD_PRELOAD="$pre_fido:$pre_yk" \
	    BG_VIRTUAL_DIR="$virt" "$bg" --state "$ST" "$@" >"$out" 2>"$err"
	rc=$?
	cat "$err" >>"$dir/all.stderr"
}
must() {
	bgrun "$@"
	if [ "$rc" -ne 0 ]; then
		bad "setup: $*"
		echo "$pass passed, $failed failed (stopped)"
		exit 1
	fi
}
not_rc0() { [ "$rc" -ne 0 ]; }

# SHA-256 of every state file but the audit log and the alert spool
state_sum() {
	(cd "$ST" && find . \( -path ./audit -o -path ./spool \) -prune -o \
	    -type f -print | LC_ALL=C sort | xargs -r sha256sum)
}
# the touches of every software FIDO2 key
all_touches() {
	local p
	for p in alice bob dave erin rita; do
		printf '%s=%s ' "$p" "$("$vfido" "$virt" touches "$p")"
	done
}
audit_n() { wc -l <"$ST/audit/entries.jsonl" | tr -d ' '; }

# ------------------------------------------------------------- helpers
H=$dir/h.py
cat >"$H" <<'EOF'
import base64, hashlib, json, os, struct, subprocess, sys, tempfile

cmd = sys.argv[1]
if cmd == "relabel":
    # relabel FILE: the format string rewritten to v1, nothing else
    path = sys.argv[2]
    with open(path) as f:
        text = f.read()
    want = '"breakglass-vault-v2"'
    assert text.count(want) == 1, "one format string"
    with open(path, "w") as f:
        f.write(text.replace(want, '"breakglass-vault-v1"'))
elif cmd == "v1":
    # v1 FILE: vault.json rewritten in the v1 layout (docs/ceremony.md of
    # vault format v1): the vault, its policy and people kept; per
    # account the group keys with their shares, per item one part per
    # group, sealed boxes as random bytes of the v1 sizes
    path = sys.argv[2]
    with open(path) as f:
        j = json.load(f)
    def b64(n):
        return base64.b64encode(os.urandom(n)).decode()
    pol = j["policy"]
    pol.pop("slots", None)
    groups = {g["name"]: g for g in pol["groups"]}
    tokens = {p["name"]: [t["id"] for t in p["tokens"]] for p in j["people"]}
    accounts = []
    for a in j["accounts"]:
        keys = [{"group": g, "threshold": groups[g]["threshold"], "epoch": 1,
                 "public": b64(32),
                 "shares": [{"person": m, "x": x + 1,
                             "commit": os.urandom(32).hex(),
                             "boxes": [{"token": t, "box": b64(32 + 33 + 16)}
                                       for t in tokens[m]]}
                            for x, m in enumerate(groups[g]["members"])]}
                for g in groups]
        items = [{"name": i["name"], "kind": i["kind"], "version": i["version"],
                  "sealed": i["sealed"], "released": "", "needs_rotation": False,
                  "data": b64(60),
                  "keys": [{"group": g["name"], "epoch": 1, "box": b64(32 + 32 + 16)}
                           for g in i["groups"]]}
                 for i in a["items"]]
        accounts.append({"id": a["id"], "name": a["name"],
                         "root_email": a["root_email"], "keys": keys,
                         "items": items})
    v1 = {"format": "breakglass-vault-v1", "vault": j["vault"],
          "created": j["created"], "policy": pol, "people": j["people"],
          "accounts": accounts}
    with open(path, "w") as f:
        f.write(json.dumps(v1, indent="\t") + "\n")
elif cmd == "format":
    # format FILE: the format string of a JSON file
    with open(sys.argv[2]) as f:
        print(json.load(f)["format"])
EOF
pyq() { python3 "$H" "$@"; }

# ======================================================= a v2 vault first
echo "# setup: a sealed v2 vault with an open, approved request"
for p in alice bob dave erin rita; do
	"$vfido" "$virt" create "$p" >/dev/null || exit 1
done
must init --account "$A1" --account-name prod --root-email aws-root@example.com
for p in alice bob; do must custodian add "$p" --group password; done
for p in dave erin; do must custodian add "$p" --group mfa; done
must requester add rita
must policy set --threshold password=2 --threshold mfa=2
for p in alice bob dave erin rita; do
	must token enroll "$p" --fido2 --device "$("$vfido" "$virt" path "$p")"
done
# the genesis: vault arm proposes it, everyone holding a token signs it
gb_genesis bgrun alice bob dave erin rita ||
    { bad "setup: the genesis (vault arm, change approve, change apply)"
      echo "$pass passed, $failed failed (stopped)"; exit 1; }
must seal "$A1" root-password --generate --as alice
must seal "$A1" root-mfa --base32 - --as dave <<<GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
must request "$A1" --reason "v1 drill" --as rita
RID=$(sed -n 's/^request \([0-9a-f]\{32\}\) opened by .*/\1/p' "$out")
must approve "$RID" --as alice
check "the v2 state is set up (format v2, request $RID)" \
    test -n "$RID" -a "$(pyq format "$ST/vault.json")" = breakglass-vault-v2
V2=$ST

# state_of NAME: a copy of the v2 state directory, $ST
state_of() {
	ST=$dir/$1
	rm -rf "$ST"
	cp -a "$V2" "$ST"
}

# refused_v1 DESC ARGS...: the command exits non-zero saying to set the
# vault up again, changes no state file, touches no token, and the log
# records the refusal with that reason and still verifies
refused_v1() {
	local desc=$1 sum0 t0 n0
	shift
	sum0=$(state_sum)
	t0=$(all_touches)
	n0=$(audit_n)
	bgrun "$@"
	check "$desc: refused (exit non-zero)" not_rc0
	check "$desc: names the v1 format" has_err "breakglass-vault-v1"
	check "$desc: says to set the vault up again with breakglass init" \
	    grep -qF -- "$SETUP_AGAIN" "$err"
	check "$desc: prints nothing on stdout but token prompts" \
	    eval '! grep -qv "touch your token" "$out"'
	check "$desc: no state file changed" test "$(state_sum)" = "$sum0"
	check "$desc: no token touched" test "$(all_touches)" = "$t0"
	check "$desc: the audit log records the refusal with that reason" \
	    eval 'tail -n +$((n0 + 1)) "$ST/audit/entries.jsonl" | grep -qF -- "$SETUP_AGAIN"'
}

# every_command NAME: the commands that open the vault, on $ST
every_command() {
	local n=$1
	refused_v1 "$n: vault show" vault show
	refused_v1 "$n: policy show" policy show
	refused_v1 "$n: status" status
	refused_v1 "$n: request" request "$A1" --reason "after the upgrade" --as rita
	refused_v1 "$n: approve" approve "$RID" --as bob
	refused_v1 "$n: deny" deny "$RID" --as bob --reason "no"
	refused_v1 "$n: release" release "$RID" --as rita
	refused_v1 "$n: seal" seal "$A1" root-password --generate --as bob
	refused_v1 "$n: vault arm" vault arm
	local sum0
	sum0=$(state_sum)
	bgrun vault verify
	check "$n: vault verify refused (exit non-zero)" \
	    not_rc0
	check "$n: vault verify says to set the vault up again with breakglass init" \
	    eval 'grep -qF -- "$SETUP_AGAIN" "$out" "$err"'
	check "$n: vault verify changed no state file" test "$(state_sum)" = "$sum0"
	bgrun audit verify
	check "$n: the audit log still verifies" is_rc 0
	bgrun init --account "$A1" --account-name prod --root-email aws-root@example.com
	check "$n: init in the v1 state directory is refused" is_rc 1
	check "$n: ... because a vault is there" has_err "a vault already exists"
	check "$n: ... and changes nothing" test "$(state_sum)" = "$sum0"
}

# ============================================ 1. v2 relabelled as v1
echo "# 1. a v2 vault.json relabelled breakglass-vault-v1, recorded in the log"
state_of v2-relabelled
pyq relabel "$ST/vault.json"
python3 "${BASH_SOURCE%/*}/record.py" "$ST" vault.json vault.armed
check "v2-relabelled: the format string is v1" \
    test "$(pyq format "$ST/vault.json")" = breakglass-vault-v1
bgrun audit verify
check "v2-relabelled: the log (with the file recorded) verifies" is_rc 0
every_command v2-relabelled

# ============================================== 2. a minimal v1 layout
echo "# 2. a vault.json in the v1 layout (group keys, shares), recorded"
state_of v1-minimal
pyq v1 "$ST/vault.json"
python3 "${BASH_SOURCE%/*}/record.py" "$ST" vault.json vault.armed
check "v1-minimal: accounts hold group keys with shares (the v1 layout)" \
    python3 -c 'import json, sys; j = json.load(open(sys.argv[1]))
sys.exit(0 if j["format"] == "breakglass-vault-v1" and
         all(k["shares"] for a in j["accounts"] for k in a["keys"]) else 1)' \
    "$ST/vault.json"
bgrun audit verify
check "v1-minimal: the log (with the file recorded) verifies" is_rc 0
every_command v1-minimal

# ============================== 3. relabelled by hand, not recorded
echo "# 3. the format string rewritten by hand, not recorded: tampering"
state_of unrecorded
pyq relabel "$ST/vault.json"
for c in "vault show" "request $A1 --reason x --as rita" \
    "approve $RID --as bob" "vault verify"; do
	sum0=$(state_sum)
	t0=$(all_touches)
	# shellcheck disable=SC2086
	bgrun $c
	check "unrecorded: $c: refused as tampering (exit 3)" is_rc 3
	check "unrecorded: $c: names vault.json" \
	    eval 'grep -q "vault.json" "$out" "$err"'
	check "unrecorded: $c: no state file changed" test "$(state_sum)" = "$sum0"
	check "unrecorded: $c: no token touched" test "$(all_touches)" = "$t0"
done

# ===================================== 4. what the message says works
echo "# 4. breakglass init in a new state directory makes a v2 vault"
ST=$dir/new
bgrun init --account "$A1" --account-name prod --root-email aws-root@example.com
check "init in a new state directory exits 0" is_rc 0
check "... and its vault.json is of format v2" \
    test "$(pyq format "$ST/vault.json")" = breakglass-vault-v2
bgrun vault show
check "... which vault show reads" is_rc 0

check "no sanitizer report in any command's stderr" \
    eval '! grep -Eq "runtime error:|AddressSanitizer|LeakSanitizer" "$dir/all.stderr"'
echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]
