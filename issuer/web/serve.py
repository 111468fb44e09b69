"""``badges serve``: run the application under uvicorn."""

from __future__ import annotations

import uvicorn

from issuer.settings import Settings
from issuer.web.app import create_app

__all__ = ["serve"]


def serve(settings: Settings, *, host: str, port: int) -> None:
    """Run the service until interrupted (uvicorn handles the signals)."""
    # proxy_headers: behind a TLS-terminating proxy the public URL is https (did:web needs it).
    uvicorn.run(create_app(settings), host=host, port=port, proxy_headers=True)
