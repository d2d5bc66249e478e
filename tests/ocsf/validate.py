#!/usr/bin/env python3
"""Validate OCSF events (one JSON object a line) against the OCSF schema in schema/.

usage: python3 validate.py [--schema DIR] [--warnings] FILE.jsonl
       python3 validate.py --list-classes

Each non-blank line is one event; it is checked against the class its class_uid
names, as the OCSF schema defines it after compilation (extends, $include,
profiles and the dictionary resolved the way the OCSF schema compiler does):

  - required attributes present, at every depth (nested objects too);
  - every attribute defined by the class or object, unless under `unmapped`;
    an attribute that belongs to a profile only when metadata.profiles names it;
  - types: boolean, integer (int32), long (int64), float, string, json, object,
    arrays, and the dictionary's subtypes (their range, max_len, regex, values);
    timestamp_t is milliseconds since the epoch;
  - enum values (activity_id, severity_id, status_id, category_uid, class_uid,
    type_uid, ...), an enum's string sibling equal to its caption (except 99 Other);
  - type_uid = class_uid * 100 + activity_id; metadata.version equal to the
    schema's version; the at_least_one / just_one constraints.

Prints `ok LINE` or `FAIL LINE: why; why...` per event; `--warnings` adds `warn LINE:`
lines (deprecated attributes, missing recommended attributes) on stderr. Exit 0
when every event passed, 1 when one failed, 2 on a usage, input or schema error.

Standard library only. Stricter than the OCSF server's validator where an
exporter of ours should be: JSON null values, duplicate keys, regex mismatches,
wrong enum siblings, integer_t beyond int32 and timestamps that are not
plausible milliseconds fail here (the server warns or accepts).
"""

import copy
import json
import math
import os
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_SCHEMA = HERE / "schema"

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
# timestamp_t is ms since the epoch: before 1973-03-03 (1e11 ms) is most likely
# seconds, after 5138-11-16 (1e14 ms) microseconds.
TS_MS = (10**11, 10**14)
REQUIREMENT_RANK = {None: 0, "optional": 1, "recommended": 2, "required": 3}


class SchemaError(Exception):
    pass


def _read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise SchemaError(f"{path}: {e}") from e


def _deep_merge(dest, source):
    """In place: source's keys win, dicts merged recursively, lists replaced."""
    for k, v in source.items():
        if k in dest and isinstance(dest[k], dict) and isinstance(v, dict):
            _deep_merge(dest[k], v)
        else:
            dest[k] = v


class Schema:
    """The OCSF base schema in DIR, compiled as the OCSF schema compiler does
    (ocsf/ocsf-schema-compiler, without platform extensions) for what it holds."""

    def __init__(self, root):
        self.root = Path(root)
        r = self.root
        self.version = _read_json(r / "version.json")["version"]
        dictionary = _read_json(r / "dictionary.json")
        self.dict_attrs = dictionary["attributes"]
        self.types = dictionary["types"]["attributes"]
        self.categories = _read_json(r / "categories.json")["attributes"]
        self._includes = {}
        self.profiles = {}
        for p in sorted((r / "profiles").glob("*.json")):
            item = _read_json(p)
            self.profiles[item["name"]] = item
            self._includes[str(p.relative_to(r))] = item
        raw_classes = {}
        for p in sorted((r / "events").rglob("*.json")):
            item = _read_json(p)
            raw_classes[item["name"]] = item
        raw_objects = {}
        for p in sorted((r / "objects").glob("*.json")):
            item = _read_json(p)
            raw_objects[item["name"]] = item
        self._observable_ids = self._gather_observables(dictionary, raw_classes, raw_objects)
        for items in (raw_classes, raw_objects):
            for name, item in items.items():
                self._upgrade_profiles(item)
                self._resolve_includes(item, name)
        self._resolve_extends(raw_classes, "class")
        self._resolve_extends(raw_objects, "object")
        self.classes = {
            n: c for n, c in raw_classes.items() if n == "base_event" or "uid" in c
        }
        self.objects = {n: o for n, o in raw_objects.items() if not n.startswith("_")}
        for name, cls in self.classes.items():
            self._enrich_class(name, cls)
        for items in (self.classes, self.objects):
            for item in items.values():
                self._add_datetime(item)
        for kind, items in (("class", self.classes), ("object", self.objects)):
            for name, item in items.items():
                self._finish(kind, name, item)
        if "observable" in self.objects:
            tid = self.objects["observable"]["attributes"]["type_id"]
            for k, caption in self._observable_ids.items():
                tid.setdefault("enum", {}).setdefault(k, {"caption": caption})
        self.by_uid = {c["uid"]: c for c in self.classes.values()}
        self._check_objects_present()

    # -- compilation steps (mirroring ocsf_schema_compiler.compiler) --

    @staticmethod
    def _gather_observables(dictionary, classes, objects):
        """observable.type_id's enum: every "observable" number the schema declares
        (dictionary types and attributes, objects, object and class attributes,
        class attribute paths). Complete here: every object that declares one is
        among the vendored objects (SOURCES.md)."""
        ids = {}
        for section in (dictionary["types"]["attributes"], dictionary["attributes"]):
            for name, d in section.items():
                if "observable" in d:
                    ids[str(d["observable"])] = d.get("caption", name)
        for items in (objects, classes):
            for name, item in items.items():
                if "observable" in item:
                    ids[str(item["observable"])] = item.get("caption", name)
                for aname, a in item.get("attributes", {}).items():
                    if isinstance(a, dict) and "observable" in a:
                        ids[str(a["observable"])] = f"{item.get('caption', name)}: {aname}"
                for apath, n in (item.get("observables") or {}).items():
                    ids[str(n)] = f"{item.get('caption', name)}: {apath}"
        return ids

    @staticmethod
    def _upgrade_profiles(item):
        for attr in item.get("attributes", {}).values():
            if isinstance(attr, dict) and "profile" in attr:
                p = attr.pop("profile")
                attr["profiles"] = None if p is None else [p]

    def _include(self, rel, context):
        if rel not in self._includes:
            path = self.root / rel
            if not path.is_file():
                raise SchemaError(f"{context}: $include {rel} is not in {self.root}")
            self._includes[rel] = _read_json(path)
        return self._includes[rel]

    def _resolve_includes(self, item, name):
        attrs = item.setdefault("attributes", {})
        if "$include" in attrs:
            inc = attrs.pop("$include")
            for rel in [inc] if isinstance(inc, str) else inc:
                included = self._include(rel, name)
                merged = copy.deepcopy(included.get("attributes", {}))
                if included.get("meta") == "profile":
                    for a in merged.values():
                        a["profiles"] = [included["name"]]
                self._merge_attributes(merged, item["attributes"])
                item["attributes"] = merged
        for aname, attr in list(item["attributes"].items()):
            if isinstance(attr, dict) and "$include" in attr:
                rel = attr.pop("$include")
                new = copy.deepcopy(self._include(rel, f"{name}.{aname}"))
                _deep_merge(new, attr)
                item["attributes"][aname] = new

    @staticmethod
    def _merge_attribute(dest, source):
        for k, v in source.items():
            if k not in dest:
                dest[k] = v
            elif dest[k] == v:
                pass
            elif k == "profiles":
                dest[k] = None if v is None else sorted(set(dest[k] or []) | set(v))
            elif (
                k == "requirement"
                and source.get("profiles") is not None
                and "profiles" in dest
            ):
                rank = max(REQUIREMENT_RANK[dest[k]], REQUIREMENT_RANK[v])
                dest[k] = [r for r, n in REQUIREMENT_RANK.items() if n == rank][0]
            elif isinstance(dest[k], dict) and isinstance(v, dict):
                _deep_merge(dest[k], v)
            else:
                dest[k] = v

    def _merge_attributes(self, dest, source):
        for name, attr in source.items():
            if name in dest:
                self._merge_attribute(dest[name], attr)
            else:
                dest[name] = attr

    def _resolve_extends(self, items, kind):
        done = set()

        def resolve(name, chain=()):
            if name in done or name is None:
                return
            if name in chain:
                raise SchemaError(f"{kind} {name}: extends loop")
            item = items[name]
            parent = item.get("extends")
            if parent:
                if parent not in items:
                    raise SchemaError(
                        f"{kind} {name} extends {parent}, which is not in the schema"
                        " directory (copy its file from upstream at the pinned commit)"
                    )
                resolve(parent, chain + (name,))
                new = copy.deepcopy(items[parent])
                for k, v in item.items():
                    if k == "attributes":
                        attrs = new.setdefault("attributes", {})
                        self._merge_attributes(attrs, v)
                    elif k == "profiles":
                        merged = set(new.get("profiles") or []) | set(v or [])
                        if merged:
                            new["profiles"] = sorted(merged)
                    else:
                        new[k] = v
                items[name] = new
            done.add(name)

        for name in list(items):
            resolve(name)

    def _enrich_class(self, name, cls):
        category = self.categories.get(cls.get("category"))
        category_uid = category["uid"] if category else 0
        uid = category_uid * 1000 + cls.get("uid", 0)
        cls["uid"] = uid
        attrs = cls["attributes"]
        activity_enum = attrs.get("activity_id", {}).get("enum")
        if not activity_enum:
            raise SchemaError(f"class {name}: activity_id has no enum")
        caption = cls.get("caption", name)
        type_enum = {
            str(uid * 100 + int(k)): {"caption": f"{caption}: {v.get('caption')}"}
            for k, v in activity_enum.items()
        }
        type_enum.setdefault(str(uid * 100), {"caption": f"{caption}: Unknown"})
        attrs.setdefault("type_uid", {})["enum"] = type_enum
        attrs.setdefault("class_uid", {})["enum"] = {str(uid): {"caption": caption}}
        attrs.setdefault("class_name", {})
        if category:
            cls["category_uid"] = category_uid
            attrs.setdefault("category_uid", {})["enum"] = {
                str(category_uid): {"caption": category.get("caption")}
            }
        else:
            cls["category_uid"] = 0

    def _dict_attr(self, name):
        if name in self.dict_attrs:
            return self.dict_attrs[name]
        if name.endswith("_dt"):
            base = self.dict_attrs.get(name[:-3], {})
            if base.get("type") == "timestamp_t":
                return {"caption": base.get("caption"), "type": "datetime_t"}
        return None

    def _add_datetime(self, item):
        if "datetime" not in self.profiles or "datetime_t" not in self.types:
            return
        additions = {}
        for name, attr in item["attributes"].items():
            t = attr.get("type") or (self.dict_attrs.get(name) or {}).get("type")
            if t == "timestamp_t":
                dt = copy.deepcopy(attr)
                dt["profiles"] = ["datetime"]
                dt["requirement"] = "optional"
                dt.pop("type", None)
                additions[name + "_dt"] = dt
        if additions:
            item["attributes"].update(additions)

    def _finish(self, kind, name, item):
        out = {}
        for aname, attr in item["attributes"].items():
            base = self._dict_attr(aname)
            if base is None:
                raise SchemaError(
                    f"{kind} {name}: attribute {aname} is not in dictionary.json"
                )
            new = copy.deepcopy(base)
            _deep_merge(new, attr)
            if new.get("requirement") is None:
                new["requirement"] = "optional"
            t = new.get("type")
            if t not in self.types:
                new["object_type"] = t
                new["type"] = "object_t"
            out[aname] = new
        item["attributes"] = out

    def _check_objects_present(self):
        missing = set()
        for items in (self.classes, self.objects):
            for item in items.values():
                for attr in item["attributes"].values():
                    if attr["type"] == "object_t" and attr["object_type"] not in self.objects:
                        missing.add(attr["object_type"])
        # every object an attribute of a held class or object names must be held
        if missing:
            raise SchemaError(
                "schema directory lacks objects/"
                + ", objects/".join(f"{m}.json" for m in sorted(missing))
                + " (copy them from upstream at the pinned commit; see SOURCES.md)"
            )


class Checker:
    def __init__(self, schema):
        self.s = schema

    def check(self, event):
        self.errors = []
        self.warnings = []
        if not isinstance(event, dict):
            self.errors.append("an event must be a JSON object")
            return
        uid = event.get("class_uid")
        if "class_uid" not in event:
            self.errors.append("class_uid: required attribute missing")
            return
        if not _is_int(uid) or uid not in self.s.by_uid:
            known = ", ".join(str(u) for u in sorted(self.s.by_uid) if u)
            self.errors.append(
                f"class_uid: {json.dumps(uid)} is not a class of this schema ({known})"
            )
            return
        cls = self.s.by_uid[uid]
        if "@deprecated" in cls:
            self.warnings.append(f"class {cls['name']} is deprecated")
        profiles = []
        meta = event.get("metadata")
        if isinstance(meta, dict) and isinstance(meta.get("profiles"), list):
            for i, p in enumerate(meta["profiles"]):
                if isinstance(p, str) and p not in self.s.profiles:
                    self.errors.append(
                        f"metadata.profiles[{i}]: unknown profile {json.dumps(p)}"
                    )
                elif isinstance(p, str):
                    profiles.append(p)
        self.profiles = set(profiles)
        self._item(event, cls, "", is_class=True)
        a = event.get("activity_id")
        t = event.get("type_uid")
        if _is_int(a) and _is_int(t) and t != uid * 100 + a:
            self.errors.append(
                f"type_uid: {t} is not class_uid*100+activity_id = {uid * 100 + a}"
            )
        if isinstance(meta, dict) and isinstance(meta.get("version"), str):
            if meta["version"] != self.s.version:
                self.errors.append(
                    f"metadata.version: {json.dumps(meta['version'])} is not the"
                    f" schema's version {self.s.version}"
                )

    def _visible(self, attr):
        ps = attr.get("profiles")
        return ps is None or any(p in self.profiles for p in ps)

    def _item(self, value, item, path, is_class=False):
        attrs = {n: a for n, a in item["attributes"].items() if self._visible(a)}
        for name, attr in attrs.items():
            p = f"{path}.{name}" if path else name
            if name not in value:
                req = attr.get("requirement")
                if req == "required":
                    self.errors.append(f"{p}: required attribute missing")
                elif req == "recommended":
                    self.warnings.append(f"{p}: recommended attribute missing")
                continue
            self._attribute(value[name], attr, p, value, path)
        if item["attributes"]:  # the bare "object" (unmapped, xattributes) takes anything
            for name in value:
                if name in attrs:
                    continue
                p = f"{path}.{name}" if path else name
                where = f"class {item['name']}" if is_class else f"object {item['name']}"
                if name in item["attributes"]:
                    ps = item["attributes"][name].get("profiles")
                    self.errors.append(
                        f"{p}: belongs to profile {', '.join(ps)}, which metadata.profiles"
                        " does not name"
                    )
                elif is_class:
                    self.errors.append(
                        f"{p}: unknown attribute of {where} (put it under unmapped)"
                    )
                else:
                    self.errors.append(f"{p}: unknown attribute of {where}")
        for kind, names in (item.get("constraints") or {}).items():
            present = [n for n in names if n in value]
            where = path or f"class {item['name']}"
            if kind == "at_least_one" and not present:
                self.errors.append(f"{where}: needs at least one of {', '.join(names)}")
            elif kind == "just_one" and len(present) != 1:
                self.errors.append(
                    f"{where}: needs exactly one of {', '.join(names)}, has {len(present)}"
                )
            elif kind not in ("at_least_one", "just_one"):
                self.errors.append(f"{where}: schema constraint {kind} not understood")

    def _attribute(self, value, attr, path, parent, parent_path):
        if value is None:
            self.errors.append(f"{path}: null (omit an attribute that has no value)")
            return
        if "@deprecated" in attr:
            self.warnings.append(
                f"{path}: deprecated since {attr['@deprecated'].get('since')}"
            )
        if attr.get("is_array"):
            if not isinstance(value, list):
                self.errors.append(f"{path}: expected an array, got {_jtype(value)}")
                return
            for i, v in enumerate(value):
                if v is None:
                    self.errors.append(f"{path}[{i}]: null")
                    continue
                if self._value(v, attr, f"{path}[{i}]"):
                    self._enum(v, attr, f"{path}[{i}]", parent, parent_path, index=i)
        elif self._value(value, attr, path):
            self._enum(value, attr, path, parent, parent_path)

    def _value(self, v, attr, path):
        """Type check; True when the value has the right type (enum check follows)."""
        t = attr["type"]
        if t == "object_t":
            obj = self.s.objects[attr["object_type"]]
            if not isinstance(v, dict):
                self.errors.append(
                    f"{path}: expected object {obj['name']}, got {_jtype(v)}"
                )
                return False
            if "@deprecated" in obj:
                self.warnings.append(f"{path}: object {obj['name']} is deprecated")
            self._item(v, obj, path)
            return True
        tdef = self.s.types[t]
        base = tdef.get("type", t)
        bdef = self.s.types.get(base, {})
        ok = {
            "boolean_t": lambda x: isinstance(x, bool),
            "integer_t": _is_int,
            "long_t": _is_int,
            "float_t": lambda x: isinstance(x, (int, float))
            and not isinstance(x, bool)
            and math.isfinite(x),
            "string_t": lambda x: isinstance(x, str),
            "json_t": lambda x: True,
        }.get(base)
        if ok is None:
            self.errors.append(f"{path}: schema type {t} ({base}) not understood")
            return False
        if not ok(v):
            name = t if base == t else f"{t} ({base})"
            self.errors.append(f"{path}: expected {name}, got {_jtype(v)} {_short(v)}")
            return False
        lo_hi = tdef.get("range") or bdef.get("range")
        if base == "integer_t" and not lo_hi:
            lo_hi = INT32
        if base == "long_t" and not lo_hi:
            lo_hi = INT64
        if lo_hi and not lo_hi[0] <= v <= lo_hi[1]:
            self.errors.append(f"{path}: {v} is outside {t}'s range {lo_hi[0]}..{lo_hi[1]}")
            return False
        if t == "timestamp_t" and not TS_MS[0] <= v < TS_MS[1]:
            self.errors.append(
                f"{path}: {v} is not a timestamp in milliseconds since the epoch"
                " (seconds or microseconds?)"
            )
            return False
        if isinstance(v, str):
            max_len = tdef.get("max_len") or bdef.get("max_len")
            if max_len and len(v) > max_len:
                self.errors.append(f"{path}: longer than {t}'s {max_len} characters")
                return False
            rx = tdef.get("regex")
            if rx and not re.search(rx, v):
                self.errors.append(f"{path}: {_short(v)} does not match {t}'s pattern")
                return False
        values = tdef.get("values") or bdef.get("values")
        if values is not None and v not in values:
            self.errors.append(f"{path}: {_short(v)} is not one of {t}'s values")
            return False
        return True

    def _enum(self, v, attr, path, parent, parent_path, index=None):
        enum = attr.get("enum")
        if not enum:
            return
        key = str(v)
        if key not in enum:
            allowed = ", ".join(f"{k} {e.get('caption')}" for k, e in enum.items())
            self.errors.append(f"{path}: {_short(v)} is not in its enum ({allowed})")
            return
        if "@deprecated" in enum[key]:
            self.warnings.append(f"{path}: enum value {key} is deprecated")
        sib = attr.get("sibling")
        if sib and sib in parent and v != 99:
            sv = parent[sib]
            if index is not None:
                sv = sv[index] if isinstance(sv, list) and index < len(sv) else None
            cap = enum[key].get("caption")
            if sv != cap:
                spath = f"{parent_path}.{sib}" if parent_path else sib
                if index is not None:
                    spath += f"[{index}]"
                self.errors.append(
                    f"{spath}: {_short(sv)} is not the caption of {path}={key}"
                    f" ({json.dumps(cap)})"
                )


def _is_int(x):
    return isinstance(x, int) and not isinstance(x, bool)


def _jtype(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def _short(v, n=40):
    s = json.dumps(v, ensure_ascii=False)
    return s if len(s) <= n else s[: n - 1] + "…"


def _no_duplicates(pairs):
    seen = {}
    for k, v in pairs:
        if k in seen:
            raise ValueError(f"duplicate key {json.dumps(k)}")
        seen[k] = v
    return seen


def _no_constant(name):
    raise ValueError(f"{name} is not JSON")


def parse_line(text):
    return json.loads(
        text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant
    )


def validate_lines(schema, lines):
    """Yields (line number, errors, warnings) for each non-blank line."""
    checker = Checker(schema)
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            event = parse_line(line)
        except ValueError as e:
            yield n, [f"not JSON: {e}"], []
            continue
        checker.check(event)
        yield n, checker.errors, checker.warnings


def main(argv):
    args = list(argv)
    schema_dir = os.environ.get("BG_OCSF_SCHEMA") or str(DEFAULT_SCHEMA)
    warnings = False
    list_classes = False
    files = []
    while args:
        a = args.pop(0)
        if a == "--schema" and args:
            schema_dir = args.pop(0)
        elif a in ("-w", "--warnings"):
            warnings = True
        elif a == "--list-classes":
            list_classes = True
        elif a in ("-h", "--help"):
            print(__doc__.strip())
            return 0
        elif a.startswith("-") and a != "-":
            print(f"validate.py: unknown option {a}", file=sys.stderr)
            return 2
        else:
            files.append(a)
    try:
        schema = Schema(schema_dir)
    except (SchemaError, KeyError) as e:
        print(f"validate.py: schema {schema_dir}: {e}", file=sys.stderr)
        return 2
    if list_classes:
        for c in sorted(schema.classes.values(), key=lambda c: c["uid"]):
            print(c["uid"], c["name"], c.get("caption", ""))
        return 0
    if len(files) != 1:
        print("usage: python3 validate.py [--schema DIR] [--warnings] FILE.jsonl",
              file=sys.stderr)
        return 2
    try:
        if files[0] == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(files[0], "rb") as f:
                data = f.read()
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        print(f"validate.py: {files[0]}: {e}", file=sys.stderr)
        return 2
    failed = total = 0
    for n, errors, warns in validate_lines(schema, text.split("\n")):
        total += 1
        if errors:
            failed += 1
            print(f"FAIL {n}: " + "; ".join(errors))
        else:
            print(f"ok {n}")
        if warnings:
            for w in warns:
                print(f"warn {n}: {w}", file=sys.stderr)
    print(
        f"validate.py: {total} event(s), {failed} failing, OCSF {schema.version}",
        file=sys.stderr,
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
