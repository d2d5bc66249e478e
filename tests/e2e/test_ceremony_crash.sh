#!/bin/bash
# tests/e2e/test_ceremony_crash.sh: crash safety of the vault and the
# ceremony as shipped (the unmodified binary, software tokens preloaded as
# in test_token_cli.sh), vault format v2 (docs/design.md §5.2), with its
# governance chain (docs/ceremony.md "Genesis and change requests"). Each
# of `vault arm` (which proposes the genesis as a change request),
# `change apply` of the genesis, `seal`, `approve` and `release` is
# started, SIGKILLed after a random delay, many times; after every kill:
#   - `vault verify` exits 0 (it is a writer: it settles the interrupted
#     write), no *.pending file is left, `vault show` exits 0 (the vault
#     loads: every commitments file versions/<root>.bin is there and
#     hashes to its name), then `audit verify` exits 0;
#   - the change happened fully or not at all, and the ceremony goes on:
#       arm      before genesis, the checks and the proposal of the
#                genesis: the kill changed no state file but for at most
#                one new change request (changes/<id>.json), recorded
#                change.opened at most once and only with its file, armed
#                nothing (no chain/, no fingerprint); arming again is
#                ready for genesis and opens one change request;
#       apply    of the genesis, signed by all seven people, from the same
#                state each time (a copy): the genesis applied fully
#                (chain/000000.json, chain.link logged once, the vault
#                fingerprint, `vault arm` says armed) or not at all (no
#                chain/ file, no chain.link, no fingerprint, sealing
#                refused); re-running `change apply` then applies it, or
#                finishes it or says it is applied, never making a second
#                link, and the change request ends closed as applied; the
#                next command (a seal) works;
#       seal     the item's version went up by one or not at all; sealing
#                again goes up by exactly one (sealers alice, FIDO2, and
#                carol, YubiKey, touch to sign);
#       approve  re-running approves or says "already approved"; the quorum
#                is then met, request.quorum_met is in the log before the
#                approval that completed it, and the release shows the
#                sealed password;
#       release  re-running releases (showing the sealed password) or says
#                the request is released, with release.done in the log
#                once and the exposure (request.quorum_met) before it.
# At the end a full ceremony on an account added while `vault arm` was
# killed (in the genesis applied under fire) and on the account sealed
# under fire shows the last sealed password.
#
# The delays come from a seed printed at the start (BG_CRASH_SEED=N
# repeats it; the kill moments still vary with the machine's speed).
# Delays are spread over the command's own duration, measured first.
# BG_CRASH_SECONDS (default 60) bounds the time of the kill loops; each
# command gets at least BG_CRASH_MIN (5) and at most BG_CRASH_MAX (25)
# kills.
#
# The wall clock is LIBBGCLOCK's (tests/virtual/clock), preloaded: it
# starts at the real time and moves 4 hours ahead before each request,
# so that no custodian burns more than 8 slots in 24 hours (the cap of
# docs/design.md §5.2) however many iterations run. When the item runs
# short of slots between iterations it is sealed again (rotated).
#
# usage: test_ceremony_crash.sh BREAKGLASS BG_VFIDO BG_VYK LIBBGVFIDO
#            LIBBGVYK LIBBGCLOCK [asan|plain]
set -u

if [ $# -lt 6 ]; then
	echo "usage: $0 BREAKGLASS BG_VFIDO BG_VYK LIBBGVFIDO LIBBGVYK" \
	    "LIBBGCLOCK [asan|plain]" >&2
	exit 2
fi
bg=$1
vfido=$2
vyk=$3
pre_fido=$4
pre_yk=$5
pre_clock=$6
mode=${7:-plain}


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
clock=$dir/clock
start=$SECONDS
now=$(date +%s)
echo "$now" >"$clock"
# advance SECONDS: the fake clock moves ahead
advance() {
	now=$((now + $1))
	echo "$now" >"$clock"
}




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
	env "${asan_env[@]}" LD_PRELOAD="$pre_clock:$pre_fido:$pre_yk" \
	    BG_VIRTUAL_DIR="$virt" BG_FAKE_CLOCK_FILE="$clock" \
	    "$bg" --state "$state" "$@" >"$out" 2>"$err"
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
	env "${asan_env[@]}" LD_PRELOAD="$pre_clock:$pre_fido:$pre_yk" \
	    BG_VIRTUAL_DIR="$virt" BG_FAKE_CLOCK_FILE="$clock" \
	    "$bg" --state "$state" "$@" >"$out" 2>"$err" <"$in" &
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
# the vault loads (vault show), audit verify.
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
	bgrun vault show
	icheck "$1: vault show exits 0 (every commitments file in place)" \
	    is_rc 0
	bgrun audit verify
	icheck "$1: audit verify exits 0 after the kill" is_rc 0
}

# keep looping? (iteration count, phase start in s)
more() {
	[ "$1" -lt "$max_iter" ] &&
	    { [ "$1" -lt "$min_iter" ] || [ $((SECONDS - $2)) -lt $((budget / 5)) ]; }
}

# a root password that meets the rules: fixed classes, random body
newpw() {
	local cs=ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789 s= i
	for i in $(seq 20); do s+=${cs:$((RANDOM % ${#cs})):1}; done
	echo "Qz7#${s}"
}

# SHA-256 of every state file but the audit log, the alert spool and
# the change requests
state_sum() {
	(cd "$state" && find . \( -path ./audit -o -path ./spool -o \
	    -path ./changes \) -prune -o -type f -print | LC_ALL=C sort |
	    xargs -r sha256sum)
}
# the change request files (changes/*.json)
nchanges() { find "$state/changes" -name '*.json' 2>/dev/null | wc -l; }
# the chain link files (chain/*.json)
nlinks() { find "$state/chain" -name '*.json' 2>/dev/null | wc -l; }
# nlogged EVENT [REQUEST]: how many such entries the log holds
nlogged() {
	bgrun audit show --json --event "$1" ${2:+--request "$2"}
	wc -l <"$out" | tr -d ' '
}
# seq_of EVENT ACTOR REQUEST: the seq of the first such entry ("" if
# none; ACTOR '*' is anyone)
seq_of() {
	bgrun audit show --json --event "$1" --request "$3"
	if [ "$2" = '*' ]; then cat "$out"; else
	    grep -F "\"actor\":\"$2\"" "$out"; fi | head -n 1 |
	    sed -n 's/^{"seq":\([0-9]*\),.*/\1/p'
}
# slots_left ACCOUNT ITEM -> the slots `vault show` says are left
slots_left() {
	bgrun vault show
	awk -v a="$1" -v it="$2" '
	    /^account / { cur = $2 }
	    cur == a && $1 == "item" && $2 == it {
		for (i = 1; i < NF; i++) if ($i == "left") print $(i + 1)
	    }' "$out"
}

version_of() {	# ACCOUNT ITEM -> version in `vault show`, or 0
	bgrun vault show
	awk -v a="$1" -v it="$2" '
	    /^account / { cur = $2 }
	    cur == a && $1 == "item" && $2 == it { sub(/^v/, "", $4); print $4; f = 1 }
	    END { if (!f) print 0 }' "$out"
}

# refused_with WORDS: exit 1 and WORDS in stderr
refused_with() { [ "$rc" -eq 1 ] && grep -q -- "$1" "$err"; }
# refused_genesis: the last command was refused (exit 1): no genesis yet
refused_genesis() { refused_with "no genesis"; }

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
PEOPLE=(alice bob carol dave erin frank rita)	# every token holder
timed vault arm
must "vault arm (proposes the genesis)" is_rc 0
t_arm=$took
first_id=$(gb_id)
must "vault arm prints the genesis change request" test -n "$first_id"
echo "# setup took $((SECONDS - start)) s; arm ${t_arm} ms"

# ======================================================== vault arm
# Before genesis arm checks the set-up and proposes the genesis: one new
# change request (changes/<id>.json, change.opened); nothing is armed.
# Each iteration adds an account first (before genesis a set-up command
# saves directly), so each proposal is of another state.
phase=$SECONDS
n=0; done_n=0; cut=0
armed_ok=""
while more "$n" "$phase"; do
	n=$((n + 1))
	iter_bad=0
	acct=$((410000000000 + n))
	run account add "$acct" --account-name "crash$n" \
	    --root-email "root$n@example.com"
	sum0=$(state_sum)
	open0=$(nlogged change.opened)
	ch0=$(nchanges)
	killrun "$(delay "$t_arm")" /dev/null vault arm
	[ "$killed" -eq 1 ] && cut=$((cut + 1))
	settled "arm #$n"
	icheck "arm #$n: the kill changed no state file but changes/" \
	    test "$(state_sum)" = "$sum0"
	open1=$(nlogged change.opened)
	ch1=$(nchanges)
	icheck "arm #$n: the killed arm recorded change.opened at most once ($open0 -> $open1)" \
	    test "$open1" -eq "$open0" -o "$open1" -eq $((open0 + 1))
	icheck "arm #$n: a change request file was added exactly when change.opened was recorded ($ch0 -> $ch1 files, $open0 -> $open1 entries)" \
	    test $((ch1 - ch0)) -eq $((open1 - open0))
	icheck "arm #$n: the killed arm armed nothing (no chain/ file)" \
	    test "$(nlinks)" -eq 0
	bgrun vault fingerprint
	icheck "arm #$n: no vault fingerprint before the genesis is applied" \
	    refused_genesis
	if [ "$open1" -eq $((open0 + 1)) ]; then
		done_n=$((done_n + 1))
		[ "$killed" -eq 1 ] && armed_ok=$acct
	fi
	bgrun vault arm
	icheck "arm #$n: arm again exits 0" is_rc 0
	icheck "arm #$n: arm again says the vault is ready for genesis" \
	    has_out "^ready for genesis"
	gid=$(gb_id)	# the proposal of the set-up as it is now
	icheck "arm #$n: arm again names the genesis change request" \
	    test -n "$gid"
	icheck "arm #$n: arm again records change.opened once" \
	    test "$(nlogged change.opened)" -eq $((open1 + 1))
	[ "$iter_bad" -eq 0 ] && ok "arm #$n: killed=$killed, state whole, arm goes on"
done
echo "# vault arm: $n kills ($cut during the run), $done_n had opened the change request before the kill"
[ -z "$armed_ok" ] && armed_ok=$acct
bgrun change apply "$first_id"
check "the first proposal (made before accounts were added) is not applied" \
    refused_with "set-up changed after this genesis was proposed"

# =========================================== change apply (the genesis)
# Every person signs the genesis; then `change apply` is killed, each
# time on a copy of the state as it was before the apply.
gb_sign run "$gid" "${PEOPLE[@]}"
snap=$dir/pre-apply
rm -rf "$snap"
cp -a "$state" "$snap"
restore() { rm -rf "$state"; cp -a "$snap" "$state"; }
timed change apply "$gid"
must "change apply of the genesis (timing)" is_rc 0
t_apply=$took
FP=$(gb_fp)
must "change apply prints the vault fingerprint" test -n "$FP"
phase=$SECONDS
n=0; done_n=0; cut=0; unclosed=0
while more "$n" "$phase"; do
	n=$((n + 1))
	iter_bad=0
	restore
	killrun "$(delay "$t_apply")" /dev/null change apply "$gid"
	[ "$killed" -eq 1 ] && cut=$((cut + 1))
	settled "apply #$n"
	links=$(nlogged chain.link)
	files=$(nlinks)
	bgrun vault fingerprint
	if [ "$rc" -eq 0 ]; then	# applied fully
		done_n=$((done_n + 1))
		icheck "apply #$n: applied: the fingerprint is the genesis's" \
		    has_out "$FP"
		icheck "apply #$n: applied: chain/ holds the genesis alone ($files)" \
		    test "$files" -eq 1 -a -f "$state/chain/000000.json"
		icheck "apply #$n: applied: chain.link is in the log once ($links)" \
		    test "$links" -eq 1
		bgrun vault arm
		icheck "apply #$n: applied: vault arm says the vault is armed" \
		    has_out "^the vault is armed"
		icheck "apply #$n: applied: ... with the genesis's fingerprint" \
		    has_out "fingerprint $FP"
		bgrun change apply "$gid"
		{ [ "$rc" -eq 0 ] && has_out "fingerprint $FP"; } ||
		    { [ "$rc" -ne 0 ] && has_err "is closed (applied)"; } ||
		    unclosed=$((unclosed + 1))
		icheck "apply #$n: applied: re-running change apply finishes it (exit 0, the genesis's fingerprint) or says it is closed (applied)" \
		    eval '{ [ "$rc" -eq 0 ] && has_out "fingerprint $FP"; } ||
		    { [ "$rc" -ne 0 ] && has_err "is closed (applied)"; }'
		bgrun change status "$gid"
		icheck "apply #$n: applied: the genesis change request is closed as applied" \
		    has_out "^  applied$"
	else				# not at all
		icheck "apply #$n: not applied: vault fingerprint says there is no genesis (exit 1)" \
		    refused_genesis
		icheck "apply #$n: not applied: chain/ holds no link ($files)" \
		    test "$files" -eq 0
		icheck "apply #$n: not applied: no chain.link in the log ($links)" \
		    test "$links" -eq 0
		bgrun seal "$A0" root-password --generate --as alice
		icheck "apply #$n: not applied: sealing is refused (no genesis)" \
		    refused_with "no genesis yet"
		bgrun change apply "$gid"
		icheck "apply #$n: not applied: re-running change apply arms the vault" \
		    is_rc 0
		icheck "apply #$n: ... with the genesis's fingerprint" \
		    has_out "^vault fingerprint $FP\$"
	fi
	icheck "apply #$n: one genesis, never a second link" \
	    test "$(nlogged chain.link)" -eq 1 -a "$(nlinks)" -eq 1
	icheck "apply #$n: vault.armed is in the log at most once" \
	    test "$(nlogged vault.armed)" -le 1
	pw=$(newpw)
	echo "$pw" >"$dir/pw"
	bgrun seal "$A0" root-password --as alice <"$dir/pw"
	icheck "apply #$n: the next command (seal) works" is_rc 0
	bgrun vault verify
	icheck "apply #$n: vault verify after the seal" is_rc 0
	bgrun audit verify
	icheck "apply #$n: audit verify after the seal" is_rc 0
	[ "$iter_bad" -eq 0 ] && ok "apply #$n: killed=$killed, the genesis whole ($([ "$links" -eq 1 ] && echo applied || echo not applied) at the kill), the ceremony goes on"
done
bgrun vault fingerprint
if [ "$rc" -ne 0 ]; then	# the last kill left no armed vault: go on
	echo "# the last kill left no armed vault: the genesis applied again from the copy"
	restore
	run change apply "$gid"
fi
echo "# change apply: $n kills ($cut during the run), $done_n had applied the genesis before the kill; $unclosed left its change request open"

pw=$(newpw)
echo "$pw" >"$dir/pw"
timed seal "$A0" root-password --as alice <"$dir/pw"
must "seal root-password --as alice" is_rc 0
t_seal=$took
expected_pw=$pw
run seal "$A0" root-mfa --base32 - --as dave <<<GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
echo "# apply ${t_apply} ms, seal ${t_seal} ms"

# ============================================================= seal
# the sealer touches a token to sign the version: alice (FIDO2) and carol
# (YubiKey) in turn
phase=$SECONDS
n=0; done_n=0; cut=0
v=$(version_of "$A0" root-password)
while more "$n" "$phase"; do
	n=$((n + 1))
	iter_bad=0
	sealer=alice
	[ $((n % 2)) -eq 0 ] && sealer=carol
	pw=$(newpw)
	echo "$pw" >"$dir/pw"
	killrun "$(delay "$t_seal")" "$dir/pw" seal "$A0" root-password \
	    --as "$sealer"
	[ "$killed" -eq 1 ] && cut=$((cut + 1))
	settled "seal #$n ($sealer)"
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
	bgrun seal "$A0" root-password --as "$sealer" <"$dir/pw"
	icheck "seal #$n: sealing again exits 0" is_rc 0
	[ "$rc" -eq 0 ] && expected_pw=$pw
	v2=$(version_of "$A0" root-password)
	icheck "seal #$n: sealing again makes version $((v + 1))" \
	    test "$v2" -eq $((v + 1))
	icheck "seal #$n: the new version has all 32 slots" \
	    test "$(slots_left "$A0" root-password)" -eq 32
	v=$v2
	[ "$iter_bad" -eq 0 ] && ok "seal #$n ($sealer): killed=$killed, state whole, version $v"
done
echo "# seal: $n kills ($cut during the run), $done_n had sealed before the kill"

# request: sets $id (rita, root-password of A0), 4 fake hours after the
# last one (so that no custodian burns 8 slots within 24 hours)
request() {
	advance 14400
	run request "$A0" --reason "crash drill" --items root-password --as rita
	id=$(sed -n 's/^request \([0-9a-f]\{32\}\) opened by rita .*/\1/p' "$out")
	[ -n "$id" ] || { bad "request prints its id"; exit 1; }
}
# fresh_slots: between iterations (no request open), root-password of A0
# is sealed again when fewer than 2 of its slots are left
fresh_slots() {
	local left
	left=$(slots_left "$A0" root-password)
	if [ "${left:-0}" -lt 2 ]; then
		pw=$(newpw)
		echo "$pw" >"$dir/pw"
		run seal "$A0" root-password --as alice <"$dir/pw"
		expected_pw=$pw
		echo "# root-password had $left slot(s) left: sealed again"
	fi
}
# quorum_first ID WHO: request.quorum_met is in the log before WHO's
# approval.granted of request ID (recorded before the shares)
quorum_first() {
	local q g
	q=$(seq_of request.quorum_met '*' "$1")
	g=$(seq_of approval.granted "$2" "$1")
	[ -n "$q" ] && [ -n "$g" ] && [ "$q" -lt "$g" ]
}

# ========================================================== approve
# alice approves normally; bob (FIDO2) or carol (YubiKey) is killed.
phase=$SECONDS
n=0; done_n=0; cut=0
request
run approve "$id" --as alice
timed approve "$id" --as bob
must "approve (timing)" is_rc 0
t_approve=$took
run release "$id" --as rita
while more "$n" "$phase"; do
	n=$((n + 1))
	iter_bad=0
	who=bob
	[ $((n % 2)) -eq 0 ] && who=carol
	fresh_slots
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
	icheck "approve #$n: request.quorum_met comes before $who's approval" \
	    quorum_first "$id" "$who"
	bgrun release "$id" --as rita
	icheck "approve #$n: the release shows the sealed password" \
	    has_out "^root-password: $expected_pw\$"
	[ "$iter_bad" -eq 0 ] && ok "approve #$n ($who): killed=$killed, state whole, approval whole"
done
echo "# approve: $n kills ($cut during the run), $done_n had approved before the kill"

# ========================================================== release
phase=$SECONDS
n=0; done_n=0; cut=0
fresh_slots
request
run approve "$id" --as alice
run approve "$id" --as bob
timed release "$id" --as rita
must "release (timing)" is_rc 0
t_release=$took
check "release shows the sealed password" has_out "^root-password: $expected_pw\$"
echo "# approve ${t_approve} ms, release ${t_release} ms"
while more "$n" "$phase"; do
	n=$((n + 1))
	iter_bad=0
	fresh_slots
	request
	run approve "$id" --as alice
	run approve "$id" --as bob
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
	fi
	icheck "release #$n: release.done is in the log once" \
	    test "$(nlogged release.done "$id")" -eq 1
	# the exposure (the versions a quorum opened, to rotate) is derived
	# from request.quorum_met, recorded before the shares: never lost
	q=$(seq_of request.quorum_met '*' "$id")
	d=$(seq_of release.done rita "$id")
	icheck "release #$n: request.quorum_met is in the log before release.done" \
	    test -n "$q" -a -n "$d" -a "${q:-0}" -lt "${d:-0}"
	bgrun vault show
	icheck "release #$n: vault show marks root-password for rotation" \
	    has_out "item root-password .*RELEASED: ROTATE"
	bgrun status "$id"
	icheck "release #$n: the request is released" \
	    has_out "^request $id  \\[released\\]"
	[ "$iter_bad" -eq 0 ] && ok "release #$n: killed=$killed, state whole, release whole"
done
echo "# release: $n kills ($cut during the run), $done_n had released" \
    "before the kill"

# ================================================= the ceremony goes on
pw=$(newpw)
echo "$pw" >"$dir/pw"
bgrun seal "$armed_ok" root-password --as alice <"$dir/pw"
check "seal on an account armed under fire ($armed_ok)" is_rc 0
advance 14400
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
fresh_slots
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
