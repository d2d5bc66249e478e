#!/usr/bin/env python3
"""Self-test of validate.py, the vendored OCSF schema and the samples.

run: python3 tests/ocsf/test_validate.py      (or: python3 -m pytest tests/ocsf)

- the schema files are byte for byte those of SOURCES.md (schema/FILES.sha256);
- every sample in samples/good.jsonl passes; every line of samples/bad.jsonl
  fails with exactly the reasons samples/bad.expected.json names;
- the good samples follow MAPPING.md's proof convention: metadata.uid is the
  RFC 6962 leaf hash of raw_data, and the inclusion proof in
  unmapped.breakglass.inclusion leads to the root its checkpoint signs;
- samples/cef_vectors.json agrees with CEF.md's rules (a reference escaper).
Standard library only.
"""

import base64
import calendar
import hashlib
import json
import os
import subprocess
import sys
import time
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(HERE))
import validate  # noqa: E402

SAMPLES = HERE / "samples"
SCHEMA = HERE / "schema"


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [line for line in f.read().split("\n") if line.strip()]


class SchemaFiles(unittest.TestCase):
    def test_files_match_manifest(self):
        listed = {}
        for line in (SCHEMA / "FILES.sha256").read_text().splitlines():
            digest, name = line.split(None, 1)
            listed[name.lstrip("*")] = digest
        present = {
            str(p.relative_to(SCHEMA))
            for p in SCHEMA.rglob("*")
            if p.is_file() and p.name != "FILES.sha256"
        }
        self.assertEqual(present, set(listed), "files added or missing in schema/")
        for name, digest in listed.items():
            got = hashlib.sha256((SCHEMA / name).read_bytes()).hexdigest()
            self.assertEqual(got, digest, f"schema/{name} changed")

    def test_classes(self):
        s = validate.Schema(SCHEMA)
        self.assertEqual(s.version, "1.8.0")
        self.assertEqual(sorted(s.by_uid), [0, 2004, 3001, 3002, 3004, 3006, 6003])
        auth = s.by_uid[3002]["attributes"]
        # inherited from base_event and iam, required from authentication
        for a in ("time", "metadata", "severity_id", "type_uid", "user"):
            self.assertEqual(auth[a]["requirement"], "required", a)
        self.assertEqual(auth["type_uid"]["enum"].keys() >= {"300201", "300299"}, True)
        self.assertEqual(list(auth["category_uid"]["enum"]), ["3"])
        self.assertEqual(s.by_uid[3002]["constraints"], {"at_least_one": ["service", "dst_endpoint"]})
        # a profile's attribute is tagged with it ("profile": null keeps actor out of host)
        self.assertEqual(auth["device"]["profiles"], ["host"])
        self.assertIsNone(auth["actor"].get("profiles"))
        self.assertEqual(s.objects["metadata"]["attributes"]["sequence"]["type"], "integer_t")


class Samples(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.schema = validate.Schema(SCHEMA)

    def results(self, name):
        return list(validate.validate_lines(self.schema, read_jsonl(SAMPLES / name)))

    def test_good_pass(self):
        res = self.results("good.jsonl")
        self.assertGreaterEqual(len(res), 10)
        for n, errors, _ in res:
            self.assertEqual(errors, [], f"good.jsonl line {n}")

    def test_good_cover_the_classes(self):
        uids = {json.loads(line)["class_uid"] for line in read_jsonl(SAMPLES / "good.jsonl")}
        self.assertEqual(uids, {0, 2004, 3001, 3002, 3004, 3006, 6003})

    def test_bad_fail_for_their_reason(self):
        expected = json.loads((SAMPLES / "bad.expected.json").read_text())
        res = self.results("bad.jsonl")
        self.assertEqual(len(res), len(expected))
        for (n, errors, _), exp in zip(res, expected):
            with self.subTest(line=n, why=exp["why"]):
                self.assertEqual(n, exp["line"])
                self.assertEqual(len(errors), len(exp["expect"]), errors)
                for want in exp["expect"]:
                    self.assertTrue(any(want in e for e in errors), (want, errors))

    def test_command_line(self):
        def run(*args):
            return subprocess.run(
                [sys.executable, str(HERE / "validate.py"), *args],
                capture_output=True, text=True, timeout=120,
            )
        good = run(str(SAMPLES / "good.jsonl"))
        self.assertEqual(good.returncode, 0, good.stdout + good.stderr)
        self.assertTrue(all(l.startswith("ok ") for l in good.stdout.splitlines()))
        bad = run(str(SAMPLES / "bad.jsonl"))
        self.assertEqual(bad.returncode, 1)
        lines = bad.stdout.splitlines()
        self.assertEqual(len(lines), 24)
        self.assertTrue(lines[0].startswith("FAIL 1: user: required attribute missing"))
        self.assertEqual(run().returncode, 2)
        self.assertEqual(run("--schema", str(HERE / "nowhere"), str(SAMPLES / "good.jsonl")).returncode, 2)


def _h(data):
    return hashlib.sha256(data).digest()


def verify_inclusion(index, size, leaf, proof, root):
    """RFC 9162 §2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = _h(b"\x01" + p + r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = _h(b"\x01" + r + p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


class ProofConvention(unittest.TestCase):
    def test_good_samples_prove_inclusion(self):
        for n, line in enumerate(read_jsonl(SAMPLES / "good.jsonl"), 1):
            with self.subTest(line=n):
                ev = json.loads(line)
                raw = ev["raw_data"].encode("utf-8")
                entry = json.loads(raw)
                inc = ev["unmapped"]["breakglass"]["inclusion"]
                leaf = _h(b"\x00" + raw)
                b64 = base64.b64encode(leaf).decode()
                self.assertEqual(ev["metadata"]["uid"], b64)
                self.assertEqual(inc["leaf_hash"], b64)
                self.assertEqual(ev["metadata"]["sequence"], entry["seq"])
                self.assertEqual(inc["leaf_index"], entry["seq"])
                self.assertEqual(ev["metadata"]["event_code"], entry["event"])
                self.assertEqual(ev["metadata"]["original_time"], entry["time"])
                t = entry["time"]
                ms = calendar.timegm(time.strptime(t[:19], "%Y-%m-%dT%H:%M:%S")) * 1000 + int(t[20:23])
                self.assertEqual(ev["time"], ms)
                if entry["request"]:
                    self.assertEqual(ev["metadata"]["correlation_uid"], entry["request"])
                if entry["account"]:
                    self.assertEqual(ev["cloud"]["account"]["uid"], entry["account"])
                self.assertEqual(ev["unmapped"]["breakglass"]["detail"], entry["detail"])
                self.assertEqual(ev["raw_data_hash"]["value"], hashlib.sha256(raw).hexdigest())
                self.assertEqual(ev["raw_data_size"], len(raw))
                body = inc["checkpoint"].split("\n\n")[0].split("\n")
                self.assertEqual(body, [inc["origin"], str(inc["tree_size"]), inc["root"]])
                self.assertEqual(ev["metadata"]["log_source"], inc["origin"])
                self.assertTrue(verify_inclusion(
                    inc["leaf_index"], inc["tree_size"], leaf,
                    [base64.b64decode(p) for p in inc["hashes"]],
                    base64.b64decode(inc["root"])))


def cef_header(s):
    """CEF.md: header fields escape backslash then pipe; a newline is refused."""
    if "\r" in s or "\n" in s:
        return None
    return s.replace("\\", "\\\\").replace("|", "\\|")


def cef_extension(s):
    """CEF.md: extension values escape backslash, then =, CR and LF."""
    return s.replace("\\", "\\\\").replace("=", "\\=").replace("\r", "\\r").replace("\n", "\\n")


def cef_unescape_extension(s):
    out, i = [], 0
    while i < len(s):
        if s[i] == "\\" and i + 1 < len(s):
            out.append({"n": "\n", "r": "\r"}.get(s[i + 1], s[i + 1]))
            i += 2
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


class CefVectors(unittest.TestCase):
    def test_vectors(self):
        vectors = json.loads((SAMPLES / "cef_vectors.json").read_text(encoding="utf-8"))
        self.assertEqual(len(vectors), 10)
        doc = (HERE / "CEF.md").read_text(encoding="utf-8")
        for v in vectors:
            with self.subTest(n=v["n"]):
                self.assertEqual(cef_header(v["input"]), v["header"])
                self.assertEqual(cef_extension(v["input"]), v["extension"])
                self.assertEqual(cef_unescape_extension(v["extension"]), v["input"])
                self.assertIn(v["extension"], doc)
                if v["header"] is not None:
                    self.assertIn(v["header"], doc)


if __name__ == "__main__":
    unittest.main(verbosity=2)
