#!/usr/bin/env python3
"""audit export, end to end (docs/export.md): JSON Lines and CEF from a
real log, each record's leaf hash equal to SHA-256(0x00 || the entry line)
and to what audit prove names for that seq, its checkpoint the log's
current one; CEF lines parsed back (header fields, extension values
unescaped) to the entries; --since; bad arguments refused.

Then OCSF (tests/ocsf/MAPPING.md) from the log of a whole ceremony on
software tokens: one event per entry, each entry's class as MAPPING.md's
tables say (a table of this test's own), type_uid = class_uid * 100 +
activity_id, the captions, metadata.uid the leaf hash of raw_data, the
inclusion proof leading to the root its checkpoint signs (RFC 9162,
checked by tests/ocsf/test_validate.py's verifier), the person each
membership and token entry now names. Where tests/ocsf/schema/ exists
(not in the repository: tests/ocsf/SOURCES.md), validate.py checks every
event against the OCSF 1.8.0 schema as well.

usage: test_export.py BREAKGLASS [BG_VFIDO LIBBGVFIDO asan|plain]
"""
import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bgvault  # noqa: E402

BIN = sys.argv[1]
HERE = os.path.dirname(os.path.abspath(__file__))
D = tempfile.mkdtemp(prefix="bg-export.")
STATE = os.path.join(D, "state")


check = bgvault.Checks()


def bg(*args):
    return subprocess.run([BIN, "--state", STATE] + list(args),
                          capture_output=True, text=True, timeout=60)


def unescape_ext(v):
    out, i = [], 0
    while i < len(v):
        if v[i] == "\\" and i + 1 < len(v):
            out.append({"n": "\n", "r": "\r"}.get(v[i + 1], v[i + 1]))
            i += 2
        else:
            out.append(v[i])
            i += 1
    return "".join(out)


def parse_cef(line):
    # the header: 7 fields split at '|' not escaped
    parts, cur, i = [], [], 0
    while len(parts) < 7:
        c = line[i]
        if c == "\\":
            cur.append(line[i + 1])
            i += 2
            continue
        if c == "|":
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    ext = line[i:]
    keys = list(re.finditer(r"(?:^| )([A-Za-z0-9]+)=", ext))
    vals = {}
    for n, m in enumerate(keys):
        end = keys[n + 1].start() if n + 1 < len(keys) else len(ext)
        vals[m.group(1)] = unescape_ext(ext[m.end():end])
    return parts, vals


def main():
    bg("audit", "init", "--origin", "test.local/export")
    notes = ["plain", "a|pipe", "x=1 and y=2", "back\\slash", "Zoë|x=y\\z"]
    for n in notes:
        bg("audit", "note", n)
    with open(os.path.join(STATE, "audit", "entries.jsonl"), "rb") as f:
        lines = f.read().splitlines()
    cp = bg("audit", "checkpoint").stdout.split("\n")
    size, root = int(cp[1]), cp[2]

    p = bg("audit", "export", "--format", "jsonl")
    recs = [json.loads(l) for l in p.stdout.splitlines()]
    check("jsonl: one record per entry (exit 0)",
          p.returncode == 0 and len(recs) == len(lines) == size,
          (p.returncode, len(recs), len(lines), size))
    leaves = [base64.b64encode(hashlib.sha256(b"\x00" + l).digest()).decode()
              for l in lines]
    check("jsonl: each leaf is SHA-256(0x00 || the entry line)",
          [r["leaf"] for r in recs] == leaves)
    check("jsonl: the entry, its seq, the current checkpoint",
          all(r["seq"] == i and r["entry"] == json.loads(lines[i]) and
              r["checkpoint"] == {"origin": "test.local/export",
                                  "size": size, "root": root}
              for i, r in enumerate(recs)), recs[:1])
    pr = bg("audit", "prove", "3", "--size", str(size)).stdout
    check("jsonl: audit prove names the same leaf for that seq and size",
          "leaf hash " + recs[3]["leaf"] in pr and "root " + root in pr, pr)
    since = recs[3]["entry"]["time"]
    p = bg("audit", "export", "--format", "jsonl", "--since", since)
    got = [json.loads(l)["seq"] for l in p.stdout.splitlines()]
    check("--since: the entries at or after it",
          got and got[0] <= 3 and got[-1] == size - 1 and
          all(recs[s]["entry"]["time"] >= since for s in got), got)

    p = bg("audit", "export", "--format", "cef")
    cef = p.stdout.splitlines()
    check("cef: one line per entry", p.returncode == 0 and
          len(cef) == size, p.stderr)
    ok = True
    for i, line in enumerate(cef):
        hdr, ext = parse_cef(line)
        e = json.loads(lines[i])
        detail = json.loads(ext.get("msg", "{}"))
        ok = ok and hdr[0] == "CEF:0" and hdr[1:3] == ["breakglass"] * 2 \
            and hdr[4] == e["event"] and ext["cn1"] == str(i) and \
            ext["cs3"] == leaves[i] and ext["cn2"] == str(size) and \
            ext["cs5"] == root and detail == e["detail"] and \
            ext.get("suser", "") == e["actor"]
        if not ok:
            check("cef: line %d parses back to its entry" % i, False, line)
            break
    check("cef: every line parses back to its entry (escaping |, =, \\)",
          ok)
    check("cef: a note's '=' is escaped in the extension",
          any("x\\=1 and y\\=2" in l for l in cef))

    for args, what in ((["--format", "xml"], "an unknown format"),
                       (["--format", "OCSF"], "a format in capitals"),
                       ([], "no format"),
                       (["--format", "jsonl", "extra"], "a stray word")):
        p = bg("audit", "export", *args)
        check("refused: %s (exit 2)" % what, p.returncode == 2 and
              p.stdout == "", p.stderr)
    if len(sys.argv) >= 4:
        ocsf(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4
             else "plain")
    shutil.rmtree(D, ignore_errors=True)
    return check.summary()


# MAPPING.md §3: event -> class_uid (this test's own reading of it)
CLASSES = {3002: ["approval.burn", "approval.granted", "approval.failed",
                  "approval.denied", "custody.attested"],
           6003: ["request.open", "release.done", "item.sealed",
                  "change.approved", "change.opened", "vault.refused",
                  "vault.read", "request.status"],
           3001: ["token.enrolled", "requester.added"],
           3006: ["custodian.added"],
           3004: ["config.init", "vault.init", "account.added",
                  "chain.link", "policy.changed", "vault.armed",
                  "change.applied"],
           2004: ["audit.verify_failed", "custody.violation"],
           0: ["audit.init", "operator.note"]}
CATEGORY = {3002: 3, 6003: 6, 3001: 3, 3006: 3, 3004: 3, 2004: 2, 0: 0}
SEVERITY = ["Unknown", "Informational", "Low", "Medium", "High", "Critical"]


def ocsf(vfido, pre, mode):
    sys.path.insert(0, os.path.join(HERE, "..", "ocsf"))
    sys.dont_write_bytecode = True
    import test_validate  # noqa: E402  (its RFC 9162 verifier)

    v = bgvault.Vault(BIN, vfido, pre, None, mode, os.path.join(D, "v"))
    v.setup("111122223333", clock=False)
    rid = v.request("111122223333", clock=False)
    for p in ("alice", "bob"):
        v.run("approve", rid, "--as", p, clock=False, must=True)
    v.run("release", rid, "--as", "rita", clock=False, must=True)
    v.run("audit", "note", "ocsf drill", clock=False, must=True)
    with open(os.path.join(v.state, "audit", "entries.jsonl"), "rb") as f:
        lines = f.read().splitlines()
    p = v.run("audit", "export", "--format", "ocsf", clock=False)
    evs = [json.loads(l) for l in p.stdout.splitlines()]
    check("ocsf: one event per entry of a whole ceremony (exit 0)",
          p.returncode == 0 and len(evs) == len(lines) > 25,
          (p.returncode, len(evs), len(lines), p.stderr))
    want = {e: c for c, es in CLASSES.items() for e in es}
    bad, seen = [], set()
    for i, ev in enumerate(evs):
        raw = lines[i]
        entry = json.loads(raw)
        seen.add(entry["event"])
        inc = ev["unmapped"]["breakglass"]["inclusion"]
        leaf = test_validate._h(b"\x00" + raw)
        b64 = base64.b64encode(leaf).decode()
        why = []
        if ev["raw_data"].encode() != raw:
            why.append("raw_data")
        if ev["metadata"]["uid"] != b64 or inc["leaf_hash"] != b64:
            why.append("uid")
        if ev["metadata"]["sequence"] != i or inc["leaf_index"] != i:
            why.append("sequence")
        if not test_validate.verify_inclusion(
                i, inc["tree_size"], leaf,
                [base64.b64decode(h) for h in inc["hashes"]],
                base64.b64decode(inc["root"])):
            why.append("inclusion proof")
        if inc["checkpoint"].split("\n")[:3] != [
                inc["origin"], str(inc["tree_size"]), inc["root"]]:
            why.append("checkpoint")
        if entry["event"] in want and ev["class_uid"] != want[entry["event"]]:
            why.append("class %d" % ev["class_uid"])
        if ev["type_uid"] != ev["class_uid"] * 100 + ev["activity_id"] or \
                ev["category_uid"] != CATEGORY.get(ev["class_uid"]) or \
                ev["severity"] != SEVERITY[ev["severity_id"]]:
            why.append("type, category or severity")
        if ev["unmapped"]["breakglass"]["detail"] != entry["detail"]:
            why.append("detail")
        if entry["event"] in ("custodian.added", "token.enrolled",
                              "requester.added") and \
                ev.get("user", {}).get("name") != entry["detail"]["person"]:
            why.append("the person")
        if why:
            bad.append("%d %s: %s" % (i, entry["event"], ", ".join(why)))
    check("ocsf: every event's class, leaf, sequence, detail and inclusion "
          "proof", not bad, bad[:5])
    check("ocsf: the ceremony's kinds all seen",
          {"approval.granted", "release.done", "token.enrolled",
           "custodian.added", "requester.added", "chain.link"} <= seen,
          sorted(seen))
    schema = os.path.join(HERE, "..", "ocsf", "schema")
    if os.path.isdir(schema):
        out = os.path.join(D, "ocsf.jsonl")
        with open(out, "w") as f:
            f.write(p.stdout)
        r = subprocess.run(["python3", os.path.join(schema, "..",
                                                    "validate.py"), out],
                           capture_output=True, text=True)
        check("ocsf: every event valid against the OCSF 1.8.0 schema",
              r.returncode == 0, r.stdout[-2000:])
    else:
        print("note: tests/ocsf/schema/ is absent: the schema check is "
              "not run (tests/ocsf/SOURCES.md)")


if __name__ == "__main__":
    sys.exit(main())
