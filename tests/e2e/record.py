#!/usr/bin/env python3
# record.py STATE FILE [EVENT]: what whoever holds the state directory and
# its audit signing key can do (docs/design.md §2.8, in scope until the
# service of §2.9): an entry EVENT (default vault.read: a governing event
# such as policy.changed after the genesis is named by audit verify's
# governance pass, so the attacker picks one it does not check) naming FILE's
# SHA-256 appended to the log, and a checkpoint over the new tree signed
# with the log's own key (docs/audit.md) through the openssl tool, so the
# file check and audit verify accept FILE as it is now. Independent of the
# project's code: the tests use it to reach the checks behind the log's.
import base64, hashlib, json, os, struct, subprocess, sys, tempfile

# record STATE FILE EVENT: what the v1 binary did when it wrote FILE:
# an entry EVENT naming the file's SHA-256, and a checkpoint signed
# over the new tree (docs/audit.md) with the log's own key
state, name = sys.argv[1:3]
event = sys.argv[3] if len(sys.argv) > 3 else "vault.read"
ad = os.path.join(state, "audit")
keyf = os.path.join(ad, "signing.key")
with open(os.path.join(state, name), "rb") as f:
    sha = hashlib.sha256(f.read()).hexdigest()
with open(os.path.join(ad, "entries.jsonl"), "rb") as f:
    lines = f.read().split(b"\n")[:-1]
e = {"seq": len(lines), "time": json.loads(lines[-1])["time"],
     "event": event, "actor": "", "account": "", "request": "",
     "detail": {"file": name, "sha256": sha}}
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
