#!/usr/bin/env bash
# One-time slots against the attacker (docs/design.md §5.2, §2.8), as
# test_attack_pool.sh does it: the ceremony through the shipped binary on
# software tokens and a fake wall clock (tests/virtual/clock), then the
# test's own program (attack_pool.c, linking the project's libraries)
# with the token the attacker holds, on a COPY of the state directory
# unless the scenario is the attacker writing the state itself.
#
#  a. the approvals of two EXPIRED requests pooled;
#  b. a denied request pooled with an open request below quorum;
#  c. a request file rewritten to name a slot another request's approval
#     burned, re-signed by the requester's own token (with and without
#     an audit entry for the new file): the honest approve refuses it
#     before the touch, naming the burned slot, and records the refusal;
#  d. a burned slot "un-burned" by editing state files (request files
#     deleted, vault.json edited, the log's approval entries dropped):
#     the burn is in the signed log, or the state is refused as tampered;
#  e. one custodian's token (not the requester's) after two denied
#     requests: their own shares of every slot, nothing recovered;
#  f. the requester strips the approvals from their own open request's
#     file (the signed request unchanged, the new file recorded) and asks
#     two other custodians: the slot is bound to the request's id, so
#     they approve the same slot, and the old and new shares make a
#     quorum that the ceremony never counted: no request.quorum_met.
# Every scenario must end "not recovered" (or, for f, a recorded quorum);
# the control, a request that really reached its quorum, "RECOVERED".
#
# usage: test_attack_slots.sh BREAKGLASS BG-VFIDO BG-VYK LIBBGVFIDO
#            LIBBGVYK LIBBGCLOCK ATTACK_POOL [asan|plain]
set -u
bg=$1 vfido=$2 vyk=$3 pre_fido=$4 pre_yk=$5 pre_clock=$6 attack=$7
mode=${8:-plain}
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/lib.sh"

workdir bg_attack_slots
clock=$dir/clock
preload="$pre_clock:$pre_fido:$pre_yk"
extra_env=(BG_FAKE_CLOCK_FILE="$clock")
ALL=recovery-codes,root-mfa,root-password
EXPIRY=300

# The fake time, seconds; it only moves forward (the log keeps its order).
now=0
set_time() { now=$1; echo "$1" >"$clock"; }
set_time 1800000000

# attacker_as PERSON COPY ID...: the attack program on COPY with PERSON's token
attacker_as() {
	local who=$1 copy=$2
	shift 2
	run_attack "$copy" "$who" "$@"
}
attacker() { attacker_as rita "$@"; }
# forge MODE STATE ID [ARGS...]: the attack program writing STATE as rita
forge() {
	local m=$1 st=$2
	shift 2
	run_attack "$m" "$st" rita "$@"
}
copy_to() { rm -rf "$dir/$1"; cp -a "$ST" "$dir/$1"; }
lacks_pw() { ! grep -qF -- "$PW" "$out" "$err"; }
lacks_item() { ! grep -q -- "RECOVERED $1" "$out"; }
no_touch() { ! grep -q "touch your token" "$out" "$err"; }
not_recovered() { [ "$rc" -eq 2 ] && has_out "not recovered" &&
    ! grep -q RECOVERED "$out"; }
request() {  # reason -> $id (all three items)
	must request "$A" --reason "$1" --as rita --items "$ALL"
	id=$(grep -oE '^request [0-9a-f]{32} opened' "$out" | cut -d' ' -f2)
}
# slot_of STATE ID ITEM: the slot the signed request names for ITEM
slot_of() {
	python3 - "$1/requests/$2.json" "$3" <<'PY'
import json, sys
for line in json.load(open(sys.argv[1]))["request"].split("\n"):
    f = line.split()
    if len(f) == 4 and f[0] == "entry" and f[1] == sys.argv[2]:
        print(f[3])
PY
}
# refused_logged STATE ID WORD: the request's last request.refused entry
# is for approve and its reason holds WORD
refused_logged() {
	python3 - "$1/audit/entries.jsonl" "$2" "$3" <<'PY'
import json, sys
last = None
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("event") == "request.refused" and e.get("request") == sys.argv[2]:
        last = e
sys.exit(0 if last and last["detail"].get("command") == "approve"
         and sys.argv[3] in last["detail"].get("reason", "") else 1)
PY
}
count_event() {  # STATE EVENT [ID]: entries of EVENT (for request ID)
	python3 - "$1/audit/entries.jsonl" "$2" "${3:-}" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("event") == sys.argv[2] and (not sys.argv[3] or
                                          e.get("request") == sys.argv[3]):
        n += 1
print(n)
PY
}

# ----------------------------------------------------------------- setup
people -- --expiry "$EXPIRY"
seal_items note

# ------------------------------------------- a. two expired requests
# X1: alice and dave approve; X2: bob and erin. Each is one approval per
# group short; together they hold two shares of every group, of two slots.
request "X1: expires below quorum"; X1=$id
must approve "$X1" --as alice
must approve "$X1" --as dave
request "X2: expires below quorum"; X2=$id
must approve "$X2" --as bob
must approve "$X2" --as erin
set_time $((now + EXPIRY))
bgrun approve "$X1" --as carol
check "a. the honest approve of an expired request is refused" \
    eval '[ "$rc" -ne 0 ] && has_err expired'
check "a. ... before the touch" no_touch
copy_to copy
attacker "$dir/copy" "$X1" "$X2"
check "a. two expired requests: their 8 shares pooled" has_out "pooled 8 shares"
check "a. two expired requests pooled: nothing recovered" not_recovered
check "a. the password is in no output" lacks_pw
check "a. no part of any slot from mixed slots" \
    eval '! has_out "from mixed slots"'

# ------------------------- b. a denied request and an open one below quorum
# D1: alice, dave approve, bob denies; D2: carol, erin approve, frank
# denies; O (open): bob and frank approve, one per group.
request "D1: denied"; D1=$id
must approve "$D1" --as alice
must approve "$D1" --as dave
must deny "$D1" --as bob --reason "not justified"
request "D2: denied"; D2=$id
must approve "$D2" --as carol
must approve "$D2" --as erin
must deny "$D2" --as frank --reason "not justified"
request "O: open, below quorum"; O=$id
must approve "$O" --as bob
must approve "$O" --as frank
copy_to copy
attacker "$dir/copy" "$D1" "$O"
check "b. a denied request and an open one: 8 shares pooled" \
    has_out "pooled 8 shares"
check "b. a denied request pooled with an open one below quorum: nothing" \
    not_recovered
attacker "$dir/copy" "$X1" "$X2" "$D1" "$D2" "$O"
check "b. every request so far pooled (expired, denied, open): 20 shares" \
    has_out "pooled 20 shares"
check "b. every request so far pooled: nothing recovered" not_recovered
check "b. the password is in no output" lacks_pw

# ------------------------------- c. a request forged onto a burned slot
# Z is rita's honest open request; X1's approvals burned its slots. The
# attacker rewrites Z to name X1's slots and re-signs it with rita's
# token, as bg_cer_request would have written it.
request "Z: to be forged"; Z=$id
XS_PW=$(slot_of "$ST" "$X1" root-password)
XS_RC=$(slot_of "$ST" "$X1" recovery-codes)
XS_MFA=$(slot_of "$ST" "$X1" root-mfa)
check "c. Z names no slot X1 burned" \
    test "$(slot_of "$ST" "$Z" root-password)" != "$XS_PW" -a \
    "$(slot_of "$ST" "$Z" recovery-codes)" != "$XS_RC"

# c1: the file only (no audit entry): refused as not what the log recorded
copy_to forged1
forge forge-slot "$dir/forged1" "$Z" "root-password=$XS_PW" \
    "recovery-codes=$XS_RC" "root-mfa=$XS_MFA" --unlogged
check "c1. the attacker rewrote Z onto X1's slots, re-signed (file only)" \
    has_out "forged request $Z (file only)"
check "c1. Z now names X1's slot of root-password" \
    test "$(slot_of "$dir/forged1" "$Z" root-password)" = "$XS_PW"
for who in carol erin; do
	bgin "$dir/forged1" approve "$Z" --as $who
	check "c1. approve of the rewritten file by $who is refused as tampered (exit 3)" \
	    is_rc 3
	check "c1. ... before the touch ($who)" no_touch
	check "c1. ... and recorded as request.refused ($who)" \
	    refused_logged "$dir/forged1" "$Z" "recorded"
done

# c2: the file and an audit entry recording it (the audit signing key is
# in the state): the request is signed and recorded; only the burn stops it
copy_to forged2
forge forge-slot "$dir/forged2" "$Z" "root-password=$XS_PW" \
    "recovery-codes=$XS_RC" "root-mfa=$XS_MFA"
check "c2. the attacker rewrote Z onto X1's slots, re-signed and recorded" \
    has_out "forged request $Z (recorded)"
bgin "$dir/forged2" audit verify
check "c2. the log itself verifies (the attacker holds its key)" \
    has_out "^ok: .* entries verified"
check "c2. ... but audit verify names the request opened a second time" \
    has_out "request.open by rita: that request was opened before"
bgin "$dir/forged2" status "$Z"
check "c2. status reads the forged request as rita's, open" \
    eval '[ "$rc" -eq 0 ] && has_out "$Z"'
for who in carol erin; do
	bgin "$dir/forged2" approve "$Z" --as $who
	check "c2. approve of a request naming burned slots is refused ($who)" \
	    eval '[ "$rc" -ne 0 ]'
	check "c2. ... the refusal names the burned slot and X1 ($who)" \
	    eval 'grep -q "slot [0-9]* of [a-z-]* version 1 was burned by request $X1" "$err"'
	check "c2. ... before the touch ($who)" no_touch
	check "c2. ... recorded as request.refused naming the burn ($who)" \
	    refused_logged "$dir/forged2" "$Z" "burned"
done
check "c2. no approval was granted on the forged request" \
    test "$(count_event "$dir/forged2" approval.granted "$Z")" -eq 0
attacker "$dir/forged2" "$X1" "$Z"
check "c2. X1 pooled with the forged Z: nothing recovered" not_recovered
bgin "$dir/forged2" release "$Z" --as rita
check "c2. the honest release of the forged request is refused" \
    eval '[ "$rc" -ne 0 ] && lacks_pw'

# ------------------------------------ d. a burned slot "un-burned" by hand
# d1: X1's and X2's files deleted and D1's approvals edited away: the
# burns are in the signed log, so a new request still avoids those slots,
# and a request forged onto them is still refused.
copy_to unburn
rm -f "$dir/unburn/requests/$X1.json" "$dir/unburn/requests/$X2.json"
python3 - "$dir/unburn/requests/$D1.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d["approvals"] = []
json.dump(d, open(sys.argv[1], "w"))
PY
bgin "$dir/unburn" vault verify
check "d1. vault verify names the deleted and edited request files (exit 3)" \
    eval '[ "$rc" -eq 3 ] && grep -q "$X1" "$out" "$err" && grep -q "$D1" "$out" "$err"'
bgin "$dir/unburn" request "$A" --reason "after the un-burn" --as rita \
    --items "$ALL"
U=$(grep -oE '^request [0-9a-f]{32} opened' "$out" | cut -d' ' -f2)
if [ -n "$U" ]; then
	check "d1. a new request after deleting X1's file still avoids X1's slot" \
	    test "$(slot_of "$dir/unburn" "$U" root-password)" != "$XS_PW" -a \
	    "$(slot_of "$dir/unburn" "$U" recovery-codes)" != "$XS_RC"
	forge forge-slot "$dir/unburn" "$U" "root-password=$XS_PW" \
	    "recovery-codes=$XS_RC" "root-mfa=$XS_MFA"
	check "d1. the new request forged onto X1's slots (recorded)" is_rc 0
	bgin "$dir/unburn" approve "$U" --as carol
	check "d1. its approval is refused: the burn lives in the log" \
	    eval '[ "$rc" -ne 0 ] && grep -q "burned by request $X1" "$err"'
	check "d1. ... before the touch" no_touch
	check "d1. ... recorded as request.refused" \
	    refused_logged "$dir/unburn" "$U" "burned"
else
	check "d1. a request on the edited state is refused (tampered)" \
	    eval '[ "$rc" -ne 0 ] && no_touch'
fi
attacker "$dir/unburn" "$D1" "$O" ${U:+"$U"}
check "d1. nothing recovered from the edited copy" \
    eval '! grep -q RECOVERED "$out"'

# d2: vault.json edited (a slot count, or any byte): every command refuses
copy_to unburn2
python3 - "$dir/unburn2/vault.json" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
def walk(o):
    if isinstance(o, dict):
        for k in list(o):
            if k == "slots" and isinstance(o[k], int):
                o[k] += 1
            walk(o[k])
    elif isinstance(o, list):
        for x in o:
            walk(x)
walk(v)
json.dump(v, open(sys.argv[1], "w"), indent="\t")
PY
bgin "$dir/unburn2" approve "$O" --as alice
check "d2. vault.json edited: approve refused as tampered (exit 3)" is_rc 3
check "d2. ... before the touch" no_touch
check "d2. ... recorded (vault.verify_failed)" \
    test "$(count_event "$dir/unburn2" vault.verify_failed)" -ge 1
attacker "$dir/unburn2" "$X1" "$O"
check "d2. the attack program cannot even load the edited vault" \
    eval '[ "$rc" -ne 0 ] && ! grep -q RECOVERED "$out"'

# d3: the audit log edited: X1's approval entries dropped
copy_to unburn3
python3 - "$dir/unburn3/audit/entries.jsonl" "$X1" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines(True)
keep = [l for l in lines if not (json.loads(l).get("event") ==
        "approval.granted" and json.loads(l).get("request") == sys.argv[2])]
assert len(keep) == len(lines) - 2
open(sys.argv[1], "w").write("".join(keep))
PY
bgin "$dir/unburn3" request "$A" --reason "after the log edit" --as rita \
    --items "$ALL"
check "d3. the log with X1's approvals dropped: request refused as tampered (exit 3)" \
    is_rc 3
check "d3. ... before the touch" no_touch
bgin "$dir/unburn3" audit verify
check "d3. audit verify fails on the edited log" eval '[ "$rc" -ne 0 ]'

# ------------------------- e. one custodian's token, two denied requests
copy_to copy
for who in alice carol; do
	attacker_as $who "$dir/copy" "$D1" "$D2"
	check "e. $who's token opens their own box: 64 shares (2 items x 32 slots)" \
	    has_out "own shares of $who: 64"
	check "e. $who's token and two denied requests: nothing recovered" \
	    not_recovered
	check "e. the password is in no output ($who)" lacks_pw
done
attacker_as dave "$dir/copy" "$D1" "$D2" "$O" "$X1" "$X2"
check "e. dave's token and every request: nothing recovered" not_recovered

# ---------- f. approvals stripped from the requester's own open request
# O holds bob's (password) and frank's (mfa) approvals of its slots. rita
# rewrites O's file without them (the signed request unchanged; the new
# file recorded with the audit key), then alice and dave approve O: the
# slot is burned by O itself, so they approve the same slot again. With
# bob's and frank's old shares the quorum is there: the log counts shares
# written per slot, so request.quorum_met is recorded all the same.
copy_to strip
cp "$dir/strip/requests/$O.json" "$dir/O-before.json"
forge strip-approvals "$dir/strip" "$O"
check "f. the attacker stripped O's approvals (recorded)" \
    has_out "stripped request $O (recorded)"
bgin "$dir/strip" approve "$O" --as alice
f_alice=$rc
bgin "$dir/strip" approve "$O" --as dave
f_dave=$rc
# the attacker's view: the shares of both versions of O's file
copy_to strip-pool
cp -a "$dir/strip/." "$dir/strip-pool/"
python3 - "$dir/strip-pool/requests/$O.json" "$dir/O-before.json" <<'PY'
import json, sys
now = json.load(open(sys.argv[1])); old = json.load(open(sys.argv[2]))
now["approvals"] += old["approvals"]
json.dump(now, open(sys.argv[1], "w"))
PY
attacker "$dir/strip-pool" "$O"
f_rc=$rc
cp "$out" "$dir/f.out"
nq=$(count_event "$dir/strip" request.quorum_met "$O")
bgin "$dir/strip" vault show
if grep -q "RELEASED" "$out"; then f_show="says RELEASED"; else
	f_show="does not say RELEASED"; fi
echo "# f: alice's approval exit $f_alice, dave's exit $f_dave; the program" \
    "on both versions of O's shares: exit $f_rc" \
    "($(grep -c RECOVERED "$dir/f.out") items recovered);" \
    "request.quorum_met for O: $nq; vault show $f_show"
check "f. the stripped file hides bob's and frank's shares from honest code, not from the log: request.quorum_met recorded for O" \
    test "$nq" -ge 1
check "f. whatever O's file holds, its shares open an item only after request.quorum_met (exposure counted from the log's shares per slot)" \
    eval '[ "$f_rc" -ne 0 ] || [ "$nq" -ge 1 ]'

# ------------------------------------------------------------ control
# A request that really reaches its quorum is recovered by the same
# program (a day later: each custodian burns at most 8 slots a day).
set_time $((now + 86400))
request "C: the control"; C=$id
must approve "$C" --as alice
must approve "$C" --as carol
must approve "$C" --as dave
must approve "$C" --as erin
copy_to copy
attacker "$dir/copy" "$C"
check "control: a request that reached its quorum is recovered (exit 0)" is_rc 0
check "control: root-password" has_out "RECOVERED root-password"
check "control: root-mfa" has_out "RECOVERED root-mfa"
check "control: recovery-codes (both groups)" has_out "RECOVERED recovery-codes"
attacker "$dir/copy" "$X1" "$X2" "$D1" "$D2" "$O" "$C"
check "control: pooling everything adds nothing beyond C's own quorum" \
    eval '[ "$rc" -eq 0 ] && has_out "RECOVERED root-password"'
bgrun release "$C" --as rita
check "control: the honest release prints the same password" \
    grep -qF -- "$PW" "$out"
bgrun audit verify
check "audit verify of the honest state at the end" is_rc 0

echo "# $pass passed, $failed failed"
[ "$failed" -eq 0 ]
