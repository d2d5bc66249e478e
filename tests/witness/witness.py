#!/usr/bin/python3
"""Test witness: C2SP tlog-witness add-checkpoint on 127.0.0.1.

Written from the C2SP specifications (see SOURCES.md), independent of the
breakglass C code:

  * c2sp.org/tlog-witness      POST /add-checkpoint, status codes, 409 body
  * c2sp.org/tlog-cosignature  Ed25519 cosignature/v1 (key type 0x04)
  * c2sp.org/signed-note       note parsing, Ed25519 log signatures (0x01),
                               key IDs, verifier keys (vkeys)
  * c2sp.org/tlog-checkpoint   checkpoint note text
  * RFC 6962 / RFC 9162        Merkle consistency proof verification
                               (RFC 9162 section 2.1.4.2)

Python 3 standard library plus python3-cryptography (Ed25519 only).

usage: witness.py --key-file F --name NAME --logs LOGS.json --state STATE.json
                  --port-file P [--log L] [--faults F] [--port N]

See README.md next to this file.
"""

import argparse
import base64
import hashlib
import http.server
import json
import os
import re
import signal
import socketserver
import sys
import threading
import time

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey, Ed25519PublicKey)

# signed-note "Signature types"
ALG_ED25519 = 0x01          # log signatures (signed-note Ed25519)
ALG_COSIG_V1 = 0x04         # tlog-cosignature Ed25519 cosignature/v1

EM_DASH = "\u2014"
SIG_PREFIX = EM_DASH + " "

# tlog-witness: "The client MUST NOT send more than 63 consistency proof lines."
MAX_PROOF_LINES = 63
# signed-note: verifiers MUST accept at least 16 signatures, post-quantum ones
# are up to ~5 kB each. 64 lines and 128 KiB overall leave ample room.
MAX_SIG_LINES = 64
MAX_BODY = 128 * 1024
MAX_SIZE = (1 << 63) - 1    # tree sizes are handled as signed 64-bit
HANG_SECONDS = 60
CONN_TIMEOUT = 30           # idle keep-alive connections are closed after this

EMPTY_ROOT = hashlib.sha256(b"").digest()   # RFC 6962 2.1: MTH({}) = SHA-256()

DEC_RE = re.compile(r"(0|[1-9][0-9]*)\Z")
# Unicode White_Space, as Go's unicode.IsSpace (signed-note key names).
SPACE_CHARS = set("\t\n\v\f\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000"
                  + "".join(chr(c) for c in range(0x2000, 0x200b)))


class Reject(Exception):
    """An add-checkpoint answer other than 200."""

    def __init__(self, status, reason, body=None, ctype=None):
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.body = body
        self.ctype = ctype


# ---------------------------------------------------------------- encodings

def b64_strict(s, want_len=None):
    """Canonical standard base64 (RFC 4648 section 4) or None."""
    if not s or not re.fullmatch(r"[A-Za-z0-9+/]*={0,2}", s) or len(s) % 4:
        return None
    try:
        raw = base64.b64decode(s, validate=True)
    except ValueError:
        return None
    if base64.b64encode(raw).decode("ascii") != s:
        return None
    if want_len is not None and len(raw) != want_len:
        return None
    return raw


def b64(raw):
    return base64.b64encode(raw).decode("ascii")


def parse_dec(s):
    """ASCII decimal, no leading zeroes, <= 2^63-1, or None."""
    if not DEC_RE.match(s):
        return None
    v = int(s)
    return v if v <= MAX_SIZE else None


def name_ok(name):
    """signed-note: key names are non-empty, no Unicode spaces, no '+'."""
    if not name or "+" in name:
        return False
    return not any(c in SPACE_CHARS or ord(c) < 0x20 or c == "\x7f"
                   for c in name)


def key_id(name, alg, pub):
    """signed-note: SHA-256(key name || 0x0A || signature type || key)[:4]."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([alg]) +
                          pub).digest()[:4]


def vkey_encode(name, alg, pub):
    """signed-note verifier key: <name>+<hex key ID>+<base64(type||key)>."""
    return "%s+%s+%s" % (name, key_id(name, alg, pub).hex(),
                         b64(bytes([alg]) + pub))


def vkey_parse(text, want_alg):
    """Parse a vkey; returns (name, key_id bytes, pub bytes). Raises."""
    parts = text.split("+", 2)    # names and hex have no '+'; base64 may
    if len(parts) != 3:
        raise ValueError("vkey must have three '+'-separated parts")
    name, hexid, keyb64 = parts
    if not name_ok(name):
        raise ValueError("bad key name %r" % name)
    if not re.fullmatch(r"[0-9a-f]{8}", hexid):
        raise ValueError("key ID must be 8 lowercase hex digits")
    raw = b64_strict(keyb64)
    if raw is None or len(raw) != 33 or raw[0] != want_alg:
        raise ValueError("key must be base64 of 0x%02x || 32-byte key"
                         % want_alg)
    pub = raw[1:]
    kid = key_id(name, want_alg, pub)
    if kid.hex() != hexid:
        raise ValueError("key ID %s does not match the key (want %s)"
                         % (hexid, kid.hex()))
    return name, kid, pub


# ------------------------------------------------------------ Merkle (9162)

def _node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_consistency(first, second, first_hash, second_hash, proof):
    """True if proof shows the tree (first, first_hash) is a prefix of
    (second, second_hash). RFC 9162 section 2.1.4.2, with the cases it
    leaves out: equal sizes need an empty proof and equal hashes; a size-0
    hash must be the empty tree hash; a proof from size 0 to a larger size
    is never accepted here (the witness handles old 0 itself: tlog-witness
    requires an empty proof there)."""
    if first < 0 or second < 0 or first > second:
        return False
    # RFC 6962 2.1: the hash of the empty tree is SHA-256 of nothing.
    if ((first == 0 and first_hash != EMPTY_ROOT) or
            (second == 0 and second_hash != EMPTY_ROOT)):
        return False
    if first == second:
        return len(proof) == 0 and first_hash == second_hash
    if first == 0:
        return False
    # 1. If consistency_path is an empty array, fail.
    if not proof:
        return False
    path = list(proof)
    # 2. If first is an exact power of 2, prepend first_hash.
    if first & (first - 1) == 0:
        path.insert(0, first_hash)
    # 3.
    fn, sn = first - 1, second - 1
    # 4. If LSB(fn) is set, right-shift both until LSB(fn) is not set.
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # 5.
    fr = sr = path[0]
    # 6.
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = _node(c, fr)
            sr = _node(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = _node(sr, c)
        fn >>= 1
        sn >>= 1
    # 7.
    return fr == first_hash and sr == second_hash and sn == 0


# ----------------------------------------------------------------- parsing

def parse_note(note):
    """signed-note: returns (text, [(name, sig bytes)]). Raises Reject 400."""
    if not note.endswith("\n"):
        raise Reject(400, "note does not end in a newline")
    i = note.rfind("\n\n")
    if i < 0:
        raise Reject(400, "note has no signature block")
    text, sigblock = note[:i + 1], note[i + 2:]
    if not sigblock:
        raise Reject(400, "note has no signature lines")
    sigs = []
    for line in sigblock[:-1].split("\n"):
        if not line.startswith(SIG_PREFIX):
            raise Reject(400, "bad signature line")
        rest = line[len(SIG_PREFIX):]
        name, sp, sigb64 = rest.partition(" ")
        if not sp or not name_ok(name):
            raise Reject(400, "bad signature line key name")
        sig = b64_strict(sigb64)
        if sig is None or len(sig) < 5:
            raise Reject(400, "bad signature line base64")
        sigs.append((name, sig))
        if len(sigs) > MAX_SIG_LINES:
            raise Reject(400, "too many signature lines")
    return text, sigs


def parse_checkpoint(text):
    """tlog-checkpoint note text: returns (origin, size, root)."""
    lines = text[:-1].split("\n")
    if len(lines) < 3 or any(not ln for ln in lines):
        raise Reject(400, "checkpoint needs origin, size, root hash; "
                          "no empty lines")
    origin = lines[0]
    size = parse_dec(lines[1])
    if size is None:
        raise Reject(400, "bad checkpoint tree size")
    root = b64_strict(lines[2], 32)
    if root is None:
        raise Reject(400, "bad checkpoint root hash")
    return origin, size, root


def parse_request(body):
    """tlog-witness add-checkpoint body. Returns a dict. Raises Reject."""
    try:
        s = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Reject(400, "body is not UTF-8")
    if any(ord(c) < 0x20 and c != "\n" for c in s) or "\x7f" in s:
        raise Reject(400, "control character in body")
    nl = s.find("\n")
    if nl < 0:
        raise Reject(400, "no old size line")
    first = s[:nl]
    if not first.startswith("old "):
        raise Reject(400, "first line is not 'old <size>'")
    old = parse_dec(first[4:])
    if old is None:
        raise Reject(400, "bad old size")
    pos = nl + 1
    proof = []
    while True:
        nl = s.find("\n", pos)
        if nl < 0:
            raise Reject(400, "no empty line after the proof")
        line = s[pos:nl]
        pos = nl + 1
        if line == "":
            break
        h = b64_strict(line, 32)
        if h is None:
            raise Reject(400, "bad consistency proof line")
        proof.append(h)
        if len(proof) > MAX_PROOF_LINES:
            raise Reject(400, "more than %d proof lines" % MAX_PROOF_LINES)
    note = s[pos:]
    text, sigs = parse_note(note)
    origin, size, root = parse_checkpoint(text)
    return {"old": old, "proof": proof, "text": text, "sigs": sigs,
            "origin": origin, "size": size, "root": root}


# ----------------------------------------------------------------- witness

class Witness:
    def __init__(self, args):
        self.args = args
        self.name = args.name
        if not name_ok(self.name):
            raise SystemExit("witness: bad --name %r (no spaces, no '+')"
                             % self.name)
        self.sk = load_or_create_seed(args.key_file)
        self.pub = self.sk.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.kid = key_id(self.name, ALG_COSIG_V1, self.pub)
        self.vkey = vkey_encode(self.name, ALG_COSIG_V1, self.pub)
        # For the wrong_key fault: another key, derived from ours.
        other_seed = hashlib.sha256(b"breakglass test witness wrong_key\n" +
                                    self.seed_digest()).digest()
        self.other_sk = Ed25519PrivateKey.from_private_bytes(other_seed)
        other_pub = self.other_sk.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.other_kid = key_id(self.name, ALG_COSIG_V1, other_pub)
        self.logs = load_logs(args.logs)
        self.state_path = args.state
        self.state = load_state(args.state)
        self.lock = threading.Lock()        # check-and-persist is atomic
        self.log_lock = threading.Lock()
        self.stopping = threading.Event()

    def seed_digest(self):
        raw = self.sk.private_bytes(serialization.Encoding.Raw,
                                    serialization.PrivateFormat.Raw,
                                    serialization.NoEncryption())
        return hashlib.sha256(raw).digest()

    # -- faults
    def faults(self):
        if not self.args.faults:
            return {}
        try:
            with open(self.args.faults, "rb") as f:
                v = json.load(f)
            return v if isinstance(v, dict) else {}
        except (OSError, ValueError):
            return {}

    # -- request log
    def log(self, rec):
        if not self.args.log:
            return
        rec = dict(rec)
        rec["time"] = round(time.time(), 3)
        line = json.dumps(rec, sort_keys=True) + "\n"
        with self.log_lock:
            with open(self.args.log, "a", encoding="utf-8") as f:
                f.write(line)

    # -- cosigning (tlog-cosignature, Ed25519 cosignature/v1)
    def cosign(self, text, fault):
        # a witness whose clock is off (or a cosignature made long ago)
        off = fault.get("time_offset", 0)
        ts = int(time.time()) + (off if isinstance(off, int) else 0)
        if ts <= 0:
            ts = 1      # the timestamp MUST NOT be zero
        msg = b"cosignature/v1\ntime %d\n" % ts + text.encode("utf-8")
        if fault.get("wrong_key"):
            kid, sig = self.other_kid, self.other_sk.sign(msg)
        else:
            kid, sig = self.kid, self.sk.sign(msg)
        if fault.get("bad_sig"):
            sig = bytes([sig[0] ^ 0x01]) + sig[1:]
        blob = kid + ts.to_bytes(8, "big") + sig
        return "%s%s %s\n" % (SIG_PREFIX, self.name, b64(blob))

    # -- add-checkpoint
    def add_checkpoint(self, body, fault, rec):
        """Returns the 200 body (str). Raises Reject otherwise."""
        req = parse_request(body)
        rec.update(origin=req["origin"], old=req["old"], size=req["size"])
        keys = self.logs.get(req["origin"])
        if keys is None:
            raise Reject(404, "unknown log origin")
        self.check_log_signature(req, keys)
        old, size, root, proof = (req["old"], req["size"], req["root"],
                                  req["proof"])
        if old > size:
            raise Reject(400, "old size %d is larger than the checkpoint "
                              "size %d" % (old, size))
        with self.lock:
            cur = self.state.get(req["origin"])
            cur_size = cur["size"] if cur else 0
            cur_root = base64.b64decode(cur["root"]) if cur else None
            if old != cur_size:
                raise Reject(409, "old size %d, witness has %d"
                             % (old, cur_size), body="%d\n" % cur_size,
                             ctype="text/x.tlog.size")
            if size == 0 and root != EMPTY_ROOT:
                raise Reject(422, "size 0 with a root that is not the "
                                  "empty tree hash")
            if old == 0:
                if proof:
                    raise Reject(422, "non-empty proof from old size 0")
            elif old == size:
                if proof:
                    raise Reject(422, "non-empty proof for equal sizes")
                if root != cur_root:
                    raise Reject(422, "same size, different root hash "
                                      "(fork)")
            elif not verify_consistency(old, size, cur_root, root, proof):
                raise Reject(422, "consistency proof does not verify")
            # Persist before answering (and before the in-memory record
            # changes, so a failed write leaves both as they were).
            new_state = dict(self.state)
            new_state[req["origin"]] = {"size": size, "root": b64(root)}
            save_state(self.state_path, new_state)
            self.state = new_state
        return self.cosign(req["text"], fault)

    def check_log_signature(self, req, keys):
        matched = False
        msg = req["text"].encode("utf-8")
        for name, sig in req["sigs"]:
            for kname, kid, pub in keys:
                if name != kname or sig[:4] != kid:
                    continue        # unknown keys are ignored
                matched = True
                if len(sig) != 4 + 64:
                    raise Reject(403, "log signature has a bad length")
                try:
                    Ed25519PublicKey.from_public_bytes(pub).verify(
                        sig[4:], msg)
                except InvalidSignature:
                    raise Reject(403, "log signature does not verify")
        if not matched:
            raise Reject(403, "no signature from a trusted log key")


# ------------------------------------------------------------ files, setup

def load_or_create_seed(path):
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        with open(path, "rb") as f:
            seed = f.read()
        if len(seed) != 32:
            raise SystemExit("witness: %s must hold exactly 32 bytes" % path)
    else:
        seed = os.urandom(32)
        try:
            os.write(fd, seed)
            os.fsync(fd)
        finally:
            os.close(fd)
    return Ed25519PrivateKey.from_private_bytes(seed)


def load_logs(path):
    with open(path, "rb") as f:
        cfg = json.load(f)
    origins = cfg.get("origins") if isinstance(cfg, dict) else None
    if not isinstance(origins, dict):
        raise SystemExit("witness: %s needs {\"origins\": {...}}" % path)
    logs = {}
    for origin, v in origins.items():
        vkeys = [v] if isinstance(v, str) else v
        if not origin or "\n" in origin or not isinstance(vkeys, list):
            raise SystemExit("witness: bad origin entry %r" % origin)
        keys = []
        for vk in vkeys:
            try:
                keys.append(vkey_parse(vk, ALG_ED25519))
            except (ValueError, TypeError) as e:
                raise SystemExit("witness: origin %r: bad vkey: %s"
                                 % (origin, e))
        logs[origin] = keys
    return logs


def load_state(path):
    try:
        with open(path, "rb") as f:
            st = json.load(f)
    except FileNotFoundError:
        return {}
    logs = st.get("logs", {})
    for origin, v in logs.items():
        if (not isinstance(v.get("size"), int) or v["size"] < 0 or
                b64_strict(v.get("root", ""), 32) is None):
            raise SystemExit("witness: bad state for %r in %s"
                             % (origin, path))
    return logs


def atomic_write(path, data, mode=0o644):
    d = os.path.dirname(os.path.abspath(path))
    tmp = "%s.tmp.%d.%d" % (path, os.getpid(), threading.get_ident())
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    dfd = os.open(d, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def save_state(path, logs):
    data = json.dumps({"version": 1, "logs": logs}, indent=1,
                      sort_keys=True) + "\n"
    atomic_write(path, data.encode("utf-8"))


# -------------------------------------------------------------------- HTTP

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "breakglass-test-witness"
    sys_version = ""
    timeout = CONN_TIMEOUT
    witness = None      # set on the class before serving

    def log_message(self, fmt, *a):
        pass

    def version_string(self):
        return self.server_version

    def reply(self, status, body, ctype="text/plain; charset=utf-8",
              close=False):
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def do_GET(self):
        self.not_allowed()

    do_PUT = do_DELETE = do_HEAD = do_PATCH = do_GET

    def not_allowed(self):
        w = self.witness
        path = self.path.split("?", 1)[0]
        if path == "/add-checkpoint":
            self.send_response(405)
            self.send_header("Allow", "POST")
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            body = b"method not allowed\n"
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            status, reason = 405, "method not allowed"
        else:
            if self.command == "HEAD":
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                self.reply(404, "not found\n")
            status, reason = 404, "no such path"
        w.log({"method": self.command, "path": self.path, "origin": None,
               "old": None, "size": None, "status": status,
               "reason": reason})

    def do_POST(self):
        w = self.witness
        rec = {"method": "POST", "path": self.path, "origin": None,
               "old": None, "size": None}
        if self.client_address[0] != "127.0.0.1":
            self.reply(403, "loopback only\n", close=True)
            return
        path = self.path.split("?", 1)[0]
        if path != "/add-checkpoint":
            self.drain_and(lambda: self.reply(404, "not found\n"), rec,
                           404, "no such path")
            return
        fault = w.faults()
        rec["fault"] = sorted(k for k, v in fault.items() if v) or None
        clen = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding") or clen is None:
            self.reply(411, "Content-Length required\n", close=True)
            rec.update(status=411, reason="no Content-Length")
            w.log(rec)
            return
        try:
            n = int(clen)
            if n < 0:
                raise ValueError
        except ValueError:
            self.reply(400, "bad Content-Length\n", close=True)
            rec.update(status=400, reason="bad Content-Length")
            w.log(rec)
            return
        if n > MAX_BODY:
            # Drain a moderately oversized body so that the client can read
            # the answer instead of a connection reset.
            left = n if n <= 8 * MAX_BODY else 0
            while left > 0:
                chunk = self.rfile.read(min(left, 65536))
                if not chunk:
                    break
                left -= len(chunk)
            self.reply(413, "body larger than %d bytes\n" % MAX_BODY,
                       close=True)
            rec.update(status=413, reason="body too large")
            w.log(rec)
            return
        body = self.rfile.read(n)
        if len(body) != n:
            self.close_connection = True
            return
        if fault.get("down"):
            self.reply(503, "witness down (fault injection)\n")
            rec.update(status=503, reason="fault: down")
            w.log(rec)
            return
        if fault.get("hang"):
            rec.update(status=None, reason="fault: hang")
            w.log(rec)
            w.stopping.wait(HANG_SECONDS)
            self.close_connection = True
            return
        try:
            out = w.add_checkpoint(body, fault, rec)
        except Reject as r:
            self.reply(r.status, r.body if r.body is not None
                       else r.reason + "\n",
                       ctype=r.ctype or "text/plain; charset=utf-8")
            rec.update(status=r.status, reason=r.reason)
            w.log(rec)
            return
        except Exception as e:      # a bug here must not look like success
            self.reply(500, "internal error\n", close=True)
            rec.update(status=500, reason="internal error: %r" % (e,))
            w.log(rec)
            return
        self.reply(200, out)
        reason = "cosigned"
        if fault.get("bad_sig") or fault.get("wrong_key"):
            reason += " (fault: %s)" % ",".join(rec["fault"])
        rec.update(status=200, reason=reason)
        w.log(rec)

    def drain_and(self, fn, rec, status, reason):
        try:
            n = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            n = -1
        if 0 <= n <= MAX_BODY:
            self.rfile.read(n)
        else:
            self.close_connection = True
        fn()
        rec.update(status=status, reason=reason)
        self.witness.log(rec)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 64

    def server_bind(self):
        # HTTPServer.server_bind would resolve a host name; none is needed.
        socketserver.TCPServer.server_bind(self)
        self.server_name = "127.0.0.1"
        self.server_port = self.server_address[1]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--key-file", required=True,
                    help="32-byte Ed25519 seed (created, mode 0600)")
    ap.add_argument("--name", required=True, help="witness key name")
    ap.add_argument("--logs", required=True,
                    help='JSON {"origins": {"<origin>": "<log vkey>"}}')
    ap.add_argument("--state", required=True, help="JSON state file")
    ap.add_argument("--port-file", required=True,
                    help="the bound port is written here; the vkey to "
                         "<port-file>.vkey")
    ap.add_argument("--log", help="append one JSON line per request")
    ap.add_argument("--faults", help="JSON fault switches, read per request")
    ap.add_argument("--port", type=int, default=0,
                    help="port to bind on 127.0.0.1 (default 0: any)")
    args = ap.parse_args(argv)

    w = Witness(args)
    Handler.witness = w
    srv = Server(("127.0.0.1", args.port), Handler)
    port = srv.server_address[1]

    atomic_write(args.port_file + ".vkey", (w.vkey + "\n").encode())
    atomic_write(args.port_file, b"%d\n" % port)
    sys.stdout.write(w.vkey + "\n")
    sys.stdout.flush()
    sys.stderr.write("witness: %s listening on 127.0.0.1:%d\n"
                     % (w.name, port))
    sys.stderr.flush()

    def on_signal(signum, frame):
        w.stopping.set()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    t = threading.Thread(target=srv.serve_forever, kwargs={
        "poll_interval": 0.2}, daemon=True)
    t.start()
    while not w.stopping.wait(1.0):
        pass
    srv.shutdown()
    srv.server_close()
    try:
        os.unlink(args.port_file)
    except OSError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
