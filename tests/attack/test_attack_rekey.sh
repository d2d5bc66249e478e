#!/usr/bin/env bash
# Rekey by resharing (docs/ceremony.md "Rekey"), through the shipped
# binary on software tokens, and against insiders with the test's own
# program (attack_rekey.c): carol leaves the password group, gina joins;
# alice and bob (the threshold) re-split their shares, each in their own
# process; alice, bob and gina join theirs. Then:
#  - the release after the rekey, approved by gina, gives the same
#    password; carol can no longer approve;
#  - every refusal (holders below or above the threshold, a non-holder,
#    twice, accept before the holders, a non-member, a request open on
#    the version) exits non-zero, says why, is recorded and changes no
#    vault, request or rekey file;
#  - a rekey file edited in a copy is refused as tampered;
#  - each person's process opens only what is addressed to their own
#    token: pieces and boxes of the others never open (attack_rekey);
#  - boxes from before the rekey planted back into vault.json are refused;
#  - nothing of a share is in the rekey file in the clear (no "check":
#    for an item one group guards, a group's part is its key);
#  - a rekey file whose members were edited and re-recorded with the log's
#    key is refused before anyone's touch.
#
# usage: test_attack_rekey.sh BREAKGLASS BG-VFIDO BG-VYK LIBBGVFIDO LIBBGVYK
#            ATTACK_REKEY [asan|plain]
set -u
bg=$1 vfido=$2 vyk=$3 pre_fido=$4 pre_yk=$5 attack=$6
mode=${7:-plain}
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/lib.sh"

workdir bg_rekey
attacker() { run_attack "$@"; }  # COPY PERSON ID | record STATE FILE
# the files a refusal must not change (the log grows by the refusal)
files_sum() {
	(cd "$ST" && find vault.json requests rekeys versions -type f \
	    2>/dev/null | sort | xargs cat | sha256sum)
}
entries() { wc -l <"$ST/audit/entries.jsonl"; }
# refused DESC PATTERN -- ARGS...: exit != 0, PATTERN on stderr, one
# request.refused entry more, the files unchanged
refused() {
	local desc=$1 pat=$2 before n0
	shift 3
	before=$(files_sum)
	n0=$(entries)
	bgrun "$@"
	check "$desc: refused" test "$rc" -ne 0
	check "$desc: says '$pat'" has_err "$pat"
	check "$desc: recorded" test "$(tail -n +$((n0 + 1)) \
	    "$ST/audit/entries.jsonl" | grep -c '"event":"request.refused"')" -eq 1
	check "$desc: no vault, request or rekey file changed" \
	    test "$(files_sum)" = "$before"
}

# ----------------------------------------------------------------- setup
people gina
bgrun policy set --slots 3
check "policy set --slots 3 refused (4..256)" test "$rc" -ne 0
check "... saying the range" has_err "4 to 256"
bgrun policy set --slots 257
check "policy set --slots 257 refused" test "$rc" -ne 0
must policy set --slots 16
seal_items
cp "$ST/vault.json" "$dir/vault.before.json"
bgrun vault show
check "versions sealed after policy set --slots 16 have 16 slots" \
    has_out "slots left 16 of 16"

# carol leaves, gina joins: two change requests, each signed by both
# groups' thresholds and applied
bgrun custodian remove carol --group password
check "custodian remove says only a rotation revokes" has_out "only sealing"
check "custodian remove is only proposed (a change request)" \
    has_out "nothing has changed yet"
C=$(change_id)
signed "$C" alice bob dave erin
must change apply "$C"
must custodian add gina --group password
C=$(change_id)
signed "$C" alice bob dave erin
must change apply "$C"

# ------------------------------------------------------------- refusals
refused "rekey with one holder" "at least 2" -- \
    rekey begin password --with alice --as alice
refused "rekey with alice twice" "named twice" -- \
    rekey begin password --with alice --with alice --as alice
refused "rekey with an mfa custodian as a holder" "dave holds no share" -- \
    rekey begin password --with alice --with dave --as alice
refused "rekey with three holders for a threshold of 2" "exactly 2" -- \
    rekey begin password --with alice --with bob --with carol --as alice
must request "$A" --reason "open while the rekey begins" --as rita
RQ=$(grep -oE '^request [0-9a-f]{32} opened' "$out" | cut -d' ' -f2)
refused "rekey while a request names the version" "is open" -- \
    rekey begin password --with alice --with bob --as alice
must deny "$RQ" --as rita --reason "let the rekey go first"

# ------------------------------------------------------------- the rekey
must rekey begin password --with alice --with bob --as alice
RK=$(grep -oE '^rekey [0-9a-f]{32} opened' "$out" | cut -d' ' -f2)
check "rekey begin names the version it re-splits" \
    has_out "root-password version 1: epoch 1 to 2"
check "rekey begin burns no slot" \
    bash -c "! grep -q '\"event\":\"approval\\.\(burn\|granted\)\"' \"$ST/audit/entries.jsonl\""
refused "accept before the holders re-split" "accept after all of them" -- \
    rekey accept "$RK" --as gina
refused "contribute by someone who is not a holder" "not one of the holders" -- \
    rekey contribute "$RK" --as gina
must rekey contribute "$RK" --as alice
check "contribute asks for alice's touch only" has_out "alice: touch your token"
refused "alice contributes twice" "already contributed" -- \
    rekey contribute "$RK" --as alice

# a rekey file edited in a copy is refused
rm -rf "$dir/copy"; cp -a "$ST" "$dir/copy"
python3 - "$dir/copy/rekeys/$RK.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
j["threshold"] = 3
json.dump(j, open(sys.argv[1], "w"))
PY
ST_SAVE=$ST; ST=$dir/copy
bgrun rekey contribute "$RK" --as bob
check "an edited rekey file is refused as tampered (exit 3)" is_rc 3
ST=$ST_SAVE

# members edited and the file re-recorded with the log's key: refused
# before anyone's touch (the policy names the members, not the file)
rm -rf "$dir/copy"; cp -a "$ST" "$dir/copy"
python3 - "$dir/copy/rekeys/$RK.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
j["members"][2]["person"] = "rita"
json.dump(j, open(sys.argv[1], "w"))
PY
attacker record "$dir/copy" "rekeys/$RK.json"
ST_SAVE=$ST; ST=$dir/copy
bgrun rekey contribute "$RK" --as bob
check "members edited and re-recorded with the log's key: refused" \
    test "$rc" -ne 0
check "... saying the policy names other members" has_err "not what the policy names"
check "... before bob's touch" bash -c "! grep -q 'touch' \"$out\""
ST=$ST_SAVE

must rekey contribute "$RK" --as bob
check "both holders re-split" has_out "2 of 2 holders"

# alice's own process: only her pieces open, nobody else's
rm -rf "$dir/copy"; cp -a "$ST" "$dir/copy"
attacker "$dir/copy" alice "$RK"
check "alice opens her own pieces and boxes only" is_rc 0
check "... none of bob's or gina's pieces, none of their boxes" \
    has_out "others' pieces 0, own boxes [0-9]*, others' boxes 0"
attacker "$dir/copy" rita "$RK"
check "the requester's token opens no piece and no box" is_rc 1
check "... (nothing at all)" has_out "own pieces 0, others' pieces 0, own boxes 0, others' boxes 0"

must rekey accept "$RK" --as alice
refused "a non-member accepts (carol left)" "not a member" -- \
    rekey accept "$RK" --as carol
must rekey accept "$RK" --as bob
must rekey accept "$RK" --as gina
check "the last acceptance finishes the rekey" has_out "rekey $RK done"
check "no share of anything in the rekey file in the clear (no check shares)" \
    python3 -c "
import json, sys
j = json.load(open(sys.argv[1]))
keys = set(j) | {k for a in j['acceptances'] + j['contributions'] for k in a}
sys.exit(1 if {'checks', 'check'} & keys or
         any('check' in v for v in j['versions']) else 0)" "$ST/rekeys/$RK.json"
check "group.rekeyed recorded" \
    grep -q '"event":"group.rekeyed"' "$ST/audit/entries.jsonl"
bgrun vault verify
check "vault verify passes after the rekey" is_rc 0
bgrun rekey status "$RK"
check "rekey status says done" has_out "\[done\]"
refused "accept after the rekey is done" "is closed" -- \
    rekey accept "$RK" --as gina

# gina's process after the rekey: her new boxes open, nobody else's
rm -rf "$dir/copy"; cp -a "$ST" "$dir/copy"
attacker "$dir/copy" gina "$RK"
check "gina opens her own pieces and new boxes only" is_rc 0
check "... none of the others'" has_out "others' pieces 0, own boxes [1-9][0-9]*, others' boxes 0"

# ------------------------------------------- the release after the rekey
must request "$A" --reason "after the rekey" --as rita
R2=$(grep -oE '^request [0-9a-f]{32} opened' "$out" | cut -d' ' -f2)
# boxes from before the rekey, planted back into a copy's vault.json
# (without the log's key to re-record it: the file check refuses; the
# epoch check behind it refuses even a re-recorded one, docs/ceremony.md)
rm -rf "$dir/copy"; cp -a "$ST" "$dir/copy"
python3 - "$dir/vault.before.json" "$dir/copy/vault.json" <<'PY'
import json, sys
old = json.load(open(sys.argv[1])); new = json.load(open(sys.argv[2]))
def item(j, name):
    return [i for i in j["accounts"][0]["items"] if i["name"] == name][0]
item(new, "root-password")["groups"] = item(old, "root-password")["groups"]
json.dump(new, open(sys.argv[2], "w"))
PY
ST_SAVE=$ST; ST=$dir/copy
bgrun approve "$R2" --as carol
check "boxes from before the rekey planted back: carol's approval refused (exit 3)" \
    is_rc 3
bgrun approve "$R2" --as alice
check "... and alice's (exit 3)" is_rc 3
# with the log's key, the planted vault.json re-recorded: the file check
# passes, the epoch the log gave the group (group.rekeyed) still refuses
attacker record "$ST" vault.json
check "the planted vault.json is recorded with the log's key" is_rc 0
bgrun vault verify
check "... so vault verify sees nothing wrong" is_rc 0
bgrun approve "$R2" --as alice
check "planted and re-recorded with the log's key: alice's approval on her old box still refused (exit 3)" \
    is_rc 3
check "... naming the epoch" has_err "epoch 1, the log says 2"
ST=$ST_SAVE

bgrun approve "$R2" --as carol
check "carol (removed) cannot approve" test "$rc" -ne 0
must approve "$R2" --as gina
must approve "$R2" --as alice
must approve "$R2" --as dave
must approve "$R2" --as erin
must release "$R2" --as rita
check "the release after the rekey gives the same password" \
    grep -qF -- "$PW" "$out"
bgrun audit verify
check "the log verifies" is_rc 0

echo "# $pass passed, $failed failed"
[ "$failed" -eq 0 ]
