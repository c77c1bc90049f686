"""Segments: whole sentences, sizes, and offsets that always point at the segment's text."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qualkit.reading import read_transcript
from qualkit.segmenting import SegmentOptions, segment_transcript, windows

WORDS = [
    "l'IA",
    "remplace",
    "les",
    "opérateurs",
    "euh",
    "données",
    "ChatGPT",
    "formation",
    "bon",
    "à",
    "côté",
    "vraiment",
    "très",
    "été",
    "œuvre",
    "Noël",
    "[PERSONNE_1]",
    "déjà",
    "ça",
    "€",
    "😀",
    "naïf",
    "«",
    "»",
    "100 %",
]
ENDS = [".", " ?", " !", "…", "..."]

sentence = st.builds(
    lambda words, end: " ".join(words).capitalize() + end,
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=30),
    st.sampled_from(ENDS),
)
paragraph = st.builds(" ".join, st.lists(sentence, min_size=1, max_size=12))
space = st.sampled_from([" ", "  ", "\u00a0", "\t", " \u202f"])
turn = st.tuples(
    st.sampled_from(["Q", "R", "Enquêteur", "[PERSONNE_2]"]),
    st.lists(paragraph, min_size=1, max_size=3),
    space,
)
options = st.builds(SegmentOptions, st.integers(20, 200), st.integers(200, 900), st.integers(1, 6))


def render(turns) -> str:
    lines = []
    for speaker, paragraphs, sp in turns:
        lines.append(f"{speaker}{sp}:{sp}{paragraphs[0]}")
        lines.extend(sp + p for p in paragraphs[1:])
    return "\n".join(lines)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(turns=st.lists(turn, min_size=2, max_size=8), opts=options)
def test_segmenting_offsets_property(tmp_path_factory, nlp_fr, turns, opts):
    path = tmp_path_factory.mktemp("prop") / "t.txt"
    path.write_text(render(turns), encoding="utf-8")
    transcript = read_transcript(path, language="fr")
    segments = segment_transcript(transcript, nlp_fr, opts)
    text = transcript.text
    covered_turns = {s.turn_index for s in segments}
    assert covered_turns == set(range(len(transcript.turns)))
    previous_end = -1
    for seg in segments:
        turn_ = transcript.turns[seg.turn_index]
        piece = text[seg.start : seg.end]
        assert turn_.start <= seg.start < seg.end <= turn_.end
        assert piece == piece.strip() and piece
        assert seg.start >= previous_end
        previous_end = seg.end
    # every non-space character of every turn lies in exactly one segment
    for index, turn_ in enumerate(transcript.turns):
        inside = "".join(text[s.start : s.end] for s in segments if s.turn_index == index)
        assert "".join(inside.split()) == "".join(text[turn_.start : turn_.end].split())


def test_segmenting_windows_keep_sentences_whole():
    text = "Un. " * 3 + "Une phrase bien plus longue que les autres, vraiment. " + "Deux. " * 3
    sentences, pos = [], 0
    for part in text.split(". "):
        if not part.strip():
            continue
        start = text.index(part, pos)
        end = start + len(part) + 1
        sentences.append((start, end))
        pos = end
    opts = SegmentOptions(min_chars=5, max_chars=30, max_sentences=2)
    spans = list(windows(text, sentences, 0, len(text), opts))
    boundaries = {s for s, _ in sentences} | {e for _, e in sentences}
    assert all(s in boundaries and e in boundaries for s, e in spans)
    assert len(spans) > 1


def test_segmenting_short_turn_is_one_segment(tmp_path, nlp_fr):
    path = tmp_path / "a.txt"
    path.write_text("Q : Et ensuite ?\nR : Oui. Tout à fait. Voilà.\n", encoding="utf-8")
    t = read_transcript(path)
    segments = segment_transcript(t, nlp_fr)
    assert [t.text[s.start : s.end] for s in segments] == [
        "Et ensuite ?",
        "Oui. Tout à fait. Voilà.",
    ]


def test_segmenting_long_turn_is_split_within_sizes(tmp_path, nlp_fr):
    sentences = [
        f"Voici la phrase numéro {i}, qui parle d'intelligence artificielle au travail."
        for i in range(20)
    ]
    path = tmp_path / "a.txt"
    path.write_text("Q : Alors ?\nR : " + " ".join(sentences) + "\n", encoding="utf-8")
    t = read_transcript(path)
    segments = [s for s in segment_transcript(t, nlp_fr) if s.turn_index == 1]
    lengths = [s.end - s.start for s in segments]
    assert len(segments) >= 5
    assert all(150 <= n <= 800 for n in lengths)
