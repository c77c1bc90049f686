"""Transcript -> segments: a whole turn, or windows of whole sentences when the turn is long."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from qualkit.data import Segment, Transcript


@dataclass(frozen=True)
class SegmentOptions:
    """Window sizes; a segment never cuts a sentence, so one long sentence can exceed max_chars."""

    min_chars: int = 150
    max_chars: int = 800
    max_sentences: int = 4

    def __post_init__(self) -> None:
        if not (0 < self.min_chars <= self.max_chars) or self.max_sentences < 1:
            raise ValueError(
                "segment sizes must satisfy 0 < min_chars <= max_chars, max_sentences >= 1"
            )


def segment_transcript(
    transcript: Transcript, nlp, options: SegmentOptions = SegmentOptions()
) -> list[Segment]:
    """Segments of every turn (interviewer turns too: they are context, coded only on demand)."""
    texts = [transcript.text[t.start : t.end] for t in transcript.turns]
    segments: list[Segment] = []
    for index, (turn, doc) in enumerate(zip(transcript.turns, nlp.pipe(texts), strict=True)):
        sentences = [(turn.start + s.start_char, turn.start + s.end_char) for s in doc.sents]
        for start, end in windows(transcript.text, sentences, turn.start, turn.end, options):
            segments.append(Segment(index, start, end))
    return segments


def windows(
    text: str,
    sentences: list[tuple[int, int]],
    start: int,
    end: int,
    options: SegmentOptions,
) -> Iterator[tuple[int, int]]:
    """Split [start, end) at sentence boundaries into balanced windows within the sizes."""
    sentences = [_trim(text, s, e) for s, e in sentences]
    sentences = [(s, e) for s, e in sentences if e > s]
    if not sentences:
        return
    total = sentences[-1][1] - sentences[0][0]
    if total <= options.max_chars and len(sentences) <= options.max_sentences:
        yield sentences[0][0], sentences[-1][1]
        return
    parts = max(
        math.ceil(total / options.max_chars), math.ceil(len(sentences) / options.max_sentences)
    )
    target = max(total / parts, options.min_chars)
    window_start, count = sentences[0][0], 0
    for i, (_s, e) in enumerate(sentences):
        count += 1
        length = e - window_start
        last = i == len(sentences) - 1
        if last:
            yield window_start, e
            break
        next_end = sentences[i + 1][1]
        if (
            length >= target
            or count >= options.max_sentences
            or next_end - window_start > options.max_chars
        ) and length >= min(options.min_chars, target):
            yield window_start, e
            window_start, count = sentences[i + 1][0], 0


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
