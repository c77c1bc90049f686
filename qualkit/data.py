"""Plain data types that travel between the stages of the pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field

INTERVIEWER = "interviewer"
RESPONDENT = "respondent"
ROLES = (INTERVIEWER, RESPONDENT)


@dataclass(frozen=True)
class RawTurn:
    """A speaker turn as read from a file, before the text is normalised."""

    speaker: str
    paragraphs: tuple[str, ...]
    time_start: float | None = None
    time_end: float | None = None


@dataclass(frozen=True)
class Turn:
    """A speaker turn; `start`/`end` are character offsets of its words in Transcript.text."""

    speaker: str
    start: int
    end: int
    role: str = RESPONDENT
    time_start: float | None = None
    time_end: float | None = None


@dataclass(frozen=True)
class Transcript:
    """One interview, normalised: its text is the truth every offset points into."""

    name: str
    text: str
    turns: tuple[Turn, ...]
    source_format: str
    content_hash: str
    language: str
    warnings: tuple[str, ...] = ()
    metadata: dict = field(default_factory=dict)

    @property
    def speakers(self) -> list[str]:
        return list(dict.fromkeys(t.speaker for t in self.turns))


@dataclass(frozen=True)
class Segment:
    """A unit a coder codes: a turn, or a window of its sentences. `text[start:end]` is its text."""

    turn_index: int
    start: int
    end: int


@dataclass(frozen=True)
class Case:
    """Case attributes of an interviewee: a profile, never a person."""

    name: str
    profile: str | None = None
    role: str | None = None
    branch: str | None = None
    company_size: str | None = None
    gender: str | None = None
    age_band: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def attributes(self) -> dict[str, str]:
        """All attributes, known ones first, empty ones left out."""
        known = {
            "profile": self.profile,
            "role": self.role,
            "branch": self.branch,
            "company_size": self.company_size,
            "gender": self.gender,
            "age_band": self.age_band,
        }
        return {k: v for k, v in {**known, **self.extra}.items() if v}
