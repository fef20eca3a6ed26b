"""Studies and their interview guides."""

from __future__ import annotations

import re

from pydantic import BaseModel, Field, field_validator, model_validator
from sqlmodel import Session, select

from workbench.errors import NotFound, Unprocessable
from workbench.models import GuideQuestion, Study, User

LANGUAGES = {"auto": "Detect automatically", "it": "Italian", "en": "English"}
INTERVIEW_TYPES = {"phone": "Phone interview (two speakers)", "focus_group": "Focus group"}
SCALES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}


class GuideQuestionIn(BaseModel):
    # the schema says what the validators check: a rating question has a known scale or both bounds
    model_config = {"json_schema_extra": {
        "if": {"properties": {"kind": {"const": "rating"}}, "required": ["kind"]},
        "then": {"anyOf": [{"properties": {"scale": {"enum": list(SCALES)}, "scale_min": {"type": "null"},
                                           "scale_max": {"type": "null"}}, "required": ["scale"]},
                           {"properties": {"scale_min": {"type": "integer"}, "scale_max": {"type": "integer"}},
                            "required": ["scale_min", "scale_max"]}]}}}

    text: str = Field(min_length=1, max_length=1000)
    # enums in the schema only: the validators below keep their messages
    kind: str = Field("open", json_schema_extra={"enum": ["open", "rating"]})
    scale: str | None = None
    # strict: JSON true is not the number 1 (the schema says integer)
    scale_min: int | None = Field(None, strict=True)
    scale_max: int | None = Field(None, strict=True)

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        if value not in ("open", "rating"):
            raise ValueError("kind must be 'open' or 'rating'")
        return value

    @model_validator(mode="after")
    def _scale(self) -> GuideQuestionIn:
        if self.kind == "open":
            self.scale = self.scale_min = self.scale_max = None
            return self
        if self.scale in SCALES and self.scale_min is None and self.scale_max is None:
            self.scale_min, self.scale_max = SCALES[self.scale]
        if self.scale_min is None or self.scale_max is None:
            raise ValueError("a rating question needs a scale (nps, csat, ces) or scale_min and scale_max")
        if self.scale_min >= self.scale_max:
            raise ValueError("scale_min must be below scale_max")
        self.scale = self.scale or "custom"
        return self


class StudyIn(BaseModel):
    name: str = Field(min_length=1, max_length=200, json_schema_extra={"pattern": r"\S"})
    language: str = Field("auto", json_schema_extra={"enum": list(LANGUAGES)})
    interview_type: str = Field("phone", json_schema_extra={"enum": list(INTERVIEW_TYPES)})
    guide: list[GuideQuestionIn] = Field(default_factory=list)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("a study needs a name")
        return value

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
        return value

    @field_validator("interview_type")
    @classmethod
    def _type(cls, value: str) -> str:
        if value not in INTERVIEW_TYPES:
            raise ValueError(f"interview_type must be one of {', '.join(INTERVIEW_TYPES)}")
        return value


_RATING_PREFIX = re.compile(r"^\[(?:(nps|csat|ces)|(\d+)\s*-\s*(\d+))\]\s*(.+)$", re.IGNORECASE)


def parse_guide_text(text: str) -> list[GuideQuestionIn]:
    """One question per line; a line starting with [nps], [csat], [ces] or [1-5] is a rating question."""
    questions = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        match = _RATING_PREFIX.match(line)
        try:
            if match is None:
                questions.append(GuideQuestionIn(text=line))
            elif match.group(1):
                questions.append(GuideQuestionIn(text=match.group(4), kind="rating", scale=match.group(1).lower()))
            else:
                questions.append(GuideQuestionIn(text=match.group(4), kind="rating",
                                                 scale_min=int(match.group(2)), scale_max=int(match.group(3))))
        except ValueError as exc:
            raise Unprocessable(f"Guide line {number} ('{line}'): {exc}") from None
    return questions


def guide_as_text(questions: list[GuideQuestion]) -> str:
    lines = []
    for q in questions:
        if q.kind == "rating":
            prefix = f"[{q.scale}]" if q.scale in SCALES else f"[{q.scale_min}-{q.scale_max}]"
            lines.append(f"{prefix} {q.text}")
        else:
            lines.append(q.text)
    return "\n".join(lines)


def create_study(session: Session, *, data: StudyIn, created_by: User | None) -> Study:
    study = Study(name=data.name, language=data.language, interview_type=data.interview_type,
                  created_by=created_by.id if created_by else None)
    session.add(study)
    session.flush()
    for position, question in enumerate(data.guide, start=1):
        session.add(GuideQuestion(study_id=study.id, position=position, **question.model_dump()))
    session.commit()
    session.refresh(study)
    return study


def list_studies(session: Session) -> list[Study]:
    return list(session.exec(select(Study).order_by(Study.created_at.desc(), Study.id.desc())))


def any_study(session: Session) -> bool:
    return session.exec(select(Study.id)).first() is not None


def find_study_by_name(session: Session, name: str) -> Study | None:
    """The oldest study of that name, if any."""
    return session.exec(select(Study).where(Study.name == name).order_by(Study.id)).first()


def get_study(session: Session, study_id: int) -> Study:
    study = session.get(Study, study_id)
    if study is None:
        raise NotFound(f"There is no study #{study_id}. Pick one from the studies list.")
    return study


def get_guide(session: Session, study_id: int) -> list[GuideQuestion]:
    return list(session.exec(
        select(GuideQuestion).where(GuideQuestion.study_id == study_id).order_by(GuideQuestion.position)
    ))
