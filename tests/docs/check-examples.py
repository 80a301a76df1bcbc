#!/usr/bin/env python3
"""tests/docs/check-examples.py — the examples of docs/openapi.yaml cannot rot.

Fails (exit 1) when a JSON request body or a 2xx JSON response has no `example` (or
`examples`) on its media type, or when an example present anywhere in the spec does not
validate against the schema beside it (JSON Schema 2020-12, the same resolution and
validator as the integration suite's tests/integration/openapi_check.py). Prints one line
per problem, then "examples: N bodies and responses, M missing, K invalid".
Usage: check-examples.py [path/to/openapi.yaml]
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

import openapi_check  # noqa: E402


def counted(contract):
    """How many JSON request bodies and 2xx JSON responses the spec has (components once)."""
    seen = set()
    for template, item in contract.spec["paths"].items():
        for m in openapi_check.METHODS:
            op = item.get(m)
            if not op:
                continue
            parts = [("request", op.get("requestBody") or {})]
            parts += [(s, r) for s, r in op.get("responses", {}).items() if str(s).startswith("2")]
            for name, raw in parts:
                key = raw.get("$ref") or "%s %s %s" % (m, template, name)
                for ctype in contract.deref(raw).get("content") or {}:
                    if ctype.endswith("json"):
                        seen.add((key, ctype))
    return len(seen)


def main():
    spec = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "docs", "openapi.yaml")
    contract = openapi_check.Contract(spec)
    missing = contract.missing_examples()
    invalid = contract.check_examples()
    for line in missing:
        print("missing: " + line)
    for line in invalid:
        print("invalid: " + line)
    print("examples: %d bodies and responses, %d missing, %d invalid"
          % (counted(contract), len(missing), len(invalid)))
    return 1 if missing or invalid else 0


if __name__ == "__main__":
    sys.exit(main())
