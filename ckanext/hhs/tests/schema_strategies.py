"""Hypothesis strategies for the records a JSON Schema describes, built node by node (the round-trip
property tests of POD v1.1 and DCAT-US 3.0).

hypothesis-jsonschema's `from_schema` on a whole record schema rebuilds the strategies of an object's
properties (their big date and email regular expressions) on every draw: about a second a record.
Here objects, arrays, `anyOf` and `$ref` are composed once, and only scalars come from `from_schema`,
built once per distinct node. A `$ref` is resolved against the node's document and read from the
caller's `contents` (the same schemas or registry the import gate validates with)."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urljoin

from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

# Extension properties: any JSON, under names the schema does not define.
JSON_VALUES = from_schema({})
_ANNOTATIONS = (
    "id",
    "$id",
    "$schema",
    "title",
    "description",
    "examples",
    "_oldDocs",
    "requirementLevel",
    "default",
)


@functools.cache
def _scalar(text: str) -> st.SearchStrategy[Any]:
    # One hypothesis-jsonschema strategy per distinct scalar node (dates, IRIs, patterns, enums).
    return from_schema(json.loads(text))


def _at_depth(values: Sequence[int], chain: tuple[str, ...]) -> int:
    """The value of `values` for an object inside the definitions of `chain`: the last one from there on."""
    return values[min(len(chain) - 1, len(values) - 1)]


class SchemaStrategies:
    """Strategies for the definitions `contents(uri)` gives.

    How far generation goes: a `$ref` is followed while the chain of definitions it sits in is shorter than
    `max_depth` (None: no limit) and names the same definition fewer than `max_repeat` times (beyond, the
    property is left out, or the object when it needs it); an array has at most `max_items` items (or
    its minItems); an object gets its required properties, any of the optional ones (each by a coin, or
    when `optional` is given, at most `optional[depth]` of them), the ones `dependencies` asks for, and up
    to `extensions[depth]` extension properties (depth: how many definitions deep, 1 for the record).

    `deferred` (a `$ref` built when first drawn) and `plain_null` (`{"type": "null"}` as `st.none()`, not
    hypothesis-jsonschema's) change no value a strategy can give, but they change the shape Hypothesis sees
    and so which examples a derandomized run generates: each test keeps the ones it always had."""

    def __init__(
        self,
        contents: Callable[[str], Any],
        *,
        max_repeat: int,
        max_depth: int | None = None,
        max_items: int,
        optional: Sequence[int] | None = None,
        extensions: Sequence[int],
        deferred: bool = True,
        plain_null: bool = True,
    ) -> None:
        self.contents = contents
        self.max_repeat = max_repeat
        self.max_depth = max_depth
        self.max_items = max_items
        self.optional = optional
        self.extensions = extensions
        self.deferred = deferred
        self.plain_null = plain_null
        self._definitions: dict[tuple[str, tuple[str, ...]], st.SearchStrategy[Any]] = {}

    def definition(self, uri: str, chain: tuple[str, ...] | None = None) -> st.SearchStrategy[Any]:
        """The strategy for the definition at `uri`, inside the definitions of `chain` (it alone by default)."""
        chain = (uri,) if chain is None else chain
        key = (uri, chain)
        if key not in self._definitions:
            self._definitions[key] = _strategy(self, self.contents(uri), uri, chain)
        return self._definitions[key]


# Module-level functions, not methods: Hypothesis labels a composite strategy, whose labels steer how it
# varies the examples it generates, by its function's qualified name (`_object.<locals>.draw_object`).
def _strategy(schemas: SchemaStrategies, node: Any, base: str, chain: tuple[str, ...]) -> st.SearchStrategy[Any]:
    """The strategy for one node of the definition `base`, inside the definitions of `chain`."""
    if node is True or node == {}:
        return JSON_VALUES
    if "$ref" in node:
        uri = urljoin(base, node["$ref"]) if node["$ref"] != "#" else base
        too_deep = schemas.max_depth is not None and len(chain) >= schemas.max_depth
        if too_deep or chain.count(uri) >= schemas.max_repeat:
            return st.nothing()
        if not schemas.deferred:
            return schemas.definition(uri, (*chain, uri))
        return st.deferred(lambda: schemas.definition(uri, (*chain, uri)))
    node = {k: v for k, v in node.items() if k not in _ANNOTATIONS}
    if "anyOf" in node:
        rest = {k: v for k, v in node.items() if k != "anyOf"}
        options = [_strategy(schemas, {**rest, **option}, base, chain) for option in node["anyOf"]]
        return st.one_of([o for o in options if not o.is_empty] or [st.nothing()])
    kind = node.get("type")
    if isinstance(kind, list):
        return st.one_of([_strategy(schemas, {**node, "type": k}, base, chain) for k in kind])
    if kind == "null" and schemas.plain_null:
        return st.none()
    if kind == "object" or "properties" in node:
        return _object(schemas, node, base, chain)
    if kind == "array":
        items = _strategy(schemas, node.get("items", {}), base, chain)
        low = node.get("minItems", 0)
        if items.is_empty:
            return st.just([]) if low == 0 else st.nothing()
        return st.lists(
            items,
            min_size=low,
            max_size=min(node.get("maxItems", schemas.max_items), max(low, schemas.max_items)),
            unique_by=(lambda v: json.dumps(v, sort_keys=True)) if node.get("uniqueItems") else None,
        )
    return _scalar(json.dumps(node, sort_keys=True))


def _object(
    schemas: SchemaStrategies, node: dict[str, Any], base: str, chain: tuple[str, ...]
) -> st.SearchStrategy[dict[str, Any]]:
    properties = {key: _strategy(schemas, sub, base, chain) for key, sub in node.get("properties", {}).items()}
    known = set(properties)
    required = list(node.get("required", []))
    if any(properties.get(key, st.nothing()).is_empty for key in required):
        return st.nothing()  # too deep for what the definition needs: the parent leaves it out
    optional = [key for key, strategy in properties.items() if key not in required and not strategy.is_empty]
    # A dependency that is a schema: POD's distribution with downloadURL has a mediaType string.
    dependencies = {
        key: {name: _strategy(schemas, sub, base, chain) for name, sub in dependency.get("properties", {}).items()}
        for key, dependency in node.get("dependencies", {}).items()
    }
    most = None if schemas.optional is None else _at_depth(schemas.optional, chain)
    extensions = _at_depth(schemas.extensions, chain)
    names = st.text(min_size=1, max_size=12).filter(lambda k: k not in known)

    @st.composite
    def draw_object(draw: Any) -> dict[str, Any]:
        out = {key: draw(properties[key]) for key in required}
        if most is None:
            for key in optional:
                if draw(st.booleans()):
                    out[key] = draw(properties[key])
        else:
            keys = sorted(optional)
            count = draw(st.integers(0, min(most, len(keys))))
            chosen = draw(st.lists(st.sampled_from(keys), unique=True, min_size=count, max_size=count)) if count else []
            for key in chosen:
                out[key] = draw(properties[key])
        for key, needed in dependencies.items():
            for other, strategy in needed.items() if key in out else ():
                out[other] = draw(strategy)
        if extensions:
            out.update(draw(st.dictionaries(names, JSON_VALUES, max_size=extensions)))
        return out

    return draw_object()
