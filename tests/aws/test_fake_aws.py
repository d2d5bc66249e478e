#!/usr/bin/env python3
"""Self-test of fake_aws.py: Debian's awscli (an AWS client we did not
write) talks to the fake and gets what AWS would answer; requests signed
with botocore's SigV4Auth and then altered are refused.

Covered: sts get-caller-identity, iam get-account-summary,
list-virtual-mfa-devices and list-mfa-devices (paged by the CLI),
organizations list-accounts and cloudtrail lookup-events (paged by the
CLI, fixture records round-trip), a session-token credential; refusals
(wrong secret, unknown key, expired token, missing or wrong token, a
body or header changed after signing, a stale X-Amz-Date, no or a
garbled Authorization); AssumeRoot, AssumeRole and
ListOrganizationsFeatures (too new for Debian's awscli: signed raw with
botocore); throttling retried by the CLI, server errors, a hang; the log
never holds a secret.

Loopback only; every subprocess and socket has a timeout.

usage: python3 tests/aws/test_fake_aws.py   (BG_CASE=name runs one case)
"""
import glob
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import xml.etree.ElementTree as ET

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "fake_aws.py")
PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") \
    else sys.executable                      # Debian's python3-botocore
AWS = "/usr/bin/aws" if os.path.exists("/usr/bin/aws") \
    else shutil.which("aws")                 # Debian's awscli
CLI_TIMEOUT = 30
MGMT, MEMBER, OTHER = "111111111111", "222222222222", "333333333333"
KEYS = {  # akid: secret
    "AKIAMGMTAUDITOR00001": "mgmt-secret/+=0123456789abcdefghij",
    "AKIAMEMBERUSER000001": "member-secret-0123456789abcdefghijk",
    "ASIASESSIONTOKEN0001": "session-secret-0123456789abcdefghij",
    "AKIAEXPIRED000000001": "expired-secret-0123456789abcdefghij",
    "AKIAMEMBERROOT000001": "root-secret-0123456789abcdefghijklm",
}
TOKEN = "IQoJb3JpZ2luX2VjE+/token=with/odd+chars"
failures = []
scratch = []


def fixture_records():
    """The fixtures as the management account's own event history (the
    fake, like CloudTrail, answers LookupEvents with the caller's
    account's events only)."""
    out = []
    for path in sorted(glob.glob(os.path.join(HERE, "fixtures", "records",
                                              "*.json"))):
        with open(path) as f:
            r = json.load(f)
        r["recipientAccountId"] = MGMT
        out.append(r)
    return out


def scenario(**over):
    sc = {
        "credentials": {
            "AKIAMGMTAUDITOR00001": {
                "secret": KEYS["AKIAMGMTAUDITOR00001"], "account": MGMT,
                "arn": "arn:aws:iam::%s:user/auditor" % MGMT},
            "AKIAMEMBERUSER000001": {
                "secret": KEYS["AKIAMEMBERUSER000001"], "account": MEMBER,
                "arn": "arn:aws:iam::%s:user/alice" % MEMBER},
            "ASIASESSIONTOKEN0001": {
                "secret": KEYS["ASIASESSIONTOKEN0001"], "token": TOKEN,
                "account": MGMT,
                "arn": "arn:aws:sts::%s:assumed-role/Audit/bg" % MGMT},
            "AKIAEXPIRED000000001": {
                "secret": KEYS["AKIAEXPIRED000000001"], "account": MGMT,
                "arn": "arn:aws:iam::%s:user/old" % MGMT, "expired": True},
            "AKIAMEMBERROOT000001": {
                "secret": KEYS["AKIAMEMBERROOT000001"], "account": OTHER,
                "arn": "arn:aws:iam::%s:root" % OTHER, "root": True},
        },
        "organization": {
            "id": "o-a1b2c3d4e5", "management": MGMT,
            "features": ["RootCredentialsManagement", "RootSessions"],
            "trusted_access": True,
            "accounts": [{"Id": "%d" % (n * 111111111111), "Name": "acct%d"
                          % n, "Email": "a%d@example.com" % n,
                          "Status": "ACTIVE", "JoinedMethod": "CREATED",
                          "JoinedTimestamp": "2024-0%d-01T12:00:00Z" % n}
                         for n in range(1, 6)]},
        "accounts": {
            MGMT: {"summary": {"AccountMFAEnabled": 1,
                               "AccountAccessKeysPresent": 0,
                               "AccountPasswordPresent": 1,
                               "AccountSigningCertificatesPresent": 0,
                               "Users": 3},
                   "virtual_mfa": [
                       {"SerialNumber": "arn:aws:iam::%s:mfa/root-key" % MGMT,
                        "user_arn": "arn:aws:iam::%s:root" % MGMT,
                        "EnableDate": "2024-01-01T00:00:00Z"},
                       {"SerialNumber": "arn:aws:iam::%s:mfa/bob" % MGMT,
                        "user_arn": "arn:aws:iam::%s:user/bob" % MGMT,
                        "EnableDate": "2024-02-01T00:00:00Z"},
                       {"SerialNumber": "arn:aws:iam::%s:mfa/spare" % MGMT}]},
            MEMBER: {"summary": {"AccountMFAEnabled": 0},
                     "root_mfa": [
                         {"SerialNumber": "arn:aws:iam::%s:mfa/k%d"
                          % (MEMBER, n), "EnableDate": "2024-03-0%dT00:00:00Z"
                          % n} for n in range(1, 4)]},
            OTHER: {"root_mfa": [{"SerialNumber":
                                  "arn:aws:iam::%s:mfa/root" % OTHER,
                                  "EnableDate": "2024-04-01T00:00:00Z"}]}},
        "roles": ["arn:aws:iam::%s:role/BreakglassAudit" % MEMBER],
        "events": fixture_records(),
        "faults": {},
    }
    sc.update(over)
    return sc


class Fake:
    """fake_aws.py run as another test would run it."""

    def __init__(self, sc):
        self.dir = tempfile.mkdtemp(prefix="fake-aws.")
        scratch.append(self.dir)
        self.log_path = os.path.join(self.dir, "log")
        port_file = os.path.join(self.dir, "port")
        with open(os.path.join(self.dir, "scenario.json"), "w") as f:
            json.dump(sc, f)
        self.proc = subprocess.Popen(
            [PY, FAKE, "--scenario", os.path.join(self.dir, "scenario.json"),
             "--port-file", port_file, "--log", self.log_path],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 10
        while not os.path.exists(port_file):
            if self.proc.poll() is not None or time.time() > deadline:
                self.stop()
                raise AssertionError("the fake did not start: %s" %
                                     self.proc.stderr.read().decode())
            time.sleep(0.05)
        with open(port_file) as f:
            self.port = int(f.read())
        self.url = "http://127.0.0.1:%d" % self.port

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc.stderr.close()
        return self.proc.returncode

    def log(self):
        if not os.path.exists(self.log_path):
            return []
        with open(self.log_path) as f:
            return [json.loads(line) for line in f]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        code = self.stop()
        if exc[0] is None:
            expect(code == 0, "the fake exited %s on SIGTERM" % code)


def aws(fake, akid, *args, secret=None, token=None, attempts=1,
        region="us-east-1"):
    """Debian's aws CLI against the fake: (exit code, parsed stdout or
    None, stderr)."""
    home = tempfile.mkdtemp(prefix="aws-home.")
    scratch.append(home)
    empty = os.path.join(home, "empty")
    open(empty, "w").close()
    env = {"PATH": "/usr/bin:/bin", "HOME": home, "LANG": "C.UTF-8",
           "AWS_CONFIG_FILE": empty, "AWS_SHARED_CREDENTIALS_FILE": empty,
           "AWS_PAGER": "", "AWS_MAX_ATTEMPTS": str(attempts),
           "AWS_RETRY_MODE": "standard", "AWS_EC2_METADATA_DISABLED": "true",
           "AWS_ACCESS_KEY_ID": akid,
           "AWS_SECRET_ACCESS_KEY": secret or KEYS.get(akid, "x" * 40)}
    if token:
        env["AWS_SESSION_TOKEN"] = token
    p = subprocess.run([AWS, "--endpoint-url", fake.url, "--region", region,
                        "--output", "json"] + list(args), env=env,
                       capture_output=True, text=True, timeout=CLI_TIMEOUT)
    out = json.loads(p.stdout) if p.returncode == 0 and p.stdout.strip() \
        else None
    return p.returncode, out, p.stderr


def ok(fake, akid, *args, **kw):
    code, out, err = aws(fake, akid, *args, **kw)
    expect(code == 0, "aws %s exited %d: %s" % (" ".join(args[:2]), code,
                                                err.strip()[-300:]))
    return out


def refused(fake, akid, code_name, *args, **kw):
    code, _, err = aws(fake, akid, *args, **kw)
    expect(code != 0 and "(%s)" % code_name in err,
           "aws %s: wanted %s, got exit %d: %s" % (
               " ".join(args[:2]), code_name, code, err.strip()[-300:]))


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


# ------------------------------------------------- raw signed requests

def signed(fake, service, akid, body, headers=None, token=None,
           region="us-east-1", path="/", when=None):
    """An AWSRequest signed by botocore's SigV4Auth (at `when`, a
    YYYYMMDDTHHMMSSZ, or now)."""
    req = AWSRequest(method="POST", url=fake.url + path, data=body,
                     headers=dict(headers or {}, Host="127.0.0.1:%d"
                                  % fake.port))
    signer = SigV4Auth(Credentials(akid, KEYS.get(akid, "x" * 40), token),
                       service, region)
    if when is None:
        signer.add_auth(req)
        return req
    req.context["timestamp"] = when
    signer._modify_request_before_signing(req)
    canonical = signer.canonical_request(req)
    signer._inject_signature_to_request(
        req, signer.signature(signer.string_to_sign(req, canonical), req))
    return req


def send(fake, req, body=None, timeout=10):
    """(status, headers, body) of req sent as is (body: a replacement)."""
    conn = http.client.HTTPConnection("127.0.0.1", fake.port,
                                      timeout=timeout)
    try:
        path = req.url[len(fake.url):] or "/"
        conn.request(req.method, path, body=req.body if body is None
                     else body, headers=dict(req.headers.items()))
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def query(fake, service, akid, params, token=None, **kw):
    body = "&".join("%s=%s" % (k, urllib.parse.quote(str(v), safe=""))
                    for k, v in params)
    req = signed(fake, service, akid, body.encode(), token=token,
                 headers={"Content-Type": "application/x-www-form-urlencoded;"
                          " charset=utf-8"}, **kw)
    return send(fake, req)


def xml_find(body, path):
    """Texts at path (slash-separated, namespace-free) in an XML body."""
    root = ET.fromstring(body)
    for el in root.iter():
        el.tag = el.tag.split("}", 1)[-1]
    return [el.text for el in root.findall(path)]


# --------------------------------------------------------------- cases

def case_cli_reads():
    with Fake(scenario()) as fake:
        who = ok(fake, "AKIAMGMTAUDITOR00001", "sts", "get-caller-identity")
        expect(who["Account"] == MGMT and who["Arn"].endswith(
            ":user/auditor") and who["UserId"], "identity: %r" % who)
        summary = ok(fake, "AKIAMGMTAUDITOR00001", "iam",
                     "get-account-summary")["SummaryMap"]
        expect(summary == scenario()["accounts"][MGMT]["summary"],
               "summary: %r" % summary)
        devices = ok(fake, "AKIAMGMTAUDITOR00001", "iam",
                     "list-virtual-mfa-devices", "--page-size", "1")
        devs = devices["VirtualMFADevices"]
        expect([d["SerialNumber"].rsplit("/", 1)[1] for d in devs] ==
               ["root-key", "bob", "spare"], "devices: %r" % devs)
        root = devs[0]["User"]
        expect(root["Arn"] == "arn:aws:iam::%s:root" % MGMT and
               root["UserId"] == MGMT and "EnableDate" in devs[0],
               "root device: %r" % devs[0])
        expect(devs[1]["User"]["UserName"] == "bob" and
               devs[1]["User"]["Path"] == "/", "bob: %r" % devs[1])
        assigned = ok(fake, "AKIAMGMTAUDITOR00001", "iam",
                      "list-virtual-mfa-devices", "--assignment-status",
                      "Unassigned")["VirtualMFADevices"]
        expect([d["SerialNumber"] for d in assigned] ==
               ["arn:aws:iam::%s:mfa/spare" % MGMT], "unassigned")
        pages = [e for e in fake.log() if e["action"] ==
                 "ListVirtualMFADevices"]
        expect(len(pages) == 4, "virtual MFA pages: %d" % len(pages))


def case_cli_organizations_pages():
    with Fake(scenario()) as fake:
        out = ok(fake, "AKIAMGMTAUDITOR00001", "organizations",
                 "list-accounts")
        ids = [a["Id"] for a in out["Accounts"]]
        want = [a["Id"] for a in scenario()["organization"]["accounts"]]
        expect(ids == want, "accounts: %r" % ids)
        first = out["Accounts"][0]
        expect(first["Arn"] == "arn:aws:organizations::%s:account/"
               "o-a1b2c3d4e5/%s" % (MGMT, MGMT) and first["Status"] ==
               "ACTIVE" and first["JoinedMethod"] == "CREATED" and
               first["JoinedTimestamp"].startswith("2024-01-01T12:00:00"),
               "account: %r" % first)
        calls = [e for e in fake.log() if e["action"] == "ListAccounts"]
        expect(len(calls) == 3 and all(e["status"] == 200 for e in calls),
               "pages: %r" % calls)
        refused(fake, "AKIAMEMBERUSER000001", "AccessDeniedException",
                "organizations", "list-accounts")
    sc = scenario(organization=None)
    with Fake(sc) as fake:
        refused(fake, "AKIAMGMTAUDITOR00001",
                "AWSOrganizationsNotInUseException", "organizations",
                "list-accounts")


def case_cli_cloudtrail_pages():
    records = fixture_records()
    east = [r for r in records if r["awsRegion"] == "us-east-1"]
    with Fake(scenario()) as fake:
        out = ok(fake, "AKIAMGMTAUDITOR00001", "cloudtrail", "lookup-events",
                 "--start-time", "2015-01-01T00:00:00Z", "--end-time",
                 "2030-01-01T00:00:00Z")
        got = [json.loads(e["CloudTrailEvent"]) for e in out["Events"]]
        expect(sorted(map(json.dumps, got)) == sorted(map(json.dumps, east)),
               "%d events, wanted the %d us-east-1 fixtures" % (
                   len(got), len(east)))
        times = [e["EventTime"] for e in out["Events"]]
        expect(times == sorted(times, reverse=True), "not newest first")
        calls = [e for e in fake.log() if e["action"] == "LookupEvents"]
        expect(len(calls) == (len(east) + 1) // 2, "pages: %d" % len(calls))
        west = ok(fake, "AKIAMGMTAUDITOR00001", "cloudtrail",
                  "lookup-events", "--start-time", "2015-01-01T00:00:00Z",
                  region="us-west-2")["Events"]
        expect(sorted(e["EventName"] for e in west) ==
               ["AssumeRoot", "DeleteBucketPolicy"], "us-west-2: %r" % west)
        root_session = [e for e in west if e["EventName"] ==
                        "DeleteBucketPolicy"][0]
        expect(root_session["Username"] == "root" and
               root_session["AccessKeyId"] == "ASIAIOSFODNN7EXAMPLE" and
               root_session["Resources"] == [{
                   "ResourceType": "AWS::S3::Bucket",
                   "ResourceName": "arn:aws:s3:::resource-policy-JohnDoe"}],
               "summary fields: %r" % root_session)
        logins = ok(fake, "AKIAMGMTAUDITOR00001", "cloudtrail",
                    "lookup-events", "--start-time", "2015-01-01T00:00:00Z",
                    "--lookup-attributes",
                    "AttributeKey=EventName,AttributeValue=ConsoleLogin")
        expect(len(logins["Events"]) == sum(
            1 for r in east if r["eventName"] == "ConsoleLogin"),
            "ConsoleLogin filter")
        window = ok(fake, "AKIAMGMTAUDITOR00001", "cloudtrail",
                    "lookup-events", "--start-time", "2019-01-01T00:00:00Z",
                    "--end-time", "2019-01-01T00:00:00Z")["Events"]
        expect(len(window) == sum(1 for r in east if r["eventTime"] ==
                                  "2019-01-01T00:00:00Z"), "time window")


def case_cli_session_token():
    with Fake(scenario()) as fake:
        who = ok(fake, "ASIASESSIONTOKEN0001", "sts", "get-caller-identity",
                 token=TOKEN)
        expect(who["Arn"].endswith(":assumed-role/Audit/bg") and
               who["UserId"].endswith(":bg"), "identity: %r" % who)
        refused(fake, "ASIASESSIONTOKEN0001", "InvalidClientTokenId", "sts",
                "get-caller-identity")
        refused(fake, "ASIASESSIONTOKEN0001", "InvalidClientTokenId", "sts",
                "get-caller-identity", token=TOKEN + "x")
        refused(fake, "AKIAMGMTAUDITOR00001", "InvalidClientTokenId", "sts",
                "get-caller-identity", token=TOKEN)
        refused(fake, "ASIASESSIONTOKEN0001", "ValidationError", "iam",
                "list-mfa-devices", token=TOKEN)


def case_cli_refusals():
    with Fake(scenario()) as fake:
        refused(fake, "AKIAMGMTAUDITOR00001", "SignatureDoesNotMatch", "sts",
                "get-caller-identity", secret="wrong" * 8)
        last = fake.log()[-1]
        expect(last["sig_ok"] is False and last["status"] == 403 and
               last["error"] == "SignatureDoesNotMatch" and
               last["akid"] == "AKIAMGMTAUDITOR00001", "log: %r" % last)
        refused(fake, "AKIAMGMTAUDITOR00001", "InvalidSignatureException",
                "cloudtrail", "lookup-events", secret="wrong" * 8)
        expect(fake.log()[-1]["status"] == 400, "JSON bad signature: 400")
        refused(fake, "AKIAUNKNOWN000000001", "InvalidClientTokenId", "sts",
                "get-caller-identity")
        refused(fake, "AKIAUNKNOWN000000001", "UnrecognizedClientException",
                "organizations", "list-accounts")
        refused(fake, "AKIAEXPIRED000000001", "ExpiredToken", "iam",
                "get-account-summary")
        refused(fake, "AKIAEXPIRED000000001", "ExpiredTokenException",
                "cloudtrail", "lookup-events")
        expect(all(e["sig_ok"] is False for e in fake.log()),
               "a refused request logged as signed right")


def case_raw_tampering():
    with Fake(scenario()) as fake:
        body = b"Action=GetCallerIdentity&Version=2011-06-15"
        req = signed(fake, "sts", "AKIAMGMTAUDITOR00001", body)
        status, hdrs, _ = send(fake, req)
        expect(status == 200 and hdrs.get("x-amzn-RequestId"),
               "control request: %d" % status)
        status, _, out = send(fake, req, body=body.replace(b"Get", b"Got"))
        expect(status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in out
               and b"<Type>Sender</Type>" in out, "tampered body: %d %r" % (
                   status, out[:200]))
        target = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101."
        req = signed(fake, "cloudtrail", "AKIAMGMTAUDITOR00001", b"{}",
                     headers={"X-Amz-Target": target + "LookupEvents",
                              "Content-Type": "application/x-amz-json-1.1"})
        expect(send(fake, req)[0] == 200, "control JSON request")
        req.headers.replace_header("X-Amz-Target", target + "LookupEventz")
        status, hdrs, out = send(fake, req)
        expect(status == 400 and json.loads(out)["__type"] ==
               "InvalidSignatureException" and hdrs["Content-Type"] ==
               "application/x-amz-json-1.1", "tampered header: %r" % out)
        old = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() - 600))
        req = signed(fake, "sts", "AKIAMGMTAUDITOR00001", body, when=old)
        status, _, out = send(fake, req)
        expect(status == 403 and b"Signature expired" in out,
               "stale X-Amz-Date: %d %r" % (status, out[:200]))
        req = signed(fake, "sts", "AKIAMGMTAUDITOR00001", body)
        del req.headers["Authorization"]
        status, _, out = send(fake, req)
        expect(status == 403 and b"MissingAuthenticationToken" in out,
               "no Authorization: %r" % out[:200])
        req.headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=garbage"
        status, _, out = send(fake, req)
        expect(status == 400 and b"IncompleteSignature" in out,
               "garbled Authorization: %r" % out[:200])


def assume_root(fake, akid, target=MEMBER,
                policy="IAMAuditRootUserCredentials", token=None,
                duration="900"):
    return query(fake, "sts", akid, [
        ("Action", "AssumeRoot"), ("Version", "2011-06-15"),
        ("TargetPrincipal", target),
        ("TaskPolicyArn.arn", "arn:aws:iam::aws:policy/root-task/" + policy),
        ("DurationSeconds", duration)], token=token)


def case_raw_assume_root():
    with Fake(scenario()) as fake:
        status, _, out = assume_root(fake, "AKIAMGMTAUDITOR00001")
        expect(status == 200, "AssumeRoot: %d %r" % (status, out[:300]))
        expect(out.startswith(b'<AssumeRootResponse xmlns="https://sts.'
                              b'amazonaws.com/doc/2011-06-15/">'), "ns")
        base = "AssumeRootResult/Credentials/"
        akid, secret, token, expiry = (xml_find(out, base + n)[0] for n in (
            "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"))
        expect(akid.startswith("ASIA") and re.fullmatch(
            r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", expiry), "credentials")
        expect(xml_find(out, "ResponseMetadata/RequestId"), "RequestId")
        KEYS[akid] = secret
        who = ok(fake, akid, "sts", "get-caller-identity", token=token)
        expect(who == {"UserId": MEMBER, "Account": MEMBER,
                       "Arn": "arn:aws:iam::%s:root" % MEMBER},
               "root session identity: %r" % who)
        mfa = ok(fake, akid, "iam", "list-mfa-devices", "--page-size", "2",
                 token=token)["MFADevices"]
        expect([d["SerialNumber"].rsplit("/", 1)[1] for d in mfa] ==
               ["k1", "k2", "k3"], "root MFA devices: %r" % mfa)
        for who_, policy, target, code in (
                ("AKIAMGMTAUDITOR00001", "AdministratorAccess", MEMBER, 403),
                ("AKIAMGMTAUDITOR00001", "IAMAuditRootUserCredentials", MGMT,
                 403),
                ("AKIAMEMBERUSER000001", "IAMAuditRootUserCredentials",
                 OTHER, 403)):
            status, _, out = assume_root(fake, who_, target, policy)
            expect(status == code and b"<Code>AccessDenied</Code>" in out,
                   "AssumeRoot %s %s: %d" % (policy, target, status))
        status, _, out = assume_root(fake, "AKIAMGMTAUDITOR00001",
                                     duration="901")
        expect(status == 400 and b"ValidationError" in out, "duration 901")
        status, _, out = query(fake, "sts", "AKIAMGMTAUDITOR00001", [
            ("Action", "AssumeRole"), ("Version", "2011-06-15"),
            ("RoleArn", scenario()["roles"][0]),
            ("RoleSessionName", "breakglass")])
        expect(status == 200 and xml_find(
            out, "AssumeRoleResult/AssumedRoleUser/Arn") == [
                "arn:aws:sts::%s:assumed-role/BreakglassAudit/breakglass"
                % MEMBER], "AssumeRole: %r" % out[:300])
    sc = scenario()
    sc["organization"]["features"] = ["RootCredentialsManagement"]
    with Fake(sc) as fake:
        status, _, _ = assume_root(fake, "AKIAMGMTAUDITOR00001")
        expect(status == 403, "AssumeRoot without RootSessions: %d" % status)


def features(fake, akid):
    return query(fake, "iam", akid, [("Action", "ListOrganizationsFeatures"),
                                     ("Version", "2010-05-08")])


def case_raw_organizations_features():
    with Fake(scenario()) as fake:
        status, _, out = features(fake, "AKIAMGMTAUDITOR00001")
        r = "ListOrganizationsFeaturesResult/"
        expect(status == 200 and xml_find(out, r + "OrganizationId") ==
               ["o-a1b2c3d4e5"] and xml_find(out, r + "EnabledFeatures/member")
               == ["RootCredentialsManagement", "RootSessions"],
               "features: %r" % out[:400])
        status, _, out = features(fake, "AKIAMEMBERUSER000001")
        expect(status == 400 and xml_find(out, "Error/Code") == [
            "AccountNotManagementOrDelegatedAdministratorException"],
            "member: %r" % out[:300])
    sc = scenario()
    sc["organization"]["trusted_access"] = False
    with Fake(sc) as fake:
        status, _, out = features(fake, "AKIAMGMTAUDITOR00001")
        expect(xml_find(out, "Error/Code") == [
            "ServiceAccessNotEnabledException"], "trusted access off")
    with Fake(scenario(organization=None)) as fake:
        status, _, out = features(fake, "AKIAMGMTAUDITOR00001")
        expect(status == 400 and xml_find(out, "Error/Code") == [
            "OrganizationNotFoundException"], "no organization")
        expect(out.startswith(b'<ErrorResponse xmlns="https://iam.amazonaws.'
                              b'com/doc/2010-05-08/">'), "IAM error ns")


def case_faults():
    sc = scenario(faults={"throttle": 1, "by_action": {
        "LookupEvents": {"throttle": 2}, "ListAccounts": {"throttle": 1},
        "GetAccountSummary": {"server_error": 1}}})
    with Fake(sc) as fake:
        ok(fake, "AKIAMGMTAUDITOR00001", "sts", "get-caller-identity",
           attempts=3)
        ok(fake, "AKIAMGMTAUDITOR00001", "cloudtrail", "lookup-events",
           "--start-time", "2015-01-01T00:00:00Z", attempts=3)
        ok(fake, "AKIAMGMTAUDITOR00001", "organizations", "list-accounts",
           attempts=3)
        refused(fake, "AKIAMGMTAUDITOR00001", "InternalFailure", "iam",
                "get-account-summary")
        errors = [(e["action"], e["status"], e["error"]) for e in fake.log()]
        expect(errors[:5] == [
            ("GetCallerIdentity", 400, "Throttling"),
            ("GetCallerIdentity", 200, None),
            ("LookupEvents", 400, "ThrottlingException"),
            ("LookupEvents", 400, "ThrottlingException"),
            ("LookupEvents", 200, None)], "log: %r" % errors)
        expect(sum(1 for e in errors if e[0] == "LookupEvents") > 4,
               "LookupEvents pages after the throttling")
        expect(("ListAccounts", 400, "TooManyRequestsException") in errors
               and ("GetAccountSummary", 500, "InternalFailure") in errors,
               "log: %r" % errors)
    with Fake(scenario(faults={"hang": True})) as fake:
        req = signed(fake, "sts", "AKIAMGMTAUDITOR00001",
                     b"Action=GetCallerIdentity&Version=2011-06-15")
        t0 = time.time()
        try:
            send(fake, req, timeout=1.5)
            raise AssertionError("a hung request was answered")
        except socket.timeout:
            pass
        expect(time.time() - t0 < 5, "hang timeout")
        expect(fake.log()[-1]["error"] == "Hang", "hang logged")


def case_log_holds_no_secret():
    with Fake(scenario()) as fake:
        ok(fake, "ASIASESSIONTOKEN0001", "sts", "get-caller-identity",
           token=TOKEN)
        aws(fake, "AKIAMGMTAUDITOR00001", "sts", "get-caller-identity",
            secret="wrong" * 8)
        status, _, out = assume_root(fake, "AKIAMGMTAUDITOR00001")
        issued = xml_find(out, "AssumeRootResult/Credentials/SessionToken")
        with open(fake.log_path) as f:
            text = f.read()
        for secret in list(KEYS.values()) + [TOKEN] + issued:
            expect(secret not in text, "a secret in the log")
        expect(not re.search(r"[0-9a-f]{64}", text), "a signature in the log")
        keys = {tuple(sorted(e)) for e in fake.log()}
        expect(keys == {("action", "akid", "error", "region", "service",
                         "sig_ok", "status")}, "log fields: %r" % keys)


def curl(fake, service, akid, data, headers=(), token=None):
    """The curl tool: libcurl's own SigV4 (CURLOPT_AWS_SIGV4), as the
    C client signs. (exit code, HTTP status, body)."""
    args = ["curl", "-sS", "--max-time", "10", "-o", "-", "-w",
            "\n%{http_code}", "--aws-sigv4", "aws:amz:us-east-1:" + service,
            "--user", "%s:%s" % (akid, KEYS[akid]), "--data-binary", data]
    for h in headers + ((("x-amz-security-token: " + token),)
                        if token else ()):
        args += ["-H", h]
    p = subprocess.run(args + [fake.url + "/"], capture_output=True,
                       text=True, timeout=CLI_TIMEOUT)
    body, _, status = p.stdout.rpartition("\n")
    return p.returncode, status, body


def case_curl_sigv4():
    if not shutil.which("curl"):
        print("     (no curl: libcurl's signing not checked)")
        return
    form = ("Content-Type: application/x-www-form-urlencoded",)
    who = "Action=GetCallerIdentity&Version=2011-06-15"
    with Fake(scenario()) as fake:
        code, status, body = curl(fake, "sts", "AKIAMGMTAUDITOR00001", who,
                                  form)
        expect(code == 0 and status == "200" and "<Account>%s</Account>"
               % MGMT in body, "curl sts: %s %s %s" % (code, status, body))
        code, status, body = curl(fake, "sts", "ASIASESSIONTOKEN0001", who,
                                  form, token=TOKEN)
        expect(status == "200", "curl with a session token: %s" % body)
        code, status, body = curl(
            fake, "organizations", "AKIAMGMTAUDITOR00001", "{}",
            ("Content-Type: application/x-amz-json-1.1",
             "X-Amz-Target: AWSOrganizationsV20161128.ListAccounts"))
        expect(status == "200" and '"JoinedTimestamp":1.7041104E9' in body,
               "curl organizations: %s %s" % (status, body[:200]))
        code, status, body = curl(
            fake, "cloudtrail", "AKIAMGMTAUDITOR00001",
            '{"StartTime":1400000000,"MaxResults":50}',
            ("Content-Type: application/x-amz-json-1.1",
             "X-Amz-Target: com.amazonaws.cloudtrail.v20131101."
             "CloudTrail_20131101.LookupEvents"))
        expect(status == "200" and json.loads(body)["NextToken"],
               "curl cloudtrail: %s %s" % (status, body[:200]))
        KEYS["AKIAMGMTAUDITOR00001"], real = "wrong" * 8, \
            KEYS["AKIAMGMTAUDITOR00001"]
        try:
            code, status, body = curl(fake, "iam", "AKIAMGMTAUDITOR00001",
                                      "Action=GetAccountSummary&Version="
                                      "2010-05-08", form)
        finally:
            KEYS["AKIAMGMTAUDITOR00001"] = real
        expect(status == "403" and "SignatureDoesNotMatch" in body,
               "curl, wrong secret: %s %s" % (status, body[:200]))


CASES = [case_curl_sigv4, case_cli_reads, case_cli_organizations_pages,
         case_cli_cloudtrail_pages, case_cli_session_token,
         case_cli_refusals, case_raw_tampering, case_raw_assume_root,
         case_raw_organizations_features, case_faults,
         case_log_holds_no_secret]


def main():
    if not AWS:
        print("FAIL setup: no aws CLI (apt-get install awscli)")
        sys.exit(1)
    only = os.environ.get("BG_CASE")
    start = time.time()
    for c in CASES:
        if only and only != c.__name__:
            continue
        try:
            c()
            print("ok   %s" % c.__name__)
        except Exception as e:  # report every case, then fail
            print("FAIL %s: %s" % (c.__name__, e))
            failures.append(c.__name__)
        sys.stdout.flush()
    for d in scratch:
        shutil.rmtree(d, ignore_errors=True)
    ran = sum(1 for c in CASES if not only or only == c.__name__)
    print("took %.1f s" % (time.time() - start))
    print("%d passed, %d failed" % (ran - len(failures), len(failures)))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
