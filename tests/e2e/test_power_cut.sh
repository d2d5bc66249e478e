#!/bin/bash
# tests/e2e/test_power_cut.sh: a power cut is not an attack (issue 16).
# The state lives on a loop-mounted ext4 file system. While a writer
# appends notes in a loop, the file system is shut down with
# EXT4_IOC_SHUTDOWN and EXT4_GOING_FLAGS_NOLOGFLUSH (what is not yet on
# the disk is lost, as when the power goes), unmounted and mounted again.
# Then, each round:
#   - `audit verify` exits 0 and says nothing of tampering (derived files
#     the cut left wrong are a warning, rebuilt from the entries);
#   - no audit.verify_failed is recorded or spooled;
#   - a second `audit verify` has nothing to warn of;
#   - every note the writer was told was recorded is in the log;
#   - the next note is recorded, and `audit verify` still exits 0.
# Needs root and loop devices: skipped, saying so, otherwise.
#
# usage: test_power_cut.sh BREAKGLASS [asan|plain]
set -u

if [ $# -lt 1 ]; then
	echo "usage: $0 BREAKGLASS [asan|plain]" >&2
	exit 2
fi
bg=$1
mode=${2:-plain}
rounds=${BG_POWER_ROUNDS:-6}
. "${BASH_SOURCE%/*}/lib.sh"

dir=$(mktemp -d "${TMPDIR:-/tmp}/bg_power_cut.XXXXXX") || exit 1
mnt=$dir/mnt
img=$dir/img
out=$dir/stdout
err=$dir/stderr
rc=0
cleanup() {
	mountpoint -q "$mnt" 2>/dev/null && umount "$mnt"
	rm -rf "$dir"
}
trap cleanup EXIT
mkdir "$mnt"

skip() {
	echo "ok - skipped: $1; no power cut was tried"
	exit 0
}
[ "$(id -u)" -eq 0 ] || skip "not root (a loop mount needs root)"
command -v mkfs.ext4 >/dev/null || skip "mkfs.ext4 is not installed"
truncate -s 64M "$img" && mkfs.ext4 -q -F "$img" 2>/dev/null ||
    skip "cannot make an ext4 image"
mount -o loop "$img" "$mnt" 2>/dev/null ||
    skip "cannot loop-mount (no loop device here)"

state=$mnt/state
bgrun() {
	env "${asan_env[@]}" "$bg" --state "$state" "$@" >"$out" 2>"$err"
	rc=$?
}
# shutdown: EXT4_IOC_SHUTDOWN = _IOR('X', 125, __u32), flag NOLOGFLUSH
shutdown_fs() {
	python3 -c 'import fcntl, os, struct, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
fcntl.ioctl(fd, 0x8004587d, struct.pack("I", 2))' "$mnt"
}
no_alarm() {
	! grep -q TAMPERED "$out" &&
	    ! "$bg" --state "$state" audit show --json \
	    --event audit.verify_failed 2>/dev/null | grep -q . &&
	    ! cat "$state"/spool/* 2>/dev/null | grep -aq verify_failed
}

bgrun audit init
check "audit init on the loop-mounted file system" is_rc 0
sync
total_acked=0
for r in $(seq 1 "$rounds"); do
	# the writer: notes in a loop; each acknowledged one is listed
	( for i in $(seq 1 400); do
		env "${asan_env[@]}" "$bg" --state "$state" audit note \
		    "round $r note $i" >/dev/null 2>&1 || exit 0
		echo "round $r note $i" >>"$dir/acked"
	  done ) &
	writer=$!
	sleep "0.$((RANDOM % 4 + 1))$((RANDOM % 10))"
	shutdown_fs
	wait "$writer"
	umount "$mnt" && mount -o loop "$img" "$mnt"
	check "round $r: mounted again after the power cut" test -d "$state/audit"
	bgrun audit verify
	check "round $r: audit verify exits 0 after the power cut" is_rc 0
	check "round $r: ... with no alarm (nothing TAMPERED, no audit.verify_failed)" no_alarm
	bgrun audit verify
	check "round $r: a second audit verify has nothing to warn of" \
	    eval '[ "$rc" -eq 0 ] && ! grep -q "warning" "$err"'
	bgrun audit show --json --event operator.note
	n_acked=$(grep -c "^round $r " "$dir/acked" 2>/dev/null)
	n_log=$(grep -c "\"round $r note " "$out")
	check "round $r: every acknowledged note is in the log ($n_acked acknowledged, $n_log in the log)" \
	    test "$n_log" -ge "$n_acked"
	total_acked=$((total_acked + n_acked))
	bgrun audit note "after round $r"
	check "round $r: the next note is recorded" is_rc 0
	bgrun audit verify
	check "round $r: audit verify exits 0 after it" is_rc 0
	sync
done
echo "# $rounds power cuts, $total_acked notes acknowledged before them"
echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]
