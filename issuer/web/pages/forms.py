"""Reading an HTML form: text fields as one string each, files kept apart."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import UploadFile

__all__ = ["Form", "read_form"]


class Form(dict[str, str]):
    """The text fields of a submitted form (the first value of each name); ``getall`` for repeated
    names (checkboxes), ``files`` for uploads."""

    def __init__(
        self, fields: dict[str, str], lists: dict[str, list[str]], files: dict[str, list[UploadFile]]
    ):
        super().__init__(fields)
        self._lists = lists
        self.files = files

    def getall(self, name: str) -> list[str]:
        return list(self._lists.get(name, []))

    def text(self, name: str) -> str:
        """The field without surrounding spaces ("" when absent); passwords: use ``self.get`` (verbatim)."""
        return self.get(name, "").strip()


async def read_form(request: Request[Any, Any, Any]) -> Form:
    """The form of a POST (url-encoded or multipart); an empty form for anything else."""
    data = await request.form()
    fields: dict[str, str] = {}
    lists: dict[str, list[str]] = {}
    files: dict[str, list[UploadFile]] = {}
    for name, value in data.multi_items():
        if isinstance(value, UploadFile):
            if value.filename:
                files.setdefault(name, []).append(value)
            continue
        lists.setdefault(name, []).append(str(value))
        fields.setdefault(name, str(value))
    return Form(fields, lists, files)
