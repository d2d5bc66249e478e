#!/bin/bash
# tests/e2e/test_ceremony_time.sh: the ceremony as shipped (the unmodified
# binary) against a fake wall clock: libbgclock.so (tests/virtual/clock)
# makes time(), gettimeofday() and clock_gettime(CLOCK_REALTIME) return the
# seconds written in $BG_FAKE_CLOCK_FILE; the software tokens of
# tests/virtual are preloaded as in test_token_cli.sh.
#
#  1. root-mfa released at the times of RFC 6238 appendix B shows the
#     vectors' codes (SHA1, SHA256, SHA512, 8 digits), the next code (the
#     code of time + 30, from an independent HOTP in Python, and for
#     1111111109 also the vector of 1111111111: the same time step) and the
#     seconds left in the step.
#  2. An expired request: approve and release refused ("expired"), each
#     refusal recorded as request.refused, the request file unchanged;
#     the second before the expiry still works.
#  3. A time lock: release refused until the lock has run from the LAST
#     approval, then allowed.
#  4. The cap on burning slots (vault format v2, docs/design.md §5.2): a
#     custodian's approvals burn at most 8 slots in 24 hours; the 9th
#     within 24 hours is refused (recorded, nothing changed), and allowed
#     once the first burn is 24 hours old. A denial gives no burn back.
# Each vault is armed by its genesis (`vault arm`, signed by every person
# holding a token, `change apply`); the time lock of 3. is a change
# request signed by the threshold of each group and applied.
# Items are sealed with `seal ... --as NAME` (the sealer's touch), and
# each release uses one one-time slot of root-mfa (`vault show`).
# Time only moves forward within one state directory (the audit log keeps
# its entries in time order).
#
# usage: test_ceremony_time.sh BREAKGLASS BG_VFIDO BG_VYK LIBBGVFIDO
#            LIBBGVYK LIBBGCLOCK [asan|plain] [RFC6238_VECTORS]
set -u

if [ $# -lt 6 ]; then
	echo "usage: $0 BREAKGLASS BG_VFIDO BG_VYK LIBBGVFIDO LIBBGVYK" \
	    "LIBBGCLOCK [asan|plain] [RFC6238_VECTORS]" >&2
	exit 2
fi
bg=$1
vfido=$2
vyk=$3
pre_fido=$4
pre_yk=$5
pre_clock=$6
mode=${7:-plain}
here=$(cd "$(dirname "$0")" && pwd)
vectors=${8:-$here/../vectors/crypto_vectors/pyca_cryptography_vectors/twofactor/rfc-6238.txt}

if [ ! -r "$vectors" ]; then
	echo "FAIL - RFC 6238 vectors not found at $vectors"
	exit 1
fi
command -v python3 >/dev/null || { echo "FAIL - python3 is needed"; exit 1; }

. "${BASH_SOURCE%/*}/lib.sh"

dir=$(mktemp -d "${TMPDIR:-/tmp}/bg_cer_time.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
virt=$dir/virtual
mkdir "$virt"
out=$dir/stdout
err=$dir/stderr
clock=$dir/clock
start=$SECONDS




# A setup step that must work; the test cannot go on without it.
must() {
	local desc=$1
	shift
	"$@"
	if [ "$rc" -ne 0 ]; then
		bad "$desc"
		echo "$pass passed, $failed failed (stopped)"
		exit 1
	fi
}

# The fake time, in seconds; never backwards within one state directory.
now=-1
set_time() {
	if [ "$1" -lt "$now" ]; then
		echo "test bug: time moves back from $now to $1" >&2
		exit 1
	fi
	now=$1
	echo "$1" >"$clock"
}

# bgrun STATE ARGS...: the shipped binary at the fake time; rc, $out, $err.
bgrun() {
	local state=$1
	shift
	env "${asan_env[@]}" LD_PRELOAD="$pre_clock:$pre_fido:$pre_yk" \
	    BG_VIRTUAL_DIR="$virt" BG_FAKE_CLOCK_FILE="$clock" \
	    "$bg" --state "$state" "$@" >"$out" 2>"$err"
	rc=$?
}
run() { must "$*" bgrun "$state" "$@"; }

refused_with() { [ "$rc" -eq 1 ] && grep -q -- "$1" "$err"; }

# HOTP (RFC 4226) / TOTP (RFC 6238), independent of the product: python3
# totp MODE KEY TIME -> 8 digits
totp() {
	python3 - "$1" "$2" "$3" <<'EOF'
import hashlib, hmac, struct, sys
mode, key, t = sys.argv[1], sys.argv[2].encode(), int(sys.argv[3])
mac = hmac.new(key, struct.pack(">Q", t // 30), mode.lower()).digest()
o = mac[-1] & 15
print("%08d" % ((struct.unpack(">I", mac[o:o + 4])[0] & 0x7fffffff) % 10**8))
EOF
}
b32() { python3 -c 'import base64,sys; print(base64.b32encode(sys.argv[1].encode()).decode().rstrip("="))' "$1"; }

# ------------------------------------------------------------ devices
for p in alice bob dave erin frank; do
	"$vfido" "$virt" create "$p" >/dev/null || exit 1
done
"$vyk" "$virt" create 2001 >/dev/null || exit 1
"$vyk" "$virt" program 2001 2 >/dev/null || exit 1

# setup STATE TIME ACCOUNT...: a vault at TIME with the accounts, groups
# password (alice, bob: 2) and mfa (dave, erin, frank: 2), requester rita
# on the YubiKey 2001 (the same device in every state directory).
setup() {
	state=$1
	now=-1		# a new state directory starts its own time line
	set_time "$2"
	shift 2
	run init --account "$1" --account-name "acct$1" \
	    --root-email "root-$1@example.com"
	shift
	for a in "$@"; do
		run account add "$a" --account-name "acct$a" \
		    --root-email "root-$a@example.com"
	done
	run custodian add alice --group password
	run custodian add bob --group password
	for p in dave erin frank; do run custodian add "$p" --group mfa; done
	run requester add rita
	run policy set --threshold password=2 --threshold mfa=2
	for p in alice bob dave erin frank; do
		run token enroll "$p" --fido2 --device "$("$vfido" "$virt" path "$p")"
	done
	run token enroll rita --yubikey --serial 2001
	# the genesis: proposed by vault arm, signed by everyone holding a
	# token, applied (nothing can be sealed before it)
	gb_genesis run alice bob dave erin frank rita ||
	    must "the genesis (vault arm, change approve by all, change apply)" false
}

# request STATE ACCOUNT: sets $id (the request of rita for root-mfa)
request() {
	run request "$2" --reason "time drill at $now" --items root-mfa \
	    --as rita
	id=$(sed -n 's/^request \([0-9a-f]\{32\}\) opened by rita .*/\1/p' "$out")
	if [ -z "$id" ]; then
		bad "request prints its id"
		exit 1
	fi
}

# refusal_logged STATE ID COMMAND WORD: the last request.refused entry of
# the request is for COMMAND, and its reason holds WORD
refusal_logged() {
	local st=$1 rid=$2 cmd=$3 word=$4 line
	env "${asan_env[@]}" BG_FAKE_CLOCK_FILE="$clock" \
	    LD_PRELOAD="$pre_clock" "$bg" --state "$st" audit show --json \
	    --event request.refused --request "$rid" >"$dir/refusals" 2>&1 ||
	    return 1
	line=$(tail -n 1 "$dir/refusals")
	python3 - "$line" "$cmd" "$word" <<'EOF'
import json, sys
e = json.loads(sys.argv[1])
d = e["detail"]
sys.exit(0 if e["event"] == "request.refused" and d["command"] == sys.argv[2]
         and sys.argv[3] in d["reason"] else 1)
EOF
}
nrefusals() {
	env "${asan_env[@]}" BG_FAKE_CLOCK_FILE="$clock" \
	    LD_PRELOAD="$pre_clock" "$bg" --state "$1" audit show --json \
	    --event request.refused --request "$2" | wc -l
}

# the Python reference against the vectors themselves
selfcheck=1
while read -r t code m key; do
	[ "$(totp "$m" "$key" "$t")" = "$code" ] || selfcheck=0
done < <(awk -F' = ' '/^TIME/{t=$2}/^TOTP/{c=$2}/^MODE/{m=$2}
    /^SECRET/{print t, c, m, $2}' "$vectors")
rc=0
check "the test's own TOTP reference reproduces the RFC 6238 vectors" \
    test "$selfcheck" -eq 1

# ================================================ 1. RFC 6238 vectors
# One account per hash, one state directory, times ascending.
declare -A acct=([SHA1]=100000000001 [SHA256]=100000000256
    [SHA512]=100000000512)
declare -A vec keyof
times=()
while read -r t code m key; do
	vec[$t,$m]=$code
	keyof[$m]=$key
	case " ${times[*]-} " in *" $t "*) ;; *) times+=("$t") ;; esac
done < <(awk -F' = ' '/^TIME/{t=$2}/^TOTP/{c=$2}/^MODE/{m=$2}
    /^SECRET/{print t, c, m, $2}' "$vectors")
check "the vector file gives 18 vectors at 6 times" \
    test "${#vec[@]}" -eq 18 -a "${#times[@]}" -eq 6 -a "${#keyof[@]}" -eq 3
sorted=$(printf '%s\n' "${times[@]}" | sort -n | tr '\n' ' ')
read -r -a times <<<"$sorted"

A=$dir/stateA
setup "$A" "${times[0]}" "${acct[SHA1]}" "${acct[SHA256]}" "${acct[SHA512]}"
for m in SHA1 SHA256 SHA512; do
	uri="otpauth://totp/AWS:root-${acct[$m]}?secret=$(b32 "${keyof[$m]}")&issuer=AWS&algorithm=$m&digits=8&period=30"
	bgrun "$A" seal "${acct[$m]}" root-mfa --otpauth - --as dave <<<"$uri"
	check "seal root-mfa ($m, 8 digits) from stdin, as dave" is_rc 0
	check "the seed is not echoed ($m)" \
	    eval '! grep -q "$(b32 "${keyof[$m]}")" "$out" "$err"'
done

declare -A nextof
for t in "${times[@]}"; do
	set_time "$t"
	for m in SHA1 SHA256 SHA512; do
		request "$A" "${acct[$m]}"
		run approve "$id" --as dave
		run approve "$id" --as erin
		bgrun "$A" release "$id" --as rita
		check "release at $t ($m) exits 0" is_rc 0
		line=$(grep '^root-mfa: code ' "$out")
		want_next=$(totp "$m" "${keyof[$m]}" $((t + 30)))
		left=$((30 - t % 30))
		check "at $t ($m) the code is the vector ${vec[$t,$m]}" \
		    test "$line" != "" -a \
		    "$(echo "$line" | sed -n 's/^root-mfa: code \([0-9]*\) .*/\1/p')" = \
		    "${vec[$t,$m]}"
		check "at $t ($m) next is the code of $((t + 30)) ($want_next)" \
		    test "$(echo "$line" | sed -n 's/.*, next \([0-9]*\)$/\1/p')" = \
		    "$want_next"
		check "at $t ($m) $left s are left in the step" \
		    has_out "^root-mfa: code [0-9]* ($left s left)"
		nextof[$t,$m]=$(echo "$line" | sed -n 's/.*, next \([0-9]*\)$/\1/p')
	done
done
# 1111111109 and 1111111111 are in consecutive steps: next of the first is
# the vector of the second (no Python involved)
for m in SHA1 SHA256 SHA512; do
	rc=0
	check "next at 1111111109 ($m) is the vector of 1111111111" \
	    test "${nextof[1111111109,$m]-}" = "${vec[1111111111,$m]}"
done
bgrun "$A" audit verify
check "audit verify after the vector ceremonies" is_rc 0
bgrun "$A" vault verify
check "vault verify after the vector ceremonies" is_rc 0
bgrun "$A" audit show --json --event release.done
check "every release is in the audit log at its fake time" \
    test "$(grep -c '"time":"2603-' "$out")" -eq 3 -a \
    "$(grep -c '"time":"1970-01-01T00:00:59.000Z"' "$out")" -eq 3
bgrun "$A" audit show --json --event request.quorum_met
check "each quorum was recorded (request.quorum_met) at its fake time" \
    test "$(grep -c '"time":"2603-' "$out")" -eq 3 -a \
    "$(grep -c '"time":"1970-01-01T00:00:59.000Z"' "$out")" -eq 3
# each of the ${#times[@]} releases per account burned one slot of its root-mfa
bgrun "$A" vault show
check "vault show: each root-mfa has $((32 - ${#times[@]})) of 32 slots left" \
    test "$(grep -c "item root-mfa .* slots left $((32 - ${#times[@]})) of 32" "$out")" -eq 3

# ================================================= 2. expired requests
B=$dir/stateB
T0=1700000000
setup "$B" "$T0" 222200000001
# --base32: SHA1, 6 digits, 30 s
run seal 222200000001 root-mfa --base32 - --as erin <<<"$(b32 12345678901234567890)"
expiry=14400
# R1: quorum met in time, released too late; R2: second approval too late
request "$B" 222200000001
r1=$id
request "$B" 222200000001
r2=$id
set_time $((T0 + 60))
run approve "$r1" --as dave
run approve "$r2" --as dave
set_time $((T0 + expiry - 1))
bgrun "$B" approve "$r1" --as erin
check "approve one second before the expiry works" is_rc 0
check "... and meets the quorum" has_out "quorum is met"
set_time $((T0 + expiry))
for r in "$r1" "$r2"; do
	cp "$B/requests/$r.json" "$dir/before.json"
	n0=$(nrefusals "$B" "$r")
	bgrun "$B" approve "$r" --as frank
	check "approve at the expiry is refused as expired" refused_with expired
	check "the expired approval is recorded as request.refused" \
	    refusal_logged "$B" "$r" approve expired
	bgrun "$B" release "$r" --as rita
	check "release at the expiry is refused as expired" refused_with expired
	check "release shows no code" eval '! grep -q "code" "$out"'
	check "the expired release is recorded as request.refused" \
	    refusal_logged "$B" "$r" release expired
	check "two refusals were recorded" \
	    test "$(nrefusals "$B" "$r")" -eq $((n0 + 2))
	check "the refusals left the request file unchanged" \
	    cmp -s "$B/requests/$r.json" "$dir/before.json"
done
bgrun "$B" status "$r1"
check "status shows the request as expired" has_out "\[expired\]"
set_time $((T0 + 3 * 86400))
bgrun "$B" release "$r1" --as rita
check "release days later is still refused as expired" refused_with expired
bgrun "$B" audit verify
check "audit verify after the expired requests" is_rc 0
bgrun "$B" vault verify
check "vault verify after the expired requests" is_rc 0

# ==================================================== 3. a time lock
T1=$((T0 + 4 * 86400))
set_time "$T1"
# after genesis a policy change is a change request: the threshold of
# each group (alice, bob; dave, erin) signs it, then it is applied
bgrun "$B" policy set --timelock 3600
check "policy set --timelock 3600 opens a change request" is_rc 0
check "... which changes nothing yet" has_out "nothing has changed yet"
tl=$(gb_id)
gb_sign run "$tl" alice bob dave erin
bgrun "$B" change apply "$tl"
check "the time lock change, signed by both groups, is applied" is_rc 0
bgrun "$B" policy show
check "policy show: the time lock is 3600 s" has_out "3600"
request "$B" 222200000001
r3=$id
set_time $((T1 + 10))
run approve "$r3" --as dave
bgrun "$B" release "$r3" --as rita
check "release without the quorum is refused" refused_with "quorum"
set_time $((T1 + 1000))
run approve "$r3" --as erin
check "the last approval meets the quorum" has_out "quorum is met"
bgrun "$B" release "$r3" --as rita
check "release right after the quorum is refused by the time lock" \
    refused_with "time lock"
check "it says when release is possible" has_err "possible in 3600 s"
check "the time lock refusal is recorded" \
    refusal_logged "$B" "$r3" release "time lock"
# an hour after the first approval, but not after the last one
set_time $((T1 + 10 + 3600))
bgrun "$B" release "$r3" --as rita
check "the lock runs from the last approval, not the first" \
    refused_with "possible in 990 s"
set_time $((T1 + 1000 + 3599))
bgrun "$B" release "$r3" --as rita
check "one second before the lock ends: refused" refused_with "possible in 1 s"
set_time $((T1 + 1000 + 3600))
bgrun "$B" release "$r3" --as rita
check "release when the lock has run works" is_rc 0
code8=$(totp SHA1 12345678901234567890 $((T1 + 4600)))
check "... and shows the (6-digit) code of that time" \
    has_out "^root-mfa: code ${code8: -6} "
bgrun "$B" release "$r3" --as rita
check "a second release is refused" refused_with "released"
bgrun "$B" audit verify
check "audit verify after the time lock" is_rc 0
bgrun "$B" vault verify
check "vault verify after the time lock" is_rc 0

# ================================= 4. the cap on burning slots (24 hours)
# dave approves 8 requests within a few minutes (each then denied by rita,
# who may hold 3 open requests); the 9th approval within 24 hours of the
# first is refused, and allowed once the first is 24 hours old.
T2=$((T1 + 2 * 86400))
first=$T2
for i in 1 2 3 4 5 6 7 8; do
	set_time $((T2 + 60 * (i - 1)))
	request "$B" 222200000001
	run approve "$id" --as dave
	run deny "$id" --as rita --reason "cap drill $i"
done
set_time $((first + 86400 - 1))
request "$B" 222200000001
r9=$id
cp "$B/requests/$r9.json" "$dir/before.json"
n0=$(nrefusals "$B" "$r9")
bgrun "$B" approve "$r9" --as dave
check "a 9th approval within 24 hours is refused" \
    refused_with "dave has approved 8 times in 24 hours"
check "the capped approval is recorded as request.refused" \
    refusal_logged "$B" "$r9" approve "8 times in 24 hours"
check "... once" test "$(nrefusals "$B" "$r9")" -eq $((n0 + 1))
check "the capped approval left the request file unchanged" \
    cmp -s "$B/requests/$r9.json" "$dir/before.json"
bgrun "$B" approve "$r9" --as erin
check "another custodian (erin) is not capped" is_rc 0
bgrun "$B" status "$r9"
check "the request holds erin's approval only" \
    test "$(grep -c '^  approved: ' "$out")" -eq 1 -a \
    "$(grep -c '^  approved: erin ' "$out")" -eq 1
set_time $((first + 86400 + 1))
bgrun "$B" approve "$r9" --as dave
check "24 hours after the first burn dave approves again" is_rc 0
check "... and meets the quorum" has_out "quorum is met"
bgrun "$B" vault show
check "vault show: every approved request burned one slot (3 + 9 of 32)" \
    has_out "item root-mfa .* slots left 20 of 32"
bgrun "$B" audit verify
check "audit verify after the cap" is_rc 0
bgrun "$B" vault verify
check "vault verify after the cap" is_rc 0

echo "$pass passed, $failed failed ($((SECONDS - start)) s)"
[ "$failed" -eq 0 ]
