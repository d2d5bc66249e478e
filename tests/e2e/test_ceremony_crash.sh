#!/bin/bash
# tests/e2e/test_ceremony_crash.sh: crash safety of the vault and the
# ceremony as shipped (the unmodified binary, software tokens preloaded as
# in test_token_cli.sh). Each of `vault arm`, `seal`, `approve` and
# `release` is started, SIGKILLed after a random delay, many times; after
# every kill:
#   - `vault verify` exits 0 (it is a writer: it settles the interrupted
#     write), no *.pending file is left, then `audit verify` exits 0;
#   - the change happened fully or not at all, and the ceremony goes on:
#       arm      re-running arms the account or finds it armed; both groups
#                are keyed;
#       seal     the item's version went up by one or not at all; sealing
#                again goes up by exactly one;
#       approve  re-running approves or says "already approved"; the quorum
#                is then met;
#       release  re-running releases (showing the sealed password) or says
#                the request is released, with release.done in the log.
# At the end a full ceremony on an account armed under fire and on the
# account sealed under fire shows the last sealed password.
#
# The delays come from a seed printed at the start (BG_CRASH_SEED=N
# repeats it; the kill moments still vary with the machine's speed).
# Delays are spread over the command's own duration, measured first.
# BG_CRASH_SECONDS (default 60) bounds the time of the kill loops; each
# command gets at least BG_CRASH_MIN (5) and at most BG_CRASH_MAX (25)
# kills.
#
# usage: test_ceremony_crash.sh BREAKGLASS BG_VFIDO BG_VYK LIBBGVFIDO
#            LIBBGVYK [LIBBGCLOCK] [asan|plain]
# LIBBGCLOCK is accepted for symmetry with test_ceremony_time.sh and not
# preloaded: this test runs on the real clock.
set -u

if [ $# -lt 5 ]; then
	echo "usage: $0 BREAKGLASS BG_VFIDO BG_VYK LIBBGVFIDO LIBBGVYK" \
	    "[LIBBGCLOCK] [asan|plain]" >&2
	exit 2
fi
bg=$1
vfido=$2
vyk=$3
pre_fido=$4
pre_yk=$5
mode=plain
for a in "${@:6}"; do
	case $a in asan|plain) mode=$a ;; esac
done


seed=${BG_CRASH_SEED:-$(( ($(date +%s%N) / 1000) % 32768 ))}
budget=${BG_CRASH_SECONDS:-60}
min_iter=${BG_CRASH_MIN:-5}
max_iter=${BG_CRASH_MAX:-25}
echo "# seed $seed (BG_CRASH_SEED=$seed repeats it), budget $budget s," \
    "$min_iter..$max_iter kills per command, $mode build"
RANDOM=$seed

bad_note="seed $seed"
. "${BASH_SOURCE%/*}/lib.sh"
dir=$(mktemp -d "${TMPDIR:-/tmp}/bg_cer_crash.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
virt=$dir/virtual
mkdir "$virt"
state=$dir/state
out=$dir/stdout
err=$dir/stderr
start=$SECONDS




# Quiet checks for the many iterations: only failures are printed, and
# each iteration ends with one "ok" line if everything held.
iter_bad=0
icheck() {
	local desc=$1
	shift
	if ! "$@"; then
		iter_bad=1
		bad "$desc"
	fi
}

# A step that must work: the test cannot go on without it.
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

bgrun() {
	env "${asan_env[@]}" LD_PRELOAD="$pre_fido:$pre_yk" \
	    BG_VIRTUAL_DIR="$virt" "$bg" --state "$state" "$@" \
	    >"$out" 2>"$err"
	rc=$?
}
run() { must "$*" bgrun "$@"; }


now_ms() { echo $(($(date +%s%N) / 1000000)); }

# killrun DELAY_MS STDIN ARGS...: starts the command, SIGKILLs it after
# DELAY_MS; $killed is 1 if the signal ended it, 0 if it had exited.
killed=0
killrun() {
	local ms=$1 in=$2 pid
	shift 2
	env "${asan_env[@]}" LD_PRELOAD="$pre_fido:$pre_yk" \
	    BG_VIRTUAL_DIR="$virt" "$bg" --state "$state" "$@" \
	    >"$out" 2>"$err" <"$in" &
	pid=$!
	sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rc=$?
	if [ "$rc" -eq 137 ]; then killed=1; else killed=0; fi
}

# timed ARGS...: runs the command normally; $took is its time in ms
timed() {
	local t0
	t0=$(now_ms)
	bgrun "$@"
	took=$(($(now_ms) - t0))
}

# a delay in 0 .. 1.2 * the command's measured duration (ms)
delay() { echo $((RANDOM * 32768 + RANDOM)) | awk -v d="$1" \
    '{ printf "%d\n", ($1 % 1000000) / 1000000 * d * 1.2 }'; }

# The state is whole again: vault verify (settles), no pending file left,
# audit verify.
litter=0
settled() {
	local tmps
	bgrun vault verify
	icheck "$1: vault verify exits 0 after the kill" is_rc 0
	# Temp files of interrupted atomic writes (NAME.tmp.PID.RANDOM) that
	# nothing removed. Noted, then removed, so that one leftover does
	# not fail every later iteration too (its failure is counted above).
	tmps=$(find "$state" -name '*.tmp.*' | sed "s|^$state/||")
	if [ -n "$tmps" ]; then
		litter=$((litter + $(echo "$tmps" | wc -l)))
		echo "note - $1: left after vault verify:" $tmps
		(cd "$state" && rm -f $tmps)
		if [ "$rc" -ne 0 ]; then
			bgrun vault verify
			icheck "$1: vault verify exits 0 once the temp files are gone" \
			    is_rc 0
		fi
	fi
	local pend
	pend=$(find "$state" -name '*.pending' | head -3)
	icheck "$1: no .pending file is left after vault verify ($pend)" \
	    test -z "$pend"
	bgrun audit verify
	icheck "$1: audit verify exits 0 after the kill" is_rc 0
}

# keep looping? (iteration count, phase start in s)
more() {
	[ "$1" -lt "$max_iter" ] &&
	    { [ "$1" -lt "$min_iter" ] || [ $((SECONDS - $2)) -lt $((budget / 4)) ]; }
}

# a root password that meets the rules: fixed classes, random body
newpw() {
	local cs=ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789 s= i
	for i in $(seq 20); do s+=${cs:$((RANDOM % ${#cs})):1}; done
	echo "Qz7#${s}"
}

version_of() {	# ACCOUNT ITEM -> version in `vault show`, or 0
	bgrun vault show
	awk -v a="$1" -v it="$2" '
	    /^account / { cur = $2 }
	    cur == a && $1 == "item" && $2 == it { sub(/^v/, "", $4); print $4; f = 1 }
	    END { if (!f) print 0 }' "$out"
}

# ------------------------------------------------------------- setup
for p in alice bob dave erin; do
	"$vfido" "$virt" create "$p" >/dev/null || exit 1
done
for s in 3001 3002 3003; do	# carol, frank, rita
	"$vyk" "$virt" create "$s" >/dev/null || exit 1
	"$vyk" "$virt" program "$s" 2 >/dev/null || exit 1
done
A0=400000000000
run init --account "$A0" --account-name crash --root-email root@example.com
for p in alice bob carol; do run custodian add "$p" --group password; done
for p in dave erin frank; do run custodian add "$p" --group mfa; done
run requester add rita
run policy set --threshold password=2 --threshold mfa=2
for p in alice bob dave erin; do
	run token enroll "$p" --fido2 --device "$("$vfido" "$virt" path "$p")"
done
run token enroll carol --yubikey --serial 3001
run token enroll frank --yubikey --serial 3002
run token enroll rita --yubikey --serial 3003
timed vault arm
must "vault arm" is_rc 0
t_arm=$took
pw=$(newpw)
echo "$pw" >"$dir/pw"
timed seal "$A0" root-password <"$dir/pw"
must "seal root-password" is_rc 0
t_seal=$took
expected_pw=$pw
run seal "$A0" root-mfa --base32 - <<<GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
# approve/release are timed on the first request of their phases
echo "# setup took $((SECONDS - start)) s; arm ${t_arm} ms, seal ${t_seal} ms"

# ======================================================== vault arm
phase=$SECONDS
n=0; done_n=0; cut=0
armed_ok=""
while more "$n" "$phase"; do
	n=$((n + 1))
	iter_bad=0
	acct=$((410000000000 + n))
	run account add "$acct" --account-name "crash$n" \
	    --root-email "root$n@example.com"
	killrun "$(delay "$t_arm")" /dev/null vault arm
	[ "$killed" -eq 1 ] && cut=$((cut + 1))
	settled "arm #$n"
	bgrun vault show
	keyed=$(grep -A3 "^account $acct " "$out" | grep -c "armed: 2 of 3")
	icheck "arm #$n: after the kill none or both groups are keyed ($keyed)" \
	    test "$keyed" -eq 0 -o "$keyed" -eq 2
	if [ "$keyed" -eq 2 ]; then
		done_n=$((done_n + 1))
		[ "$killed" -eq 1 ] && armed_ok=$acct
	fi
	bgrun vault arm
	icheck "arm #$n: arm again exits 0" is_rc 0
	icheck "arm #$n: arm again keys the account or finds it armed" \
	    grep -Eq "^(armed: 2 group key|every account is armed already)" "$out"
	bgrun vault show
	icheck "arm #$n: both groups of the account are keyed" test \
	    "$(grep -A3 "^account $acct " "$out" | grep -c "armed: 2 of 3")" -eq 2
	[ "$iter_bad" -eq 0 ] && ok "arm #$n: killed=$killed, state whole, arm goes on"
done
echo "# vault arm: $n kills ($cut during the run), $done_n had armed before the kill"
[ -z "$armed_ok" ] && armed_ok=$acct

# ============================================================= seal
phase=$SECONDS
n=0; done_n=0; cut=0
v=$(version_of "$A0" root-password)
while more "$n" "$phase"; do
	n=$((n + 1))
	iter_bad=0
	pw=$(newpw)
	echo "$pw" >"$dir/pw"
	killrun "$(delay "$t_seal")" "$dir/pw" seal "$A0" root-password
	[ "$killed" -eq 1 ] && cut=$((cut + 1))
	settled "seal #$n"
	v2=$(version_of "$A0" root-password)
	if [ "$v2" -eq $((v + 1)) ]; then
		done_n=$((done_n + 1))
		expected_pw=$pw
	else
		icheck "seal #$n: the version is $v or $((v + 1)), not $v2" \
		    test "$v2" -eq "$v"
	fi
	v=$v2
	pw=$(newpw)
	echo "$pw" >"$dir/pw"
	bgrun seal "$A0" root-password <"$dir/pw"
	icheck "seal #$n: sealing again exits 0" is_rc 0
	[ "$rc" -eq 0 ] && expected_pw=$pw
	v2=$(version_of "$A0" root-password)
	icheck "seal #$n: sealing again makes version $((v + 1))" \
	    test "$v2" -eq $((v + 1))
	v=$v2
	[ "$iter_bad" -eq 0 ] && ok "seal #$n: killed=$killed, state whole, version $v"
done
echo "# seal: $n kills ($cut during the run), $done_n had sealed before the kill"

# request: sets $id (rita, root-password of A0)
request() {
	run request "$A0" --reason "crash drill" --items root-password --as rita
	id=$(sed -n 's/^request \([0-9a-f]\{32\}\) opened by rita .*/\1/p' "$out")
	[ -n "$id" ] || { bad "request prints its id"; exit 1; }
}

# ========================================================== approve
# alice approves normally; bob (FIDO2) or carol (YubiKey) is killed.
phase=$SECONDS
n=0; done_n=0; cut=0
ready=()
request
run approve "$id" --as alice
timed approve "$id" --as bob
must "approve (timing)" is_rc 0
t_approve=$took
ready+=("$id")
while more "$n" "$phase"; do
	n=$((n + 1))
	iter_bad=0
	who=bob
	[ $((n % 2)) -eq 0 ] && who=carol
	request
	run approve "$id" --as alice
	killrun "$(delay "$t_approve")" /dev/null approve "$id" --as "$who"
	[ "$killed" -eq 1 ] && cut=$((cut + 1))
	settled "approve #$n ($who)"
	bgrun approve "$id" --as "$who"
	if [ "$rc" -eq 0 ]; then
		icheck "approve #$n: approving again meets the quorum" \
		    has_out "quorum is met"
	else
		done_n=$((done_n + 1))
		icheck "approve #$n: approving again says already approved" \
		    has_err "already approved"
	fi
	bgrun status "$id"
	icheck "approve #$n: status: quorum met" has_out "quorum met"
	icheck "approve #$n: status: $who approved once" \
	    test "$(grep -c "approved: $who " "$out")" -eq 1
	ready+=("$id")
	[ "$iter_bad" -eq 0 ] && ok "approve #$n ($who): killed=$killed, state whole, approval whole"
done
echo "# approve: $n kills ($cut during the run), $done_n had approved before the kill"

# ========================================================== release
phase=$SECONDS
n=0; done_n=0; cut=0; lost_mark=0
id=${ready[0]}
ready=("${ready[@]:1}")
timed release "$id" --as rita
must "release (timing)" is_rc 0
t_release=$took
check "release shows the sealed password" has_out "^root-password: $expected_pw\$"
echo "# approve ${t_approve} ms, release ${t_release} ms"
while more "$n" "$phase"; do
	n=$((n + 1))
	iter_bad=0
	if [ "${#ready[@]}" -gt 0 ]; then
		id=${ready[0]}
		ready=("${ready[@]:1}")
	else
		request
		run approve "$id" --as alice
		run approve "$id" --as bob
	fi
	killrun "$(delay "$t_release")" /dev/null release "$id" --as rita
	[ "$killed" -eq 1 ] && cut=$((cut + 1))
	settled "release #$n"
	bgrun release "$id" --as rita
	if [ "$rc" -eq 0 ]; then
		icheck "release #$n: releasing again shows the sealed password" \
		    has_out "^root-password: $expected_pw\$"
	else
		done_n=$((done_n + 1))
		icheck "release #$n: releasing again says it is released" \
		    has_err "is released"
		bgrun audit show --json --event release.done --request "$id"
		icheck "release #$n: release.done is in the log" \
		    test "$(wc -l <"$out")" -eq 1
		# the rotation mark (items.rotation_due) comes before
		# release.done, so a release is never without it (a retry
		# after a kill between the two may mark twice)
		bgrun audit show --json --event items.rotation_due --request "$id"
		if [ "$(wc -l <"$out")" -lt 1 ]; then
			lost_mark=$((lost_mark + 1))
		fi
		icheck "release #$n: the items are marked for rotation" \
		    test "$(wc -l <"$out")" -ge 1
	fi
	bgrun status "$id"
	icheck "release #$n: the request is released" \
	    has_out "^request $id  \\[released\\]"
	[ "$iter_bad" -eq 0 ] && ok "release #$n: killed=$killed, state whole, release whole"
done
echo "# release: $n kills ($cut during the run), $done_n had released" \
    "before the kill, $lost_mark lost the rotation mark"

# ================================================= the ceremony goes on
pw=$(newpw)
echo "$pw" >"$dir/pw"
bgrun seal "$armed_ok" root-password <"$dir/pw"
check "seal on an account armed under fire ($armed_ok)" is_rc 0
bgrun request "$armed_ok" --reason "after the storm" --as rita
check "request on it" is_rc 0
id=$(sed -n 's/^request \([0-9a-f]\{32\}\) opened by rita .*/\1/p' "$out")
for p in alice carol; do
	bgrun approve "$id" --as "$p"
	check "approve by $p" is_rc 0
done
bgrun release "$id" --as rita
check "release shows the password sealed to the account armed under fire" \
    has_out "^root-password: $pw\$"
request
for p in alice bob; do run approve "$id" --as "$p"; done
bgrun release "$id" --as rita
check "release on $A0 shows the last password sealed under fire" \
    has_out "^root-password: $expected_pw\$"
bgrun vault verify
check "vault verify at the end" is_rc 0
bgrun audit verify
check "audit verify at the end" is_rc 0

echo "# $litter temp file(s) of interrupted writes were left behind"
echo "$pass passed, $failed failed ($((SECONDS - start)) s, seed $seed)"
[ "$failed" -eq 0 ]
