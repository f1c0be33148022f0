"""A small JSON Schema validator for the report's schema (docs/verdicts.schema.json), for the tests: the keywords
that schema uses (``type``, ``const``, ``enum``, ``properties``, ``required``, ``additionalProperties``, ``items``,
``minItems``, ``maxItems``, ``minimum``, ``maximum``, ``exclusiveMinimum``, ``exclusiveMaximum``, ``anyOf`` and
local ``$ref``), with their draft 2020-12 meaning; annotations (``title``, ``description``, ``$id``, ``$schema``) are
ignored and any other keyword is an error, so the schema cannot use a rule this validator would skip. The
``jsonschema`` package is not a dependency of the project."""

from __future__ import annotations

from typing import Any

_ANNOTATIONS = {"$schema", "$id", "title", "description", "$defs"}
_TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}


def _is(value: Any, name: str) -> bool:
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, _TYPES[name])


def errors(instance: Any, schema: dict, root: dict | None = None, where: str = "$") -> list[str]:
    """Every way ``instance`` breaks ``schema`` (``root``: the document ``$ref`` resolves against), as
    ``"<path>: <what>"`` lines; an empty list when it is valid."""
    root = schema if root is None else root
    out: list[str] = []
    unknown = set(schema) - _ANNOTATIONS - _KEYWORDS
    if unknown:
        raise ValueError(f"{where}: the validator does not know {sorted(unknown)}")
    if "$ref" in schema:
        ref = schema["$ref"]
        if not ref.startswith("#/"):
            raise ValueError(f"{where}: only local references are supported, got {ref}")
        target = root
        for part in ref[2:].split("/"):
            target = target[part]
        out += errors(instance, target, root, where)
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_is(instance, n) for n in names):
            return out + [f"{where}: {type(instance).__name__} is not {' or '.join(names)}"]
    if "const" in schema and instance != schema["const"]:
        out.append(f"{where}: {instance!r} is not {schema['const']!r}")
    if "enum" in schema and instance not in schema["enum"]:
        out.append(f"{where}: {instance!r} is not one of {schema['enum']}")
    if "anyOf" in schema and all(errors(instance, s, root, where) for s in schema["anyOf"]):
        out.append(f"{where}: {instance!r} matches none of anyOf")
    if _is(instance, "number"):
        for key, bad in (("minimum", lambda v, m: v < m), ("maximum", lambda v, m: v > m),
                         ("exclusiveMinimum", lambda v, m: v <= m), ("exclusiveMaximum", lambda v, m: v >= m)):
            if key in schema and bad(instance, schema[key]):
                out.append(f"{where}: {instance} breaks {key} {schema[key]}")
    if isinstance(instance, dict):
        for key in schema.get("required", ()):
            if key not in instance:
                out.append(f"{where}: missing {key!r}")
        props = schema.get("properties", {})
        for key, value in instance.items():
            if key in props:
                out += errors(value, props[key], root, f"{where}.{key}")
            elif schema.get("additionalProperties") is False:
                out.append(f"{where}: unexpected key {key!r}")
    if isinstance(instance, list):
        if "minItems" in schema and len(instance) < schema["minItems"]:
            out.append(f"{where}: {len(instance)} items, fewer than {schema['minItems']}")
        if "maxItems" in schema and len(instance) > schema["maxItems"]:
            out.append(f"{where}: {len(instance)} items, more than {schema['maxItems']}")
        if "items" in schema:
            for i, item in enumerate(instance):
                out += errors(item, schema["items"], root, f"{where}[{i}]")
    return out


_KEYWORDS = {"$ref", "type", "const", "enum", "anyOf", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
             "required", "properties", "additionalProperties", "minItems", "maxItems", "items"}
