#!/usr/bin/env python3
"""The exporter's OCSF mapping against the samples (samples/good.jsonl).

Each sample is a real audit entry mapped by hand as MAPPING.md says and
validated, when it was written, against the OCSF 1.8.0 schema with
validate.py. The entry (raw_data) is given to bg_ocsf_event() through
ocsf_map; the event it makes must equal the sample in every attribute
but three that are not the mapping's to fix: `message` (free text for
people: checked to be one non-empty line), the host name (given as the
sample's) and unmapped.breakglass.inclusion (the exporter adds it from
the log; test_export.py checks it).

Sample 11 (token.enrolled) named the person from vault.json, since the
entry did not (MAPPING.md §4). Entries now carry detail.person: the
sample's entry is given with that member added, and the fields derived
from the line itself (raw_data, its size and hash, metadata.uid, the
detail) are compared with the new line's, not the sample's.

Then the bad input: a line that is not an entry is refused, not mapped.

usage: test_golden.py OCSF_MAP
"""

import base64
import copy
import hashlib
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
MAP = sys.argv[1]
HOST = "bg-host.example.org"


def run_map(lines, origin, version="0.1.0"):
    p = subprocess.run([MAP, HOST, version, origin], input="\n".join(lines)
                       + "\n", capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout.splitlines()


def strip(ev):
    ev = copy.deepcopy(ev)
    ev.pop("message", None)
    ev.get("unmapped", {}).get("breakglass", {}).pop("inclusion", None)
    return ev


def derived(ev, line):
    """The fields made from the line itself, as the exporter must make them."""
    raw = line.encode()
    leaf = base64.b64encode(hashlib.sha256(b"\x00" + raw).digest()).decode()
    ev["raw_data"] = line
    ev["raw_data_size"] = len(raw)
    ev["raw_data_hash"]["value"] = hashlib.sha256(raw).hexdigest()
    ev["metadata"]["uid"] = leaf
    ev["unmapped"]["breakglass"]["detail"] = json.loads(line)["detail"]


def diff(a, b, path=""):
    if type(a) != type(b):
        return ["%s: %r != %r" % (path, a, b)]
    if isinstance(a, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append("%s.%s: only in %s" % (path, k,
                           "ours" if k in a else "the sample"))
            else:
                out += diff(a[k], b[k], path + "." + k)
        return out
    if isinstance(a, list):
        if len(a) != len(b):
            return ["%s: %d items != %d" % (path, len(a), len(b))]
        return sum((diff(x, y, "%s[%d]" % (path, i))
                    for i, (x, y) in enumerate(zip(a, b))), [])
    return [] if a == b else ["%s: %r != %r" % (path, a, b)]


def main():
    passed = failed = 0
    with open(os.path.join(HERE, "samples", "good.jsonl")) as f:
        samples = [json.loads(line) for line in f if line.strip()]
    for n, want in enumerate(samples, 1):
        line = want["raw_data"]
        want = copy.deepcopy(want)
        entry = json.loads(line)
        if entry["event"] == "token.enrolled":
            line = line.replace('"detail":{', '"detail":{"person":"%s",'
                                % want["user"]["name"], 1)
            derived(want, line)
        origin = want["metadata"]["log_source"]
        rc, out = run_map([line], origin)
        if rc != 0 or len(out) != 1:
            print("FAIL %d %s: ocsf_map exit %d: %s" % (n, entry["event"],
                                                      rc, out))
            failed += 1
            continue
        got = json.loads(out[0])
        d = diff(strip(got), strip(want))
        msg = got.get("message", "")
        if not msg or "\n" in msg:
            d.append("message: %r is not one line" % msg)
        if d:
            print("FAIL %d %s:\n  %s" % (n, entry["event"], "\n  ".join(d)))
            failed += 1
        else:
            print("ok   %d %s (class %d)" % (n, entry["event"],
                                             got["class_uid"]))
            passed += 1

    # an entry without the person it should name (written before entries
    # named one): Account Change needs a user, so it is a Base Event
    old = samples[10]["raw_data"]
    rc, out = run_map([old], "o")
    ev = json.loads(out[0]) if rc == 0 and out else {}
    ok = ev.get("class_uid") == 0 and ev.get("type_uid") == 99 and \
        "user" not in ev
    print("%s token.enrolled without detail.person: Base Event 0" %
          ("ok  " if ok else "FAIL"))
    passed, failed = passed + ok, failed + (not ok)

    # bad input: each line refused (exit 1, ERROR), none mapped
    bad = ["", "not json", "{}", '{"seq":1}',
           samples[0]["raw_data"][:-1],                    # cut short
           samples[0]["raw_data"].replace('"seq":', '"sek":', 1),
           samples[0]["raw_data"] + " trailing"]
    for b in bad:
        rc, out = run_map([b], "o")
        ok = rc == 1 and out == ["ERROR %s" % out[0].split()[1]] if out \
            else False
        print("%s refused: %r" % ("ok  " if ok else "FAIL", b[:40]))
        passed, failed = passed + ok, failed + (not ok)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
