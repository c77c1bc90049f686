"""Speaker turns from labelled lines, and which speaker is the interviewer."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence

from qualkit.data import INTERVIEWER, RESPONDENT, RawTurn

TIMESTAMP = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
# "[00:12:31] Name : text", "Name (00:12:31) : text", "**Q :** text", "[PERSONNE_1] : text"
_LABEL_WORD = r"[\w'’.\-·]"  # a character of a label's word: "Intervieweur·euse", "M.-C."
DEFAULT_LABEL_PATTERN = re.compile(
    rf"""^\s*
    (?:[\[(]?(?P<ts>{TIMESTAMP})[\])]?\s*[-–—]?\s*)?
    (?:\*\*|__)?
    (?P<label>
        (?:(?:M\.|Mme|Mlle|Dr|Pr)\s+)?\[[A-ZÀ-Ü_]+(?:_\d+)?\]
      | [^\W\d_]{_LABEL_WORD}*(?:\s+{_LABEL_WORD}+){{0,3}}
        (?:\s*\((?!\s*\d{{1,2}}:\d{{2}})[^()\n:]{{1,40}}\))?  # "Nadia (Opale)", "P2 (Farid, ESN)"
    )
    \s*(?:[\[(](?P<ts2>{TIMESTAMP})[\])])?
    \s*(?:\*\*|__)?\s*[:：]\s*(?:\*\*|__)?\s*
    (?P<text>.*)$""",
    re.VERBOSE,
)
# A label of two words or more alone on its line with its time, the words on the next lines:
# "Speaker 2 00:06:43" (not "Lever 6:00")
HEADING_LABEL_PATTERN = re.compile(
    rf"^\s*(?:\*\*|__)?(?P<label>[^\W\d_]{_LABEL_WORD}*(?:\s+{_LABEL_WORD}+){{1,3}}?)(?:\*\*|__)?"
    rf"\s+[\[(]?(?P<ts2>{TIMESTAMP})[\])]?\s*(?P<text>)$"
)
DEFAULT_LABEL_PATTERNS = (HEADING_LABEL_PATTERN, DEFAULT_LABEL_PATTERN)
TIMESTAMP_ONLY = re.compile(rf"^\s*[\[(]?(?P<ts>{TIMESTAMP})[\])]?\s*$")

INTERVIEWER_WORDS = {
    "q",
    "question",
    "questions",
    "i",
    "int",
    "interviewer",
    "intervieweur",
    "intervieweuse",
    "enquêteur",
    "enquêtrice",
    "enquêteuse",
    "enqueteur",
    "enquetrice",
    "animateur",
    "animatrice",
    "chercheur",
    "chercheuse",
    "moderator",
    "modérateur",
    "modératrice",
}
RESPONDENT_WORDS = {
    "r",
    "réponse",
    "répondant",
    "répondante",
    "repondant",
    "interviewé",
    "interviewée",
    "participant",
    "participante",
    "respondent",
    "interviewee",
    "a",
    "answer",
}
GREETINGS = (
    "bonjour",
    "merci d'avoir",
    "merci beaucoup d'avoir",
    "enregistr",
    "hello",
    "thank you for",
    "consentement",
    "anonym",
)


def parse_time(value: str | None) -> float | None:
    """'01:02:03.5' or '02:03' -> seconds."""
    if not value:
        return None
    parts = value.replace(",", ".").split(":")
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + float(part)
    return seconds


def _plausible_label(label: str) -> bool:
    """A label names a role or a person: short, capitalised words, initials or a placeholder."""
    if label.startswith("[") or label.split()[0] in ("M.", "Mme", "Mlle", "Dr", "Pr"):
        return True
    if len(_bare(label)) > 40:
        return False
    words = _bare(label).split()  # "Nadia (Opale)": the detail may be a role in lower case
    particles = {"de", "du", "des", "la", "le", "van", "von", "d'", "di", "da", "ben", "el"}
    for word in words:
        if word.lower() in particles:
            continue
        if not (word[0].isupper() or word.isdigit()):
            return False
    return True


def _match(line: str, patterns: Sequence[re.Pattern]) -> re.Match | None:
    for pattern in patterns:
        m = pattern.match(line)
        if m and m.group("label") and _plausible_label(m.group("label").strip()):
            return m
    return None


def find_labels(
    lines: Sequence[str],
    *,
    patterns: Sequence[re.Pattern] = DEFAULT_LABEL_PATTERNS,
    trusted_labels: Iterable[str] = (),
) -> list[re.Match | None]:
    """The label match of each line, or None.

    A label must recur (two turns or more) unless it is a known role word or was trusted by
    the reader (bold or table speaker column), so "Bref : ..." at the start of a paragraph
    is not taken for a speaker.
    """
    trusted = {_norm(t) for t in trusted_labels}
    matches = [_match(line, patterns) for line in lines]
    counts = Counter(_norm(m.group("label")) for m in matches if m)
    accepted = {
        label
        for label, n in counts.items()
        if n >= 2 or label in trusted or _bare(label) in INTERVIEWER_WORDS | RESPONDENT_WORDS
    }
    return [m if m and _norm(m.group("label")) in accepted else None for m in matches]


def label_text(m: re.Match) -> str:
    label = m.group("label").strip()
    return label.rstrip(".") or label


def split_turns(
    lines: Iterable[str],
    *,
    patterns: Sequence[re.Pattern] = DEFAULT_LABEL_PATTERNS,
    trusted_labels: Iterable[str] = (),
) -> tuple[list[RawTurn], list[str]]:
    """Group lines into speaker turns; returns the turns and the preamble lines before the first."""
    lines = [line.rstrip("\n") for line in lines]
    matches = find_labels(lines, patterns=patterns, trusted_labels=trusted_labels)
    turns: list[RawTurn] = []
    preamble: list[str] = []
    speaker: str | None = None
    paragraphs: list[str] = []
    time_start: float | None = None
    pending_time: float | None = None

    def close() -> None:
        if speaker is not None and any(p.strip() for p in paragraphs):
            turns.append(RawTurn(speaker, tuple(p for p in paragraphs if p.strip()), time_start))

    for line, m in zip(lines, matches, strict=True):
        ts_only = TIMESTAMP_ONLY.match(line)
        if ts_only:
            pending_time = parse_time(ts_only.group("ts"))
            continue
        if m:
            close()
            speaker, paragraphs = label_text(m), [m.group("text")]
            groups = m.groupdict()
            time_start = parse_time(groups.get("ts") or groups.get("ts2")) or pending_time
            pending_time = None
            continue
        if speaker is None:
            if line.strip():
                preamble.append(line.strip())
            continue
        paragraphs.append(line)
    close()
    return _merge_consecutive(turns), preamble


def _merge_consecutive(turns: list[RawTurn]) -> list[RawTurn]:
    """Consecutive turns of one speaker are one turn (caption cues, split paragraphs)."""
    merged: list[RawTurn] = []
    for turn in turns:
        if merged and merged[-1].speaker == turn.speaker:
            prev = merged[-1]
            merged[-1] = RawTurn(
                prev.speaker,
                prev.paragraphs + turn.paragraphs,
                prev.time_start,
                turn.time_end if turn.time_end is not None else prev.time_end,
            )
        else:
            merged.append(turn)
    return merged


def merge_cues(turns: list[RawTurn]) -> list[RawTurn]:
    """Caption cues of one speaker in a row become one turn, the cue texts joined by spaces."""
    merged = _merge_consecutive(turns)
    return [
        RawTurn(t.speaker, (" ".join(p.strip() for p in t.paragraphs),), t.time_start, t.time_end)
        for t in merged
    ]


def _norm(label: str) -> str:
    label = unicodedata.normalize("NFC", label.strip().rstrip(".").strip())
    return label.lower()


def _bare(label: str) -> str:
    """A normalised label without its detail in parentheses: "enquêtrice (opale)"."""
    return re.sub(r"\s*\([^()]*\)$", "", label)


def detect_roles(turns: Sequence[tuple[str, str]], hint: Iterable[str] = ()) -> dict[str, str]:
    """Map each speaker to interviewer or respondent from (speaker, text) turns.

    A hint (labels given in the case metadata) wins; otherwise the speaker whose label is a
    role word, who asks the questions, greets first and talks least is the interviewer.
    """
    speakers = list(dict.fromkeys(s for s, _ in turns))
    hinted = {_norm(h) for h in hint if h}
    if hinted:
        found = {s for s in speakers if _norm(s) in hinted}
        if found:
            return {s: INTERVIEWER if s in found else RESPONDENT for s in speakers}
    if len(speakers) < 2:
        return {s: RESPONDENT for s in speakers}

    scores: dict[str, float] = {}
    for speaker in speakers:
        texts = [t for s, t in turns if s == speaker]
        name = _bare(_norm(speaker))
        score = 0.0
        if name in INTERVIEWER_WORDS:
            score += 5
        if name in RESPONDENT_WORDS:
            score -= 5
        score += 3 * sum("?" in t for t in texts) / len(texts)
        mean_len = sum(len(t) for t in texts) / len(texts)
        score -= mean_len / 1000
        scores[speaker] = score
    first_speaker, first_text = turns[0]
    if any(g in first_text.lower() for g in GREETINGS):
        scores[first_speaker] += 1
    interviewer = max(speakers, key=lambda s: scores[s])
    return {s: INTERVIEWER if s == interviewer else RESPONDENT for s in speakers}
