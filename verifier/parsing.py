"""Strict readers shared by the verifier and the issuer: JSON and YAML where a repeated key is an error.

A name given twice makes parsers disagree about a document (RFC 7515 §5.2 step 4 for JOSE; a YAML file
where the second `min_level:` silently wins): refuse it rather than pick one.
"""

from __future__ import annotations

from typing import Any

import yaml

from verifier.errors import MalformedCredentialError


def no_duplicate_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A ``json.loads`` ``object_pairs_hook`` that refuses a repeated member name."""
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise MalformedCredentialError(f"duplicate JSON member {name!r}")
        result[name] = value
    return result


class UniqueKeyLoader(yaml.SafeLoader):
    """yaml.safe_load, except that a key repeated in one mapping is an error instead of last-one-wins."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value if isinstance(node, yaml.MappingNode) else ():
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:  # unhashable key: the base constructor reports it
                continue
            if first is not None:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found duplicate key {key!r} (first at line {first.start_mark.line + 1})",
                    key_node.start_mark,
                )
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


def load_yaml(text: str) -> Any:
    """Parse YAML safely (no tags that build objects), refusing repeated keys; raises yaml.YAMLError."""
    return yaml.load(text, Loader=UniqueKeyLoader)  # noqa: S506 - UniqueKeyLoader is a SafeLoader
