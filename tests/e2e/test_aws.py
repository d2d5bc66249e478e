#!/usr/bin/env python3
"""breakglass aws posture | reconcile, end to end, as shipped.

A real vault (software tokens) with a real release, made under a fake
wall clock at the time of the public CloudTrail fixtures
(tests/aws/fixtures, SOURCES.md). Reconciliation reads files composed
from those fixtures (eventTime, eventID and account set by this test, the
rest as published): inside and outside the release window, MFA
Yes/No/YES, failures with and without errorMessage, access-key creation,
password recovery, duplicates, gzip, JSON Lines, EventBridge, truncated
and malformed files, 100 MB streamed with bounded memory, and the
LookupEvents API. Posture and LookupEvents talk to tests/aws/fake_aws.py
on 127.0.0.1, which checks every SigV4 signature with botocore's signer:
credentials from the environment, a shared credentials file, a
credential_process and the config file; AssumeRoot and a configured
role; wrong, unknown and expired credentials; throttling; an endpoint
that hangs. No secret may reach the output, the state or the audit log.

usage: test_aws.py BREAKGLASS BG_VFIDO LIBBGVFIDO LIBBGCLOCK FAKE_AWS
           FIXTURES [asan|plain]
"""
import copy
import gzip
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bgvault  # noqa: E402

BIN, VFIDO, PRE_FIDO, CLOCK, FAKE, FIX = sys.argv[1:7]
MODE = sys.argv[7] if len(sys.argv) > 7 else "plain"
ACCOUNT = "111122223333"
MGMT = "999988887777"
OTHER = "444455556666"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzTESTSECRETzz"
TOKEN = "FwoGZXIvYXdzEXAMPLEzzTESTSESSIONTOKENzz"
T_SETUP = 1668092400      # 2022-11-10T15:00:00Z
T_RELEASE = 1668097200    # 2022-11-10T16:20:00Z (window to 20:20)
D = tempfile.mkdtemp(prefix="bg-aws.")
STATE = os.path.join(D, "state")


check = bgvault.Checks()


V = bgvault.Vault(BIN, VFIDO, PRE_FIDO, CLOCK, MODE, D)


def base_env(clock=True):
    return V.env(clock)


def bg(*args, env=None, clock=True, must=False):
    return V.run(*args, env=env, clock=clock, must=must)


def set_clock(t):
    V.set_clock(t)


def entries(event):
    return V.entries(event)


# --------------------------------------------------------------- set-up

def setup():
    """The vault, and a release under the fake clock at the fixtures'
    time."""
    set_clock(T_SETUP)
    V.setup(ACCOUNT)
    set_clock(T_RELEASE - 60)
    rid = V.request(ACCOUNT)
    for p in ("alice", "bob"):
        bg("approve", rid, "--as", p, must=True)
    set_clock(T_RELEASE)
    bg("release", rid, "--as", "rita", must=True)
    set_clock(T_RELEASE + 86400)
    return rid


# ------------------------------------------------------------ fixtures

def fixture(name, **over):
    with open(os.path.join(FIX, "records", name)) as f:
        r = json.load(f)
    r = copy.deepcopy(r)
    for k, v in over.items():
        if k == "account":
            r["recipientAccountId"] = v
            r["userIdentity"]["accountId"] = v
        else:
            r[k] = v
    return r


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def at(offset):
    """A time offset seconds after the release."""
    return iso(T_RELEASE + offset)


def trail(records):
    return json.dumps({"Records": records})


def write(name, text, gz=False):
    path = os.path.join(D, name)
    data = text.encode()
    with (gzip.open(path, "wb") if gz else open(path, "wb")) as f:
        f.write(data)
    return path


A = [
    # explained, MFA "YES" (a spelling real records carry)
    fixture("root-console-login-mfa-YES.json", eventID="e-yes",
            eventTime="2022-11-10T16:24:34Z", account=ACCOUNT),
    # inside the window, but no MFA: critical all the same
    fixture("root-console-login-no-mfa.json", eventID="e-nomfa",
            eventTime=at(600), account=ACCOUNT),
    # a failure with errorMessage inside the window: a warning
    fixture("root-console-login-failure.json", eventID="e-fail-in",
            eventTime=at(1200), account=ACCOUNT),
    # a failure without errorMessage, after the window: unexplained
    fixture("root-console-login-failure-no-errormessage.json",
            eventID="e-fail-out", eventTime=at(5 * 3600), account=ACCOUNT),
    # root created an access key inside the window: critical
    fixture("root-create-access-key.json", eventID="e-key",
            eventTime=at(1800), account=ACCOUNT),
    # password recovery two days later: unexplained
    fixture("root-password-recovery-requested-derived.json",
            eventID="e-recovery", eventTime=at(2 * 86400), account=ACCOUNT),
    # a sign-in with "Yes" before the release: unexplained
    fixture("root-console-login-mfa-Yes-derived.json", eventID="e-before",
            eventTime=at(-3600), account=ACCOUNT),
    # not root: not counted
    fixture("iam-user-console-login-mfa.json"),
    # the same event twice: once
    fixture("root-console-login-mfa-YES.json", eventID="e-yes",
            eventTime="2022-11-10T16:24:34Z", account=ACCOUNT),
]
WANT_A = {"e-yes": ("explained", ""),
          "e-nomfa": ("explained", "aws-root-login-no-mfa"),
          "e-fail-in": ("explained", "aws-root-login-failed"),
          "e-fail-out": ("unexplained", "aws-root-unexplained"),
          "e-key": ("explained", "aws-root-access-key-created"),
          "e-recovery": ("unexplained", "aws-root-unexplained"),
          "e-before": ("unexplained", "aws-root-unexplained")}


def reconcile(*files, json_out=True, env=None, clock=True, extra=()):
    args = ["aws", "reconcile"] + list(extra)
    for f in files:
        args += ["--from", f]
    if json_out:
        args.append("--json")
    return bg(*args, env=env, clock=clock)


def verdicts(p):
    try:
        doc = json.loads(p.stdout)
    except ValueError:
        return None, {}
    return doc, {e["id"]: (e["verdict"], e["rule"]) for e in doc["events"]}


def case_files():
    a = write("a.json", trail(A))
    p = reconcile(a)
    doc, got = verdicts(p)
    check("reconcile: exit 1 when anything is unexplained or a finding",
          p.returncode == 1, p.stderr)
    check("reconcile: every verdict and finding as expected",
          got == WANT_A, json.dumps(got))
    check("reconcile: a non-root record is read, not counted",
          doc is not None and doc["records"] == 9 and len(got) == 7,
          p.stdout[-300:])
    check("reconcile: the event given twice counts once",
          doc is not None and doc["duplicates"] == 1)
    rec = entries("aws.reconciled")
    fnd = entries("aws.finding")
    check("reconcile: the new events are recorded (aws.reconciled)",
          len(rec) == 1 and len(rec[0]["detail"]["events"]) == 7)
    check("reconcile: the critical ones are one aws.finding (alerts)",
          len(fnd) == 1 and fnd[0]["detail"]["counts"]["critical"] == 5,
          json.dumps(fnd)[:400])

    # the same file again: the same verdicts, nothing recorded twice
    p = reconcile(a)
    doc2, got2 = verdicts(p)
    check("again: the same verdicts and exit code",
          p.returncode == 1 and got2 == WANT_A)
    check("again: nothing new", doc2 is not None and doc2["new"] == 0)
    check("again: no aws.reconciled or aws.finding added",
          len(entries("aws.reconciled")) == 1 and
          len(entries("aws.finding")) == 1)

    # an overlapping gzip file with one new event, explained
    b = write("b.json.gz", trail(A[:2] + [
        fixture("root-list-access-keys.json", eventID="e-list",
                eventTime=at(2400), account=ACCOUNT)]), gz=True)
    p = reconcile(b)
    doc3, got3 = verdicts(p)
    check("gzip, overlapping: only the new event is new",
          doc3 is not None and doc3["new"] == 1 and
          got3.get("e-list") == ("explained", ""), p.stdout[-400:])
    check("gzip, overlapping: one more aws.reconciled, holding it alone",
          len(entries("aws.reconciled")) == 2 and
          [e["id"] for e in entries("aws.reconciled")[1]["detail"]
           ["events"]] == ["e-list"])

    # JSON Lines with an EventBridge event inside the window
    with open(os.path.join(FIX, "eventbridge", "root-console-signin.json")) \
            as f:
        eb = json.load(f)
    eb["detail"].update(eventID="e-eb", eventTime=at(3000),
                        recipientAccountId=ACCOUNT)
    eb["detail"]["userIdentity"]["accountId"] = ACCOUNT
    lines = "\n".join(json.dumps(r) for r in [A[0], eb]) + "\n"
    p = reconcile(write("c.jsonl", lines))
    _, got4 = verdicts(p)
    check("JSON Lines with an EventBridge event: read and judged",
          got4.get("e-eb", ("",))[0] == "explained" and "e-yes" in got4,
          p.stdout[-300:] + p.stderr)


def case_bad_input():
    before = len(entries("aws.reconciled"))
    full = trail(A)
    bad = {
        "truncated": full[: len(full) // 2],
        "invalid JSON": full.replace('"eventName"', "eventName", 1),
        "not CloudTrail": "[1, 2, 3]",
        "empty": "",
        # a second userIdentity that cJSON's first-wins lookup would hide
        "a duplicate key": '{"Records":[{"userIdentity":{"type":"IAMUser"},'
                           '"eventID":"d1","eventTime":"2022-11-10T17:00:00Z",'
                           '"eventName":"ConsoleLogin","userIdentity":'
                           '{"type":"Root","accountId":"%s"}}]}' % ACCOUNT,
    }
    for what, text in bad.items():
        p = reconcile(write("bad.json", text))
        check("bad input (%s): exit 1 with a clear error" % what,
              p.returncode == 1 and "bad.json" in p.stderr and
              "byte" in p.stderr, p.stderr[-300:])
    p = reconcile(write("bad.gz", gzip.compress(full.encode())[:200].decode(
        "latin-1"), gz=False))
    check("bad input (a gzip file cut short): exit 1", p.returncode == 1,
          p.stderr[-200:])
    p = reconcile(os.path.join(D, "missing.json"))
    check("a missing file: exit 1 naming it", p.returncode == 1 and
          "missing.json" in p.stderr, p.stderr)
    check("bad input: nothing recorded",
          len(entries("aws.reconciled")) == before)
    # a root record that cannot be judged is a critical finding of the
    # run; the file's other events are judged and recorded all the same
    nf = len(entries("aws.finding"))
    odd = [{k: v for k, v in A[1].items() if k != "eventTime"},
           fixture("root-list-access-keys.json", eventID="e-beside-odd",
                   eventTime=at(4 * 86400), account=ACCOUNT)]
    p = reconcile(write("odd.json", trail(odd)))
    doc, got = verdicts(p)
    check("a root record without eventTime: a critical finding, the "
          "others judged", p.returncode == 1 and "e-beside-odd" in got and
          any(n["rule"] == "aws-root-record-malformed" for n in
              (doc or {}).get("run", {}).get("findings", [])),
          p.stdout[-400:])
    check("... recorded and alerted (aws.finding)",
          len(entries("aws.finding")) == nf + 1 and
          len(entries("aws.reconciled")) == before + 1)
    check("bad input: each failure recorded (aws.reconcile_failed)",
          len(entries("aws.reconcile_failed")) == len(bad) + 2)
    p = bg("aws", "reconcile", "--since", "yesterday")
    check("a bad --since: usage error", p.returncode == 2, p.stderr)


def case_sessions():
    """An AssumeRoot call (its target as an ARN, as AWS allows) and the
    calls of its session, joined by the key its answer issued; a rule
    still judges a call made in a session."""
    ar = fixture("assumeroot-management-assume-root.json", eventID="e-ar",
                 eventTime=at(5 * 86400), account=MGMT)
    ar["requestParameters"]["targetPrincipal"] = \
        "arn:aws:iam::%s:root" % ACCOUNT
    ses = fixture("assumeroot-member-delete-bucket-policy.json",
                  eventID="e-ar-s", eventTime=at(5 * 86400 + 60),
                  account=ACCOUNT)
    key = fixture("root-create-access-key.json", eventID="e-ar-key",
                  eventTime=at(5 * 86400 + 90), account=ACCOUNT)
    key["userIdentity"]["inScopeOf"] = {
        "issuerType": "AWS::STS::AssumeRoot",
        "credentialsIssuedTo": "arn:aws:sts::%s:assumed-role/x/y" % MGMT}
    p = reconcile(write("ses.json", trail([ar, ses, key])))
    doc, got = verdicts(p)
    ev = {e["id"]: e for e in (doc or {}).get("events", [])}
    check("AssumeRoot with an ARN target: the account's event",
          ev.get("e-ar", {}).get("account") == ACCOUNT and
          ev["e-ar"]["kind"] == "assume-root" and
          got["e-ar"] == ("unexplained", "aws-root-unexplained"),
          json.dumps(ev.get("e-ar")))
    check("its session's call is joined by the issued key",
          ev.get("e-ar-s", {}).get("assumed_root") is True and
          "assumed-role/JohnDoe" in ev["e-ar-s"].get("issuer", ""),
          json.dumps(ev.get("e-ar-s")))
    check("a session's CreateAccessKey keeps its kind and its rule",
          ev.get("e-ar-key", {}).get("kind") == "access-key-created" and
          got.get("e-ar-key") == ("unexplained",
                                  "aws-root-access-key-created"),
          json.dumps(ev.get("e-ar-key")))


def case_planted_id():
    """A record with a real event's eventID and time but other content,
    fed first, must not make the real one 'seen' (never alerted)."""
    t = at(6 * 86400)
    fake = fixture("root-list-access-keys.json", eventID="11111111-real",
                   eventTime=t, account=ACCOUNT)
    real = fixture("root-create-access-key.json", eventID="11111111-real",
                   eventTime=t, account=ACCOUNT)
    reconcile(write("plant.json", trail([fake])))
    nf = len(entries("aws.finding"))
    p = reconcile(write("real.json", trail([real])))
    doc, _ = verdicts(p)
    ev = (doc or {}).get("events", [{}])[0]
    check("a planted eventID: the real event is new and alerts",
          ev.get("seen_before") is False and
          ev.get("rule") == "aws-root-access-key-created" and
          len(entries("aws.finding")) == nf + 1, json.dumps(ev))
    p = reconcile(write("both.json", trail([real, fake])))
    _, got = verdicts(p)
    check("both in one file: neither shadows the other",
          doc is not None and len(got) == 1 and
          json.loads(p.stdout)["duplicates"] == 0 and
          len(json.loads(p.stdout)["events"]) == 2, p.stdout[-300:])


def case_flood():
    """Forty failed sign-ins (anyone who knows the root address can make
    them) cannot push a sign-in without MFA out of the alert."""
    recs = [fixture("root-console-login-failure.json", eventID="f%d" % i,
                    eventTime=at(7 * 86400 + i), account=ACCOUNT)
            for i in range(40)]
    recs.append(fixture("root-console-login-no-mfa.json", eventID="f-nomfa",
                        eventTime=at(7 * 86400 + 100), account=ACCOUNT))
    reconcile(write("flood.json", trail(recs)))
    f = entries("aws.finding")[-1]["detail"]
    check("flood: the rare finding is listed first in the alert",
          f["findings"][0]["rule"] == "aws-root-login-no-mfa" and
          f["counts"]["critical"] == 41, json.dumps(f)[:300])


def case_escapes():
    """A doctored file's terminal escapes reach neither the terminal, the
    log nor an alert: fields are cleaned to one-line text."""
    r = fixture("root-list-access-keys.json", eventID="e-esc",
                eventTime=at(3 * 86400), account=ACCOUNT)
    r["eventName"] = "List\x1b[2J\x1b]0;owned\x07Keys"
    r["sourceIPAddress"] = "198.51.100.1\r\n\x1b[31m"
    path = write("esc.json", trail([r]))
    p = reconcile(path, json_out=False)
    check("escapes: judged (unexplained) and printed without ESC or BEL",
          p.returncode == 1 and "e-esc" not in p.stderr and
          "\x1b" not in p.stdout + p.stderr and "\x07" not in p.stdout,
          repr(p.stdout[-300:] + p.stderr))
    log = bg("audit", "show", "--json", clock=False).stdout
    check("escapes: the recorded entries hold none either",
          "e-esc" in log and "\\u001b" not in log and "\x1b" not in log)


def case_100mb():
    path = os.path.join(D, "huge.jsonl")
    rec = fixture("iam-user-console-login-mfa.json")
    rec["requestParameters"] = {"pad": "x" * 600}
    line = (json.dumps(rec) + "\n").encode()
    n = 100 * 1000 * 1000 // len(line) + 1
    with open(path, "wb") as f:
        chunk = line * 1000
        for _ in range(n // 1000):
            f.write(chunk)
        f.write(json.dumps(fixture("root-console-login-no-mfa.json",
                                   eventID="e-huge", eventTime=at(60),
                                   account=ACCOUNT)).encode() + b"\n")
    size = os.path.getsize(path)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    env = base_env()
    if MODE == "asan":   # ASan's quarantine would count as peak memory
        env["ASAN_OPTIONS"] += ":quarantine_size_mb=8"
    p = reconcile(path, env=env)
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    doc, got = verdicts(p)
    check("100 MB: every record read, the root event found (%d bytes)" %
          size, doc is not None and doc["records"] == n // 1000 * 1000 + 1
          and "e-huge" in got, p.stderr[-300:])
    # a child's peak (KiB): far below the file, one record at a time
    limit = 96 * 1024 if MODE == "asan" else 64 * 1024
    check("100 MB: streamed (peak memory %d KiB < %d KiB)" % (rss, limit),
          rss < limit or rss <= before)
    os.unlink(path)


# ------------------------------------------------------------ the fake

class Fake:
    def __init__(self, scenario):
        self.dir = tempfile.mkdtemp(dir=D)
        self.log = os.path.join(self.dir, "log")
        sc = os.path.join(self.dir, "scenario.json")
        with open(sc, "w") as f:
            json.dump(scenario, f)
        pf = os.path.join(self.dir, "port")
        self.p = subprocess.Popen([sys.executable, FAKE, "--scenario", sc,
                                   "--port-file", pf, "--log", self.log])
        for _ in range(200):
            if os.path.exists(pf):
                break
            time.sleep(0.05)
        with open(pf) as f:
            self.url = "http://127.0.0.1:%s" % f.read().strip()

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        try:
            self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.p.kill()

    def requests(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            return [json.loads(line) for line in f if line.strip()]


def scenario(**over):
    sc = {
        "credentials": {
            "AKIDMGMT": {"secret": SECRET, "account": MGMT,
                         "arn": "arn:aws:iam::%s:user/auditor" % MGMT},
            "ASIATEMP": {"secret": SECRET, "token": TOKEN, "account": MGMT,
                         "arn": "arn:aws:sts::%s:assumed-role/audit/s" % MGMT},
            "AKIDOLD": {"secret": SECRET, "account": MGMT, "expired": True,
                        "arn": "arn:aws:iam::%s:user/old" % MGMT},
        },
        "organization": {
            "id": "o-test", "management": MGMT,
            "features": ["RootCredentialsManagement", "RootSessions"],
            "trusted_access": True,
            "accounts": [
                {"Id": MGMT, "Name": "management", "Email": "m@example.com",
                 "Status": "ACTIVE"},
                {"Id": ACCOUNT, "Name": "prod", "Email": "p@example.com",
                 "Status": "ACTIVE"},
                {"Id": OTHER, "Name": "sandbox", "Email": "s@example.com",
                 "Status": "ACTIVE"}]},
        "accounts": {
            ACCOUNT: {"summary": {"AccountMFAEnabled": 1,
                                  "AccountAccessKeysPresent": 1,
                                  "AccountPasswordPresent": 1,
                                  "AccountSigningCertificatesPresent": 0},
                      "root_mfa": [{"SerialNumber":
                                    "arn:aws:iam::%s:mfa/root" % ACCOUNT,
                                    "EnableDate": "2024-01-01T00:00:00Z"}],
                      "virtual_mfa": [{"SerialNumber":
                                       "arn:aws:iam::%s:mfa/v" % ACCOUNT,
                                       "user_arn":
                                       "arn:aws:iam::%s:root" % ACCOUNT,
                                       "EnableDate":
                                       "2024-01-01T00:00:00Z"}]}},
        "roles": ["arn:aws:iam::%s:role/BreakglassAudit" % ACCOUNT],
        "events": [],
        "faults": {},
    }
    sc.update(over)
    return sc


def aws_env(url, akid="AKIDMGMT", secret=SECRET, token=None, **more):
    env = base_env(clock=False)
    env.update(AWS_ENDPOINT_URL=url, AWS_ACCESS_KEY_ID=akid,
               AWS_SECRET_ACCESS_KEY=secret, AWS_REGION="eu-west-1")
    if token:
        env["AWS_SESSION_TOKEN"] = token
    env.update(more)
    return env


def no_secret_anywhere(what, *outputs):
    leaked = [o for o in outputs if SECRET in o or TOKEN in o]
    for root, _, files in os.walk(STATE):
        for f in files:
            with open(os.path.join(root, f), "rb") as fh:
                data = fh.read()
            if SECRET.encode() in data or TOKEN.encode() in data:
                leaked.append(os.path.join(root, f))
    check(what + ": no secret key or session token in the output, the "
          "state or the log", not leaked, str(leaked)[:200])


def posture(env, *args):
    return bg("aws", "posture", "--json", *args, env=env, clock=False)


def findings(p):
    try:
        return {f["rule"] for f in json.loads(p.stdout)["report"]
                ["findings"]}
    except (ValueError, KeyError):
        return set()


def case_posture():
    fake = Fake(scenario())
    try:
        n0 = len(entries("aws.posture"))
        p = posture(aws_env(fake.url))
        got = findings(p)
        check("posture: exit 1 on a critical finding", p.returncode == 1,
              p.stderr)
        check("posture: root access key (critical), one MFA device "
              "(warning), an organization account not in the vault",
              {"aws-root-access-key", "aws-root-mfa-single",
               "aws-account-not-in-vault"} <= got, str(got) + p.stderr)
        doc = json.loads(p.stdout) if p.stdout else {}
        via = [a.get("via") for a in doc.get("accounts", [])]
        check("posture: the member account is read through AssumeRoot",
              via == ["assume-root"], str(via))
        reqs = fake.requests()
        check("posture: every request's signature verified by botocore",
              reqs and all(r["sig_ok"] for r in reqs) and
              {"GetCallerIdentity", "ListAccounts",
               "ListOrganizationsFeatures", "AssumeRoot",
               "GetAccountSummary", "ListMFADevices"} <=
              {r["action"] for r in reqs}, json.dumps(reqs)[:400])
        check("posture: recorded (aws.posture) with an aws.finding",
              len(entries("aws.posture")) == n0 + 1 and
              entries("aws.finding")[-1]["detail"]["source"] == "posture")
        c = bg("custody", "check", clock=False)
        check("custody check: the posture's findings join it",
              "aws-root-access-key" in c.stdout and c.returncode == 1,
              c.stdout[-400:])
    finally:
        fake.stop()
    clean = scenario()
    clean["accounts"][ACCOUNT]["summary"]["AccountAccessKeysPresent"] = 0
    fake = Fake(clean)
    try:
        p = posture(aws_env(fake.url), ACCOUNT)
        c = bg("custody", "check", clock=False)
        check("a posture of named accounts only does not replace the "
              "last full one in custody check",
              "aws-root-access-key" not in findings(p) and
              "aws-root-access-key" in c.stdout, c.stdout[-300:])
    finally:
        fake.stop()
    fake = Fake(scenario())
    try:
        p2 = bg("aws", "posture", env=aws_env(fake.url), clock=False)
        check("posture: a table on the terminal", "ACCOUNT" in p2.stdout and
              ACCOUNT in p2.stdout and "assume-root" in p2.stdout,
              p2.stdout)
        no_secret_anywhere("posture", p.stdout, p.stderr, p2.stdout,
                           p2.stderr)

        # a session token from the environment
        p = posture(aws_env(fake.url, akid="ASIATEMP", token=TOKEN))
        check("posture with a session token: signed and read",
              p.returncode == 1 and "aws-root-access-key" in findings(p),
              p.stderr)

        # the refusals
        n_failed = len(entries("aws.posture_failed"))
        p = posture(aws_env(fake.url, secret="x" + SECRET[1:]))
        check("a wrong secret: exit 1, the credentials were refused",
              p.returncode == 1 and "refused" in p.stderr and
              "SignatureDoesNotMatch" in p.stderr, p.stderr)
        check("... the fake saw a bad signature",
              any(not r["sig_ok"] for r in fake.requests()))
        p = posture(aws_env(fake.url, akid="AKIDNOBODY"))
        check("an unknown key: exit 1, InvalidClientTokenId",
              p.returncode == 1 and "InvalidClientTokenId" in p.stderr,
              p.stderr)
        p = posture(aws_env(fake.url, akid="AKIDOLD"))
        check("expired credentials: exit 1, says they expired",
              p.returncode == 1 and "expired" in p.stderr, p.stderr)
        check("each failed run is recorded (aws.posture_failed)",
              len(entries("aws.posture_failed")) == n_failed + 3)
        env = aws_env(fake.url)
        for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            del env[k]
        p = posture(env)
        check("no credentials anywhere: a clear error",
              p.returncode == 1 and "no AWS credentials" in p.stderr,
              p.stderr)
        p = posture(aws_env("http://192.0.2.1:9"))
        check("an http:// endpoint off the loopback is refused",
              p.returncode == 1 and "loopback" in p.stderr, p.stderr)
        p = posture(aws_env("http://127.0.0.1:@192.0.2.2:9/"))
        check("... also one that only starts like the loopback "
              "(user info: the request would go to 192.0.2.2)",
              p.returncode == 1 and "loopback" in p.stderr, p.stderr)
        no_secret_anywhere("refusals", p.stderr)
    finally:
        fake.stop()


def case_posture_own_session():
    """A posture run explains its own AssumeRoot session (the key it
    recorded) and nothing else: an insider's audit session at the same
    moment is unexplained."""
    runs = [e for e in entries("aws.posture")
            if any(a.get("session_key") for a in e["detail"]["accounts"])]
    if not runs:
        check("a posture run recorded its session key", False)
        return
    run = runs[-1]
    key = [a["session_key"] for a in run["detail"]["accounts"]
           if a.get("session_key")][0]
    t = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.strptime(
        run["time"][:19], "%Y-%m-%dT%H:%M:%S"))
    t0 = int(time.mktime(time.strptime(t, "%Y-%m-%dT%H:%M:%SZ"))) - \
        time.timezone - 30

    def assume(eid, issued, who):
        r = fixture("assumeroot-management-assume-root.json", eventID=eid,
                    eventTime=iso(t0), account=MGMT)
        r["requestParameters"] = {"targetPrincipal": ACCOUNT,
                                  "taskPolicyArn": {"arn": "arn:aws:iam::aws:"
                                  "policy/root-task/IAMAuditRootUserCredentials"}}
        r["responseElements"]["credentials"]["accessKeyId"] = issued
        r["userIdentity"]["arn"] = who
        return r

    def read(eid, k):
        r = fixture("root-list-access-keys.json", eventID=eid,
                    eventTime=iso(t0 + 5), account=ACCOUNT)
        r["eventName"] = "GetAccountSummary"
        r["userIdentity"]["accessKeyId"] = k
        return r

    recs = [assume("own-ar", key, "arn:aws:iam::%s:user/auditor" % MGMT),
            read("own-read", key),
            assume("their-ar", "ASIAMALLORY000000001",
                   "arn:aws:sts::%s:assumed-role/Attacker/mallory" % MGMT),
            read("their-read", "ASIAMALLORY000000001")]
    p = bg("aws", "reconcile", "--json", "--from",
           write("own.json", trail(recs)), clock=False)
    _, got = verdicts(p)
    check("posture: its own AssumeRoot and read are explained",
          got.get("own-ar", ("",))[0] == "explained" and
          got.get("own-read", ("",))[0] == "explained", json.dumps(got))
    check("posture: another session at the same moment is not",
          got.get("their-ar", ("",))[0] == "unexplained" and
          got.get("their-read", ("",))[0] == "unexplained",
          json.dumps(got))


def case_sources():
    """Credentials from the shared file, credential_process, config."""
    fake = Fake(scenario())
    try:
        env = aws_env(fake.url)
        for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            del env[k]
        cred = os.path.join(D, "credentials")
        with open(cred, "w") as f:
            f.write("[default]\naws_access_key_id = AKIDNOBODY\n"
                    "aws_secret_access_key = nope\n\n[audit]\n"
                    "aws_access_key_id = AKIDMGMT\n"
                    "aws_secret_access_key = %s\n" % SECRET)
        env.update(AWS_SHARED_CREDENTIALS_FILE=cred, AWS_PROFILE="audit")
        p = posture(env)
        check("the shared credentials file, AWS_PROFILE's section",
              "aws-root-access-key" in findings(p), p.stderr)
        proc = os.path.join(D, "creds.sh")
        with open(proc, "w") as f:
            f.write("#!/bin/sh\necho '%s'\n" % json.dumps(
                {"Version": 1, "AccessKeyId": "ASIATEMP",
                 "SecretAccessKey": SECRET, "SessionToken": TOKEN}))
        os.chmod(proc, 0o700)
        conf = os.path.join(D, "config")
        with open(conf, "w") as f:
            f.write("[profile proc]\ncredential_process = %s\n"
                    "region = eu-central-1\n\n[profile static]\n"
                    "aws_access_key_id = AKIDMGMT\n"
                    "aws_secret_access_key = %s\n" % (proc, SECRET))
        env.update(AWS_CONFIG_FILE=conf, AWS_PROFILE="proc")
        p = posture(env)
        check("credential_process (with a session token)",
              "aws-root-access-key" in findings(p), p.stderr)
        env.update(AWS_PROFILE="static")
        p = posture(env)
        check("static keys in the config file",
              "aws-root-access-key" in findings(p), p.stderr)
        with open(proc, "w") as f:
            f.write("#!/bin/sh\nexit 3\n")
        env.update(AWS_PROFILE="proc")
        p = posture(env)
        check("a credential_process that fails: a clear error",
              p.returncode == 1 and "credential_process" in p.stderr,
              p.stderr)
        no_secret_anywhere("credential sources", p.stdout, p.stderr)
    finally:
        fake.stop()


def case_role_and_faults():
    # no root sessions: the member account through the configured role
    org = scenario()["organization"]
    org["features"] = ["RootCredentialsManagement"]
    fake = Fake(scenario(organization=org))
    try:
        p = posture(aws_env(fake.url))
        doc = json.loads(p.stdout) if p.stdout else {}
        check("without RootSessions and without a role: not readable "
              "(a violation naming why)",
              "aws-account-unreadable" in findings(p) and
              "RootSessions" in p.stdout, p.stdout[-400:])
        cfg = {"format": "breakglass-config-v1",
               "aws": {"role": "arn:aws:iam::{account}:role/BreakglassAudit",
                       "timeout_ms": 1500}}
        path = os.path.join(D, "conf.json")
        with open(path, "w") as f:
            json.dump(cfg, f)
        r = bg("config", "set", path, clock=False)
        check("config set takes an aws section", r.returncode == 0,
              r.stderr)
        p = posture(aws_env(fake.url))
        doc = json.loads(p.stdout) if p.stdout else {}
        via = [a.get("via") for a in doc.get("accounts", [])]
        check("... then the member account is read through the role",
              via == ["role"] and "AssumeRole" in
              {r["action"] for r in fake.requests()}, str(via) + p.stderr)
        bad = dict(cfg, aws={"role": "not-an-arn"})
        with open(path, "w") as f:
            json.dump(bad, f)
        r = bg("config", "set", path, clock=False)
        check("config set refuses a bad aws section", r.returncode != 0 and
              "aws.role" in r.stderr, r.stderr)
        # a credential_process that hangs is killed at timeout_ms (1500)
        conf = os.path.join(D, "config-hang")
        with open(conf, "w") as f:
            f.write("[profile hang]\ncredential_process = sleep 30\n")
        env = aws_env(fake.url, AWS_CONFIG_FILE=conf, AWS_PROFILE="hang")
        for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            del env[k]
        t0 = time.monotonic()
        p = posture(env)
        check("a credential_process that hangs: killed, a clear error "
              "(%.1f s)" % (time.monotonic() - t0),
              p.returncode == 1 and "within 1500 ms" in p.stderr, p.stderr)
    finally:
        fake.stop()
    fake = Fake(scenario(faults={"throttle": 2}))
    try:
        p = posture(aws_env(fake.url))
        st = [r["status"] for r in fake.requests()]
        check("throttled twice: retried with backoff, then read",
              p.returncode == 1 and st[:2] == [400, 400] and 200 in st,
              str(st) + p.stderr)
    finally:
        fake.stop()
    fake = Fake(scenario(faults={"throttle": 50}))
    try:
        p = posture(aws_env(fake.url, AWS_MAX_ATTEMPTS="2"))
        check("throttled for good: exit 1 after AWS_MAX_ATTEMPTS tries",
              p.returncode == 1 and "Throttling" in p.stderr and
              len(fake.requests()) == 2, p.stderr)
    finally:
        fake.stop()
    fake = Fake(scenario(faults={"hang": True}))
    try:
        t0 = time.monotonic()
        p = posture(aws_env(fake.url))
        check("an endpoint that hangs: exit 1, 'no answer in time' "
              "(timeout_ms 1500; took %.1f s)" % (time.monotonic() - t0),
              p.returncode == 1 and "no answer in time" in p.stderr,
              p.stderr)
    finally:
        fake.stop()


def case_lookup():
    """LookupEvents: the caller's account's own history (root's events,
    and AssumeRoot calls), sign-ins from us-east-1 and the configured
    region's, every page; a NextToken that cannot be followed is an
    error, never the end; accounts whose history was not read are said."""
    now = int(time.time())
    login = fixture("root-console-login-mfa-YES.json", eventID="e-api-1",
                    eventTime=iso(now - 3600), account=ACCOUNT,
                    awsRegion="us-east-1")
    other = fixture("root-list-access-keys.json", eventID="e-api-2",
                    eventTime=iso(now - 1800), account=ACCOUNT,
                    awsRegion="eu-west-1")
    assume = fixture("assumeroot-management-assume-root.json",
                     eventID="e-api-ar", eventTime=iso(now - 600),
                     account=MGMT, awsRegion="eu-west-1")
    assume["requestParameters"]["targetPrincipal"] = ACCOUNT
    pages = [fixture("root-list-access-keys.json", eventID="p%d" % i,
                     eventTime=iso(now - 100 - i), account=ACCOUNT,
                     awsRegion="us-east-1") for i in range(5)]
    users = [fixture("iam-user-console-login-mfa.json", eventID="u%d" % i,
                     eventTime=iso(now - 50 - i), awsRegion="us-east-1")
             for i in range(3)]
    sc = scenario(events=[login, other, assume] + pages + users,
                  faults={"by_action": {"LookupEvents": {"throttle": 1}}})
    sc["credentials"]["AKIDPROD"] = {
        "secret": SECRET, "account": ACCOUNT,
        "arn": "arn:aws:iam::%s:user/auditor" % ACCOUNT}
    fake = Fake(sc)
    try:
        p = bg("aws", "reconcile", "--json",
               env=aws_env(fake.url, akid="AKIDPROD"), clock=False)
        doc, got = verdicts(p)
        check("LookupEvents: root's sign-ins (us-east-1) and the region's "
              "events, every page, unexplained (no release then)",
              got.get("e-api-1") == ("unexplained", "aws-root-unexplained")
              and got.get("e-api-2", ("",))[0] == "unexplained" and
              all("p%d" % i in got for i in range(5)) and
              not any(k.startswith("u") for k in got),
              json.dumps(got) + p.stderr)
        check("LookupEvents of the vault's own account: nothing said of "
              "accounts not read", doc is not None and
              not doc["run"]["findings"], p.stdout[-300:])
        reqs = [r for r in fake.requests() if r["action"] == "LookupEvents"]
        check("LookupEvents: signed right, throttled once then paged, "
              "both regions",
              all(r["sig_ok"] for r in reqs) and reqs[0]["status"] == 400
              and len(reqs) > 4 and {"us-east-1", "eu-west-1"} <=
              {r["region"] for r in reqs}, json.dumps(reqs)[:300])
        p = bg("aws", "reconcile", "--json", env=aws_env(fake.url),
               clock=False)
        doc, got = verdicts(p)
        check("LookupEvents of the management account: its AssumeRoot "
              "call into the vault's account",
              got.get("e-api-ar") == ("unexplained", "aws-root-unexplained")
              and "e-api-1" not in got, json.dumps(got))
        check("... and the vault account whose history it cannot read is "
              "named (a warning)",
              doc is not None and any(
                  n["rule"] == "aws-events-not-read" and ACCOUNT in
                  n["message"] for n in doc["run"]["findings"]),
              p.stdout[-400:])
    finally:
        fake.stop()
    sc["faults"] = {"long_token": True}
    fake = Fake(sc)
    try:
        p = bg("aws", "reconcile", "--json",
               env=aws_env(fake.url, akid="AKIDPROD"), clock=False)
        check("a NextToken that cannot be followed: an error, not the end",
              p.returncode == 1 and "NextToken" in p.stderr, p.stderr)
        no_secret_anywhere("LookupEvents", p.stdout, p.stderr)
    finally:
        fake.stop()


def main():
    setup()
    for case in (case_files, case_bad_input, case_sessions, case_planted_id,
                 case_flood, case_escapes, case_100mb, case_posture,
                 case_posture_own_session,
                 case_sources, case_role_and_faults, case_lookup):
        try:
            case()
        except Exception as e:  # a case that breaks is a failure
            check(case.__name__, False, "%s: %s" % (type(e).__name__, e))
    shutil.rmtree(D, ignore_errors=True)
    return check.summary()


if __name__ == "__main__":
    sys.exit(main())
