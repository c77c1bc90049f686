"""Reading transcript files of every supported format into turns."""

from __future__ import annotations

import docx
import pytest
from conftest import write

from qualkit.data import INTERVIEWER, RESPONDENT
from qualkit.errors import QualkitError
from qualkit.reading import read_transcript

DIALOGUE = """Q : Bonjour, merci d'avoir accepté cet entretien. Vous utilisez l'IA au travail ?
R : Oui, euh, tous les jours. Surtout pour les mails.
Et parfois pour le code.
Q : Depuis quand ?
R : Un an à peu près.
"""


def turns_of(transcript):
    return [(t.speaker, t.role, transcript.text[t.start : t.end]) for t in transcript.turns]


def test_reading_txt_turns_and_roles(tmp_path):
    t = read_transcript(write(tmp_path / "a.txt", DIALOGUE))
    assert turns_of(t) == [
        (
            "Q",
            INTERVIEWER,
            "Bonjour, merci d'avoir accepté cet entretien. Vous utilisez l'IA au travail ?",
        ),
        (
            "R",
            RESPONDENT,
            "Oui, euh, tous les jours. Surtout pour les mails.\nEt parfois pour le code.",
        ),
        ("Q", INTERVIEWER, "Depuis quand ?"),
        ("R", RESPONDENT, "Un an à peu près."),
    ]
    assert t.language == "fr" and t.source_format == "txt"
    assert t.text.startswith("Q : Bonjour")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_reading_txt_encodings(tmp_path, encoding):
    t = read_transcript(write(tmp_path / "a.txt", DIALOGUE, encoding=encoding))
    assert "accepté" in t.text and "à peu près" in t.text
    assert not t.text.startswith("\ufeff")


def test_reading_timestamps_become_turn_metadata(tmp_path):
    text = (
        "[00:00:04] Enquêteur : Bonjour, on commence ?\n"
        "[00:00:09] [PERSONNE_1] : Oui, allez-y.\n"
        "[01:02:03] Enquêteur : Merci.\n"
        "[01:02:05] [PERSONNE_1] : Merci à vous.\n"
    )
    t = read_transcript(write(tmp_path / "a.txt", text))
    assert [tt.time_start for tt in t.turns] == [4.0, 9.0, 3723.0, 3725.0]
    assert "00:00" not in t.text
    assert [tt.speaker for tt in t.turns][:2] == ["Enquêteur", "[PERSONNE_1]"]
    assert t.turns[0].role == INTERVIEWER


@pytest.mark.parametrize(
    "text, speakers, kept",
    [
        (  # a label must recur or be a role word: "Bref :" is words
            "Intervieweuse : Et la formation ?\n"
            "Directrice : Alors, deux choses.\nBref : on n'a rien eu.\n"
            "Intervieweuse : Rien ?\nDirectrice : Rien.\n",
            ["Intervieweuse", "Directrice"],
            "Bref : on n'a rien eu.",
        ),
        (  # inclusive writing
            "Intervieweur·euse : On fait un tour de table ?\n"
            "Participant·e 1 : Oui, moi d'abord.\n"
            "Intervieweur·euse : Allez-y.\nParticipant·e 1 : Voilà.\n",
            ["Intervieweur·euse", "Participant·e 1"],
            "",
        ),
        (  # a detail in parentheses
            "Enquêtrice (Opale) : Vous pouvez vous présenter ?\n"
            "Intervenant 2 (Farid, ESN) : Oui, développeur.\n"
            "Enquêtrice (Opale) : Depuis quand ?\n"
            "Intervenant 2 (Farid, ESN) : Dix ans (environ).\n",
            ["Enquêtrice (Opale)", "Intervenant 2 (Farid, ESN)"],
            "Dix ans (environ).",
        ),
    ],
)
def test_reading_label_styles(tmp_path, text, speakers, kept):
    t = read_transcript(write(tmp_path / "a.txt", text))
    assert [tt.speaker for tt in t.turns] == speakers * 2
    assert kept in t.text
    if "(" in speakers[0]:  # the role is read from the label without its detail
        assert [tt.role for tt in t.turns][:2] == [INTERVIEWER, RESPONDENT]


def test_reading_labels_alone_on_their_line_with_a_time(tmp_path):
    text = (
        "Speaker 1 00:06:40\nEt vous, on peut vous joindre ?\n\nSpeaker 2 00:06:43\n"
        "Oui.\nMon numéro pro : 01 23 45 67 89.\n\nSpeaker 1 00:06:50\nMerci.\n\n"
        "Speaker 2 0:07:02\nDe rien.\n"
    )
    t = read_transcript(write(tmp_path / "a.txt", text))
    assert [tt.speaker for tt in t.turns] == ["Speaker 1", "Speaker 2"] * 2
    assert [tt.time_start for tt in t.turns] == [400.0, 403.0, 410.0, 422.0]
    assert "Mon numéro pro : 01" in t.text and "06:4" not in t.text
    # a one-word line with a time is words, not a label ("Lever 6:00")
    t = read_transcript(write(tmp_path / "b.txt", text + "Lever 6:00\nDépart 7:15\nLever 6:00\n"))
    assert "Départ 7:15" in t.text


def test_reading_custom_label_pattern(tmp_path):
    text = "<<Anna>> Bonjour ?\n<<Marc>> Oui.\n<<Anna>> Alors ?\n<<Marc>> Voilà.\n"
    t = read_transcript(
        write(tmp_path / "a.txt", text), label_patterns=[r"^<<(?P<label>\w+)>>\s*(?P<text>.*)$"]
    )
    assert [tt.speaker for tt in t.turns] == ["Anna", "Marc", "Anna", "Marc"]


def test_reading_interviewer_hint_wins(tmp_path):
    text = "Anna : Oui ?\nMarc : Bonjour, vous allez bien ?\nAnna : Oui.\nMarc : Bien ?\n"
    t = read_transcript(write(tmp_path / "a.txt", text), interviewers=["Anna"])
    assert {tt.speaker: tt.role for tt in t.turns} == {"Anna": INTERVIEWER, "Marc": RESPONDENT}


def test_reading_no_speaker_is_single_speaker_with_warning(tmp_path):
    t = read_transcript(write(tmp_path / "a.txt", "Un texte sans locuteur.\nSur deux lignes."))
    assert len(t.speakers) == 1 and t.warnings
    assert "single speaker" in t.warnings[0]


def test_reading_markdown(tmp_path):
    text = "# Entretien 3\n\n**Q :** Bonjour ?\n\n**R :** Oui, bonjour.\n"
    t = read_transcript(write(tmp_path / "a.md", text))
    assert turns_of(t) == [("Q", INTERVIEWER, "Bonjour ?"), ("R", RESPONDENT, "Oui, bonjour.")]


def _docx(path, build):
    document = docx.Document()
    build(document)
    document.save(path)
    return path


def test_reading_docx_bold_labels(tmp_path):
    def build(d):
        d.add_heading("Transcription", level=1)
        for speaker, words in [
            ("Enquêtrice", "Bonjour, vous êtes prête ?"),
            ("Directrice", "Oui."),
            ("Enquêtrice", "Parlez-moi de l'IA."),
        ]:
            p = d.add_paragraph()
            p.add_run(f"{speaker} :").bold = True
            p.add_run(f" {words}")

    t = read_transcript(_docx(tmp_path / "a.docx", build))
    assert turns_of(t) == [
        ("Enquêtrice", INTERVIEWER, "Bonjour, vous êtes prête ?"),
        ("Directrice", RESPONDENT, "Oui."),
        ("Enquêtrice", INTERVIEWER, "Parlez-moi de l'IA."),
    ]
    assert t.metadata["preamble"] == ["Transcription"]


def test_reading_docx_prefix_labels(tmp_path):
    def build(d):
        for line in DIALOGUE.splitlines():
            d.add_paragraph(line)

    t = read_transcript(_docx(tmp_path / "a.docx", build))
    assert [tt.speaker for tt in t.turns] == ["Q", "R", "Q", "R"]


def test_reading_docx_table_column(tmp_path):
    def build(d):
        table = d.add_table(rows=1, cols=3)
        for cell, text in zip(table.rows[0].cells, ["Temps", "Locuteur", "Texte"], strict=True):
            cell.text = text
        for time, who, words in [
            ("00:01:02", "LM", "Bonjour ?"),
            ("00:01:05", "PB", "Oui."),
            ("00:01:09", "LM", "On y va ?"),
        ]:
            cells = table.add_row().cells
            cells[0].text, cells[1].text, cells[2].text = time, who, words

    t = read_transcript(_docx(tmp_path / "a.docx", build))
    assert turns_of(t) == [
        ("LM", INTERVIEWER, "Bonjour ?"),
        ("PB", RESPONDENT, "Oui."),
        ("LM", INTERVIEWER, "On y va ?"),
    ]
    assert t.turns[1].time_start == 65.0


VTT = """WEBVTT

NOTE exported captions

1
00:00:01.000 --> 00:00:03.500
<v Enquêteur>Bonjour, on commence ?</v>

2
00:00:04.000 --> 00:00:06.000
<v Répondante>Oui. Alors, moi je suis</v>

3
00:00:06.000 --> 00:00:08.250
<v Répondante>responsable qualité &amp; méthodes.</v>

4
00:00:09.000 --> 00:00:10.000
<v.loud Enquêteur>D'accord.
"""


def test_reading_vtt_voice_tags_merge_cues(tmp_path):
    t = read_transcript(write(tmp_path / "a.vtt", VTT))
    assert turns_of(t) == [
        ("Enquêteur", INTERVIEWER, "Bonjour, on commence ?"),
        ("Répondante", RESPONDENT, "Oui. Alors, moi je suis responsable qualité & méthodes."),
        ("Enquêteur", INTERVIEWER, "D'accord."),
    ]
    assert (t.turns[1].time_start, t.turns[1].time_end) == (4.0, 8.25)


def test_reading_srt_name_prefixes(tmp_path):
    srt = (
        "1\n00:00:01,000 --> 00:00:02,000\nQ : Bonjour ?\n\n"
        "2\n00:00:02,500 --> 00:00:04,000\nR : Bonjour.\n\n"
        "3\n00:00:04,000 --> 00:00:05,000\nJe suis acheteur.\n\n"
        "4\n00:00:05,500 --> 00:00:06,000\nQ : Bien.\n"
    )
    t = read_transcript(write(tmp_path / "a.srt", srt))
    assert turns_of(t) == [
        ("Q", INTERVIEWER, "Bonjour ?"),
        ("R", RESPONDENT, "Bonjour. Je suis acheteur."),
        ("Q", INTERVIEWER, "Bien."),
    ]


def test_reading_english_detected(tmp_path):
    text = (
        "Q : Thank you for joining. How do you use AI at work?\n"
        "R : Well, we use it for the reports and it is really useful for our team.\n"
    )
    assert read_transcript(write(tmp_path / "a.txt", text)).language == "en"


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("empty.txt", b"", "empty"),
        ("blank.txt", b"  \n\n ", "empty"),
        ("binary.txt", bytes(range(256)) * 20, "binary"),
        ("fake.docx", b"Q : not really a word file\n", "not a valid .docx"),
        ("notes.pdf", b"%PDF-1.4", "unsupported file type"),
        ("broken.vtt", b"WEBVTT\n\nno cues at all\n", "no caption cues"),
    ],
)
def test_reading_bad_files_name_file_and_problem(tmp_path, name, content, problem):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(QualkitError) as info:
        read_transcript(path)
    assert info.value.path == str(path)
    assert problem in info.value.message


def test_reading_truncated_docx(tmp_path):
    good = _docx(tmp_path / "good.docx", lambda d: d.add_paragraph("Q : Bonjour ?"))
    bad = tmp_path / "cut.docx"
    bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(QualkitError, match="not a valid .docx"):
        read_transcript(bad)


def test_reading_vtt_cues_without_milliseconds_or_blank_lines(tmp_path):
    vtt = (
        "WEBVTT\n\n00:00:01 --> 00:00:03\n<v Q>Vous utilisez l'IA ?\n"
        "00:00:03.500 --> 00:00:05\n<v R>Oui, beaucoup.\n\n"
        "00:00:06 --> 00:00:08\n<v Q>Merci.\n"
    )
    t = read_transcript(write(tmp_path / "a.vtt", vtt))
    assert turns_of(t) == [
        ("Q", INTERVIEWER, "Vous utilisez l'IA ?"),
        ("R", RESPONDENT, "Oui, beaucoup."),
        ("Q", INTERVIEWER, "Merci."),
    ]
