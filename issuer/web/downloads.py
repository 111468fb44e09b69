"""Files handed to a browser as downloads, never shown inline (the API and the pages share these)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from litestar import Response

if TYPE_CHECKING:
    from issuer.db.models import EvidenceFile

__all__ = ["content_disposition", "evidence_file_response"]


def content_disposition(filename: str) -> str:
    """RFC 6266 ``attachment`` with an ASCII fallback and the UTF-8 name (RFC 8187 ``filename*``)."""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def evidence_file_response(row: EvidenceFile, content: bytes) -> Response[bytes]:
    """An evidence file as an attachment of the type checked at upload, with ``nosniff``: a browser
    saves it, never renders it (an uploaded page or script cannot run on this site)."""
    return Response(
        content,
        media_type=row.media_type,
        headers={
            "Content-Disposition": content_disposition(row.filename),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
            "Digest": f"sha-256={row.sha256}",
        },
    )
