#!/bin/bash
# tests/e2e/test_ceremony_cli.sh: the vault and the break-glass ceremony as
# shipped (the unmodified binary) on the software tokens of tests/virtual
# (libbgvfido.so: FIDO2 devices of $BG_VIRTUAL_DIR/fido2 under the real
# libfido2; libbgvyk.so: a fake libusb under the real libykpers).
#
# Covers: setup (two accounts, two custodian groups 2 of 3, FIDO2 and
# YubiKey mixed, requesters), sealing (generated password, TOTP seed,
# recovery note), request / approve / release with the released values
# checked, every refusal (exit code, message, audit entry, no state file
# changed, vault and audit still verify), tampering with request files and
# vault.json, a stolen state directory, rekey after a custodian leaves,
# and deny.
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
# Sections: setup; 1. the ceremony (values released checked: the generated
# password, RFC 6238 codes, the note); 2. refusals (quorum, the requester
# approving, twice, unknown/malformed ids, wrong group, denied/released
# requests, the wrong person releasing, tokens not touched / unplugged /
# swapped / reset / signing wrongly, arming with a member without a token,
# bad thresholds, one person in two groups); 5. deny; 6. the policy floor
# (docs/design.md §5.2: thresholds of 1, self-approval, a requester in a
# group; refused on the armed vault, and at run time on a copy whose
# policy was changed and re-recorded with the audit key); 3. tampering
# (request files edited, approvals copied, vault.json edited on copies, a
# stolen copy without tokens, no secret in any file in any encoding); 4.
# rekey after a custodian leaves.
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
bgrun() {
	env "${asan_env[@]}" LD_PRELOAD="$pre_fido:$pre_yk" \
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
if cmd == "count":
    # count FILE EVENT ACTOR REQUEST COMMAND ('*' matches anything)
    path, ev, actor, req, c = sys.argv[2:7]
    n = 0
    for e in entries(path):
        d = e.get("detail") or {}
        if e.get("event") == ev and actor in ("*", e.get("actor")) and \
           req in ("*", e.get("request")) and c in ("*", d.get("command")):
            n += 1
    print(n)
elif cmd == "edit":
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
elif cmd == "forge":
    # forge STATE FILE: what whoever holds the state and its audit signing
    # key can do: record FILE's current bytes in the log (an entry naming
    # its SHA-256) and sign a checkpoint over the new tree (docs/audit.md)
    # with the openssl tool, so that vault verify and audit verify accept
    # the edit
    import subprocess, tempfile
    state, name = sys.argv[2:4]
    ad = os.path.join(state, "audit")
    keyf = os.path.join(ad, "signing.key")
    with open(os.path.join(state, name), "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    with open(os.path.join(ad, "entries.jsonl"), "rb") as f:
        lines = f.read().split(b"\n")[:-1]
    e = {"seq": len(lines), "time": json.loads(lines[-1])["time"],
         "event": "policy.changed", "actor": "", "account": "",
         "request": "", "detail": {"file": name, "sha256": sha}}
    lines.append(json.dumps(e, separators=(",", ":")).encode())
    with open(os.path.join(ad, "entries.jsonl"), "ab") as f:
        f.write(lines[-1] + b"\n")
    def mth(ls):    # RFC 9162 2.1.1
        if len(ls) == 1:
            return hashlib.sha256(b"\0" + ls[0]).digest()
        k = 1
        while 2 * k < len(ls):
            k *= 2
        return hashlib.sha256(b"\1" + mth(ls[:k]) + mth(ls[k:])).digest()
    with open(os.path.join(ad, "verifier.vkey")) as f:
        origin = f.read().split("+")[0]
    pub = subprocess.run(["openssl", "pkey", "-in", keyf, "-pubout",
                          "-outform", "DER"], check=True,
                         capture_output=True).stdout[-32:]
    kid = hashlib.sha256(origin.encode() + b"\n\x01" + pub).digest()[:4]
    text = "%s\n%d\n%s\n" % (origin, len(lines),
                             base64.b64encode(mth(lines)).decode())
    fd, tf = tempfile.mkstemp()     # openssl 3.0 signs Ed25519 from a file
    with os.fdopen(fd, "w") as f:
        f.write(text)
    sig = subprocess.run(["openssl", "pkeyutl", "-sign", "-rawin",
                          "-inkey", keyf, "-in", tf], check=True,
                         capture_output=True).stdout
    os.unlink(tf)
    note = (text + "\n\u2014 %s %s\n" % (origin, base64.b64encode(
        kid + sig).decode())).encode()
    # checkpoint.slots: the slot not holding the newest, generation + 1
    with open(os.path.join(ad, "checkpoint.slots"), "r+b") as f:
        b = f.read()
        gen = [struct.unpack("<Q", b[i + 8:i + 16])[0]
               if b[i:i + 8] == b"BGCKPT1\n" else -1 for i in (0, 4096)]
        hdr = b"BGCKPT1\n" + struct.pack("<QI", max(gen) + 1, len(note)) + \
            b"\0" * 4
        slot = hdr + hashlib.sha256(hdr + note).digest() + note
        f.seek(0 if gen[0] < gen[1] else 4096)
        f.write(slot + b"\0" * (4096 - len(slot)))
elif cmd == "note":
    # note FILE TEXTFILE: the release printed the note's text exactly
    with open(sys.argv[2]) as f:
        o = f.read()
    with open(sys.argv[3]) as f:
        t = f.read()
    sys.exit(0 if ("recovery-codes:\n" + t + "\n") in o else 1)
EOF

pyq() { python3 "$H" "$@"; }

# SHA-256 of every state file but the audit log (which a refusal appends to)
state_sum() {
	(cd "$ST" && find . \( -path ./audit -o -path ./spool \) -prune -o \
	    -type f -print | LC_ALL=C sort | xargs -r sha256sum)
}
same_state() { [ "$(state_sum)" = "$1" ]; }
# entries in the audit log now: the next entry's seq
audit_n() { wc -l <"$ST/audit/entries.jsonl" | tr -d ' '; }

# logged N EVENT ACTOR REQUEST COMMAND: exactly one such entry from seq N on
logged() {
	bgq audit show --seq "$1.." --event "$2" --json
	[ "$qrc" -eq 0 ] && [ "$(pyq count "$qout" "$2" "$3" "$4" "$5")" -eq 1 ]
}
# no entry EVENT for ACTOR and REQUEST from seq N on
not_logged() {
	bgq audit show --seq "$1.." --event "$2" --json
	[ "$qrc" -eq 0 ] && [ "$(pyq count "$qout" "$2" "$3" "$4" '*')" -eq 0 ]
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
check "setup commands all exit 0${setup_fail}" test -z "$setup_fail"

bgrun vault arm
check "vault arm exits 0" is_rc 0
check "vault arm made 4 group keys" has_out "4 group key"
bgrun vault show
check "vault show: 4 group keys armed 2 of 3" \
    test "$(grep -c 'armed: 2 of 3, key epoch 1' "$out")" -eq 4

# ------------------------------------------------------------- sealing
bgrun seal "$A1" root-password --generate
PW=$(sed -n '/^generated root password/{n;p;}' "$out")
check "seal --generate exits 0 and prints the password" \
    test "$rc" -eq 0 -a -n "$PW"
bgrun password check --account-name prod --root-email aws-root@example.com \
    <<<"$PW"
check "the generated password passes 'password check'" is_rc 0

mapfile -t SEEDS < <(pyq seed)
SEED=${SEEDS[0]}
bgrun seal "$A1" root-mfa --otpauth - \
    <<<"otpauth://totp/AWS:aws-root@example.com?secret=$SEED&issuer=AWS"
check "seal root-mfa --otpauth - exits 0" is_rc 0
check "the otpauth URI is not echoed" absent "$SEED" "$out" "$err"

NOTE=$dir/note.txt
NOTE1="recovery code one $(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
NOTE2="recovery code two $(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s\n%s\n' "$NOTE1" "$NOTE2" >"$NOTE"
bgrun seal "$A1" recovery-codes --note <"$NOTE"
check "seal recovery-codes --note exits 0" is_rc 0
bgrun vault show
check "vault show lists the three items" \
    test "$(grep -Ec 'item (root-password|root-mfa|recovery-codes) .* v1 ' "$out")" -eq 3
check "vault show never shows the password" lacks_out_f "$PW"

# ================================================= 1. the ceremony works
echo "# 1. request, approvals, release"
request R1 --reason "root sign-in drill" --ticket INC-1
R1=$rid
check "R1 asks for root-password and root-mfa" \
    has_out "items: root-password root-mfa"
check "R1 needs 2 of each group" has_out "missing: password: 0 of 2; mfa: 0 of 2"

approve "$R1" alice R1
check "alice's approval shows the statement" has_out "breakglass-approval-v1"
check "alice's approval shows the reason" has_out '"root sign-in drill"'
refused "one approval (password only) is not enough" 1 "no quorum" \
    request.refused release rita "$R1" -- release "$R1" --as rita
approve "$R1" dave R1
refused "one approval per group is not enough" 1 "no quorum" \
    request.refused release rita "$R1" -- release "$R1" --as rita
approve "$R1" bob R1
approve "$R1" frank R1
check "frank's YubiKey approval completes the quorum" has_out "quorum is met"
bgrun status "$R1"
check "status R1: quorum met" has_out "quorum met: ready for release"

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
check "released items are marked NEEDS ROTATION" \
    test "$(grep -c 'NEEDS ROTATION' "$out")" -eq 2
refused "release twice" 1 "is released" \
    request.refused release rita "$R1" -- release "$R1" --as rita
refused "approving a released request" 1 "is released" \
    request.refused approve carol "$R1" -- approve "$R1" --as carol

# the note: every group, with the seed revealed on request
request RN --reason "recover the account" --items root-mfa,recovery-codes
RN=$rid
check "the note needs both groups" has_out "missing: password: 0 of 2; mfa: 0 of 2"
approve "$RN" carol RN
approve "$RN" bob RN
approve "$RN" erin RN
approve "$RN" frank RN
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
    vault.refused "vault arm" '' '' -- vault arm
refused "a threshold of 0" 1 "range" \
    vault.refused "policy set" '' '' -- policy set --threshold password=0
check "a threshold of 0: says the floor is 2" has_err "use 2 to 64"
# docs/design.md §5.2: mfa=1 from above is kept, flagged, and never armed
T1="group \"mfa\": threshold 1 lets one person's share stand for the whole group: it must be at least 2"
bgrun policy set --threshold password=2
check "policy set leaving mfa at threshold 1: exit 0 (not armed yet)" is_rc 0
check "policy set leaving mfa at threshold 1: flagged with the reason" \
    has_out_f "not yet valid: $T1"
refused "vault arm with an mfa threshold of 1" 1 "$T1" \
    vault.refused "vault arm" '' '' -- vault arm
refused "policy set --self-approval on" 1 \
    "self-approval cannot be turned on: a requester may never be a member" \
    vault.refused "policy set" '' '' -- policy set --self-approval on
bgq policy show
check "the refused self-approval left it off" \
    grep -q '"self_approval":.*false' "$qout"
setup policy set --self-approval off --threshold mfa=2
refused "vault arm when gina has no token" 1 "gina" \
    vault.refused "vault arm" '' '' -- vault arm
check "the refusal tells how to fix it" has_err "token enroll gina"
# a custodian made a requester before arming: kept, flagged, never armed
RQ="requester \"dave\" is a member of group \"mfa\": a requester may not be a custodian"
bgrun requester add dave
check "requester add of a custodian, not armed yet: exit 0" is_rc 0
check "requester add of a custodian: flagged with the reason" has_out_f "not yet valid: $RQ"
bgrun policy show
check "policy show names the requester in a group" has_out_f "not yet valid: $RQ"
refused "vault arm with a requester in a group" 1 "$RQ" \
    vault.refused "vault arm" '' '' -- vault arm
setup custodian remove gina --group mfa
setup custodian add alice --group mfa
refused "vault arm with alice in both groups" 1 \
    "alice.*one person must not satisfy two groups" \
    vault.refused "vault arm" '' '' -- vault arm
bgq vault show
check "the second vault is still not armed" grep -q "not armed" "$qout"
ST=$MAIN

# ===================================================== 6. the policy floor
echo "# 6. the policy floor on the armed vault"
refused "requester add alice, a custodian, on the armed vault" 1 \
    "requester \"alice\" is a member of group \"password\": a requester may not be a custodian" \
    vault.refused "requester add" '' '' -- requester add alice
refused "custodian add rita, a requester, on the armed vault" 1 \
    "requester \"rita\" is a member of group \"mfa\": a requester may not be a custodian" \
    vault.refused "custodian add" '' '' -- custodian add rita --group mfa
refused "policy set --threshold mfa=1 on the armed vault" 1 \
    "the vault is armed, so its policy must keep the floor: $T1" \
    vault.refused "policy set" '' '' -- policy set --threshold mfa=1
refused "policy set --self-approval on, on the armed vault" 1 \
    "self-approval cannot be turned on" \
    vault.refused "policy set" '' '' -- policy set --self-approval on
bgq vault show
check "rita is still only a requester" grep -q "^person rita (requester)" "$qout"

# No command puts a requester into a group of an armed vault; whoever holds
# the state and its audit signing key can (docs/design.md §2.8: in scope).
# On a copy: a request fully approved and one approved by alice, then rita
# written into the mfa group and the change re-recorded with the log's key,
# so vault verify sees nothing wrong and only the run-time checks stand.
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
pyq forge "$ST" vault.json
check "the re-recorded copy passes vault verify and audit verify" verifies
RQM="requester \"rita\" is a member of group \"mfa\", which this request needs"
refused "request by rita, now in the mfa group" 1 "$RQM" \
    request.refused request rita '' -- request "$A1" --as rita --reason "floor"
refused "an mfa custodian approves rita's request" 1 "$RQM" \
    request.refused approve erin "$RG" -- approve "$RG" --as erin
refused "a password custodian approves rita's request" 1 "$RQM" \
    request.refused approve bob "$RG" -- approve "$RG" --as bob
refused "release of the request approved before the change" 1 \
    "no quorum: $RQM" \
    request.refused release rita "$RF" -- release "$RF" --as rita
check "the refused release printed no password" lacks_out_f "$PW"
bgq status "$RF"
check "status names the requester in the group" grep -qF "$RQM" "$qout"
ST=$MAIN
rm -rf "$dir/state-floor"
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

# (b) a request file edited after approval
tampered=1
F=$(rqfile "$RB")
cp "$F" "$dir/RB.orig"
for edit in "reason|j['request']['reason']='contact update (and more)'" \
    "ticket|j['request']['ticket']='CHG-99'" \
    "items|j['request']['items']=['root-password']"; do
	what=${edit%%|*}
	pyq edit "$F" "${edit#*|}"
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

# (d) vault.json edited: on copies, so that the main state stays intact.
# Every command refuses (exit 3) before it acts, and records
# vault.verify_failed.
MAIN=$ST
tampered=1
# vault_edit NAME PYTHON: a copy of the main state with vault.json edited
vault_edit() {
	ST=$dir/state-$1
	rm -rf "$ST"
	cp -a "$MAIN" "$ST"
	pyq edit "$ST/vault.json" "$2"
	check "$1: vault verify exits 3 naming vault.json" vault_tampered vault.json
}
vault_edit threshold-lowered "j['policy']['groups'][0]['threshold']=1
for a in j['accounts']:
    for k in a['keys']:
        if k['group'] == 'password': k['threshold'] = 1"
refused "threshold-lowered: vault show" 3 "vault.json" \
    vault.verify_failed '*' '' '' -- vault show
refused "threshold-lowered: request" 3 "vault.json" \
    vault.verify_failed '*' '' '' -- request "$A1" --as rita --reason x
refused "threshold-lowered: approve" 3 "vault.json" \
    vault.verify_failed '*' '' '' -- approve "$RB" --as bob
refused "threshold-lowered: release" 3 "vault.json" \
    vault.verify_failed '*' '' '' -- release "$RA" --as rita
check "threshold-lowered: release printed nothing" lacks_out_f "$PW"

# alice's and bob's share boxes of A1's password key swapped (the token
# ids left in place, so the file still parses)
vault_edit boxes-swapped "s=j['accounts'][0]['keys'][0]['shares']
b0, b1 = s[0]['boxes'][0], s[1]['boxes'][0]
b0['box'], b1['box'] = b1['box'], b0['box']"
n0=$(audit_n)
refused "boxes-swapped: approve" 3 "vault.json" \
    vault.verify_failed '*' '' '' -- approve "$RB" --as bob
check "boxes-swapped: no approval of bob recorded" \
    not_logged "$n0" approval.granted bob "$RB"

# the password group's public key of A1 replaced (as by an attacker who
# wants the next sealed password under a key of theirs)
vault_edit group-key-replaced "k=j['accounts'][0]['keys']
k[0]['public']=k[1]['public']"
refused "group-key-replaced: seal a new password" 3 "vault.json" \
    vault.verify_failed '*' '' '' -- seal "$A1" root-password \
    <<<'Xk9#mPq2$Lw7!Rt5vZa-new'
check "group-key-replaced: still detected after the refused seal" \
    vault_tampered vault.json

# a person's token swapped for another (rita's YubiKey descriptor given
# to ron): ron could open rita's requests
vault_edit token-swapped "p={x['name']: x for x in j['people']}
p['rita']['tokens'], p['ron']['tokens'] = p['ron']['tokens'], p['rita']['tokens']"
refused "token-swapped: release" 3 "vault.json" \
    vault.verify_failed '*' '' '' -- release "$RA" --as rita
unset tampered
ST=$MAIN
rm -rf "$dir"/state-threshold-lowered "$dir"/state-boxes-swapped \
    "$dir"/state-group-key-replaced "$dir"/state-token-swapped
check "main state: vault and audit verify" verifies

# ============================================================ 4. rekey
echo "# 4. rekey after carol leaves"
bgrun custodian remove carol --group password
check "custodian remove carol exits 0" is_rc 0
check "custodian remove warns that her share still exists" \
    has_out "rekey password --new-key"
refused "carol (removed) approves" 1 "not in a group" \
    request.refused approve carol "$RB" -- approve "$RB" --as carol
refused "rekey without --new-key while carol holds a share" 1 \
    "carol left group password" \
    request.refused rekey alice '' -- rekey password --with alice --with bob
refused "rekey --new-key with one custodian (below the threshold)" 1 \
    "group password: 1 of 2 shares" \
    request.refused rekey alice '' -- rekey password --with alice --new-key
refused "rekey --new-key with an mfa custodian for the password group" 1 \
    "group password: 1 of 2 shares" \
    request.refused rekey alice '' -- rekey password --with alice --with dave --new-key
refused "rekey --new-key with alice twice" 1 "alice is named twice" \
    request.refused rekey alice '' -- rekey password --with alice --with alice --new-key
cp "$ST/vault.json" "$dir/vault.before-rekey.json"
pub_before=$(pyq get "$ST/vault.json" "j['accounts'][0]['keys'][0]['public']")
n0=$(audit_n)
bgrun rekey password --with alice --with bob --new-key
check "rekey --new-key exits 0" is_rc 0
check "rekey --new-key re-seals the items" has_out "items re-sealed"
check "the rekey is recorded (group.rekeyed)" \
    logged "$n0" group.rekeyed '*' '' '*'
bgrun vault show
check "both accounts' password keys: 2 of 2, epoch 2" \
    test "$(grep -c 'group password *armed: 2 of 2, key epoch 2' "$out")" -eq 2
check "the mfa keys are untouched (epoch 1)" \
    test "$(grep -c 'group mfa *armed: 2 of 3, key epoch 1' "$out")" -eq 2
check "the password group has a new public key" test "$(pyq get \
    "$ST/vault.json" "j['accounts'][0]['keys'][0]['public']")" != "$pub_before"
check "carol holds no share of the new key" test "$(pyq get "$ST/vault.json" \
    "sum(s['person']=='carol' for a in j['accounts'] for k in a['keys'] if k['group']=='password' for s in k['shares'])")" -eq 0
check "the password item is sealed to the new key (epoch 2)" test "$(pyq get \
    "$ST/vault.json" "[k['epoch'] for i in j['accounts'][0]['items'] if i['name']=='root-password' for k in i['keys']]")" = "[2]"
n0=$(audit_n)
bgrun release "$RA" --as rita
check "approvals made before the rekey: release refused" not_rc0
check "approvals made before the rekey: nothing printed" lacks_out_f "$PW"
check "approvals made before the rekey: refusal recorded" \
    logged "$n0" request.refused rita "$RA" release
check "pre-rekey approvals are refused with exit 1, not as tampering" is_rc 1
check "the refusal says the group was re-keyed, not 'copied or edited'" \
    has_err "re-keyed"

request R5 --reason "after the rekey" --ticket CHG-12
R5=$rid
refused "carol approves after the rekey" 1 "not in a group" \
    request.refused approve carol "$R5" -- approve "$R5" --as carol
for p in alice bob dave frank; do approve "$R5" "$p" R5; done
bgrun release "$R5" --as rita
check "release after the rekey exits 0" is_rc 0
check "release after the rekey prints the same password" \
    test "$(sed -n 's/^root-password: //p' "$out")" = "$PW"
check "release after the rekey prints the right TOTP code" pyq totp "$SEED" "$out"

# the old vault.json put back is detected
cp "$ST/vault.json" "$dir/vault.after-rekey.json"
cp "$dir/vault.before-rekey.json" "$ST/vault.json"
check "the pre-rekey vault.json put back: vault verify exits 3" \
    vault_tampered vault.json
cp "$dir/vault.after-rekey.json" "$ST/vault.json"
check "the current vault.json back: vault and audit verify" verifies

# carol's old share spliced into the new vault (on a copy): she is in the
# group again by the book, her old share box does not open for the new key
MAIN=$ST
ST=$dir/state-r
cp -a "$MAIN" "$ST"
bgrun custodian add carol --group password
check "carol re-added to the group (copy)" is_rc 0
refused "carol re-added but holding no share of the new key" 1 "no share" \
    request.refused approve carol "$RB" -- approve "$RB" --as carol
pyq edit "$ST/vault.json" "import json
old=json.load(open('$dir/vault.before-rekey.json'))
for a, o in zip(j['accounts'], old['accounts']):
    k=[k for k in a['keys'] if k['group']=='password'][0]
    ok=[k for k in o['keys'] if k['group']=='password'][0]
    k['shares'] += [s for s in ok['shares'] if s['person']=='carol']"
n0=$(audit_n)
bgrun approve "$RB" --as carol
check "carol's old share spliced into the new key: approval refused" not_rc0
check "carol's old share spliced in: detected as tampering (exit 3)" is_rc 3
check "carol's old share spliced in: no approval recorded" \
    not_logged "$n0" approval.granted carol "$RB"
ST=$MAIN
rm -rf "$dir/state-r"

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
