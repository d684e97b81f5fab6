#!/usr/bin/env python3
"""Validate emulator replies against Cloudflare's own OpenAPI schemas.

Reads a JSON list of cases on stdin: {"path": "/accounts/{account_id}/images/v1", "method":
"post", "status": 200, "body": {...}}. Each body is validated against the schema the spec gives
for that path, method and status (4xx replies against the spec's "4XX" entry). OpenAPI 3.0
schemas become JSON Schema (draft 4) by turning `nullable` into a null type. Prints one JSON
object: {"checked": N, "failures": [...]}; exits 1 if any case fails or has no schema.
"""
import json
import sys

import jsonschema

SPEC = sys.argv[1]


# Where Cloudflare's own spec contradicts itself, the emulator follows the documented behaviour
# and the check follows it too. Each exception names its evidence.
#  - images_image_identifier ("Image unique identifier.") has maxLength 32, yet the spec's own example id has 36 characters
#    and custom ids may have up to 1024 (developers.cloudflare.com/images/.../upload-custom-path).
#  - The Images 4XX entries are allOf(success envelope, failure envelope), which no reply can
#    satisfy (success must be both true and false); a failure is checked against the spec's
#    `*api-response-common-failure` schema, which is what every 4XX entry contains.
RELAXED_MAX_LENGTH = {"images_image_identifier"}


def find_named(node, suffix):
    if isinstance(node, dict):
        if str(node.get("x-schema-name", "")).endswith(suffix):
            return node
        for v in node.values():
            found = find_named(v, suffix)
            if found is not None:
                return found
    elif isinstance(node, list):
        for v in node:
            found = find_named(v, suffix)
            if found is not None:
                return found
    return None


def to_json_schema(node):
    if isinstance(node, dict) and (node.get("x-schema-name") in RELAXED_MAX_LENGTH
                                   or node.get("description") == "Image unique identifier."):
        node = {k: v for k, v in node.items() if k != "maxLength"}
    if isinstance(node, dict):
        out = {k: to_json_schema(v) for k, v in node.items() if k not in ("example", "nullable") and not k.startswith("x-")}
        if node.get("nullable") and "type" in out:
            t = out["type"]
            out["type"] = (t if isinstance(t, list) else [t]) + ["null"]
        return out
    if isinstance(node, list):
        return [to_json_schema(v) for v in node]
    return node


def main():
    spec = json.load(open(SPEC))["paths"]
    cases = json.load(sys.stdin)
    failures = []
    for case in cases:
        op = spec.get(case["path"], {}).get(case["method"].lower())
        if op is None:
            failures.append({"case": case["path"], "error": "no such path/method in the spec"})
            continue
        status = str(case["status"])
        responses = op["responses"]
        entry = responses.get(status) or (responses.get("4XX") if status.startswith("4") else None)
        if entry is None:
            failures.append({"case": f'{case["method"]} {case["path"]} {status}', "error": f"no schema for status {status} (spec has {sorted(responses)})"})
            continue
        raw = entry["content"]["application/json"]["schema"]
        if status.startswith("4"):
            raw = find_named(raw, "api-response-common-failure") or raw
        schema = to_json_schema(raw)
        validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())
        errors = sorted(validator.iter_errors(case["body"]), key=lambda e: list(e.path))
        for e in errors[:5]:
            failures.append({"case": f'{case["method"]} {case["path"]} {status}', "error": e.message, "at": list(e.path)})
    print(json.dumps({"checked": len(cases), "failures": failures}))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
