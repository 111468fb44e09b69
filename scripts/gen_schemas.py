"""Write badge_defs/schema/badge-definition.schema.json from the pydantic model, or check it is current.

Usage (from the repository root):
    .venv/bin/python scripts/gen_schemas.py          # (re)write the committed schema
    .venv/bin/python scripts/gen_schemas.py --check  # exit 1 if the committed file differs
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from issuer.definitions import badge_definition_json_schema

REPO = Path(__file__).resolve().parents[1]
SCHEMA_PATH = REPO / "badge_defs" / "schema" / "badge-definition.schema.json"


def main(argv: list[str] | None = None) -> int:
    """Generate or check the badge definition JSON Schema.

    Args:
        argv: Command-line arguments without the program name; ``sys.argv[1:]`` when None.

    Returns:
        0 when the file was written or is current, 1 when ``--check`` finds it stale or missing.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if the file is stale")
    args = parser.parse_args(argv)
    generated = badge_definition_json_schema()
    relative = SCHEMA_PATH.relative_to(REPO)
    if args.check:
        current = SCHEMA_PATH.read_text(encoding="utf-8") if SCHEMA_PATH.exists() else None
        if current != generated:
            print(f"{relative} is out of date: run scripts/gen_schemas.py", file=sys.stderr)
            return 1
        print(f"{relative} is up to date")
        return 0
    SCHEMA_PATH.parent.mkdir(parents=True, exist_ok=True)
    SCHEMA_PATH.write_text(generated, encoding="utf-8", newline="\n")
    print(f"wrote {relative}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
