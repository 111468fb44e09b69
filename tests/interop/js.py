"""Python bridge to the independent JavaScript implementation (Digital Bazaar's VC stack and jose).

Each call starts one Node process that reads one JSON request on stdin and writes one JSON response
on stdout, so a test batches many cases per process start. The JS side is offline: its document
loader serves only the contexts and documents passed here. Contexts come from the project's pinned
set (``verifier/contexts/manifest.json``), so both implementations read the same bytes.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from keys.encoding import public_key_to_multikey
from verifier.document_loader import DEFAULT_LOADER, operator_contexts
from verifier.errors import ContextUnavailableError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import datetime

INTEROP_DIR = Path(__file__).resolve().parent
REPO = INTEROP_DIR.parents[1]
SPEC = REPO.parent / "shared" / "spec"
MANIFEST = REPO / "verifier" / "contexts" / "manifest.json"
NODE_MODULES = INTEROP_DIR / "node_modules"

# Generous: a cold Node start plus a batch of RDFC canonicalizations on a shared 2-core machine.
NODE_TIMEOUT_S = 180.0


class JsBridgeError(Exception):
    """The Node side failed (non-zero exit, timeout, bad JSON) or the bridge's inputs are unusable."""


def missing_reason() -> str | None:
    """Why the JS stack cannot run here, or None when it can.

    Returns:
        A human-readable reason (node or the npm packages missing), or None.
    """
    if shutil.which("node") is None:
        return "node is not on PATH (install Node 20+)"
    if not NODE_MODULES.is_dir():
        return "tests/interop/node_modules is missing (run `make interop-deps`)"
    package = json.loads((INTEROP_DIR / "package.json").read_text(encoding="utf-8"))
    missing = [name for name in package["dependencies"] if not (NODE_MODULES / name).is_dir()]
    if missing:
        return f"{', '.join(missing)} not installed in tests/interop/node_modules (run `make interop-deps`)"
    return None


def js_available() -> bool:
    """Whether node and the pinned npm packages are installed.

    Returns:
        True when the interop tests can run.
    """
    return missing_reason() is None


def require_js() -> None:
    """Skip the calling test when the JS stack is missing, but fail it under CI.

    Skipping in CI (``CI=true``) would turn a broken install step into a silent pass.
    """
    reason = missing_reason()
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"interop: {reason}; CI must run the interop tests", pytrace=False)
    pytest.skip(f"interop: {reason}")


@functools.cache
def pinned_contexts() -> dict[str, Any]:
    """The JSON-LD contexts the JS document loader may serve, by URL.

    Read only from the project's manifest (``verifier/contexts/manifest.json``) so that both
    implementations use the same pinned copies; each file's ``sha256`` is checked.

    Returns:
        URL -> parsed context document. Callers must not mutate it (it is cached).

    Raises:
        JsBridgeError: the manifest is missing or has an unknown shape, or a file's hash differs.
    """
    try:
        manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise JsBridgeError(f"verifier/contexts/manifest.json cannot be read: {err}") from err
    contexts: dict[str, Any] = {}
    for url, file, digest in _manifest_entries(manifest):
        if url in operator_contexts():
            continue  # not shipped: see js_contexts
        data = (MANIFEST.parent / file).read_bytes()
        if hashlib.sha256(data).hexdigest() != digest.lower():
            raise JsBridgeError(f"{file}: sha256 differs from verifier/contexts/manifest.json")
        contexts[url] = json.loads(data)
    return contexts


def js_contexts() -> dict[str, Any]:
    """The shipped contexts, plus each operator-supplied one (the CLR context) the Python loader serves now.

    An operator-supplied context comes through :data:`verifier.document_loader.DEFAULT_LOADER`, so the
    JavaScript stack reads exactly what the Python verifier reads (in tests, the same stand-in); one the
    loader cannot serve is left out, and the JavaScript loader then refuses it too.
    """
    contexts = dict(pinned_contexts())
    for url in operator_contexts():
        try:
            contexts[url] = DEFAULT_LOADER(url)["document"]
        except ContextUnavailableError:
            continue
    return contexts


def _manifest_entries(manifest: Any) -> list[tuple[str, str, str]]:
    """(url, file, sha256) for each entry of ``{"contexts": [{"url", "file", "sha256", ...}]}``.

    ``file`` is the copy beside the manifest; ``package``, ``version`` and ``path`` (the file inside
    the npm package) record provenance and are not needed here.
    """
    raw = manifest.get("contexts") if isinstance(manifest, dict) else None
    if not isinstance(raw, list):
        raise JsBridgeError('verifier/contexts/manifest.json: expected {"contexts": [...]}')
    entries = []
    for entry in raw:
        url, file, digest = (
            entry.get(key) if isinstance(entry, dict) else None for key in ("url", "file", "sha256")
        )
        if not (isinstance(url, str) and isinstance(file, str) and isinstance(digest, str)):
            raise JsBridgeError(f"verifier/contexts/manifest.json: cannot read entry {entry!r}")
        entries.append((url, file, digest))
    return entries


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _run_node(script: str, request: Mapping[str, Any]) -> dict[str, Any]:
    """Run ``tests/interop/<script>`` with ``request`` as JSON on stdin and parse its stdout."""
    node = shutil.which("node")
    if node is None:
        raise JsBridgeError("node is not on PATH")
    try:
        completed = subprocess.run(
            [node, str(INTEROP_DIR / script)],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            cwd=INTEROP_DIR,
            timeout=NODE_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as err:
        raise JsBridgeError(f"node {script} did not finish within {NODE_TIMEOUT_S:.0f} s") from err
    if completed.returncode != 0:
        raise JsBridgeError(
            f"node {script} exited {completed.returncode}; stderr:\n{completed.stderr.strip()}"
        )
    try:
        response = json.loads(completed.stdout)
    except json.JSONDecodeError as err:
        raise JsBridgeError(
            f"node {script} wrote no JSON: {completed.stdout[:500]!r}; stderr:\n{completed.stderr.strip()}"
        ) from err
    if not isinstance(response, dict):
        raise JsBridgeError(f"node {script} wrote {type(response).__name__}, not an object")
    return response


def js_verify(
    items: Sequence[Mapping[str, Any]],
    *,
    documents: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Verify a batch with the JS stack, in one Node process.

    Args:
        items: ``{"kind": "ldp", "credential": {...}}`` (Data Integrity, eddsa-rdfc-2022 or
            eddsa-jcs-2022) or ``{"kind": "jwt", "token": str, "jwk": public JWK, "alg": str}``.
        documents: URL or DID -> document the JS loader may serve: DID documents, controller
            documents, Bitstring status list credentials (checked only when given here).
        now: the verification time for validity dates (JS uses its clock when None).

    Returns:
        One ``{"verified": bool, "error"?: str, ...}`` per item, in order. LDP results carry
        ``status`` (``none``, ``unchecked``, ``valid`` or the purpose of a set bit); JWT results
        carry ``payload`` and ``header``.

    Raises:
        JsBridgeError: Node failed or answered with the wrong number of results.
    """
    request: dict[str, Any] = {
        "contexts": js_contexts(),
        "documents": dict(documents or {}),
        "items": list(items),
    }
    if now is not None:
        request["now"] = now.isoformat()
    results = _run_node("verify.mjs", request).get("results")
    if not isinstance(results, list) or len(results) != len(items):
        raise JsBridgeError(f"verify.mjs answered {results!r} for {len(items)} items")
    return results


def js_sign_ldp(
    credential: Mapping[str, Any],
    *,
    seed: bytes,
    controller: str,
    cryptosuite: str = "eddsa-rdfc-2022",
    created: datetime | None = None,
    verification_method: str | None = None,
) -> dict[str, Any]:
    """Sign with the JS stack (``@digitalbazaar/vc`` ``issue``) and an Ed25519 key from ``seed``.

    Args:
        credential: the unsigned credential.
        seed: the 32-byte Ed25519 seed.
        controller: the key's controller (the issuer's DID or URL).
        cryptosuite: ``eddsa-rdfc-2022`` or ``eddsa-jcs-2022``.
        created: the proof's ``created`` (JS uses its clock when None).
        verification_method: the key id; defaults to ``controller#<publicKeyMultibase>``.

    Returns:
        The signed credential.

    Raises:
        JsBridgeError: Node failed.
    """
    request: dict[str, Any] = {
        "contexts": js_contexts(),
        "seed_hex": seed.hex(),
        "controller": controller,
        "cryptosuite": cryptosuite,
        "credential": dict(credential),
    }
    if created is not None:
        request["created"] = created.isoformat()
    if verification_method is not None:
        request["verificationMethod"] = verification_method
    signed = _run_node("sign.mjs", request).get("signed")
    if not isinstance(signed, dict):
        raise JsBridgeError(f"sign.mjs answered {signed!r}")
    return signed


def js_sign_jwt(
    payload: Mapping[str, Any], *, header: Mapping[str, Any], private_jwk: Mapping[str, Any]
) -> str:
    """Sign a JWT with jose (``SignJWT``): RS256, ES256 or EdDSA, as ``header["alg"]`` says.

    Args:
        payload: the JWT claims.
        header: the protected header (must hold ``alg``).
        private_jwk: the private key as a JWK.

    Returns:
        The compact JWS.

    Raises:
        JsBridgeError: Node failed.
    """
    request = {"jwt": {"payload": dict(payload), "header": dict(header), "jwk": dict(private_jwk)}}
    token = _run_node("sign.mjs", request).get("token")
    if not isinstance(token, str):
        raise JsBridgeError(f"sign.mjs answered {token!r}")
    return token


def js_bench(
    credential: Mapping[str, Any],
    *,
    seed: bytes,
    controller: str,
    verification_method: str,
    documents: Mapping[str, Any],
    n: int = 200,
) -> dict[str, Any]:
    """Time the JS stack's eddsa-rdfc-2022 sign and verify of ``credential``, ``n`` times each.

    Returns:
        ``{"n", "sign_per_s", "verify_per_s", "sign_ms", "verify_ms"}`` from ``bench.mjs``.

    Raises:
        JsBridgeError: Node failed.
    """
    request = {
        "contexts": js_contexts(),
        "documents": dict(documents),
        "seed_hex": seed.hex(),
        "controller": controller,
        "verificationMethod": verification_method,
        "credential": dict(credential),
        "n": n,
    }
    return _run_node("bench.mjs", request)


def ed25519_multibase(seed: bytes) -> str:
    """The Multikey ``publicKeyMultibase`` of the Ed25519 key with this seed (computed here, not in JS).

    Returns:
        ``"z"`` + base58btc(0xed01 || public key).
    """
    return public_key_to_multikey(Ed25519PrivateKey.from_private_bytes(seed).public_key())


def did_key(seed: bytes) -> str:
    """The ``did:key`` of the Ed25519 key with this seed.

    Returns:
        ``did:key:z6Mk…``.
    """
    return f"did:key:{ed25519_multibase(seed)}"


def controller_document(controller: str, public_key_multibase: str) -> dict[str, Any]:
    """A DID-document-shaped controller document listing one Multikey under ``assertionMethod``.

    Used for did:web DIDs and for HTTPS key URLs such as the 1EdTech vector's
    ``https://example.edu/issuers/565049#z6Mk…``.

    Returns:
        The document, to be passed in ``documents`` under ``controller``.
    """
    key_id = f"{controller}#{public_key_multibase}"
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": controller,
        "verificationMethod": [
            {
                "id": key_id,
                "type": "Multikey",
                "controller": controller,
                "publicKeyMultibase": public_key_multibase,
            }
        ],
        "assertionMethod": [key_id],
    }


# The 1EdTech OB 3.0 eddsa-rdfc-2022 vector (vectors/ob-eddsa-rdfc-2022/README.md): its key is an
# HTTPS key URL under the issuer's id, so the JS side gets a controller document for it.
VECTOR_DIR = SPEC / "vectors" / "ob-eddsa-rdfc-2022"
VECTOR_SEED = bytes.fromhex("6241a409e6707bb640a0140a8a32bc3d193c33a661747284d6adfa4ed4180be4")
VECTOR_CONTROLLER = "https://example.edu/issuers/565049"
VECTOR_KEY_MULTIBASE = "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
VECTOR_CREATED = "2010-01-01T19:23:24Z"


def vector_credential(*, signed: bool) -> dict[str, Any]:
    """The 1EdTech vector credential, signed or unsigned, as a fresh dict.

    Returns:
        The parsed JSON of ``signed-credential.json`` or ``unsigned-credential.json``.
    """
    name = "signed-credential.json" if signed else "unsigned-credential.json"
    credential: dict[str, Any] = _read_json(VECTOR_DIR / name)
    return credential


def vector_documents() -> dict[str, Any]:
    """The ``documents`` that let the JS side dereference the vector's verification method.

    Returns:
        ``{VECTOR_CONTROLLER: controller document}``.
    """
    return {VECTOR_CONTROLLER: controller_document(VECTOR_CONTROLLER, VECTOR_KEY_MULTIBASE)}


def main() -> int:
    """Print the JS stack's eddsa-rdfc-2022 sign / verify rate on the 1EdTech vector (N=200).

    Run as ``.venv/bin/python -m tests.interop.js`` from the repository root.

    Returns:
        The process exit status.
    """
    reason = missing_reason()
    if reason is not None:
        sys.stderr.write(f"{reason}\n")
        return 2
    figures = js_bench(
        vector_credential(signed=False),
        seed=VECTOR_SEED,
        controller=VECTOR_CONTROLLER,
        verification_method=f"{VECTOR_CONTROLLER}#{VECTOR_KEY_MULTIBASE}",
        documents=vector_documents(),
    )
    sys.stdout.write(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
