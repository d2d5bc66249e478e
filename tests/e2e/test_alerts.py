#!/usr/bin/env python3
"""Alerts over HTTP, end to end: breakglass as shipped against a receiver
on 127.0.0.1 started here.

The receiver checks every webhook signature (docs/alerts.md) and keeps the
idempotency keys it has processed, as a real receiver would. Each case
scripts the receiver's next answers: ok, 500, slow (past the client's
timeout), huge body, bytes that are not HTTP, or hold the request until
the client is killed. Covered: delivery and signature, Slack format, an
outage then a flush, SIGKILL mid-send and at random moments (every logged
alert arrives, once per key after de-duplication), 500s, slow, huge and
malformed responses, dead letters (alert.dead audited and sent to the
other sink), the verify commands' alerts, and bad configurations refused
with a clear error that never shows the secret.

Loopback only; a bounded number of requests; no timing assertions (the
timeouts only bound how long a case may take).

usage: test_alerts.py BREAKGLASS
"""
import base64
import hashlib
import hmac
import fcntl
import http.server
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

BIN = sys.argv[1] if len(sys.argv) > 1 else "breakglass"
SECRET = bytes(range(1, 33))
SECRET_B64 = base64.b64encode(SECRET).decode()
RUN_TIMEOUT = 60  # seconds any one command may take (a backstop)
failures = []
scratch = []


class Receiver:
    """A webhook receiver: scripted answers, signature checks, dedup."""

    def __init__(self, port=0):
        self.lock = threading.Lock()
        self.script = []          # answers for the next requests
        self.requests = []        # every request: (path, headers, body)
        self.processed = {}       # key -> body processed (deduplicated)
        self.mismatch = 0         # a key seen again with another body
        self.bad_sigs = 0
        self.held = threading.Event()
        self.release = threading.Event()
        self.port = port
        self.server = None

    def start(self):
        recv = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                recv.handle(self)

        class Server(http.server.ThreadingHTTPServer):
            allow_reuse_address = True
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass  # a client killed mid-request resets the connection

        self.server = Server(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever,
                         daemon=True).start()
        return self

    def stop(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def url(self, path="/hook"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def answer(self, *modes):
        with self.lock:
            self.script.extend(modes)

    def handle(self, h):
        n = int(h.headers.get("Content-Length", "0"))
        body = h.rfile.read(n)
        with self.lock:
            self.requests.append((h.path, dict(h.headers), body))
            mode = self.script.pop(0) if self.script else "ok"
        if mode == "hold":
            self.held.set()
            self.release.wait(RUN_TIMEOUT)
            return
        if mode == "slow":
            time.sleep(3)  # past the 1 s timeout of the slow case
        if mode == "garbage":
            h.wfile.write(b"\x00\xffNOT HTTP AT ALL\r\n\r\n" * 50)
            h.close_connection = True
            return
        if mode == "500":
            self.reply(h, 500, b"oops")
            return
        if h.path.startswith("/hook") and not self.verify(h.headers, body):
            self.bad_sigs += 1
            self.reply(h, 401, b"bad signature")
            return
        key = h.headers.get("Idempotency-Key")
        with self.lock:
            if key not in self.processed:
                self.processed[key] = body
            elif self.processed[key] != body:
                self.mismatch += 1
        if mode == "huge":
            self.reply(h, 200, b"x" * (8 << 20))
        else:
            self.reply(h, 200, b"ok")

    @staticmethod
    def reply(h, status, body):
        try:
            h.send_response(status)
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)
        except OSError:
            pass  # the client gave up (timeout, size limit)

    @staticmethod
    def verify(headers, body, secret=SECRET):
        ts = headers.get("X-Breakglass-Timestamp", "")
        sig = headers.get("X-Breakglass-Signature", "")
        want = "sha256=" + hmac.new(secret, ts.encode() + b"." + body,
                                    hashlib.sha256).hexdigest()
        return hmac.compare_digest(sig, want)

    def deliveries(self, key):
        return sum(1 for _, hd, _ in self.requests
                   if hd.get("Idempotency-Key") == key)


def run(state, *args, check=None):
    p = subprocess.run([BIN, "--state", state] + list(args),
                       capture_output=True, text=True, timeout=RUN_TIMEOUT)
    if check is not None and p.returncode != check:
        raise AssertionError("%s exited %d, wanted %d\nstdout: %s\n"
                             "stderr: %s" % (" ".join(args), p.returncode,
                                             check, p.stdout, p.stderr))
    return p


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def new_state(sinks, **limits):
    d = tempfile.mkdtemp(prefix="bg-alerts.")
    scratch.append(d)
    state = os.path.join(d, "state")
    run(state, "audit", "init", "--origin", "test.local/alerts", check=0)
    alerts = {"connect_timeout_ms": 2000, "timeout_ms": 5000,
              "backoff_initial_seconds": 60}
    alerts.update(limits)
    alerts["sinks"] = sinks
    write_config(state, {"alerts": alerts})
    return state


def write_config(state, doc):
    with open(os.path.join(state, "breakglass.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


def webhook(rx, name="soc", path="/hook", **kw):
    s = {"name": name, "type": "webhook", "url": rx.url(path),
         "secret": SECRET_B64}
    s.update(kw)
    return s


def entries(state, event):
    p = run(state, "audit", "show", "--json", "--event", event, check=0)
    return [line for line in p.stdout.splitlines() if line]


def spool_files(state):
    d = os.path.join(state, "spool")
    return sorted(f for f in os.listdir(d) if f.endswith(".alert")) \
        if os.path.isdir(d) else []


def status(state):
    return run(state, "alerts", "status").stdout


# ------------------------------------------------------------------ cases


def case_delivery_and_signature():
    rx = Receiver().start()
    try:
        state = new_state([webhook(rx, events=["alert.*"]),
                           {"name": "chat", "type": "slack",
                            "url": rx.url("/slack")}])
        run(state, "alerts", "test", "soc", check=0)
        expect(len(rx.requests) == 1, "one request to the webhook")
        path, hd, body = rx.requests[0]
        expect(path == "/hook" and rx.bad_sigs == 0, "signature verifies")
        expect(not Receiver.verify(hd, body, b"another secret key 123456"),
               "a wrong key does not verify")
        expect(not Receiver.verify(hd, body + b" "),
               "an altered body does not verify")
        doc = json.loads(body)
        line = entries(state, "alert.test")[0]
        seq = json.loads(line)["seq"]
        expect(doc["entry"] == line, "entry exactly as stored")
        expect(doc["key"] == "test.local/alerts/%d" % seq ==
               hd["Idempotency-Key"], "idempotency key is origin/seq")
        expect(doc["seq"] == seq and doc["origin"] == "test.local/alerts" and
               doc["event"] == "alert.test" and doc["logged"] is True,
               "payload fields")
        cp = run(state, "audit", "checkpoint", check=0).stdout
        expect(doc["checkpoint"] == cp, "the latest signed checkpoint")
        expect(SECRET_B64.encode() not in body and SECRET not in body,
               "no secret in the payload")
        for f in os.listdir(os.path.join(state, "spool")):
            st = os.stat(os.path.join(state, "spool", f))
            expect(f == "cursor" or f == ".lock" or st.st_mode & 0o077 == 0,
                   "spool files are private")
        expect(os.stat(os.path.join(state, "spool")).st_mode & 0o777 ==
               0o700, "spool directory 0700")
        expect(spool_files(state) == [], "delivered alerts leave the spool")
        # Slack: message format, no signature header
        run(state, "alerts", "test", "chat", check=0)
        path, hd, body = rx.requests[1]
        msg = json.loads(body)
        expect(path == "/slack" and list(msg) == ["text"] and
               "alert.test" in msg["text"] and
               "X-Breakglass-Signature" not in hd, "slack message")
        expect(len(rx.requests) == 2, "each test alert went to its sink only")
    finally:
        rx.stop()


def case_ocsf_payload():
    """A webhook with "payload": "ocsf" gets the entry as an OCSF event,
    signed like any webhook body; its proof fields match the log."""
    rx = Receiver().start()
    try:
        state = new_state([webhook(rx, events=["*"], payload="ocsf")])
        run(state, "audit", "note", "ocsf alert", check=0)
        line = entries(state, "operator.note")[0]
        seq = json.loads(line)["seq"]
        got = [(hd, body) for _, hd, body in rx.requests
               if json.loads(body).get("metadata", {}).get("sequence") ==
               seq]
        expect(len(got) == 1, "one OCSF event for the note: %d" % len(got))
        hd, body = got[0]
        expect(Receiver.verify(hd, body), "the HMAC signature verifies")
        ev = json.loads(body)
        leaf = base64.b64encode(hashlib.sha256(b"\x00" + line.encode())
                                .digest()).decode()
        expect(ev["class_uid"] == 0 and ev["type_uid"] == 99 and
               ev["metadata"]["event_code"] == "operator.note" and
               ev["metadata"]["version"] == "1.8.0", "OCSF base event")
        expect(ev["raw_data"] == line and ev["metadata"]["uid"] == leaf,
               "raw_data is the entry, metadata.uid its leaf hash")
        b = ev["unmapped"]["breakglass"]
        expect(b["alert"]["key"] == hd["Idempotency-Key"] ==
               "test.local/alerts/%d" % seq and b["alert"]["sink"] == "soc",
               "the alert's key and sink")
        cp = run(state, "audit", "checkpoint", check=0).stdout
        expect(b["checkpoint"] == cp and
               ev["metadata"]["log_source"] == "test.local/alerts",
               "the signed checkpoint and the log's origin")
        expect(b["detail"] == {"text": "ocsf alert"}, "the detail")
    finally:
        rx.stop()


def case_outage_then_flush():
    rx = Receiver().start()
    port = rx.port
    rx.stop()  # down: nothing listens on the port
    state = new_state([webhook(rx)])
    p = run(state, "alerts", "test", "soc", check=1)
    expect("stays queued" in p.stderr, "says the alert stays queued")
    expect(len(spool_files(state)) == 1, "spooled")
    expect("failed 1" in status(state), "status shows it failed")
    rx = Receiver(port).start()
    try:
        run(state, "alerts", "flush", check=0)
        expect(len(rx.processed) == 1, "delivered after the receiver returns")
        out = status(state)
        expect("queued 0, failed 0, dead 0" in out, "spool empty: " + out)
    finally:
        rx.stop()


def case_flush_while_another_delivers():
    """While another process holds the spool's delivery lock, an appended
    note is still spooled by its appender (its own delivery waits about
    10 s for the lock, then leaves the alert queued), and 'alerts flush'
    is a no-op that exits 0 and sends nothing. Once the lock is let go,
    one flush delivers the note once."""
    rx = Receiver().start()
    try:
        state = new_state([webhook(rx, events=["operator.note"])])
        os.makedirs(os.path.join(state, "spool"), mode=0o700, exist_ok=True)
        lock = os.open(os.path.join(state, "spool", ".lock"),
                       os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            p = run(state, "audit", "note", "appended while another delivers",
                    check=0)
            expect(p.returncode == 0, "the note is logged: " + p.stderr)
            expect(len(spool_files(state)) == 1,
                   "a note appended meanwhile is spooled by its appender "
                   "(%s)" % spool_files(state))
            p = run(state, "alerts", "flush", check=0)
            expect(p.returncode == 0, "flush exits 0: %d" % p.returncode)
            expect("another process is delivering" in p.stdout,
                   "says another process delivers: " + p.stdout)
            expect(len(rx.processed) == 0, "sent nothing meanwhile")
            expect(len(spool_files(state)) == 1, "the alert stays queued")
        finally:
            os.close(lock)
        run(state, "alerts", "flush", check=0)
        keys = [hd.get("Idempotency-Key") for _, hd, _ in rx.requests]
        expect(len(keys) == 1, "delivered once after the lock is let go "
               "(%d requests)" % len(keys))
        expect(spool_files(state) == [], "nothing is left in the spool")
    finally:
        rx.stop()


def case_parallel_no_duplicates():
    """No fault, no duplicate: for BG_PARALLEL_SECONDS (30), notes are
    appended (each alerted) while 'alerts status' and 'alerts flush' run
    in parallel loops. Every note arrives exactly once."""
    rx = Receiver().start()
    try:
        state = new_state([webhook(rx, events=["operator.note"])])
        seconds = float(os.environ.get("BG_PARALLEL_SECONDS", "30"))
        stop = time.monotonic() + seconds
        errors = []

        def loop(*args):
            while time.monotonic() < stop:
                p = run(state, *args)
                if p.returncode != 0:
                    errors.append("%s: exit %d: %s" % (
                        " ".join(args), p.returncode, p.stderr.strip()))
                    return

        threads = [threading.Thread(target=loop, args=a) for a in
                   (("audit", "note", "parallel"), ("alerts", "status"),
                    ("alerts", "flush"), ("alerts", "flush"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        expect(not errors, "every command exits 0: %s" % errors[:2])
        notes = len(entries(state, "operator.note"))
        keys = [hd.get("Idempotency-Key") for _, hd, _ in rx.requests]
        expect(len(set(keys)) + len(spool_files(state)) == notes,
               "before a last flush, every note was delivered or is "
               "spooled (%d delivered, %d spooled, %d notes)" % (
                   len(set(keys)), len(spool_files(state)), notes))
        run(state, "alerts", "flush", check=0)
        keys = [hd.get("Idempotency-Key") for _, hd, _ in rx.requests]
        dup = len(keys) - len(set(keys))
        expect(notes > 10, "notes were appended meanwhile (%d)" % notes)
        expect(len(set(keys)) == notes,
               "every note arrived (%d keys, %d notes)" % (len(set(keys)),
                                                           notes))
        expect(dup == 0, "no alert arrived twice (%d duplicates in %d "
               "requests)" % (dup, len(keys)))
        expect(spool_files(state) == [], "nothing is left in the spool")
    finally:
        rx.stop()


def case_sigkill_mid_send():
    rx = Receiver().start()
    try:
        state = new_state([webhook(rx)])
        rx.answer("hold")
        p = subprocess.Popen([BIN, "--state", state, "alerts", "test", "soc"],
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        expect(rx.held.wait(RUN_TIMEOUT), "the request arrived")
        p.send_signal(signal.SIGKILL)
        p.wait(RUN_TIMEOUT)
        rx.release.set()
        expect(len(spool_files(state)) == 1, "still spooled after SIGKILL")
        run(state, "alerts", "flush", check=0)
        key = json.loads(rx.requests[-1][2])["key"]
        expect(rx.deliveries(key) == 2, "sent again after the kill")
        expect(list(rx.processed) == [key] and rx.mismatch == 0,
               "one key, the same body each time")
        expect(spool_files(state) == [], "spool empty")
    finally:
        rx.stop()


def case_sigkill_random():
    rx = Receiver().start()
    try:
        state = new_state([webhook(rx, events=["alert.test"])])
        rng = random.Random(int(os.environ.get("BG_SEED", "5")))
        for _ in range(12):
            p = subprocess.Popen([BIN, "--state", state, "alerts", "test",
                                  "soc"], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0, 0.03))
            p.send_signal(signal.SIGKILL)
            p.wait(RUN_TIMEOUT)
        run(state, "alerts", "flush", check=0)
        keys = {"test.local/alerts/%d" % json.loads(e)["seq"]
                for e in entries(state, "alert.test")}
        expect(keys == set(rx.processed),
               "every logged alert arrived: %s vs %s" % (
                   sorted(keys), sorted(rx.processed)))
        expect(rx.mismatch == 0, "a key always comes with the same body")
        expect(spool_files(state) == [], "spool empty")
        run(state, "audit", "verify", check=0)
    finally:
        rx.stop()


def case_500_then_ok():
    rx = Receiver().start()
    try:
        state = new_state([webhook(rx)])
        rx.answer("500", "500")
        run(state, "alerts", "test", "soc", check=1)
        expect("HTTP status 500" in status(state), "500 recorded")
        run(state, "alerts", "flush", check=1)
        run(state, "alerts", "flush", check=0)
        expect(len(rx.requests) == 3 and len(rx.processed) == 1,
               "retried until taken")
    finally:
        rx.stop()


def case_slow_huge_garbage():
    rx = Receiver().start()
    try:
        state = new_state([webhook(rx)], connect_timeout_ms=500,
                          timeout_ms=1000)
        rx.answer("slow")
        run(state, "alerts", "test", "soc", check=1)
        expect("imeout" in status(state) or "timed out" in status(state),
               "timeout recorded: " + status(state))
        rx.answer("garbage")
        run(state, "alerts", "flush", check=1)
        expect("failed 1" in status(state), "malformed reply: still queued")
        rx.answer("huge")
        run(state, "alerts", "flush", check=0)
        expect(spool_files(state) == [] and len(rx.processed) == 1,
               "a 2xx with a huge body counts as taken")
    finally:
        rx.stop()


def case_dead_letter():
    rx = Receiver().start()
    try:
        state = new_state([webhook(rx, "soc", "/hook-down"),
                           webhook(rx, "ops", "/hook-ops",
                                   events=["alert.dead"])],
                          max_attempts=2)
        rx.answer("500", "500")
        run(state, "alerts", "test", "soc", check=1)
        run(state, "alerts", "flush", check=1)
        out = status(state)
        expect("dead 1" in out, "dead after max_attempts: " + out)
        dead = entries(state, "alert.dead")
        expect(len(dead) == 1, "alert.dead audited once")
        detail = json.loads(dead[0])["detail"]
        expect(detail["sink"] == "soc" and detail["event"] == "alert.test" and
               detail["attempts"] == 2, "alert.dead names the alert")
        ops = [json.loads(b) for p, _, b in rx.requests if p == "/hook-ops"]
        expect(len(ops) == 1 and ops[0]["event"] == "alert.dead",
               "the other sink got alert.dead")
        run(state, "alerts", "flush", check=0)
        expect(len(entries(state, "alert.dead")) == 1, "not audited twice")
    finally:
        rx.stop()


def case_verify_failures():
    rx = Receiver().start()
    try:
        state = new_state([webhook(rx)])
        # breakglass.json was written by hand: vault verify must say so
        run(state, "vault", "verify", check=3)
        got = [json.loads(b)["event"] for _, _, b in rx.requests]
        expect(got == ["vault.verify_failed"], "vault.verify_failed: %s" % got)
        path = os.path.join(state, "audit", "entries.jsonl")
        with open(path, "rb") as f:
            data = f.read()
        with open(path, "wb") as f:
            f.write(data.replace(b"audit.init", b"audit.tnit", 1))
        run(state, "audit", "verify", check=3)
        got = [json.loads(b) for _, _, b in rx.requests][1:]
        expect(len(got) == 1 and got[0]["event"] == "audit.verify_failed",
               "audit.verify_failed sent")
    finally:
        rx.stop()


# Issue 11: what a sink without "events" must receive. The first list is
# made by the CLI here (no token needed); the second needs tokens, so its
# entries are appended with the log's own key (record.py, as a process
# that died before spooling would leave them) and reach the receiver
# through the catch-up of "alerts flush": the same default filter.
GOV_CLI = ["config.changed", "custodian.added", "custodian.removed",
           "requester.added", "policy.changed", "account.added"]
GOV_LOGGED = ["token.enrolled", "token.removed", "requester.removed",
              "person.added", "group.rekeyed", "vault.armed", "vault.ready",
              "item.sealed", "rekey.opened", "rekey.contributed",
              "rekey.accepted", "rekey.done", "chain.genesis", "chain.link",
              "change.opened", "change.approved", "change.denied",
              "change.applied", "change.closed", "change.refused",
              "config.refused", "approval.burn", "request.near_quorum",
              "request.quorum_met"]
NOT_DEFAULT = ["vault.read", "request.status", "config.read"]


def record(state, name, event):
    here = os.path.dirname(os.path.abspath(__file__))
    subprocess.run([sys.executable, os.path.join(here, "record.py"), state,
                    name, event], check=True, capture_output=True,
                   timeout=RUN_TIMEOUT)


def case_governance_default():
    rx = Receiver().start()
    try:
        d = tempfile.mkdtemp(prefix="bg-alerts.")
        scratch.append(d)
        state = os.path.join(d, "state")
        run(state, "init", "--account", "111122223333", "--account-name",
            "prod", "--root-email", "root@example.com", check=0)
        with open(os.path.join(state, "breakglass.json")) as f:
            doc = json.load(f)
        doc["alerts"] = {"connect_timeout_ms": 2000, "timeout_ms": 5000,
                         "sinks": [webhook(rx)]}  # no "events": the default
        cfg = os.path.join(d, "config.json")
        with open(cfg, "w") as f:
            json.dump(doc, f)
        run(state, "config", "set", cfg, check=0)
        for p, g in (("alice", "password"), ("bob", "password"),
                     ("carol", "password"), ("dave", "mfa"),
                     ("erin", "mfa")):
            run(state, "custodian", "add", p, "--group", g, check=0)
        run(state, "custodian", "remove", "carol", "--group", "password",
            check=0)
        run(state, "requester", "add", "rita", check=0)
        run(state, "policy", "set", "--threshold", "password=2",
            "--threshold", "mfa=2", check=0)
        run(state, "account", "add", "444455556666", "--account-name",
            "staging", "--root-email", "root@staging.example.com", check=0)
        got = [json.loads(b)["event"] for _, _, b in rx.requests]
        for e in GOV_CLI:
            expect(e in got, "%s alerted by default (got %s)" % (e, got))
        expect(rx.bad_sigs == 0, "every alert signed")
        for e in GOV_LOGGED + NOT_DEFAULT:
            record(state, "vault.json", e)
        # a writing command brings the log's index up to the appended
        # entries (as after a crash); then the catch-up spools them
        run(state, "audit", "note", "after the appended entries", check=0)
        run(state, "alerts", "flush", check=0)
        got = [json.loads(b)["event"] for _, _, b in rx.requests]
        for e in GOV_LOGGED:
            expect(got.count(e) == 1, "%s alerted once by default (got %s)"
                   % (e, got[-len(GOV_LOGGED):]))
        for e in NOT_DEFAULT:
            expect(e not in got, "%s is not alerted by default" % e)
        expect(rx.bad_sigs == 0 and spool_files(state) == [],
               "every alert signed and delivered")
    finally:
        rx.stop()


BAD_CONFIGS = [
    ({"alerts": {"sinks": [], "colour": 1}}, 'unknown key "colour"'),
    ({"alerts": {"sinks": [{"name": "a", "type": "slack",
                            "url": "https://x.example/",
                            "payload": "ocsf"}]}}, "for a webhook"),
    ({"alerts": {"sinks": [{"name": "a", "type": "webhook",
                            "url": "https://x.example/", "secret": SECRET_B64,
                            "payload": "xml"}]}}, 'payload is "json"'),
    ({"alerts": {"sinks": [{"name": "a", "type": "webhook",
                            "url": "https://x.example/", "secret": SECRET_B64,
                            "payload": 1}]}}, 'payload is "json"'),
    ({"alerts": {"sinks": [{"name": "a", "type": "webhook",
                            "url": "https://x.example/", "secret": SECRET_B64,
                            "extra": True}]}}, 'unknown key "extra"'),
    ({"alerts": {"sinks": [{"name": "a", "type": "webhook",
                            "url": "ftp://x.example/",
                            "secret": SECRET_B64}]}}, "https://"),
    ({"alerts": {"sinks": [{"name": "a", "type": "webhook",
                            "url": "http://example.com/hook",
                            "secret": SECRET_B64}]}}, "only for 127.0.0.1, [::1] and localhost"),
    ({"alerts": {"sinks": [{"name": "a", "type": "webhook",
                            "url": "https://u:p@x.example/",
                            "secret": SECRET_B64}]}}, "user information"),
    ({"alerts": {"sinks": [{"name": "a", "type": "webhook",
                            "url": "https://x.example/"}]}},
     'exactly one of "secret"'),
    ({"alerts": {"sinks": [{"name": "a", "type": "webhook",
                            "url": "https://x.example/",
                            "secret": "c2hvcnQ="}]}}, "base64 of 16"),
    ({"alerts": {"sinks": [{"name": "a", "type": "slack",
                            "url": "https://x.example/",
                            "secret": SECRET_B64}]}}, "takes no secret"),
    ({"alerts": {"sinks": [{"name": "a", "type": "pager",
                            "url": "https://x.example/"}]}}, "type"),
    ({"alerts": {"sinks": [{"name": "a", "type": "slack",
                            "url": "https://x.example/"},
                           {"name": "a", "type": "slack",
                            "url": "https://y.example/"}]}}, "used twice"),
    ({"alerts": {"timeout_ms": 5}}, "timeout_ms"),
    ({"alerts": {"sinks": [{"name": "a", "type": "slack",
                            "url": "https://x.example/",
                            "events": ["request.**"]}]}}, "events[0]"),
]


def case_bad_config():
    d = tempfile.mkdtemp(prefix="bg-alerts.")
    scratch.append(d)
    state = os.path.join(d, "state")
    run(state, "audit", "init", check=0)
    for doc, msg in BAD_CONFIGS:
        write_config(state, doc)
        p = run(state, "alerts", "status", check=1)
        expect(msg in p.stderr, "error for %s names %r: %s" % (doc, msg,
                                                               p.stderr))
        expect(SECRET_B64 not in p.stderr + p.stdout, "secret not shown")
        run(state, "alerts", "test", "a", check=1)
    # a secret file others can read is refused; 0600 is fine
    sec = os.path.join(d, "soc.secret")
    with open(sec, "w") as f:
        f.write(SECRET_B64 + "\n")
    os.chmod(sec, 0o644)
    write_config(state, {"alerts": {"sinks": [{
        "name": "a", "type": "webhook", "url": "https://x.example/",
        "secret_file": sec}]}})
    p = run(state, "alerts", "status", check=1)
    expect("chmod 600" in p.stderr, "secret file mode: " + p.stderr)
    os.chmod(sec, 0o600)
    run(state, "alerts", "status", check=0)
    with open(os.path.join(state, "breakglass.json"), "w") as f:
        f.write('{"alerts": {"sinks": []}')  # truncated
    p = run(state, "alerts", "status", check=1)
    expect("not a strict JSON object" in p.stderr, "truncated config")


def main():
    cases = [case_bad_config, case_delivery_and_signature, case_ocsf_payload,
             case_outage_then_flush, case_flush_while_another_delivers,
             case_parallel_no_duplicates,
             case_sigkill_mid_send,
             case_sigkill_random, case_500_then_ok, case_slow_huge_garbage,
             case_dead_letter, case_verify_failures,
             case_governance_default]
    only = os.environ.get("BG_CASE")
    for c in cases:
        if only and only != c.__name__:
            continue
        try:
            c()
            print("ok   %s" % c.__name__)
        except Exception as e:  # report every case, then fail
            print("FAIL %s: %s" % (c.__name__, e))
            failures.append(c.__name__)
    for d in scratch:
        shutil.rmtree(d, ignore_errors=True)
    if failures:
        print("FAILED: %s" % " ".join(failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
