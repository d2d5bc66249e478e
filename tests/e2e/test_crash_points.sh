#!/bin/bash
# tests/e2e/test_crash_points.sh: a crash is not an attack (issue 16).
# Each ceremony command is SIGKILLed at every write, fsync, rename and
# unlink it makes, in turn (strace's fault injection: the signal arrives
# as the call is entered), each time on a copy of the state as it was
# before the command. After every kill:
#   - `audit verify` exits 0, says nothing of tampering, and records no
#     audit.verify_failed (none in the log, none spooled for alerting);
#   - `vault verify` (a writer: it settles what the kill left) exits 0;
#   - no temp file (NAME.tmp.*) is left in the state directory;
#   - `audit verify` still exits 0.
# The commands: audit note, seal, request, the approval that meets the
# quorum, deny, release and change apply (a requester added after the
# genesis), all on software tokens preloaded as in
# test_token_cli.sh. Skipped, saying so, where strace cannot trace.
# The release, dumped by gdb as it exits, holds no released password
# (a dump as it writes the password does: the control).
# What seal reads on stdin (100 MB, /dev/zero) is refused at its bound.
# Last, a command awaiting a person (erin's PIN, a typed password) holds
# no lock: another command runs meanwhile and the first then finishes.
#
# With BENCH_FILL, the log is then grown past BG_STATE_FOLD_EVERY entries and
# `status` is killed at each call of the snapshot it anchors and writes
# (STATE/index/fold, docs/audit.md "Snapshots"): the same checks hold,
# vault verify's check of anchored snapshots among them.
#
# usage: test_crash_points.sh BREAKGLASS BG_VFIDO BG_VYK LIBBGVFIDO
#            LIBBGVYK [asan|plain] [BENCH_FILL]
set -u

if [ $# -lt 5 ]; then
	echo "usage: $0 BREAKGLASS BG_VFIDO BG_VYK LIBBGVFIDO LIBBGVYK" \
	    "[asan|plain]" >&2
	exit 2
fi
bg=$1
vfido=$2
vyk=$3
pre_fido=$4
pre_yk=$5
mode=${6:-plain}
fill=${7:-}

. "${BASH_SOURCE%/*}/lib.sh"
# LeakSanitizer cannot run under ptrace (it aborts the traced command);
# every command here runs under strace, so leaks are left to the other
# tests, which run the same commands untraced.
[ "$mode" != asan ] ||
	asan_env=("${asan_env[0]}:detect_leaks=0")
if ! strace -f -qq -o /dev/null -e inject=fsync:error=EIO:when=1 true \
    2>/dev/null; then
	echo "ok - skipped: strace cannot trace here (not installed, or" \
	    "ptrace is not allowed); no kill point was tried"
	exit 0
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/bg_crash_points.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
virt=$dir/virtual
state=$dir/state
out=$dir/stdout
err=$dir/stderr
mkdir "$virt"

# the calls a kill lands on
CALLS="write pwrite64 writev fsync fdatasync rename renameat renameat2 \
ftruncate unlink unlinkat linkat"

bgenv() {
	env "${asan_env[@]}" LD_PRELOAD="$pre_fido:$pre_yk" \
	    BG_VIRTUAL_DIR="$virt" "$@"
}
# erin's token has a PIN (4321), given on fd 3 to whatever erin does
bgrun() {
	[[ " $* " != *" --as erin "* && " $* " != *" enroll erin "* ]] ||
	    set -- "$@" --pin-fd 3
	bgenv "$bg" --state "$state" "$@" >"$out" 2>"$err" \
	    <"${bgin:-/dev/null}" 3<"$dir/pin"
	rc=$?
}
must() {
	"$@"
	if [ "$rc" -ne 0 ]; then
		bad "set-up: $*"
		echo "$pass passed, $failed failed (stopped)"
		exit 1
	fi
}

# ------------------------------------------------------------- setup
for p in alice bob dave; do
	"$vfido" "$virt" create "$p" >/dev/null || exit 1
done
"$vfido" "$virt" create erin --pin 4321 >/dev/null || exit 1
echo 4321 >"$dir/pin"
for s in 3001 3002 3003; do	# carol, frank, rita
	"$vyk" "$virt" create "$s" >/dev/null || exit 1
	"$vyk" "$virt" program "$s" 2 >/dev/null || exit 1
done
A0=400000000000
must bgrun init --account "$A0" --account-name crash \
    --root-email root@example.com
for p in alice bob carol; do must bgrun custodian add "$p" --group password; done
for p in dave erin frank; do must bgrun custodian add "$p" --group mfa; done
must bgrun requester add rita
must bgrun policy set --threshold password=2 --threshold mfa=2
for p in alice bob dave erin; do
	must bgrun token enroll "$p" --fido2 --device \
	    "$("$vfido" "$virt" path "$p")"
done
must bgrun token enroll carol --yubikey --serial 3001
must bgrun token enroll frank --yubikey --serial 3002
must bgrun token enroll rita --yubikey --serial 3003
gb_genesis bgrun alice bob carol dave erin frank rita
must true
echo 'Qz7#crash-points-Passw0rd-1' >"$dir/pw"

snap() { rm -rf "$dir/snap"; mkdir "$dir/snap"; cp -a "$state" "$virt" "$dir/snap/"; }
restore() {
	rm -rf "$state" "$virt"
	cp -a "$dir/snap/state" "$dir/snap/virtual" "$dir/"
}

# calls_of STDIN ARGS...: the command run whole on a restored copy
# (it must exit 0); $dir/calls receives how many of each call in $CALLS
# it makes, as "NAME COUNT" lines
calls_of() {
	local in=$1
	shift
	restore
	bgenv strace -f -qq -o "$dir/trace" -e trace="${CALLS// /,}" \
	    "$bg" --state "$state" "$@" >"$out" 2>"$err" <"$in"
	rc=$?
	sed -n 's/^[0-9]* *\([a-z0-9_]*\)(.*/\1/p' "$dir/trace" | sort | uniq -c |
	    awk '{ print $2, $1 }' >"$dir/calls"
	[ "$rc" -eq 0 ] || bad "$*: works when not killed"
}

# clean WHAT: the state after a kill is no alarm and settles
no_alarm() {
	! grep -q TAMPERED "$out" && [ "$(nverify_failed)" -eq 0 ]
}
nverify_failed() {
	{ bgenv "$bg" --state "$state" audit show --json \
	    --event audit.verify_failed 2>/dev/null
	  cat "$state"/spool/* 2>/dev/null | grep -a verify_failed; } | wc -l
}
tmp_left() { find "$state" -name '*.tmp.*' | head -n 3; }
clean() {
	local what=$1 t
	bgrun audit verify
	[ "$rc" -eq 0 ] && no_alarm || { bad "$what: audit verify exits 0, no alarm"; return 1; }
	bgrun vault verify
	[ "$rc" -eq 0 ] || { bad "$what: vault verify exits 0"; return 1; }
	t=$(tmp_left)
	[ -z "$t" ] || { rc=1; echo "$t" >"$out"; bad "$what: no temp file is left ($t)"; return 1; }
	bgrun audit verify
	[ "$rc" -eq 0 ] && no_alarm || { bad "$what: audit verify exits 0 after the writer"; return 1; }
}

# points NAME STDIN ARGS...: the command killed at each of its calls
total=0
points() {
	local name=$1 in=$2 sc n i tried=0 bad0=$failed
	shift 2
	snap
	calls_of "$in" "$@"
	while read -r sc n; do
		for i in $(seq 1 "$n"); do
			restore
			bgenv strace -f -qq -o /dev/null \
			    -e inject="$sc":signal=KILL:when="$i" \
			    "$bg" --state "$state" "$@" >"$out" 2>"$err" <"$in"
			tried=$((tried + 1))
			clean "$name killed at $sc #$i" || true
		done
	done <"$dir/calls"
	restore
	total=$((total + tried))
	rc=0
	check "$name: killed at each of its $tried calls; every time audit verify exits 0 with no alarm, the next writer settles the state, no temp file is left" \
	    test "$failed" -eq "$bad0" -a "$tried" -gt 0
}

points "audit note" /dev/null audit note "a crash drill"
points "seal" "$dir/pw" seal "$A0" root-password --as alice
bgin=$dir/pw must bgrun seal "$A0" root-password --as alice
points "request" /dev/null request "$A0" --reason "crash drill" \
    --items root-password --as rita
must bgrun request "$A0" --reason "crash drill" --items root-password --as rita
id=$(grep -oE '[0-9a-f]{32}' "$out" | head -n 1)
must bgrun approve "$id" --as alice
points "approve (meets the quorum)" /dev/null approve "$id" --as bob
points "deny" /dev/null deny "$id" --as carol --reason "crash drill"
must bgrun approve "$id" --as bob
points "release" /dev/null release "$id" --as rita
if [ -n "$fill" ]; then
	"$fill" "$state" 2100 || bad "bench_fill grows the log"
	points "status (anchoring a snapshot)" /dev/null status
	bgrun status
	check "... run whole, it anchors one" test -s "$state/index/fold"
fi
# ------------------------------------------------ what a dump would hold
# The release run under gdb and dumped (gcore) twice: as it writes the
# password to the terminal, and as it exits. The password is in its
# memory at the first (gdb reads it there: the control) but in neither
# dump (it lives in OpenSSL's secure heap: locked, MADV_DONTDUMP, wiped
# before exit). Plain builds only (an ASan process maps terabytes of shadow)
# and where gdb can trace.
PW1='Qz7#crash-points-Passw0rd-1'
# dump_at STOP [CMD]: the release under gdb, stopped at STOP (a catch or
# break command), CMD run there, then dumped to $dir/core
dump_at() {
	restore
	rm -f "$dir/core"
	gdb -batch -nx -q -ex "set disable-randomization off" \
	    -ex "set environment LD_PRELOAD=$pre_fido:$pre_yk" \
	    -ex "set environment BG_VIRTUAL_DIR=$virt" \
	    -ex "$1" -ex run -ex "${2:-echo}" -ex "gcore $dir/core" -ex kill \
	    --args "$bg" --state "$state" release "$id" --as rita \
	    </dev/null >"$out" 2>"$err"
}
memory_dump() {
	local core=$dir/core
	dump_at "break bg_write_secret" "x/s parts[2]"
	if [ ! -s "$core" ]; then
		echo "ok - skipped: gdb could not dump the release here:" \
		    "$(tail -n 1 "$err")"
		return 0
	fi
	rc=0
	check "release under gdb, as it writes: the password is in its memory (control)" \
	    grep -qF "\"$PW1\"" "$out"
	check "... the request id is in the dump (control)" \
	    grep -qaF "$id" "$core"
	check "... the password is not in the dump" \
	    eval '! grep -qaF "$PW1" "$core"'
	dump_at "catch syscall exit_group"
	check "release under gdb, as it exits: the password reached the terminal (control)" \
	    grep -qF "$PW1" "$out"
	check "... the request id is in the dump (control)" \
	    grep -qaF "$id" "$core"
	check "... the password is not in the dump" \
	    eval '! grep -qaF "$PW1" "$core"'
	rm -f "$core"
}
if [ "$mode" = plain ] && command -v gdb >/dev/null; then
	memory_dump
else
	echo "ok - skipped: memory dump (ASan build, or no gdb)"
fi
restore
must bgrun requester add sam
cid=$(gb_id)
gb_sign bgrun "$cid" alice bob dave erin
must true
points "change apply" /dev/null change apply "$cid"
# ------------------------------------------ nobody waits on a person
# A command awaiting a person (a PIN, a typed password) holds no lock:
# another command runs meanwhile, and the first then finishes, its
# checks made again against the state as it is then.
# waiting NAME FIFO_FD ARGS...: starts the command with fd FIFO_FD (0 or
# 3) reading $dir/fifo; $waiter is its pid
waiting() {
	local fd=$2
	shift 2
	rm -f "$dir/fifo"
	mkfifo "$dir/fifo"
	if [ "$fd" = 3 ]; then
		bgenv "$bg" --state "$state" "$@" >"$dir/w.out" 2>"$dir/w.err" \
		    </dev/null 3<"$dir/fifo" &
	else
		bgenv "$bg" --state "$state" "$@" >"$dir/w.out" 2>"$dir/w.err" \
		    <"$dir/fifo" &
	fi
	waiter=$!
	exec 4>"$dir/fifo"	# the person has not typed yet
	sleep 1
}
# meanwhile WHAT: audit note runs to its end while the first waits
meanwhile() {
	local t0=$SECONDS
	bgrun audit note "meanwhile: $1"
	check "while $1, another command works (audit note: exit $rc, $((SECONDS - t0)) s)" \
	    test "$rc" -eq 0
	check "... and the first still waits" kill -0 "$waiter"
}
# typed TEXT: the person types; the first command finishes
typed() {
	echo "$1" >&4
	exec 4>&-
	wait "$waiter"
	rc=$?
	cp "$dir/w.out" "$out"
	cp "$dir/w.err" "$err"
}
must bgrun requester add tom
cid=$(gb_id)
waiting "erin's PIN" 3 change approve "$cid" --as erin --pin-fd 3
meanwhile "erin's token awaits her PIN"
typed 4321
check "erin's change approval, once her PIN came, is recorded (exit 0)" \
    is_rc 0
bgrun change status "$cid"
check "... and change status shows it" has_out "erin"
waiting "alice's password" 0 seal "$A0" root-password --as alice
meanwhile "seal awaits the password alice types"
typed 'Qz7#while-another-ran-Passw0rd-2'
check "the seal, once the password came, is recorded (exit 0)" is_rc 0
waiting "bob's password" 0 seal "$A0" root-password --as bob
bgin=$dir/pw must bgrun seal "$A0" root-password --as alice
typed 'Qz7#sealed-over-meanwhile-Passw0rd-3'
check "a seal whose item was sealed again meanwhile is checked again: refused, not as tampering (exit 1)" \
    is_rc 1
check "... saying it was sealed again and to seal again" \
    has_err "sealed again while bob sealed it.*seal again"
bgrun audit show --json --event vault.refused --actor bob
check "... recorded as vault.refused" has_out "sealed again while bob"
bgin=$dir/pw bgrun seal "$A0" root-password --as bob
check "sealing again then works" is_rc 0
# ------------------------------------------------ bounded secrets
# What seal reads is bounded (4 KiB) as it is read: 100 MB, or an endless
# /dev/zero, is refused at once (timeout only bounds a hang), and nothing
# is sealed.
nver() { grep -c '"event":"item.sealed"' "$state/audit/entries.jsonl"; }
before=$(nver)
head -c 100000000 /dev/zero | tr '\0' a >"$dir/big"
for src in "$dir/big" /dev/zero; do
	bgenv timeout 60 "$bg" --state "$state" seal "$A0" \
	    root-password --as bob >"$out" 2>"$err" <"$src"
	rc=$?
	check "seal with $(basename "$src") on stdin: refused (exit 1)" is_rc 1
	check "... as too long" has_err "longer than 4096 bytes"
	bgenv timeout 60 "$bg" --state "$state" seal "$A0" root-mfa \
	    --otpauth - --as dave >"$out" 2>"$err" <"$src"
	rc=$?
	check "seal --otpauth - with $(basename "$src") on stdin: refused (exit 1)" \
	    is_rc 1
	check "... as too long" has_err "longer than 4096 bytes"
done
rm -f "$dir/big"
rc=0
check "... nothing was sealed" test "$(nver)" -eq "$before"

bgrun audit verify
check "the log verifies after all of it" is_rc 0

echo "# $total kill points"
echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]
