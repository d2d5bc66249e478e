#!/bin/bash
# tests/e2e/test_token_cli.sh: `breakglass token ...` as shipped (the
# unmodified binary), with the software tokens of tests/virtual preloaded:
# libbgvfido.so shows the FIDO2 devices of $BG_VIRTUAL_DIR/fido2 to the real
# libfido2, libbgvyk.so is a fake libusb under the real libykpers.
#
# usage: test_token_cli.sh BREAKGLASS BG_VFIDO BG_VYK LIBBGVFIDO LIBBGVYK
#            [asan|plain]
# "asan": the binary is built with AddressSanitizer, which otherwise
# refuses to run when a preloaded library comes before its runtime.
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

. "${BASH_SOURCE%/*}/lib.sh"

dir=$(mktemp -d "${TMPDIR:-/tmp}/bg_token_cli.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
virt=$dir/virtual
mkdir "$virt"
out=$dir/stdout
err=$dir/stderr

PIN=4711-open
SERIAL=5150




# The shipped binary under the preload libraries; rc, $out and $err hold
# the result. Redirections of the call (3<<<PIN) reach the binary.
bgrun() {
	env "${asan_env[@]}" LD_PRELOAD="$pre_fido:$pre_yk" \
	    BG_VIRTUAL_DIR="$virt" "$bg" --state "$dir/state" "$@" \
	    >"$out" 2>"$err"
	rc=$?
}

fails_with_message() { [ "$rc" -ne 0 ] && [ -s "$err" ]; }

# emulator tools (not preloaded)
"$vfido" "$virt" create alice >/dev/null || exit 1
"$vfido" "$virt" create pinny --pin "$PIN" >/dev/null || exit 1
"$vyk" "$virt" create "$SERIAL" >/dev/null || exit 1
alice=$("$vfido" "$virt" path alice)
pinny=$("$vfido" "$virt" path pinny)

# ---------------------------------------------------------------- list
bgrun token list
check "token list exits 0" is_rc 0
check "token list shows the FIDO2 token alice" has_out "^fido2 *$alice "
check "token list shows the FIDO2 token pinny" has_out "^fido2 *$pinny "
check "token list shows the YubiKey" has_out "^yubikey *$SERIAL "

# ------------------------------------------------------- FIDO2, no PIN
F=$dir/alice.json
bgrun token enroll --fido2 --device "$alice" --out "$F"
check "token enroll --fido2 exits 0" is_rc 0
check "token enroll --fido2 writes the descriptor" test -s "$F"
check "the descriptor is a fido2 one" grep -Eq '"kind":[[:space:]]*"fido2"' "$F"
bgrun token check "$F"
check "token check (fido2) exits 0" is_rc 0
check "token check (fido2) says ok" has_out "^ok: the token unlocks"
check "two touches to enroll, one to check" \
    test "$("$vfido" "$virt" touches alice)" -eq 3

# --------------------------------------------------------- FIDO2, PIN
FP=$dir/pinny.json
bgrun token enroll --fido2 --device "$pinny" --pin-fd 3 --out "$FP" 3<<<"$PIN"
check "token enroll --fido2 --pin-fd exits 0" is_rc 0
check "the PIN descriptor fixes uv pin" grep -Eq '"uv":[[:space:]]*"pin"' "$FP"
bgrun token check "$FP" --pin-fd 3 3<<<"$PIN"
check "token check --pin-fd exits 0" is_rc 0
bgrun token check "$FP" --pin-fd 3 3<<<"wrong-pin"
check "a wrong PIN fails with a message" fails_with_message
check "a wrong PIN tells the retries left" has_err "7 PIN retries left"
check "a wrong PIN is never echoed" eval '! grep -q wrong-pin "$err" "$out"'
bgrun token check "$FP" --pin-fd 3 3<<<"$PIN"
check "the right PIN works again" is_rc 0
# no --pin-fd and no terminal: a clear error, never a hang
if command -v setsid >/dev/null 2>&1; then
	setsid -w env "${asan_env[@]}" LD_PRELOAD="$pre_fido:$pre_yk" \
	    BG_VIRTUAL_DIR="$virt" "$bg" --state "$dir/state" token check "$FP" \
	    </dev/null >"$out" 2>"$err"
	rc=$?
	check "no terminal for the PIN fails with a message" fails_with_message
	check "no terminal for the PIN names --pin-fd" has_err "pin-fd"
fi

# ------------------------------------------------------------ YubiKey
G=$dir/yubikey.json
bgrun token program-yubikey --serial "$SERIAL"
check "token program-yubikey exits 0" is_rc 0
bgrun token program-yubikey --serial "$SERIAL"
check "program-yubikey again without --force fails" fails_with_message
check "program-yubikey names --force" has_err "force"
bgrun token enroll --yubikey --serial "$SERIAL" --out "$G"
check "token enroll --yubikey exits 0" is_rc 0
check "the descriptor is a yubikey one" grep -Eq '"kind":[[:space:]]*"yubikey"' "$G"
bgrun token check "$G"
check "token check (yubikey) exits 0" is_rc 0

# ----------------------------------------------------------- no touch
"$vfido" "$virt" knob alice no-touch on >/dev/null
bgrun token check "$F"
check "no touch (fido2): check fails with a message" fails_with_message
check "no touch (fido2): says it did not unlock" has_err "did NOT unlock"
"$vfido" "$virt" knob alice no-touch off >/dev/null
"$vyk" "$virt" knob "$SERIAL" no-touch on >/dev/null
bgrun token check "$G"
check "no touch (yubikey): check fails with a message" fails_with_message
"$vyk" "$virt" knob "$SERIAL" no-touch off >/dev/null
bgrun token check "$G"
check "touch back (yubikey): check exits 0" is_rc 0

# --force overwrites the slot: the old descriptor no longer unlocks
bgrun token program-yubikey --serial "$SERIAL" --force
check "program-yubikey --force exits 0" is_rc 0
bgrun token check "$G"
check "the old yubikey descriptor fails after --force" fails_with_message

# ------------------------------------------------- existing --out file
cp "$F" "$dir/alice.copy"
t0=$("$vfido" "$virt" touches alice)
bgrun token enroll --fido2 --device "$alice" --out "$F"
check "enroll onto an existing --out is refused" fails_with_message
echo "note - the refused enrollment took $(($("$vfido" "$virt" touches alice) - t0)) touches"
check "the existing descriptor is unchanged" cmp -s "$F" "$dir/alice.copy"
bgrun token check "$F"
check "the existing descriptor still unlocks" is_rc 0

# ----------------------------------------------------- not a descriptor
echo '{"kind":"fido2"}' >"$dir/junk.json"
bgrun token check "$dir/junk.json"
check "check of a malformed descriptor fails with a message" \
    fails_with_message
bgrun token check "$dir/missing.json"
check "check of a missing file fails with a message" fails_with_message

# --------------------------------------------- each cause said, once
# (a refusal names its real cause; no part of a message comes twice)
says_once() { [ "$(grep -o -- "$1" "$err" | wc -l)" -eq 1 ]; }
lacks_err() { ! grep -q -- "$1" "$err"; }

"$vfido" "$virt" knob alice remove-during-op on >/dev/null
bgrun token check "$F"
check "pulled out during check: fails with a message" fails_with_message
check "pulled out during check: says removed, once" \
    says_once "the token was removed during the operation"
check "pulled out during check: says to reconnect it" has_err "reconnect the token"
"$vfido" "$virt" knob alice removed off >/dev/null

bgrun token enroll --fido2 --device "$alice" --uv pin --out "$dir/uvpin.json"
check "--uv pin without a PIN: fails with a message" fails_with_message
check "--uv pin without a PIN: says what was asked" \
    has_err "cannot give the user verification asked for"
check "--uv pin without a PIN: names no enrolled one" lacks_err "enrolled one"
check "--uv pin without a PIN: says to set a PIN" has_err "has no PIN"
check "--uv pin without a PIN: writes no descriptor" test ! -e "$dir/uvpin.json"

# the same for a person in a vault (token enroll NAME)
bgrun init --account 111122223333 --account-name prod \
    --root-email root@example.com
check "init of a vault exits 0" is_rc 0
bgrun custodian add uma --group password
check "custodian add exits 0" is_rc 0
bgrun token enroll uma --fido2 --device "$alice" --uv pin
check "token enroll NAME --uv pin without a PIN: fails" fails_with_message
check "token enroll NAME --uv pin without a PIN: says what was asked" \
    has_err "cannot give the user verification asked for"
check "token enroll NAME --uv pin without a PIN: names no enrolled one" \
    lacks_err "enrolled one"

# keys that token list shows but that cannot serve
"$vfido" "$virt" create odd >/dev/null || exit 1
odd=$("$vfido" "$virt" path odd)
"$vfido" "$virt" knob odd u2f-only on >/dev/null
bgrun token list
check "token list shows the U2F-only key" has_out "^fido2 *$odd "
bgrun token enroll --fido2 --device "$odd" --out "$dir/odd.json"
check "U2F-only key: enroll fails with a message" fails_with_message
check "U2F-only key: says it does not speak CTAP2" \
    has_err "the key at $odd does not speak CTAP2 (U2F only)"
check "U2F-only key: does not say no token found" lacks_err "no token found"
"$vfido" "$virt" knob odd u2f-only off >/dev/null

"$vfido" "$virt" knob odd getinfo-error on >/dev/null
bgrun token enroll --fido2 --device "$odd" --out "$dir/odd.json"
check "getInfo fails: enroll fails with a message" fails_with_message
check "getInfo fails: says so" has_err "the key at $odd did not answer getInfo"
check "getInfo fails: does not say no token found" lacks_err "no token found"
"$vfido" "$virt" knob odd getinfo-error off >/dev/null

"$vfido" "$virt" knob odd no-hmac-secret on >/dev/null
bgrun token enroll --fido2 --device "$odd" --out "$dir/odd.json"
check "no hmac-secret: enroll fails with a message" fails_with_message
check "no hmac-secret: says so" has_err "lacks the hmac-secret extension"
check "no hmac-secret: does not blame the attestation" lacks_err "attestation"
"$vfido" "$virt" knob odd no-hmac-secret off >/dev/null

"$vfido" "$virt" knob odd no-up-at-makecred on >/dev/null
bgrun token enroll --fido2 --device "$odd" --out "$dir/odd.json"
check "no UP at makeCredential: enroll fails with a message" fails_with_message
check "no UP at makeCredential: says so" \
    has_err "did not assert user presence when it created the credential"
check "no UP at makeCredential: does not blame the attestation" \
    lacks_err "attestation"
"$vfido" "$virt" knob odd no-up-at-makecred off >/dev/null
check "no refused enrollment wrote a descriptor" test ! -e "$dir/odd.json"
"$vfido" "$virt" knob odd removed on >/dev/null

# ---------------------------------------------------------- bad usage
usage() {
	bgrun "$@"
	check "usage error exits 2: $*" is_rc 2
}
usage token
usage token frobnicate
usage token list extra
usage token enroll
usage token enroll --fido2
usage token enroll --out "$dir/x.json"
usage token enroll --fido2 --yubikey --out "$dir/x.json"
usage token enroll --fido2 --out "$dir/x.json" --force
usage token enroll --fido2 --out "$dir/x.json" --pin-fd abc
usage token enroll --fido2 --out "$dir/x.json" --uv maybe
usage token enroll --yubikey --slot 3 --out "$dir/x.json"
usage token check
usage token check "$F" --pin-fd
usage token check "$F" --bogus 1
usage token program-yubikey
usage token program-yubikey --serial abc
usage token program-yubikey --serial "$SERIAL" --slot 3
check "no usage error created a file" test ! -e "$dir/x.json"

echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]
