# tests/e2e/lib.sh: what the e2e scripts share; sourced after they have
# set $mode (asan|plain). The caller's run function sets $rc, and $out and
# $err name the files holding the last command's output.
#
# asan_env: "asan" builds run with the preload libraries first, which
# AddressSanitizer refuses unless told not to check the link order.
asan_env=()
if [ "${mode:-plain}" = asan ]; then
	asan_env=(ASAN_OPTIONS="verify_asan_link_order=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}")
fi

pass=0
failed=0
bad_note=${bad_note:-}	# more context for FAIL lines (e.g. a seed)

ok() {
	pass=$((pass + 1))
	echo "ok - $1"
}

bad() {
	failed=$((failed + 1))
	echo "FAIL - $1 (exit $rc${bad_note:+; $bad_note})"
	sed 's/^/    stdout: /' "$out"
	sed 's/^/    stderr: /' "$err"
}

# check DESC CONDITION...: one result line
check() {
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else bad "$desc"; fi
}

is_rc() { [ "$rc" -eq "$1" ]; }
has_out() { grep -q -- "$1" "$out"; }
has_err() { grep -q -- "$1" "$err"; }
