"""Transcript files (.txt, .md, .docx, .vtt, .srt) -> normalised Transcript."""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from qualkit.data import RawTurn, Transcript, Turn
from qualkit.errors import QualkitError
from qualkit.speakers import (
    DEFAULT_LABEL_PATTERNS,
    TIMESTAMP,
    detect_roles,
    find_labels,
    label_text,
    merge_cues,
    parse_time,
    split_turns,
)

SUFFIXES = (".txt", ".md", ".docx", ".vtt", ".srt")
MAX_BYTES = 20 * 1024 * 1024  # an hour-long interview is well under 1 MB
MAX_DOCX_UNCOMPRESSED = 200 * 1024 * 1024
SINGLE_SPEAKER = "Répondant"


def is_transcript(path: Path) -> bool:
    return path.suffix.lower() in SUFFIXES


def read_transcript(
    path: str | Path,
    *,
    language: str | None = None,
    label_patterns: Sequence[str] = (),
    interviewers: Iterable[str] = (),
) -> Transcript:
    """Read one transcript file; raise QualkitError naming the file when it cannot be used."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise QualkitError(
            f"unsupported file type '{suffix or '(none)'}'; expected one of {', '.join(SUFFIXES)}",
            path=path,
        )
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise QualkitError("no such file", path=path) from None
    except OSError as exc:
        raise QualkitError(f"cannot read file ({exc.strerror})", path=path) from None
    if len(data) > MAX_BYTES:
        raise QualkitError(
            f"file is {len(data) / 2**20:.0f} MB; transcripts over {MAX_BYTES // 2**20} MB are "
            "refused (is it really an interview transcript?)",
            path=path,
        )
    if not data.strip():
        raise QualkitError("file is empty", path=path)

    patterns = [_compile(p, path) for p in label_patterns] + list(DEFAULT_LABEL_PATTERNS)
    warnings: list[str] = []
    metadata: dict = {}
    if suffix == ".docx":
        lines, trusted = _docx_lines(data, path)
        turns, preamble = split_turns(lines, patterns=patterns, trusted_labels=trusted)
    elif suffix in (".vtt", ".srt"):
        turns, preamble = _caption_turns(decode_text(data, path), path, patterns)
    else:
        text = decode_text(data, path)
        if suffix == ".md":
            text = _strip_markdown(text)
        turns, preamble = split_turns(text.splitlines(), patterns=patterns)
    if preamble:
        metadata["preamble"] = preamble
    if not turns:
        body = [line for line in preamble if line.strip()]
        if not body:
            raise QualkitError("no text found", path=path)
        warnings.append("no speaker labels found: imported as a single speaker")
        turns = [RawTurn(SINGLE_SPEAKER, tuple(body))]
        metadata.pop("preamble", None)

    text, built = _normalise(turns)
    if not text.strip():
        raise QualkitError("no text found", path=path)
    roles = detect_roles([(t.speaker, text[t.start : t.end]) for t in built], interviewers)
    built = [
        Turn(t.speaker, t.start, t.end, roles[t.speaker], t.time_start, t.time_end) for t in built
    ]
    if language is None:
        from qualkit.nlp import detect_language

        language = detect_language(text)
    return Transcript(
        name=path.name,
        text=text,
        turns=tuple(built),
        source_format=suffix.lstrip("."),
        content_hash=hashlib.sha256(data).hexdigest(),
        language=language,
        warnings=tuple(warnings),
        metadata=metadata,
    )


def decode_text(data: bytes, path: Path) -> str:
    """UTF-8 (with or without BOM), else a legacy encoding detected by charset-normalizer."""
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise QualkitError("binary file, not text (wrong extension?)", path=path)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        if best is None or best.encoding is None:
            raise QualkitError(
                "binary file or unknown text encoding; save it as UTF-8", path=path
            ) from None
        text = str(best)
    controls = sum(1 for c in text[:20000] if unicodedata.category(c) == "Cc" and c not in "\n\r\t")
    if controls > max(10, len(text[:20000]) // 100):
        raise QualkitError("binary file, not text (wrong extension?)", path=path)
    return text


def _compile(pattern: str, path: Path) -> re.Pattern:
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise QualkitError(f"invalid label pattern {pattern!r}: {exc}", path=path) from None
    if "label" not in compiled.groupindex or "text" not in compiled.groupindex:
        raise QualkitError(
            f"label pattern {pattern!r} needs the named groups (?P<label>...) and (?P<text>...)",
            path=path,
        )
    return compiled


def _normalise(turns: Sequence[RawTurn]) -> tuple[str, list[Turn]]:
    """Build the interview text: 'Speaker : words' per turn, turns apart by a blank line."""
    parts: list[str] = []
    built: list[Turn] = []
    pos = 0
    for turn in turns:
        paragraphs = [_clean(p) for p in turn.paragraphs]
        body = "\n".join(p for p in paragraphs if p)
        if not body:
            continue
        prefix = f"{turn.speaker} : "
        if parts:
            parts.append("\n\n")
            pos += 2
        parts.append(prefix + body)
        start = pos + len(prefix)
        pos = start + len(body)
        built.append(
            Turn(turn.speaker, start, pos, time_start=turn.time_start, time_end=turn.time_end)
        )
    return "".join(parts), built


_SPACES = re.compile(r"[ \t\u00a0\u202f\u2007\u2009]+")


def _clean(paragraph: str) -> str:
    paragraph = unicodedata.normalize("NFC", paragraph)
    paragraph = "".join(c for c in paragraph if unicodedata.category(c) != "Cc" or c == "\n")
    return _SPACES.sub(" ", paragraph).strip()


def _strip_markdown(text: str) -> str:
    out = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#") or stripped in ("---", "***"):
            out.append("")
            continue
        out.append(re.sub(r"^\s*>\s?", "", line))
    return "\n".join(out)


# --- Word -------------------------------------------------------------------------------------


def _docx_lines(data: bytes, path: Path) -> tuple[list[str], set[str]]:
    """Paragraphs and table rows as 'Label : text' lines; bold or tabled labels are trusted."""
    import io

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            total = sum(i.file_size for i in infos)
            if total > MAX_DOCX_UNCOMPRESSED or total > 100 * max(len(data), 1):
                raise QualkitError(
                    f"refused: the .docx would expand to {total / 2**20:.0f} MB "
                    "(a zip bomb or a document full of images)",
                    path=path,
                )
            if "word/document.xml" not in archive.namelist():
                raise QualkitError("not a Word document (no word/document.xml)", path=path)
    except zipfile.BadZipFile:
        raise QualkitError(
            "not a valid .docx file (corrupt, truncated or renamed)", path=path
        ) from None
    import docx
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
        lines: list[str] = []
        trusted: set[str] = set()
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                lines.extend(_table_lines(block, trusted))
            else:
                lines.append(_paragraph_line(block, trusted))
    except QualkitError:
        raise
    except Exception as exc:  # python-docx raises many kinds on damaged XML
        raise QualkitError(f"not a valid .docx file ({type(exc).__name__})", path=path) from None
    return lines, trusted


def _paragraph_line(paragraph, trusted: set[str]) -> str:
    runs = paragraph.runs
    bold = ""
    for run in runs:
        if run.bold or (run.style is not None and run.style.font.bold):
            bold += run.text
        else:
            break
    label = bold.strip().rstrip(":：").strip()
    text = paragraph.text
    if label and len(label) <= 40 and bold.strip() != text.strip():
        rest = text[len(bold) :].lstrip().lstrip(":：").strip()
        trusted.add(re.sub(rf"^[\[(]?{TIMESTAMP}[\])]?\s*", "", label))
        return f"{label} : {rest}"
    return text


def _table_lines(table, trusted: set[str]) -> list[str]:
    lines = []
    headers = {
        "temps",
        "time",
        "heure",
        "locuteur",
        "intervenant",
        "speaker",
        "nom",
        "qui",
        "texte",
        "text",
        "propos",
        "verbatim",
    }
    for number, row in enumerate(table.rows):
        cells = [c.text.strip() for c in row.cells]
        cells = [c for i, c in enumerate(cells) if i == 0 or c != cells[i - 1]]  # merged cells
        if number == 0 and any(c.lower() in headers for c in cells):
            continue
        time = None
        if len(cells) >= 3 and re.fullmatch(rf"[\[(]?{TIMESTAMP}[\])]?", cells[0]):
            time, cells = cells[0].strip("[]()"), cells[1:]
        if len(cells) < 2 or not cells[0] or len(cells[0]) > 40:
            lines.extend(c for c in cells if c)
            continue
        speaker, text = cells[0].rstrip(":： "), " ".join(cells[1:])
        trusted.add(speaker)
        lines.append(f"[{time}] {speaker} : {text}" if time else f"{speaker} : {text}")
    return lines


# --- captions ---------------------------------------------------------------------------------

_CUE_TIME = re.compile(
    r"^\s*(?P<start>(?:\d+:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?)\s*-->\s*"
    r"(?P<end>(?:\d+:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?)"
)
_VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+([^>]+)>")
_TAG = re.compile(r"</?[^>]+>")


def _caption_turns(
    text: str, path: Path, patterns: Sequence[re.Pattern]
) -> tuple[list[RawTurn], list[str]]:
    """WebVTT or SubRip cues -> turns; voice tags or 'Name: ' prefixes give the speaker."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    # A timing line starts a cue even when no blank line comes before it.
    text = re.sub(r"\n(?=[^\n]*-->)", "\n\n", text)
    blocks = re.split(r"\n\s*\n", text)
    cues: list[tuple[float | None, float | None, list[tuple[str | None, str]]]] = []
    for block in blocks:
        lines = block.split("\n")
        timing = next((i for i, line in enumerate(lines) if _CUE_TIME.match(line)), None)
        if timing is None:
            continue  # header, NOTE, STYLE, REGION
        m = _CUE_TIME.match(lines[timing])
        pieces = _voice_pieces(" ".join(lines[timing + 1 :]))
        cues.append((parse_time(m.group("start")), parse_time(m.group("end")), pieces))
    if not cues:
        raise QualkitError(
            "no caption cues found (expected 'start --> end' timing lines)", path=path
        )

    has_voices = any(speaker for _, _, pieces in cues for speaker, _ in pieces)
    raw: list[RawTurn] = []
    if has_voices:
        for start, end, pieces in cues:
            for speaker, words in pieces:
                who = speaker or (raw[-1].speaker if raw else None)
                if who and words:
                    raw.append(RawTurn(who, (words,), start, end))
    else:  # "Name: text" inside cues
        lines = [words for _, _, pieces in cues for _, words in pieces]
        timings = [(start, end) for start, end, pieces in cues for _ in pieces]
        matches = find_labels(lines, patterns=patterns)
        if not any(matches):
            return [], lines
        for line, m, (start, end) in zip(lines, matches, timings, strict=True):
            if m:
                raw.append(RawTurn(label_text(m), (m.group("text"),), start, end))
            elif raw:
                raw.append(RawTurn(raw[-1].speaker, (line,), start, end))
            else:
                raw.append(RawTurn(SINGLE_SPEAKER, (line,), start, end))
    return merge_cues(raw), []


def _voice_pieces(payload: str) -> list[tuple[str | None, str]]:
    pieces: list[tuple[str | None, str]] = []
    spans = list(_VOICE.finditer(payload))
    if not spans:
        return [(None, html.unescape(_TAG.sub("", payload)).strip())]
    if spans[0].start() > 0:
        pieces.append((None, html.unescape(_TAG.sub("", payload[: spans[0].start()])).strip()))
    for i, m in enumerate(spans):
        end = spans[i + 1].start() if i + 1 < len(spans) else len(payload)
        words = html.unescape(_TAG.sub("", payload[m.end() : end])).strip()
        pieces.append((m.group(1).strip(), words))
    return [(s, w) for s, w in pieces if w]
