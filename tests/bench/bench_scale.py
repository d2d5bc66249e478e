#!/usr/bin/env python3
"""bench_scale: everyday commands as the log grows (issue 14).

One vault (tests/e2e/bgvault.py: two groups of two, a requester, every
token a software FIDO2 key, the genesis, the root password sealed) and an
open request; then, for each size, a copy of that state whose log
bench_fill grew to about N entries of the kinds a vault in daily use
writes (reads, checks, notes: none names a state file, so the state is
consistent, and vault verify says so before anything is timed). On each
copy, as processes of the shipped binary (CPU = user + sys of the child,
median of the runs; peak memory = the child's max RSS):

  status, vault show, approve (alice's software token, once per size),
  one whole ceremony (rita's request, alice's and bob's approvals,
  rita's release: the CPU of the four commands summed),
  audit show --event alert.test (a rare event) against grep -c of the
  same pattern on the same file (the baseline, in the same run), and
  audit show --since <the last entry's time> (the last moments only).

Ratios are against the smallest size, measured in the same run; nothing
here asserts on time. The run fails only when a command fails or gives a
wrong answer (the count of alert.test entries, vault verify).

usage: bench_scale.py BREAKGLASS BG_VFIDO LIBBGVFIDO BENCH_FILL [--quick]
       [--sizes 100,10000,100000,1000000] [--runs N] [--asan]

Full run (a RelWithDebInfo build without sanitizers, about 3 minutes):
  python3 tests/bench/bench_scale.py build/normal/broker/cli/breakglass \
      build/normal/tests/virtual/fido2/bg-vfido \
      build/normal/tests/virtual/fido2/libbgvfido.so \
      build/normal/tests/bench/bench_fill
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import bgvault  # noqa: E402

ACCOUNT = "111122223333"


class Done:
    def __init__(self, rc, out, err):
        self.returncode, self.stdout, self.stderr = rc, out, err


def timed(cmd, env=None):
    """(cpu seconds, wall seconds, peak KiB, result) of one child, from
    wait4's rusage for that child alone."""
    with tempfile.TemporaryFile() as fo, tempfile.TemporaryFile() as fe:
        w0 = time.monotonic()
        p = subprocess.Popen(cmd, env=env, stdout=fo, stderr=fe,
                             stdin=subprocess.DEVNULL)
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        wall = time.monotonic() - w0
        fo.seek(0)
        fe.seek(0)
        res = Done(p.returncode, fo.read().decode(), fe.read().decode())
    return ru.ru_utime + ru.ru_stime, wall, ru.ru_maxrss, res


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def main():
    args = sys.argv[1:]
    quick = "--quick" in args
    sizes = [100, 10000] if quick else [100, 10000, 100000, 1000000]
    runs = 3 if quick else 5
    if "--sizes" in args:
        sizes = [int(x) for x in args[args.index("--sizes") + 1].split(",")]
    if "--runs" in args:
        runs = int(args[args.index("--runs") + 1])
    binary, vfido, pre, fill = args[:4]
    mode = "asan" if "--asan" in args else "plain"
    d = tempfile.mkdtemp(prefix="bg-scale.")
    try:
        return run(binary, vfido, pre, fill, d, sizes, runs, mode)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def run(binary, vfido, pre, fill, d, sizes, runs, mode):
    v = bgvault.Vault(binary, vfido, pre, None, mode, d)
    v.setup(ACCOUNT, clock=False)
    rid = v.request(ACCOUNT, clock=False)
    base = v.state
    have = sum(1 for _ in open(os.path.join(base, "audit", "entries.jsonl")))
    env = v.env(clock=False)
    rows, bad = [], []
    for n in sizes:
        st = os.path.join(d, "s%d" % n)
        shutil.copytree(base, st, symlinks=True)
        if n > have:
            subprocess.run([fill, st, str(n - have)], check=True)
        entries = os.path.join(st, "audit", "entries.jsonl")
        size = sum(1 for _ in open(entries))
        rare = subprocess.run(["grep", "-c", '"event":"alert.test"',
                               entries], capture_output=True, text=True)
        want = int(rare.stdout.strip() or 0)
        p = subprocess.run([binary, "--state", st, "vault", "verify"],
                           env=env, capture_output=True, text=True)
        if p.returncode != 0:
            bad.append("%d: vault verify: %s" % (n, p.stderr.strip()))
        row = {"n": size}
        for name, cmd in (("status", ["status"]),
                          ("vault show", ["vault", "show"])):
            cpus, peaks = [], []
            for _ in range(runs):
                cpu, _, peak, p = timed([binary, "--state", st] + cmd, env)
                if p.returncode != 0:
                    bad.append("%d: %s: %s" % (n, name, p.stderr))
                cpus.append(cpu)
                peaks.append(peak)
            row[name] = (median(cpus), max(peaks))
        cpus, gcpus = [], []
        for _ in range(runs):
            cpu, _, _, p = timed([binary, "--state", st, "audit", "show",
                                  "--json", "--event", "alert.test"], env)
            if p.returncode != 0 or len(p.stdout.splitlines()) != want:
                bad.append("%d: show --event: %d lines, grep -c %d" %
                           (n, len(p.stdout.splitlines()), want))
            cpus.append(cpu)
            gcpu, _, _, _ = timed(["grep", "-c", '"event":"alert.test"',
                                   entries])
            gcpus.append(gcpu)
        row["show --event"] = (median(cpus), 0)
        row["grep -c"] = (median(gcpus), 0)
        last = json.loads(subprocess.run(["tail", "-n", "1", entries],
                                         capture_output=True,
                                         text=True).stdout)["time"]
        cpus = []
        for _ in range(runs):
            cpu, _, _, p = timed([binary, "--state", st, "audit", "show",
                                  "--json", "--since", last], env)
            if p.returncode != 0 or not p.stdout:
                bad.append("%d: show --since: %s" % (n, p.stderr))
            cpus.append(cpu)
        row["show --since"] = (median(cpus), 0)
        cpu, _, peak, p = timed([binary, "--state", st, "approve", rid,
                                 "--as", "alice"], v.env(clock=False))
        if p.returncode != 0:
            bad.append("%d: approve: %s" % (n, p.stderr))
        row["approve"] = (cpu, peak)
        # one whole ceremony: request, the two approvals, release
        total, _, peak, p = timed([binary, "--state", st, "request",
                                   ACCOUNT, "--reason", "bench", "--items",
                                   "root-password", "--as", "rita"],
                                  v.env(clock=False))
        new = re.findall(r"^request ([0-9a-f]{32}) opened", p.stdout, re.M)
        if p.returncode != 0 or not new:
            bad.append("%d: request: %s" % (n, p.stderr))
        else:
            steps = [["approve", new[0], "--as", "alice"],
                     ["approve", new[0], "--as", "bob"],
                     ["release", new[0], "--as", "rita"]]
            for a in steps:
                cpu, _, pk, p = timed([binary, "--state", st] + a,
                                      v.env(clock=False))
                total += cpu
                peak = max(peak, pk)
                if p.returncode != 0:
                    bad.append("%d: %s: %s" % (n, a[0], p.stderr))
        row["ceremony"] = (total, peak)
        rows.append(row)
        shutil.rmtree(st, ignore_errors=True)
    report(rows)
    for b in bad:
        print("FAIL " + b)
    return 1 if bad else 0


def report(rows):
    cols = ["status", "vault show", "approve", "ceremony", "show --event",
            "grep -c", "show --since"]
    print("CPU per command (ms, median), and x the first size's figure:")
    print("%10s" % "entries" + "".join("%22s" % c for c in cols))
    first = rows[0]
    for r in rows:
        cells = []
        for c in cols:
            ms = r[c][0] * 1000
            cells.append("%9.1f (%5.2fx)" % (ms, r[c][0] / first[c][0]
                                             if first[c][0] else 0.0))
        print("%10d" % r["n"] + "".join("%22s" % x for x in cells))
    print("peak RSS (MiB): " + ", ".join(
        "%d entries: status %.1f, vault show %.1f, approve %.1f" %
        (r["n"], r["status"][1] / 1024, r["vault show"][1] / 1024,
         r["approve"][1] / 1024) for r in rows))
    print("audit show --event rate against grep -c (same file, same run; "
          "above 1 is faster than grep): " + ", ".join(
              "%d: %.2f" % (r["n"], r["grep -c"][0] / r["show --event"][0]
                            if r["show --event"][0] else 0.0) for r in rows))


if __name__ == "__main__":
    sys.exit(main())
