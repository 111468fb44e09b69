"""QR codes of links: SVG inline in pages (no image request, allowed by the strict CSP), PNG to download."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import qrcode
import qrcode.constants
from markupsafe import Markup
from qrcode.image.pil import PilImage
from qrcode.image.svg import SvgPathImage

if TYPE_CHECKING:
    from issuer.services.wallet_offers import WalletOffer

__all__ = ["qr_png", "qr_svg", "wallet_codes"]


def _code(data: str) -> qrcode.QRCode:
    # Medium error correction survives a creased print-out; a 4-module quiet zone is what scanners need.
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(data)
    code.make(fit=True)
    return code


def qr_svg(data: str, *, label: str = "") -> Markup:
    """An inline ``<svg>`` of ``data``; ``label`` becomes its accessible name (role=img)."""
    image = _code(data).make_image(image_factory=SvgPathImage)
    svg = image.to_string(encoding="unicode")
    # Size comes from CSS (class qr), not from millimetres; a title names the image for screen readers.
    # qrcode names every path id="qr-path": two codes on one page would repeat an id.
    svg = svg.replace(' id="qr-path"', "")
    head, _, rest = svg.partition(">")
    head = head.replace('width="', 'data-width="').replace('height="', 'data-height="')
    title = Markup("<title>{}</title>").format(label) if label else Markup("")
    opening = Markup(head + ' class="qr" role="img" focusable="false">')  # noqa: S704 - the library's own SVG
    return opening + title + Markup(rest)  # noqa: S704 - the library's own SVG markup


def qr_png(data: str, *, box_size: int = 10) -> bytes:
    """A PNG of ``data`` for printing or download."""
    code = _code(data)
    code.box_size = box_size
    buffer = io.BytesIO()
    code.make_image(image_factory=PilImage).save(buffer)
    return buffer.getvalue()


def wallet_codes(offer: WalletOffer, translations: Any) -> dict[str, Markup | None]:
    """The QR codes of a wallet offer, for templates/_wallet_codes.html: ``qr`` (OpenID4VCI) and
    ``qr_lcw`` (the Learner Credential Wallet's link; None for an offer with a PIN)."""
    return {
        "qr": qr_svg(offer.oid4vci_uri, label=translations.gettext("QR code for a wallet app (OpenID4VCI)")),
        "qr_lcw": None
        if offer.lcw_url is None
        else qr_svg(offer.lcw_url, label=translations.gettext("QR code for the Learner Credential Wallet")),
    }
