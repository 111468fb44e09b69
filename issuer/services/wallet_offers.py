"""Wallet pickup: a one-time offer that puts one of a learner's badges into their wallet, bound to the
wallet's DID.

Two protocols share one offer, and whichever the wallet speaks first uses it up:

- OpenID for Verifiable Credential Issuance 1.0, pre-authorized code flow
  (https://openid.net/specs/openid-4-verifiable-credential-issuance-1_0.html): the offer by reference
  (``credential_offer_uri``), the token endpoint (optional transaction code), the nonce endpoint and the
  credential endpoint with an ``openid4vci-proof+jwt`` proof of possession.
- The DCC Learner Credential Wallet's VC-API exchange (``dccrequest://request?request=…``): the wallet
  POSTs ``{}``, gets a DIDAuthentication request (challenge, domain), answers with a presentation signed
  by its did:key, and gets the badge back in a presentation.

The credential delivered is a fresh copy of the learner's badge whose ``credentialSubject.id`` is the
wallet's DID (the hashed e-mail identifier stays), signed by the organisation, with the original's
``credentialStatus``: revoking the original revokes every wallet copy.

Only SHA-256 digests of the secrets are stored (offer token, pre-authorized code, exchange token,
access token, nonces; the transaction code hashed with the pre-authorized code).
"""

from __future__ import annotations

import asyncio
import base64
import copy
import hashlib
import hmac
import io
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, Literal
from urllib.parse import urlencode, urlsplit

import jwt
import qrcode
import qrcode.image.svg
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import delete, update
from sqlmodel import col, select

from issuer.db.models import Credential, Organisation, WalletDelivery, WalletNonce, WalletOfferRow
from issuer.errors import (
    InvalidPresentationError,
    InvalidStateError,
    NotFoundError,
    WalletOfferInvalidError,
    WalletProtocolError,
)
from issuer.issuance import sign_data_integrity, sign_vc_jwt
from issuer.services.audit import record_event
from issuer.services.record import valid_until
from issuer.services.revocation import credential_key
from keys.encoding import did_key_from_public_key, jwk_to_public_key, public_key_from_did_key
from keys.errors import KeysError
from verifier.model.ob import OB_CONTEXT, VC_V2_CONTEXT
from verifier.presentation import verify_presentation
from verifier.proofs import vc_jwt
from verifier.resolve import OfflineFetcher, Resolver

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sqlalchemy.ext.asyncio import AsyncSession

    from issuer.roles import Principal
    from issuer.services.context import Services

__all__ = [
    "CONFIG_JWT",
    "CONFIG_LDP",
    "PRE_AUTHORIZED_GRANT",
    "PROOF_TYPE",
    "KeyProof",
    "WalletOffer",
    "authorization_server_metadata",
    "bound_copy",
    "check_key_proof",
    "create_wallet_offer",
    "credential_issuer_id",
    "credential_offer",
    "deliver_by_exchange",
    "deliver_by_oid4vci",
    "issue_access_token",
    "issue_nonce",
    "issuer_metadata",
    "offerable_credential",
    "original_document",
    "pre_authorized_code",
    "qr_svg",
    "start_exchange",
]

PRE_AUTHORIZED_GRANT: Final = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
PROOF_TYPE: Final = "openid4vci-proof+jwt"
CONFIG_LDP: Final = "OpenBadgeCredential_ldp_vc"
CONFIG_JWT: Final = "OpenBadgeCredential_jwt_vc_json"
_FORMATS: Final = {CONFIG_LDP: "ldp_vc", CONFIG_JWT: "jwt_vc_json"}
_OB_TYPES: Final = ["VerifiableCredential", "OpenBadgeCredential"]
# Proof-of-possession keys a wallet may use: did:key-able, asymmetric (no "none", no HMAC).
PROOF_ALGORITHMS: Final = ("EdDSA", "ES256")
TX_CODE_LENGTH: Final = 6
MAX_TX_CODE_FAILURES: Final = 5  # then the offer is burnt: a 6-digit PIN cannot be guessed online
ACCESS_TOKEN_LIFETIME: Final = timedelta(minutes=5)
NONCE_LIFETIME: Final = timedelta(minutes=5)
PROOF_MAX_AGE: Final = timedelta(minutes=5)  # a proof's iat may be this old...
PROOF_CLOCK_SKEW: Final = timedelta(minutes=1)  # ...or this far in the future (the wallet's clock)
ED25519_2020_CONTEXT: Final = "https://w3id.org/security/suites/ed25519-2020/v1"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def pre_authorized_code(offer_token: str) -> str:
    """The pre-authorized code of an offer, derived from its link's token: the offer can be served
    again without the code being stored."""
    raw = hashlib.sha256(b"pre-authorized_code\x00" + offer_token.encode()).digest()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _tx_code_digest(code: str, tx_code: str) -> str:
    return _digest(f"{code}\x00{tx_code}")


def credential_issuer_id(services: Services, slug: str) -> str:
    """The organisation's OpenID4VCI credential issuer identifier: ``<base_url>/orgs/<slug>``."""
    return f"{services.settings.base_url}/orgs/{slug}"


def _domain(services: Services) -> str:
    parts = urlsplit(services.settings.base_url)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True)
class WalletOffer:
    """A new offer, as shown to the learner (or the teacher) once.

    Attributes:
        offer_id: the offer's id (for the audit log).
        oid4vci_uri: ``openid-credential-offer://?credential_offer_uri=…`` (the QR code's content).
        dcc_request_uri: ``dccrequest://request?request=…`` for the DCC Learner Credential Wallet; None for
            an offer with a PIN (that wallet's exchange has no way to send one, so its link would let
            anyone who sees it skip the PIN).
        lcw_url: the same request as an ``https://lcw.app/request?request=…`` link; None with a PIN.
        tx_code: the transaction code (PIN) the wallet will ask for, when one was wanted; never stored.
        expires_at: when the offer stops working.
        qr_svg: an SVG QR code of ``oid4vci_uri``.
    """

    offer_id: uuid.UUID
    oid4vci_uri: str
    dcc_request_uri: str | None
    lcw_url: str | None
    tx_code: str | None
    expires_at: datetime
    qr_svg: str

    def to_json(self) -> dict[str, Any]:
        return {
            "offerId": str(self.offer_id),
            "oid4vciUri": self.oid4vci_uri,
            "dccRequestUri": self.dcc_request_uri,
            "lcwUrl": self.lcw_url,
            "txCode": self.tx_code,
            "expiresAt": self.expires_at,
            "qrSvg": self.qr_svg,
        }


def qr_svg(data: str) -> str:
    """An SVG QR code of ``data`` (CPU-bound: run it in a worker thread)."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode()


async def offerable_credential(
    session: AsyncSession,
    principal: Principal,
    credential_id: str,
    *,
    organisation: Organisation | None = None,
) -> Credential:
    """The credential ``principal`` may put into a wallet: with ``organisation`` (staff routes), any of
    that organisation's credentials; without, one of the principal's own (within a restricted sign-in's
    organisation).

    Raises:
        NotFoundError: no such credential, or not the principal's (the same answer for both).
    """
    key = credential_key(credential_id)
    query = select(Credential).where(Credential.id == key)
    if organisation is not None:
        query = query.where(Credential.organisation_id == organisation.id)
    else:
        query = query.where(Credential.recipient_id == principal.person_id)
    credential = (await session.execute(query)).scalar_one_or_none()
    if credential is None or (organisation is None and not principal.may_act_in(credential.organisation_id)):
        raise NotFoundError(f"no credential {key[:80]!r} of yours")
    return credential


async def create_wallet_offer(
    session: AsyncSession,
    services: Services,
    credential: Credential,
    *,
    created_by: Principal | None,
    want_tx_code: bool,
    now: datetime,
) -> WalletOffer:
    """Make a one-time offer of ``credential`` for a wallet and commit it (audited as ``wallet.offer``).

    Raises:
        InvalidStateError: the credential is revoked, suspended or expired.
    """
    if credential.state != "active":
        raise InvalidStateError(f"the credential is {credential.state}: it cannot go into a wallet")
    until = valid_until(credential)
    if until is not None and until <= now:
        raise InvalidStateError("the credential has expired: it cannot go into a wallet")
    organisation = await session.get(Organisation, credential.organisation_id)
    if organisation is None:  # a foreign key guarantees it; kept for the type checker
        raise NotFoundError("the credential's organisation is gone")
    offer_token = secrets.token_urlsafe(32)
    exchange_token = secrets.token_urlsafe(32)
    code = pre_authorized_code(offer_token)
    tx_code = f"{secrets.randbelow(10**TX_CODE_LENGTH):0{TX_CODE_LENGTH}d}" if want_tx_code else None
    expires_at = now + timedelta(minutes=services.settings.wallet_offer_minutes)
    row = WalletOfferRow(
        organisation_id=organisation.id,
        credential_id=credential.id,
        created_by_id=created_by.person_id if created_by else None,
        offer_token_hash=_digest(offer_token),
        code_hash=_digest(code),
        tx_code_hash=None if tx_code is None else _tx_code_digest(code, tx_code),
        exchange_token_hash=_digest(exchange_token),
        created_at=now,
        expires_at=expires_at,
    )
    session.add(row)
    record_event(
        session,
        actor=created_by,
        action="wallet.offer",
        subject_type="credential",
        subject_id=credential.id,
        organisation_id=organisation.id,
        detail={"offer": str(row.id), "txCode": tx_code is not None},
        at=now,
    )
    await session.commit()
    issuer_id = credential_issuer_id(services, organisation.slug)
    oid4vci_uri = "openid-credential-offer://?" + urlencode(
        {"credential_offer_uri": f"{issuer_id}/oid4vci/offers/{offer_token}"}
    )
    request = json.dumps(
        {
            "credentialRequestOrigin": _domain(services),
            "protocols": {"vcapi": f"{issuer_id}/exchanges/{exchange_token}"},
        },
        separators=(",", ":"),
    )
    dcc = tx_code is None  # the DCC exchange cannot carry a PIN: a PIN offer is OpenID4VCI only
    return WalletOffer(
        offer_id=row.id,
        oid4vci_uri=oid4vci_uri,
        dcc_request_uri="dccrequest://request?" + urlencode({"request": request}) if dcc else None,
        lcw_url="https://lcw.app/request?" + urlencode({"request": request}) if dcc else None,
        tx_code=tx_code,
        expires_at=expires_at,
        qr_svg=await asyncio.to_thread(qr_svg, oid4vci_uri),
    )


# --------------------------------------------------------------------------------------------------
# metadata
# --------------------------------------------------------------------------------------------------


def issuer_metadata(services: Services, organisation: Organisation) -> dict[str, Any]:
    """The Credential Issuer Metadata (OpenID4VCI 1.0 §12.2): the OB 3.0 credential as ``ldp_vc``
    (eddsa-rdfc-2022) and as ``jwt_vc_json`` (the organisation's VC-JWT algorithm)."""
    issuer_id = credential_issuer_id(services, organisation.slug)
    display = [{"name": organisation.name, "locale": "en"}]
    binding = {
        "cryptographic_binding_methods_supported": ["did:key"],
        "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": list(PROOF_ALGORITHMS)}},
    }
    credential_display = {"display": [{"name": "Open Badge", "locale": "en"}]}
    return {
        "credential_issuer": issuer_id,
        "credential_endpoint": f"{issuer_id}/oid4vci/credential",
        "nonce_endpoint": f"{issuer_id}/oid4vci/nonce",
        "display": display,
        "credential_configurations_supported": {
            CONFIG_LDP: {
                "format": "ldp_vc",
                "credential_signing_alg_values_supported": ["eddsa-rdfc-2022"],
                "credential_definition": {"@context": [VC_V2_CONTEXT, OB_CONTEXT], "type": _OB_TYPES},
                **binding,
                "credential_metadata": credential_display,
            },
            CONFIG_JWT: {
                "format": "jwt_vc_json",
                "credential_signing_alg_values_supported": [organisation.jwt_algorithm],
                "credential_definition": {"type": _OB_TYPES},
                **binding,
                "credential_metadata": credential_display,
            },
        },
    }


def authorization_server_metadata(services: Services, organisation: Organisation) -> dict[str, Any]:
    """OAuth 2.0 Authorization Server Metadata (RFC 8414): the credential issuer is its own
    authorization server, for the pre-authorized code grant only."""
    issuer_id = credential_issuer_id(services, organisation.slug)
    return {
        "issuer": issuer_id,
        "token_endpoint": f"{issuer_id}/oid4vci/token",
        "grant_types_supported": [PRE_AUTHORIZED_GRANT],
        "pre-authorized_grant_anonymous_access_supported": True,
        "token_endpoint_auth_methods_supported": ["none"],
    }


# --------------------------------------------------------------------------------------------------
# OpenID4VCI
# --------------------------------------------------------------------------------------------------


async def _offer_by(
    session: AsyncSession, organisation: Organisation, column: Any, secret: str
) -> WalletOfferRow | None:
    result = await session.execute(
        select(WalletOfferRow).where(
            column == _digest(secret), col(WalletOfferRow.organisation_id) == organisation.id
        )
    )
    return result.scalar_one_or_none()


def _open(offer: WalletOfferRow | None, now: datetime) -> WalletOfferRow:
    if offer is None or offer.state != "offered" or offer.expires_at <= now:
        raise WalletOfferInvalidError("this wallet offer is unknown, used or expired: ask for a new one")
    return offer


async def credential_offer(
    session: AsyncSession, services: Services, organisation: Organisation, offer_token: str, *, now: datetime
) -> dict[str, Any]:
    """The Credential Offer behind a ``credential_offer_uri`` (OpenID4VCI 1.0 §4.1.1).

    Raises:
        WalletOfferInvalidError: unknown, already redeemed or expired.
    """
    offer = _open(await _offer_by(session, organisation, WalletOfferRow.offer_token_hash, offer_token), now)
    grant: dict[str, Any] = {"pre-authorized_code": pre_authorized_code(offer_token)}
    if offer.tx_code_hash is not None:
        grant["tx_code"] = {
            "input_mode": "numeric",
            "length": TX_CODE_LENGTH,
            "description": "The 6-digit code shown with the QR code",
        }
    return {
        "credential_issuer": credential_issuer_id(services, organisation.slug),
        "credential_configuration_ids": [CONFIG_LDP, CONFIG_JWT],
        "grants": {PRE_AUTHORIZED_GRANT: grant},
    }


async def issue_access_token(
    session: AsyncSession, organisation: Organisation, form: Mapping[str, str], *, now: datetime
) -> dict[str, Any]:
    """The token endpoint for the pre-authorized code grant (OpenID4VCI 1.0 §6, RFC 6749 §5).

    Raises:
        WalletProtocolError: ``invalid_request`` (a parameter missing or not expected),
            ``unsupported_grant_type``, ``invalid_grant`` (unknown, used or expired code; wrong
            transaction code, the offer burnt after :data:`MAX_TX_CODE_FAILURES`).
    """
    grant_type = form.get("grant_type")
    if not grant_type:
        raise WalletProtocolError("invalid_request", "grant_type is missing")
    if grant_type != PRE_AUTHORIZED_GRANT:
        raise WalletProtocolError(
            "unsupported_grant_type", f"only the {PRE_AUTHORIZED_GRANT} grant is supported"
        )
    code = form.get("pre-authorized_code")
    if not code:
        raise WalletProtocolError("invalid_request", "pre-authorized_code is missing")
    offer = await _offer_by(session, organisation, WalletOfferRow.code_hash, code)
    if offer is None or offer.state != "offered" or offer.expires_at <= now:
        raise WalletProtocolError("invalid_grant", "the pre-authorized code is unknown, used or expired")
    tx_code = form.get("tx_code")
    if offer.tx_code_hash is None and tx_code is not None:
        raise WalletProtocolError(
            "invalid_request", "this offer has no transaction code: do not send tx_code"
        )
    if offer.tx_code_hash is not None:
        if not tx_code:
            raise WalletProtocolError(
                "invalid_request", "tx_code is missing: this offer needs its 6-digit code"
            )
        if not hmac.compare_digest(_tx_code_digest(code, tx_code), offer.tx_code_hash):
            # Counted in the database, so wrong codes sent at once are all counted.
            this_offer = (col(WalletOfferRow.id) == offer.id, col(WalletOfferRow.state) == "offered")
            await session.execute(
                update(WalletOfferRow)
                .where(*this_offer)
                .values(tx_code_failures=col(WalletOfferRow.tx_code_failures) + 1)
                .execution_options(synchronize_session=False)
            )
            burnt = await session.execute(
                update(WalletOfferRow)
                .where(*this_offer, col(WalletOfferRow.tx_code_failures) >= MAX_TX_CODE_FAILURES)
                .values(state="failed")
                .execution_options(synchronize_session=False)
            )
            await session.commit()
            if burnt.rowcount:  # type: ignore[attr-defined]
                raise WalletProtocolError(
                    "invalid_grant", "wrong transaction code, too many times: ask for a new offer"
                )
            raise WalletProtocolError("invalid_grant", "wrong transaction code")
    access_token = "mbw_" + secrets.token_urlsafe(32)
    # Only one redemption wins, even with two at once: the update applies to an offer still "offered".
    result = await session.execute(
        update(WalletOfferRow)
        .where(col(WalletOfferRow.id) == offer.id, col(WalletOfferRow.state) == "offered")
        .values(
            state="token_issued",
            used_at=now,
            access_token_hash=_digest(access_token),
            access_token_expires_at=now + ACCESS_TOKEN_LIFETIME,
        )
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        await session.rollback()
        raise WalletProtocolError("invalid_grant", "the pre-authorized code is unknown, used or expired")
    await session.commit()
    return {
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": int(ACCESS_TOKEN_LIFETIME.total_seconds()),
    }


async def issue_nonce(session: AsyncSession, organisation: Organisation, *, now: datetime) -> str:
    """A fresh ``c_nonce`` (OpenID4VCI 1.0 §7); expired ones are cleared on the way."""
    await session.execute(delete(WalletNonce).where(col(WalletNonce.expires_at) <= now))
    nonce = secrets.token_urlsafe(32)
    session.add(
        WalletNonce(
            organisation_id=organisation.id,
            nonce_hash=_digest(nonce),
            created_at=now,
            expires_at=now + NONCE_LIFETIME,
        )
    )
    await session.commit()
    return nonce


@dataclass(frozen=True)
class KeyProof:
    """A checked proof of possession: the wallet's DID and the nonce it signed."""

    holder: str
    nonce: str


def _invalid_proof(detail: str) -> WalletProtocolError:
    return WalletProtocolError("invalid_proof", detail)


def _proof_key(header: Mapping[str, Any]) -> tuple[Any, str]:
    """The public key named by the proof's header (``kid`` as a did:key URL, or ``jwk``) and its DID."""
    if "x5c" in header or "key_attestation" in header or "trust_chain" in header:
        raise _invalid_proof("only kid (a did:key URL) or jwk name the proof key here")
    has_kid, has_jwk = "kid" in header, "jwk" in header
    if has_kid == has_jwk:
        raise _invalid_proof("the proof header must hold exactly one of kid and jwk")
    try:
        if has_kid:
            kid = header["kid"]
            if not isinstance(kid, str) or not kid.startswith("did:key:") or "#" not in kid:
                raise _invalid_proof("kid must be a did:key DID URL (did:key:z…#z…)")
            return public_key_from_did_key(kid), kid.partition("#")[0]
        jwk_value = header["jwk"]
        if not isinstance(jwk_value, dict):
            raise _invalid_proof("jwk must be a JSON object")
        if "d" in jwk_value:
            raise _invalid_proof("jwk holds a private key: send the public key only")
        key = jwk_to_public_key(jwk_value)
        return key, did_key_from_public_key(key)
    except KeysError as err:
        raise _invalid_proof(f"the proof key cannot be read: {err}") from err


def check_key_proof(token: str, *, audience: str, now: datetime) -> KeyProof:
    """Check an ``openid4vci-proof+jwt`` (OpenID4VCI 1.0 Appendix F.1): header (typ, alg, one of kid/jwk),
    signature by that key, ``aud`` the credential issuer, ``iat`` recent, a ``nonce``.

    The nonce itself (fresh, single-use) is checked by the caller against the nonces handed out.

    Raises:
        WalletProtocolError: ``invalid_proof`` naming what is wrong.
    """
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as err:
        raise _invalid_proof(f"the proof is not a JWT: {err}") from err
    if header.get("typ") != PROOF_TYPE:
        raise _invalid_proof(f"the proof's typ is {header.get('typ')!r}, not {PROOF_TYPE!r}")
    algorithm = header.get("alg")
    if algorithm not in PROOF_ALGORITHMS:
        raise _invalid_proof(
            f"proof alg {algorithm!r} is not supported (use one of {', '.join(PROOF_ALGORITHMS)})"
        )
    key, holder = _proof_key(header)
    fits = (
        isinstance(key, Ed25519PublicKey)
        if algorithm == "EdDSA"
        else isinstance(key, ec.EllipticCurvePublicKey)
    )
    if not fits:
        raise _invalid_proof(f"the proof key does not fit alg {algorithm}")
    try:
        claims = jwt.decode(
            token,
            key=key,
            algorithms=[algorithm],
            audience=audience,
            # The service's clock (a parameter) decides freshness, not pyjwt's.
            options={
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
                "require": ["aud", "iat"],
            },
        )
    except jwt.InvalidAudienceError as err:
        raise _invalid_proof(f"the proof's aud is not this credential issuer ({audience})") from err
    except jwt.MissingRequiredClaimError as err:
        raise _invalid_proof(f"the proof has no {err.claim} claim") from err
    except jwt.InvalidSignatureError as err:
        raise _invalid_proof("the proof's signature does not verify with the key in its header") from err
    except jwt.PyJWTError as err:
        raise _invalid_proof(f"the proof does not verify: {err}") from err
    issued = claims.get("iat")
    if not isinstance(issued, int | float) or isinstance(issued, bool):
        raise _invalid_proof("the proof's iat is not a number")
    moment = now.timestamp()
    if issued < moment - PROOF_MAX_AGE.total_seconds():
        raise _invalid_proof("the proof is too old (iat): make a new one")
    if issued > moment + PROOF_CLOCK_SKEW.total_seconds():
        raise _invalid_proof("the proof's iat is in the future")
    expires = claims.get("exp")
    if isinstance(expires, int | float) and expires <= moment:
        raise _invalid_proof("the proof has expired (exp)")
    nonce = claims.get("nonce")
    if not isinstance(nonce, str) or not nonce:
        raise _invalid_proof("the proof has no nonce: get one from the nonce endpoint")
    return KeyProof(holder=holder, nonce=nonce)


async def _consume_nonce(
    session: AsyncSession, organisation: Organisation, nonce: str, *, now: datetime
) -> None:
    result = await session.execute(
        update(WalletNonce)
        .where(
            col(WalletNonce.nonce_hash) == _digest(nonce),
            col(WalletNonce.organisation_id) == organisation.id,
            col(WalletNonce.used_at).is_(None),
            col(WalletNonce.expires_at) > now,
        )
        .values(used_at=now)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise WalletProtocolError(
            "invalid_nonce", "the proof's nonce is unknown, used or expired: get a new one"
        )


def _requested_configuration(body: Mapping[str, Any]) -> str:
    if "credential_identifier" in body:
        raise WalletProtocolError(
            "unknown_credential_identifier",
            "this issuer names no credential identifiers: use credential_configuration_id",
        )
    configuration = body.get("credential_configuration_id")
    if configuration is None:
        raise WalletProtocolError("invalid_credential_request", "credential_configuration_id is missing")
    if not isinstance(configuration, str) or configuration not in _FORMATS:
        raise WalletProtocolError(
            "unknown_credential_configuration",
            f"unknown credential_configuration_id {str(configuration)[:80]!r} (offered: {CONFIG_LDP}, {CONFIG_JWT})",
        )
    return str(configuration)


def _proof_jwt(body: Mapping[str, Any]) -> str:
    if "proof" in body:
        raise WalletProtocolError("invalid_credential_request", "send proofs (OpenID4VCI 1.0), not proof")
    proofs = body.get("proofs")
    if not isinstance(proofs, dict) or set(proofs) != {"jwt"}:
        raise WalletProtocolError("invalid_proof", 'proofs must be {"jwt": [one proof JWT]}')
    tokens = proofs["jwt"]
    if not isinstance(tokens, list) or len(tokens) != 1 or not isinstance(tokens[0], str):
        raise WalletProtocolError(
            "invalid_proof", "proofs.jwt must hold exactly one JWT (one credential per offer)"
        )
    return tokens[0]


def original_document(credential: Credential) -> dict[str, Any]:
    """The credential as issued, without its proof: from the Data Integrity text, else the VC-JWT."""
    if credential.ldp:
        document: dict[str, Any] = json.loads(credential.ldp)
        document.pop("proof", None)
        return document
    if credential.jwt:
        return vc_jwt.unverified_credential(credential.jwt)
    raise InvalidStateError("the credential has no signed text to copy")


def bound_copy(original: Mapping[str, Any], *, holder: str, copy_id: str) -> dict[str, Any]:
    """A fresh copy of a credential for a wallet: a new id and the wallet's DID as subject id.

    Everything else stays: the hashed identifier, the achievement and result, the validity dates and
    the ``credentialStatus`` entries (so the original's status governs the copy).
    """
    document = copy.deepcopy(dict(original))
    document.pop("proof", None)
    document["id"] = copy_id
    subject = document.get("credentialSubject")
    if not isinstance(subject, dict):
        raise InvalidStateError("the credential's subject is not a single object")
    document["credentialSubject"] = {"id": holder, **{k: v for k, v in subject.items() if k != "id"}}
    return document


def _sign_copy(
    services: Services,
    organisation: Organisation,
    document: dict[str, Any],
    *,
    wallet_format: str,
    now: datetime,
) -> tuple[str, dict[str, Any] | str]:
    """(the stored text, what the wallet gets) for one bound copy (CPU-bound: worker thread)."""
    if wallet_format == "ldp_vc":
        signer = services.keyring.signer(organisation.slug, "EdDSA")
        signed = sign_data_integrity(
            document, signer, verification_method=f"{organisation.did}#{signer.key_id}", created=now
        )
        return json.dumps(signed, ensure_ascii=False, separators=(",", ":")), signed
    signer = services.keyring.signer(organisation.slug, organisation.jwt_algorithm)
    token = sign_vc_jwt(document, signer, kid=f"{organisation.did}#{signer.key_id}")
    return token, token


async def _deliver(
    session: AsyncSession,
    services: Services,
    organisation: Organisation,
    offer: WalletOfferRow,
    *,
    holder: str,
    protocol: Literal["oid4vci", "vcapi"],
    wallet_format: str,
    from_state: str,
    now: datetime,
) -> dict[str, Any] | str:
    """Sign the bound copy, mark the offer delivered, record the delivery; the caller's transaction."""
    credential = await session.get(Credential, offer.credential_id)
    if credential is None or credential.state != "active":
        state = "gone" if credential is None else credential.state
        if protocol == "oid4vci":
            raise WalletProtocolError("credential_request_denied", f"the badge is {state}")
        raise InvalidStateError(f"the badge is {state}: it cannot go into a wallet")
    copy_id = f"urn:uuid:{uuid.uuid4()}"
    document = bound_copy(original_document(credential), holder=holder, copy_id=copy_id)
    text, delivered = await asyncio.to_thread(
        _sign_copy, services, organisation, document, wallet_format=wallet_format, now=now
    )
    result = await session.execute(
        update(WalletOfferRow)
        .where(col(WalletOfferRow.id) == offer.id, col(WalletOfferRow.state) == from_state)
        .values(state="delivered", used_at=now)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]  # a concurrent request delivered it first
        await session.rollback()
        if protocol == "oid4vci":
            raise WalletProtocolError("invalid_token", "the access token was used already")
        raise WalletOfferInvalidError("this wallet offer was used already")
    delivery = WalletDelivery(
        offer_id=offer.id,
        credential_id=credential.id,
        delivered_id=copy_id,
        holder_did=holder,
        protocol=protocol,
        format=wallet_format,
        text=text,
        delivered_at=now,
    )
    session.add(delivery)
    record_event(
        session,
        actor=None,
        action="wallet.deliver",
        subject_type="credential",
        subject_id=credential.id,
        organisation_id=organisation.id,
        detail={
            "offer": str(offer.id),
            "delivery": str(delivery.id),
            "copy": copy_id,
            "protocol": protocol,
            "format": wallet_format,
        },
        at=now,
    )
    await session.commit()
    return delivered


async def deliver_by_oid4vci(
    session: AsyncSession,
    services: Services,
    organisation: Organisation,
    *,
    access_token: str | None,
    body: object,
    now: datetime,
) -> dict[str, Any]:
    """The credential endpoint (OpenID4VCI 1.0 §8): one credential bound to the proof's key.

    Raises:
        WalletProtocolError: ``invalid_token`` (missing, unknown, expired or used access token),
            ``invalid_credential_request``, ``unknown_credential_configuration``,
            ``unknown_credential_identifier``, ``invalid_proof``, ``invalid_nonce``,
            ``credential_request_denied`` (the badge was revoked or suspended since the offer).
    """
    if not access_token:
        raise WalletProtocolError("invalid_token", "send the access token: Authorization: Bearer <token>")
    offer = await _offer_by(session, organisation, WalletOfferRow.access_token_hash, access_token)
    if (
        offer is None
        or offer.state != "token_issued"
        or offer.access_token_expires_at is None
        or offer.access_token_expires_at <= now
    ):
        raise WalletProtocolError("invalid_token", "the access token is unknown, used or expired")
    if not isinstance(body, dict):
        raise WalletProtocolError(
            "invalid_credential_request", "the credential request must be a JSON object"
        )
    configuration = _requested_configuration(body)
    proof = check_key_proof(
        _proof_jwt(body), audience=credential_issuer_id(services, organisation.slug), now=now
    )
    await _consume_nonce(session, organisation, proof.nonce, now=now)
    delivered = await _deliver(
        session,
        services,
        organisation,
        offer,
        holder=proof.holder,
        protocol="oid4vci",
        wallet_format=_FORMATS[configuration],
        from_state="token_issued",
        now=now,
    )
    return {"credentials": [{"credential": delivered}]}


# --------------------------------------------------------------------------------------------------
# DCC Learner Credential Wallet: VC-API exchange
# --------------------------------------------------------------------------------------------------


def _exchangeable(offer: WalletOfferRow) -> WalletOfferRow:
    """The offer, unless it has a PIN: the exchange cannot check one (its link is never handed out for
    such an offer; this refuses a guessed or leaked token all the same)."""
    if offer.tx_code_hash is not None:
        raise WalletOfferInvalidError(
            "this offer is protected by a PIN, which the Learner Credential Wallet cannot send: "
            "use an OpenID4VCI wallet, or make an offer without a PIN"
        )
    return offer


async def start_exchange(
    session: AsyncSession,
    services: Services,
    organisation: Organisation,
    exchange_token: str,
    *,
    now: datetime,
) -> dict[str, Any]:
    """The wallet's first POST (``{}``): a DIDAuthentication request with a fresh challenge.

    Raises:
        WalletOfferInvalidError: unknown, used or expired, or protected by a PIN.
    """
    offer = _exchangeable(
        _open(await _offer_by(session, organisation, WalletOfferRow.exchange_token_hash, exchange_token), now)
    )
    challenge = secrets.token_urlsafe(24)
    offer.challenge = challenge
    await session.commit()
    return {
        "verifiablePresentationRequest": {
            "query": [{"type": "DIDAuthentication", "acceptedMethods": [{"method": "key"}]}],
            "challenge": challenge,
            "domain": _domain(services),
        }
    }


def _presentation_problems(
    presentation: Mapping[str, Any], *, challenge: str, domain: str, now: datetime
) -> tuple[list[str], str | None]:
    """The presentation-level failures (format, proof, holder, challenge, domain) and the holder DID.

    Verified with the project's verifier, offline: the holder is a did:key, resolved without network.
    """
    report = verify_presentation(
        dict(presentation), resolver=Resolver(OfflineFetcher()), now=now, challenge=challenge, domain=domain
    )
    problems = [f"{check.id}: {check.message}" for check in report.checks if not check.passed]
    return problems, report.holder


async def deliver_by_exchange(
    session: AsyncSession,
    services: Services,
    organisation: Organisation,
    exchange_token: str,
    presentation: object,
    *,
    now: datetime,
) -> dict[str, Any]:
    """The wallet's second POST: its DIDAuthentication presentation, answered with the bound badge.

    The challenge is good for one answer: after a refused presentation the wallet starts again (``{}``).

    Raises:
        WalletOfferInvalidError: unknown, used or expired, or protected by a PIN.
        InvalidStateError: no challenge was asked for yet, or the badge was revoked or suspended.
        InvalidPresentationError: the presentation does not verify (proof, did:key holder, challenge,
            domain), or carries credentials (a DID authentication carries none).
    """
    offer = _exchangeable(
        _open(await _offer_by(session, organisation, WalletOfferRow.exchange_token_hash, exchange_token), now)
    )
    challenge = offer.challenge
    if challenge is None:
        raise InvalidStateError("start the exchange first: POST {} to get a challenge")
    offer.challenge = None  # one answer per challenge, accepted or not
    await session.commit()
    if not isinstance(presentation, dict):
        raise InvalidPresentationError("verifiablePresentation must be a JSON object")
    if presentation.get("verifiableCredential"):
        raise InvalidPresentationError("a DID authentication presentation carries no credentials")
    problems, holder = await asyncio.to_thread(
        _presentation_problems, presentation, challenge=challenge, domain=_domain(services), now=now
    )
    if problems or holder is None or not holder.startswith("did:key:"):
        detail = "; ".join(problems) or "the presenter must be a did:key"
        raise InvalidPresentationError(f"the presentation does not verify: {detail}")
    delivered = await _deliver(
        session,
        services,
        organisation,
        offer,
        holder=holder,
        protocol="vcapi",
        wallet_format="ldp_vc",
        from_state="offered",
        now=now,
    )
    return {
        "verifiablePresentation": {
            "@context": [VC_V2_CONTEXT],
            "type": ["VerifiablePresentation"],
            "verifiableCredential": [delivered],
        }
    }
