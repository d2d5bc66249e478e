"""What the Python e2e tests share (test_aws.py, test_witness.py): the
shipped binary run on a rehearsal state with the software tokens, an
optional fake wall clock, the audit log read back, and a real vault set
up: people and tokens enrolled, the genesis signed by every token holder,
the root password sealed.
"""
import json
import os
import subprocess
import sys

RUN_TIMEOUT = 120


class Checks:
    """check(name, cond, detail): one "ok"/"FAIL" line each; summary()
    prints the counts and gives the exit code."""

    def __init__(self):
        self.passes, self.failures = 0, []

    def __call__(self, name, cond, detail=""):
        if cond:
            self.passes += 1
            print("ok   " + name)
        else:
            self.failures.append(name)
            print("FAIL " + name + (": " + str(detail)[:400] if detail
                                    else ""))

    def summary(self):
        print("%d passed, %d failed" % (self.passes, len(self.failures)))
        return 1 if self.failures else 0
PEOPLE = ["alice", "bob", "dave", "erin", "rita"]


class Vault:
    """pins: {person: PIN} for tokens made with a PIN; every command of
    theirs gets it on a pipe (--pin-fd N)."""

    def __init__(self, binary, vfido, pre_fido, clock, mode, d, pins=None):
        self.pins = pins or {}
        self.bin, self.vfido, self.pre_fido = binary, vfido, pre_fido
        self.clock, self.mode, self.dir = clock, mode, d
        self.state = os.path.join(d, "state")
        self.virt = os.path.join(d, "virtual")
        self.now = os.path.join(d, "now")
        os.makedirs(self.virt, exist_ok=True)

    def env(self, clock=True):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("AWS_")}
        pre = self.pre_fido + (":" + self.clock if clock and self.clock
                               else "")
        env.update(LD_PRELOAD=pre, BG_VIRTUAL_DIR=self.virt, HOME=self.dir,
                   AWS_CONFIG_FILE=os.path.join(self.dir, "none"),
                   AWS_SHARED_CREDENTIALS_FILE=os.path.join(self.dir,
                                                            "none"))
        if clock and self.clock:
            env["BG_FAKE_CLOCK_FILE"] = self.now
        if self.mode == "asan":
            env["ASAN_OPTIONS"] = "verify_asan_link_order=0" + (
                ":" + env["ASAN_OPTIONS"] if env.get("ASAN_OPTIONS") else "")
        return env

    def pin_of(self, args):
        a = list(args)
        who = a[a.index("--as") + 1] if "--as" in a[:-1] else \
            a[2] if a[:2] == ["token", "enroll"] and len(a) > 2 else None
        return self.pins.get(who)

    def run(self, *args, env=None, clock=True, must=False, state=None):
        pin, fds, r = self.pin_of(args), (), None
        if pin is not None:
            r, w = os.pipe()
            os.write(w, (pin + "\n").encode())
            os.close(w)
            fds, args = (r,), list(args) + ["--pin-fd", str(r)]
        try:
            p = subprocess.run([self.bin, "--state", state or self.state] +
                               list(args), env=env or self.env(clock),
                               capture_output=True, text=True,
                               timeout=RUN_TIMEOUT, pass_fds=fds)
        finally:
            if r is not None:
                os.close(r)
        if must and p.returncode != 0:
            print("set-up failed: %s: %s" % (" ".join(args), p.stderr))
            sys.exit(1)
        return p

    def set_clock(self, t):
        with open(self.now, "w") as f:
            f.write("%d\n" % t)

    def entries(self, event, state=None):
        p = self.run("audit", "show", "--json", "--event", event,
                     clock=False, state=state)
        return [json.loads(line) for line in p.stdout.splitlines() if line]

    def setup(self, account, clock=True):
        """init, two groups of two, a requester, every token enrolled, the
        genesis, the root password sealed."""
        for p in PEOPLE:
            pin = ["--pin", self.pins[p]] if p in self.pins else []
            subprocess.run([self.vfido, self.virt, "create", p] + pin,
                           check=True, capture_output=True)
        r = lambda *a: self.run(*a, clock=clock, must=True)
        r("init", "--account", account, "--account-name", "prod",
          "--root-email", "aws-root@example.com")
        for p in ("alice", "bob"):
            r("custodian", "add", p, "--group", "password")
        for p in ("dave", "erin"):
            r("custodian", "add", p, "--group", "mfa")
        r("requester", "add", "rita")
        r("policy", "set", "--threshold", "password=2", "--threshold",
          "mfa=2")
        for p in PEOPLE:
            dev = subprocess.run([self.vfido, self.virt, "path", p],
                                 check=True, capture_output=True,
                                 text=True).stdout.strip()
            r("token", "enroll", p, "--fido2", "--device", dev)
        out = r("vault", "arm").stdout
        gen = out.split("change request ")[1].split()[0].rstrip(":")
        for p in PEOPLE:
            r("change", "approve", gen, "--as", p)
        r("change", "apply", gen)
        r("seal", account, "root-password", "--generate", "--as", "alice")

    def request(self, account, clock=True):
        """A request for the root password; its id."""
        rq = os.path.join(self.state, "requests")
        before = set(os.listdir(rq)) if os.path.isdir(rq) else set()
        self.run("request", account, "--reason", "drill", "--items",
                 "root-password", "--as", "rita", clock=clock, must=True)
        new = set(os.listdir(rq)) - before
        return sorted(new)[0][:-5]
