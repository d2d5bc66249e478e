#!/usr/bin/env python3
"""A fake AWS endpoint on 127.0.0.1 for breakglass's tests.

One URL serves STS, IAM, Organizations and CloudTrail (clients set
AWS_ENDPOINT_URL=http://127.0.0.1:PORT). Every request's SigV4 signature
is checked with botocore's own signer (botocore.auth.SigV4Auth), which is
an implementation independent of libcurl's CURLOPT_AWS_SIGV4; a request
that is not signed right is refused the way AWS refuses it. The request
is then dispatched on the *service* of its credential scope
(Credential=AKID/YYYYMMDD/REGION/SERVICE/aws4_request).

usage: fake_aws.py --scenario FILE.json --port-file PATH [--log PATH]

Binds 127.0.0.1 port 0, writes the port number to PATH (tmp + rename)
once listening, serves until SIGTERM or SIGINT, then exits 0.

Scenario file (JSON; every key optional):

  {"credentials": {"AKID": {"secret": "...", "token": null,
        "account": "111111111111",
        "arn": "arn:aws:iam::111111111111:user/auditor",
        "root": false,            # true: a root session (like AssumeRoot)
        "expired": false,         # true: ExpiredToken(Exception)
        "user_id": "AIDA...",     # optional; GetCallerIdentity UserId
        "source_identity": null}},# optional; echoed by AssumeRoot/Role
   "organization": null | {"id": "o-abc", "management": "111111111111",
        "features": ["RootCredentialsManagement", "RootSessions"],
        "trusted_access": true,   # IAM trusted access in Organizations
        "all_features": true,
        "accounts": [{"Id": "...", "Name": "...", "Email": "...",
                      "Status": "ACTIVE", "JoinedMethod": "CREATED",
                      "JoinedTimestamp": "2024-01-01T00:00:00Z"}]},
   "accounts": {"111111111111": {
        "summary": {"AccountMFAEnabled": 1, "AccountAccessKeysPresent": 0,
                    "AccountPasswordPresent": 1, "Users": 3},
        "root_mfa": [{"SerialNumber": "arn:aws:iam::111111111111:mfa/x",
                      "EnableDate": "2024-01-01T00:00:00Z",
                      "UserName": "optional, default the account id"}],
        "user_mfa": {"alice": [{"SerialNumber": "...", "EnableDate": "..."}]},
        "virtual_mfa": [{"SerialNumber": "...",
                         "user_arn": "arn:aws:iam::111111111111:root",
                         "EnableDate": "...", "user_id": "optional",
                         "user_create_date": "optional"}]}},
   "roles": ["arn:aws:iam::222222222222:role/BreakglassAudit"],
   "events": [<CloudTrail records, as CloudTrail writes them>],
   "faults": {"throttle": N, "server_error": N, "hang": true | N,
              "long_token": true,  # LookupEvents: a 3000-byte NextToken
              "by_action": {"LookupEvents": {"throttle": 2}}}}

Faults count requests that passed the signature check: "throttle": N
answers the first N with throttling (IAM/STS 400 Throttling; CloudTrail
400 ThrottlingException; Organizations 400 TooManyRequestsException),
"server_error": N answers 500 (InternalFailure; Organizations
ServiceException), "hang" reads the request and never answers (sleeps up
to 120 s, then closes). by_action faults are used before the global ones.

AssumeRoot is allowed only when the caller (not a root session) is in the
organization's management account, the organization has the
"RootSessions" feature (what AWS requires for privileged root sessions;
"RootCredentialsManagement" alone is not enough), the target is a member
account and TaskPolicyArn.arn is one of ROOT_TASK_POLICIES.

--log PATH: one JSON line per request, appended and flushed:
  {"service","action","region","akid","sig_ok","status","error"}
(status 0 and error "Hang" for a request left unanswered). It never holds
a secret, a session token or a signature.

Wire shapes follow botocore's service definitions (boto/botocore
botocore/data/{sts/2011-06-15,iam/2010-05-08,organizations/2016-11-28,
cloudtrail/2013-11-01}/service-2.json at commit
0e6e2404b85dc336dd2889814e089bde7d1a4c55). AssumeRoot (STS, Nov 2024):
input TargetPrincipal, TaskPolicyArn{arn}, DurationSeconds (0..900, default
900); output resultWrapper AssumeRootResult with Credentials{AccessKeyId,
SecretAccessKey, SessionToken, Expiration} and SourceIdentity.
ListOrganizationsFeatures (IAM, Nov 2024): output resultWrapper
ListOrganizationsFeaturesResult with OrganizationId, EnabledFeatures
(RootCredentialsManagement | RootSessions); errors
OrganizationNotFoundException, ServiceAccessNotEnabledException,
AccountNotManagementOrDelegatedAdministratorException,
OrganizationNotInAllFeaturesModeException.
"""
import argparse
import base64
import datetime
import hashlib
import hmac
import http.server
import json
import os
import re
import secrets
import signal
import sys
import threading
import time
import urllib.parse
import uuid
from xml.sax.saxutils import escape

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials

MAX_BODY = 1 << 20          # bytes
MAX_THREADS = 32            # requests served at once
READ_TIMEOUT = 30           # seconds a client may take to send a request
HANG_SECONDS = 120
SKEW_SECONDS = 300
NS = {"iam": "https://iam.amazonaws.com/doc/2010-05-08/",
      "sts": "https://sts.amazonaws.com/doc/2011-06-15/"}
QUERY_VERSION = {"iam": "2010-05-08", "sts": "2011-06-15"}
JSON_TARGET = {"organizations": "AWSOrganizationsV20161128.",
               "cloudtrail": "com.amazonaws.cloudtrail.v20131101."
                             "CloudTrail_20131101."}
ROOT_TASK_POLICIES = {"arn:aws:iam::aws:policy/root-task/" + n for n in (
    "IAMAuditRootUserCredentials", "IAMCreateRootUserPassword",
    "IAMDeleteRootUserCredentials", "S3UnlockBucketPolicy",
    "SQSUnlockQueuePolicy")}
SIG_MISMATCH = ("The request signature we calculated does not match the "
                "signature you provided. Check your AWS Secret Access Key "
                "and signing method. Consult the service documentation for "
                "details.")
BAD_TOKEN = "The security token included in the request is invalid."
EXPIRED = "The security token included in the request is expired"
TOKEN_KEY = secrets.token_bytes(32)   # authenticates pagination tokens


class AwsError(Exception):
    """An AWS error; `code` is the query-protocol code, `json_code` the
    JSON-protocol __type where AWS names it differently."""

    def __init__(self, status, code, message, json_code=None,
                 json_status=None, extra=None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.json_code = json_code or code
        self.json_status = json_status or status
        self.extra = extra or {}


def auth_error(kind, message=None):
    """The authentication errors, in both protocols' spellings."""
    table = {
        "missing": (403, "MissingAuthenticationToken",
                    "MissingAuthenticationTokenException", 400,
                    "Request is missing Authentication Token"),
        "incomplete": (400, "IncompleteSignature",
                       "IncompleteSignatureException", 400,
                       "Authorization header is not well formed"),
        "unknown": (403, "InvalidClientTokenId", "UnrecognizedClientException",
                    400, BAD_TOKEN),
        "signature": (403, "SignatureDoesNotMatch",
                      "InvalidSignatureException", 400, SIG_MISMATCH),
        "expired": (403, "ExpiredToken", "ExpiredTokenException", 400,
                    EXPIRED),
    }
    status, code, jcode, jstatus, text = table[kind]
    return AwsError(status, code, message or text, json_code=jcode,
                    json_status=jstatus)


# ---------------------------------------------------------------- state

class State:
    """The scenario plus what the fake issued and the fault counters."""

    def __init__(self, scenario):
        self.lock = threading.Lock()
        self.sc = scenario
        self.creds = dict(scenario.get("credentials") or {})
        faults = scenario.get("faults") or {}
        self.faults = {k: v for k, v in faults.items() if k != "by_action"}
        self.by_action = {k: dict(v) for k, v in
                          (faults.get("by_action") or {}).items()}

    def credential(self, akid):
        with self.lock:
            return self.creds.get(akid)

    def issue(self, **identity):
        akid = "ASIA" + "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                               "234567") for _ in range(16))
        cred = dict(identity, secret=secrets.token_urlsafe(30),
                    token="FQoG" + secrets.token_urlsafe(180))
        with self.lock:
            self.creds[akid] = cred
        return akid, cred

    def take_fault(self, action):
        """The fault this request gets, if any: 'hang', 'throttle',
        'server_error' or None."""
        with self.lock:
            for table in (self.by_action.get(action), self.faults):
                if not table:
                    continue
                for kind in ("hang", "throttle", "server_error"):
                    n = table.get(kind)
                    if n is True:
                        return kind
                    if isinstance(n, int) and not isinstance(n, bool) \
                            and n > 0:
                        table[kind] = n - 1
                        return kind
        return None

    def account(self, acct):
        return (self.sc.get("accounts") or {}).get(acct) or {}

    def org(self):
        return self.sc.get("organization")


# ------------------------------------------------------------ signature

AUTH_RE = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),"
    r"\s*Signature=([0-9a-f]{64})$")


class ExactHeadersSigV4(SigV4Auth):
    """botocore's SigV4 with exactly the headers the client signed
    (botocore's default picks every header but a blacklist, and adds
    host itself)."""

    def __init__(self, credentials, service, region, signed):
        super().__init__(credentials, service, region)
        self._signed = signed

    def headers_to_sign(self, request):
        hm = HTTPHeaders()
        for name in self._signed:
            for value in request.headers.get_all(name) or []:
                hm[name] = value
        return hm


def parse_authorization(value):
    """(akid, date, region, service, signed header list, signature)."""
    m = AUTH_RE.match((value or "").strip())
    if not m:
        raise auth_error("incomplete")
    scope = m.group(1).split("/")
    if len(scope) != 5 or scope[4] != "aws4_request" or \
            not re.fullmatch(r"\d{8}", scope[1]) or not scope[2] or \
            not scope[3]:
        raise auth_error("incomplete", "Credential should be scoped to a "
                         "valid region and service: " + m.group(1)[20:80])
    signed = m.group(2).split(";")
    return scope[0], scope[1], scope[2], scope[3], signed, m.group(3)


def check_time(amz_date, scope_date):
    try:
        t = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(
            tzinfo=datetime.timezone.utc)
    except (TypeError, ValueError):
        raise auth_error("incomplete", "Authorization header requires "
                         "existence of either a 'X-Amz-Date' or a 'Date' "
                         "header.")
    now = datetime.datetime.now(datetime.timezone.utc)
    fmt = "%Y%m%dT%H%M%SZ"
    if t < now - datetime.timedelta(seconds=SKEW_SECONDS):
        raise auth_error("signature", "Signature expired: %s is now earlier "
                         "than %s (%s - 5 min.)" % (
                             amz_date, (now - datetime.timedelta(
                                 seconds=SKEW_SECONDS)).strftime(fmt),
                             now.strftime(fmt)))
    if t > now + datetime.timedelta(seconds=SKEW_SECONDS):
        raise auth_error("signature", "Signature not yet current: %s is "
                         "still later than %s (%s + 5 min.)" % (
                             amz_date, (now + datetime.timedelta(
                                 seconds=SKEW_SECONDS)).strftime(fmt),
                             now.strftime(fmt)))
    if amz_date[:8] != scope_date:
        raise auth_error("signature", "Date in Credential scope does not "
                         "match YYYYMMDD from ISO-8601 version of date from "
                         "HTTP: '%s' != '%s', from '%s'." % (
                             scope_date, amz_date[:8], amz_date))


def query_params(query):
    """The query string as decoded (name, value) pairs, for botocore to
    re-encode the way AWS canonicalises them."""
    pairs = []
    for part in query.split("&") if query else []:
        name, _, value = part.partition("=")
        pairs.append((urllib.parse.unquote(name),
                      urllib.parse.unquote(value)))
    return pairs


def verify(state, req):
    """Checks req's signature; returns (akid, region, service, cred)."""
    auth = req.headers.get("Authorization")
    if auth is None:
        raise auth_error("missing")
    akid, sdate, region, service, signed, sig = parse_authorization(auth)
    req.akid, req.region, req.service = akid, region, service
    if "host" not in signed or signed != sorted(set(signed)):
        raise auth_error("signature")
    for name in signed:
        if req.headers.get_all(name) is None:
            raise auth_error("signature")
    check_time(req.headers.get("X-Amz-Date"), sdate)
    cred = state.credential(akid)
    if cred is None:
        raise auth_error("unknown")
    if cred.get("expired") or cred.get("expires", float("inf")) < time.time():
        raise auth_error("expired")
    token = req.headers.get("X-Amz-Security-Token")
    if cred.get("token"):
        if "x-amz-security-token" not in signed or \
                not hmac.compare_digest(token or "", cred["token"]):
            raise auth_error("unknown")
    elif token is not None:
        raise auth_error("unknown")
    body_hash = req.headers.get("X-Amz-Content-SHA256")
    if body_hash is not None and "x-amz-content-sha256" in signed and \
            body_hash != hashlib.sha256(req.body).hexdigest():
        raise auth_error("signature")
    if not hmac.compare_digest(expected_signature(req, cred, service,
                                                  region, signed), sig):
        raise auth_error("signature")
    return cred


def expected_signature(req, cred, service, region, signed):
    path, _, query = req.path.partition("?")
    request = AWSRequest(method=req.command,
                         url="http://%s%s" % (req.headers.get("Host"), path),
                         data=req.body, params=query_params(query))
    for name in signed:
        for value in req.headers.get_all(name):
            request.headers[name] = value
    request.context["timestamp"] = req.headers.get("X-Amz-Date")
    signer = ExactHeadersSigV4(
        Credentials(req.akid, cred["secret"], cred.get("token")), service,
        region, signed)
    canonical = signer.canonical_request(request)
    return signer.signature(signer.string_to_sign(request, canonical),
                            request)


# ----------------------------------------------------------- responses

def iso(ts=None):
    ts = time.time() if ts is None else ts
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def parse_time(text):
    """CloudTrail/scenario times: ISO 8601 (Z), YYYYMMDDTHHMMSSZ, epoch."""
    if isinstance(text, (int, float)):
        return float(text)
    for fmt in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S.%fZ",
                "%Y%m%dT%H%M%SZ"):
        try:
            return datetime.datetime.strptime(text, fmt).replace(
                tzinfo=datetime.timezone.utc).timestamp()
        except (TypeError, ValueError):
            pass
    raise ValueError("not a time: %r" % (text,))


def to_xml(name, value):
    """value: dict (children in order), list of (name, value) pairs
    (children, repeats allowed), other list (<member> items), bool,
    None (left out) or a scalar."""
    if value is None:
        return ""
    if isinstance(value, dict):
        value = list(value.items())
    if isinstance(value, list):
        if value and all(isinstance(v, tuple) for v in value):
            inner = "".join(to_xml(k, v) for k, v in value)
        else:
            inner = "".join(to_xml("member", v) for v in value)
        return "<%s>%s</%s>" % (name, inner, name)
    if isinstance(value, bool):
        value = "true" if value else "false"
    return "<%s>%s</%s>" % (name, escape(str(value)), name)


class Epoch(float):
    """A timestamp that JSON 1.1 answers carry as epoch seconds."""


def java_double(x):
    """Epoch seconds as AWS's JSON services write them: 1.7304E9."""
    s = repr(float(x))
    if float(x) < 1e7 or "e" in s:
        return s
    ip, _, fp = s.partition(".")
    digits = (ip + fp).rstrip("0") or "0"
    return "%s.%sE%d" % (digits[0], digits[1:] or "0", len(ip) - 1)


def json_body(obj):
    def mark(o):
        if isinstance(o, Epoch):
            return "\x00E%r\x00" % float(o)
        if isinstance(o, dict):
            return {k: mark(v) for k, v in o.items()}
        if isinstance(o, list):
            return [mark(v) for v in o]
        return o
    text = json.dumps(mark(obj), separators=(",", ":"))
    return re.sub(r'"\\u0000E([0-9.e+-]+)\\u0000"',
                  lambda m: java_double(float(m.group(1))), text).encode()


def json_style(service):
    return service in JSON_TARGET


def error_reply(service, err, rid):
    """(status, content type, body) for err in service's protocol."""
    if json_style(service):
        key = "Message" if service == "organizations" and \
            err.json_status < 500 and err.json_code not in (
                "InvalidSignatureException", "UnrecognizedClientException",
                "ExpiredTokenException", "IncompleteSignatureException",
                "MissingAuthenticationTokenException") else "message"
        doc = {"__type": err.json_code, key: err.message}
        doc.update(err.extra)
        return (err.json_status, "application/x-amz-json-1.1",
                json_body(doc))
    kind = "Receiver" if err.status >= 500 else "Sender"
    xml = ('<ErrorResponse xmlns="%s">%s<RequestId>%s</RequestId>'
           '</ErrorResponse>' % (
               NS.get(service, NS["iam"]),
               to_xml("Error", [("Type", kind), ("Code", err.code),
                                ("Message", err.message)]), rid))
    return err.status, "text/xml", xml.encode()


def query_reply(service, action, result, rid):
    body = '<%sResponse xmlns="%s">%s%s</%sResponse>' % (
        action, NS[service],
        to_xml(action + "Result", result) if result is not None else "",
        to_xml("ResponseMetadata", [("RequestId", rid)]), action)
    return 200, "text/xml", body.encode()


def fault_error(service, kind):
    if kind == "throttle":
        if service == "organizations":
            return AwsError(400, "TooManyRequestsException", "Rate exceeded",
                            extra={"Type": "TooManyRequestsException"})
        return AwsError(400, "Throttling", "Rate exceeded",
                        json_code="ThrottlingException")
    if service == "organizations":
        return AwsError(500, "ServiceException", "AWS Organizations can't "
                        "complete your request because of an internal "
                        "service error. Try again later.")
    return AwsError(500, "InternalFailure", "The request processing has "
                    "failed because of an unknown error, exception or "
                    "failure.")


# ------------------------------------------------------------ identity

def caller(cred):
    """The caller's kind: 'root', 'user', 'role' (assumed role)."""
    arn = cred.get("arn", "")
    if cred.get("root") or arn.endswith(":root"):
        return "root"
    if ":assumed-role/" in arn:
        return "role"
    return "user"


def stable_id(prefix, text):
    return prefix + base64.b32encode(hashlib.sha256(
        text.encode()).digest()).decode()[:17]


def user_id(cred):
    if cred.get("user_id"):
        return cred["user_id"]
    kind, arn = caller(cred), cred.get("arn", "")
    if kind == "root":
        return cred.get("account", "")
    if kind == "role":
        role, _, session = arn.split(":assumed-role/", 1)[1].partition("/")
        return stable_id("AROA", role) + ":" + session
    return stable_id("AIDA", arn)


# ----------------------------------------------------------------- STS

def sts_get_caller_identity(state, cred, params, region):
    return [("Arn", cred.get("arn")), ("UserId", user_id(cred)),
            ("Account", cred.get("account"))]


def credentials_xml(akid, cred):
    return [("AccessKeyId", akid), ("SecretAccessKey", cred["secret"]),
            ("SessionToken", cred["token"]),
            ("Expiration", iso(cred["expires"]))]


def duration(params, low, high, default):
    text = params.get("DurationSeconds", str(default))
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise AwsError(400, "ValidationError", "1 validation error detected:"
                       " Value '%s' at 'durationSeconds' failed to satisfy "
                       "constraint: Member must have value %s" % (
                           text, "less than or equal to %d" % high
                           if value is not None and value > high else
                           "greater than or equal to %d" % low))
    return value


def denied(cred, action, resource):
    return AwsError(403, "AccessDenied", "User: %s is not authorized to "
                    "perform: %s on resource: %s" % (
                        cred.get("arn"), action, resource))


def sts_assume_root(state, cred, params, region):
    target = params.get("TargetPrincipal", "")
    policy = params.get("TaskPolicyArn.arn", "")
    if not target or not policy:
        raise AwsError(400, "ValidationError", "1 validation error detected:"
                       " Value null at '%s' failed to satisfy constraint: "
                       "Member must not be null" % (
                           "targetPrincipal" if not target else
                           "taskPolicyArn"))
    seconds = duration(params, 0, 900, 900)
    m = re.fullmatch(r"(?:arn:aws:iam::)?(\d{12})(?::root)?", target)
    org = state.org()
    members = {a.get("Id") for a in (org or {}).get("accounts", [])}
    ok = (m and org and caller(cred) != "root"
          and cred.get("account") == org.get("management")
          and "RootSessions" in (org.get("features") or [])
          and org.get("trusted_access", True)
          and m.group(1) in members and m.group(1) != org.get("management")
          and policy in ROOT_TASK_POLICIES)
    if not ok:
        raise denied(cred, "sts:AssumeRoot", target)
    acct = m.group(1)
    akid, new = state.issue(
        account=acct, arn="arn:aws:iam::%s:root" % acct, root=True,
        user_id=acct, task_policy=policy, expires=time.time() + seconds,
        source_identity=cred.get("source_identity"))
    return [("Credentials", credentials_xml(akid, new)),
            ("SourceIdentity", cred.get("source_identity"))]


def sts_assume_role(state, cred, params, region):
    role = params.get("RoleArn", "")
    session = params.get("RoleSessionName", "")
    if not re.fullmatch(r"[\w+=,.@-]{2,64}", session):
        raise AwsError(400, "ValidationError", "1 validation error detected:"
                       " Value '%s' at 'roleSessionName' failed to satisfy "
                       "constraint: Member must satisfy regular expression "
                       "pattern: [\\w+=,.@-]*" % session[:64])
    seconds = duration(params, 900, 43200, 3600)
    m = re.fullmatch(r"arn:aws:iam::(\d{12}):role/(?:[^/]+/)*([^/]+)", role)
    if not m or role not in (state.sc.get("roles") or []):
        raise denied(cred, "sts:AssumeRole", role)
    acct, name = m.groups()
    arn = "arn:aws:sts::%s:assumed-role/%s/%s" % (acct, name, session)
    role_id = stable_id("AROA", "arn:aws:iam::%s:role/%s" % (acct, name))
    akid, new = state.issue(account=acct, arn=arn, root=False,
                            user_id=role_id + ":" + session,
                            expires=time.time() + seconds,
                            source_identity=cred.get("source_identity"))
    return [("SourceIdentity", cred.get("source_identity")),
            ("AssumedRoleUser", [("Arn", arn),
                                 ("AssumedRoleId", new["user_id"])]),
            ("Credentials", credentials_xml(akid, new)),
            ("PackedPolicySize", None)]


STS = {"GetCallerIdentity": sts_get_caller_identity,
       "AssumeRoot": sts_assume_root, "AssumeRole": sts_assume_role}


# ----------------------------------------------------------------- IAM

def page(items, params, kind):
    """IAM Marker/MaxItems paging: (items on this page, truncated,
    next marker)."""
    try:
        limit = int(params.get("MaxItems", "100"))
    except ValueError:
        limit = 0
    if not 1 <= limit <= 1000:
        raise AwsError(400, "ValidationError", "1 validation error detected:"
                       " Value '%s' at 'maxItems' failed to satisfy "
                       "constraint: Member must have value between 1 and "
                       "1000" % params.get("MaxItems"))
    start = 0
    if "Marker" in params:
        start = open_token(params["Marker"], kind)
        if start is None or start > len(items):
            raise AwsError(400, "InvalidInput", "Invalid Marker.")
    end = start + limit
    more = end < len(items)
    return items[start:end], more, seal_token(kind, end) if more else None


def seal_token(kind, offset):
    raw = json.dumps([kind, offset]).encode()
    mac = hmac.new(TOKEN_KEY, raw, hashlib.sha256).digest()[:12]
    return base64.urlsafe_b64encode(mac + raw).decode()


def open_token(token, kind):
    try:
        blob = base64.urlsafe_b64decode(token.encode())
        mac, raw = blob[:12], blob[12:]
        good = hmac.new(TOKEN_KEY, raw, hashlib.sha256).digest()[:12]
        k, offset = json.loads(raw)
    except (ValueError, TypeError, UnicodeError):
        return None
    if not hmac.compare_digest(mac, good) or k != kind or \
            not isinstance(offset, int) or offset < 0:
        return None
    return offset


def iam_get_account_summary(state, cred, params, region):
    summary = state.account(cred.get("account")).get("summary") or {}
    return [("SummaryMap", [("entry", [("key", k), ("value", int(v))])
                            for k, v in summary.items()])]


def iam_list_mfa_devices(state, cred, params, region):
    acct = state.account(cred.get("account"))
    name = params.get("UserName")
    if name is None and caller(cred) == "root":
        devices = [dict(d, UserName=d.get("UserName", cred.get("account")))
                   for d in acct.get("root_mfa") or []]
    elif name is None and caller(cred) == "role":
        raise AwsError(400, "ValidationError", "Must specify userName when "
                       "calling with non-User credentials")
    else:   # a named user, or the calling IAM user (who exists)
        users = acct.get("user_mfa") or {}
        if name is not None and name not in users:
            raise AwsError(404, "NoSuchEntity", "The user with name %s "
                           "cannot be found." % name)
        name = name or cred.get("arn", "").rsplit("/", 1)[-1]
        devices = [dict(d, UserName=name) for d in users.get(name, [])]
    items, more, marker = page(devices, params, "mfa")
    return [("IsTruncated", more),
            ("MFADevices", [[("UserName", d["UserName"]),
                             ("SerialNumber", d.get("SerialNumber")),
                             ("EnableDate", d.get("EnableDate"))]
                            for d in items]),
            ("Marker", marker)]


def virtual_user(dev):
    """The User element of a virtual MFA device. For the root user AWS's
    documented sample has UserId (the account id), Arn and CreateDate
    only; for an IAM user Path, UserName, UserId, Arn, CreateDate."""
    arn = dev["user_arn"]
    created = dev.get("user_create_date", "2020-01-01T00:00:00Z")
    if arn.endswith(":root"):
        return [("UserId", dev.get("user_id", arn.split(":")[4])),
                ("Arn", arn), ("CreateDate", created)]
    return [("Path", "/"), ("UserName", arn.rsplit("/", 1)[-1]),
            ("UserId", dev.get("user_id", stable_id("AIDA", arn))),
            ("Arn", arn), ("CreateDate", created)]


def iam_list_virtual_mfa_devices(state, cred, params, region):
    status = params.get("AssignmentStatus", "Any")
    if status not in ("Assigned", "Unassigned", "Any"):
        raise AwsError(400, "ValidationError", "1 validation error detected:"
                       " Value '%s' at 'assignmentStatus' failed to satisfy "
                       "constraint: Member must satisfy enum value set: "
                       "[Assigned, Unassigned, Any]" % status)
    devices = [d for d in state.account(cred.get("account")).get(
        "virtual_mfa") or [] if status == "Any" or
        (status == "Assigned") == bool(d.get("user_arn"))]
    items, more, marker = page(devices, params, "vmfa:" + status)
    members = []
    for d in items:
        entry = [("SerialNumber", d.get("SerialNumber"))]
        if d.get("user_arn"):
            entry += [("EnableDate", d.get("EnableDate")),
                      ("User", virtual_user(d))]
        members.append(entry)
    return [("IsTruncated", more), ("Marker", marker),
            ("VirtualMFADevices", members)]


def iam_list_organizations_features(state, cred, params, region):
    org = state.org()
    ids = {a.get("Id") for a in (org or {}).get("accounts", [])}
    if not org or (cred.get("account") not in ids and
                   cred.get("account") != org.get("management")):
        raise AwsError(400, "OrganizationNotFoundException", "The request "
                       "was rejected because no organization is associated "
                       "with your account.")
    if cred.get("account") != org.get("management"):
        raise AwsError(400, "AccountNotManagementOrDelegatedAdministrator"
                       "Exception", "The request was rejected because the "
                       "account making the request is not the management "
                       "account or delegated administrator account for "
                       "centralized root access.")
    if not org.get("all_features", True):
        raise AwsError(400, "OrganizationNotInAllFeaturesModeException",
                       "The request was rejected because your organization "
                       "does not have All features enabled.")
    if not org.get("trusted_access", True):
        raise AwsError(400, "ServiceAccessNotEnabledException", "The request"
                       " was rejected because trusted access is not enabled "
                       "for IAM in Organizations.")
    return [("OrganizationId", org.get("id")),
            ("EnabledFeatures", list(org.get("features") or []))]


IAM = {"GetAccountSummary": iam_get_account_summary,
       "ListMFADevices": iam_list_mfa_devices,
       "ListVirtualMFADevices": iam_list_virtual_mfa_devices,
       "ListOrganizationsFeatures": iam_list_organizations_features}


def query_action(service, params):
    action = params.get("Action")
    table = STS if service == "sts" else IAM
    if not action:
        raise AwsError(400, "MissingAction", "Missing Action")
    if action not in table or params.get("Version") != \
            QUERY_VERSION[service]:
        raise AwsError(400, "InvalidAction", "Could not find operation %s "
                       "for version %s" % (action, params.get("Version")))
    return table[action]


# ------------------------------------------------------- Organizations

def org_list_accounts(state, cred, doc, region):
    org = state.org()
    if not org:
        raise AwsError(400, "AWSOrganizationsNotInUseException", "Your "
                       "account is not a member of an organization.")
    if cred.get("account") != org.get("management"):
        raise AwsError(400, "AccessDeniedException", "You don't have "
                       "permissions to access this resource.")
    size = doc.get("MaxResults", 20)
    if not isinstance(size, int) or isinstance(size, bool) or \
            not 1 <= size <= 20:
        raise AwsError(400, "InvalidInputException", "You provided a value "
                       "that does not match the required pattern.",
                       extra={"Reason": "MAX_VALUE_EXCEEDED"})
    accounts = org.get("accounts") or []
    start = 0
    if doc.get("NextToken") is not None:
        start = open_token(str(doc["NextToken"]), "accounts")
        if start is None or start > len(accounts):
            raise AwsError(400, "InvalidInputException", "You specified an "
                           "invalid value for nextToken. You must get the "
                           "value from the response to a previous call to "
                           "the API.", extra={"Reason": "INVALID_NEXT_TOKEN"})
    end = start + min(size, 2)
    out = {"Accounts": [org_account(org, a) for a in accounts[start:end]]}
    if end < len(accounts):
        out["NextToken"] = seal_token("accounts", end)
    return out


def org_account(org, a):
    joined = a.get("JoinedTimestamp", "2020-01-01T00:00:00Z")
    out = {"Id": a["Id"],
           "Arn": a.get("Arn", "arn:aws:organizations::%s:account/%s/%s" % (
               org.get("management"), org.get("id"), a["Id"])),
           "Email": a.get("Email"), "Name": a.get("Name"),
           "Status": a.get("Status", "ACTIVE")}
    if "State" in a:
        out["State"] = a["State"]
    out["JoinedMethod"] = a.get("JoinedMethod", "CREATED")
    out["JoinedTimestamp"] = Epoch(parse_time(joined))
    return out


# ---------------------------------------------------------- CloudTrail

def event_username(record):
    ui = record.get("userIdentity") or {}
    if ui.get("userName"):
        return ui["userName"]
    if ui.get("type") == "Root":
        return "root"
    if ui.get("type") == "AssumedRole":
        return ui.get("arn", "").rsplit("/", 1)[-1]
    return ui.get("principalId")


def event_attribute(record, key):
    ui = record.get("userIdentity") or {}
    return {"EventName": record.get("eventName"),
            "EventSource": record.get("eventSource"),
            "EventId": record.get("eventID"),
            "Username": event_username(record),
            "AccessKeyId": ui.get("accessKeyId"),
            "ReadOnly": str(record.get("readOnly", False)).lower()}.get(key)


def event_summary(record):
    ui = record.get("userIdentity") or {}
    out = {"EventId": record.get("eventID"),
           "EventName": record.get("eventName"),
           "ReadOnly": str(record.get("readOnly", False)).lower()}
    if ui.get("accessKeyId"):
        out["AccessKeyId"] = ui["accessKeyId"]
    out.update({"EventTime": Epoch(parse_time(record["eventTime"])),
                "EventSource": record.get("eventSource"),
                "Username": event_username(record),
                "Resources": [{"ResourceType": r.get("type"),
                               "ResourceName": r.get("ARN")}
                              for r in record.get("resources") or []],
                "CloudTrailEvent": json.dumps(record,
                                              separators=(",", ":"))})
    return out


def number(doc, key, default):
    value = doc.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise AwsError(400, "SerializationException", "Cannot deserialize "
                       "%s: expected a number of epoch seconds" % key)
    return float(value)


def ct_lookup_events(state, cred, doc, region):
    now = time.time()
    start = number(doc, "StartTime", now - 90 * 86400)
    end = number(doc, "EndTime", now)
    if start > end:
        raise AwsError(400, "InvalidTimeRangeException", "Start time must "
                       "be before end time.")
    size = doc.get("MaxResults", 50)
    if not isinstance(size, int) or isinstance(size, bool) or \
            not 1 <= size <= 50:
        raise AwsError(400, "InvalidMaxResultsException", "Value for "
                       "MaxResults is invalid.")
    attrs = doc.get("LookupAttributes") or []
    keys = ("EventName", "Username", "EventSource", "EventId", "ReadOnly",
            "AccessKeyId")
    if len(attrs) > 1 or any(not isinstance(a, dict) or
                             a.get("AttributeKey") not in keys or
                             not a.get("AttributeValue") for a in attrs):
        raise AwsError(400, "InvalidLookupAttributesException", "Lookup "
                       "attributes are not valid: one of EventName, "
                       "Username, EventSource, EventId, ReadOnly, "
                       "AccessKeyId, with a value.")
    # event history is the caller's account's own (per account, region)
    picked = [r for r in state.sc.get("events") or []
              if r.get("awsRegion") == region
              and r.get("recipientAccountId",
                        (r.get("userIdentity") or {}).get("accountId")) ==
              cred.get("account")
              and start <= parse_time(r["eventTime"]) <= end
              and all(event_attribute(r, a["AttributeKey"]) ==
                      a["AttributeValue"] for a in attrs)]
    picked.sort(key=lambda r: parse_time(r["eventTime"]), reverse=True)
    kind = "events:" + hashlib.sha256(json.dumps(    # the request's own
        [doc.get("StartTime"), doc.get("EndTime"), attrs, region]).encode(
    )).hexdigest()[:16]                                # terms, not defaults
    first = 0
    if doc.get("NextToken") is not None:
        first = open_token(str(doc["NextToken"]), kind)
        if first is None or first > len(picked):
            raise AwsError(400, "InvalidNextTokenException", "Invalid "
                           "NextToken.")
    last = first + min(size, 2)
    out = {"Events": [event_summary(r) for r in picked[first:last]]}
    if last < len(picked):
        out["NextToken"] = seal_token(kind, last)
        if (state.sc.get("faults") or {}).get("long_token"):
            out["NextToken"] = "A" * 3000   # a client must not stop here
    return out


JSON_ACTIONS = {"organizations": {"ListAccounts": org_list_accounts},
                "cloudtrail": {"LookupEvents": ct_lookup_events}}


def json_action(service, target):
    prefix = JSON_TARGET[service]
    name = target[len(prefix):] if target.startswith(prefix) else None
    if name not in JSON_ACTIONS[service]:
        raise AwsError(400, "UnknownOperationException",
                       "Unknown operation %s" % target)
    return name, JSON_ACTIONS[service][name]


# ------------------------------------------------------------- server

def peek_action(headers, path, body):
    """The action a request names, for the log (before any check)."""
    target = headers.get("X-Amz-Target")
    if target:
        return target.rsplit(".", 1)[-1] or None
    params = dict(urllib.parse.parse_qsl(path.partition("?")[2]))
    params.update(urllib.parse.parse_qsl(body.decode("utf-8", "replace")))
    return params.get("Action")


def guess_service(headers, body):
    """The service of a request whose Authorization could not be read
    (it only chooses the error's protocol)."""
    target = headers.get("X-Amz-Target") or ""
    for service, prefix in JSON_TARGET.items():
        if target.startswith(prefix):
            return service
    params = dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace")))
    return "sts" if params.get("Version") == "2011-06-15" else "iam"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = READ_TIMEOUT
    server_version = "fake-aws"
    sys_version = ""

    def log_message(self, *args):
        pass

    def do_POST(self):
        self.serve()

    do_GET = do_PUT = do_DELETE = do_POST

    def serve(self):
        srv = self.server
        if not srv.slots.acquire(blocking=False):
            self.send(503, "text/plain", b"busy\n", close=True)
            return
        try:
            self.handle_aws(srv.state)
        finally:
            srv.slots.release()

    def read_body(self):
        if self.headers.get("Transfer-Encoding"):
            return None
        try:
            n = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return None
        if n < 0 or n > MAX_BODY:
            return None
        return self.rfile.read(n)

    def handle_aws(self, state):
        rid = str(uuid.uuid4())
        self.akid = self.region = self.service = None
        self.body = self.read_body()
        entry = {"service": None, "action": None, "region": None,
                 "akid": None, "sig_ok": False, "status": None,
                 "error": None}
        if self.body is None:
            self.close_connection = True
            entry.update(status=413, error="RequestEntityTooLarge")
            self.send(413, "text/plain", b"request body refused\n",
                      close=True)
            self.server.log(entry)
            return
        entry["action"] = peek_action(self.headers, self.path, self.body)
        try:
            cred = verify(state, self)
            entry["sig_ok"] = True
            reply = self.dispatch(state, cred, rid)
        except AwsError as err:
            service = self.service or guess_service(self.headers, self.body)
            reply = error_reply(service, err, rid)
            entry["error"] = err.json_code if json_style(service) \
                else err.code
        entry.update(service=self.service, region=self.region,
                     akid=self.akid)
        if reply is None:   # a hang
            entry.update(status=0, error="Hang")
            self.server.log(entry)
            self.server.stopping.wait(HANG_SECONDS)
            self.close_connection = True
            return
        entry["status"] = reply[0]
        self.server.log(entry)
        self.send(*reply, rid=rid)

    def dispatch(self, state, cred, rid):
        service = self.service
        if service in ("iam", "sts"):
            params = dict(urllib.parse.parse_qsl(self.path.partition("?")[2]))
            params.update(urllib.parse.parse_qsl(
                self.body.decode("utf-8", "replace"),
                keep_blank_values=True))
            handler = query_action(service, params)
            if self.fault(state, service, params["Action"]):
                return None
            return query_reply(service, params["Action"],
                               handler(state, cred, params, self.region), rid)
        if service in JSON_TARGET:
            target = self.headers.get("X-Amz-Target") or ""
            name, handler = json_action(service, target)
            if self.fault(state, service, name):
                return None
            try:
                doc = json.loads(self.body or b"{}")
            except ValueError:
                doc = None
            if not isinstance(doc, dict):
                raise AwsError(400, "SerializationException",
                               "Start of structure or map found where not "
                               "expected.")
            return (200, "application/x-amz-json-1.1",
                    json_body(handler(state, cred, doc, self.region)))
        raise AwsError(400, "InvalidAction", "The fake serves iam, sts, "
                       "organizations and cloudtrail, not %s" % service)

    @staticmethod
    def fault(state, service, action):
        """True for a hang; raises the throttling or server error."""
        kind = state.take_fault(action)
        if kind in ("throttle", "server_error"):
            raise fault_error(service, kind)
        return kind == "hang"

    def send(self, status, ctype, body, rid=None, close=False):
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            if rid:
                self.send_header("x-amzn-RequestId", rid)
            if close:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            self.close_connection = True


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, state, log_path):
        super().__init__(("127.0.0.1", 0), Handler)
        self.state = state
        self.slots = threading.BoundedSemaphore(MAX_THREADS)
        self.stopping = threading.Event()
        self.log_lock = threading.Lock()
        self.log_file = open(log_path, "a") if log_path else None

    def log(self, entry):
        if self.log_file is None:
            return
        with self.log_lock:
            self.log_file.write(json.dumps(entry) + "\n")
            self.log_file.flush()

    def handle_error(self, request, client_address):
        pass   # a client that goes away mid-request


def write_port_file(path, port):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.replace(tmp, path)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scenario", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log")
    args = ap.parse_args(argv)
    with open(args.scenario) as f:
        state = State(json.load(f))
    server = Server(state, args.log)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    thread = threading.Thread(target=server.serve_forever,
                              kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    write_port_file(args.port_file, server.server_address[1])
    while not stop.wait(1):
        pass
    server.stopping.set()
    server.shutdown()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
