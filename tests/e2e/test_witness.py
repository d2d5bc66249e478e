#!/usr/bin/env python3
"""The log anchored outside the host, end to end: breakglass as shipped
against witnesses on 127.0.0.1 (tests/witness/witness.py: C2SP
tlog-witness, written from the spec with its own Merkle consistency check
and Ed25519 cosigning, independent of our client).

As the attacker with root on the broker host: a copy of the state
directory restored after the log grew (rollback), and two copies grown
apart (fork). Also: first contact, normal growth, the 409 dance (our
record of the witness's size lost), a witness down, hanging, answering a
bad cosignature or one by another key; the policy (required or not for
approve, seal, change); audit checkpoint and audit verify --checkpoint
with cosignatures, a tampered cosignature refused.

With the attacker's own program (tests/attack/attack_witness.c, the
project's libraries, not our CLI): a restored copy grown into a fork with
the stolen log key, sent to a witness from every size it can claim, and
a real cosignature spliced onto it.

usage: test_witness.py BREAKGLASS BG_VFIDO LIBBGVFIDO WITNESS ATTACK
           [asan|plain]
"""
import base64
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bgvault  # noqa: E402

BIN, VFIDO, PRE_FIDO, WITNESS, ATTACK = sys.argv[1:6]
MODE = sys.argv[6] if len(sys.argv) > 6 else "plain"
ACCOUNT = "111122223333"
D = tempfile.mkdtemp(prefix="bg-witness.")
V = bgvault.Vault(BIN, VFIDO, PRE_FIDO, None, MODE, D, pins={"bob": "4321"})


check = bgvault.Checks()


def bg(*args, state=None):
    return V.run(*args, clock=False, state=state)


class Witness:
    def __init__(self, name, logs, port=None):
        self.name = name
        self.dir = os.path.join(D, name.replace("/", "_"))
        os.makedirs(self.dir, exist_ok=True)
        self.logs = os.path.join(self.dir, "logs.json")
        self.faults = os.path.join(self.dir, "faults.json")
        with open(self.logs, "w") as f:
            json.dump({"origins": logs}, f)
        self.fault({})
        self.start(port)

    def start(self, port=None):
        pf = os.path.join(self.dir, "port")
        if os.path.exists(pf):
            os.unlink(pf)
        args = [sys.executable, WITNESS, "--key-file",
                os.path.join(self.dir, "key"), "--name", self.name,
                "--logs", self.logs, "--state",
                os.path.join(self.dir, "state.json"), "--port-file", pf,
                "--log", os.path.join(self.dir, "log"), "--faults",
                self.faults]
        if port:
            args += ["--port", str(port)]
        self.p = subprocess.Popen(args, stdout=subprocess.DEVNULL)
        for _ in range(200):
            if os.path.exists(pf):
                break
            time.sleep(0.05)
        with open(pf) as f:
            self.port = int(f.read().strip())
        with open(pf + ".vkey") as f:
            self.vkey = f.read().strip()
        self.url = "http://127.0.0.1:%d" % self.port

    def fault(self, faults):
        with open(self.faults, "w") as f:
            json.dump(faults, f)

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        try:
            self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.p.kill()


def configure(witnesses, quorum=1, require=("approve", "seal", "change"),
              state=None, timeout_ms=1500):
    doc = {"format": "breakglass-config-v1",
           "witness": {"witnesses": [{"vkey": w.vkey, "url": w.url}
                                     for w in witnesses],
                       "quorum": quorum, "require": list(require),
                       "timeout_ms": timeout_ms}}
    path = os.path.join(D, "conf.json")
    with open(path, "w") as f:
        json.dump(doc, f)
    p = bg("config", "set", path, state=state)
    if p.returncode != 0:
        print("set-up failed: config set: " + p.stderr)
        sys.exit(1)


def cosign(state=None):
    return bg("audit", "cosign", state=state)


def main():
    V.setup(ACCOUNT, clock=False)
    vkey = bg("audit", "verifier-key").stdout.strip()
    origin = vkey.split("+")[0]
    w1 = Witness("witness.test/w1", {origin: vkey})
    w2 = Witness("witness.test/w2", {origin: vkey})
    try:
        cases(w1, w2)
    except Exception as e:  # a case that breaks is a failure
        check("the cases ran to their end", False,
              "%s: %s" % (type(e).__name__, e))
    finally:
        w1.stop()
        w2.stop()
    shutil.rmtree(D, ignore_errors=True)
    return check.summary()


def blocked_reading(pid, fd):
    """The process waits in read(2) on fd (its PIN)."""
    try:
        with open("/proc/%d/syscall" % pid) as f:
            s = f.read().split()
        return s[0] == "0" and int(s[1], 16) == fd
    except (OSError, IndexError, ValueError):
        return False


def swap_between_kit_and_submit(snapshot):
    """The state swapped for an older copy while bob's approval waits for
    his PIN (after the kit, before the submit): the submit refuses, for
    the log is not the one the kit named."""
    rid = V.request(ACCOUNT, clock=False)
    r, w = os.pipe()
    env = V.env(clock=False)
    p = subprocess.Popen([BIN, "--state", V.state, "approve", rid, "--as",
                          "bob", "--pin-fd", str(r)], env=env, pass_fds=(r,),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    os.close(r)
    for _ in range(600):
        if blocked_reading(p.pid, r) or p.poll() is not None:
            break
        time.sleep(0.05)
    check("the approval waits for the PIN after its kit",
          p.poll() is None and blocked_reading(p.pid, r))
    live = os.path.join(D, "live-swap")
    shutil.move(V.state, live)
    shutil.copytree(snapshot, V.state, symlinks=True)
    os.write(w, b"4321\n")
    os.close(w)
    out, err = p.communicate(timeout=120)
    check("swapped between kit and submit: refused as tampering (exit 3)",
          p.returncode == 3 and "rolled back or forked meanwhile" in err,
          err)
    granted = [e for e in V.entries("approval.granted")
               if e["request"] == rid]
    shutil.rmtree(V.state)
    shutil.move(live, V.state)
    granted += [e for e in V.entries("approval.granted")
                if e["request"] == rid]
    check("... and recorded in neither state", granted == [], granted)


def attacker(w, live):
    """The attacker's program on a copy of the restored state, against
    witness w, with the live state's cosigned checkpoint in hand."""
    copy = os.path.join(D, "attacker")
    shutil.copytree(V.state, copy, symlinks=True)
    env = V.env(clock=False)
    p = subprocess.run([ATTACK, copy, w.url, w.vkey,
                        os.path.join(live, "witness", "checkpoint")],
                       env=env, capture_output=True, text=True, timeout=120)
    held = [l for l in p.stdout.splitlines() if l.startswith("held ")]
    check("attacker's own program: no witness cosigns the fork, a "
          "spliced cosignature does not verify (%d attempts held)" %
          len(held), p.returncode == 0 and len(held) == 6 and
          "BROKEN" not in p.stdout, p.stdout + p.stderr)
    shutil.rmtree(copy)


def cases(w1, w2):
    configure([w1, w2], quorum=2)
    # first contact: old 0, no proof
    p = cosign()
    check("first contact: both witnesses cosign (exit 0)",
          p.returncode == 0 and "2 of 2" in p.stderr, p.stderr)
    check("... the cosigned checkpoint carries both lines",
          w1.name in p.stdout and w2.name in p.stdout, p.stdout)
    cp = bg("audit", "checkpoint").stdout
    check("audit checkpoint prints the cosigned checkpoint",
          w1.name in cp and w2.name in cp, cp)
    keep = os.path.join(D, "cosigned")
    with open(keep, "w") as f:
        f.write(cp)
    p = bg("audit", "verify", "--checkpoint", keep)
    check("audit verify --checkpoint: the cosignatures verified",
          p.returncode == 0 and "cosigned by 2 of 2" in p.stdout, p.stdout)
    lines = cp.splitlines(True)
    bad = [l for l in lines]
    i = [n for n, l in enumerate(bad) if w1.name in l][0]
    sig = bad[i].rstrip("\n")
    bad[i] = sig[:-6] + ("A" if sig[-6] != "A" else "B") + sig[-5:] + "\n"
    with open(keep + ".bad", "w") as f:
        f.write("".join(bad))
    p = bg("audit", "verify", "--checkpoint", keep + ".bad")
    check("a tampered cosignature in the checkpoint given: TAMPERED (3)",
          p.returncode == 3 and "w1" in p.stdout, p.stdout + p.stderr)

    # normal growth, with a consistency proof from the last size
    snapshot = os.path.join(D, "snapshot")
    shutil.copytree(V.state, snapshot, symlinks=True)
    for i in range(3):
        bg("audit", "note", "growth %d" % i)
    p = cosign()
    check("growth: cosigned again from the last size (a proof)",
          p.returncode == 0 and "2 of 2" in p.stderr, p.stderr)

    # the 409 dance: our record of what w1 saw is lost
    for f in os.listdir(os.path.join(V.state, "witness")):
        if f.endswith(".size"):
            os.unlink(os.path.join(V.state, "witness", f))
    bg("audit", "note", "after losing the record")
    p = cosign()
    check("the 409 dance: retried from the size each witness names",
          p.returncode == 0 and "2 of 2" in p.stderr, p.stderr)

    # a ceremony step with the witnesses up
    rid = V.request(ACCOUNT, clock=False)
    p = bg("approve", rid, "--as", "alice")
    check("approve with the witnesses up: done", p.returncode == 0,
          p.stderr)
    with open(os.path.join(V.state, "audit", "entries.jsonl")) as f:
        n = sum(1 for _ in f)
    sizes = []
    for w in (w1, w2):
        with open(os.path.join(w.dir, "state.json")) as f:
            sizes += [v["size"] for v in json.load(f)["logs"].values()]
    check("... and asked again after it: its own entries are witnessed",
          sizes == [n, n], "witnesses saw %s, the log has %d" % (sizes, n))

    # a witness down: the policy requires 2 for approve
    w2.fault({"down": True})
    n0 = len(V.entries("witness.unavailable"))
    p = bg("approve", rid, "--as", "bob")
    check("a witness down, 2 required: approve refused (exit 1)",
          p.returncode == 1 and "needs 2 witness cosignature" in p.stderr,
          p.stderr)
    check("... recorded (witness.unavailable), nothing approved",
          len(V.entries("witness.unavailable")) == n0 + 1 and
          len([e for e in V.entries("approval.granted")
               if e["actor"] == "bob"]) == 0)
    w2.fault({"hang": True})
    t0 = time.monotonic()
    p = bg("seal", ACCOUNT, "root-password", "--generate", "--as", "alice")
    check("a witness that hangs: seal refused after timeout_ms (%.1f s)" %
          (time.monotonic() - t0), p.returncode == 1 and
          "no answer in time" in p.stderr, p.stderr)
    w2.fault({"bad_sig": True})
    p = cosign()
    check("a bad cosignature is not counted (1 of 2, exit 1)",
          p.returncode == 1 and "1 of 2" in p.stderr and
          "does not verify" in p.stderr, p.stderr)
    w2.fault({"wrong_key": True})
    bg("audit", "note", "wrong key")
    p = cosign()
    check("a cosignature by another key is not counted",
          p.returncode == 1 and "no cosignature by its key" in p.stderr,
          p.stderr)
    w2.fault({})
    # the policy does not require witnesses for approve: it goes on
    configure([w1, w2], quorum=2, require=("seal", "change"))
    w2.fault({"down": True})
    p = bg("approve", rid, "--as", "bob")
    check("not required for approve: it goes on, said on stderr",
          p.returncode == 0 and "goes on without them" in p.stderr,
          p.stderr)
    w2.fault({})
    configure([w1, w2], quorum=2)
    p = cosign()
    check("both up again: 2 of 2", p.returncode == 0, p.stderr)

    # the attacker restores the copy made before the log grew
    live = os.path.join(D, "live")
    shutil.move(V.state, live)
    shutil.copytree(snapshot, V.state, symlinks=True)
    configure([w1, w2], quorum=2)
    p = cosign()
    check("rollback: a restored older state is TAMPERED (exit 3)",
          p.returncode == 3 and "rolled back" in p.stdout, p.stdout +
          p.stderr)
    check("... recorded as witness.inconsistent",
          len(V.entries("witness.inconsistent")) >= 1)
    attacker(w1, live)
    rid2 = V.request(ACCOUNT, clock=False)
    p = bg("approve", rid2, "--as", "alice")
    check("rollback: approve refused before any touch",
          p.returncode != 0 and "rolled back" in p.stderr, p.stderr)
    # a fork: the restored copy grows past the live one's size
    for i in range(40):
        bg("audit", "note", "fork %d" % i)
    p = cosign()
    check("fork: a copy grown apart past the witnessed size is TAMPERED",
          p.returncode == 3 and "fork" in p.stdout, p.stdout + p.stderr)
    shutil.rmtree(V.state)
    shutil.move(live, V.state)
    p = cosign()
    check("the live state goes on being cosigned", p.returncode == 0,
          p.stderr)
    swap_between_kit_and_submit(snapshot)
    # witnesses of a hand-edited breakglass.json are not trusted
    conf = os.path.join(V.state, "breakglass.json")
    with open(conf) as f:
        good = f.read()
    with open(conf, "w") as f:
        f.write(good.replace(w2.url, "http://127.0.0.1:9"))
    p = cosign()
    check("a hand edit of breakglass.json: its witnesses not trusted",
          p.returncode != 0 and "not the file config set recorded" in
          p.stdout + p.stderr, p.stdout + p.stderr)
    with open(conf, "w") as f:
        f.write(good)
    # the same key twice (two names) would count twice: refused
    pub = base64.b64decode(w1.vkey.split("+", 2)[2])  # 0x04 || key
    kid = hashlib.sha256(b"alias/w1\n" + pub).hexdigest()[:8]
    alias = "alias/w1+%s+%s" % (kid, w1.vkey.split("+", 2)[2])
    doc = {"format": "breakglass-config-v1",
           "witness": {"witnesses": [{"vkey": w1.vkey, "url": w1.url},
                                     {"vkey": alias, "url": w2.url}]}}
    path = os.path.join(D, "dup.json")
    with open(path, "w") as f:
        json.dump(doc, f)
    p = bg("config", "set", path)
    check("config set refuses one witness key under two names",
          p.returncode != 0 and "twice" in p.stderr, p.stderr)
    # a restarted witness remembers (state kept on its disk)
    w1.stop()
    w1.start(w1.port)
    bg("audit", "note", "after the restart")
    p = cosign()
    check("a restarted witness remembers what it cosigned",
          p.returncode == 0 and "2 of 2" in p.stderr, p.stderr)


if __name__ == "__main__":
    sys.exit(main())
