#!/usr/bin/env bash
# breakglass password generate/check as shipped: generated passwords pass
# the check, refused ones fail without echoing the password, bad usage
# exits 2. Usage: test_password_cli.sh BREAKGLASS
set -u
bin=$1
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL - $*"; }
expect() {  # code, stdin, args...
  local want=$1 in=$2; shift 2
  local out rc
  out=$(printf '%s\n' "$in" | "$bin" "$@" 2>&1); rc=$?
  if [ "$rc" -ne "$want" ]; then bad "$* (exit $rc, wanted $want): $out"; return; fi
  if [ -n "$in" ] && [ "$want" -ne 0 ] && printf '%s' "$out" | grep -qF -- "$in"; then
    bad "$*: the output echoes the password"; return
  fi
  ok
}

for n in 1 2 3 4 5; do
  pw=$("$bin" password generate --account-name prod-root --root-email root@example.com)
  [ ${#pw} -eq 32 ] && ok || bad "generated length ${#pw}"
  expect 0 "$pw" password check --account-name prod-root --root-email root@example.com
done
pw8=$("$bin" password generate --length 8)
[ ${#pw8} -eq 8 ] && ok || bad "length 8 gave ${#pw8}"
a=$("$bin" password generate); b=$("$bin" password generate)
[ "$a" != "$b" ] && ok || bad "two generations are equal"
expect 1 "P@ssw0rd" password check
expect 1 "Password1!" password check
expect 1 "Front242" password check
expect 1 "short1A!" password check --account-name short1A!
expect 1 "Prod-Root2024!" password check --account-name prod-root
expect 1 "root@example.com" password check --root-email ROOT@example.com
expect 1 "has space A1!" password check
expect 1 "$(printf 'A%.0s' $(seq 1 200))a1!" password check
expect 1 "" password check
# bounded input: a line past the bound is refused as soon as the bound is
# passed, never read to its end (timeout only guards against a hang)
rc=0; head -c 100000000 /dev/zero | timeout 60 "$bin" password check >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 1 ] && ok || bad "100 MB on stdin: exit $rc, wanted 1 (refused)"
rc=0; timeout 60 "$bin" password check </dev/zero >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 1 ] && ok || bad "endless stdin (/dev/zero): exit $rc, wanted 1 (refused)"
expect 2 "" password generate --length 7
expect 2 "" password generate --length 129
expect 2 "" password generate --bogus
expect 2 "" password check extra-argument
expect 2 "" password
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
