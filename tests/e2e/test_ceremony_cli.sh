#!/bin/bash
# tests/e2e/test_ceremony_cli.sh: the vault and the break-glass ceremony as
# shipped (the unmodified binary) on the software tokens of tests/virtual
# (libbgvfido.so: FIDO2 devices of $BG_VIRTUAL_DIR/fido2 under the real
# libfido2; libbgvyk.so: a fake libusb under the real libykpers), vault
# format v2 (docs/design.md §5.2): items sealed into one-time slots.
#
# Covers: setup (two accounts, two custodian groups 2 of 3, FIDO2 and
# YubiKey mixed, requesters); `vault arm` proposing the genesis as a
# change request (no keys made, nothing armed, seal refused) that every
# token holder signs and `change apply` arms (chain.link, vault.armed, the
# fingerprint `vault fingerprint` prints); sealing with `--as NAME` (the sealer's touch signs the version;
# who may seal); request / approve / release with the released values
# checked, one slot per item per request, slots burned by approvals
# (`vault show` "slots left"), `request.quorum_met` recorded before the
# shares; every refusal (exit code, message, audit entry, no state file
# changed, vault and audit still verify); tampering with request files,
# vault.json and the commitments files (versions/<root>.bin) on copies,
# both edited by hand and re-recorded with the audit signing key; a stolen
# state directory; and deny. Section 7: governance changes after the
# genesis as change requests (nothing changes before apply; short of the
# old thresholds, approved twice, denied, expired on the fake clock of
# tests/virtual/clock when built, made under an older chain head, a token
# added without its holder's signature: all refused).
#
# usage: test_ceremony_cli.sh BREAKGLASS BG_VFIDO BG_VYK LIBBGVFIDO LIBBGVYK
#            [asan|plain]
# "asan": the binary is built with AddressSanitizer, which otherwise
# refuses to run when a preloaded library comes before its runtime.
#
# A check that fails because the product is wrong is never weakened: it is
# a FAIL line whose text starts with "KNOWN BUG" (naming the file and
# function) until the product is fixed.
#
# Sections: setup (arm, seal and who may seal); 1. the ceremony (values
# released checked: the generated password, RFC 6238 codes, the note;
# slots and quorum_met); 2. refusals (quorum, the requester approving,
# twice, unknown/malformed ids, wrong group, denied/released requests,
# the wrong person releasing, tokens not touched / unplugged / swapped /
# reset / signing wrongly, arming with a member without a token, bad
# thresholds, one person in two groups); 5. deny; 6. the policy floor
# (docs/design.md §5.2: thresholds of 1, self-approval, a requester in a
# group; refused on the armed vault, and at run time on a copy whose
# policy was changed and re-recorded with the audit key); 3. tampering
# (request files edited, approvals copied, vault.json and commitments
# files edited on copies, an item sealed again under open requests, a
# stolen copy without tokens, no secret in any file in any encoding).
set -u

if [ $# -lt 5 ]; then
	echo "usage: $0 BREAKGLASS BG_VFIDO BG_VYK LIBBGVFIDO LIBBGVYK [asan|plain]" >&2
	exit 2
fi
bg=$1
vfido=$2
vyk=$3
pre_fido=$4
pre_yk=$5
mode=${6:-plain}
command -v python3 >/dev/null || { echo "python3 is needed" >&2; exit 2; }

. "${BASH_SOURCE%/*}/lib.sh"

dir=$(mktemp -d "${TMPDIR:-/tmp}/bg_ceremony_cli.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
virt=$dir/virtual
mkdir "$virt"
out=$dir/stdout
err=$dir/stderr
qout=$dir/q.stdout
qerr=$dir/q.stderr
ST=$dir/state		# the state directory the commands use
A1=111122223333
A2=444455556666




# The shipped binary under the preload libraries; rc, $out and $err hold
# the result. Redirections of the call (<<<) reach the binary.
# $clock_env (an array) may add the fake clock's preload and file.
clock_env=()
bgrun() {
	env "${asan_env[@]}" LD_PRELOAD="$pre_fido:$pre_yk" "${clock_env[@]}" \
	    BG_VIRTUAL_DIR="$virt" "$bg" --state "$ST" "$@" >"$out" 2>"$err"
	rc=$?
	cat "$err" >>"$dir/all.stderr"
}

# The same for the checks' own queries (audit show, verify): qrc, $qout.
bgq() {
	env "${asan_env[@]}" LD_PRELOAD="$pre_fido:$pre_yk" \
	    BG_VIRTUAL_DIR="$virt" "$bg" --state "$ST" "$@" >"$qout" 2>"$qerr"
	qrc=$?
	cat "$qerr" >>"$dir/all.stderr"
}

# absent STRING FILE|DIR...: no file (binary-safe, recursive) holds STRING;
# a grep error is not "absent"
absent() {
	local s=$1
	shift
	grep -rqaF -e "$s" -- "$@"
	[ $? -eq 1 ]
}
not_rc0() { [ "$rc" -ne 0 ]; }
has_out_f() { grep -qF -- "$1" "$out"; }
lacks_out() { ! grep -q -- "$1" "$out"; }
# fixed strings (secrets hold regex characters); grep errors count as found
lacks_out_f() { grep -qF -- "$1" "$out"; [ $? -eq 1 ]; }

# ------------------------------------------------------------- helpers
H=$dir/h.py
cat >"$H" <<'EOF'
import base64, hashlib, hmac, json, os, struct, sys, time

def entries(path):
    with open(path) as f:
        for line in f:
            if line.strip():
                yield json.loads(line)

cmd = sys.argv[1]
if cmd == "edit":
    # edit FILE STATEMENT: runs STATEMENT on the parsed JSON j, writes back
    path, stmt = sys.argv[2:4]
    with open(path) as f:
        j = json.load(f)
    exec(stmt, {"j": j})
    with open(path, "w") as f:
        f.write(json.dumps(j, indent="\t") + "\n")
elif cmd == "get":
    # get FILE EXPRESSION: prints eval(EXPRESSION) over j
    path, expr = sys.argv[2:4]
    with open(path) as f:
        j = json.load(f)
    print(eval(expr, {"j": j}))
elif cmd == "seed":
    # a fresh TOTP seed: base32, then the forms it must never appear in
    raw = os.urandom(20)
    b32 = base64.b32encode(raw).decode().rstrip("=")
    print(b32)
    print(b32.lower())
    print(raw.hex())
    print(raw.hex().upper())
    print(base64.b64encode(raw).decode().rstrip("="))
    print(base64.urlsafe_b64encode(raw).decode().rstrip("="))
elif cmd == "encodings":
    # the hex and base64 forms of a string's bytes
    raw = sys.argv[2].encode()
    print(raw.hex())
    print(base64.b64encode(raw).decode().rstrip("="))
elif cmd == "totp":
    # totp B32 FILE: FILE's "root-mfa: code C (S s left), next N" line
    # must be RFC 6238 (SHA-1, 6 digits, 30 s) for now or the window
    # before (the release ran a moment ago)
    b32, path = sys.argv[2:4]
    key = base64.b32decode(b32 + "=" * (-len(b32) % 8))
    def code(t):
        mac = hmac.new(key, struct.pack(">Q", t // 30), hashlib.sha1).digest()
        o = mac[-1] & 15
        v = struct.unpack(">I", mac[o:o + 4])[0] & 0x7fffffff
        return "%06d" % (v % 1000000)
    line = [l for l in open(path) if l.startswith("root-mfa: code ")]
    if len(line) != 1:
        sys.exit(1)
    w = line[0].split()
    got, nxt = w[2], w[-1]
    now = int(time.time())
    sys.exit(0 if any(got == code(t) and nxt == code(t + 30)
                      for t in (now, now - 30)) else 1)
elif cmd == "note":
    # note FILE TEXTFILE: the release printed the note's text exactly
    with open(sys.argv[2]) as f:
        o = f.read()
    with open(sys.argv[3]) as f:
        t = f.read()
    sys.exit(0 if ("recovery-codes:\n" + t + "\n") in o else 1)
elif cmd == "seqs":
    # seqs FILE EVENT ACTOR REQUEST: the seq of each matching entry
    path, ev, actor, req = sys.argv[2:6]
    print(" ".join(str(e["seq"]) for e in entries(path)
                   if e.get("event") == ev and actor in ("*", e.get("actor"))
                   and req in ("*", e.get("request"))))
elif cmd == "entries":
    # entries FILE ITEMS...: the (item, version, slot) the request names,
    # as "ITEM VERSION SLOT" lines from the signed request text
    with open(sys.argv[2]) as f:
        j = json.load(f)
    for l in j["request"].split("\n"):
        if l.startswith("entry "):
            print(l[len("entry "):])
elif cmd == "quorum":
    # quorum FILE ITEM: whether a request.quorum_met entry names ITEM
    path, item = sys.argv[2:4]
    sys.exit(0 if any(x.get("item") == item for e in entries(path)
                      if e.get("event") == "request.quorum_met"
                      for x in (e.get("detail") or {}).get("entries", []))
             else 1)
EOF

pyq() { python3 "$H" "$@"; }

# SHA-256 of every state file but the audit log (which a refusal appends to)
state_sum() {
	(cd "$ST" && find . \( -path ./audit -o -path ./spool \) -prune -o \
	    -type f -print | LC_ALL=C sort | xargs -r sha256sum)
}
same_state() { [ "$(state_sum)" = "$1" ]; }
# the same, changes/ left out (the change requests a command opens)
same_gov() { [ "$(state_sum | grep -v ' \./changes/')" = "$1" ]; }
# entries in the audit log now: the next entry's seq
audit_n() { wc -l <"$ST/audit/entries.jsonl" | tr -d ' '; }

# the actor of entries a command records when it names no one (--as):
# the login name; system entries (vault.verify_failed) name breakglass
me=$(id -un 2>/dev/null || echo "uid:$(id -u)")
# count FILE EVENT ACTOR REQUEST COMMAND ('*' matches anything): the
# entries of an `audit show --json` output (one compact JSON object a
# line; names, ids and commands hold nothing JSON escapes) that match.
# grep, not python: a python start costs a third of a second here.
count() {
	local ev=$2 actor=$3 req=$4 c=$5
	grep -F -- "\"event\":\"$ev\"" "$1" |
	    if [ "$actor" = '*' ]; then cat; else grep -F -- "\"actor\":\"$actor\""; fi |
	    if [ "$req" = '*' ]; then cat; else grep -F -- "\"request\":\"$req\""; fi |
	    if [ "$c" = '*' ]; then cat; else grep -F -- "\"command\":\"$c\""; fi |
	    wc -l
}
# logged N EVENT ACTOR REQUEST COMMAND: exactly one such entry from seq N on
logged() {
	bgq audit show --seq "$1.." --event "$2" --json
	[ "$qrc" -eq 0 ] && [ "$(count "$qout" "$2" "$3" "$4" "$5")" -eq 1 ]
}
# no entry EVENT for ACTOR and REQUEST from seq N on
not_logged() {
	bgq audit show --seq "$1.." --event "$2" --json
	[ "$qrc" -eq 0 ] && [ "$(count "$qout" "$2" "$3" "$4" '*')" -eq 0 ]
}
vault_ok() { bgq vault verify; [ "$qrc" -eq 0 ]; }
audit_ok() { bgq audit verify; [ "$qrc" -eq 0 ]; }
verifies() { vault_ok && audit_ok; }
# vault verify exits 3 naming FILE
vault_tampered() {
	bgq vault verify
	[ "$qrc" -eq 3 ] && grep -q -- "$1" "$qout" "$qerr"
}

# refused DESC RC PATTERN EVENT COMMAND ACTOR REQUEST -- ARGS...
# The command is refused with exit RC and a message matching PATTERN, the
# audit log holds exactly one EVENT entry of ACTOR for REQUEST (COMMAND in
# its detail, '*' for any), no state file changed, and (unless $tampered
# is set) vault verify and audit verify still pass.
refused() {
	local desc=$1 want=$2 pat=$3 ev=$4 cmd=$5 actor=$6 req=$7 before n0
	shift 8
	before=$(state_sum)
	n0=$(audit_n)
	bgrun "$@"
	check "$desc: exit $want" is_rc "$want"
	check "$desc: says '$pat'" has_err "$pat"
	check "$desc: audit records $ev" logged "$n0" "$ev" "$actor" "$req" "$cmd"
	check "$desc: no state file changed" same_state "$before"
	if [ -z "${tampered:-}" ]; then
		check "$desc: vault and audit still verify" verifies
	fi
}

# approve ID WHO: granted
approve() {
	local n0
	n0=$(audit_n)
	bgrun approve "$1" --as "$2"
	check "$2 approves ${3:-$1}" is_rc 0
	check "$2's approval is recorded" logged "$n0" approval.granted "$2" "$1" '*'
}

# request NAME ARGS...: opens a request as rita, its id in $rid
request() {
	local name=$1
	shift
	bgrun request "$A1" --as rita "$@"
	rid=$(sed -n 's/^request \([0-9a-f]\{32\}\) opened by .*/\1/p' "$out")
	check "request $name opened" test "$rc" -eq 0 -a -n "$rid"
}

rqfile() { echo "$ST/requests/$1.json"; }


# is_recorded NAME: the state file NAME is the one the audit log last
# recorded (what whoever holds the audit signing key can make true)
is_recorded() {
	local want
	want=$(grep -F "\"file\":\"$1\"" "$ST/audit/entries.jsonl" | tail -n 1 |
	    sed -n 's/.*"sha256":"\([0-9a-f]\{64\}\)".*/\1/p')
	[ -n "$want" ] && [ "$(sha256sum <"$ST/$1" | cut -d' ' -f1)" = "$want" ]
}
# slots_left ACCOUNT ITEM: "N of M" as `vault show` prints it
slots_left() {
	bgq vault show
	awk -v a="$1" -v it="$2" '
	    /^account / { cur = $2 }
	    cur == a && $1 == "item" && $2 == it {
		for (i = 1; i < NF; i++) if ($i == "left") print $(i + 1), $(i + 2), $(i + 3)
	    }' "$qout"
}
# rq_slot ID ITEM: "VERSION SLOT" the signed request names for ITEM
rq_slot() { pyq entries "$(rqfile "$1")" | awk -v it="$2" '$1 == it { print $2, $3 }'; }
# touches NAME: how often the software FIDO2 key NAME was touched
touches() { "$vfido" "$virt" touches "$1" 2>/dev/null; }
# before EV1 EV2 ACTOR1 ACTOR2 REQUEST: in the log, the first EV1 of
# ACTOR1 comes before the first EV2 of ACTOR2 (for REQUEST)
precedes() {
	local a b
	bgq audit show --request "$5" --json
	a=$(pyq seqs "$qout" "$1" "$3" "$5" | awk '{ print $1 }')
	b=$(pyq seqs "$qout" "$2" "$4" "$5" | awk '{ print $1 }')
	[ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ]
}

# ================================================================ setup
echo "# setup: two accounts, password and mfa groups 2 of 3, requesters"
for p in alice bob carol dave erin mallory; do
	"$vfido" "$virt" create "$p" >/dev/null || exit 1
done
for s in 1001 1002 1003 1004; do
	"$vyk" "$virt" create "$s" >/dev/null || exit 1
done
setup_fail=
setup() {
	bgrun "$@"
	[ "$rc" -eq 0 ] || { setup_fail="$setup_fail [$*: exit $rc: $(head -c 300 "$err")]"; }
}
for s in 1001 1002 1003 1004; do
	setup token program-yubikey --serial "$s"
done
setup init --account "$A1" --account-name prod --root-email aws-root@example.com
setup account add "$A2" --account-name staging --root-email aws-staging@example.com
for p in alice bob carol; do setup custodian add "$p" --group password; done
for p in dave erin frank; do setup custodian add "$p" --group mfa; done
setup requester add rita
setup requester add ron
setup policy set --threshold password=2 --threshold mfa=2
for p in alice bob carol dave erin; do
	setup token enroll "$p" --fido2 --device "$("$vfido" "$virt" path "$p")"
done
setup token enroll frank --yubikey --serial 1001
setup token enroll rita --yubikey --serial 1002
setup token enroll ron --yubikey --serial 1003
setup policy set --note recovery-codes
check "setup commands all exit 0${setup_fail}" test -z "$setup_fail"

# governance: `vault arm` checks the set-up and proposes the genesis as a
# change request; nothing is armed (and no key made) until every person
# holding a token has signed it and it is applied
EVERYONE="alice bob carol dave erin frank rita ron"
vsum() { sha256sum <"$ST/vault.json" | cut -d' ' -f1; }
# the state files but changes/ (where a proposal is kept)
gov_sum() { state_sum | grep -v ' \./changes/'; }
before=$(gov_sum)
vj=$(vsum)
n0=$(audit_n)
bgrun vault arm
GEN=$(gov_id)
check "vault arm exits 0" is_rc 0
check "vault arm says the vault is ready for genesis" has_out "^ready for genesis"
check "vault arm names both groups, 2 of 3" \
    test "$(grep -Ec '^  group (password|mfa) +2 of 3$' "$out")" -eq 2
check "vault arm says there are no group keys" has_out "no group keys"
check "vault arm names the genesis change request" \
    has_out "^the genesis is change request $GEN"
check "vault arm is recorded (change.opened)" \
    logged "$n0" change.opened '*' "$GEN" '*'
check "vault arm does not arm (no vault.armed, no chain.link)" eval \
    'not_logged "$n0" vault.armed "*" "*" && not_logged "$n0" chain.link "*" "*"'
check "vault arm changes no state file but its change request" \
    same_gov "$before"
check "vault arm leaves vault.json as it was" test "$(vsum)" = "$vj"
check "vault.json holds no keys of any account" test "$(pyq get \
    "$ST/vault.json" "sum('keys' in a for a in j['accounts'])")" -eq 0
bgrun vault show
check "vault show: format v2" has_out "^vault [0-9a-f]\{32\} (format v2)$"
check "vault show: nothing sealed in either account" \
    test "$(grep -c '^  nothing sealed$' "$out")" -eq 2
refused "seal before the genesis is applied" 1 "the vault has no genesis yet" \
    vault.refused seal alice '' -- seal "$A1" root-password --generate --as alice
check "the refused seal printed no password" lacks_out "generated root password"
# every token holder but ron: the genesis cannot be applied
gov_sign "$GEN" alice bob carol dave erin frank rita
check "the genesis approved by everyone but ron" is_rc 0
check "each approval is recorded (change.approved)" eval \
    'bgq audit show --seq "$n0.." --event change.approved --json; [ "$(count "$qout" change.approved "*" "$GEN" "*")" -eq 7 ]'
refused "approving the genesis twice (alice)" 1 "already approved" \
    change.refused '*' alice "$GEN" -- change approve "$GEN" --as alice
refused "applying the genesis without ron's signature" 1 "signatures missing: ron" \
    change.refused '*' '*' "$GEN" -- change apply "$GEN"
check "... left vault.json as it was" test "$(vsum)" = "$vj"
refused "seal while the genesis lacks a signature" 1 "no genesis yet" \
    vault.refused seal alice '' -- seal "$A1" root-password --generate --as alice
gov_sign "$GEN" ron
check "ron signs the genesis" is_rc 0
n0=$(audit_n)
bgrun change apply "$GEN"
FP=$(gov_fp)
check "change apply of the genesis exits 0" is_rc 0
check "it says the vault is armed" has_out "^vault armed: the genesis is signed"
check "it prints a 64-hex fingerprint" test -n "$FP"
check "the genesis link is recorded (chain.link)" \
    logged "$n0" chain.link '*' '*' '*'
check "the arming is recorded (vault.armed)" logged "$n0" vault.armed '*' '*' '*'
check "chain.link is recorded before vault.armed" eval \
    'bgq audit show --seq "$n0.." --json; grep -n "\"event\":\"\(chain.link\|vault.armed\)\"" "$qout" | cut -d: -f2- | grep -o "chain.link\|vault.armed" | tr "\n" " " | grep -qx "chain.link vault.armed "'
bgrun vault fingerprint
check "vault fingerprint prints the same fingerprint" \
    test "$rc" -eq 0 -a "$(gov_fp)" = "$FP"
bgrun vault arm
check "vault arm on the armed vault: exit 0, says armed, same fingerprint" \
    eval 'is_rc 0 && has_out "^the vault is armed" && [ "$(gov_fp)" = "$FP" ]'
refused "approving the applied genesis" 1 "closed" \
    change.refused '*' bob "$GEN" -- change approve "$GEN" --as bob
check "vault.json holds no keys of any account after the genesis" \
    test "$(pyq get "$ST/vault.json" "sum('keys' in a for a in j['accounts'])")" -eq 0

# ------------------------------------------------------------- sealing
echo "# sealing: --as NAME, whose token signs the seal"
before=$(state_sum)
n0=$(audit_n)
bgrun seal "$A1" root-password --generate
check "seal without --as: exit 2 (usage)" is_rc 2
check "seal without --as: the usage names --as NAME" \
    has_err "usage: breakglass seal ACCOUNT root-password --as NAME"
check "seal without --as: says who NAME may be" \
    has_err "a member of a group the item needs, or a requester"
check "seal without --as: no password generated or printed" test ! -s "$out"
check "seal without --as: no state file changed" same_state "$before"
check "seal without --as: nothing recorded" test "$(audit_n)" -eq "$n0"
bgrun seal "$A1" recovery-codes --note </dev/null
check "seal --note without --as: exit 2 (usage)" is_rc 2
refused "seal root-password as an mfa custodian (dave)" 1 \
    "dave may not seal root-password: a member of a group it needs or a requester must" \
    vault.refused seal dave '' -- seal "$A1" root-password --generate --as dave
check "the refused seal printed no password" lacks_out "generated root password"
refused "seal as nobody known (zed)" 1 "no person named 'zed'" \
    vault.refused seal zed '' -- seal "$A1" root-password --generate --as zed
refused "seal for an account not in the vault" 1 "no account 999988887777" \
    vault.refused seal alice '' -- seal 999988887777 root-password --generate --as alice
"$vfido" "$virt" knob alice no-touch on >/dev/null
refused "seal as alice, her token not touched" 1 "alice: .*not touched" \
    vault.refused seal alice '' -- seal "$A1" root-password --generate --as alice
"$vfido" "$virt" knob alice no-touch off >/dev/null
check "the untouched seal printed no password" lacks_out "generated root password"
bgq vault show
check "nothing was sealed by the refusals" \
    test "$(grep -c '^  nothing sealed$' "$qout")" -eq 2

t0=$(touches alice)
n0=$(audit_n)
bgrun seal "$A1" root-password --generate --as alice
PW=$(sed -n '/^generated root password/{n;p;}' "$out")
check "seal --generate --as alice exits 0 and prints the password" \
    test "$rc" -eq 0 -a -n "$PW"
check "alice touched her token for the seal" test "$(touches alice)" -eq $((t0 + 1))
check "the seal is recorded as alice's (item.sealed)" \
    logged "$n0" item.sealed alice '' '*'
bgrun password check --account-name prod --root-email aws-root@example.com \
    <<<"$PW"
check "the generated password passes 'password check'" is_rc 0

mapfile -t SEEDS < <(pyq seed)
SEED=${SEEDS[0]}
bgrun seal "$A1" root-mfa --otpauth - --as dave \
    <<<"otpauth://totp/AWS:aws-root@example.com?secret=$SEED&issuer=AWS"
check "seal root-mfa --otpauth - --as dave exits 0" is_rc 0
check "the otpauth URI is not echoed" absent "$SEED" "$out" "$err"

NOTE=$dir/note.txt
NOTE1="recovery code one $(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
NOTE2="recovery code two $(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s\n%s\n' "$NOTE1" "$NOTE2" >"$NOTE"
n0=$(audit_n)
bgrun seal "$A1" recovery-codes --note --as rita <"$NOTE"
check "seal recovery-codes --note --as rita (a requester) exits 0" is_rc 0
check "rita's seal is recorded" logged "$n0" item.sealed rita '' '*'
bgrun vault show
check "vault show lists the three items" \
    test "$(grep -Ec 'item (root-password|root-mfa|recovery-codes) .* v1 ' "$out")" -eq 3
check "vault show names each sealer" test "$(grep -Ec \
    'item (root-password .* by alice|root-mfa .* by dave|recovery-codes .* by rita),' \
    "$out")" -eq 3
check "vault show: every item has all 32 slots left" \
    test "$(grep -c 'slots left 32 of 32' "$out")" -eq 3
check "vault show: the note needs both groups" test "$(grep -A2 \
    '^  item recovery-codes' "$out" | grep -Ec '^    group (password|mfa) +2 of 3$')" -eq 2
check "vault show never shows the password" lacks_out_f "$PW"
# the version records: sealer and token, one member box per token, x in
# order, the commitments file named by the signed root
check "root-password: sealed by alice with her token" test "$(pyq get \
    "$ST/vault.json" "[(i['sealer'], i['sealer_token'] == [p for p in j['people'] if p['name'] == 'alice'][0]['tokens'][0]['id']) for i in j['accounts'][0]['items'] if i['name'] == 'root-password']")" = "[('alice', True)]"
check "root-password: members alice, bob, carol with x 1..3, one box each" \
    test "$(pyq get "$ST/vault.json" "[(m['person'], m['x'], len(m['boxes'])) for i in j['accounts'][0]['items'] if i['name'] == 'root-password' for g in i['groups'] for m in g['members']]")" = \
    "[('alice', 1, 1), ('bob', 2, 1), ('carol', 3, 1)]"
check "each item version has its commitments file versions/<root>.bin" \
    test "$(pyq get "$ST/vault.json" "sum(1 for i in j['accounts'][0]['items'] if __import__('os').path.isfile('$ST/versions/' + i['commitments'] + '.bin'))")" -eq 3

# ================================================= 1. the ceremony works
echo "# 1. request, approvals, release"
request R1 --reason "root sign-in drill" --ticket INC-1
R1=$rid
check "R1 asks for root-mfa and root-password" \
    has_out "items: root-mfa root-password"
check "R1 needs 2 of each group" has_out "missing: password: 0 of 2; mfa: 0 of 2"
check "R1 names one slot per item: slot 0 of version 1 of each" test \
    "$(rq_slot "$R1" root-password),$(rq_slot "$R1" root-mfa)" = "1 0,1 0"
check "opening a request burns no slot" \
    test "$(slots_left "$A1" root-password)" = "32 of 32"

n0=$(audit_n)
approve "$R1" alice R1
check "alice's approval shows the signed request (v2)" \
    has_out "Request (breakglass-request-v2):"
check "alice's approval shows the reason" has_out '"root sign-in drill"'
check "alice's approval shows the item's version and slot" \
    has_out "root-password  version 1  slot 0"
check "alice's approval names the slot it burns (approval.granted)" \
    eval 'bgq audit show --seq "$n0.." --event approval.granted --json; grep -q "\"entries\":\[{\"item\":\"root-password\",\"version\":1,\"slot\":0}\]" "$qout"'
check "vault show: alice's approval burned a root-password slot (31 left)" \
    test "$(slots_left "$A1" root-password)" = "31 of 32"
check "vault show: root-mfa, not approved yet, has 32 left" \
    test "$(slots_left "$A1" root-mfa)" = "32 of 32"
refused "one approval (password only) is not enough" 1 "no quorum" \
    request.refused release rita "$R1" -- release "$R1" --as rita
n0=$(audit_n)
approve "$R1" dave R1
check "one short of the quorum in every group: request.near_quorum" \
    logged "$n0" request.near_quorum dave "$R1" '*'
check "no quorum_met yet" not_logged "$n0" request.quorum_met '*' "$R1"
refused "one approval per group is not enough" 1 "no quorum" \
    request.refused release rita "$R1" -- release "$R1" --as rita
n0=$(audit_n)
approve "$R1" bob R1
check "bob's approval meets the password quorum: request.quorum_met" \
    logged "$n0" request.quorum_met bob "$R1" '*'
check "... naming root-password (its one group is complete)" \
    eval 'bgq audit show --seq "$n0.." --event request.quorum_met --json; pyq quorum "$qout" root-password'
check "... not root-mfa (the mfa group is not complete)" \
    eval '! pyq quorum "$qout" root-mfa'
check "quorum_met is recorded before bob's shares (approval.granted)" \
    precedes request.quorum_met approval.granted bob bob "$R1"
n0=$(audit_n)
approve "$R1" frank R1
check "frank's YubiKey approval completes the quorum" has_out "quorum is met"
check "frank's approval records quorum_met for root-mfa" \
    eval 'bgq audit show --seq "$n0.." --event request.quorum_met --json; pyq quorum "$qout" root-mfa'
check "quorum_met is recorded before frank's shares" \
    precedes request.quorum_met approval.granted frank frank "$R1"
bgrun status "$R1"
check "status R1: quorum met" has_out "quorum met: ready for release"
bgrun vault show
check "quorum is release: both items are marked for rotation before any release" \
    test "$(grep -c 'RELEASED: ROTATE' "$out")" -eq 2
check "vault show: R1 burned one slot of each item" \
    test "$(slots_left "$A1" root-password),$(slots_left "$A1" root-mfa)" = \
    "31 of 32,31 of 32"

refused "release by a custodian (alice), not the requester" 1 "only rita" \
    request.refused release alice "$R1" -- release "$R1" --as alice
refused "release by another requester (ron)" 1 "only rita" \
    request.refused release ron "$R1" -- release "$R1" --as ron
"$vyk" "$virt" knob 1002 removed on >/dev/null
refused "release with rita's YubiKey unplugged" 1 \
    "rita: none of their tokens is connected" \
    request.refused release rita "$R1" -- release "$R1" --as rita
"$vyk" "$virt" knob 1002 removed off >/dev/null

n0=$(audit_n)
bgrun release "$R1" --as rita
check "release R1 exits 0" is_rc 0
check "release R1 prints the generated password" \
    test "$(sed -n 's/^root-password: //p' "$out")" = "$PW"
check "release R1 prints the right TOTP code and the next" pyq totp "$SEED" "$out"
check "release R1 does not print the TOTP seed" lacks_out_f "$SEED"
check "release R1 does not print the note (not asked for)" lacks_out_f "$NOTE1"
check "release R1 is recorded (release.done)" \
    logged "$n0" release.done rita "$R1" '*'
bgrun vault show
check "released items stay marked RELEASED: ROTATE" \
    test "$(grep -c 'RELEASED: ROTATE' "$out")" -eq 2
check "the release burned no further slot" \
    test "$(slots_left "$A1" root-password)" = "31 of 32"
refused "release twice" 1 "is released" \
    request.refused release rita "$R1" -- release "$R1" --as rita
refused "approving a released request" 1 "is released" \
    request.refused approve carol "$R1" -- approve "$R1" --as carol

# the note: every group, with the seed revealed on request; the next
# request gets the next slot of root-mfa (R1 burned slot 0)
request RN --reason "recover the account" --items root-mfa,recovery-codes
RN=$rid
check "the note needs both groups" has_out "missing: password: 0 of 2; mfa: 0 of 2"
check "RN names root-mfa slot 1, not slot 0 that R1's approvals burned" \
    test "$(rq_slot "$RN" root-mfa)" = "1 1"
check "RN names slot 0 of the note (none burned)" \
    test "$(rq_slot "$RN" recovery-codes)" = "1 0"
approve "$RN" carol RN
approve "$RN" bob RN
approve "$RN" erin RN
approve "$RN" frank RN
check "vault show: root-mfa has 30 slots left, the note 31" \
    test "$(slots_left "$A1" root-mfa),$(slots_left "$A1" recovery-codes)" = \
    "30 of 32,31 of 32"
bgrun release "$RN" --as rita --reveal-seed
check "release RN exits 0" is_rc 0
check "release RN prints the note exactly" pyq note "$out" "$NOTE"
check "release --reveal-seed prints the seed" has_out "seed (base32): $SEED"
check "release RN does not print the password" lacks_out_f "$PW"
bgq audit show --event release.done --request "$RN" --json
check "the audit log records reveal_seed" grep -q '"reveal_seed":true' "$qout"

# ====================================================== 2. refusals
echo "# 2. refusals"
request R2 --reason "billing contact change" --ticket CHG-2
R2=$rid
refused "the requester approves her own request" 1 "cannot approve" \
    request.refused approve rita "$R2" -- approve "$R2" --as rita
refused "a requester who is no custodian approves" 1 "not in a group" \
    request.refused approve ron "$R2" -- approve "$R2" --as ron
refused "an unknown person approves" 1 "no person named 'zed'" \
    request.refused approve zed "$R2" -- approve "$R2" --as zed
approve "$R2" alice R2
refused "approving twice" 1 "already approved" \
    request.refused approve alice "$R2" -- approve "$R2" --as alice
UNKNOWN=0123456789abcdef0123456789abcdef
refused "approving an unknown request id" 1 "no request $UNKNOWN" \
    request.refused approve alice "$UNKNOWN" -- approve "$UNKNOWN" --as alice
refused "a malformed request id" 1 "not a request id" \
    request.refused approve alice not-a-request -- approve not-a-request --as alice
refused "a request id that is a path" 1 "not a request id" \
    request.refused approve alice ../vault -- approve ../vault --as alice
refused "releasing an unknown request id" 1 "no request" \
    request.refused release rita "$UNKNOWN" -- release "$UNKNOWN" --as rita

# tokens that do not cooperate: approval.failed, nothing recorded
"$vfido" "$virt" knob carol no-touch on >/dev/null
refused "carol's token is not touched" 1 "not touched" \
    approval.failed '*' carol "$R2" -- approve "$R2" --as carol
"$vfido" "$virt" knob carol no-touch off >/dev/null
bgrun status "$R2"
check "no approval of carol was recorded" lacks_out "approved: carol"

"$vfido" "$virt" knob erin removed on >/dev/null
refused "erin's key unplugged, another key (mallory's) plugged" 1 \
    "none of their tokens is connected" \
    approval.failed '*' erin "$R2" -- approve "$R2" --as erin
"$vfido" "$virt" knob erin removed off >/dev/null

"$vfido" "$virt" knob dave wrong-secret on >/dev/null
refused "dave's token gives another secret (reset or swapped)" 1 \
    "does not match the enrolled one" \
    approval.failed '*' dave "$R2" -- approve "$R2" --as dave
"$vfido" "$virt" knob dave wrong-secret off >/dev/null

"$vfido" "$virt" knob dave bad-signature on >/dev/null
refused "dave's token signs the statement wrongly" 3 "signature" \
    approval.failed '*' dave "$R2" -- approve "$R2" --as dave
"$vfido" "$virt" knob dave bad-signature off >/dev/null

"$vyk" "$virt" knob 1001 removed on >/dev/null
refused "frank's YubiKey unplugged, other YubiKeys plugged" 1 \
    "frank: none of their tokens is connected" \
    approval.failed '*' frank "$R2" -- approve "$R2" --as frank
"$vyk" "$virt" knob 1001 removed off >/dev/null

"$vyk" "$virt" knob 1001 no-touch on >/dev/null
refused "frank's YubiKey is not touched" 1 "frank: .*no touch in time" \
    approval.failed '*' frank "$R2" -- approve "$R2" --as frank
"$vyk" "$virt" knob 1001 no-touch off >/dev/null

# ron's YubiKey reprogrammed (a reset, or another key with his serial)
"$vyk" "$virt" program 1003 2 --key 00112233445566778899aabbccddeeff00112233 >/dev/null
refused "ron's YubiKey gives another secret: request refused" 1 \
    "does not match the enrolled one" \
    request.refused request ron '*' -- request "$A1" --as ron --reason "test"
bgrun status "$R2"
check "R2 still holds only alice's approval" \
    test "$(grep -c '^  approved: ' "$out")" -eq 1

# a password-only request: the mfa group is not involved
request R3 --reason "rotate the root password" --items root-password
R3=$rid
check "R3 needs the password group only" has_out "missing: password: 0 of 2$"
refused "an mfa custodian approves a password-only request" 1 \
    "not in a group this request needs" \
    request.refused approve dave "$R3" -- approve "$R3" --as dave
refused "an mfa custodian denies a password-only request" 1 \
    "neither the requester nor in a group" \
    request.refused deny dave "$R3" -- deny "$R3" --as dave --reason "no"
refused "another requester denies rita's request" 1 \
    "neither the requester nor in a group" \
    request.refused deny ron "$R3" -- deny "$R3" --as ron --reason "no"
approve "$R3" alice R3
approve "$R3" bob R3
bgrun release "$R3" --as rita
check "release R3 exits 0" is_rc 0
check "release R3 prints the password" \
    test "$(sed -n 's/^root-password: //p' "$out")" = "$PW"
check "release R3 prints no TOTP code" lacks_out "root-mfa"

# =========================================================== 5. deny
echo "# 5. deny"
request R4 --reason "suspicious request" --ticket INC-4
R4=$rid
approve "$R4" alice R4
n0=$(audit_n)
bgrun deny "$R4" --as dave --reason "not approved"
check "dave denies R4" is_rc 0
check "deny says so" has_out "denied by dave"
check "the denial is recorded (approval.denied)" \
    logged "$n0" approval.denied dave "$R4" '*'
bgrun status "$R4"
check "status R4 shows it denied" has_out "\[denied\]"
check "status R4 names dave" has_out "denied by dave"
bgrun status
check "status (open requests) no longer lists R4" lacks_out_f "$R4"
refused "approving a denied request" 1 "is denied" \
    request.refused approve bob "$R4" -- approve "$R4" --as bob
refused "releasing a denied request" 1 "is denied" \
    request.refused release rita "$R4" -- release "$R4" --as rita
refused "denying a denied request" 1 "is denied" \
    request.refused deny erin "$R4" -- deny "$R4" --as erin --reason again

# a denial gives no slot back: alice's approval burned R4's slot (R1, R2,
# R3 and R4 each burned one root-password slot)
check "vault show: R4's burned slot stays burned after the denial" \
    test "$(slots_left "$A1" root-password)" = "28 of 32"

# at most 3 open requests per requester (R2 is open)
request RC1 --reason "cap one" --items root-password
RC1=$rid
request RC2 --reason "cap two" --items root-password
RC2=$rid
check "open requests hold distinct slots" \
    test "$(rq_slot "$R2" root-password)" != "$(rq_slot "$RC1" root-password)" -a \
    "$(rq_slot "$RC1" root-password)" != "$(rq_slot "$RC2" root-password)"
refused "a fourth open request of rita" 1 "rita already has 3 open requests" \
    request.refused request rita '' -- request "$A1" --as rita --reason "cap three"
for r in "$RC1" "$RC2" "$R2"; do
	bgrun deny "$r" --as rita --reason "closed by the requester"
	check "rita denies her own request ${r:0:8}" is_rc 0
done

# ======================================= 2. policy errors, fresh vault
echo "# 2. arming refusals (a second state directory)"
MAIN=$ST
ST=$dir/state2
setup_fail=
setup init --account "$A1" --account-name prod --root-email aws-root@example.com
setup custodian add alice --group password
setup custodian add bob --group password
setup custodian add dave --group mfa
setup custodian add gina --group mfa
for p in alice bob dave; do
	setup token enroll "$p" --fido2 --device "$("$vfido" "$virt" path "$p")"
done
check "second vault set up${setup_fail}" test -z "$setup_fail"
bgrun policy set --threshold password=3 --threshold mfa=1
check "policy set with threshold 3 of 2 is kept but flagged" \
    has_out "threshold 3 is above its 2 members"
refused "vault arm with a threshold above the member count" 1 \
    "threshold 3 is above its 2 members" \
    vault.refused "vault arm" "$me" '' -- vault arm
refused "a threshold of 0" 1 "range" \
    vault.refused "policy set" "$me" '' -- policy set --threshold password=0
check "a threshold of 0: says the floor is 2" has_err "use 2 to 64"
# docs/design.md §5.2: mfa=1 from above is kept, flagged, and never armed
T1="group \"mfa\": threshold 1 lets one person's share stand for the whole group: it must be at least 2"
bgrun policy set --threshold password=2
check "policy set leaving mfa at threshold 1: exit 0 (not armed yet)" is_rc 0
check "policy set leaving mfa at threshold 1: flagged with the reason" \
    has_out_f "not yet valid: $T1"
refused "vault arm with an mfa threshold of 1" 1 "$T1" \
    vault.refused "vault arm" "$me" '' -- vault arm
refused "policy set --self-approval on" 1 \
    "self-approval cannot be turned on: a requester may never be a member" \
    vault.refused "policy set" "$me" '' -- policy set --self-approval on
bgq policy show
check "the refused self-approval left it off" \
    grep -q '"self_approval":.*false' "$qout"
setup policy set --self-approval off --threshold mfa=2
refused "vault arm when gina has no token" 1 "gina" \
    vault.refused "vault arm" "$me" '' -- vault arm
check "the refusal tells how to fix it" has_err "token enroll gina"
# a custodian made a requester before arming: kept, flagged, never armed
RQ="requester \"dave\" is a member of group \"mfa\": a requester may not be a custodian"
bgrun requester add dave
check "requester add of a custodian, not armed yet: exit 0" is_rc 0
check "requester add of a custodian: flagged with the reason" has_out_f "not yet valid: $RQ"
bgrun policy show
check "policy show names the requester in a group" has_out_f "not yet valid: $RQ"
refused "vault arm with a requester in a group" 1 "$RQ" \
    vault.refused "vault arm" "$me" '' -- vault arm
setup custodian remove gina --group mfa
setup custodian add alice --group mfa
refused "vault arm with alice in both groups" 1 \
    "alice.*one person must not satisfy two groups" \
    vault.refused "vault arm" "$me" '' -- vault arm
refused "seal on the vault that cannot be armed" 1 \
    "the vault has no genesis yet" \
    vault.refused seal alice '' -- seal "$A1" root-password --generate --as alice
for ev in change.opened vault.armed chain.link; do
	bgq audit show --event $ev --json
	check "the second vault never had a genesis proposed or armed (no $ev)" \
	    test "$qrc" -eq 0 -a ! -s "$qout"
done
check "the second vault has no change request" \
    eval '[ -z "$(ls -A "$ST/changes" 2>/dev/null)" ]'
bgq vault show
check "the second vault holds nothing sealed" grep -q "^  nothing sealed$" "$qout"
ST=$MAIN

# ===================================================== 6. the policy floor
echo "# 6. the policy floor on the armed vault"
refused "requester add alice, a custodian, on the armed vault" 1 \
    "requester \"alice\" is a member of group \"password\": a requester may not be a custodian" \
    vault.refused "requester add" "$me" '' -- requester add alice
refused "custodian add rita, a requester, on the armed vault" 1 \
    "requester \"rita\" is a member of group \"mfa\": a requester may not be a custodian" \
    vault.refused "custodian add" "$me" '' -- custodian add rita --group mfa
refused "policy set --threshold mfa=1 on the armed vault" 1 \
    "the vault is armed, so its policy must keep the floor: $T1" \
    vault.refused "policy set" "$me" '' -- policy set --threshold mfa=1
refused "policy set --self-approval on, on the armed vault" 1 \
    "self-approval cannot be turned on" \
    vault.refused "policy set" "$me" '' -- policy set --self-approval on
bgq vault show
check "rita is still only a requester" grep -q "^person rita (requester)" "$qout"

# No command puts a requester into a group of an armed vault; whoever holds
# the state and its audit signing key can write it into vault.json and
# re-record the file (docs/design.md §2.8: in scope). On a copy: a request
# fully approved and one approved by alice, then rita written into the mfa
# group and the change re-recorded with the log's key. Since governance,
# vault.json must be the state the chain's head signs, so every command
# refuses the copy as tampered (exit 3) before the run-time floor check
# (which the edit can no longer reach) would.
echo "# 6. the floor at run time (a copy, re-recorded with the audit key)"
MAIN=$ST
ST=$dir/state-floor
cp -a "$MAIN" "$ST"
request RF --reason "floor: full quorum before the change" --items root-password,root-mfa
RF=$rid
for p in alice bob dave frank; do approve "$RF" "$p" RF; done
request RG --reason "floor: one approval before the change"
RG=$rid
approve "$RG" alice RG
pyq edit "$ST/vault.json" "[g for g in j['policy']['groups'] if g['name']=='mfa'][0]['members'].append('rita')"
python3 "${BASH_SOURCE%/*}/record.py" "$ST" vault.json
check "the re-recorded copy passes audit verify (the attacker holds its key)" \
    audit_ok
check "vault verify names vault.json: it disagrees with the chain" \
    vault_tampered "disagrees with the chain"
tampered=1
RQM="vault.json disagrees with the chain"
refused "request by rita, now in the mfa group" 3 "$RQM" \
    vault.verify_failed '*' breakglass '' -- request "$A1" --as rita --reason "floor"
refused "an mfa custodian approves rita's request" 3 "$RQM" \
    vault.verify_failed '*' breakglass '' -- approve "$RG" --as erin
check "... no approval of erin recorded" not_logged 0 approval.granted erin "$RG"
refused "a password custodian approves rita's request" 3 "$RQM" \
    vault.verify_failed '*' breakglass '' -- approve "$RG" --as bob
refused "release of the request approved before the change" 3 "$RQM" \
    vault.verify_failed '*' breakglass '' -- release "$RF" --as rita
check "the refused release printed no password" lacks_out_f "$PW"
bgq status "$RF"
check "status refuses the copy too (exit 3, naming the chain)" \
    eval '[ "$qrc" -eq 3 ] && grep -qF "$RQM" "$qerr"'
unset tampered
ST=$MAIN
rm -rf "$dir/state-floor"
check "main state: vault and audit verify" verifies

# ============================================ 7. governance changes
# After the genesis a set-up command that changes who may approve only
# opens a change request: nothing changes until the old threshold of every
# group (and every token the change adds) has signed and it is applied.
# On a copy, so that the main state keeps its members for section 3.
echo "# 7. governance changes after the genesis (a copy)"
MAIN=$ST
ST=$dir/state-gov
cp -a "$MAIN" "$ST"
pol() { bgq policy show; cat "$qout"; }
cust() { bgq custodian list; cat "$qout"; }
thr() { bgq policy show; python3 -c 'import json, sys
print(" ".join("%s=%d" % (g["name"], g["threshold"]) for g in json.load(open(sys.argv[1]))["groups"]))' "$qout"; }
# opened before any change is applied: a break-glass request and a change
request RS --reason "opened before a governance change"
RS=$rid
bgrun custodian remove carol --group password
CS=$(gov_id)
check "custodian remove on the armed vault opens a change request" \
    test "$rc" -eq 0 -a -n "$CS"
check "... and says nothing has changed yet" \
    has_out "^nothing has changed yet: change request $CS"
check "... carol is still in group password" eval 'cust | grep -q carol'

P0=$(pol)
L0=$(cust)
before=$(gov_sum)
n0=$(audit_n)
bgrun policy set --threshold mfa=3
C1=$(gov_id)
check "policy set on the armed vault opens a change request (C1)" \
    test "$rc" -eq 0 -a -n "$C1"
check "C1: says nothing has changed yet" \
    has_out "^nothing has changed yet: change request $C1"
check "C1: recorded as change.opened" logged "$n0" change.opened '*' "$C1" '*'
check "C1: no policy.changed recorded" not_logged "$n0" policy.changed '*' '*'
check "C1: policy show unchanged" test "$(pol)" = "$P0"
check "C1: no state file changed but changes/" same_gov "$before"
gov_sign "$C1" alice
check "alice approves C1 (one member of one group)" is_rc 0
check "alice's approval is recorded (change.approved)" \
    logged "$n0" change.approved alice "$C1" '*'
refused "C1 applied with one member of one group" 1 "signatures missing" \
    change.refused '*' '*' "$C1" -- change apply "$C1"
check "C1 short of quorum: vault.json and every state file as before" \
    same_gov "$before"
check "C1 short of quorum: policy show unchanged" test "$(pol)" = "$P0"
refused "alice approves C1 twice" 1 "already approved" \
    change.refused '*' alice "$C1" -- change approve "$C1" --as alice
gov_sign "$C1" bob dave
check "bob and dave approve C1" is_rc 0
refused "C1 applied with the password quorum and one mfa member" 1 \
    "signatures missing: group mfa" \
    change.refused '*' '*' "$C1" -- change apply "$C1"
check "C1 short in mfa: vault.json and every state file as before" \
    same_gov "$before"
check "C1 short in mfa: policy show unchanged" test "$(pol)" = "$P0"
gov_sign "$C1" erin
check "erin approves C1" is_rc 0
n0=$(audit_n)
bgrun change apply "$C1"
check "C1 applied with 2 of password and 2 of mfa: exit 0" is_rc 0
check "C1: link 1 of the chain" has_out "^change applied: link 1 of the chain"
check "C1: the fingerprint stays the genesis's" test "$(gov_fp)" = "$FP"
check "C1: chain.link recorded" logged "$n0" chain.link '*' '*' '*'
check "C1: change.applied recorded" logged "$n0" change.applied '*' '' '*'
check "C1: change.closed recorded" logged "$n0" change.closed '*' "$C1" '*'
check "C1: the policy now says mfa 3 of 3" test "$(thr)" = "password=2 mfa=3"
check "C1: the members did not change" test "$(cust | sed 's/ (threshold [0-9]*)//')" = \
    "$(sed 's/ (threshold [0-9]*)//' <<<"$L0")"
bgrun vault fingerprint
check "vault fingerprint: the same, 2 links" \
    eval '[ "$(gov_fp)" = "$FP" ] && has_out "chain: 2 link(s)"'
check "C1 applied: vault and audit verify" verifies

# stale: opened under the head before C1
before=$(state_sum)
refused "approving a change opened before C1 was applied" 1 \
    "made under another chain head" \
    change.refused '*' alice "$CS" -- change approve "$CS" --as alice
refused "applying a change opened before C1 was applied" 1 \
    "made under another chain head" \
    change.refused '*' '*' "$CS" -- change apply "$CS"
check "carol is still in group password" eval 'cust | grep -q carol'
refused "approving a request opened before C1 was applied" 1 \
    "made under an older governance chain head" \
    request.refused approve alice "$RS" -- approve "$RS" --as alice

# denied
bgrun policy set --threshold password=3
C2=$(gov_id)
check "policy set --threshold password=3 opens C2" test "$rc" -eq 0 -a -n "$C2"
P1=$(pol)
n0=$(audit_n)
bgrun change deny "$C2" --as alice --reason "not agreed"
check "alice denies C2: exit 0" is_rc 0
check "the denial is recorded (change.denied)" \
    logged "$n0" change.denied alice "$C2" '*'
refused "approving a denied change" 1 "closed" \
    change.refused '*' bob "$C2" -- change approve "$C2" --as bob
gov_sign "$C2" bob dave erin
refused "applying a denied change" 1 "closed" \
    change.refused '*' '*' "$C2" -- change apply "$C2"
check "C2 denied: the policy unchanged (password 2)" \
    test "$(thr)" = "password=2 mfa=3"
check "C2 denied: policy show unchanged" test "$(pol)" = "$P1"

# a token added: the new person signs it with the new token
"$vfido" "$virt" create gina >/dev/null || exit 1
before=$(gov_sum)
bgrun token enroll gina --fido2 --device "$("$vfido" "$virt" path gina)"
C3=$(gov_id)
check "token enroll of a new person opens a change request (C3)" \
    test "$rc" -eq 0 -a -n "$C3"
check "C3: gina is no person of the vault yet" \
    eval 'bgq vault show; ! grep -q "^person gina" "$qout"'
check "C3: no state file changed but changes/" same_gov "$before"
gov_sign "$C3" alice bob dave erin frank
check "C3 approved by 2 of password and 3 of mfa" is_rc 0
refused "C3 applied without the added token's signature" 1 "gina" \
    change.refused '*' '*' "$C3" -- change apply "$C3"
check "C3 without gina: vault.json and every state file as before" \
    same_gov "$before"
gov_sign "$C3" gina
check "gina signs C3 with her new token" is_rc 0
bgrun change apply "$C3"
check "C3 applied: exit 0, link 2" \
    eval 'is_rc 0 && has_out "^change applied: link 2 of the chain"'
check "C3 applied: gina is a person of the vault" \
    eval 'bgq vault show; grep -q "^person gina" "$qout"'
# gina joins group password: a second change, the old thresholds
L0=$(cust)
before=$(gov_sum)
bgrun custodian add gina --group password
C4=$(gov_id)
check "custodian add gina opens a change request (C4)" \
    test "$rc" -eq 0 -a -n "$C4"
check "C4: custodian list unchanged" test "$(cust)" = "$L0"
gov_sign "$C4" alice bob dave erin
refused "C4 applied with 2 of mfa's new threshold 3" 1 "signatures missing" \
    change.refused '*' '*' "$C4" -- change apply "$C4"
check "C4 short: custodian list unchanged" test "$(cust)" = "$L0"
check "C4 short: vault.json and every state file as before" same_gov "$before"
gov_sign "$C4" frank
bgrun change apply "$C4"
check "C4 applied: exit 0, link 3" \
    eval 'is_rc 0 && has_out "^change applied: link 3 of the chain"'
check "C4 applied: custodian list names gina" \
    eval 'test "$(cust)" != "$L0" && cust | grep -q gina'
check "C4 applied: vault and audit verify" verifies

# expired: the fake clock of tests/virtual/clock, preloaded for one
# command at a time (the policy's request expiry, 14400 s, has passed)
clocklib=${pre_fido%/fido2/*}/clock/libbgclock.so
if [ -f "$clocklib" ]; then
	bgrun policy set --threshold password=3
	C5=$(gov_id)
	check "policy set --threshold password=3 opens C5" \
	    test "$rc" -eq 0 -a -n "$C5"
	gov_sign "$C5" alice bob dave erin frank
	echo $(( $(date +%s) + 14400 + 600 )) >"$dir/now"
	clock_env=(LD_PRELOAD="$pre_fido:$pre_yk:$clocklib"
	    BG_FAKE_CLOCK_FILE="$dir/now")
	refused "approving an expired change" 1 "has expired" \
	    change.refused '*' gina "$C5" -- change approve "$C5" --as gina
	refused "applying an expired change" 1 "has expired" \
	    change.refused '*' '*' "$C5" -- change apply "$C5"
	clock_env=()
	check "C5 expired: the policy unchanged" \
	    test "$(thr)" = "password=2 mfa=3"
else
	echo "# skipped: no fake clock ($clocklib) for an expired change"
fi
ST=$MAIN
rm -rf "$dir/state-gov"
check "main state: vault and audit verify" verifies


# ========================================================= 3. tampering
echo "# 3. tampering"
# two open requests: RA fully approved, RB approved by alice
request RA --reason "quarterly root check" --ticket CHG-10
RA=$rid
for p in alice bob dave frank; do approve "$RA" "$p" RA; done
request RB --reason "contact update" --ticket CHG-11
RB=$rid
approve "$RB" alice RB

# (a') a stolen copy of the state directory, no token: nothing releases
STOLEN=$dir/stolen
cp -a "$ST" "$STOLEN"
mkdir "$dir/no-tokens"
env "${asan_env[@]}" LD_PRELOAD="$pre_fido:$pre_yk" \
    BG_VIRTUAL_DIR="$dir/no-tokens" "$bg" --state "$STOLEN" \
    release "$RA" --as rita >"$out" 2>"$err"
rc=$?
check "stolen state, no token: release of an approved request refused" is_rc 1
check "stolen state, no token: nothing printed" lacks_out_f "$PW"
rm -rf "$STOLEN"

# (b) a request file edited after approval: the reason, the ticket and
# the slot in the signed request text
tampered=1
F=$(rqfile "$RB")
cp "$F" "$dir/RB.orig"
SLOT_EDIT="import re; j['request'] = re.sub(r'(?m)^(entry root-password \\d+) (\\d+)$', lambda m: m.group(1) + ' ' + str(int(m.group(2)) + 5), j['request'])"
for edit in "reason|j['reason']='contact update (and more)'" \
    "ticket|j['request']=j['request'].replace('ticket CHG-11', 'ticket CHG-99')" \
    "slot|$SLOT_EDIT"; do
	what=${edit%%|*}
	pyq edit "$F" "${edit#*|}"
	check "RB's $what edited: the file did change" eval '! cmp -s "$F" "$dir/RB.orig"'
	refused "RB's $what edited: release" 3 "requests/$RB.json" \
	    request.refused release rita "$RB" -- release "$RB" --as rita
	refused "RB's $what edited: approve" 3 "edited" \
	    request.refused approve bob "$RB" -- approve "$RB" --as bob
	check "RB's $what edited: vault verify exits 3 naming the file" \
	    vault_tampered "requests/$RB.json"
	cp "$dir/RB.orig" "$F"
done
unset tampered
check "RB restored: vault and audit verify" verifies

# (c) RA's approvals copied into RB
tampered=1
pyq edit "$F" "import json; j['approvals']=json.load(open('$(rqfile "$RA")'))['approvals']"
refused "RA's approvals copied into RB: release" 3 "requests/$RB.json" \
    request.refused release rita "$RB" -- release "$RB" --as rita
check "copied approvals: vault verify exits 3 naming RB" \
    vault_tampered "requests/$RB.json"
cp "$dir/RB.orig" "$F"
# a request file added by hand (a copy of RA under RB's name is another
# request: the file names RA inside)
cp "$(rqfile "$RA")" "$F"
refused "RA's file copied over RB's" 3 "requests/$RB.json" \
    request.refused release rita "$RB" -- release "$RB" --as rita
cp "$dir/RB.orig" "$F"
unset tampered
check "RB restored: vault and audit verify" verifies

# (c') the same edits re-recorded with the audit signing key (in scope:
# docs/design.md §2.8), on copies: the file matches the log, and what
# refuses is what the tokens signed (the requester's request, each
# approver's statement, the re-sealed shares' labels)
MAIN=$ST
tampered=1
# rq_forge NAME PYTHON: a copy of the main state, RB's file edited and
# recorded in the log with the audit key
rq_forge() {
	ST=$dir/state-$1
	rm -rf "$ST"
	cp -a "$MAIN" "$ST"
	F=$(rqfile "$RB")
	pyq edit "$F" "$2"
	python3 "${BASH_SOURCE%/*}/record.py" "$ST" "requests/$RB.json"
	check "$1: the edited file is the one the log records, the log verifies" \
	    eval 'is_recorded "requests/$RB.json" && audit_ok'
}
rq_forge rq-slot "$SLOT_EDIT"
refused "RB's slot edited and re-recorded: approve" 3 \
    "the request is not one the requester's token signed" \
    request.refused approve bob "$RB" -- approve "$RB" --as bob
rq_forge rq-ticket "j['request']=j['request'].replace('ticket CHG-11', 'ticket CHG-99')"
refused "RB's ticket edited and re-recorded: release" 3 \
    "the request is not one the requester's token signed" \
    request.refused release rita "$RB" -- release "$RB" --as rita
rq_forge rq-reason "j['reason']='contact update (and more)'"
refused "RB's reason edited and re-recorded: approve" 1 \
    "the reason is not the one the request signs" \
    request.refused approve bob "$RB" -- approve "$RB" --as bob
rq_forge rq-copied "import json
j['approvals'] += [a for a in json.load(open('$(rqfile "$RA")'))['approvals'] if a['custodian'] != 'alice']"
refused "RA's approvals added to RB and re-recorded: release" 3 \
    "the approval of bob is not a signed statement for this request" \
    request.refused release rita "$RB" -- release "$RB" --as rita
check "... printed no password" lacks_out_f "$PW"
bgq status "$RB"
check "status counts none of the copied approvals" \
    grep -q "missing: password: 1 of 2; mfa: 0 of 2" "$qout"
unset tampered
ST=$MAIN
rm -rf "$dir"/state-rq-*
check "main state: vault and audit verify" verifies

# (d) vault.json edited by hand, on copies, so that the main state stays
# intact: every command refuses (exit 3) before it acts, and records
# vault.verify_failed.
MAIN=$ST
tampered=1
PWI="[i for i in j['accounts'][0]['items'] if i['name'] == 'root-password'][0]"
MFI="[i for i in j['accounts'][0]['items'] if i['name'] == 'root-mfa'][0]"
# vault_edit NAME PYTHON: a copy of the main state with vault.json edited
# (it: A1's root-password item, mf: its root-mfa item)
vault_edit() {
	ST=$dir/state-$1
	rm -rf "$ST"
	cp -a "$MAIN" "$ST"
	pyq edit "$ST/vault.json" "it = $PWI; mf = $MFI
$2"
	check "$1: vault verify exits 3 naming vault.json" vault_tampered vault.json
}
# the item's password threshold raised, the policy's lowered to 1
vault_edit threshold-raised "it['groups'][0]['threshold'] = 3
j['policy']['groups'][0]['threshold'] = 1"
refused "threshold-raised: vault show" 3 "vault.json" \
    vault.verify_failed '*' breakglass '' -- vault show
refused "threshold-raised: request" 3 "vault.json" \
    vault.verify_failed '*' breakglass '' -- request "$A1" --as rita --reason x
refused "threshold-raised: approve" 3 "vault.json" \
    vault.verify_failed '*' breakglass '' -- approve "$RB" --as bob
refused "threshold-raised: release" 3 "vault.json" \
    vault.verify_failed '*' breakglass '' -- release "$RA" --as rita
check "threshold-raised: release printed nothing" lacks_out_f "$PW"

# alice's and bob's member boxes of root-password swapped (the token ids
# left in place, so the file still parses)
vault_edit boxes-swapped "m = it['groups'][0]['members']
b0, b1 = m[0]['boxes'][0], m[1]['boxes'][0]
b0['box'], b1['box'] = b1['box'], b0['box']"
n0=$(audit_n)
refused "boxes-swapped: approve" 3 "vault.json" \
    vault.verify_failed '*' breakglass '' -- approve "$RB" --as bob
check "boxes-swapped: no approval of bob recorded" \
    not_logged "$n0" approval.granted bob "$RB"

vault_edit member-dropped "it['groups'][0]['members'].pop()"
refused "member-dropped: release" 3 "vault.json" \
    vault.verify_failed '*' breakglass '' -- release "$RA" --as rita
vault_edit signature "import base64
s = bytearray(base64.b64decode(it['signature'])); s[5] ^= 1
it['signature'] = base64.b64encode(bytes(s)).decode()"
refused "signature: release" 3 "vault.json" \
    vault.verify_failed '*' breakglass '' -- release "$RA" --as rita
vault_edit slots "it['slots'] = 31"
refused "slots: approve" 3 "vault.json" \
    vault.verify_failed '*' breakglass '' -- approve "$RB" --as bob
vault_edit epoch "it['epoch'] = 2"
refused "epoch: request" 3 "vault.json" \
    vault.verify_failed '*' breakglass '' -- request "$A1" --as rita --reason x
vault_edit commitments "it['commitments'] = mf['commitments']"
refused "commitments (root-mfa's root): release" 3 "vault.json" \
    vault.verify_failed '*' breakglass '' -- release "$RA" --as rita
# the sealed password replaced by a note an attacker sealed elsewhere is
# the same: the file no longer matches the log
refused "commitments: seal a new password" 3 "vault.json" \
    vault.verify_failed '*' breakglass '' -- seal "$A1" root-password --as alice \
    <<<'Xk9#mPq2$Lw7!Rt5vZa-new'
check "commitments: still detected after the refused seal" \
    vault_tampered vault.json
# a person's token swapped for another (rita's YubiKey descriptor given
# to ron): ron could open rita's requests
vault_edit token-swapped "p = {x['name']: x for x in j['people']}
p['rita']['tokens'], p['ron']['tokens'] = p['ron']['tokens'], p['rita']['tokens']"
refused "token-swapped: release" 3 "vault.json" \
    vault.verify_failed '*' breakglass '' -- release "$RA" --as rita
ST=$MAIN
rm -rf "$dir"/state-threshold-raised "$dir"/state-boxes-swapped \
    "$dir"/state-member-dropped "$dir"/state-signature "$dir"/state-slots \
    "$dir"/state-epoch "$dir"/state-commitments "$dir"/state-token-swapped

# (d') the same edits of an item's version record re-recorded with the
# audit key: the sealer's token signed the version (label with epoch, N,
# ciphertext hash, key commitment, commitments root; the commitments
# carry each group's t and n) and every member box's label names vault,
# item, version, epoch, group, x, person and token
# vault_forge NAME PYTHON: vault_edit, then vault.json recorded in the log
vault_forge() {
	ST=$dir/state-$1
	rm -rf "$ST"
	cp -a "$MAIN" "$ST"
	pyq edit "$ST/vault.json" "it = $PWI; mf = $MFI
$2"
	python3 "${BASH_SOURCE%/*}/record.py" "$ST" vault.json
	check "$1: the edited vault.json is the one the log records, the log verifies" \
	    eval 'is_recorded vault.json && audit_ok'
}
SIG="the sealer's signature does not verify"
vault_forge f-signature "import base64
s = bytearray(base64.b64decode(it['signature'])); s[5] ^= 1
it['signature'] = base64.b64encode(bytes(s)).decode()"
refused "signature re-recorded: approve" 3 "root-password version 1: $SIG" \
    request.refused approve bob "$RB" -- approve "$RB" --as bob
refused "signature re-recorded: release" 3 "root-password version 1: $SIG" \
    request.refused release rita "$RA" -- release "$RA" --as rita
check "signature re-recorded: release printed nothing" lacks_out_f "$PW"
refused "signature re-recorded: request" 3 "root-password version 1: $SIG" \
    request.refused request rita '' -- request "$A1" --as rita --reason x \
    --items root-password
vault_forge f-epoch "it['epoch'] = 2
for g in it['groups']:
    if 'epoch' in g: g['epoch'] = 2"
refused "epoch re-recorded: release" 3 "$SIG" \
    request.refused release rita "$RA" -- release "$RA" --as rita
# N changed, each member box cut to the length N implies (so it parses)
vault_forge f-slots "import base64
it['slots'] = 31
for g in it['groups']:
    for m in g['members']:
        for b in m['boxes']:
            b['box'] = base64.b64encode(base64.b64decode(b['box'])[:32 + 31 * 32 + 16]).decode()"
refused "slots re-recorded: approve" 3 "$SIG" \
    request.refused approve bob "$RB" -- approve "$RB" --as bob
vault_forge f-data "import base64
s = bytearray(base64.b64decode(it['data'])); s[30] ^= 1
it['data'] = base64.b64encode(bytes(s)).decode()"
refused "ciphertext re-recorded: release" 3 "$SIG" \
    request.refused release rita "$RA" -- release "$RA" --as rita
vault_forge f-commitments "it['commitments'] = mf['commitments']"
refused "commitments root re-recorded (root-mfa's): release" 3 "$SIG" \
    request.refused release rita "$RA" -- release "$RA" --as rita
vault_forge f-sealer "it['sealer'] = 'bob'
it['sealer_token'] = [p for p in j['people'] if p['name'] == 'bob'][0]['tokens'][0]['id']"
refused "sealer re-recorded as bob: approve" 3 "$SIG" \
    request.refused approve bob "$RB" -- approve "$RB" --as bob
# boxes swapped between two members: bob's box is alice's, under a label
# naming alice, x 1: it cannot open for bob
vault_forge f-boxes-swapped "m = it['groups'][0]['members']
b0, b1 = m[0]['boxes'][0], m[1]['boxes'][0]
b0['box'], b1['box'] = b1['box'], b0['box']"
before=$(state_sum)
n0=$(audit_n)
bgrun approve "$RB" --as bob
check "boxes swapped, re-recorded: bob's approval refused" not_rc0
check "boxes swapped, re-recorded: the box does not open for bob" \
    has_err "does not open"
check "boxes swapped, re-recorded: the failure is recorded (approval.failed)" \
    logged "$n0" approval.failed bob "$RB" '*'
check "boxes swapped, re-recorded: no approval of bob recorded" \
    not_logged "$n0" approval.granted bob "$RB"
check "boxes swapped, re-recorded: no state file changed" same_state "$before"
check "boxes swapped, re-recorded: refused as tampering (exit 3)" \
    is_rc 3
# the item's threshold raised: the commitments the sealer signed say 2
vault_forge f-threshold "it['groups'][0]['threshold'] = 3"
before=$(state_sum)
n0=$(audit_n)
bgrun release "$RA" --as rita
check "threshold raised, re-recorded: release refused" not_rc0
check "threshold raised, re-recorded: release printed nothing" lacks_out_f "$PW"
check "threshold raised, re-recorded: the refusal is recorded" \
    logged "$n0" request.refused rita "$RA" release
check "threshold raised, re-recorded: no state file changed" same_state "$before"
check "threshold raised, re-recorded: release refused as tampering (exit 3)" \
    is_rc 3
# a member dropped from the item's group: n is 2, the commitments say 3
vault_forge f-member-dropped "it['groups'][0]['members'].pop()"
bgrun approve "$RB" --as bob
check "member dropped, re-recorded: approve refused as tampering (exit 3)" \
    is_rc 3
unset tampered
ST=$MAIN
rm -rf "$dir"/state-f-*
check "main state: vault and audit verify" verifies

# (e) the commitments file of root-password (versions/<root>.bin, named by
# the root the sealer signed) edited or missing, on copies: every command
# refuses (exit 3) and records vault.verify_failed
tampered=1
# commit_edit NAME: a copy of the main state; $CF is root-password's file
commit_edit() {
	ST=$dir/state-$1
	rm -rf "$ST"
	cp -a "$MAIN" "$ST"
	CF=$ST/versions/$(pyq get "$ST/vault.json" "${PWI}['commitments']").bin
}
commit_edit bin-edited
check "bin-edited: the commitments file exists" test -s "$CF"
python3 -c 'import sys; p = sys.argv[1]; b = bytearray(open(p, "rb").read())
b[100] ^= 1; open(p, "wb").write(b)' "$CF"
refused "commitments file edited: approve" 3 "does not hash to its name" \
    vault.verify_failed '*' breakglass '' -- approve "$RB" --as bob
refused "commitments file edited: release" 3 "does not hash to its name" \
    vault.verify_failed '*' breakglass '' -- release "$RA" --as rita
check "commitments file edited: release printed nothing" lacks_out_f "$PW"
refused "commitments file edited: vault show" 3 "does not hash to its name" \
    vault.verify_failed '*' breakglass '' -- vault show
check "commitments file edited: vault verify exits 3 naming it" \
    vault_tampered "versions/"
commit_edit bin-missing
rm -f "$CF"
refused "commitments file missing: approve" 3 "is missing" \
    vault.verify_failed '*' breakglass '' -- approve "$RB" --as bob
refused "commitments file missing: release" 3 "is missing" \
    vault.verify_failed '*' breakglass '' -- release "$RA" --as rita
refused "commitments file missing: request" 3 "is missing" \
    vault.verify_failed '*' breakglass '' -- request "$A1" --as rita --reason x
check "commitments file missing: vault verify exits 3 naming it" \
    vault_tampered "versions/"
unset tampered
ST=$MAIN
rm -rf "$dir"/state-bin-*

# (f) an item sealed again under open requests, on a copy: the requests
# name version 1, whose slots are useless now; version 2 has all its slots
ST=$dir/state-reseal
cp -a "$MAIN" "$ST"
bgrun seal "$A1" root-password --as bob <<<'Xk9#mPq2$Lw7!Rt5vZa-new'
check "root-password sealed again by bob (copy)" is_rc 0
check "version 2 has all 32 slots and is not marked for rotation" \
    eval 'bgq vault show; grep -q "item root-password .* v2 .* by bob, slots left 32 of 32$" "$qout"'
refused "approving a request for the old version" 1 \
    "root-password was sealed again (version 2, the request names 1): open a new request" \
    request.refused approve bob "$RB" -- approve "$RB" --as bob
refused "releasing a request for the old version" 1 "sealed again" \
    request.refused release rita "$RA" -- release "$RA" --as rita
check "... printed neither password" eval 'lacks_out_f "$PW" && lacks_out_f "Xk9#mPq2"'
ST=$MAIN
rm -rf "$dir/state-reseal"
check "main state: vault and audit verify" verifies

# ====================================== 3a. the stolen state directory
echo "# 3a. the state directory holds no secret in clear"
# every file, binary-safe, audit/ and spool/ included
mkdir "$dir/canary"
printf 'x%sx' "${SEEDS[2]}" >"$dir/canary/f"
check "the leak search finds a planted secret (it can fail)" \
    grep -rqaF -e "${SEEDS[2]}" "$dir/canary"
check "no file holds the root password" absent "$PW" "$ST"
mapfile -t PWENC < <(pyq encodings "$PW")
check "no file holds the password in hex" absent "${PWENC[0]}" "$ST"
check "no file holds the password in base64" absent "${PWENC[1]}" "$ST"
check "no file holds the TOTP seed (base32)" absent "${SEEDS[0]}" "$ST"
check "no file holds the TOTP seed (base32, lower case)" absent "${SEEDS[1]}" "$ST"
check "no file holds the TOTP seed (hex)" absent "${SEEDS[2]}" "$ST"
check "no file holds the TOTP seed (HEX)" absent "${SEEDS[3]}" "$ST"
check "no file holds the TOTP seed (base64)" absent "${SEEDS[4]}" "$ST"
check "no file holds the TOTP seed (base64url)" absent "${SEEDS[5]}" "$ST"
check "no file holds the recovery note (line 1)" absent "$NOTE1" "$ST"
check "no file holds the recovery note (line 2)" absent "$NOTE2" "$ST"
check "the audit log was searched too (it exists and is not empty)" \
    test -s "$ST/audit/entries.jsonl"

check "finally: vault and audit verify" verifies
check "no sanitizer report in any command's stderr" \
    eval '! grep -Eq "runtime error:|AddressSanitizer|LeakSanitizer" "$dir/all.stderr"'
echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]
