"""The base of the API's request bodies."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["Strict"]


class Strict(BaseModel):
    """A request body: an unknown field is an error (not silently dropped), strings lose their leading
    and trailing whitespace, and a field with a camelCase alias also takes its Python name.

    A subclass's own ``model_config`` is merged with this one (``arbitrary_types_allowed`` for a form
    with files, say).
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)
