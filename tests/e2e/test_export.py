#!/usr/bin/env python3
"""audit export, end to end (docs/export.md): JSON Lines and CEF from a
real log, each record's leaf hash equal to SHA-256(0x00 || the entry line)
and to what audit prove names for that seq, its checkpoint the log's
current one; CEF lines parsed back (header fields, extension values
unescaped) to the entries; --since; bad arguments refused.

usage: test_export.py BREAKGLASS
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

    for args, what in ((["--format", "ocsf"], "ocsf (not built)"),
                       (["--format", "xml"], "an unknown format"),
                       ([], "no format"),
                       (["--format", "jsonl", "extra"], "a stray word")):
        p = bg("audit", "export", *args)
        check("refused: %s (exit 2)" % what, p.returncode == 2 and
              p.stdout == "", p.stderr)
    shutil.rmtree(D, ignore_errors=True)
    return check.summary()


if __name__ == "__main__":
    sys.exit(main())
