"""Strict readers shared by the verifier and the issuer: JSON and YAML where a repeated key is an error.

A name given twice makes parsers disagree about a document (RFC 7515 §5.2 step 4 for JOSE; a YAML file
where the second `min_level:` silently wins): refuse it rather than pick one.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Any

import yaml

from verifier.errors import MalformedCredentialError

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from pydantic_core import ErrorDetails


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


def yaml_problem(err: yaml.YAMLError) -> str:
    """Where and what, for a YAML error: ``line 3, column 7: found duplicate key 'level' …``."""
    if isinstance(err, yaml.MarkedYAMLError):
        mark = err.problem_mark or err.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "YAML"
        return f"{where}: {err.problem or err.context}"
    return f"YAML: {err}"


def dotted(loc: Iterable[str | int]) -> str:
    """A pydantic error location as a field path: ``rubric.2.level``."""
    return ".".join(str(part) for part in loc) or "(top level)"


def is_echo(error: ErrorDetails, errors: list[ErrorDetails]) -> bool:
    """pydantic also calls a list "too short" when its items failed: noise once the items are named."""
    if error["type"] != "too_short":
        return False
    loc = tuple(error["loc"])
    return any(
        len(other["loc"]) > len(loc)
        and tuple(other["loc"][: len(loc)]) == loc
        and isinstance(other["loc"][len(loc)], int)
        for other in errors
    )


def field_message(error: ErrorDetails, *, field_names: Sequence[str], own_prefix: str) -> str:
    """A pydantic error in words a person editing the file understands.

    Args:
        error: one pydantic error.
        field_names: the names a misspelt field may have meant ("did you mean …").
        own_prefix: error types of the caller's own validators (their messages already quote the value).
    """
    kind = error["type"]
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(str(error["loc"][-1]), field_names, n=1)
        return "unknown field" + (f"; did you mean '{close[0]}'?" if close else "")
    if kind == "missing":
        return "required field is missing"
    if kind in {"tuple_type", "list_type"}:
        return "should be a list"
    message = error["msg"]
    value = error.get("input")
    if not kind.startswith(own_prefix) and (isinstance(value, str | int | float | bool) or value is None):
        message += f" (got {value!r})"
    return message
