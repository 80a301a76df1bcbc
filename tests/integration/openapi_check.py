"""Checks HTTP answers against docs/openapi.yaml, the published contract.

Every response the harness receives goes through `Contract.check(method, url, status,
headers, body)`, which returns a list of violations (empty when the answer is what the
spec declares):

- the path matches one of the spec's paths (templates such as /api/v1/plans/{id});
  an unknown path must be a 404 problem;
- the method is one of that path's operations; otherwise the answer must be 405, a
  problem, with `Allow` naming exactly the path's methods;
- the status is declared by the operation (or by `x-common-responses`, the statuses
  every operation can give, listed once at the spec's root);
- the `Content-Type` is one the response declares (a response without content must
  have no body), and a JSON body validates against its schema as JSON Schema 2020-12
  (jsonschema's Draft202012Validator, Debian's python3-jsonschema);
- every example in the spec validates against the schema beside it
  (`Contract.check_examples`), and every JSON request body and 2xx JSON response has one
  (`Contract.missing_examples`); tests/docs/check-examples.py runs both in check-docs.sh.

The spec is read with python3-yaml. A schema is validated inside a root document that
carries the spec's `components`, so `$ref: '#/components/...'` resolves without a
resolver object (whose API differs between jsonschema versions).
"""
import json
import os
import re
import urllib.parse

import jsonschema
import yaml

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
DIALECT = "https://json-schema.org/draft/2020-12/schema"


class Contract:
    def __init__(self, spec_path):
        with open(spec_path, encoding="utf-8") as f:
            self.spec = yaml.safe_load(f)
        self.components = self.spec.get("components", {})
        self.common = self.spec.get("x-common-responses", {})
        self.paths = []  # (regex, template, path item), literal paths before templated ones
        for template, item in self.spec["paths"].items():
            rx = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
            self.paths.append((re.compile(rx), template, item))
        self.paths.sort(key=lambda p: p[1].count("{"))
        self.validators = {}

    # ---- lookup ----
    def deref(self, obj):
        while isinstance(obj, dict) and "$ref" in obj and len(obj) == 1:
            ref = obj["$ref"]
            assert ref.startswith("#/"), "only local $ref: %s" % ref
            node = self.spec
            for part in ref[2:].split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
            obj = node
        return obj

    def match_path(self, path):
        for rx, template, item in self.paths:
            if rx.match(path):
                return template, item
        return None, None

    def validator(self, schema):
        key = json.dumps(schema, sort_keys=True)
        v = self.validators.get(key)
        if v is None:
            root = {"$schema": DIALECT, "components": self.components, "allOf": [schema]}
            v = jsonschema.Draft202012Validator(root)
            self.validators[key] = v
        return v

    def schema_errors(self, schema, instance, where):
        out = []
        for e in sorted(self.validator(schema).iter_errors(instance), key=lambda e: list(e.path)):
            loc = "/".join(str(p) for p in e.path) or "(body)"
            out.append("%s: %s: %s" % (where, loc, e.message[:300]))
        return out

    # ---- responses ----
    def check(self, method, url, status, headers, body):
        """Violations of the contract by this answer (headers: dict with lower-case names)."""
        path = urllib.parse.urlsplit(url).path
        where = "%s %s -> %d" % (method, path, status)
        template, item = self.match_path(path)
        if template is None:
            if status != 404:
                return ["%s: the path is not in docs/openapi.yaml" % where]
            return self.check_content(where, {"content": {"application/problem+json": {
                "schema": {"$ref": "#/components/schemas/Problem"}}}}, headers, body)
        op = item.get(method.lower())
        if op is None:
            if method.upper() == "HEAD" and "get" in item:
                op = item["get"]  # HEAD is GET without the body
            else:
                return self.check_wrong_method(where, item, status, headers, body)
        responses = op.get("responses", {})
        resp = responses.get(str(status)) or self.common.get(str(status)) or responses.get("default")
        if resp is None:
            return ["%s: status %d is not declared for %s %s" % (where, status, method.upper(), template)]
        if method.upper() == "HEAD":
            return []
        return self.check_content(where, self.deref(resp), headers, body)

    def check_wrong_method(self, where, item, status, headers, body):
        allowed = sorted(m.upper() for m in METHODS if m in item)
        if status != 405:
            return ["%s: the method is not in docs/openapi.yaml for this path (expected 405)" % where]
        out = []
        got = sorted(m.strip().upper() for m in (headers.get("allow") or "").split(",") if m.strip())
        got_wo_head = [m for m in got if m != "HEAD" or "HEAD" in allowed]
        if got_wo_head != allowed:
            out.append("%s: Allow is %r, the spec's methods are %s" % (where, headers.get("allow"), allowed))
        return out + self.check_content(where, self.deref(self.common["405"]), headers, body)

    def check_content(self, where, resp, headers, body):
        content = resp.get("content")
        ctype = (headers.get("content-type") or "").split(";")[0].strip().lower()
        if not content:
            if body:
                return ["%s: the spec declares no body, got %d bytes of %r" % (where, len(body), ctype)]
            return []
        media = content.get(ctype)
        if media is None:
            return ["%s: Content-Type %r is not one of %s" % (where, ctype, sorted(content))]
        if not (ctype == "application/json" or ctype.endswith("+json")):
            return []
        try:
            instance = json.loads(body.decode("utf-8"))
        except ValueError as e:
            return ["%s: the body is not JSON: %s" % (where, e)]
        schema = media.get("schema")
        if schema is None:
            return ["%s: no schema declared for %s" % (where, ctype)]
        return self.schema_errors(schema, instance, where)

    # ---- examples ----
    def check_examples(self):
        """Violations by the spec's own examples: each `example` (or `examples` entry) of a
        media type validates against that media type's schema; each schema's `example`
        against that schema."""
        out = []

        def media_examples(where, media):
            schema = media.get("schema")
            found = []
            if "example" in media:
                found.append(("example", media["example"]))
            for name, ex in (media.get("examples") or {}).items():
                ex = self.deref(ex)
                if "value" in ex:
                    found.append(("examples/" + name, ex["value"]))
            for name, value in found:
                out.extend(self.schema_errors(schema, value, "%s %s" % (where, name)))
            return found

        for template, item in self.spec["paths"].items():
            for m in METHODS:
                op = item.get(m)
                if not op:
                    continue
                body = self.deref(op.get("requestBody") or {})
                for ctype, media in (body.get("content") or {}).items():
                    media_examples("%s %s request %s" % (m.upper(), template, ctype), media)
                for status, resp in op.get("responses", {}).items():
                    for ctype, media in (self.deref(resp).get("content") or {}).items():
                        media_examples("%s %s %s %s" % (m.upper(), template, status, ctype), media)
        for name, schema in self.components.get("schemas", {}).items():
            if isinstance(schema, dict) and "example" in schema:
                out.extend(self.schema_errors({"$ref": "#/components/schemas/" + name}, schema["example"],
                                              "components/schemas/%s example" % name))
        return out

    def missing_examples(self):
        """Operations whose JSON request body or 2xx JSON response has no `example` (or
        `examples`) on the media type itself; an example on the schema does not count. A
        body or response named by $ref (components/requestBodies, components/responses) is
        reported once, by its component name, however many operations use it."""
        out = []
        seen = set()

        def report(where, ref, ctype, media):
            if not ctype.endswith("json") or "example" in media or media.get("examples"):
                return
            if ref is not None:
                where = ref[2:]
                if (where, ctype) in seen:
                    return
                seen.add((where, ctype))
            out.append("%s %s has no example" % (where, ctype))

        def ref_of(obj):
            return obj.get("$ref") if isinstance(obj, dict) else None

        for template, item in self.spec["paths"].items():
            for m in METHODS:
                op = item.get(m)
                if not op:
                    continue
                raw = op.get("requestBody") or {}
                for ctype, media in (self.deref(raw).get("content") or {}).items():
                    report("%s %s: request" % (m.upper(), template), ref_of(raw), ctype, media)
                for status, raw in op.get("responses", {}).items():
                    if not str(status).startswith("2"):
                        continue
                    for ctype, media in (self.deref(raw).get("content") or {}).items():
                        report("%s %s: %s" % (m.upper(), template, status), ref_of(raw), ctype, media)
        return out

_CONTRACT = None


def contract(root):
    """The one Contract of docs/openapi.yaml under root (read once per run)."""
    global _CONTRACT
    if _CONTRACT is None:
        _CONTRACT = Contract(os.path.join(root, "docs", "openapi.yaml"))
    return _CONTRACT
