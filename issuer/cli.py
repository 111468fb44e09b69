"""``badges``: the one command-line entry point (DESIGN.md "Interfaces other tools depend on").

The verifier commands work on the base install; commands that need the service stack say so.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from issuer.definitions import BadgeCatalog, load_catalog, record_published
from issuer.errors import BadgeNotFoundError, InvalidAwardError, IssuerError
from issuer.issuance import (
    Attester,
    Award,
    EvidenceItem,
    IssuerProfile,
    build_credential,
    check_recipient,
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
defs_app = typer.Typer(
    help="Check and publish the badge definitions (badge_defs/badges/*.yaml).", no_args_is_help=True
)
app.add_typer(defs_app, name="defs")
org_app = typer.Typer(
    help="Manage the service's organisations (needs the issuer extra).", no_args_is_help=True
)
app.add_typer(org_app, name="org")
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
DefsOption = Annotated[Path, typer.Option("--defs", envvar="BADGES_DEFS_DIR", help="The badge_defs folder.")]
DEFAULT_DEFS = Path("badge_defs")
LOCK_FILE = "published.lock.json"
ALGORITHMS = ("EdDSA", "ES256", "RS256")
# Exit codes: 1 for an operational failure (locked key store, invalid definitions), 2 for a mistake in
# the command's arguments, as typer's own usage errors.
USAGE = 2


def _fail(message: str, code: int = 1) -> typer.Exit:
    # escape: messages quote user input and pydantic text, which may contain [brackets]; soft_wrap: a
    # "file: field: problem" line stays one line, whatever the terminal width.
    err_console.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True)
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
    """Mark a compromised key revoked: it never signs again and is withdrawn from the DID document.

    Only a did:web issuer's badges stop verifying: a did:key issuer's key is its DID and cannot be withdrawn.
    """
    try:
        record = _store(store).revoke(key_id, reason=reason, now=datetime.now(UTC))
    except KeysError as err:
        raise _fail(str(err)) from err
    print(f"revoked {record.key_id}; republish the DID document and JWKS (`badges keys publish`)")
    print(
        "note: badges signed by this key stop verifying for a did:web issuer (the key is withdrawn from "
        "its DID document), not for a did:key issuer: that key IS the issuer's DID"
    )


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


def _catalog(defs: Path, *, lock_required: bool = True) -> BadgeCatalog:
    """The definitions of ``defs/badges``, checked against ``defs/published.lock.json``.

    Raises:
        BadgeDefinitionError: every problem of every file (and of the lock), listed.
    """
    lock = defs / LOCK_FILE
    return load_catalog(defs / "badges", lock_path=lock if lock_required or lock.exists() else None)


@defs_app.command("check")
def defs_check(defs: DefsOption = DEFAULT_DEFS) -> None:
    """Validate every definition against the lock; list each slug@version, its hash and its status."""
    try:
        catalog = _catalog(defs, lock_required=False)
    except IssuerError as err:
        raise _fail(err.detail) from err
    if not (defs / LOCK_FILE).exists():
        print(f"no {defs / LOCK_FILE} yet: every definition is a draft")
    published = catalog.published
    for badge in catalog:
        status = "published" if badge.lock_key in published else "draft"
        print(f"{badge.lock_key}  {badge.content_hash}  {status}")
    drafts = len(catalog.unpublished)
    print(
        f"{len(catalog)} definitions valid: {len(catalog) - drafts} published, {drafts} draft"
        + ("s" if drafts != 1 else "")
        + (" (publish with `badges defs publish`)" if drafts else "")
    )


@defs_app.command("publish")
def defs_publish(defs: DefsOption = DEFAULT_DEFS) -> None:
    """Record every draft slug@version in published.lock.json; a published version never changes."""
    lock = defs / LOCK_FILE
    try:
        catalog = _catalog(defs, lock_required=False)
        added = record_published(catalog, lock)
    except IssuerError as err:
        raise _fail(err.detail) from err
    except OSError as err:
        raise _fail(f"cannot write {lock}: {err}") from err
    if not added:
        print(f"nothing to publish: every definition is already in {lock}")
        return
    hashes = {badge.lock_key: badge.content_hash for badge in catalog}
    for key in added:
        print(f"published {key}  {hashes[key]}")
    print(f"updated {lock}; commit it with the definitions")


@app.command("issue")
def issue(
    definition: Annotated[
        str | None, typer.Option("--def", help="Badge definition slug (a file in badge_defs/badges/).")
    ] = None,
    level: Annotated[int | None, typer.Option("--level", help="Mastery level 1-4 (3 = competent).")] = None,
    recipient: Annotated[
        str | None, typer.Option("--recipient", help="Learner e-mail (stored hashed) or DID.")
    ] = None,
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
    defs: DefsOption = DEFAULT_DEFS,
    store: StoreOption = DEFAULT_STORE,
    csv_file: Annotated[
        Path | None,
        typer.Option(
            "--csv",
            help="Bulk award from a CSV file (student,badge,level[,comment,evidence_url,evidence_name]) "
            "into the service database (ISSUER_* settings); needs --org.",
        ),
    ] = None,
    org: Annotated[str | None, typer.Option("--org", help="With --csv: the organisation's slug.")] = None,
    enrol: Annotated[
        bool, typer.Option("--enrol", help="With --csv: create students named by e-mail who are unknown.")
    ] = False,
    as_email: Annotated[
        str | None,
        typer.Option(
            "--as",
            help="With --csv: the teacher or admin who attests (default: the organisation's first admin).",
        ),
    ] = None,
) -> None:
    """Issue one OpenBadgeCredential signed with the local key store, or (--csv) a batch in the service.

    One badge: --def, --level and --recipient. Exit 2 for a mistake in the arguments (unknown badge, level,
    attester role, recipient), 1 when the definitions are invalid or a draft, or the key store cannot sign.

    A batch: --csv FILE --org SLUG runs a bulk-award job in the service database (migrated first), with a
    progress bar; re-running the same file is idempotent and continues an interrupted run. Exit 0 when
    every row was issued or skipped, 1 when some were rejected (FILE.rejected.csv lists them), 2 for
    usage errors (including a file that cannot be read as a CSV).
    """
    if csv_file is not None:
        if definition is not None or level is not None or recipient is not None:
            raise _fail("--csv issues a batch: leave out --def, --level and --recipient", USAGE)
        if org is None:
            raise _fail("--csv needs --org SLUG: the organisation that issues", USAGE)
        raise typer.Exit(_issue_csv(csv_file, org=org, enrol=enrol, as_email=as_email))
    if org is not None or enrol or as_email is not None:
        raise _fail("--org, --enrol and --as go with --csv", USAGE)
    if definition is None or level is None or recipient is None:
        raise _fail("give --def, --level and --recipient (or --csv FILE --org SLUG for a batch)", USAGE)
    if fmt not in ("ldp", "jwt", "both"):
        raise typer.BadParameter("choose ldp, jwt or both", param_hint="--format")
    _check_alg(jwt_alg)
    if issuer_did is None and fmt != "ldp" and jwt_alg != "EdDSA":
        raise _fail(
            "a did:key issuer signs JWTs with its Ed25519 key: use --jwt-alg EdDSA or --issuer did:web:…",
            USAGE,
        )
    now = datetime.now(UTC)
    try:
        catalog = _catalog(defs)
        # The arguments are checked before the key store is unlocked.
        badge = catalog.get(definition)
        badge.check_award(level=level, attester_role=None if attester_name is None else attester_role)
        check_recipient(recipient)
    except (BadgeNotFoundError, InvalidAwardError) as err:
        raise _fail(err.detail, USAGE) from err
    except IssuerError as err:
        raise _fail(err.detail) from err
    if fmt in ("jwt", "both") and not recipient.startswith("did:"):
        raise _fail("a VC-JWT needs a DID recipient (its `sub` claim); use --format ldp for an e-mail", USAGE)
    if badge.lock_key in catalog.unpublished:
        raise _fail(
            f"{badge.lock_key} is a draft: it is not in {defs / LOCK_FILE}, and drafts are not issued; "
            "check it, then publish it with `badges defs publish`"
        )
    try:
        key_store = _store(store)
        ed_signer = key_store.active_signer("EdDSA") if fmt in ("ldp", "both") or issuer_did is None else None
        if issuer_did is None:
            if ed_signer is None:  # pragma: no cover - guarded above
                raise _fail("no Ed25519 key")
            issuer_did = did_key_from_public_key(ed_signer.public_key())

        def method_for(key_id: str) -> str:
            # A did:key names its one key by itself; a did:web lists keys by their thumbprint ids.
            if issuer_did is not None and issuer_did.startswith("did:key:"):
                return f"{issuer_did}#{issuer_did.removeprefix('did:key:')}"
            return f"{issuer_did}#{key_id}"

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
                credential, ed_signer, verification_method=method_for(ed_signer.key_id), created=now
            )
        if fmt in ("jwt", "both"):
            jwt_signer = key_store.active_signer(jwt_alg)
            documents["jwt"] = sign_vc_jwt(credential, jwt_signer, kid=method_for(jwt_signer.key_id))
    except InvalidAwardError as err:  # checked above; kept so that no argument mistake exits 1
        raise _fail(err.detail, USAGE) from err
    except (IssuerError, KeysError, VerifierError) as err:
        raise _fail(getattr(err, "detail", None) or str(err)) from err
    _write_output(out, documents)


ISSUER_EXTRA = "the service needs the issuer extra: pip install 'mastery-badges[issuer]'"


def _issue_csv(csv_file: Path, *, org: str, enrol: bool, as_email: str | None) -> int:
    """``badges issue --csv``: the service's bulk-award job, run in this process. Returns the exit code."""
    settings = _settings()
    try:
        from issuer.bulk_csv import MAX_CSV_BYTES
        from issuer.services.awards import run_csv_job
    except ImportError as err:
        raise _fail(ISSUER_EXTRA) from err
    try:
        with csv_file.open("rb") as handle:
            data = handle.read(MAX_CSV_BYTES + 1)  # read_award_csv names the limit when it is exceeded
    except OSError as err:
        raise _fail(f"cannot read {csv_file}: {err.strerror or err}", USAGE) from err
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    ) as bar:
        task = bar.add_task(f"awarding {csv_file.name}", total=None)

        def show(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            outcome = asyncio.run(
                run_csv_job(
                    settings,
                    data=data,
                    filename=csv_file.name,
                    org=org,
                    enrol=enrol,
                    as_email=as_email,
                    on_progress=show,
                )
            )
        except IssuerError as err:
            raise _fail(err.detail, _exit_code(err)) from err
        except KeysError as err:
            raise _fail(str(err)) from err
    result = outcome.progress
    print(
        f"{csv_file.name}: {result.total} rows: {result.issued} issued, {result.skipped} already issued "
        f"(skipped), {result.rejected} rejected" + (f", {result.failed} failed" if result.failed else "")
    )
    if outcome.report is not None:
        report_path = csv_file.with_name(csv_file.name + ".rejected.csv")
        report_path.write_text(outcome.report, encoding="utf-8")
        print(f"rejected rows and why: {report_path}")
    if result.state == "failed":
        err_console.print(f"[red]error:[/red] the job stopped: {escape(result.message)}", soft_wrap=True)
        return 1
    return 1 if result.rejected else 0


def _exit_code(err: IssuerError) -> int:
    """A usage mistake (bad file, unknown organisation or person) is 2; anything else 1."""
    usage = {"INVALID_CSV", "ORGANISATION_NOT_FOUND", "INVALID_REQUEST", "FORBIDDEN"}
    return USAGE if err.code in usage else 1


def _settings() -> Any:
    """``issuer.settings.Settings()`` from the environment; pydantic-settings comes with the issuer extra."""
    try:
        from pydantic import ValidationError

        from issuer.settings import Settings
    except ImportError as err:
        raise _fail(ISSUER_EXTRA) from err
    try:
        return Settings()
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in err.errors()
        )
        raise _fail(f"invalid ISSUER_* settings: {problems}") from err


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8000,
) -> None:
    """Run the issuer service (settings from ISSUER_* variables; migrations run at start-up)."""
    settings = _settings()
    try:
        from issuer.web.serve import prepare
        from issuer.web.serve import serve as run
    except ImportError as err:
        raise _fail(ISSUER_EXTRA) from err
    try:
        # Before listening: an invalid badge definition or database stops here, with its message.
        asyncio.run(prepare(settings))
    except IssuerError as err:
        raise _fail(_problems(err)) from err
    run(settings, host=host, port=port)


def _problems(err: IssuerError) -> str:
    problems = getattr(err, "problems", ())
    return err.detail + "".join(f"\n  {problem}" for problem in problems if problem not in err.detail)


@app.command("demo")
def demo(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8000,
    data_dir: Annotated[
        Path, typer.Option("--data-dir", help="Folder for the demo database, keys and evidence.")
    ] = Path("demo-data"),
) -> None:
    """Run the service on SQLite with demo organisations, people, badges and submissions; print the logins."""
    try:
        from issuer.services.demo import DEMO_PASSWORD, demo_settings, seed_demo
        from issuer.web.serve import serve as run
    except ImportError as err:
        raise _fail(ISSUER_EXTRA) from err
    settings = demo_settings(data_dir, host=host, port=port)
    try:
        logins = asyncio.run(seed_demo(settings))
    except (IssuerError, KeysError) as err:
        raise _fail(getattr(err, "detail", None) or str(err)) from err
    print(f"Mastery Badges demo: {settings.base_url}  (data in {data_dir}/)")
    print(f"  API documentation: {settings.base_url}/schema/openapi.json")
    print(f"  sign in: POST {settings.base_url}/api/session with one of these (password {DEMO_PASSWORD!r}):")
    for login in logins:
        print(f"    {login.role:<10} {login.organisation:<13} {login.email}")
    run(settings, host=host, port=port)


@org_app.command("create")
def org_create(
    slug: Annotated[str, typer.Argument(help="URL and DID path segment, e.g. lincoln-hs.")],
    name: Annotated[str, typer.Option("--name", help="The organisation's display name.")],
    kind: Annotated[str, typer.Option("--kind", help="district, school, employer, college or cte_program.")],
) -> None:
    """Create an organisation (its did:web under ISSUER_BASE_URL) and its EdDSA and RS256 keys."""
    settings = _settings()
    try:
        from issuer.db import create_engine, create_organisation, session_factory, upgrade
    except ImportError as err:
        raise _fail(ISSUER_EXTRA) from err
    from issuer.organisations import check_organisation, organisation_did

    now = datetime.now(UTC)
    try:
        check_organisation(slug=slug, name=name, kind=kind)
        did = organisation_did(settings.base_url, slug)
    except IssuerError as err:
        raise _fail(err.detail, USAGE) from err
    if settings.key_passphrase is None:
        raise _fail("set BADGES_KEY_PASSPHRASE: the organisation's keys are encrypted with it")
    store = FileKeyStore(settings.org_keys_dir(slug), settings.key_passphrase.get_secret_value())

    async def create() -> None:
        await upgrade(settings.database_url)
        engine = create_engine(settings.database_url)
        try:
            async with session_factory(engine)() as session:
                await create_organisation(session, slug=slug, name=name, kind=kind, did=did, now=now)
        finally:
            await engine.dispose()

    try:
        # Keys first: a row without keys would publish an empty DID document; a store without a row is inert.
        for algorithm in ("EdDSA", "RS256"):
            if not any(r.algorithm == algorithm and r.status == "active" for r in store.records()):
                store.generate(algorithm, now=now)
        asyncio.run(create())
    except (IssuerError, KeysError) as err:
        raise _fail(getattr(err, "detail", None) or str(err)) from err
    print(f"created {kind} {slug!r} ({did}) with EdDSA and RS256 keys in {store.directory}")


@org_app.command("add-member")
def org_add_member(
    slug: Annotated[str, typer.Argument(help="The organisation, e.g. lincoln-hs.")],
    email: Annotated[str, typer.Argument(help="The person's e-mail address (their sign-in).")],
    name: Annotated[str, typer.Option("--name", help="Display name.")],
    role: Annotated[str, typer.Option("--role", help="admin, teacher, supervisor, registrar or student.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input (for scripts).")
    ] = False,
) -> None:
    """Give someone a role in an organisation (the first admin of a new organisation, typically).

    The password is asked twice without echo, or read from standard input with --password-stdin; it is
    stored only as an argon2id hash. The change is recorded in the audit log as done by the operator.
    """
    settings = _settings()
    try:
        from issuer.db import create_engine, get_organisation, session_factory, upgrade
        from issuer.roles import Principal
        from issuer.services.people import add_member
    except ImportError as err:
        raise _fail(ISSUER_EXTRA) from err
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    operator = Principal(person_id=None, display_name="operator (badges org add-member)", via="cli")

    async def add() -> str:
        await upgrade(settings.database_url)
        engine = create_engine(settings.database_url)
        try:
            async with session_factory(engine)() as session:
                organisation = await get_organisation(session, slug)
                person, _ = await add_member(
                    session,
                    organisation=organisation,
                    email=email,
                    display_name=name,
                    role=role,
                    password=password,
                    now=datetime.now(UTC),
                    actor=operator,
                )
                return person.email
        finally:
            await engine.dispose()

    try:
        stored_email = asyncio.run(add())
    except IssuerError as err:
        raise _fail(err.detail, USAGE) from err
    print(f"{stored_email} is now {role} of {slug}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
