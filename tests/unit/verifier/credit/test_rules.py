"""Credit-rules files: the model, the loader's error messages, the committed examples and their schema."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from verifier.credit.rules import (
    BadgeMatcher,
    CalendarDuration,
    CompetencyGrant,
    CourseGrant,
    RuleSet,
    credit_rules_json_schema,
    load_rules,
    parse_rules,
)
from verifier.errors import CreditRulesError, VerifierError

REPO = Path(__file__).resolve().parents[4]
EXAMPLES = REPO / "badge_defs" / "credit_rules"
SCHEMA_FILE = REPO / "badge_defs" / "schema" / "credit-rules.schema.json"
MATH = "https://consortium.example/achievements/ccss-math-7-rp-a-2"

MINIMAL = """\
institution: {name: Test College, id: "https://college.example/"}
trusted_issuers:
  - {id: "did:web:school.example", name: A School}
rules:
  - id: math-025
    accepts:
      all_of:
        - achievement_id: https://consortium.example/achievements/ccss-math-7-rp-a-2
          min_level: 3
          max_age: P5Y
    grants: {course_code: MATH 025, course_title: Pre-Algebra, credits: 1}
"""


def _write(tmp_path: Path, text: str, name: str = "rules.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _minimal() -> dict[str, Any]:
    data = yaml.safe_load(MINIMAL)
    assert isinstance(data, dict)
    return data


def _problems(data: object) -> tuple[str, ...]:
    with pytest.raises(CreditRulesError) as caught:
        parse_rules(data, source="rules.yaml")
    return caught.value.problems


# --- load_rules: valid files ------------------------------------------------------------------------------


def test_load_rules_minimal_file_gets_defaults(tmp_path: Path) -> None:
    rules = load_rules(_write(tmp_path, MINIMAL))

    matcher = rules.rules[0].accepts.all_of[0]
    assert rules.institution.name == "Test College"
    assert matcher.achievement_id == MATH
    assert matcher.min_level == 3
    assert matcher.max_age_duration == CalendarDuration(5, 0, 0)
    assert matcher.issuers is None
    assert rules.rules[0].letter_grade is False
    assert isinstance(rules.rules[0].grants, CourseGrant)
    assert rules.grade_policy is None


def test_load_rules_reads_both_institution_examples() -> None:
    college = load_rules(EXAMPLES / "riverbend-community-college.yaml")
    cte = load_rules(EXAMPLES / "valley-cte-program.yaml")

    assert college.institution.id == "https://www.riverbend-cc.example/"
    assert college.grade_policy is not None
    assert any(rule.letter_grade for rule in college.rules)
    assert any(len(rule.accepts.all_of) > 1 for rule in college.rules)
    assert all(isinstance(rule.grants, CompetencyGrant) for rule in cte.rules)
    assert any(len(rule.accepts.all_of) > 1 for rule in cte.rules)


def test_load_rules_trusted_issuer_for_list_uses_the_yaml_key_for() -> None:
    college = load_rules(EXAMPLES / "riverbend-community-college.yaml")

    valley = college.trusted_issuer("did:web:valley-cte.example")
    assert valley is not None
    assert valley.for_achievements is not None
    assert "https://consortium.example/achievements/aws-sense-smaw-fillet-4f" in valley.for_achievements
    assert college.trusted_issuer("did:web:nobody.example") is None


def test_load_rules_versions_accept_numbers_and_strings() -> None:
    matcher = BadgeMatcher(achievement_id=MATH, versions=(1, "2"))

    assert matcher.version_texts == ("1", "2")


# --- load_rules: errors name the file, the field and the problem ----------------------------------------


def test_load_rules_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "institution: {name: [unclosed\nrules: []\n")

    with pytest.raises(CreditRulesError) as caught:
        load_rules(path)

    assert caught.value.code == "INVALID_CREDIT_RULES"
    assert isinstance(caught.value, VerifierError)
    (problem,) = caught.value.problems
    assert problem.startswith(f"{path}: line ")
    assert str(path) in str(caught.value)


def test_load_rules_duplicate_key_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL + "rules: []\n")

    with pytest.raises(CreditRulesError) as caught:
        load_rules(path)

    (problem,) = caught.value.problems
    assert problem.startswith(f"{path}: line 12, column 1: ")
    assert "found duplicate key 'rules' (first at line 4)" in problem


def test_load_rules_unknown_field_suggests_the_right_name(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL.replace("min_level: 3", "min_levle: 3"))

    with pytest.raises(CreditRulesError) as caught:
        load_rules(path)

    assert caught.value.problems == (
        f"{path}: rules.0.accepts.all_of.0.min_levle: unknown field; did you mean 'min_level'?",
    )


def test_load_rules_bad_level_names_the_field(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL.replace("min_level: 3", "min_level: 5"))

    with pytest.raises(CreditRulesError) as caught:
        load_rules(path)

    assert caught.value.problems == (
        f"{path}: rules.0.accepts.all_of.0.min_level: Input should be less than or equal to 4 (got 5)",
    )


def test_load_rules_level_as_a_string_is_not_coerced(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL.replace("min_level: 3", 'min_level: "3"'))

    with pytest.raises(CreditRulesError) as caught:
        load_rules(path)

    (problem,) = caught.value.problems
    assert problem.startswith(f"{path}: rules.0.accepts.all_of.0.min_level: ")


@pytest.mark.parametrize("duration", ["P5W", "5Y", "P1Y2H", "P", "P0Y"])
def test_load_rules_bad_duration_names_the_field(tmp_path: Path, duration: str) -> None:
    path = _write(tmp_path, MINIMAL.replace("max_age: P5Y", f"max_age: {duration}"))

    with pytest.raises(CreditRulesError) as caught:
        load_rules(path)

    (problem,) = caught.value.problems
    assert problem.startswith(f"{path}: rules.0.accepts.all_of.0.max_age: '{duration}' is ")


def test_load_rules_missing_file_is_a_credit_rules_error(tmp_path: Path) -> None:
    with pytest.raises(CreditRulesError) as caught:
        load_rules(tmp_path / "nope.yaml")

    assert caught.value.problems[0].startswith(f"{tmp_path / 'nope.yaml'}: cannot read the file")


def test_load_rules_empty_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CreditRulesError) as caught:
        load_rules(_write(tmp_path, ""))

    assert caught.value.problems == (
        f"{tmp_path / 'rules.yaml'}: (top level): expected a mapping of fields, found an empty file",
    )


def test_load_rules_unsafe_yaml_tag_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "institution: !!python/object/apply:os.system [echo hi]\n")

    with pytest.raises(CreditRulesError) as caught:
        load_rules(path)

    assert caught.value.problems[0].startswith(f"{path}: line 1")


def test_parse_rules_reports_every_problem_at_once() -> None:
    data = _minimal()
    data["rules"][0]["accepts"]["all_of"][0]["min_level"] = 0
    data["rules"][0]["grants"]["credits"] = -1
    data["institution"]["id"] = "not a uri"

    problems = _problems(data)

    assert problems == (
        "rules.yaml: institution.id: 'not a uri' is not an absolute URI (scheme:..., no spaces)",
        "rules.yaml: rules.0.accepts.all_of.0.min_level: Input should be greater than or equal to 1 (got 0)",
        "rules.yaml: rules.0.grants.credits: Input should be greater than 0 (got -1)",
    )


def test_parse_rules_matcher_needs_exactly_one_identity() -> None:
    data = _minimal()
    data["rules"][0]["accepts"]["all_of"][0]["alignment"] = "CCSS.MATH.CONTENT.7.RP.A.2"
    both = _problems(data)
    data = _minimal()
    del data["rules"][0]["accepts"]["all_of"][0]["achievement_id"]
    neither = _problems(data)

    expected = (
        "rules.yaml: rules.0.accepts.all_of.0.achievement_id: give exactly one of achievement_id and alignment",
    )
    assert both == expected
    assert neither == expected


def test_parse_rules_versions_need_an_achievement_id() -> None:
    data = _minimal()
    matcher = data["rules"][0]["accepts"]["all_of"][0]
    del matcher["achievement_id"]
    matcher["alignment"] = "CCSS.MATH.CONTENT.7.RP.A.2"
    matcher["versions"] = [1]

    assert _problems(data) == (
        "rules.yaml: rules.0.accepts.all_of.0.versions: versions needs achievement_id",
    )


def test_parse_rules_issuers_must_be_trusted() -> None:
    data = _minimal()
    data["rules"][0]["accepts"]["all_of"][0]["issuers"] = ["did:web:school.example", "did:web:other.example"]

    assert _problems(data) == (
        "rules.yaml: rules.0.accepts.all_of.0.issuers.1: 'did:web:other.example' is not in trusted_issuers",
    )


def test_parse_rules_duplicate_rule_and_issuer_ids_are_refused() -> None:
    data = _minimal()
    data["rules"].append(data["rules"][0])
    data["trusted_issuers"].append(data["trusted_issuers"][0])

    assert _problems(data) == (
        "rules.yaml: trusted_issuers.1.id: repeats entry 0 ('did:web:school.example')",
        "rules.yaml: rules.1.id: repeats entry 0 ('math-025')",
    )


def test_parse_rules_letter_grade_needs_a_policy_covering_the_levels() -> None:
    data = _minimal()
    data["rules"][0]["letter_grade"] = True
    without_policy = _problems(data)
    data["grade_policy"] = {"name": "Policy", "levels": {4: "A"}}
    partial_policy = _problems(data)

    assert without_policy == ("rules.yaml: rules.0.letter_grade: true, but the file has no grade_policy",)
    assert partial_policy == (
        "rules.yaml: rules.0.letter_grade: grade_policy has no letter for level 3, "
        "which this rule accepts (min_level 3)",
    )


def test_parse_rules_letter_grade_is_for_courses_only() -> None:
    data = _minimal()
    data["grade_policy"] = {"name": "Policy", "levels": {4: "A", 3: "B"}}
    data["rules"][0]["grants"] = {"cte_competency": "WLD-SMAW-F", "level": 2}
    data["rules"][0]["letter_grade"] = True

    assert _problems(data) == ("rules.yaml: rules.0.letter_grade: letter grades apply to course grants only",)


def test_parse_rules_grant_errors_have_the_file_path_without_union_tags() -> None:
    data = _minimal()
    data["rules"][0]["grants"] = {"cte_competency": "WLD-SMAW-F", "levl": 2}

    assert _problems(data) == (
        "rules.yaml: rules.0.grants.level: required field is missing",
        "rules.yaml: rules.0.grants.levl: unknown field; did you mean 'level'?",
    )


def test_parse_rules_course_caps_must_agree_for_one_course() -> None:
    data = _minimal()
    second = json.loads(json.dumps(data["rules"][0]))
    second["id"] = "math-025-b"
    second["limits"] = {"max_course_credits": 2}
    data["rules"].append(second)

    (problem,) = _problems(data)
    assert problem.startswith(
        "rules.yaml: rules.1.limits.max_course_credits: 2.0 differs from rule 0 (math-025)"
    )


def test_rule_set_is_frozen() -> None:
    rules = parse_rules(_minimal())

    with pytest.raises(ValueError, match="frozen"):
        rules.rules[0].accepts.all_of[0].__setattr__("min_level", 1)
    assert isinstance(rules, RuleSet)


# --- the JSON Schema -------------------------------------------------------------------------------------


def test_credit_rules_schema_committed_file_is_current() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == credit_rules_json_schema()


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_credit_rules_schema_accepts_the_examples(path: Path) -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    # JSON has string keys only: a YAML grade policy {4: A} is {"4": "A"} once it is JSON.
    document = json.loads(json.dumps(data))

    assert list(Draft202012Validator(schema).iter_errors(document)) == []


def test_credit_rules_schema_refuses_what_the_model_refuses() -> None:
    validator = Draft202012Validator(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))
    good = json.loads(json.dumps(_minimal()))
    assert validator.is_valid(good)

    def changed(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(json.dumps(good))
        target = document
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value
        return document

    matcher = ("rules", 0, "accepts", "all_of", 0)
    assert not validator.is_valid(changed((*matcher, "min_level"), 5))
    assert not validator.is_valid(changed((*matcher, "max_age"), "P5W"))
    assert not validator.is_valid(changed((*matcher, "unknown"), 1))
    assert not validator.is_valid(changed(("rules", 0, "grants", "credits"), 0))
    assert not validator.is_valid(changed(("grade_policy",), {"name": "P", "levels": {"5": "A"}}))


def test_gen_schemas_writes_and_checks_the_credit_rules_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = importlib.util.spec_from_file_location("gen_schemas_credit", REPO / "scripts" / "gen_schemas.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "SCHEMA_PATH", tmp_path / "schema" / "badge-definition.schema.json")
    written = tmp_path / "schema" / "credit-rules.schema.json"

    assert module.main(["--check"]) == 1
    assert module.main([]) == 0
    assert written.read_text(encoding="utf-8") == credit_rules_json_schema()
    assert module.main(["--check"]) == 0
    written.write_text(written.read_text(encoding="utf-8").replace('"type"', '"typ"', 1), encoding="utf-8")
    assert module.main(["--check"]) == 1
