"""Badge definitions: YAML format, validation messages, content hashes, the publication lock."""

from __future__ import annotations

import importlib.util
import json
import shutil
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from issuer.definitions import (
    ACHIEVEMENT_TYPES,
    ALIGNMENT_TARGET_TYPES,
    BadgeCatalog,
    BadgeDefinition,
    CalendarDuration,
    badge_definition_json_schema,
    load_catalog,
    load_definition,
    parse_definition,
    record_published,
)
from issuer.errors import (
    AlreadyIssuedError,
    BadgeDefinitionError,
    BadgeNotFoundError,
    InvalidAwardError,
    IssuerError,
    NotEligibleError,
    SigningUnavailableError,
)

REPO = Path(__file__).resolve().parents[3]
SPEC = REPO.parent / "shared" / "spec"
BADGE_DEFS = REPO / "badge_defs"
EXAMPLES = BADGE_DEFS / "badges"
LOCK = BADGE_DEFS / "published.lock.json"
SCHEMA_FILE = BADGE_DEFS / "schema" / "badge-definition.schema.json"


def minimal(**changes: Any) -> dict[str, Any]:
    """A small valid definition as YAML would give it; keyword arguments replace or add fields."""
    data: dict[str, Any] = {
        "achievement_id": "https://consortium.example/achievements/test-badge",
        "version": 1,
        "name": "Test badge",
        "description": "A badge used by the tests.",
        "criteria": "Do the thing at level 3.",
        "achievement_type": "Competency",
        "rubric": [
            {"level": n, "name": name, "description": f"Level {n}."}
            for n, name in enumerate(["Beginning", "Developing", "Competent", "Advanced"], start=1)
        ],
        "attester_roles": ["teacher"],
        "evidence": [{"kind": "file", "description": "The work.", "required": True}],
    }
    data.update(changes)
    return data


def write(directory: Path, slug: str, data: dict[str, Any] | str) -> Path:
    path = directory / f"{slug}.yaml"
    path.write_text(
        data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False), encoding="utf-8"
    )
    return path


def problems_of(directory: Path, *, lock_path: Path | None = None) -> tuple[str, ...]:
    with pytest.raises(BadgeDefinitionError) as caught:
        load_catalog(directory, lock_path=lock_path)
    assert caught.value.code == "BADGE_DEFINITION_INVALID"
    assert all(problem in caught.value.detail for problem in caught.value.problems)
    return caught.value.problems


@pytest.fixture(name="defs")
def fx_defs(tmp_path: Path) -> Path:
    directory = tmp_path / "badges"
    directory.mkdir()
    return directory


@pytest.fixture(name="published")
def fx_published(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the committed examples and their lock, safe to edit."""
    directory = tmp_path / "badges"
    shutil.copytree(EXAMPLES, directory)
    lock = tmp_path / "published.lock.json"
    shutil.copy(LOCK, lock)
    return directory, lock


# --- the committed examples ----------------------------------------------------------------------------


def test_examples_load_against_the_committed_lock() -> None:
    catalog = load_catalog(EXAMPLES, lock_path=LOCK)

    assert catalog.slugs == (
        "math-7rp-proportional",
        "weld-smaw-3f",
        "weld-smaw-4f",
        "workplace-communication",
    )
    assert catalog.unpublished == ()
    assert dict(catalog.published) == json.loads(LOCK.read_text(encoding="utf-8"))
    assert {d.lock_key: d.content_hash for d in catalog} == catalog.published


def test_examples_cover_the_three_kinds_of_badge() -> None:
    catalog = load_catalog(EXAMPLES)

    math = catalog.get("math-7rp-proportional")
    assert math.alignments[0].target_url == "https://www.thecorestandards.org/Math/Content/7/RP/A/2/"
    assert math.credit[0].min_level >= math.required_level
    weld = catalog.get("weld-smaw-3f")
    assert set(weld.attester_roles) == {"teacher", "supervisor"}
    assert weld.validity == CalendarDuration(3, 0, 0)
    internship = catalog.get("workplace-communication")
    assert internship.attester_roles == ("supervisor",)
    assert internship.achievement_type == "Fieldwork"
    assert len({d.achievement_id for d in catalog}) == len(catalog) == 4


def test_examples_validate_against_the_json_schema() -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)

    for path in sorted(EXAMPLES.glob("*.yaml")):
        errors = [e.message for e in validator.iter_errors(yaml.safe_load(path.read_text(encoding="utf-8")))]
        assert errors == [], path


def test_json_schema_committed_equals_generated() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == badge_definition_json_schema()


def test_json_schema_rejects_what_pydantic_rejects() -> None:
    validator = Draft202012Validator(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))

    assert validator.is_valid(minimal())
    assert not validator.is_valid(minimal(nmae="typo"))
    assert not validator.is_valid(minimal(valid_for="P2W"))
    assert not validator.is_valid(minimal(achievement_type="Competence"))
    assert not validator.is_valid(minimal(attester_roles=["teacher", "teacher"]))
    assert not validator.is_valid(minimal(rubric=minimal()["rubric"][:3]))


def test_gen_schemas_check_passes_on_the_committed_file() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "gen_schemas.py"), "--check"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr


def test_gen_schemas_check_fails_on_a_stale_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = importlib.util.spec_from_file_location("gen_schemas", REPO / "scripts" / "gen_schemas.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    stale = tmp_path / "schema" / "badge-definition.schema.json"
    monkeypatch.setattr(module, "REPO", tmp_path)
    monkeypatch.setattr(module, "SCHEMA_PATH", stale)

    assert module.main(["--check"]) == 1  # missing
    assert module.main([]) == 0
    assert stale.read_text(encoding="utf-8") == badge_definition_json_schema()
    assert module.main(["--check"]) == 0
    stale.write_text(stale.read_text(encoding="utf-8").replace('"type"', '"typ"', 1), encoding="utf-8")
    assert module.main(["--check"]) == 1


def test_readme_example_is_a_valid_definition(defs: Path) -> None:
    readme = (BADGE_DEFS / "README.md").read_text(encoding="utf-8")
    example = readme.split("## A short example", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]

    definition = load_definition(write(defs, "workplace-communication", example))

    assert definition.attester_roles == ("supervisor",)
    assert len(definition.rubric) == 4


def test_enums_match_the_official_ob_schema() -> None:
    schema = json.loads(
        (SPEC / "schemas" / "ob" / "ob_v3p0_achievementcredential_schema.json").read_text(encoding="utf-8")
    )
    achievement_type = schema["$defs"]["Achievement"]["properties"]["achievementType"]["oneOf"][0]["enum"]
    target_type = schema["$defs"]["Alignment"]["properties"]["targetType"]["oneOf"][0]["enum"]

    assert set(achievement_type) == ACHIEVEMENT_TYPES
    assert set(target_type) == ALIGNMENT_TARGET_TYPES


# --- validation messages -------------------------------------------------------------------------------


def test_load_catalog_typo_in_field_name_names_file_field_and_fix(defs: Path) -> None:
    data = minimal()
    data["nmae"] = data.pop("name")
    path = write(defs, "weld-3f", data)

    problems = problems_of(defs)

    assert f"{path}: nmae: unknown field; did you mean 'name'?" in problems
    assert f"{path}: name: required field is missing" in problems


def test_load_catalog_typo_in_nested_field_name(defs: Path) -> None:
    data = minimal()
    data["evidence"][0]["requird"] = True
    path = write(defs, "weld-3f", data)

    assert problems_of(defs) == (f"{path}: evidence.0.requird: unknown field; did you mean 'required'?",)


def test_load_catalog_wrong_level_order_names_the_entry(defs: Path) -> None:
    data = minimal()
    data["rubric"][2]["level"], data["rubric"][3]["level"] = 4, 3
    path = write(defs, "weld-3f", data)

    problems = problems_of(defs)

    assert len(problems) == 2
    assert problems[0].startswith(f"{path}: rubric.2.level: expected level 3 here, got 4")
    assert problems[1].startswith(f"{path}: rubric.3.level: expected level 4 here, got 3")


@pytest.mark.parametrize("rubric_size", [3, 5])
def test_load_catalog_rubric_needs_exactly_four_levels(defs: Path, rubric_size: int) -> None:
    rubric = [{"level": min(n, 4), "name": f"L{n}", "description": "x"} for n in range(1, rubric_size + 1)]
    path = write(defs, "weld-3f", minimal(rubric=rubric))

    (problem,) = problems_of(defs)

    assert problem.startswith(f"{path}: rubric: ")
    assert "4 items" in problem


def test_load_catalog_level_out_of_range(defs: Path) -> None:
    path = write(defs, "weld-3f", minimal(required_level=5))

    assert problems_of(defs) == (f"{path}: required_level: Input should be less than or equal to 4 (got 5)",)


@pytest.mark.parametrize("duration", ["P2W", "PT12H", "P", "3Y", "P1.5Y", "p3y", "P0Y0M0D", "P-1Y"])
def test_load_catalog_bad_duration(defs: Path, duration: str) -> None:
    path = write(defs, "weld-3f", minimal(valid_for=duration))

    (problem,) = problems_of(defs)

    assert problem.startswith(f"{path}: valid_for: '{duration}' is ")


def test_load_catalog_yaml_syntax_error_gives_line_and_column(defs: Path) -> None:
    path = write(defs, "weld-3f", "name: Welding\n  version: [1, 2\n")

    (problem,) = problems_of(defs)

    assert problem.startswith(f"{path}: line 2, column ")


def test_load_catalog_repeated_yaml_key_is_an_error(defs: Path) -> None:
    text = yaml.safe_dump(minimal(), sort_keys=False) + "name: Second name\n"
    path = write(defs, "weld-3f", text)

    (problem,) = problems_of(defs)

    assert problem.startswith(f"{path}: line ")
    assert "duplicate key 'name' (first at line 3)" in problem


def test_load_catalog_rejects_coerced_scalars(defs: Path) -> None:
    data = minimal(version="2")
    data["evidence"][0]["required"] = "yes"
    path = write(defs, "weld-3f", data)

    problems = problems_of(defs)

    assert problems == (
        f"{path}: version: Input should be a valid integer (got '2')",
        f"{path}: evidence.0.required: Input should be a valid boolean (got 'yes')",
    )


def test_load_catalog_unknown_achievement_type_suggests_the_enum_value(defs: Path) -> None:
    write(defs, "weld-3f", minimal(achievement_type="Competence"))

    (problem,) = problems_of(defs)

    assert "achievement_type: 'Competence' is not an Open Badges 3.0 AchievementType" in problem
    assert "did you mean 'Competency'?" in problem


def test_load_catalog_accepts_extension_types(defs: Path) -> None:
    alignment = {"target_name": "X", "target_url": "http://example.org/x", "target_type": "ext:LocalStandard"}
    write(defs, "internship", minimal(achievement_type="ext:Internship", alignments=[alignment]))

    definition = load_catalog(defs).get("internship")

    assert definition.achievement_type == "ext:Internship"
    assert definition.alignments[0].target_type == "ext:LocalStandard"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("achievement_id", "consortium.example/achievements/x"),
        ("achievement_id", "https://consortium.example/a#b"),
        ("image", "http://consortium.example/badge.png"),
        ("attester_roles", ["parent"]),
        ("attester_roles", []),
        ("evidence", []),
        ("name", "   "),
        ("version", 0),
        ("tags", "welding"),
    ],
)
def test_load_catalog_rejects_bad_field_values(defs: Path, field: str, value: object) -> None:
    path = write(defs, "weld-3f", minimal(**{field: value}))

    problems = problems_of(defs)

    assert problems
    assert all(p.startswith(f"{path}: {field}") for p in problems), problems


def test_load_catalog_credit_below_required_level(defs: Path) -> None:
    credit = {
        "institution": "Riverbend Community College",
        "course_code": "WLD 111",
        "course_title": "SMAW I",
        "credits": 2,
        "min_level": 2,
    }
    path = write(defs, "weld-3f", minimal(credit=[credit]))

    (problem,) = problems_of(defs)

    assert problem.startswith(f"{path}: credit.0.min_level: 2 is below required_level 3")


def test_load_catalog_credit_must_be_positive_and_finite(defs: Path) -> None:
    base = {"institution": "RCC", "course_code": "A 1", "course_title": "A", "min_level": 3}
    path = write(
        defs,
        "weld-3f",
        minimal(credit=[{**base, "credits": 0}, {**base, "course_code": "B 2", "credits": float("inf")}]),
    )

    problems = problems_of(defs)

    assert [p.removeprefix(f"{path}: ").split(":")[0] for p in problems] == [
        "credit.0.credits",
        "credit.1.credits",
    ]


def test_load_catalog_repeated_list_entries(defs: Path) -> None:
    path = write(
        defs, "weld-3f", minimal(attester_roles=["teacher", "supervisor", "teacher"], tags=["A", "a"])
    )

    assert problems_of(defs) == (
        f"{path}: tags.1: repeats entry 0 ('a')",
        f"{path}: attester_roles.2: repeats entry 0 ('teacher')",
    )


def test_load_catalog_slug_comes_from_the_file_name(defs: Path) -> None:
    bad_name = write(defs, "Weld_3F", minimal())
    with_slug = write(defs, "weld-3f", minimal(slug="weld-3f"))

    assert problems_of(defs) == (
        f"{bad_name}: file name: 'Weld_3F' is not a slug: lowercase letters, digits and single hyphens",
        f"{with_slug}: slug: not a field; the slug is the file name ('weld-3f')",
    )


def test_load_catalog_top_level_must_be_a_mapping(defs: Path) -> None:
    empty = write(defs, "empty", "")
    listed = write(defs, "listed", "- a\n- b\n")

    assert problems_of(defs) == (
        f"{empty}: (top level): expected a mapping of fields, found an empty file",
        f"{listed}: (top level): expected a mapping of fields, found list",
    )


def test_load_catalog_collects_problems_of_every_file(defs: Path) -> None:
    write(defs, "a-ok", minimal(achievement_id="https://consortium.example/a"))
    bad_b = write(defs, "b-bad", minimal(version=0, valid_for="P1W"))
    bad_c = write(defs, "c-bad", "name: [unclosed\n")
    (defs / "d-wrong-extension.yml").write_text("name: x\n", encoding="utf-8")

    problems = problems_of(defs)

    assert len(problems) == 4
    assert sum(p.startswith(str(bad_b)) for p in problems) == 2
    assert sum(p.startswith(str(bad_c)) for p in problems) == 1
    assert problems[0] == f"{defs / 'd-wrong-extension.yml'}: file name: badge definitions end in .yaml"


def test_load_catalog_achievement_ids_are_unique(defs: Path) -> None:
    write(defs, "first", minimal())
    second = write(defs, "second", minimal())

    (problem,) = problems_of(defs)

    assert problem.startswith(
        f"{second}: achievement_id: 'https://consortium.example/achievements/test-badge'"
    )
    assert "'first'" in problem


def test_parse_definition_validates_data_without_a_file() -> None:
    definition = parse_definition(minimal(valid_for="P1Y"), slug="from-data")

    assert definition.lock_key == "from-data@1"
    with pytest.raises(BadgeDefinitionError) as caught:
        parse_definition(minimal(version=0), slug="Not A Slug", source="request body")
    assert caught.value.problems == (
        "request body: slug: 'Not A Slug' is not a slug: lowercase letters, digits and single hyphens",
    )
    with pytest.raises(BadgeDefinitionError) as invalid:
        parse_definition(minimal(version=0), slug="ok", source="request body")
    assert invalid.value.problems == (
        "request body: version: Input should be greater than or equal to 1 (got 0)",
    )


def test_load_catalog_missing_directory(tmp_path: Path) -> None:
    assert problems_of(tmp_path / "nope") == (f"{tmp_path / 'nope'}: not a directory of badge definitions",)


# --- the publication lock ------------------------------------------------------------------------------


def test_load_catalog_changed_definition_under_published_version(published: tuple[Path, Path]) -> None:
    directory, lock = published
    path = directory / "weld-smaw-3f.yaml"
    old_hash = json.loads(lock.read_text(encoding="utf-8"))["weld-smaw-3f@1"]
    path.write_text(
        path.read_text(encoding="utf-8").replace("valid_for: P3Y", "valid_for: P2Y"), encoding="utf-8"
    )
    new_hash = load_definition(path).content_hash

    (problem,) = problems_of(directory, lock_path=lock)

    assert problem == (
        f"{path}: version: version 1 of 'weld-smaw-3f' was published with {old_hash}; the file now hashes to "
        f"{new_hash}: give the changed definition a new version"
    )


def test_load_catalog_new_version_of_changed_definition_is_a_draft(published: tuple[Path, Path]) -> None:
    directory, lock = published
    path = directory / "weld-smaw-3f.yaml"
    text = path.read_text(encoding="utf-8").replace("valid_for: P3Y", "valid_for: P2Y")
    path.write_text(text.replace("version: 1", "version: 2"), encoding="utf-8")

    catalog = load_catalog(directory, lock_path=lock)

    assert catalog.unpublished == ("weld-smaw-3f@2",)


def test_load_catalog_version_below_a_published_one(published: tuple[Path, Path]) -> None:
    directory, lock = published
    entries = json.loads(lock.read_text(encoding="utf-8"))
    entries["weld-smaw-3f@2"] = entries.pop("weld-smaw-3f@1")
    lock.write_text(json.dumps(entries), encoding="utf-8")
    path = directory / "weld-smaw-3f.yaml"

    assert problems_of(directory, lock_path=lock) == (
        f"{path}: version: version 1 of 'weld-smaw-3f' is older than the published version 2: versions only go up",
    )


def test_load_catalog_formatting_changes_keep_the_published_hash(published: tuple[Path, Path]) -> None:
    directory, lock = published
    path = directory / "math-7rp-proportional.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    path.write_text("# reformatted\n" + json.dumps(dict(reversed(data.items())), indent=4), encoding="utf-8")

    assert load_catalog(directory, lock_path=lock).unpublished == ()


def test_load_catalog_requires_the_lock_file_it_is_given(defs: Path, tmp_path: Path) -> None:
    write(defs, "weld-3f", minimal())

    (problem,) = problems_of(defs, lock_path=tmp_path / "missing.lock.json")

    assert problem.startswith(f"{tmp_path / 'missing.lock.json'}: cannot read the publication lock")


def test_load_catalog_malformed_lock(defs: Path, tmp_path: Path) -> None:
    write(defs, "weld-3f", minimal())
    lock = tmp_path / "published.lock.json"
    lock.write_text(json.dumps({"Weld 3F": "sha256:" + "a" * 64, "weld-3f@1": "md5:abc"}), encoding="utf-8")

    assert problems_of(defs, lock_path=lock) == (
        f'{lock}: Weld 3F: not a "slug@version" key',
        f"{lock}: weld-3f@1: 'md5:abc' is not a sha256:<64 hex digits> content hash",
    )


def test_record_published_creates_the_lock_sorted_and_readable(defs: Path, tmp_path: Path) -> None:
    write(defs, "zeta", minimal(achievement_id="https://consortium.example/z"))
    write(defs, "alpha", minimal(achievement_id="https://consortium.example/a"))
    lock = tmp_path / "published.lock.json"
    catalog = load_catalog(defs)

    added = record_published(catalog, lock)

    assert added == ["alpha@1", "zeta@1"]
    text = lock.read_text(encoding="utf-8")
    assert text.endswith("}\n")
    assert list(json.loads(text)) == ["alpha@1", "zeta@1"]
    assert text == json.dumps({d.lock_key: d.content_hash for d in catalog}, indent=2, sort_keys=True) + "\n"
    assert stat.S_IMODE(lock.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_record_published_keeps_old_versions_and_adds_new_ones(published: tuple[Path, Path]) -> None:
    directory, lock = published
    before = json.loads(lock.read_text(encoding="utf-8"))
    path = directory / "weld-smaw-3f.yaml"
    text = path.read_text(encoding="utf-8").replace("P3Y", "P2Y").replace("version: 1", "version: 2")
    path.write_text(text, encoding="utf-8")
    catalog = load_catalog(directory, lock_path=lock)

    assert record_published(catalog, lock) == ["weld-smaw-3f@2"]
    after = json.loads(lock.read_text(encoding="utf-8"))
    assert after == {**before, "weld-smaw-3f@2": catalog.get("weld-smaw-3f").content_hash}
    assert record_published(load_catalog(directory, lock_path=lock), lock) == []


def test_record_published_refuses_to_change_an_entry(published: tuple[Path, Path]) -> None:
    directory, lock = published
    before = lock.read_bytes()
    path = directory / "weld-smaw-3f.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("P3Y", "P2Y"), encoding="utf-8")
    catalog = load_catalog(directory)  # no lock check: the mistake reaches record_published

    with pytest.raises(BadgeDefinitionError, match="give the changed definition a new version"):
        record_published(catalog, lock)
    assert lock.read_bytes() == before


# --- content hash --------------------------------------------------------------------------------------


def test_content_hash_ignores_key_order_comments_and_formatting(defs: Path) -> None:
    data = minimal(valid_for="P18M", tags=["a", "b"])
    first = write(defs, "first", data)
    reordered = "# a comment\n" + yaml.safe_dump(dict(reversed(data.items())), default_flow_style=True)
    second = write(defs, "second", reordered)

    assert load_definition(first).content_hash == load_definition(second).content_hash
    assert load_definition(first).content_hash.startswith("sha256:")
    assert len(load_definition(first).content_hash) == len("sha256:") + 64


def test_content_hash_counts_defaults_and_ignores_absent_optionals(defs: Path) -> None:
    implicit = load_definition(write(defs, "implicit", minimal()))
    explicit = load_definition(write(defs, "explicit", minimal(required_level=3, human_code=None, tags=[])))

    assert implicit.content_hash == explicit.content_hash


def test_content_hash_changes_with_meaning_not_with_slug(defs: Path) -> None:
    base = load_definition(write(defs, "base", minimal()))
    renamed = load_definition(write(defs, "renamed", minimal()))
    changed = load_definition(write(defs, "changed", minimal(criteria="Do the other thing.")))
    not_required = minimal()
    not_required["evidence"][0]["required"] = False
    optional = load_definition(write(defs, "optional", not_required))

    assert base.content_hash == renamed.content_hash
    assert len({base.content_hash, changed.content_hash, optional.content_hash}) == 3


# --- expiry --------------------------------------------------------------------------------------------


def definition_valid_for(valid_for: str | None) -> BadgeDefinition:
    return parse_definition(minimal(valid_for=valid_for), slug="expiry")


@pytest.mark.parametrize(
    ("valid_for", "start", "end"),
    [
        ("P3Y", datetime(2024, 2, 29, 9, 30, tzinfo=UTC), datetime(2027, 2, 28, 9, 30, tzinfo=UTC)),
        ("P4Y", datetime(2024, 2, 29, tzinfo=UTC), datetime(2028, 2, 29, tzinfo=UTC)),
        ("P1M", datetime(2025, 1, 31, tzinfo=UTC), datetime(2025, 2, 28, tzinfo=UTC)),
        ("P18M", datetime(2025, 8, 31, tzinfo=UTC), datetime(2027, 2, 28, tzinfo=UTC)),
        ("P1Y6M", datetime(2025, 8, 31, tzinfo=UTC), datetime(2027, 2, 28, tzinfo=UTC)),
        ("P1M1D", datetime(2025, 1, 31, tzinfo=UTC), datetime(2025, 3, 1, tzinfo=UTC)),
        ("P10D", datetime(2025, 12, 25, tzinfo=UTC), datetime(2026, 1, 4, tzinfo=UTC)),
        ("P12M", datetime(2025, 12, 15, tzinfo=UTC), datetime(2026, 12, 15, tzinfo=UTC)),
    ],
)
def test_expires_uses_calendar_arithmetic(valid_for: str, start: datetime, end: datetime) -> None:
    assert definition_valid_for(valid_for).expires(start) == end


def test_expires_keeps_the_timezone() -> None:
    boise = timezone(timedelta(hours=-7))

    end = definition_valid_for("P1Y").expires(datetime(2025, 3, 1, 8, 0, tzinfo=boise))

    assert end == datetime(2026, 3, 1, 8, 0, tzinfo=boise)
    assert end is not None
    assert end.utcoffset() == timedelta(hours=-7)


def test_expires_without_valid_for_is_none() -> None:
    assert definition_valid_for(None).expires(datetime(2025, 1, 1, tzinfo=UTC)) is None


def test_expires_refuses_naive_datetimes_and_overflow() -> None:
    definition = definition_valid_for("P3Y")

    with pytest.raises(InvalidAwardError, match="timezone-aware"):
        definition.expires(datetime(2025, 1, 1))  # noqa: DTZ001
    with pytest.raises(InvalidAwardError, match="past year 9999"):
        definition.expires(datetime(9998, 6, 1, tzinfo=UTC))


@given(
    # hypothesis takes naive bounds and attaches the timezone itself
    start=st.datetimes(
        min_value=datetime(1970, 1, 1),  # noqa: DTZ001
        max_value=datetime(2200, 12, 31),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    years=st.integers(0, 10),
    months=st.integers(0, 30),
    days=st.integers(0, 400),
)
def test_expires_is_later_and_within_the_calendar_bound(
    start: datetime, years: int, months: int, days: int
) -> None:
    duration = CalendarDuration(years, months, days)
    if not any(duration):
        duration = CalendarDuration(0, 0, 1)
    text = "P" + "".join(f"{n}{unit}" for n, unit in zip(duration, "YMD", strict=True) if n)

    end = definition_valid_for(text).expires(start)

    assert end is not None
    assert start < end
    upper = timedelta(days=duration.years * 366 + duration.months * 31 + duration.days)
    lower = timedelta(days=duration.years * 365 + duration.months * 28 + duration.days - 3)
    assert lower <= end - start <= upper
    assert end.time() == start.time()


# --- catalogue and awards ------------------------------------------------------------------------------


def test_catalog_get_unknown_slug_lists_close_matches() -> None:
    catalog = load_catalog(EXAMPLES)

    with pytest.raises(BadgeNotFoundError, match="did you mean 'weld-smaw-3f'") as caught:
        catalog.get("weld-smaw-3g")
    assert caught.value.code == "BADGE_NOT_FOUND"
    with pytest.raises(BadgeNotFoundError) as far:
        catalog.get("cooking")
    assert far.value.detail == "no badge definition 'cooking'"


def test_catalog_iteration_membership_and_sources() -> None:
    catalog = load_catalog(EXAMPLES)

    assert [d.slug for d in catalog] == list(catalog.slugs)
    assert len(catalog) == 4
    assert "weld-smaw-3f" in catalog
    assert "weld" not in catalog
    assert catalog.source("weld-smaw-3f") == EXAMPLES / "weld-smaw-3f.yaml"
    assert catalog.unpublished == tuple(f"{slug}@1" for slug in catalog.slugs)  # loaded without the lock


def test_catalog_refuses_two_definitions_with_one_slug() -> None:
    definition = parse_definition(minimal(), slug="same")

    with pytest.raises(BadgeDefinitionError, match="two definitions share this slug"):
        BadgeCatalog([definition, definition])


def test_check_award_enforces_level_and_role() -> None:
    weld = load_catalog(EXAMPLES).get("weld-smaw-3f")

    weld.check_award(level=3, attester_role="supervisor")
    weld.check_award(level=4, attester_role="teacher")
    with pytest.raises(InvalidAwardError, match=r"level 2 \(Developing\) is below it"):
        weld.check_award(level=2, attester_role="teacher")
    with pytest.raises(InvalidAwardError, match="1, 2, 3 or 4"):
        weld.check_award(level=5, attester_role="teacher")
    with pytest.raises(InvalidAwardError, match="may not attest"):
        weld.check_award(level=3, attester_role="admin")
    assert weld.rubric_level(3).name == "Competent"


def test_issuer_errors_carry_detail_and_stable_codes() -> None:
    classes: list[type[IssuerError]] = [
        BadgeDefinitionError,
        BadgeNotFoundError,
        NotEligibleError,
        AlreadyIssuedError,
        SigningUnavailableError,
        InvalidAwardError,
    ]

    codes = [cls.code for cls in classes]

    assert codes == [
        "BADGE_DEFINITION_INVALID",
        "BADGE_NOT_FOUND",
        "NOT_ELIGIBLE",
        "ALREADY_ISSUED",
        "SIGNING_UNAVAILABLE",
        "INVALID_AWARD",
    ]
    error = NotEligibleError("evidence missing")
    assert isinstance(error, IssuerError)
    assert error.detail == str(error) == "evidence missing"
