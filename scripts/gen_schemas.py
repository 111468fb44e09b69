"""Write the JSON Schemas in badge_defs/schema/ from the pydantic models, or check they are current.

- badge-definition.schema.json: a badge definition file (issuer.definitions.BadgeDefinition);
- credit-rules.schema.json: a credit-rules file (verifier.credit.rules.RuleSet).

Usage (from the repository root):
    .venv/bin/python scripts/gen_schemas.py          # (re)write the committed schemas
    .venv/bin/python scripts/gen_schemas.py --check  # exit 1 if a committed file differs
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from issuer.definitions import badge_definition_json_schema
from verifier.credit.rules import credit_rules_json_schema

if TYPE_CHECKING:
    from collections.abc import Callable

REPO = Path(__file__).resolve().parents[1]
SCHEMA_PATH = REPO / "badge_defs" / "schema" / "badge-definition.schema.json"
#: Written next to SCHEMA_PATH.
CREDIT_RULES_SCHEMA_NAME = "credit-rules.schema.json"


def _schemas() -> list[tuple[Path, Callable[[], str]]]:
    # Read the module globals at call time, so a test can point SCHEMA_PATH elsewhere.
    return [
        (SCHEMA_PATH, badge_definition_json_schema),
        (SCHEMA_PATH.parent / CREDIT_RULES_SCHEMA_NAME, credit_rules_json_schema),
    ]


def _shown(path: Path) -> Path:
    return path.relative_to(REPO) if path.is_relative_to(REPO) else path


def main(argv: list[str] | None = None) -> int:
    """Generate or check the JSON Schemas of badge definitions and credit rules.

    Args:
        argv: Command-line arguments without the program name; ``sys.argv[1:]`` when None.

    Returns:
        0 when the files were written or are current, 1 when ``--check`` finds one stale or missing.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if a file is stale")
    args = parser.parse_args(argv)
    status = 0
    for path, generate in _schemas():
        generated = generate()
        relative = _shown(path)
        if args.check:
            current = path.read_text(encoding="utf-8") if path.exists() else None
            if current != generated:
                print(f"{relative} is out of date: run scripts/gen_schemas.py", file=sys.stderr)
                status = 1
            else:
                print(f"{relative} is up to date")
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(generated, encoding="utf-8", newline="\n")
        print(f"wrote {relative}")
    return status


if __name__ == "__main__":
    sys.exit(main())
