#!/usr/bin/env bash
# Issue 11: `status` checks the approvals it reports, as release does
# before opening anything (cer_approval_check: a statement for this very
# request signed by the named approver's token, one approval per person,
# the request's own slots, and the log's record of the approval for this
# request and slot). The ceremony runs through the shipped binary on
# software tokens; the attacker, with a COPY of the state and the log's
# key, adds an approval to a request one short of its quorum with the
# test's own program (attack_pool.c, linking the project's libraries)
# and re-records the file in the log:
#  a. a statement "by alice" signed by the requester's own token;
#  b. alice's real approval copied from another request;
#  c. alice's real approval of this very request, made in a forked copy
#     of the state (a backup), that this log never recorded;
#  d. carol's own approval listed twice.
# Each time `status` must not say "quorum met", must name the bad
# approval as invalid, exit 3 and record the refusal (request.refused,
# command status, the reason naming the approver); release refuses the
# same file (exit 3) and prints no password. Controls: the fork's own
# status and release accept alice's genuine approval, and on the main
# state a real second approval makes status say "quorum met", exit 0,
# with no refusal recorded.
#
# usage: test_attack_status.sh BREAKGLASS BG-VFIDO BG-VYK LIBBGVFIDO
#            LIBBGVYK ATTACK_POOL [asan|plain]
set -u
bg=$1 vfido=$2 vyk=$3 pre_fido=$4 pre_yk=$5 attack=$6
mode=${7:-plain}
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/lib.sh"

workdir bg_attack_status
lacks_out_pw() { ! grep -qF -- "$PW" "$out"; }
lacks_out() { ! grep -q -- "$1" "$out"; }
request() {  # reason -> $id (root-password only: the password group)
	must request "$A" --reason "$1" --as rita --items root-password
	id=$(grep -oE '^request [0-9a-f]{32} opened' "$out" | cut -d' ' -f2)
}
# status_refusals STATE ID [WORD]: request.refused entries of status for
# ID (whose reason holds WORD)
status_refusals() {
	grep '"event":"request.refused"' "$1/audit/entries.jsonl" |
	    grep '"command":"status"' | grep "\"request\":\"$2\"" |
	    grep -c -- "${3:-}"
}
# forged LABEL COPY: status and release on COPY, whose request RB holds a
# bad approval by alice (or carol, WHO) that should name WHY
forged() {
	local label=$1 copy=$2 who=$3 why=$4
	bgin "$copy" status "$RB"
	check "$label: status exits 3 (tamper)" is_rc 3
	check "$label: status does not say quorum met" lacks_out "quorum met"
	check "$label: status names $who's approval as invalid" \
	    has_out "INVALID approval: $who (group password): .*$why"
	check "$label: carol's genuine approval is still counted" \
	    has_out "approved: carol (group password)"
	check "$label: still missing one password approval" \
	    has_out "missing: password: 1 of 2"
	check "$label: the error names $who" has_err "by $who"
	check "$label: the refusal is recorded, naming $who" \
	    test "$(status_refusals "$copy" "$RB" "by $who")" -eq 1
	bgin "$copy" status
	check "$label: status of every open request exits 3 too" is_rc 3
	check "$label: ... naming $who's approval" \
	    has_out "INVALID approval: $who (group password)"
	check "$label: ... and records its refusal as well" \
	    test "$(status_refusals "$copy" "$RB" "by $who")" -eq 2
	bgin "$copy" release "$RB" --as rita
	check "$label: release of the same file is refused (exit 3)" is_rc 3
	check "$label: ... naming $who" has_err "$who"
	check "$label: ... and prints no password" lacks_out_pw
}

# ----------------------------------------------------------------- setup
people
seal_items
request "RA: an honest request that reaches its quorum"; RA=$id
must approve "$RA" --as alice
must approve "$RA" --as bob
request "RB: one approval short"; RB=$id
must approve "$RB" --as carol
bgrun status "$RB"
check "RB before any attack: status exits 0" is_rc 0
check "RB before any attack: one password approval missing" \
    has_out "missing: password: 1 of 2"
check "RB before any attack: no invalid approval" lacks_out INVALID

# ------------------------- a. a statement signed by the attacker's token
cp -a "$ST" "$dir/a"
run_attack forge-approval "$dir/a" rita "$RB" alice password
check "a. an approval by alice, signed by rita's token, planted and recorded" \
    is_rc 0
forged "a. forged signature" "$dir/a" alice "not a signed statement"

# ---------------------------- b. alice's approval from another request
cp -a "$ST" "$dir/b"
run_attack copy-approval "$dir/b" rita "$RB" alice "$ST/requests/$RA.json"
check "b. alice's approval of RA copied into RB and recorded" is_rc 0
forged "b. copied from RA" "$dir/b" alice "not a signed statement"

# ------------ c. alice's approval of RB itself, from a forked state copy
cp -a "$ST" "$dir/fork"
bgin "$dir/fork" approve "$RB" --as alice
check "c. in a fork of the state, alice really approves RB" is_rc 0
cp -a "$ST" "$dir/c"
run_attack copy-approval "$dir/c" rita "$RB" alice \
    "$dir/fork/requests/$RB.json"
check "c. the fork's approval planted in the real state and recorded" \
    is_rc 0
forged "c. an approval this log never recorded" "$dir/c" alice \
    "the log records no approval by alice"
bgin "$dir/fork" status "$RB"
check "c. control: in the fork, status says quorum met" \
    has_out "quorum met: ready for release"
check "c. control: ... exit 0" is_rc 0
bgin "$dir/fork" release "$RB" --as rita
check "c. control: in the fork, release prints the password" \
    grep -qF -- "$PW" "$out"

# ------------------------------------- d. carol's own approval twice
cp -a "$ST" "$dir/d"
run_attack copy-approval "$dir/d" rita "$RB" carol "$ST/requests/$RB.json"
check "d. carol's approval listed twice, recorded" is_rc 0
forged "d. one approver twice" "$dir/d" carol "approves this request twice"

# ------------------------------------------------------------ control
check "the main state records no status refusal" \
    test "$(status_refusals "$ST" "$RB")" -eq 0
must approve "$RB" --as alice
bgrun status "$RB"
check "control: a real second approval: status says quorum met" \
    has_out "quorum met: ready for release"
check "control: ... exit 0, every approval counted" is_rc 0
check "control: ... no invalid approval" lacks_out INVALID
check "control: ... and no refusal recorded" \
    test "$(status_refusals "$ST" "$RB")" -eq 0
bgrun release "$RB" --as rita
check "control: release prints the password" grep -qF -- "$PW" "$out"

echo "# $pass passed, $failed failed"
[ "$failed" -eq 0 ]
