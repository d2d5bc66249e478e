#!/usr/bin/env python3
"""tests/service/wire_client.py: a client of breakglassd that lies.

It speaks the wire protocol (broker/wire/wire.h: a 4-byte big-endian
length, then one JSON object) without any of the project's code, so the
daemon's checks are the only ones between it and the state.

usage: wire_client.py SOCKET MODE [ARGS...]
  oversized            a frame header of 2 MiB, then nothing
  garbage              a frame that is not JSON
  silent SECONDS       connect, send nothing, wait
  cut                  half a frame, then close
  unknown              a frame with an unknown op
  steal ID AS FROM     ask to approve ID as AS; answer the kit with the
                       approval FROM made earlier (copied from the kit's
                       request file), its custodian renamed to AS
  tamper ID AS         ask to approve ID as AS; answer with the first
                       approval in the kit, its statement edited to name AS
  shares OP ID AS [REASON]
                       ask for OP's kit (approve, deny, release) and print
                       how many share boxes its request file holds
  reseal ACCOUNT ITEM AS
                       ask for a seal's kit and answer with the item's
                       current version from the kit's vault, its version
                       number raised by one (a replay)
  reseal-same ACCOUNT ITEM AS
                       the same, the version number unchanged
  enroll-copy PERSON [tamper]
                       read the first token.enrolled entry of the log
                       (audit show, as the daemon serves it) and send its
                       descriptor as PERSON's new token; with "tamper",
                       one character of its proof of possession changed
  attest-copy AS [tamper]
                       read the last custody.attested entry of the log and
                       submit its token, statement and signatures as AS's
                       attestation; with "tamper", key_sig changed
  change-replay ID AS approve|deny
                       read AS's last change.approved (or change.denied)
                       entry of the log and submit its signatures for
                       change ID
  report ID AS REASON   a release.failed report (a release that did not open)
  run ARGS...           a "run" of ARGS
  run-stdin ARGS...     a "run" of ARGS with a standard input
  forge OP ID AS [REASON]
                       ask for OP's kit (deny, release, change.approve,
                       change.deny, rekey.contribute) and answer with AS's own first token
                       (as the kit's vault names it) and a signature of
                       zeros
  hang ID AS           ask to approve ID as AS, take the kit, never answer
Prints the daemon's exit code and stderr (decoded), whether the result
carries "after", or "closed".
"""
import base64
import json
import socket
import struct
import sys
import time


def frame(obj):
    b = json.dumps(obj).encode()
    return struct.pack(">I", len(b)) + b


def send(s, obj):
    """A frame; a peer that already answered and closed (busy) is not an
    error here: its answer is read next."""
    try:
        s.sendall(frame(obj))
    except (BrokenPipeError, ConnectionResetError):
        pass


def recv(s):
    hdr = b""
    while len(hdr) < 4:
        c = s.recv(4 - len(hdr))
        if not c:
            return None
        hdr += c
    (n,) = struct.unpack(">I", hdr)
    buf = b""
    while len(buf) < n:
        c = s.recv(min(65536, n - len(buf)))
        if not c:
            return None
        buf += c
    return json.loads(buf)


def show(ans):
    if ans is None:
        print("closed")
        return
    if ans.get("op") == "result":
        print("exit %d" % ans["exit"])
        print(base64.b64decode(ans.get("err", "")).decode(errors="replace"))
        print("after" if "after" in ans else "no after")
    else:
        print("op %s" % ans.get("op"))


def kit_for(s, rid, who):
    send(s, ({"v": 1, "op": "approve",
                     "args": {"id": rid, "as": who}}))
    return recv(s)


def kit_of(s, op, argv):
    args = {"id": argv[0], "as": argv[1]}
    if op in ("deny", "change.deny"):
        args["reason"] = argv[2] if len(argv) > 2 else "no"
    if op == "release":
        args["reveal_seed"] = False
    send(s, ({"v": 1, "op": op, "args": args}))
    return recv(s)


def main():
    path, mode = sys.argv[1], sys.argv[2]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(120)
    s.connect(path)
    if mode == "oversized":
        s.sendall(struct.pack(">I", 2 << 20))
    elif mode == "garbage":
        s.sendall(struct.pack(">I", 9) + b"not json!")
    elif mode == "silent":
        time.sleep(float(sys.argv[3]))
    elif mode == "cut":
        s.sendall(struct.pack(">I", 100) + b'{"v":1,')
        s.shutdown(socket.SHUT_WR)
    elif mode == "unknown":
        send(s, ({"v": 1, "op": "become-root"}))
    elif mode in ("steal", "tamper", "hang"):
        rid, who = sys.argv[3], sys.argv[4]
        kit = kit_for(s, rid, who)
        if kit is None or kit.get("op") != "kit":
            show(kit)
            return
        if mode == "hang":
            print("kit", flush=True)
            time.sleep(3600)
            return
        aps = kit["request"]["approvals"]
        if mode == "steal":
            ap = [a for a in aps if a["custodian"] == sys.argv[5]][0]
            ap["custodian"] = who
        else:
            ap = aps[0]
            ap["statement"] = ap["statement"].replace(
                "person " + ap["custodian"], "person " + who)
            ap["custodian"] = who
        send(s, ({"v": 1, "op": "submit",
                         "sub": {"approval": ap}}))
    elif mode == "attest-copy":
        send(s, ({"v": 1, "op": "run",
                         "argv": ["audit", "show", "--json", "--event",
                                  "custody.attested"]}))
        ans = recv(s)
        line = base64.b64decode(ans["out"]).decode().splitlines()[-1]
        d = json.loads(line)["detail"]
        d.pop("peer", None)
        if len(sys.argv) > 4 and sys.argv[4] == "tamper":
            k = d["key_sig"]
            d["key_sig"] = k[:5] + ("B" if k[5] == "A" else "A") + k[6:]
        s.close()
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(120)
        s.connect(path)
        send(s, ({"v": 1, "op": "custody.attest",
                         "args": {"as": sys.argv[3]}}))
        kit = recv(s)
        if kit is None or kit.get("op") != "kit":
            show(kit)
            return
        send(s, ({"v": 1, "op": "submit", "sub": d}))
    elif mode == "change-replay":
        rid, who, what = sys.argv[3], sys.argv[4], sys.argv[5]
        event = "change.approved" if what == "approve" else "change.denied"
        send(s, ({"v": 1, "op": "run",
                         "argv": ["audit", "show", "--json", "--event",
                                  event, "--actor", who]}))
        ans = recv(s)
        d = json.loads(base64.b64decode(ans["out"]).decode()
                       .splitlines()[-1])["detail"]
        if what == "approve":
            sub = {"signatures": d["signatures"]}
            args = {"id": rid, "as": who}
        else:
            sub = {"token": d["token"], "signature": d["signature"]}
            args = {"id": rid, "as": who, "reason": d["reason"]}
        s.close()
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(120)
        s.connect(path)
        send(s, ({"v": 1, "op": "change." + what, "args": args}))
        kit = recv(s)
        if kit is None or kit.get("op") != "kit":
            show(kit)
            return
        send(s, ({"v": 1, "op": "submit", "sub": sub}))
    elif mode == "report":
        send(s, ({"v": 1, "op": "release.failed",
                         "args": {"id": sys.argv[3], "as": sys.argv[4],
                                  "reason": sys.argv[5]}}))
    elif mode in ("run", "run-stdin"):
        msg = {"v": 1, "op": "run", "argv": sys.argv[3:]}
        if mode == "run-stdin":
            msg["stdin"] = base64.b64encode(b"{}").decode()
        send(s, (msg))
    elif mode == "enroll-copy":
        send(s, ({"v": 1, "op": "run",
                         "argv": ["audit", "show", "--json", "--event",
                                  "token.enrolled"]}))
        ans = recv(s)
        line = base64.b64decode(ans["out"]).decode().splitlines()[0]
        desc = json.loads(line)["detail"]["descriptor"]
        if len(sys.argv) > 4 and sys.argv[4] == "tamper":
            p = desc["proof"]["sig"]
            desc["proof"]["sig"] = p[:5] + ("B" if p[5] == "A" else "A") \
                + p[6:]
        s.close()
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(120)
        s.connect(path)
        send(s, ({"v": 1, "op": "token.enroll",
                         "args": {"person": sys.argv[3],
                                  "descriptor": desc}}))
    elif mode in ("reseal", "reseal-same"):
        acct, item, who = sys.argv[3], sys.argv[4], sys.argv[5]
        send(s, ({"v": 1, "op": "seal",
                         "args": {"account": acct, "item": item,
                                  "as": who, "note": False}}))
        kit = recv(s)
        if kit is None or kit.get("op") != "kit":
            show(kit)
            return
        it = [i for a in kit["vault"]["accounts"] if a["id"] == acct
              for i in a["items"] if i["name"] == item][0]
        if mode == "reseal":
            it["version"] += 1
        send(s, ({"v": 1, "op": "submit",
                         "sub": {"item": it,
                                 "commitments": kit["commitments"]}}))
    elif mode in ("shares", "forge"):
        kit = kit_of(s, sys.argv[3], sys.argv[4:])
        if kit is None or kit.get("op") != "kit":
            show(kit)
            return
        if mode == "shares" and "request" not in kit:
            print("no request in the kit")
            return
        if mode == "shares":
            print("shares %d" % sum(len(a["shares"])
                                    for a in kit["request"]["approvals"]))
            return
        who = sys.argv[5]
        tok = [p for p in kit["vault"]["people"]
               if p["name"] == who][0]["tokens"][0]["id"]
        act = {"token": tok,
               "signature": base64.b64encode(bytes(64)).decode()}
        sub = {"signatures": [act]} if sys.argv[3] == "change.approve" \
            else act
        if sys.argv[3].startswith("rekey."):
            sub = dict(act, person=who, boxes=[])
        send(s, ({"v": 1, "op": "submit", "sub": sub}))
    show(recv(s))


main()
