#!/usr/bin/env bash
# Issue 11, governance, written as the insider: a copy of the state
# directory (the audit log's signing key is in it), the attacker's own
# program linking the project's libraries (attack_gov.c), no obligation
# to use the CLI. The shipped binary then runs on the result:
#  1. one physical token under two names (a re-encoded credential key):
#     `vault arm` refuses the genesis; a YubiKey slot already enrolled
#     for rita refused for bob by `token enroll`.
#  2. the genesis and its fingerprint; `audit verify --fingerprint`.
#  3. an approval "by frank" appended with the log's key (frank's token
#     never touched): `audit verify` names the entry.
#  4. a policy.changed with thresholds 1 appended with the log's key:
#     named by `audit verify`; vault.json rewritten with thresholds 1 and
#     recorded with the log's key: every command refuses it (exit 3).
#  5. alice's box key swapped in vault.json (proof re-made, recorded with
#     the log's key): seal and approve refuse (exit 3), nothing changes.
#     A link keeping four members' token ids with the attacker's keys,
#     signed by those keys: refused by every command and audit verify.
#  6. a whole forged chain (real box keys, fresh signing keys, every one
#     signing its genesis) in a state the attacker made: it verifies on
#     its own, but bob's real token refuses it at his first touch (exit
#     3) and `audit verify --fingerprint` with the real fingerprint names it.
#  7. change requests: short of quorum, denied, expired, twice by one
#     person, made under an older head: nothing applied, each refusal
#     recorded; a token of alice's enrolled for bob (a fresh credential
#     on her key) is only a change she cannot apply alone.
#
# usage: test_attack_gov.sh BREAKGLASS BG-VFIDO BG-VYK LIBBGVFIDO LIBBGVYK
#            LIBBGCLOCK ATTACK_GOV [asan|plain]
set -u
bg=$1 vfido=$2 vyk=$3 pre_fido=$4 pre_yk=$5 pre_clock=$6 attack=$7
mode=${8:-plain}
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/lib.sh"

workdir bg_attack_gov
clock=$dir/clock
preload="$pre_clock:$pre_fido:$pre_yk"
extra_env=(BG_FAKE_CLOCK_FILE="$clock")
now=0
set_time() { now=$1; echo "$1" >"$clock"; }
set_time 1800000000

copy() { rm -rf "$dir/$1"; cp -a "$ST" "$dir/$1"; }
h() { sha256sum "$1/vault.json" | cut -c1-64; }
# last_event STATE: the last entry's event name
last_event() {
	bgin "$1" audit show --json
	tail -1 "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["event"])'
}
# refused_tamper DESC STATE WORD ARGS...: exit 3, WORD on stderr,
# vault.json unchanged
refused_tamper() {
	local desc=$1 st=$2 word=$3 before
	shift 3
	before=$(h "$st")
	bgin "$st" "$@"
	check "$desc: exit 3" is_rc 3
	check "$desc: says why ($word)" has_err "$word"
	check "$desc: vault.json unchanged" test "$(h "$st")" = "$before"
}

people
# ---------------------------------------------------------- 1. dup token
copy dup
run_attack dup-token "$dir/dup" alice bob
check "1. attacker copied alice's token to bob (re-encoded key)" is_rc 0
bgin "$dir/dup" vault arm
check "1. vault arm refuses the genesis" test "$rc" -ne 0
check "1. ... naming the token enrolled twice" has_err "enrolled twice"
check "1. ... recorded (vault.refused)" test "$(last_event "$dir/dup")" = vault.refused
bgrun token enroll bob --yubikey --serial 3000001
check "1. rita's YubiKey slot refused for bob" test "$rc" -ne 0
check "1. ... 'already enrolled for rita'" has_err "already enrolled for rita"

# ---------------------------------------------------------- 2. genesis
seal_items
check "2. the genesis printed a fingerprint" test -n "$FP"
bgrun vault fingerprint
check "2. vault fingerprint prints the same" has_out "$FP"
bgrun audit verify --fingerprint "$FP"
check "2. audit verify with the kept fingerprint: ok" is_rc 0
check "2. ... one chain link re-verified" has_out "1 chain link(s) from genesis $FP"
bgrun audit verify --fingerprint "$(printf '%064d' 0)"
check "2. audit verify with another fingerprint: TAMPERED (exit 3)" is_rc 3

must request "$A" --reason "drill" --as rita --items root-password
RQ=$(grep -oE '^request [0-9a-f]{32} opened' "$out" | cut -d' ' -f2)
must approve "$RQ" --as alice
bgrun audit verify
check "2. a real approval re-verifies" has_out "token signatures re-verified"

# alice's FIDO2 approval checked by libfido2's own tool, from the log alone:
# clientDataHash = SHA-256("breakglass/v1/approval-intent" 0x00 || request
# hash || fingerprint || chain head || group 0x00 || person 0x00 || token),
# the credential key from the genesis in the chain.link entry
fido2_input() {  # STATE PERSON [bad] -> $dir/assert.in, $dir/key.pem
	python3 - "$1/audit/entries.jsonl" "$2" "${3:-}" "$dir" <<'PY'
import base64, hashlib, json, sys
path, who, bad, out = sys.argv[1:5]
ents = [json.loads(l) for l in open(path)]
link = [e for e in ents if e["event"] == "chain.link"][-1]["detail"]
ap = [e for e in ents if e["event"] == "approval.granted"
      and e["actor"] == who][-1]
d = ap["detail"]
st = dict(l.split(" ", 1) for l in d["statement"].split("\n") if " " in l)
req = bytes.fromhex(d["request_sha256"])
if bad:
    req = hashlib.sha256(req).digest()
cdh = hashlib.sha256(b"breakglass/v1/approval-intent\0" + req +
    bytes.fromhex(st["vault"]) + bytes.fromhex(st["chain"]) +
    st["group"].encode() + b"\0" + who.encode() + b"\0" +
    d["token"].encode()).digest()
person = [p for p in link["link"]["state"]["people"] if p["name"] == who][0]
tok = [t for t in person["tokens"] if t["id"] == d["token"]][0]
xy = base64.b64decode(tok["cred_pubkey"])
der = bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d03010703"
    "420004") + xy
pem = "-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC KEY-----\n" % \
    base64.b64encode(der).decode()
open(out + "/key.pem", "w").write(pem)
open(out + "/assert.in", "w").write("\n".join([
    base64.b64encode(cdh).decode(), "breakglass", d["fido2_authdata"],
    d["fido2_sig"]]) + "\n")
PY
}
fido2_input "$ST" alice
fido2-assert -V -p -h -i "$dir/assert.in" "$dir/key.pem" es256 >"$out" 2>"$err"
rc=$?
check "2. fido2-assert -V -p -h verifies alice's approval from the log" is_rc 0
fido2_input "$ST" alice bad
fido2-assert -V -p -h -i "$dir/assert.in" "$dir/key.pem" es256 >"$out" 2>"$err"
rc=$?
check "2. ... and refuses it for another request hash" test "$rc" -ne 0

# ---------------------------------------------------------- 3. forged grant
copy grant
run_attack forge-grant "$dir/grant" "$RQ" frank mfa
check "3. approval.granted by frank appended with the log's key" is_rc 0
bgin "$dir/grant" audit verify
check "3. audit verify: exit 3" is_rc 3
check "3. ... the log itself verifies (the attacker holds its key)" \
    has_out "^ok: .* entries verified"
check "3. ... names the forged approval" \
    has_out "TAMPERED: governance: entry [0-9]*: approval.granted by frank"

# ---------------------------------------------------------- 4. policy
copy pol
run_attack forge-policy "$dir/pol"
check "4. policy.changed (thresholds 1) appended with the log's key" is_rc 0
bgin "$dir/pol" audit verify
check "4. audit verify names the forged policy change (exit 3)" is_rc 3
check "4. ... 'policy.changed after genesis outside a chain link'" \
    has_out "policy.changed after genesis outside a chain link"
copy pol2
run_attack edit-policy "$dir/pol2"
check "4. vault.json rewritten with thresholds 1, recorded" is_rc 0
refused_tamper "4. status on it" "$dir/pol2" "disagrees with the chain" \
    status "$RQ"
check "4. ... recorded as vault.verify_failed" \
    test "$(last_event "$dir/pol2")" = vault.verify_failed

# ---------------------------------------------------------- 5. swapped key
copy swap
run_attack swap-key "$dir/swap" alice
check "5. alice's box key swapped in vault.json, recorded" is_rc 0
refused_tamper "5. seal on it" "$dir/swap" "disagrees with the chain" \
    seal "$A" root-password --generate --as bob
refused_tamper "5. approve on it" "$dir/swap" "disagrees with the chain" \
    approve "$RQ" --as bob

copy swl
run_attack swap-link "$dir/swl"
check "5. a link swapping four members' keys under their ids, recorded" is_rc 0
refused_tamper "5. status on it" "$dir/swl" "keeps its id but not its keys" \
    status "$RQ"
bgin "$dir/swl" audit verify
check "5. audit verify names the link (exit 3)" is_rc 3
check "5. ... 'keeps its id but not its keys'" has_out "keeps its id but not its keys"

# ------------------------------------------- 5b. unsigned ledger events
# entries the ledger or the ceremony acts on, appended with the log's key
# and signed by no token: each named by audit verify
for ev in approval.burn:frank request.quorum_met:frank release.done:rita \
    change.approved:alice; do
	copy ev
	run_attack forge-event "$dir/ev" "${ev%%:*}" "${ev#*:}" "$RQ"
	check "5b. ${ev%%:*} by ${ev#*:} appended with the log's key" is_rc 0
	bgin "$dir/ev" audit verify
	check "5b. ... audit verify names it (exit 3)" is_rc 3
	check "5b. ... 'governance: entry N: ${ev%%:*} by ${ev#*:}'" \
	    has_out "TAMPERED: governance: entry [0-9]*: ${ev%%:*} by ${ev#*:}"
done

# a genuine signed entry of alice's replayed for another request
copy rep
bgin "$dir/rep" request "$A" --reason "second" --as rita --items root-password
RQ2=$(grep -oE '^request [0-9a-f]{32} opened' "$out" | cut -d' ' -f2)
for ev in approval.burn approval.granted; do
	copy2=$dir/rep-$ev
	rm -rf "$copy2"
	cp -a "$dir/rep" "$copy2"
	run_attack replay "$copy2" "$ev" alice "$RQ" "$RQ2"
	check "5b. alice's real $ev of RQ replayed for RQ2" is_rc 0
	bgin "$copy2" audit verify
	check "5b. ... audit verify names it (exit 3)" is_rc 3
	check "5b. ... 'statement is for another request'" \
	    has_out "$ev by alice: the statement is for another request"
done

# rita's genuine request.open replayed under a new request id
copy rrq
run_attack replay "$dir/rrq" request.open rita "$RQ" ffffffffffffffffffffffffffffffff
check "5b. rita's real request.open replayed under another id" is_rc 0
bgin "$dir/rrq" audit verify
check "5b. ... audit verify names it (exit 3)" is_rc 3
check "5b. ... 'request.open by rita: not a request of theirs'" \
    has_out "request.open by rita: not a request of theirs"

# ---------------------------------------------------------- 6. forged chain
NEW=$dir/new
bgin "$NEW" init --account "$A" --account-name prod --root-email root@example.com
check "6. the attacker's own state (init)" is_rc 0
run_attack forge-chain "$ST" "$NEW"
check "6. a whole chain forged: real box keys, fresh signing keys" is_rc 0
bgin "$NEW" vault fingerprint
check "6. the forged chain verifies on its own (vault fingerprint ok)" is_rc 0
check "6. ... with another fingerprint than the real one" \
    test "$(grep -oE '[0-9a-f]{64}' "$out" | head -1)" != "$FP"
refused_tamper "6. bob seals on it with his real token" "$NEW" \
    "not the ones this vault's chain records" \
    seal "$A" root-password --generate --as bob
bgin "$NEW" audit verify --fingerprint "$FP"
check "6. audit verify with the real fingerprint: TAMPERED (exit 3)" is_rc 3
check "6. ... 'not the fingerprint given'" has_out "not the fingerprint given"

# ---------------------------------------------------------- 7. changes
pol_before=$(h "$ST")
must policy set --expiry 7200
C=$(change_id)
check "7. policy set after genesis opens a change" test -n "$C"
check "7. ... and saves nothing" test "$(h "$ST")" = "$pol_before"
must change approve "$C" --as alice
bgrun change approve "$C" --as alice
check "7. alice approving twice: refused" test "$rc" -ne 0
check "7. ... 'already approved'" has_err "already approved"
bgrun change apply "$C"
check "7. short of quorum (alice only): apply refused" test "$rc" -ne 0
check "7. ... names what is missing" has_err "group password: 1 more"
check "7. ... recorded (change.refused)" test "$(last_event "$ST")" = change.refused
check "7. ... vault.json unchanged" test "$(h "$ST")" = "$pol_before"
must change deny "$C" --as dave --reason "not agreed"
bgrun change approve "$C" --as bob
check "7. a denied change cannot be approved" test "$rc" -ne 0
bgrun change apply "$C"
check "7. a denied change cannot be applied" test "$rc" -ne 0
check "7. ... 'closed (denied)'" has_err "closed (denied)"

must policy set --expiry 7200
C2=$(change_id)
signed "$C2" alice bob dave erin
set_time $((now + 100000))	# past the change's expiry (policy: 1 h)
bgrun change apply "$C2"
check "7. an expired change, fully signed: apply refused" test "$rc" -ne 0
check "7. ... 'has expired'" has_err "has expired"
check "7. ... vault.json unchanged" test "$(h "$ST")" = "$pol_before"

# alice's own key enrolled for bob: a fresh credential, so only a change
"$vfido" "$virt" path alice-key >/dev/null
must token enroll bob --fido2 --device "$("$vfido" "$virt" path alice-key)"
C3=$(change_id)
check "7. token enroll bob on alice's key: only a change request" test -n "$C3"
must change approve "$C3" --as alice
must change approve "$C3" --as bob
bgrun change apply "$C3"
check "7. ... alice and bob alone cannot apply it (mfa group missing)" \
    test "$rc" -ne 0
check "7. ... vault.json unchanged" test "$(h "$ST")" = "$pol_before"

# a denial forged with the log's key: the change is not closed by it
must policy set --expiry 7200
C7=$(change_id)
signed "$C7" alice bob dave erin
copy den
run_attack forge-deny "$dir/den" "$C7" carol
check "7. change closed as 'denied by carol' with the log's key" is_rc 0
refused_tamper "7. change apply on it" "$dir/den" "denial is not signed" \
    change apply "$C7"
bgin "$dir/den" audit verify
check "7. ... audit verify names the forged change.denied (exit 3)" is_rc 3
check "7. ... 'change.denied by carol'" has_out "change.denied by carol"
copy crep
bgin "$dir/crep" policy set --expiry 7300
C9=$(change_id)
run_attack replay "$dir/crep" change.approved alice "$C7" "$C9"
check "7. alice's real approval of one change replayed for another" is_rc 0
bgin "$dir/crep" audit verify
check "7. ... audit verify names it (exit 3)" is_rc 3
check "7. ... 'names another link than change'" \
    has_out "change.approved by alice names another link than change $C9"
bgrun change deny "$C7" --as gina
check "7. a person without a token in the state before cannot deny" \
    test "$rc" -ne 0

# a change applied voids the requests made under the old head
must policy set --expiry 7200
C4=$(change_id)
signed "$C4" alice bob dave erin
must change apply "$C4"
check "7. a change with both groups' thresholds applies" has_out "change applied: link 1"
bgrun approve "$RQ" --as bob
check "7. a request opened under the old head: approve refused" test "$rc" -ne 0
check "7. ... 'older governance chain head'" has_err "older governance chain head"
bgrun change apply "$C3"
check "7. a change opened under the old head: refused" test "$rc" -ne 0
check "7. ... 'another chain head'" has_err "another chain head"
bgrun audit verify --fingerprint "$FP"
check "7. audit verify: ok, 2 links" has_out "2 chain link(s) from genesis $FP"

# a lost token removed after sealing: its boxes go with it, the vault opens
"$vfido" "$virt" create alice-key2 >/dev/null
must token enroll alice --fido2 --device "$("$vfido" "$virt" path alice-key2)"
C5=$(change_id)
signed "$C5" alice bob dave erin
must change apply "$C5"
T1=$(python3 -c 'import json,sys
v=json.load(open(sys.argv[1]))
print([p for p in v["people"] if p["name"]=="alice"][0]["tokens"][0]["id"])' "$ST/vault.json")
bgrun token remove alice --token "$T1"
check "7. removing alice's token that holds her only box: refused" \
    test "$rc" -ne 0
check "7. ... 'rekey group password'" has_err "rekey group password"
# the way out: the group rekeyed to the tokens alice holds now, then removed
must rekey begin password --with alice --with bob --as alice
RK=$(grep -oE '[0-9a-f]{32}' "$out" | head -1)
must rekey contribute "$RK" --as alice
must rekey contribute "$RK" --as bob
for p in alice bob carol; do must rekey accept "$RK" --as "$p"; done
must token remove alice --token "$T1"
C6=$(change_id)
signed "$C6" alice bob dave erin
must change apply "$C6"
bgrun vault show
check "7. after the rekey, token remove applied: vault show works" is_rc 0
check "7. ... no box of the removed token is left" \
    test "$(grep -c "$T1" "$ST/vault.json")" -eq 0
bgrun audit verify --fingerprint "$FP"
check "7. ... audit verify: ok, 4 links" has_out "4 chain link(s) from genesis $FP"

# a requester removed by a change: no more requests
must requester remove rita
C8=$(change_id)
check "7. requester remove after genesis: only a change request" test -n "$C8"
signed "$C8" alice bob dave erin
must change apply "$C8"
bgrun request "$A" --reason "after removal" --as rita --items root-password
check "7. ... applied: rita's request refused" test "$rc" -ne 0
check "7. ... 'not a requester'" has_err "not a requester"
bgrun audit verify --fingerprint "$FP"
check "7. ... audit verify: ok" is_rc 0

echo "# $pass passed, $failed failed"
[ "$failed" -eq 0 ]
