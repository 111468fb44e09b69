"""``badges``: the one command-line entry point (DESIGN.md "Interfaces other tools depend on").

The verifier commands work on the base install; commands that need the service stack say so.
"""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from issuer.definitions import load_catalog
from issuer.errors import IssuerError
from issuer.issuance import (
    Attester,
    Award,
    EvidenceItem,
    IssuerProfile,
    build_credential,
    sign_data_integrity,
    sign_vc_jwt,
)
from keys.encoding import did_key_from_public_key, did_web_to_url
from keys.errors import KeysError
from keys.publish import did_document, jwks
from keys.store import FileKeyStore
from verifier.cli import transfer_command, verify_command
from verifier.errors import VerifierError

app = typer.Typer(
    name="badges",
    help="Mastery Badges: issue, verify and transfer Open Badges 3.0 mastery credentials.",
    no_args_is_help=True,
    add_completion=False,
)
keys_app = typer.Typer(help="Manage an issuer's signing keys (encrypted at rest).", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.command("verify")(verify_command)
app.command("transfer")(transfer_command)

err_console = Console(stderr=True, highlight=False)

StoreOption = Annotated[
    Path,
    typer.Option(
        "--store", envvar="BADGES_KEY_STORE", help="Key store directory (passphrase: BADGES_KEY_PASSPHRASE)."
    ),
]
DEFAULT_STORE = Path("keystore")
ALGORITHMS = ("EdDSA", "ES256", "RS256")


def _fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


def _store(directory: Path) -> FileKeyStore:
    return FileKeyStore.from_env(directory)


def _check_alg(alg: str) -> str:
    if alg not in ALGORITHMS:
        raise typer.BadParameter(f"{alg!r}: choose one of {', '.join(ALGORITHMS)}")
    return alg


@keys_app.command("generate")
def keys_generate(
    alg: Annotated[
        str, typer.Option("--alg", help="EdDSA (Data Integrity and JWT), RS256 or ES256 (JWT).")
    ] = "EdDSA",
    store: StoreOption = DEFAULT_STORE,
) -> None:
    """Create the first active key for an algorithm. The private key never leaves the store."""
    try:
        record = _store(store).generate(_check_alg(alg), now=datetime.now(UTC))
    except KeysError as err:
        raise _fail(str(err)) from err
    print(f"created {record.algorithm} key {record.key_id} in {store}")


@keys_app.command("rotate")
def keys_rotate(
    alg: Annotated[str, typer.Option("--alg")] = "EdDSA",
    store: StoreOption = DEFAULT_STORE,
) -> None:
    """New active key; the previous one retires (stays published so earlier badges keep verifying)."""
    try:
        record = _store(store).rotate(_check_alg(alg), now=datetime.now(UTC))
    except KeysError as err:
        raise _fail(str(err)) from err
    print(f"rotated: {record.algorithm} key {record.key_id} is now active")


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key id shown by `badges keys list`.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the store, never published).")],
    store: StoreOption = DEFAULT_STORE,
) -> None:
    """Mark a compromised key revoked: it never signs again and is withdrawn from the DID document."""
    try:
        record = _store(store).revoke(key_id, reason=reason, now=datetime.now(UTC))
    except KeysError as err:
        raise _fail(str(err)) from err
    print(f"revoked {record.key_id}; republish the DID document and JWKS (`badges keys publish`)")


@keys_app.command("list")
def keys_list(store: StoreOption = DEFAULT_STORE) -> None:
    """The keys in the store and their status (public information only)."""
    try:
        records = _store(store).records()
    except KeysError as err:
        raise _fail(str(err)) from err
    table = Table("key id", "algorithm", "status", "created")
    for record in records:
        table.add_row(record.key_id, record.algorithm, record.status, record.created.isoformat())
    Console().print(table)


@keys_app.command("publish")
def keys_publish(
    did: Annotated[str, typer.Option("--did", help="The issuer's did:web, e.g. did:web:badges.example.edu")],
    out: Annotated[
        Path, typer.Option("--out", help="Directory to write did.json, jwks.json, resolve-map.json")
    ],
    store: StoreOption = DEFAULT_STORE,
) -> None:
    """Write the DID document and JWKS to serve, and a --resolve map for offline verification."""
    try:
        records = _store(store).published_records()
        url = did_web_to_url(did)
    except (KeysError, VerifierError) as err:
        raise _fail(str(err)) from err
    out.mkdir(parents=True, exist_ok=True)
    (out / "did.json").write_text(json.dumps(did_document(did, records), indent=2) + "\n", encoding="utf-8")
    (out / "jwks.json").write_text(json.dumps(jwks(records, did=did), indent=2) + "\n", encoding="utf-8")
    (out / "resolve-map.json").write_text(json.dumps({url: "did.json"}, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}/did.json (serve it at {url}), jwks.json and resolve-map.json")


def _write_output(out: Path | None, documents: dict[str, Any]) -> None:
    """ldp -> JSON file, jwt -> text file; both -> OUT.json and OUT.jwt."""
    if out is None:
        if len(documents) == 1:
            value = next(iter(documents.values()))
            print(value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False))
        else:
            print(json.dumps(documents, indent=2, ensure_ascii=False))
        return
    targets = (
        {"ldp": out, "jwt": out}
        if len(documents) == 1
        else {"ldp": out.with_suffix(".json"), "jwt": out.with_suffix(".jwt")}
    )
    for kind, value in documents.items():
        text = (
            value + "\n" if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False) + "\n"
        )
        targets[kind].write_text(text, encoding="utf-8")
        err_console.print(f"wrote {targets[kind]}")


@app.command("issue")
def issue(
    definition: Annotated[
        str, typer.Option("--def", help="Badge definition slug (a file in badge_defs/badges/).")
    ],
    level: Annotated[int, typer.Option("--level", help="Mastery level 1-4 (3 = competent).")],
    recipient: Annotated[str, typer.Option("--recipient", help="Learner e-mail (stored hashed) or DID.")],
    fmt: Annotated[str, typer.Option("--format", help="ldp (Data Integrity), jwt (VC-JWT) or both.")] = "ldp",
    out: Annotated[
        Path | None, typer.Option("--out", help="Output file (both: OUT.json and OUT.jwt).")
    ] = None,
    issuer_did: Annotated[
        str | None,
        typer.Option(
            "--issuer", envvar="BADGES_ISSUER_DID", help="Issuer did:web; default: the Ed25519 key's did:key."
        ),
    ] = None,
    issuer_name: Annotated[
        str, typer.Option("--issuer-name", envvar="BADGES_ISSUER_NAME")
    ] = "Mastery Badges issuer",
    jwt_alg: Annotated[
        str, typer.Option("--jwt-alg", help="Key for the JWT: RS256, ES256 or EdDSA.")
    ] = "RS256",
    attester_name: Annotated[
        str | None, typer.Option("--attester-name", help="Teacher or supervisor.")
    ] = None,
    attester_role: Annotated[
        str, typer.Option("--attester-role", help="teacher, supervisor or admin.")
    ] = "teacher",
    evidence: Annotated[
        list[str] | None, typer.Option("--evidence", help="Evidence URL (repeatable).")
    ] = None,
    defs: Annotated[
        Path, typer.Option("--defs", envvar="BADGES_DEFS_DIR", help="The badge_defs folder.")
    ] = Path("badge_defs"),
    store: StoreOption = DEFAULT_STORE,
) -> None:
    """Issue one OpenBadgeCredential, signed with the local key store."""
    if fmt not in ("ldp", "jwt", "both"):
        raise typer.BadParameter("choose ldp, jwt or both", param_hint="--format")
    _check_alg(jwt_alg)
    now = datetime.now(UTC)
    try:
        catalog = load_catalog(defs / "badges", lock_path=defs / "published.lock.json")
        badge = catalog.get(definition)
        key_store = _store(store)
        ed_signer = key_store.active_signer("EdDSA") if fmt in ("ldp", "both") or issuer_did is None else None
        if issuer_did is None:
            if ed_signer is None:  # pragma: no cover - guarded above
                raise _fail("no Ed25519 key")
            issuer_did = did_key_from_public_key(ed_signer.public_key())
            if fmt != "ldp" and jwt_alg != "EdDSA":
                raise _fail(
                    "a did:key issuer signs JWTs with its Ed25519 key: use --jwt-alg EdDSA or --issuer did:web:…"
                )

        def method_for(signer_key_id: str, public_key: Any) -> str:
            if issuer_did is not None and issuer_did.startswith("did:key:"):
                return f"{issuer_did}#{issuer_did.removeprefix('did:key:')}"
            return f"{issuer_did}#{signer_key_id}"

        award = Award(
            definition=badge,
            level=level,
            recipient=recipient,
            attester=None
            if attester_name is None
            else Attester(id=f"urn:uuid:{uuid.uuid4()}", name=attester_name, role=attester_role),
            evidence=tuple(
                EvidenceItem(name=f"Evidence {i + 1}", url=url) for i, url in enumerate(evidence or [])
            ),
        )
        credential = build_credential(
            award,
            IssuerProfile(id=issuer_did, name=issuer_name),
            credential_id=f"urn:uuid:{uuid.uuid4()}",
            now=now,
            salt=secrets.token_hex(16),
        )
        documents: dict[str, Any] = {}
        if fmt in ("ldp", "both") and ed_signer is not None:
            documents["ldp"] = sign_data_integrity(
                credential, ed_signer, verification_method=method_for(ed_signer.key_id, None), created=now
            )
        if fmt in ("jwt", "both"):
            if not recipient.startswith("did:"):
                raise _fail(
                    "a VC-JWT needs a DID recipient (its `sub` claim); use --format ldp for an e-mail"
                )
            jwt_signer = key_store.active_signer(jwt_alg)
            documents["jwt"] = sign_vc_jwt(credential, jwt_signer, kid=method_for(jwt_signer.key_id, None))
    except (IssuerError, KeysError, VerifierError) as err:
        raise _fail(getattr(err, "detail", None) or str(err)) from err
    _write_output(out, documents)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
