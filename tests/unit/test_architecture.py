"""The dependency rule of docs/architecture.md, enforced (STYLE.md §3.3)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# What each package may import besides the stdlib and itself.
THIRD_PARTY: dict[str, set[str]] = {
    "keys": {"cryptography"},
    "verifier": {
        "cryptography",
        "pydantic",
        "pydantic_core",
        "jwt",
        "pyld",
        "pyoxigraph",
        "rfc8785",
        "jsonschema",
        "yaml",
    },
    "issuer": {
        "cryptography",
        "pydantic",
        "pydantic_core",
        "jwt",
        "yaml",
        "rfc8785",
        "typer",
        "rich",
        "click",
        "jsonschema",
    },
}
# Modules allowed more than their package (the CLI front ends, the web and database layers).
EXTRA: dict[str, set[str]] = {
    "verifier.cli": {"typer", "rich", "click"},
    "issuer.web": {
        "litestar",
        "msgspec",
        "uvicorn",
        "qrcode",
        "argon2",
        "jinja2",
        "markupsafe",
        "babel",
        "markdown_it",
        "nh3",
        "sqlalchemy",
        "sqlmodel",
        "advanced_alchemy",
    },
    "issuer.db": {"sqlalchemy", "sqlmodel", "alembic", "advanced_alchemy", "aiosqlite", "asyncpg"},
    "issuer.services": {"sqlalchemy", "sqlmodel", "anyio"},
    # A wallet offer comes with its QR code, for the API and the pages alike.
    "issuer.services.wallet_offers": {"qrcode"},
    "issuer.settings": {"pydantic_settings"},
    "issuer.accounts": {"argon2"},
}
FIRST_PARTY: dict[str, set[str]] = {
    "keys": {"keys"},
    # A verifier that cannot sign is easier to trust: public-key parts of `keys` only.
    "verifier": {"verifier", "keys.encoding", "keys.errors"},
    "issuer": {"issuer", "verifier", "keys"},
}
STDLIB = set(sys.stdlib_module_names) | {"__future__", "_typeshed"}  # _typeshed: type-checking only


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _allowed(module: str, imported: str) -> bool:
    package = module.split(".")[0]
    top = imported.split(".")[0]
    if top in STDLIB:
        return True
    extra = set().union(*(names for prefix, names in EXTRA.items() if module.startswith(prefix)))
    if top in THIRD_PARTY[package] | extra:
        return True
    if top in FIRST_PARTY:
        return any(
            imported == p or imported.startswith(p + ".") or p.startswith(imported + ".")
            for p in FIRST_PARTY[package]
        )
    return False


@pytest.mark.parametrize("package", sorted(THIRD_PARTY))
def test_architecture_imports_follow_the_dependency_rule(package: str) -> None:
    violations = [
        f"{_module_name(path)} imports {imported}"
        for path in sorted((REPO / package).rglob("*.py"))
        for imported in _imports(path)
        if not _allowed(_module_name(path), imported)
    ]
    assert violations == []


def test_architecture_rule_catches_a_forbidden_import() -> None:
    # The checker itself must be able to fail.
    assert not _allowed("verifier.verify", "keys.store")
    assert not _allowed("verifier.verify", "litestar")
    assert not _allowed("keys.store", "pydantic")
    assert _allowed("verifier.verify", "keys.encoding")


def test_architecture_verifier_import_pulls_no_web_or_database_stack() -> None:
    code = (
        "import sys, verifier, verifier.verify, verifier.cli, keys;"
        "bad = sorted(m for m in ('litestar', 'sqlmodel', 'sqlalchemy', 'alembic') if m in sys.modules);"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
