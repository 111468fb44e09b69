"""Open Badges 3.0 data model (pydantic), as the credential is read and built."""

from verifier.model.ob import (
    Achievement,
    AchievementSubject,
    Alignment,
    Criteria,
    Evidence,
    IdentifierEntry,
    IdentityObject,
    OpenBadgeCredential,
    Profile,
    Result,
    ResultDescription,
    RubricCriterionLevel,
    StatusEntry,
)

__all__ = [
    "Achievement",
    "AchievementSubject",
    "Alignment",
    "Criteria",
    "Evidence",
    "IdentifierEntry",
    "IdentityObject",
    "OpenBadgeCredential",
    "Profile",
    "Result",
    "ResultDescription",
    "RubricCriterionLevel",
    "StatusEntry",
]
