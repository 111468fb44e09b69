"""The 1EdTech JSON Schemas the verifier checks a CLR and an endorsement against, shipped as package data.

The schema files in ``verifier/schemas/`` are byte-for-byte the 1EdTech schemas (the copies in
../shared/spec/schemas/, whose source ``manifest.json`` records with each file's SHA-256); like the
contexts, they are never fetched. OB 3.0 «9.1» step 1: a credential is validated against the JSON
Schema (draft 2019-09) of its class. Badges keep their pydantic model check (:mod:`verifier.model`).
"""

from __future__ import annotations

import functools
import hashlib
import json
from importlib import resources
from typing import TYPE_CHECKING, Any, Final

import jsonschema

from verifier.errors import MalformedCredentialError

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["CLR_SCHEMA", "ENDORSEMENT_SCHEMA", "validate_against"]

CLR_SCHEMA: Final = "https://purl.imsglobal.org/spec/clr/v2p0/schema/json/clr_v2p0_clrcredential_schema.json"
ENDORSEMENT_SCHEMA: Final = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_endorsementcredential_schema.json"
)
_SHOWN_PROBLEMS: Final = 3


@functools.cache
def _validators() -> dict[str, Any]:
    """Build each validator once (building one re-checks the schema itself: tens of milliseconds)."""
    folder = resources.files("verifier").joinpath("schemas")
    manifest = json.loads(folder.joinpath("manifest.json").read_bytes())
    validators: dict[str, Any] = {}
    for entry in manifest["schemas"]:
        data = folder.joinpath(entry["file"]).read_bytes()
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            raise MalformedCredentialError(f"schema file {entry['file']} does not match its manifest SHA-256")
        schema = json.loads(data)
        validator_class = jsonschema.validators.validator_for(schema)
        validators[entry["id"]] = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    return validators


def _where(error: jsonschema.ValidationError) -> str:
    return "/".join(str(part) for part in error.absolute_path) or "(top level)"


def validate_against(
    schema_id: str, document: Mapping[str, Any], *, checked_elsewhere: tuple[str, ...] = ()
) -> None:
    """Validate ``document`` against a shipped 1EdTech schema.

    Args:
        schema_id: :data:`CLR_SCHEMA` or :data:`ENDORSEMENT_SCHEMA`.
        document: the credential as parsed JSON.
        checked_elsewhere: JSON paths (``credentialSubject/verifiableCredential``) whose problems are
            not reported here because the caller checks those parts on their own.

    Raises:
        MalformedCredentialError: naming the first problems (JSON path and message) and their count.
    """
    validator = _validators()[schema_id]
    problems = sorted(
        (e for e in validator.iter_errors(document) if not _where(e).startswith(checked_elsewhere)),
        key=lambda e: ([str(p) for p in e.absolute_path], e.message),
    )
    if not problems:
        return
    shown = "; ".join(f"{_where(p)}: {p.message[:200]}" for p in problems[:_SHOWN_PROBLEMS])
    raise MalformedCredentialError(
        f"does not match {schema_id.rsplit('/', 1)[-1]}: {shown} ({len(problems)} problem(s))"
    )
