#!/bin/bash
# tests/e2e/test_audit_cli.sh: `breakglass audit prove` and `audit
# consistency` as shipped: sizes that hold no such entry or tree are
# refused with a message, never answered for another size.
#
# usage: test_audit_cli.sh BREAKGLASS
set -u

if [ $# -lt 1 ]; then
	echo "usage: $0 BREAKGLASS" >&2
	exit 2
fi
bg=$1
mode=plain

. "${BASH_SOURCE%/*}/lib.sh"

dir=$(mktemp -d "${TMPDIR:-/tmp}/bg_audit_cli.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
out=$dir/stdout
err=$dir/stderr

bgrun() {
	"$bg" --state "$dir/state" "$@" >"$out" 2>"$err"
	rc=$?
}

no_proof() { ! grep -q "^proof \|^root " "$out"; }

# entry 0 is audit.init; four notes make a log of 5
bgrun audit init
check "audit init exits 0" is_rc 0
for i in 1 2 3 4; do
	bgrun audit note "note $i"
done
check "four notes recorded (entries 1..4)" has_out "recorded as entry 4"

# ------------------------------------------------------------ prove
bgrun audit prove 0 --size 0
check "prove --size 0: usage error (exit 2)" is_rc 2
check "prove --size 0: says an empty tree has no entries" \
    has_err "empty tree has no entries"
check "prove --size 0: prints no proof" no_proof
bgrun audit prove 3 --size 0
check "prove 3 --size 0: usage error (exit 2)" is_rc 2
check "prove 3 --size 0: prints no proof" no_proof

bgrun audit prove 3 --size 3
check "prove N --size N: refused (exit 1)" is_rc 1
check "prove N --size N: says there is no entry N" has_err "no entry 3 in a tree of 3"
check "prove N --size N: prints no proof" no_proof
bgrun audit prove 4 --size 2
check "prove N --size below N: refused" is_rc 1
check "prove N --size below N: says so" has_err "no entry 4 in a tree of 2"
bgrun audit prove 5
check "prove of the current size: refused" is_rc 1
check "prove of the current size: says so" has_err "no entry 5 in a tree of 5"
bgrun audit prove 0 --size 6
check "prove --size beyond the log: refused" is_rc 1
check "prove --size beyond the log: says so" has_err "only 5 entries"

bgrun audit prove 0 --size 3
check "prove 0 --size 3 exits 0" is_rc 0
check "prove 0 --size 3 is for a tree of 3" has_out "^tree size 3$"
bgrun audit prove 4
check "prove 4 (no --size) exits 0" is_rc 0
check "prove 4 (no --size) is for the current tree" has_out "^tree size 5$"

# ------------------------------------------------------ consistency
bgrun audit consistency 2 0
check "consistency NEW 0: usage error (exit 2)" is_rc 2
check "consistency NEW 0: says why" has_err "empty tree"
check "consistency NEW 0: prints no proof" no_proof
bgrun audit consistency 0 3
check "consistency from 0: refused" is_rc 1
check "consistency from 0: says why" has_err "need 0 < OLD <= NEW"
bgrun audit consistency 4 2
check "consistency OLD > NEW: refused" is_rc 1
bgrun audit consistency 2 5
check "consistency 2 5 exits 0" is_rc 0
check "consistency 2 5 is between 2 and 5" has_out "^new size 5$"

# ------------------------------------------------ a read-only file system
# (root only: a tmpfs remounted read-only; skipped, saying so, otherwise)
ro=$dir/ro
mkdir "$ro"
if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=8m none "$ro" 2>/dev/null; then
	"$bg" --state "$ro/state" audit init >/dev/null 2>&1
	if mount -o remount,ro "$ro" 2>/dev/null; then
		"$bg" --state "$ro/state" audit note "on a read-only disk" >"$out" 2>"$err"
		rc=$?
		check "a note on a read-only file system: refused" is_rc 1
		check "... naming the cause (read-only), not an I/O error" has_err "read-only"
	else
		echo "skip - cannot remount a tmpfs read-only here"
	fi
	umount "$ro" 2>/dev/null
else
	echo "skip - the read-only case needs root and mount"
fi

echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]
