#!/usr/bin/python3
"""Self-test of tests/witness/witness.py, independent of breakglass.

Builds tiny RFC 6962 logs with its own tree code (proof *generation*, kept
apart from witness.py's proof *verifier*), signs checkpoints with test log
keys (signed-note Ed25519), verifies cosignatures with its own
tlog-cosignature code against the vkey the witness prints, and drives a real
witness process on 127.0.0.1.

Prints "ok   NAME" or "FAIL NAME: why" per check and a final
"N passed, N failed" line; exits non-zero on any failure.

usage: python3 test_witness.py [-v]
"""

import atexit
import base64
import hashlib
import http.client
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey, Ed25519PublicKey)

HERE = os.path.dirname(os.path.abspath(__file__))
WITNESS = os.path.join(HERE, "witness.py")
VECTORS = os.path.join(HERE, "..", "vectors", "merkle_rfc6962",
                       "transparency-dev_merkle")
PY = os.environ.get("WITNESS_PYTHON", sys.executable)
VERBOSE = "-v" in sys.argv[1:]
EM = "\u2014"
SIZE_CT = "text/x.tlog.size"

PASSED = []
FAILED = []


def check(name, fn):
    t0 = time.monotonic()
    try:
        fn()
    except Exception as e:      # AssertionError and anything unexpected
        FAILED.append(name)
        why = str(e) or type(e).__name__
        if not isinstance(e, AssertionError):
            why = "%s: %s" % (type(e).__name__, why)
        print("FAIL %s: %s" % (name, why.replace("\n", " | ")), flush=True)
        return False
    PASSED.append(name)
    extra = " (%.2fs)" % (time.monotonic() - t0) if VERBOSE else ""
    print("ok   %s%s" % (name, extra), flush=True)
    return True


def eq(got, want, what):
    assert got == want, "%s: got %r, want %r" % (what, got, want)


def b64(raw):
    return base64.b64encode(raw).decode("ascii")


# ------------------------------------------------- the test's own RFC 6962

def leaf_hash(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


class Tree:
    """RFC 6962 section 2.1 Merkle Tree Hash and section 2.1.2 PROOF."""

    def __init__(self, entries):
        self.entries = list(entries)
        self.memo = {}

    def mth(self, lo, hi):
        key = (lo, hi)
        if key in self.memo:
            return self.memo[key]
        n = hi - lo
        if n == 0:
            h = hashlib.sha256(b"").digest()
        elif n == 1:
            h = leaf_hash(self.entries[lo])
        else:
            k = 1
            while k * 2 < n:
                k *= 2
            h = node_hash(self.mth(lo, lo + k), self.mth(lo + k, hi))
        self.memo[key] = h
        return h

    def root(self, size):
        return self.mth(0, size)

    def proof(self, m, n):
        """PROOF(m, D[n]) = SUBPROOF(m, D[n], true)."""
        assert 0 < m <= n <= len(self.entries)
        return self._subproof(m, 0, n, True)

    def _subproof(self, m, lo, hi, b):
        n = hi - lo
        if m == n:
            return [] if b else [self.mth(lo, hi)]
        k = 1
        while k * 2 < n:
            k *= 2
        if m <= k:
            return self._subproof(m, lo, lo + k, b) + [self.mth(lo + k, hi)]
        return self._subproof(m - k, lo + k, hi, False) + [self.mth(lo, lo + k)]


# ------------------------------------------------ signed notes, the log side

class LogKey:
    """A log's signed-note Ed25519 key (signature type 0x01)."""

    def __init__(self, name, seed=None):
        self.name = name
        self.sk = Ed25519PrivateKey.from_private_bytes(
            seed or hashlib.sha256(b"test log key " + name.encode()).digest())
        self.pub = self.sk.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.kid = hashlib.sha256(name.encode() + b"\n\x01" +
                                  self.pub).digest()[:4]
        self.vkey = "%s+%s+%s" % (name, self.kid.hex(),
                                  b64(b"\x01" + self.pub))

    def sig_line(self, text, kid=None, mangle=None):
        sig = self.sk.sign(text.encode())
        if mangle:
            sig = mangle(sig)
        return "%s %s %s\n" % (EM, self.name, b64((kid or self.kid) + sig))


def cp_text(origin, size, root, ext=()):
    return "%s\n%d\n%s\n" % (origin, size, b64(root)) + "".join(
        e + "\n" for e in ext)


def add_body(old, proof, text, sig_lines):
    return ("old %d\n" % old + "".join(b64(h) + "\n" for h in proof) +
            "\n" + text + "\n" + "".join(sig_lines)).encode("utf-8")


# ------------------------------------------------- cosignature, client side

def parse_cosigner_vkey(vkey):
    m = re.fullmatch(r"([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/]+={0,2})",
                     vkey)
    assert m, "vkey %r is not name+hex8+base64" % vkey
    name, hexid, kb64 = m.groups()
    raw = base64.b64decode(kb64, validate=True)
    eq(len(raw), 33, "vkey key length")
    eq(raw[0], 0x04, "vkey signature type")
    pub = raw[1:]
    kid = hashlib.sha256(name.encode() + b"\n\x04" + pub).digest()[:4]
    eq(hexid, kid.hex(), "vkey key ID")
    return name, kid, pub


def cosig_lines(resp):
    """Parse a 200 body: [(name, keyid, timestamp, signature)]."""
    assert resp.endswith("\n"), "response does not end in a newline"
    out = []
    for line in resp[:-1].split("\n"):
        m = re.fullmatch("\u2014 ([^ ]+) ([A-Za-z0-9+/]+={0,2})", line)
        assert m, "bad cosignature line %r" % line
        raw = base64.b64decode(m.group(2), validate=True)
        eq(len(raw), 4 + 8 + 64, "cosignature length")
        out.append((m.group(1), raw[:4], int.from_bytes(raw[4:12], "big"),
                    raw[12:]))
    return out


def cosig_valid(vkey, text, name, kid, ts, sig):
    vname, vkid, pub = parse_cosigner_vkey(vkey)
    if name != vname or kid != vkid:
        return False
    msg = b"cosignature/v1\ntime %d\n" % ts + text.encode()
    try:
        Ed25519PublicKey.from_public_bytes(pub).verify(sig, msg)
    except InvalidSignature:
        return False
    return True


def assert_cosigned(vkey, text, resp):
    lines = cosig_lines(resp)
    good = [l for l in lines if cosig_valid(vkey, text, *l)]
    assert good, "no cosignature verifies with %s" % vkey
    ts = good[0][2]
    now = time.time()
    assert ts > 0 and now - 120 < ts < now + 120, "odd timestamp %d" % ts
    return lines


# ----------------------------------------------------------- witness process

class WitnessProc:
    def __init__(self, d, name):
        self.d = d
        self.name = name
        self.key = os.path.join(d, "witness.key")
        self.logs = os.path.join(d, "logs.json")
        self.state = os.path.join(d, "state.json")
        self.portfile = os.path.join(d, "port")
        self.logfile = os.path.join(d, "requests.jsonl")
        self.faults = os.path.join(d, "faults.json")
        self.stderr = os.path.join(d, "witness.stderr")
        self.p = None
        self.port = None
        self.vkey = None
        self.stdout_line = None

    def start(self):
        try:
            os.unlink(self.portfile)
        except FileNotFoundError:
            pass
        err = open(self.stderr, "ab")
        self.p = subprocess.Popen(
            [PY, WITNESS, "--key-file", self.key, "--name", self.name,
             "--logs", self.logs, "--state", self.state,
             "--port-file", self.portfile, "--log", self.logfile,
             "--faults", self.faults],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err)
        err.close()
        deadline = time.monotonic() + 15
        while not os.path.exists(self.portfile):
            if self.p.poll() is not None:
                raise AssertionError("witness exited %d: %s" % (
                    self.p.returncode, open(self.stderr).read()[-400:]))
            if time.monotonic() > deadline:
                raise AssertionError("no port file after 15 s")
            time.sleep(0.02)
        with open(self.portfile) as f:
            self.port = int(f.read())
        with open(self.portfile + ".vkey") as f:
            self.vkey = f.read().rstrip("\n")
        r, _, _ = select.select([self.p.stdout], [], [], 10)
        assert r, "witness printed nothing on stdout"
        self.stdout_line = self.p.stdout.readline().decode().rstrip("\n")

    def stop(self, timeout=10):
        if self.p is None or self.p.poll() is not None:
            return self.p.returncode if self.p else None
        self.p.send_signal(signal.SIGTERM)
        try:
            return self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            raise AssertionError("witness ignored SIGTERM for %d s" % timeout)
        finally:
            self.p.stdout.close()

    def kill(self):
        if self.p is not None and self.p.poll() is None:
            self.p.kill()
            self.p.wait()

    def set_faults(self, faults):
        tmp = self.faults + ".tmp"
        with open(tmp, "w") as f:
            f.write(faults if isinstance(faults, str) else json.dumps(faults))
        os.replace(tmp, self.faults)

    def post(self, body, path="/add-checkpoint", timeout=10, conn=None,
             method="POST"):
        c = conn or http.client.HTTPConnection("127.0.0.1", self.port,
                                               timeout=timeout)
        try:
            c.request(method, path, body=body,
                      headers={"Content-Type": "text/plain"})
            r = c.getresponse()
            data = r.read()
            return r.status, r.getheader("Content-Type"), data.decode(
                "utf-8", "replace")
        finally:
            if conn is None:
                c.close()

    def raw(self, data, timeout=5):
        with socket.create_connection(("127.0.0.1", self.port),
                                      timeout=timeout) as s:
            s.sendall(data)
            out = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
                if b"\r\n\r\n" in out:
                    head, _, rest = out.partition(b"\r\n\r\n")
                    m = re.search(rb"Content-Length: (\d+)", head)
                    if m and len(rest) >= int(m.group(1)):
                        break
            return out


def read_state(w):
    with open(w.state) as f:
        return json.load(f)["logs"]


# --------------------------------------------------------------------- main

def main():
    t_start = time.monotonic()
    d = tempfile.mkdtemp(prefix="witness-test-")
    sys.path.insert(0, HERE)
    sys.dont_write_bytecode = True      # leave no __pycache__ in the tree
    import witness as W     # only for the verifier vector check

    OA, OB = "example.test/log-a", "example.test/log-b"
    OU = "example.test/not-witnessed"
    ka, ku = LogKey(OA), LogKey(OU)
    kb = next(k for k in (LogKey(OB, seed=hashlib.sha256(b"b%d" % i).digest())
                          for i in range(1000))
              if "+" in k.vkey.split("+", 2)[2])    # base64 with a '+'
    ka_rogue = LogKey(OA, seed=b"\x07" * 32)     # same name, other key
    A = Tree(b"a-entry-%d" % i for i in range(40))
    F = Tree([b"a-entry-%d" % i for i in range(9)] +
             [b"forked-entry-%d" % i for i in range(9, 40)])
    B = Tree(b"b-entry-%d" % i for i in range(10))
    U = Tree(b"u-entry-%d" % i for i in range(4))

    with open(os.path.join(d, "logs.json"), "w") as f:
        json.dump({"origins": {OA: ka.vkey, OB: [kb.vkey]}}, f)
    w = WitnessProc(d, "witness.test/w1")
    atexit.register(w.kill)     # never leave a witness behind
    if not VERBOSE:
        atexit.register(shutil.rmtree, d, True)

    def req(tree, key, origin, old, size, proof=None, sigs=None, root=None,
            ext=()):
        text = cp_text(origin, size, root or tree.root(size), ext)
        if proof is None:
            proof = tree.proof(old, size) if 0 < old < size else []
        if sigs is None:
            sigs = [key.sig_line(text)]
        return add_body(old, proof, text, sigs), text

    # --- independent checks of the two tree codes -----------------------
    def t_vectors():
        base = os.path.join(VECTORS, "testdata", "consistency")
        files = []
        for root, _, names in os.walk(base):
            files += [os.path.join(root, n) for n in names
                      if n.endswith(".json")]
        assert len(files) >= 90, "vectors not found under %s" % base
        bad = []
        for fn in sorted(files):
            with open(fn) as f:
                v = json.load(f)
            dec = base64.b64decode
            ok = W.verify_consistency(v["size1"], v["size2"], dec(v["root1"]),
                                      dec(v["root2"]),
                                      [dec(p) for p in v["proof"] or []])
            if ok == v["wantErr"]:
                bad.append(os.path.relpath(fn, base))
        assert not bad, "verifier disagrees with: %s" % ", ".join(bad)
    check("verifier vs transparency-dev consistency vectors", t_vectors)

    def t_own_tree():
        with open(os.path.join(VECTORS, "testonly_constants.json")) as f:
            c = json.load(f)
        t = Tree(bytes.fromhex(x) for x in c["leaf_inputs_hex"])
        for n, want in enumerate(c["root_hashes_by_tree_size_hex"]):
            eq(t.root(n).hex(), want, "MTH of %d leaves" % n)
    check("test tree code vs RFC 6962 root vectors", t_own_tree)

    def t_cross():
        n_checked = 0
        for n in range(1, 34):
            for m in range(1, n + 1):
                p = A.proof(m, n)
                assert W.verify_consistency(m, n, A.root(m), A.root(n), p), \
                    "valid proof %d->%d rejected" % (m, n)
                n_checked += 1
                if m == n:
                    continue
                for i in range(len(p)):
                    bad = list(p)
                    bad[i] = bytes([bad[i][0] ^ 1]) + bad[i][1:]
                    assert not W.verify_consistency(
                        m, n, A.root(m), A.root(n), bad), \
                        "tampered proof %d->%d [%d] accepted" % (m, n, i)
                assert not W.verify_consistency(m, n, A.root(m), A.root(n),
                                                p[:-1]), "truncated accepted"
                assert not W.verify_consistency(m, n, A.root(m), A.root(n),
                                                p + [p[-1]]), "extended ok"
                if m > 9:   # F forks at leaf 9
                    assert not W.verify_consistency(
                        m, n, A.root(m), F.root(n), F.proof(m, n)), \
                        "forked %d->%d accepted" % (m, n)
        assert n_checked > 500
    check("test proof generator vs witness verifier (sizes 1..33)", t_cross)

    def t_spec_example():
        # c2sp.org/signed-note "Verifier keys" / "Example": the witness's
        # vkey parser (with its key ID check) and this test's own Ed25519
        # note verification must both accept the spec's example.
        vkey = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
        sig = ("Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYN"
               "ZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=")
        name, kid, pub = W.vkey_parse(vkey, 0x01)
        eq((name, kid.hex()), ("example.com/foo", "530d903a"), "parsed")
        raw = base64.b64decode(sig)
        eq(raw[:4], kid, "example signature key ID")
        Ed25519PublicKey.from_public_bytes(pub).verify(
            raw[4:], b"This is an example message.\n")
        mine = hashlib.sha256(b"example.com/foo\n\x01" + pub).digest()[:4]
        eq(mine.hex(), "530d903a", "test's own key ID computation")
        try:
            W.vkey_parse(vkey.replace("530d903a", "530d903b"), 0x01)
            raise AssertionError("vkey with a wrong key ID accepted")
        except ValueError:
            pass
    check("signed-note spec example vkey and signature", t_spec_example)

    # --- start ------------------------------------------------------------
    def t_launch():
        w.start()
        eq(w.stdout_line, w.vkey, "stdout line vs <port-file>.vkey")
        st = os.stat(w.key)
        eq(st.st_size, 32, "key file size")
        eq(st.st_mode & 0o777, 0o600, "key file mode")
        name, kid, pub = parse_cosigner_vkey(w.vkey)
        eq(name, "witness.test/w1", "vkey name")
        # log B's vkey has a '+' inside its base64: the witness must split
        # a vkey at the first two '+' only (it started, so it did).
        assert "+" in kb.vkey.split("+", 2)[2]
        with open(w.key, "rb") as f:
            assert f.read().hex() not in open(w.stderr).read() + \
                w.stdout_line, "seed printed"
    if not check("start: port file, vkey printed and written, key 0600",
                 t_launch):
        print("%d passed, %d failed" % (len(PASSED), len(FAILED)))
        return 1

    vk = w.vkey

    def t_first():
        body, text = req(A, ka, OA, 0, 3)
        st, ct, out = w.post(body)
        eq(st, 200, "status")
        assert ct.startswith("text/plain"), ct
        lines = assert_cosigned(vk, text, out)
        eq(len(lines), 1, "cosignature lines")
        s = read_state(w)
        eq(s[OA]["size"], 3, "state size")
        eq(s[OA]["root"], b64(A.root(3)), "state root")
    check("first contact (old 0, empty proof) -> 200 + valid cosignature",
          t_first)

    def t_again_keepalive():
        c = http.client.HTTPConnection("127.0.0.1", w.port, timeout=10)
        try:
            for _ in range(2):      # one connection, two requests
                body, text = req(A, ka, OA, 3, 3)
                st, _, out = w.post(body, conn=c)
                eq(st, 200, "status")
                assert_cosigned(vk, text, out)
        finally:
            c.close()
    check("same checkpoint again (old 3 = size 3), keep-alive -> 200",
          t_again_keepalive)

    def t_grow():
        body, text = req(A, ka, OA, 3, 7)
        st, _, out = w.post(body)
        eq(st, 200, "status %s" % out)
        assert_cosigned(vk, text, out)
        eq(read_state(w)[OA]["size"], 7, "state size")
    check("growth 3 -> 7 with a valid proof -> 200", t_grow)

    def t_409():
        body, _ = req(A, ka, OA, 3, 10, proof=A.proof(3, 10))
        st, ct, out = w.post(body)
        eq(st, 409, "status")
        eq(ct, SIZE_CT, "content type")
        eq(out, "7\n", "409 body")
        body, text = req(A, ka, OA, int(out), 10)
        st, _, out = w.post(body)
        eq(st, 200, "retry status %s" % out)
        assert_cosigned(vk, text, out)
    check("409 dance: stale old -> 409 '7\\n' text/x.tlog.size -> retry 200",
          t_409)

    def t_409_bootstrap():
        body, _ = req(A, ka, OA, 0, 12)
        st, ct, out = w.post(body)
        eq((st, ct, out), (409, SIZE_CT, "10\n"), "answer")
    check("old 0 on a known log -> 409 with the recorded size", t_409_bootstrap)

    def t_rollback():
        body, _ = req(A, ka, OA, 10, 5, proof=[])
        st, _, out = w.post(body)
        eq(st, 400, "old > size status (%s)" % out.strip())
        body, _ = req(A, ka, OA, 5, 5)
        st, ct, out = w.post(body)
        eq((st, ct, out), (409, SIZE_CT, "10\n"), "old=size=5 answer")
        body, _ = req(A, ka, OA, 3, 5)
        st, ct, out = w.post(body)
        eq((st, out), (409, "10\n"), "old 3 -> 5 answer")
        eq(read_state(w)[OA]["size"], 10, "state size")
    check("rollback (smaller size) refused: 400 / 409, state kept",
          t_rollback)

    def t_fork_same_size():
        body, _ = req(F, ka, OA, 10, 10)
        st, _, out = w.post(body)
        eq(st, 422, "status (%s)" % out.strip())
        eq(read_state(w)[OA]["root"], b64(A.root(10)), "state root")
    check("fork: same size, other root -> 422", t_fork_same_size)

    def t_fork_proof():
        cases = [
            ("forked history's own proof", req(F, ka, OA, 10, 12)[0]),
            ("true proof, forked root",
             req(F, ka, OA, 10, 12, proof=A.proof(10, 12))[0]),
            ("flipped proof bit",
             req(A, ka, OA, 10, 12, proof=[bytes([A.proof(10, 12)[0][0] ^ 1])
                                          + A.proof(10, 12)[0][1:]] +
                 A.proof(10, 12)[1:])[0]),
            ("truncated proof",
             req(A, ka, OA, 10, 12, proof=A.proof(10, 12)[:-1])[0]),
            ("empty proof", req(A, ka, OA, 10, 12, proof=[])[0]),
            ("proof for other sizes",
             req(A, ka, OA, 10, 12, proof=A.proof(9, 12))[0]),
            ("non-empty proof, equal sizes",
             req(A, ka, OA, 10, 10, proof=[A.root(10)])[0]),
        ]
        for what, body in cases:
            st, _, out = w.post(body)
            eq(st, 422, "%s: status (%s)" % (what, out.strip()))
        eq(read_state(w)[OA]["size"], 10, "state size")
    check("bad or forked consistency proofs -> 422", t_fork_proof)

    def t_zero():
        body, _ = req(B, kb, OB, 0, 4, proof=[B.root(2)])
        st, _, out = w.post(body)
        eq(st, 422, "old 0 with a proof line (%s)" % out.strip())
        body, _ = req(B, kb, OB, 0, 0, root=B.root(1))
        st, _, out = w.post(body)
        eq(st, 422, "size 0 with a non-empty root (%s)" % out.strip())
        body, text = req(B, kb, OB, 0, 0)
        st, _, out = w.post(body)
        eq(st, 200, "size 0, empty root (%s)" % out.strip())
        assert_cosigned(vk, text, out)
        body, text = req(B, kb, OB, 0, 4)
        st, _, out = w.post(body)
        eq(st, 200, "0 -> 4 (%s)" % out.strip())
        eq(read_state(w)[OB]["size"], 4, "state B")
    check("size 0 rules: proof from 0 -> 422, bad empty root -> 422, "
          "empty tree -> 200", t_zero)

    def t_403():
        text = cp_text(OA, 12, A.root(12))
        pr = A.proof(10, 12)
        flip = lambda s: bytes([s[0] ^ 0x80]) + s[1:]
        cases = [
            ("flipped signature byte", [ka.sig_line(text, mangle=flip)]),
            ("other key, same name", [ka_rogue.sig_line(text)]),
            ("signature over other text",
             [ka.sig_line(cp_text(OA, 12, A.root(11)))]),
            ("truncated trusted signature",
             [ka.sig_line(text, mangle=lambda s: s[:10])]),
            ("other log's key", [kb.sig_line(text)]),
            ("good + bad trusted signature",
             [ka.sig_line(text), ka.sig_line(text, mangle=flip)]),
        ]
        for what, sigs in cases:
            st, _, out = w.post(add_body(10, pr, text, sigs))
            eq(st, 403, "%s: status (%s)" % (what, out.strip()))
        eq(read_state(w)[OA]["size"], 10, "state size")
        st, _, out = w.post(add_body(10, pr, text, [ku.sig_line(text),
                                                     ka.sig_line(text)]))
        eq(st, 200, "unknown key ignored next to a good one (%s)" % out)
        assert_cosigned(vk, text, out)
    check("log signature missing/invalid -> 403; unknown keys ignored",
          t_403)

    def t_404():
        body, _ = req(U, ku, OU, 0, 2)
        st, _, out = w.post(body)
        eq(st, 404, "status (%s)" % out.strip())
        body, _ = req(A, ka, OA + "x", 0, 2)
        st, _, _ = w.post(body)
        eq(st, 404, "near-miss origin")
    check("unknown origin -> 404", t_404)

    def t_400():
        text = cp_text(OA, 14, A.root(14))
        sig = ka.sig_line(text)
        good = add_body(12, A.proof(12, 14), text, [sig]).decode()
        proof_part = "".join(b64(h) + "\n" for h in A.proof(12, 14))
        cases = [
            ("empty body", ""),
            ("no old line", proof_part + "\n" + text + "\n" + sig),
            ("old 012", good.replace("old 12\n", "old 012\n", 1)),
            ("old -1", good.replace("old 12\n", "old -1\n", 1)),
            ("old  12", good.replace("old 12\n", "old  12\n", 1)),
            ("Old 12", good.replace("old 12\n", "Old 12\n", 1)),
            ("old huge", good.replace("old 12\n", "old 99999999999999999999\n",
                                      1)),
            ("proof line not base64",
             good.replace(proof_part, "not base64!\n", 1)),
            ("proof line 31 bytes",
             good.replace(proof_part, b64(b"x" * 31) + "\n", 1)),
            ("64 proof lines",
             good.replace(proof_part, (b64(b"y" * 32) + "\n") * 64, 1)),
            ("no empty line after proof",
             good.replace(proof_part + "\n", proof_part, 1)),
            ("CRLF", good.replace("\n", "\r\n")),
            ("no signature block", "old 12\n" + proof_part + "\n" + text),
            ("no final newline", good[:-1]),
            ("size 014", add_body(12, [], cp_text(OA, 14, A.root(14))
                                  .replace("\n14\n", "\n014\n"),
                                  [sig]).decode()),
            ("root 31 bytes", add_body(12, [], "%s\n14\n%s\n" % (
                OA, b64(A.root(14)[:31])), [sig]).decode()),
            ("two-line checkpoint", add_body(0, [], "%s\n14\n" % OA,
                                             [sig]).decode()),
            ("signature line without em dash",
             good.replace(EM + " ", "- ", 1)),
            ("signature base64 broken",
             good[:-3] + "!!\n"),
            ("old > size", add_body(15, [], text, [sig]).decode()),
        ]
        for what, body in cases:
            st, _, out = w.post(body.encode("utf-8"))
            eq(st, 400, "%s: status (%s)" % (what, out.strip()))
        st, _, _ = w.post(good.encode()[:-2] + b"\xff\n")
        eq(st, 400, "non-UTF-8")
        st, _, _ = w.post(good.replace(OA, OA + "\x01", 1).encode())
        eq(st, 400, "control character")
        eq(read_state(w)[OA]["size"], 12, "state size")
    check("malformed bodies -> 400", t_400)

    def t_http():
        st, _, _ = w.post(None, method="GET")
        eq(st, 405, "GET /add-checkpoint")
        st, _, _ = w.post(b"x", path="/nope")
        eq(st, 404, "POST /nope")
        st, _, out = w.post(b"old 0\n" + b"A" * (200 * 1024))
        eq(st, 413, "oversized body")
        out = w.raw(b"POST /add-checkpoint HTTP/1.1\r\nHost: x\r\n"
                    b"Transfer-Encoding: chunked\r\n\r\n5\r\nold 0\r\n0\r\n\r\n")
        assert out.startswith(b"HTTP/1.1 411 "), out[:40]
    check("HTTP: GET 405, other path 404, >128 KiB 413, chunked 411",
          t_http)

    def t_race():
        body, text = req(A, ka, OA, 12, 14)
        res = [None] * 8

        def go(i):
            res[i] = w.post(body)
        ts = [threading.Thread(target=go, args=(i,)) for i in range(8)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        codes = sorted(r[0] for r in res)
        eq(codes, [200] + [409] * 7, "statuses")
        for st, ct, out in res:
            if st == 409:
                eq((ct, out), (SIZE_CT, "14\n"), "409 answer")
            else:
                assert_cosigned(vk, text, out)
    check("8 concurrent identical requests: one 200, seven 409 '14\\n'",
          t_race)

    def t_log():
        with open(w.logfile) as f:
            recs = [json.loads(l) for l in f]
        assert len(recs) > 50, "only %d log lines" % len(recs)
        for r in recs:
            for k in ("origin", "old", "size", "status", "reason"):
                assert k in r, "log line lacks %s: %r" % (k, r)
        seen = {r["status"] for r in recs}
        for s in (200, 400, 403, 404, 409, 422):
            assert s in seen, "no %d in the log" % s
        last = recs[-1]
        eq((last["origin"], last["old"], last["size"]), (OA, 12, 14),
           "last record")
    check("request log: one JSON line per request", t_log)

    def t_restart():
        rc = w.stop()
        eq(rc, 0, "exit status")
        assert not os.path.exists(w.portfile), "port file left behind"
        old_vkey = w.vkey
        w.start()
        eq(w.vkey, old_vkey, "vkey after restart")
        body, _ = req(A, ka, OA, 0, 16)
        st, ct, out = w.post(body)
        eq((st, ct, out), (409, SIZE_CT, "14\n"), "remembered size")
        body, _ = req(A, ka, OA, 14, 14, root=F.root(14))
        st, _, _ = w.post(body)
        eq(st, 422, "remembered root (fork check)")
        body, text = req(A, ka, OA, 14, 16)
        st, _, out = w.post(body)
        eq(st, 200, "growth after restart (%s)" % out.strip())
        assert_cosigned(vk, text, out)
        body, _ = req(B, kb, OB, 0, 5)
        st, _, out = w.post(body)
        eq((st, out), (409, "4\n"), "log B remembered")
    check("restart (SIGTERM, exit 0): same key, state remembered",
          t_restart)

    def t_faults():
        try:
            w.set_faults({"down": True})
            body, text = req(A, ka, OA, 16, 18)
            st, _, _ = w.post(body)
            eq(st, 503, "down")
            eq(read_state(w)[OA]["size"], 16, "state after down")

            w.set_faults({"hang": True})
            t0 = time.monotonic()
            try:
                w.post(body, timeout=1.5)
                raise AssertionError("hang: got an answer")
            except (socket.timeout, TimeoutError):
                pass
            assert time.monotonic() - t0 < 5

            w.set_faults({"bad_sig": True})
            st, _, out = w.post(body)
            eq(st, 200, "bad_sig status")
            lines = cosig_lines(out)
            _, kid, _ = parse_cosigner_vkey(vk)
            eq([l[1] for l in lines], [kid], "bad_sig key ID (must match)")
            assert not any(cosig_valid(vk, text, *l) for l in lines), \
                "bad_sig: cosignature verifies"
            eq(read_state(w)[OA]["size"], 18, "bad_sig still records")

            w.set_faults({"wrong_key": True})
            body, text = req(A, ka, OA, 18, 20)
            st, _, out = w.post(body)
            eq(st, 200, "wrong_key status")
            lines = cosig_lines(out)
            assert lines[0][1] != kid, "wrong_key used the right key ID"
            assert not any(cosig_valid(vk, text, *l) for l in lines)

            w.set_faults({"time_offset": -3600})
            body, text = req(A, ka, OA, 20, 21)
            st, _, out = w.post(body)
            eq(st, 200, "time_offset status")
            ln = cosig_lines(out)
            assert cosig_valid(vk, text, *ln[0]), "time_offset: bad sig"
            ts = ln[0][2]
            assert abs(ts - (time.time() - 3600)) < 60, \
                "time_offset: timestamp %d is not an hour ago" % ts

            w.set_faults("{not json")      # ignored
            body, text = req(A, ka, OA, 21, 22)
            st, _, out = w.post(body)
            eq(st, 200, "garbage faults file ignored")
            assert_cosigned(vk, text, out)

            w.set_faults({})
            body, text = req(A, ka, OA, 22, 23)
            st, _, out = w.post(body)
            eq(st, 200, "faults cleared")
            assert_cosigned(vk, text, out)
        finally:
            w.set_faults({})
    check("faults: down 503, hang, bad_sig, wrong_key, time_offset, "
          "re-read per request",
          t_faults)

    def t_stop_during_hang():
        w.set_faults({"hang": True})
        body, _ = req(A, ka, OA, 23, 24)
        th = threading.Thread(target=lambda: _swallow(w.post, body, None,
                                                      timeout=30))
        th.start()
        time.sleep(0.5)
        t0 = time.monotonic()
        rc = w.stop(timeout=10)
        eq(rc, 0, "exit status")
        assert time.monotonic() - t0 < 5, "slow shutdown"
        th.join(10)
        w.set_faults({})
    check("SIGTERM while a request hangs: exits 0 within 5 s",
          t_stop_during_hang)

    w.stop()
    total = time.monotonic() - t_start
    if VERBOSE:
        print("# %.1f s, scratch dir %s" % (total, d))
    print("%d passed, %d failed" % (len(PASSED), len(FAILED)))
    return 1 if FAILED else 0


def _swallow(fn, *a, **kw):
    try:
        fn(a[0], **kw)
    except Exception:
        pass


if __name__ == "__main__":
    sys.exit(main())
