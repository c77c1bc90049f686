"""The Word report: structure read back with python-docx, and a LibreOffice conversion."""

from __future__ import annotations

import io
import os
import shutil
import subprocess

import pytest
from conftest import CODEBOOK
from test_quotes import build_study


@pytest.fixture
def study(cli, project_path, tmp_path):
    build_study(cli, project_path, tmp_path / "in")
    return project_path


SMALL_CODEBOOK = """schema_version: 1
codes:
  - id: job_threat
    label: {fr: "Menace sur l'emploi", en: "Threat to jobs"}
    definition: Crainte que l'IA supprime des postes.
    include: ["Postes non remplacés"]
  - id: data_security
    label: {fr: "Sécurité des données", en: "Data security"}
    definition: Fuite de données confidentielles.
    exclude: ["Simple usage de l'outil"]
"""


def report_bytes(project, small: bool = False, **options) -> bytes:
    from qualkit.codebook import load_codebook, parse_codebook
    from qualkit.report import write_report
    from qualkit.store import Project

    out = io.BytesIO()
    with Project.open(project) as proj, proj.reading() as conn:
        book = parse_codebook(SMALL_CODEBOOK) if small else load_codebook(CODEBOOK)
        write_report(conn, out, codebook=book, **options)
    return out.getvalue()


def read(data: bytes):
    from docx import Document

    return Document(io.BytesIO(data))


@pytest.mark.parametrize(
    "lang, headings",
    [
        ("fr", ["Méthodologie", "1. Menace sur l'emploi",
                "2. Sécurité et confidentialité des données",
                "Annexe A – Dictionnaire des codes", "Annexe B – Entretiens par profil"]),
        ("en", ["Methodology", "1. Threat to jobs", "2. Data security and confidentiality",
                "Annex A – Codebook", "Annex B – Interviews by profile"]),
    ],
)  # fmt: skip
def test_report_headings_and_toc(study, lang, headings):
    doc = read(report_bytes(study, lang=lang))
    assert [p.text for p in doc.paragraphs if p.style.name == "Heading 1"] == headings
    body = doc.element.body.xml
    assert 'TOC \\o "1-2"' in body and 'w:fldCharType="begin"' in body
    assert "updateFields" in doc.settings.element.xml


def test_report_quotes_followed_by_attribution(study):
    doc = read(report_bytes(study))
    paragraphs = doc.paragraphs
    quotes = [i for i, p in enumerate(paragraphs) if p.style.name == "Quote"]
    assert len(quotes) == 5  # 4 for job_threat, 1 for data_security
    for i in quotes:
        assert paragraphs[i].text.startswith("« ") and paragraphs[i].text.endswith(" »")
        assert paragraphs[i].style.font.italic and paragraphs[i].style.paragraph_format.left_indent
        attribution = paragraphs[i + 1]
        assert attribution.style.name == "Attribution" and attribution.text.startswith("— ")
    lines = {paragraphs[i + 1].text for i in quotes}
    assert "— Responsable qualité, branche Métallurgie (mécanique)" in lines
    assert "— Ingénieur calcul, société d'ingénierie au service de l'industrie" in lines


def test_report_tables_and_chart(study):
    doc = read(report_bytes(study))
    headers = [[c.text for c in t.rows[0].cells] for t in doc.tables]
    crosstabs = [t for t, h in zip(doc.tables, headers, strict=True) if h[0] == "Attribut"]
    assert len(crosstabs) == 2
    first = [[c.text for c in row.cells] for row in crosstabs[0].rows]
    assert ["Profil", "Cadre", "2", "2", "100 %", "2"] in first
    assert ["Cadre", "2"] in [[c.text for c in r.cells] for r in doc.tables[0].rows]
    assert len(doc.inline_shapes) == 2  # one chart per theme
    annex = [[c.text for c in r.cells] for t in doc.tables[-3:] for r in t.rows]
    assert ["e1", "Responsable qualité", "Métallurgie (mécanique)", "ETI (250-4999)",
            "24/09/2024"] in annex  # fmt: skip


def test_report_methodology_figures(study):
    text = "\n".join(p.text for p in read(report_bytes(study)).paragraphs)
    assert "4 entretiens semi-directifs, menés entre le 24/09/2024 et le 15/10/2024" in text
    # alice and bob: 4 + 4 + 1 + 1 decisions, 5 accepted (segment, code)
    assert "10 décisions enregistrées par 2 codeur(s), 5 codage(s) accepté(s)" in text
    assert "Accord entre alice et bob (kappa de Cohen sur 4 décisions communes)" in text


def test_report_only_the_codes_asked(study):
    doc = read(report_bytes(study, codes=["data_security"]))
    titles = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert "1. Sécurité et confidentialité des données" in titles
    assert not any("Menace" in t for t in titles[:3])


def test_report_cli_writes_file_and_refuses_bad_input(cli, study, tmp_path):
    out = tmp_path / "rapport.docx"
    result = cli("report", study, "-o", out, "--codebook", CODEBOOK, "--json")
    assert result.code == 0, result.err
    assert out.exists() and read(out.read_bytes()).paragraphs
    assert cli("report", study, "-o", tmp_path / "r.pdf").code == 2
    bad = cli("report", study, "-o", out, "--codes", "nope")
    assert bad.code == 2 and "no code 'nope'" in bad.err
    assert cli("report", study, "-o", out, "--lang", "de").code == 2


NO_OFFICE = shutil.which("libreoffice") is None and os.environ.get("CI", "") != "true"


@pytest.mark.skipif(
    NO_OFFICE,
    reason="LibreOffice is not installed (apt install "
    "libreoffice-writer-nogui poppler-utils); this test always runs when CI=true",
)
def test_report_opens_in_libreoffice_with_expected_pages(study, tmp_path):
    """Every Heading 1 starts a page: title, contents, methodology (two pages once it states
    the pseudonymisation and the agreement), theme, 2 annexes."""
    path = tmp_path / "rapport.docx"
    path.write_bytes(report_bytes(study, small=True, codes=["data_security"]))
    subprocess.run(
        ["libreoffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
         "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    info = subprocess.run(
        ["pdfinfo", str(tmp_path / "rapport.pdf")], check=True, capture_output=True, text=True
    ).stdout
    pages = int(next(line for line in info.splitlines() if line.startswith("Pages:")).split()[1])
    assert 6 <= pages <= 8
    text = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "rapport.pdf"), "-"],
        check=True, capture_output=True, text=True,
    ).stdout.split("\f")  # fmt: skip
    firsts = [page.strip().splitlines()[0].strip() for page in text if page.strip()]
    headings = [
        "Méthodologie",
        "1. Sécurité des données",
        "Annexe A – Dictionnaire des codes",
        "Annexe B – Entretiens par profil",
    ]
    assert [first for first in firsts if first in headings] == headings
    assert firsts[2] == "Méthodologie" and firsts[-1] == headings[-1]
