"""Open Badges 3.0 classes (1EdTech OB 3.0 «B.1 Credential Data Models»), the fields this project reads and writes.

Python attributes are snake_case with the spec's camelCase as aliases. Unknown fields are kept
(``extra="allow"``) so a credential parsed and dumped again loses nothing; the signed bytes are never
rebuilt from these models anyway (proofs are checked over the raw input first).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AliasGenerator, BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
VC_V1_CONTEXT = "https://www.w3.org/2018/credentials/v1"
CREDENTIAL_TYPES = frozenset({"OpenBadgeCredential", "AchievementCredential"})

#: OB 3.0 AchievementType enumeration («B.3»); ``ext:`` names extend it.
ACHIEVEMENT_TYPES: frozenset[str] = frozenset(
    {
        "Achievement",
        "ApprenticeshipCertificate",
        "Assessment",
        "Assignment",
        "AssociateDegree",
        "Award",
        "Badge",
        "BachelorDegree",
        "Certificate",
        "CertificateOfCompletion",
        "Certification",
        "CoCurricular",
        "CommunityService",
        "Competency",
        "Course",
        "Degree",
        "Diploma",
        "DoctoralDegree",
        "Fieldwork",
        "GeneralEducationDevelopment",
        "JourneymanCertificate",
        "LearningProgram",
        "License",
        "MasterCertificate",
        "MasterDegree",
        "Membership",
        "MicroCredential",
        "ProfessionalDoctorate",
        "QualityAssuranceCredential",
        "ResearchDoctorate",
        "SecondarySchoolDiploma",
    }
)


def _as_list(value: Any) -> Any:
    """JSON-LD compaction may make a single value a scalar (OB 3.0 «A.1»); read both forms."""
    if value is None or isinstance(value, list):
        return value
    return [value]


class OBModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=AliasGenerator(validation_alias=to_camel, serialization_alias=to_camel),
        populate_by_name=True,
        extra="allow",
        frozen=True,
    )

    def to_json(self) -> dict[str, Any]:
        """The JSON form: camelCase, no nulls (OB 3.0 «A.1»: omit nulls)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class IdentityObject(OBModel):
    type: str = "IdentityObject"
    hashed: bool
    identity_hash: str
    identity_type: str
    salt: str | None = None


class IdentifierEntry(OBModel):
    type: str = "IdentifierEntry"
    identifier: str
    identifier_type: str


class Alignment(OBModel):
    type: list[str] = Field(default_factory=lambda: ["Alignment"])
    target_name: str
    target_url: str
    target_code: str | None = None
    target_description: str | None = None
    target_framework: str | None = None
    target_type: str | None = None

    _list_type = field_validator("type", mode="before")(_as_list)


class RubricCriterionLevel(OBModel):
    id: str
    type: list[str] = Field(default_factory=lambda: ["RubricCriterionLevel"])
    name: str
    level: str | None = None
    points: str | None = None
    description: str | None = None

    _list_type = field_validator("type", mode="before")(_as_list)


class ResultDescription(OBModel):
    id: str
    type: list[str] = Field(default_factory=lambda: ["ResultDescription"])
    name: str
    result_type: str
    rubric_criterion_level: list[RubricCriterionLevel] | None = None
    required_level: str | None = None

    _list_type = field_validator("type", "rubric_criterion_level", mode="before")(_as_list)


class Criteria(OBModel):
    id: str | None = None
    narrative: str | None = None


class Profile(OBModel):
    id: str
    type: list[str] = Field(default_factory=lambda: ["Profile"])
    name: str | None = None
    url: str | None = None
    email: str | None = None
    description: str | None = None

    _list_type = field_validator("type", mode="before")(_as_list)


class Achievement(OBModel):
    id: str
    type: list[str] = Field(default_factory=lambda: ["Achievement"])
    name: str
    description: str
    criteria: Criteria
    achievement_type: str | None = None
    alignment: list[Alignment] | None = None
    result_description: list[ResultDescription] | None = None
    human_code: str | None = None
    field_of_study: str | None = None
    tag: list[str] | None = None
    version: str | None = None
    other_identifier: list[IdentifierEntry] | None = None

    _lists = field_validator(
        "type", "alignment", "result_description", "tag", "other_identifier", mode="before"
    )(_as_list)


class Result(OBModel):
    type: list[str] = Field(default_factory=lambda: ["Result"])
    result_description: str | None = None
    achieved_level: str | None = None
    value: str | None = None
    status: str | None = None

    _list_type = field_validator("type", mode="before")(_as_list)


class AchievementSubject(OBModel):
    id: str | None = None
    type: list[str] = Field(default_factory=lambda: ["AchievementSubject"])
    identifier: list[IdentityObject] | None = None
    achievement: Achievement
    result: list[Result] | None = None
    #: The Profile that assessed the learner for the issuer: the teacher or the internship supervisor.
    source: Profile | None = None
    narrative: str | None = None

    _lists = field_validator("type", "identifier", "result", mode="before")(_as_list)

    @model_validator(mode="after")
    def _has_recipient(self) -> AchievementSubject:
        # OB 3.0 «9.1» step 1: the subject must have an id and/or an identifier.
        if self.id is None and not self.identifier:
            raise ValueError("credentialSubject needs an id or at least one identifier")
        return self


class Evidence(OBModel):
    id: str | None = None
    type: list[str] = Field(default_factory=lambda: ["Evidence"])
    name: str | None = None
    narrative: str | None = None
    description: str | None = None
    genre: str | None = None

    _list_type = field_validator("type", mode="before")(_as_list)


class StatusEntry(OBModel):
    id: str | None = None
    type: str
    status_purpose: str | None = None
    status_list_index: str | None = None
    status_list_credential: str | None = None


class OpenBadgeCredential(OBModel):
    context: list[str | dict[str, Any]] = Field(alias="@context")
    id: str
    type: list[str]
    issuer: Profile
    valid_from: datetime
    valid_until: datetime | None = None
    awarded_date: datetime | None = None
    name: str | None = None
    description: str | None = None
    credential_subject: AchievementSubject
    evidence: list[Evidence] | None = None
    credential_status: StatusEntry | list[StatusEntry] | None = None  # VC 2.0 allows several

    _lists = field_validator("type", "evidence", mode="before")(_as_list)

    @model_validator(mode="before")
    @classmethod
    def _vc_1_1_dates(cls, value: Any) -> Any:
        # OB 3.0 credentials in the VC 1.1 form carry issuanceDate/expirationDate instead.
        if isinstance(value, dict) and "validFrom" not in value and "issuanceDate" in value:
            value = dict(value)
            value["validFrom"] = value["issuanceDate"]
            if "expirationDate" in value and "validUntil" not in value:
                value["validUntil"] = value["expirationDate"]
        return value

    @field_validator("issuer", mode="before")
    @classmethod
    def _issuer_profile(cls, value: Any) -> Any:
        # The issuer may be a bare URI (OB 3.0 «B.1»: Profile or URI).
        return {"id": value} if isinstance(value, str) else value

    @field_validator("valid_from", "valid_until", "awarded_date")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("date-times must carry a time zone (XSD dateTimeStamp)")
        return value

    @model_validator(mode="after")
    def _is_open_badge(self) -> OpenBadgeCredential:
        if "VerifiableCredential" not in self.type or not CREDENTIAL_TYPES & set(self.type):
            raise ValueError(
                "type must include VerifiableCredential and OpenBadgeCredential (or AchievementCredential)"
            )
        if not self.context or self.context[0] not in (VC_V2_CONTEXT, VC_V1_CONTEXT):
            raise ValueError(f"the first @context must be {VC_V2_CONTEXT}")
        return self
