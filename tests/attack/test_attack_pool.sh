#!/usr/bin/env bash
# Issue 10's attacks, written as the attacker (docs/design.md §8): the
# ceremony runs through the shipped binary on software tokens; then, on a
# COPY of the state directory, the test's own program (attack_pool.c,
# linking the project's libraries, skipping every check it likes) opens
# all it can with the requester's token and pools it. Each scenario must
# end "not recovered"; one control, a request that really reached its
# quorum, must end "RECOVERED", so the program is shown able to win.
#
# usage: test_attack_pool.sh BREAKGLASS BG-VFIDO BG-VYK LIBBGVFIDO LIBBGVYK
#            ATTACK_POOL [asan|plain]
set -u
bg=$1 vfido=$2 vyk=$3 pre_fido=$4 pre_yk=$5 attack=$6
mode=${7:-plain}
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/lib.sh"

workdir bg_attack
# attacker COPY ID...: the attack program on a copy, as rita
attacker() {
	local copy=$1
	shift
	run_attack "$copy" rita "$@"
}
snapshot() { rm -rf "$dir/copy"; cp -a "$ST" "$dir/copy"; }
lacks_out_pw() { grep -qF -- "$PW" "$out"; [ $? -eq 1 ]; }
lacks_item() { ! grep -q -- "RECOVERED $1" "$out"; }
request() {  # reason [--items LIST] -> $id
	local reason=$1
	shift
	must request "$A" --reason "$reason" --as rita "$@"
	id=$(grep -oE '^request [0-9a-f]{32} opened' "$out" | cut -d' ' -f2)
}

# ----------------------------------------------------------------- setup
people
# a note needs every group: the one item that pools across groups
seal_items note

# ------------------------------------------------------- 1. two denials
# A: alice and dave approve, bob denies; B: carol and erin approve, frank
# denies. Two shares of each group exist, across two requests.
request "A: pooling attack, part 1"; RA=$id
must approve "$RA" --as alice
must approve "$RA" --as dave
must deny "$RA" --as bob --reason "not justified"
request "B: pooling attack, part 2"; RB=$id
must approve "$RB" --as carol
must approve "$RB" --as erin
must deny "$RB" --as frank --reason "not justified"
snapshot
attacker "$dir/copy" "$RA" "$RB"
check "two denied requests: 4 shares pooled" has_out "pooled 4 shares"
check "two denied requests pooled: nothing recovered" is_rc 2
check "the password is in no output" lacks_out_pw
attacker "$dir/copy" "$RA"
check "one denied request alone: nothing recovered" is_rc 2

# ------------- 2. one group's quorum in C, the other group's quorum in D
# Quorum = release, per item: C's two password approvals expose
# root-password (needs that group only) and D's two mfa approvals expose
# root-mfa; recovery-codes needs both groups, and no single request had
# both, so pooling C and D must not give it.
ALL=root-password,root-mfa,recovery-codes
request "C: password quorum only" --items "$ALL"; RC=$id
must approve "$RC" --as alice
must approve "$RC" --as bob
must deny "$RC" --as rita --reason "changed my mind"
request "D: mfa quorum only" --items "$ALL"; RD=$id
must approve "$RD" --as dave
must approve "$RD" --as erin
snapshot
attacker "$dir/copy" "$RA" "$RB" "$RC" "$RD"
check "C and D pooled: recovery-codes (both groups) not recovered" \
    lacks_item recovery-codes
check "C's password quorum exposes root-password (quorum = release)" \
    has_out "RECOVERED root-password"
check "D's mfa quorum exposes root-mfa (quorum = release)" \
    has_out "RECOVERED root-mfa"
check "each exposure was recorded before the shares (request.quorum_met)" \
    test "$(grep -c '"event":"request.quorum_met"' "$ST/audit/entries.jsonl")" -ge 2

# ---------------------------- 3. an approval copied into another request
# D has its mfa quorum (root-mfa exposed, above); A's password approval
# copied into D must add nothing: its shares are sealed to A's request key
# and slot, so D's key opens exactly D's own 4 shares (dave, erin: root-mfa
# and recovery-codes each).
snapshot
attacker "$dir/copy" "$RD"
check "D alone: its own 4 shares" has_out "pooled 4 shares"
python3 - "$dir/copy/requests/$RA.json" "$dir/copy/requests/$RD.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1])); d = json.load(open(sys.argv[2]))
d["approvals"] += [x for x in a["approvals"] if x["group"] == "password"]
json.dump(d, open(sys.argv[2], "w"))
PY
attacker "$dir/copy" "$RD"
check "an approval replayed into another request: its share does not open there" \
    has_out "pooled 4 shares"
check "an approval replayed into another request: root-password not recovered" \
    lacks_item root-password
check "an approval replayed into another request: recovery-codes not recovered" \
    lacks_item recovery-codes
ST_SAVE=$ST; ST=$dir/copy
bgrun release "$RD" --as rita
check "the honest release of the edited request is refused (exit 3)" is_rc 3
check "... and prints no password" lacks_out_pw
bgrun status "$RD"
check "status of the edited request: refused as tampered (exit 3)" is_rc 3
check "... and recorded (request.refused, command status)" test \
    "$(grep '"event":"request.refused"' "$ST/audit/entries.jsonl" |
    grep -c '"command":"status"')" -eq 1
ST=$ST_SAVE

# ------------------------------------------- 4. a burned slot, unburned
# A's slot was burned by alice's approval; a new request never names it,
# and editing state files cannot un-burn it (the log says it burned).
request "E: after the burns" --items "$ALL"; RE=$id
slots_of() {  # request id -> its slots, one per line
	python3 - "$ST/requests/$1.json" <<'PY'
import json, sys
for line in json.load(open(sys.argv[1]))["request"].split("\n"):
    if line.startswith("entry "):
        print(line.split()[3])
PY
}
check "a new request names no slot an approval burned (A's slot 0)" \
    test "$(slots_of "$RE" | grep -c '^0$')" -eq 0
python3 - "$ST/requests/$RE.json" <<'PY'
import json, sys
print("  (request E slots:", [l.split()[1:4] for l in json.load(open(sys.argv[1]))["request"].split("\n") if l.startswith("entry ")], ")")
PY

# ------------------------------------------------------------ control
must approve "$RE" --as alice
must approve "$RE" --as carol
must approve "$RE" --as erin
must approve "$RE" --as frank
snapshot
attacker "$dir/copy" "$RE"
check "control: a request that reached its quorum is recovered by the same program" is_rc 0
check "control: both items" has_out "RECOVERED root-password"
check "control: both items (mfa)" has_out "RECOVERED root-mfa"
# a bad share names its approver: alice's shares in E replaced by random
# bytes, well sealed to the request key, the file recorded with the log key
run_attack bad-share "$dir/copy" rita "$RE" alice
check "bad shares planted in a copy (recorded)" is_rc 0
ST_SAVE=$ST; ST=$dir/copy
bgrun release "$RE" --as rita
check "a bad share: the honest release is refused (exit 3)" is_rc 3
check "... naming its approver" has_err "bad share: alice's share of"
check "... recorded as release.open_failed in the copy's log" grep -q \
    '"event":"release.open_failed".*bad share: alice' "$ST/audit/entries.jsonl"
check "... and printing no password" lacks_out_pw
ST=$ST_SAVE
bgrun release "$RE" --as rita
check "control: the honest release prints the same password" \
    grep -qF -- "$PW" "$out"

# ------------------------- 5. the released shares against the next version
must seal "$A" root-password --generate --as carol
snapshot
attacker "$dir/copy" "$RE"
check "after rotation, the released request's shares do not open the new root-password" \
    lacks_item root-password

echo "# $pass passed, $failed failed"
[ "$failed" -eq 0 ]
