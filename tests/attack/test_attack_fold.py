#!/usr/bin/env python3
"""Snapshots of the log's folds (STATE/index/fold, docs/audit.md
"Snapshots") against the attacker who can write the state directory.

A vault with a request that alice approved (her slot burned), a log grown
past BG_STATE_FOLD_EVERY entries so that a command anchors a snapshot, then
bob's approval after it. Each case damages the snapshot, runs commands,
and checks that the answers are those of the whole log and that a
snapshot that is not proved is rebuilt (a new state.snapshot entry):

  missing; cut short; garbage; alice's burn taken out (un-burning her
  slot) with the anchor line kept; vault.json edited and the snapshot's
  recorded hash for it edited to match; an older snapshot put back
  (stale: believed, the entries after it folded in); the anchor line
  pointing at another entry; a snapshot from another vault's log; an old
  entry edited in place while a command folds the log and anchors a
  snapshot, then put back (the snapshot must not seal the edit); the
  snapshot's anchor entry forged by the attacker's own program with the
  log's key (tests/attack/attack_fold.c): believed by commands, which is
  what the log's key allows, and named by vault verify, which recomputes
  every anchored snapshot from the entries.

usage: test_attack_fold.py BREAKGLASS BG_VFIDO LIBBGVFIDO BENCH_FILL
       ATTACK_FOLD [asan|plain]
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import bgvault  # noqa: E402

BIN, VFIDO, PRE, FILL, ATTACK = sys.argv[1:6]
MODE = sys.argv[6] if len(sys.argv) > 6 else "plain"
ACCOUNT = "111122223333"
check = bgvault.Checks()


def entries(v, event):
    return len(v.entries(event))


def fold_path(v):
    return os.path.join(v.state, "index", "fold")


def read_fold(v):
    with open(fold_path(v)) as f:
        return f.read()


def write_fold(v, text):
    with open(fold_path(v), "w") as f:
        f.write(text)


def rebuilt(v, n0, what):
    """The command did not believe the snapshot: it anchored a new one."""
    check(what + ": not believed, a new snapshot anchored",
          entries(v, "state.snapshot") == n0 + 1 and
          read_fold(v).startswith("anchor "))


def main():
    d = tempfile.mkdtemp(prefix="bg-fold.")
    try:
        return run(d)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def run(d):
    v = bgvault.Vault(BIN, VFIDO, PRE, None, MODE, os.path.join(d, "v"))
    v.setup(ACCOUNT, clock=False)
    rid = v.request(ACCOUNT, clock=False)
    v.run("approve", rid, "--as", "alice", clock=False, must=True)
    subprocess.run([FILL, v.state, "2100"], check=True)
    p = v.run("status", clock=False)
    check("status on a log of 2,100+ entries (exit 0)", p.returncode == 0,
          p.stderr)
    check("... anchored a snapshot (state.snapshot, index/fold)",
          entries(v, "state.snapshot") == 1 and os.path.exists(fold_path(v)))
    old = read_fold(v)
    anchor = int(old.split("\n", 1)[0].split()[1])
    body = json.loads(old.split("\n", 1)[1])
    check("... its anchor entry names its covers and its digest",
          v.entries("state.snapshot")[0]["seq"] == anchor and
          v.entries("state.snapshot")[0]["detail"]["covers"] ==
          body["covers"])
    check("... alice's burn is in it",
          any(b[2] == "alice" for b in body["ledger"]["burns"]))
    p = v.run("approve", rid, "--as", "bob", clock=False)
    check("bob approves after the snapshot", p.returncode == 0, p.stderr)
    good = read_fold(v)
    check("... the snapshot believed: no new anchor",
          entries(v, "state.snapshot") == 1 and good == old)
    ref = v.run("status", clock=False).stdout
    check("(status names the request and both approvals)",
          rid in ref and "approved: alice" in ref and "approved: bob" in ref,
          ref)
    granted = entries(v, "approval.granted")

    def alice_again(what):
        p = v.run("approve", rid, "--as", "alice", clock=False)
        check(what + ": alice's second approval refused", p.returncode != 0
              and entries(v, "approval.granted") == granted, p.stdout +
              p.stderr)

    # missing, cut short, garbage
    for what, text in (("missing", None), ("cut short", good[:len(good) // 2]),
                       ("garbage", "anchor 12\nnot json")):
        n0 = entries(v, "state.snapshot")
        if text is None:
            os.unlink(fold_path(v))
        else:
            write_fold(v, text)
        p = v.run("status", clock=False)
        check("snapshot %s: status as from the whole log" % what,
              p.returncode == 0 and p.stdout == ref, p.stdout + p.stderr)
        rebuilt(v, n0, "snapshot " + what)
    good = read_fold(v)

    # alice's burn taken out of the snapshot, the anchor line kept
    head, text = good.split("\n", 1)
    b = json.loads(text)
    b["ledger"]["burns"] = [x for x in b["ledger"]["burns"]
                            if x[2] != "alice"]
    write_fold(v, head + "\n" + json.dumps(b, separators=(",", ":")))
    n0 = entries(v, "state.snapshot")
    alice_again("her burn taken out of the snapshot")
    rebuilt(v, n0, "an edited snapshot")
    good = read_fold(v)

    # vault.json edited, and the snapshot's recorded hash edited to match
    vj = os.path.join(v.state, "vault.json")
    with open(vj) as f:
        vault_text = f.read()
    edited = vault_text.replace('"prod"', '"PROD"', 1)
    check("(the test edits vault.json)", edited != vault_text)
    with open(vj, "w") as f:
        f.write(edited)
    h = hashlib.sha256(edited.encode()).hexdigest()
    head, text = good.split("\n", 1)
    b = json.loads(text)
    b["recorded"] = [[f, h if f == "vault.json" else x]
                     for f, x in b["recorded"]]
    write_fold(v, head + "\n" + json.dumps(b, separators=(",", ":")))
    p = v.run("status", clock=False)
    check("vault.json edited, the snapshot edited to match: tampering "
          "(exit 3)", p.returncode == 3, p.stdout + p.stderr)
    with open(vj, "w") as f:
        f.write(vault_text)
    write_fold(v, good)
    p = v.run("status", clock=False)
    check("... both put back: status exit 0", p.returncode == 0, p.stderr)

    # an older snapshot, still proved by its anchor: the entries after it
    # (bob's approval) are folded in
    write_fold(v, old)
    n0 = entries(v, "state.snapshot")
    p = v.run("approve", rid, "--as", "bob", clock=False)
    check("a stale snapshot put back: bob's second approval refused",
          p.returncode != 0 and entries(v, "approval.granted") == granted,
          p.stderr)
    alice_again("a stale snapshot")
    check("... the stale snapshot believed (no new anchor)",
          entries(v, "state.snapshot") == n0)
    write_fold(v, good)

    # the anchor line naming another entry
    head, text = good.split("\n", 1)
    seq = int(head.split()[1])
    for other in (seq - 1, seq + 1, 0, 10 ** 12):
        write_fold(v, "anchor %d\n%s" % (other, text))
        n0 = entries(v, "state.snapshot")
        p = v.run("status", clock=False)
        check("anchor line pointing at entry %d: status exit 0" % other,
              p.returncode == 0, p.stderr)
        rebuilt(v, n0, "anchor at %d" % other)
        good = read_fold(v)
        head, text = good.split("\n", 1)
        seq = int(head.split()[1])

    # a snapshot from another vault's log
    w = bgvault.Vault(BIN, VFIDO, PRE, None, MODE, os.path.join(d, "w"))
    w.setup(ACCOUNT, clock=False)
    subprocess.run([FILL, w.state, "2100"], check=True)
    w.run("status", clock=False, must=True)
    write_fold(v, read_fold(w))
    n0 = entries(v, "state.snapshot")
    alice_again("another log's snapshot")
    rebuilt(v, n0, "another log's snapshot")
    good = read_fold(v)

    # without the key: an old entry of the entries file edited for a
    # while (same length: the hash it records for breakglass.json made
    # that of a hand-edited breakglass.json), the snapshot removed so that
    # the next command folds the whole log and anchors a new one, then the
    # entries put back as signed. The snapshot must not seal the edit.
    ent = os.path.join(v.state, "audit", "entries.jsonl")
    cj = os.path.join(v.state, "breakglass.json")
    with open(ent, "rb") as f:
        signed = f.read()
    with open(cj, "rb") as f:
        ctext = f.read()
    cevil = b'{"format":"breakglass-config-v1","custody":{"max_age_days":3650}}\n'
    c_old = hashlib.sha256(ctext).hexdigest().encode()
    c_new = hashlib.sha256(cevil).hexdigest().encode()
    lines = signed.split(b"\n")
    last = max(i for i, l in enumerate(lines)
               if b'"file":"breakglass.json"' in l)
    check("(the test finds the entry recording breakglass.json)",
          c_old in lines[last])
    lines[last] = lines[last].replace(c_old, c_new)
    with open(ent, "wb") as f:
        f.write(b"\n".join(lines))
    with open(cj, "wb") as f:
        f.write(cevil)
    os.unlink(fold_path(v))
    n0 = entries(v, "state.snapshot")
    v.run("status", clock=False)
    check("entries edited in place: no snapshot anchored (the lines "
          "folded do not hash to the signed root)",
          entries(v, "state.snapshot") == n0 and
          not os.path.exists(fold_path(v)))
    with open(ent, "r+b") as f:
        f.write(signed)		# the signed bytes back; later entries kept
    p = v.run("audit", "verify", clock=False)
    check("... the entries put back: audit verify exits 0", p.returncode == 0,
          p.stdout + p.stderr)
    p = v.run("config", "show", clock=False)
    check("... the hand-edited breakglass.json is still tampering (exit 3)",
          p.returncode == 3, p.stdout + p.stderr)
    with open(cj, "wb") as f:
        f.write(ctext)
    p = v.run("status", clock=False)
    check("... breakglass.json put back: status exit 0, a snapshot anchored",
          p.returncode == 0 and os.path.exists(fold_path(v)), p.stderr)
    good = read_fold(v)

    # the attacker's own program, with the log's key: a forged body
    # (alice's burn taken out) and an anchor entry for it
    head, text = good.split("\n", 1)
    b = json.loads(text)
    b["ledger"]["burns"] = [x for x in b["ledger"]["burns"]
                            if x[2] != "alice"]
    forged = os.path.join(d, "forged.json")
    with open(forged, "w") as f:
        f.write(json.dumps(b, separators=(",", ":")))
    p = subprocess.run([ATTACK, v.state, forged], capture_output=True,
                       text=True)
    check("(the attacker's program anchored its forged snapshot)",
          p.returncode == 0, p.stderr)
    p = v.run("vault", "verify", clock=False)
    check("vault verify names the forged snapshot: tampering (exit 3)",
          p.returncode == 3 and "snapshot" in p.stdout + p.stderr,
          p.stdout + p.stderr)
    return check.summary()


if __name__ == "__main__":
    sys.exit(main())
