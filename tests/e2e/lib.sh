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

# governance helpers
# (the genesis and change requests: `vault arm`, `change approve|apply`)
# gov_id: the change request id the last command printed in $out.
gov_id() {
	grep -oE 'change request [0-9a-f]{32}' "$out" | head -1 | cut -d' ' -f3
}
# gov_fp: the 64-hex vault fingerprint the last command printed in $out.
gov_fp() {
	grep -oE 'fingerprint [0-9a-f]{64}' "$out" | head -1 | cut -d' ' -f2
}
# gov_sign ID NAME...: each NAME approves change ID with the caller's
# bgrun; false (rc and $err of the refusal kept) at the first refusal.
gov_sign() {
	local id=$1 p
	shift
	for p in "$@"; do
		bgrun change approve "$id" --as "$p"
		[ "$rc" -eq 0 ] || return 1
	done
}

# governance helpers (B)
# Each takes RUN, the caller's function that runs the shipped binary on
# its state directory with the arguments given and sets $rc, $out, $err.
#
# gb_id: the change request id the last command printed ("" if none).
gb_id() {
	grep -oE 'change request [0-9a-f]{32}' "$out" | head -n 1 | cut -d' ' -f3
}
# gb_fp: the vault fingerprint the last command printed ("" if none).
gb_fp() {
	grep -oE 'fingerprint [0-9a-f]{64}' "$out" | head -n 1 | cut -d' ' -f2
}
# gb_sign RUN ID NAME...: each NAME approves change ID (a touch per
# token); returns 1 at the first approval that fails ($rc, $out, $err its).
gb_sign() {
	local run=$1 id=$2 p
	shift 2
	for p in "$@"; do
		"$run" change approve "$id" --as "$p"
		[ "$rc" -eq 0 ] || return 1
	done
}
# gb_genesis RUN NAME...: `vault arm` proposes the genesis ($GB_ID), every
# NAME (every person holding a token) signs it, `change apply` arms the
# vault ($GB_FP, the vault fingerprint). Returns 1 at the first command
# that fails.
gb_genesis() {
	local run=$1
	shift
	gb_change "$run" "$@" -- vault arm
}
# gb_change RUN NAME... -- ARGS...: ARGS (`vault arm`, or after genesis a
# set-up command) opens a change request ($GB_ID), each NAME approves it
# (the old threshold of every group, plus every token it adds), and it is
# applied ($GB_FP). Returns 1 at the first command that fails.
gb_change() {
	local run=$1 names=()
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do names+=("$1"); shift; done
	shift
	GB_ID= GB_FP=
	"$run" "$@"
	[ "$rc" -eq 0 ] || return 1
	GB_ID=$(gb_id)
	[ -n "$GB_ID" ] || { rc=99; return 1; }
	gb_sign "$run" "$GB_ID" "${names[@]}" || return 1
	"$run" change apply "$GB_ID"
	[ "$rc" -eq 0 ] || return 1
	GB_FP=$(gb_fp)
	[ -n "$GB_FP" ] || { rc=99; return 1; }
}
