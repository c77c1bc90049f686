"""The Word report (python-docx): a document the study's author edits, written to a file-like
object so the CLI and the tests share one path.

Title page, a table-of-contents field Word refreshes on opening, real Heading styles, the
methodology (corpus, dates, coding process), one section per theme (synthesis, a chart of
prevalence by profile, the crosstab, verbatims with attribution), emerging topics when they
were computed, and annexes (codebook, interviews by profile). The anonymisation map is never
read here.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Sequence
from datetime import date
from typing import BinaryIO

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from qualkit.agreement import CONSENSUS
from qualkit.errors import QualkitError
from qualkit.quotes import PROFILE_LABELS, representative_quotes
from qualkit.store.codings import AUTO_CODER, SYSTEM_CODER
from qualkit.store.schema import codings, decision_log, project_meta
from qualkit.synthesis import (
    Study,
    Synthesis,
    code_label,
    emerging_topics,
    load_study,
    synthesize,
)

T = {
    "fr": {
        "subtitle": "Rapport d'analyse qualitative des entretiens",
        "generated": "Document généré le {} par qualkit, à relire et compléter.",
        "toc": "Sommaire",
        "toc_hint": "Le sommaire se met à jour à l'ouverture dans Word (ou clic droit, "
        "« Mettre à jour les champs »).",
        "method": "Méthodologie",
        "corpus": "Corpus",
        "corpus_text": "Le corpus compte {} entretiens semi-directifs",
        "pseudonymised": " Les transcriptions ont été pseudonymisées à l'import (noms, "
        "organisations, lieux et coordonnées remplacés par des marqueurs : [PERSONNE_1]…).",
        "dates": ", menés entre le {} et le {}",
        "coding": "Codage",
        "coding_text": "Les segments des répondants ont d'abord été codés automatiquement à "
        "partir du dictionnaire des codes (motifs lexicaux, similarité avec les exemples, "
        "apprentissage sur les décisions déjà prises), puis relus par l'équipe : {} décisions "
        "enregistrées par {} codeur(s), {} codage(s) accepté(s).",
        "pending": " {} suggestion(s) du codage automatique restent à relire.",
        "agreement": "Accord entre {a} et {b} (kappa de Cohen sur {n} décisions communes) : sur "
        "les {n} segments relus par les deux, accord observé de {pa} et kappa de {kappa} ({units} "
        "unités segment × code, tous codes confondus).",
        "agreement_cols": ["Code", "Unités", "Accord observé", "Kappa", "Alpha"],
        "agreement_all": "Ensemble des codes",
        "agreement_auto": "auto-codage vs personnes",
        "agreement_note": "Unités : segments relus par au moins deux codeurs (pour l'ensemble, "
        "segments × codes) ; un code qu'un codeur n'a pas retenu sur un segment relu compte comme "
        "absent. Kappa de Cohen par paire{pairs}, alpha de Krippendorff (nominal) pour tous les "
        "codeurs ; « — » : non défini, faute de variation (par exemple un code que personne n'a "
        "utilisé). Moyenne des kappas par code : {mean}.",
        "agreement_pairs": " (moyenne des paires)",
        "agreement_auto_note": " Ligne auto-codage : les suggestions retenues par le codage "
        "automatique comparées aux décisions de chaque personne ; alpha des personnes et de "
        "l'auto-codage ensemble.",
        "agreement_none": "Aucun segment n'a été relu par deux codeurs : l'accord entre codeurs "
        "ne peut pas être calculé.",
        "undefined": "non défini",
        "by": {"profile": "Profil", "branch": "Branche", "company_size": "Taille"},
        "count": "Entretiens",
        "themes": "Thèmes",
        "synthesis": "Synthèse",
        "distribution": "Répartition",
        "verbatims": "Verbatims",
        "summary": "Phrases les plus représentatives :",
        "cooc": "Codes associés : {}.",
        "topics_rel": "Thèmes émergents liés : {}.",
        "chart_title": "Part des entretiens évoquant le thème, par profil",
        "table": ["Attribut", "Valeur", "Entretiens", "Évoquant le thème", "%", "Segments"],
        "attr": {
            "profile": "Profil",
            "company_size": "Taille",
            "gender": "Genre",
            "age_band": "Âge",
        },  # fmt: skip
        "suggested": " (suggestion non relue)",
        "no_quote": "Aucun verbatim accepté pour ce thème.",
        "emerging": "Thèmes émergents",
        "emerging_text": "Sujets découverts automatiquement dans le corpus (nombre de segments, "
        "mots clés) ; * : sujet que le dictionnaire des codes ne couvre pas.",
        "annex_codebook": "Annexe A – Dictionnaire des codes",
        "annex_interviews": "Annexe B – Entretiens par profil",
        "include": "À coder",
        "exclude": "À ne pas coder",
        "interview_cols": [
            "Entretien",
            "Fonction",
            "Branche / type d'entreprise",
            "Taille",
            "Date",
        ],  # fmt: skip
        "none": "non renseigné",
    },
    "en": {
        "subtitle": "Qualitative analysis of the interviews",
        "generated": "Generated on {} by qualkit, to be reviewed and completed.",
        "toc": "Contents",
        "toc_hint": "The table of contents updates when Word opens the file (or right-click, "
        "“Update field”).",
        "method": "Methodology",
        "corpus": "Corpus",
        "corpus_text": "The corpus holds {} semi-structured interviews",
        "pseudonymised": " The transcripts were pseudonymised on import (names, organisations, "
        "places and contact details replaced by placeholders: [PERSONNE_1]…).",
        "dates": ", held between {} and {}",
        "coding": "Coding",
        "coding_text": "Respondent segments were first coded automatically from the codebook "
        "(lexical patterns, similarity to examples, learning from decisions already made), then "
        "reviewed by the team: {} decisions recorded by {} coder(s), {} accepted coding(s).",
        "pending": " {} suggestion(s) of the auto-coder are still to be reviewed.",
        "agreement": "Agreement between {a} and {b} (Cohen's kappa on {n} shared decisions): on "
        "the {n} segments both reviewed, observed agreement {pa} and kappa {kappa} ({units} "
        "segment × code units, all codes pooled).",
        "agreement_cols": ["Code", "Units", "Observed agreement", "Kappa", "Alpha"],
        "agreement_all": "All codes",
        "agreement_auto": "auto-coding vs people",
        "agreement_note": "Units: segments reviewed by at least two coders (for all codes, "
        "segments × codes); a code a coder did not keep on a segment they reviewed counts as "
        "absent. Cohen's kappa per pair{pairs}, Krippendorff's alpha (nominal) over all coders; "
        "“—”: undefined, for lack of variation (e.g. a code nobody used). Mean of the per-code "
        "kappas: {mean}.",
        "agreement_pairs": " (mean of the pairs)",
        "agreement_auto_note": " Auto-coding row: the auto-coder's passing suggestions compared "
        "with each person's decisions; alpha of the people and the auto-coder together.",
        "agreement_none": "No segment was reviewed by two coders: agreement between coders cannot "
        "be computed.",
        "undefined": "undefined",
        "by": {"profile": "Profile", "branch": "Branch", "company_size": "Size"},
        "count": "Interviews",
        "themes": "Themes",
        "synthesis": "Synthesis",
        "distribution": "Distribution",
        "verbatims": "Verbatims",
        "summary": "Most representative sentences:",
        "cooc": "Co-occurring codes: {}.",
        "topics_rel": "Related emerging topics: {}.",
        "chart_title": "Share of interviews raising the theme, by profile",
        "table": ["Attribute", "Value", "Interviews", "Raising the theme", "%", "Segments"],
        "attr": {
            "profile": "Profile",
            "company_size": "Size",
            "gender": "Gender",
            "age_band": "Age",
        },  # fmt: skip
        "suggested": " (unreviewed suggestion)",
        "no_quote": "No accepted verbatim for this theme.",
        "emerging": "Emerging topics",
        "emerging_text": "Topics discovered automatically in the corpus (segments, keywords); "
        "*: a topic the codebook does not cover.",
        "annex_codebook": "Annex A – Codebook",
        "annex_interviews": "Annex B – Interviews by profile",
        "include": "Code when",
        "exclude": "Do not code",
        "interview_cols": ["Interview", "Role", "Branch / type of firm", "Size", "Date"],
        "none": "not given",
    },
}
QUOTES_PER_THEME = 5  # 3–6 verbatims per theme
ACCENT = "#2f5d8a"


def write_report(
    conn: Connection,
    out: BinaryIO,
    *,
    lang: str = "fr",
    codes: Sequence[str] | None = None,
    codebook=None,
    title: str | None = None,
    include_suggested: bool = False,
) -> dict:
    """Write the .docx report to `out`; returns what it contains (themes, quotes, tables)."""
    from docx import Document

    if lang not in T:
        raise QualkitError(f"--lang must be fr or en, not '{lang}'")
    t = T[lang]
    study = load_study(conn, include_suggested)
    if codebook is not None:
        study.codebook = codebook
        study.codes = list(dict.fromkeys(codebook.ids + study.codes))
    unknown = [c for c in codes or () if c not in study.codes]
    if unknown:
        raise QualkitError(f"no code '{unknown[0]}' in this project's codebook or codings")
    present = {s.code for s in study.coded}
    themes = list(codes) if codes else [c for c in study.codes if c in present]
    title = (
        title
        or conn.execute(select(project_meta.c.value).where(project_meta.c.key == "name")).scalar()
        or "qualkit"
    )

    doc = Document()
    _styles(doc)
    _title_page(doc, t, title)
    placeholder = _toc(doc, t)
    _methodology(doc, t, conn, study, lang)
    summary = {"themes": [], "quotes": 0}
    for i, code in enumerate(themes, 1):
        synthesis = synthesize(conn, code, lang=lang, study=study)
        quotes = representative_quotes(
            conn, code, n=QUOTES_PER_THEME, include_suggested=include_suggested, lang=lang,
            coded=study.coded,
        )  # fmt: skip
        _theme(doc, t, i, synthesis, quotes, lang)
        summary["themes"].append(code)
        summary["quotes"] += len(quotes)
    topics = emerging_topics(conn)
    if topics:
        _emerging(doc, t, topics)
    _annexes(doc, t, study, lang)
    _fill_toc(doc, placeholder)
    doc.save(out)
    return summary


# --- styles and structure ---------------------------------------------------------------------


def _styles(doc) -> None:
    from docx.enum.style import WD_STYLE_TYPE
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt, RGBColor

    styles = doc.styles
    styles["Normal"].font.name = "Calibri"
    styles["Normal"].font.size = Pt(11)
    for level, size in ((1, 18), (2, 14), (3, 12)):
        style = styles[f"Heading {level}"]
        style.font.size = Pt(size)
        style.font.color.rgb = RGBColor.from_string(ACCENT[1:])
    styles["Heading 1"].paragraph_format.page_break_before = True
    quote = styles["Quote"]
    quote.font.italic = True
    quote.font.color.rgb = RGBColor(0x33, 0x33, 0x33)
    quote.paragraph_format.left_indent = Cm(1.2)
    quote.paragraph_format.right_indent = Cm(1.2)
    quote.paragraph_format.space_before = Pt(8)
    quote.paragraph_format.space_after = Pt(2)
    attribution = styles.add_style("Attribution", WD_STYLE_TYPE.PARAGRAPH)
    attribution.base_style = styles["Normal"]
    attribution.font.size = Pt(9.5)
    attribution.font.color.rgb = RGBColor(0x55, 0x55, 0x55)
    attribution.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    attribution.paragraph_format.right_indent = Cm(1.2)
    attribution.paragraph_format.space_after = Pt(10)
    for section in doc.sections:
        section.page_height, section.page_width = Cm(29.7), Cm(21.0)
        section.left_margin = section.right_margin = Cm(2.3)
        section.top_margin = section.bottom_margin = Cm(2.2)


def _title_page(doc, t: dict, title: str) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    for _ in range(6):
        doc.add_paragraph()
    heading = doc.add_paragraph(title, style="Title")
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    sub = doc.add_paragraph(style="Subtitle")
    sub.add_run(t["subtitle"])
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for _ in range(12):
        doc.add_paragraph()
    note = doc.add_paragraph(t["generated"].format(date.today().strftime("%d/%m/%Y")))
    note.alignment = WD_ALIGN_PARAGRAPH.CENTER
    note.runs[0].font.size = Pt(9)


def _toc(doc, t: dict):
    """A TOC field with w:updateFields set, so Word fills it (page numbers included) on open."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    head = doc.add_paragraph(t["toc"], style="TOC Heading" if _has(doc, "TOC Heading") else None)
    head.paragraph_format.page_break_before = True
    if not _has(doc, "TOC Heading"):
        head.runs[0].bold = True
    paragraph = doc.add_paragraph()
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, 'TOC \\o "1-2" \\h \\z \\u'), ("separate", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._r.append(element)
    placeholder = paragraph.add_run(t["toc_hint"])
    placeholder.italic = True
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    paragraph.add_run()._r.append(end)
    settings = doc.settings.element
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    settings.append(update)
    return placeholder


def _fill_toc(doc, placeholder) -> None:
    """The field's shown result until Word refreshes it: the level-1 headings, one a line,
    so readers without field updates (LibreOffice, PDF) still see the contents."""
    from docx.enum.text import WD_BREAK

    titles = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    placeholder.italic = False
    placeholder.text = ""
    for i, title in enumerate(titles):
        if i:
            placeholder.add_break(WD_BREAK.LINE)
        placeholder.add_text(title)


def _has(doc, style: str) -> bool:
    return any(s.name == style for s in doc.styles)


def _table(doc, header: Sequence[str], rows: Sequence[Sequence], widths=None):
    from docx.shared import Pt

    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Light Grid Accent 1" if _has(doc, "Light Grid Accent 1") else "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = str(text)
    for row in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            cell.text = "" if value is None else str(value)
    for row in table.rows:
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(9.5)
    doc.add_paragraph()
    return table


# --- sections ---------------------------------------------------------------------------------


def _methodology(doc, t: dict, conn: Connection, study: Study, lang: str) -> None:
    doc.add_heading(t["method"], level=1)
    doc.add_heading(t["corpus"], level=2)
    dates = sorted(d for d in (i.get("interview_date") for i in study.interviews) if d)
    text = t["corpus_text"].format(len(study.interviews))
    if dates:
        text += t["dates"].format(_date(dates[0]), _date(dates[-1]))
    text += "."
    if conn.execute(
        select(project_meta.c.key).where(project_meta.c.key == "pseudonym_map")
    ).first():
        text += t["pseudonymised"]
    doc.add_paragraph(text)
    profiles = PROFILE_LABELS.get(lang, PROFILE_LABELS["fr"])
    for attribute in ("profile", "branch", "company_size"):
        counts = Counter(i.get(attribute) or t["none"] for i in study.interviews)
        label = (lambda v: profiles.get(v, v)) if attribute == "profile" else str
        rows = [(label(v), n) for v, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
        _table(doc, [t["by"][attribute], t["count"]], rows)
    doc.add_heading(t["coding"], level=2)
    decisions = conn.execute(select(func.count()).select_from(decision_log)).scalar() or 0
    coders = (
        {s for c in study.coded for s in c.coders}
        | set(conn.execute(select(decision_log.c.coder).distinct()).scalars())
    ) - {SYSTEM_CODER, CONSENSUS}  # qualkit's own log rows; settled decisions
    accepted = len({(c.segment_id, c.code) for c in study.coded if not c.suggested})
    pending = conn.execute(
        select(func.count()).where(codings.c.coder == AUTO_CODER, codings.c.passes.is_(True))
    ).scalar()
    paragraph = t["coding_text"].format(decisions, len(coders), accepted)
    if pending:
        paragraph += t["pending"].format(pending)
    doc.add_paragraph(paragraph)
    _agreement(doc, t, conn, study, lang)


def _agreement(doc, t: dict, conn: Connection, study: Study, lang: str) -> None:
    """With two people or more: a sentence per pair and a table per code of qualkit.agreement's
    figures (segment level), plus the auto-coder against people when it coded reviewed segments.
    """
    from qualkit.agreement import figures, load_decisions, machine_vs_people, people

    decisions = load_decisions(conn)
    humans = people(decisions)
    if len(humans) < 2:
        return
    result = figures(decisions, humans, study.codes)
    overall = result["overall"]
    if not overall["units"]:
        doc.add_paragraph(t["agreement_none"])
        return
    for pair in overall["pairs"]:
        if pair["segments"]:
            a, b = pair["coders"]
            doc.add_paragraph(
                t["agreement"].format(
                    a=a, b=b, n=pair["segments"], units=pair["units"],
                    pa=_share(pair["percent_agreement"], lang),
                    kappa=_figure(pair["cohen_kappa"], lang, t["undefined"]),
                )
            )  # fmt: skip

    def row(label: str, e: dict) -> tuple:
        kappa, alpha = e["cohen_kappa"], e["krippendorff_alpha"]
        pa = _share(e["percent_agreement"], lang) if e["units"] else "—"
        return label, e["units"], pa, _figure(kappa, lang), _figure(alpha, lang)

    rows = [row(code_label(study, c, lang)[0], e) for c, e in result["codes"].items()]
    rows.append(row(t["agreement_all"], overall))
    auto = machine_vs_people(decisions, humans, study.codes)
    if auto["units"]:
        rows.append(row(t["agreement_auto"], auto))
    _table(doc, t["agreement_cols"], rows)
    note = t["agreement_note"].format(
        pairs=t["agreement_pairs"] if len(humans) > 2 else "",
        mean=_figure(overall["mean_kappa"], lang, t["undefined"]),
    )
    doc.add_paragraph(note + (t["agreement_auto_note"] if auto["units"] else ""))


def _figure(value: float | None, lang: str, missing: str = "—") -> str:
    if value is None:
        return missing
    text = f"{value:.2f}"
    return text.replace(".", ",") if lang == "fr" else text


def _share(value: float | None, lang: str) -> str:
    if value is None:
        return "—"
    return f"{value * 100:.1f} %".replace(".", ",") if lang == "fr" else f"{value * 100:.1f}%"


def _theme(doc, t: dict, number: int, s: Synthesis, quotes, lang: str) -> None:
    from docx.shared import Cm

    doc.add_heading(f"{number}. {s.label}", level=1)
    doc.add_paragraph(s.text)
    extras = []
    if s.cooccurring:
        extras.append(
            t["cooc"].format(", ".join(f"{c['label']} ({c['segments']})" for c in s.cooccurring))
        )
    if s.topics:
        extras.append(
            t["topics_rel"].format(", ".join(f"{c['label']} ({c['segments']})" for c in s.topics))
        )
    if extras:
        doc.add_paragraph(" ".join(extras))
    if s.summary:
        doc.add_paragraph(t["summary"])
        for sentence in s.summary:
            doc.add_paragraph(f"« {sentence.text} » ({sentence.attribution})", style="List Bullet")
    doc.add_heading(t["distribution"], level=2)
    rows = s.rows("profile")
    if rows:
        doc.add_picture(io.BytesIO(chart(s, t["chart_title"], lang)), width=Cm(13))
    attr = t["attr"]
    table_rows = [
        (
            attr.get(r.attribute, r.attribute),
            PROFILE_LABELS[lang].get(r.value, r.value) if r.attribute == "profile" else r.value,
            r.interviews,
            r.raising,
            f"{r.percent:.0f} %",
            r.segments,
        )  # fmt: skip
        for r in s.crosstab
    ]
    _table(doc, t["table"], table_rows)
    doc.add_heading(t["verbatims"], level=2)
    if not quotes:
        doc.add_paragraph(t["no_quote"])
    for quote in quotes:
        doc.add_paragraph(quote.formatted(with_attribution=False), style="Quote")
        mark = t["suggested"] if quote.suggested else ""
        doc.add_paragraph(f"— {quote.attribution}{mark}", style="Attribution")


def chart(s: Synthesis, title: str, lang: str = "fr") -> bytes:
    """PNG bar chart: share of each profile group's interviews that raise the theme."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = s.rows("profile")
    labels = [PROFILE_LABELS.get(lang, PROFILE_LABELS["fr"]).get(r.value, r.value) for r in rows]
    fig, ax = plt.subplots(figsize=(6.5, 0.55 * len(rows) + 1.0), dpi=150)
    bars = ax.barh(labels, [r.percent for r in rows], color=ACCENT, height=0.55)
    for bar, r in zip(bars, rows, strict=True):
        ax.text(bar.get_width() + 1.5, bar.get_y() + bar.get_height() / 2,
                f"{r.percent:.0f} % ({r.raising}/{r.interviews})", va="center", fontsize=8,
        )  # fmt: skip
    ax.set_xlim(0, 118)
    ax.invert_yaxis()
    ax.set_title(title, fontsize=9, loc="left")
    ax.tick_params(labelsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_xticks([0, 25, 50, 75, 100])
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def _emerging(doc, t: dict, topics: list[dict]) -> None:
    doc.add_heading(t["emerging"], level=1)
    doc.add_paragraph(t["emerging_text"])
    for topic in topics:
        mark = " *" if topic["emerging"] else ""
        words = ", ".join(
            str(w[0] if isinstance(w, list | tuple) else w) for w in topic["keywords"]
        )
        line = f"{topic['label']}{mark} ({topic['segments']})"
        doc.add_paragraph(f"{line} : {words}" if words else line, style="List Bullet")


def _annexes(doc, t: dict, study: Study, lang: str) -> None:
    doc.add_heading(t["annex_codebook"], level=1)
    for code in study.codes:
        label, definition = code_label(study, code, lang)
        doc.add_heading(f"{label} ({code})", level=2)
        if definition:
            doc.add_paragraph(definition)
        if study.codebook is not None and code in study.codebook.ids:
            entry = study.codebook.code(code)
            for key, items in ((t["include"], entry.include), (t["exclude"], entry.exclude)):
                if items:
                    doc.add_paragraph().add_run(key).bold = True
                    for item in items:
                        doc.add_paragraph(item, style="List Bullet")
    doc.add_heading(t["annex_interviews"], level=1)
    profiles = PROFILE_LABELS.get(lang, PROFILE_LABELS["fr"])
    groups: dict[str, list[dict]] = {}
    for item in study.interviews:
        groups.setdefault(item.get("profile") or t["none"], []).append(item)
    for profile, items in groups.items():
        doc.add_heading(f"{profiles.get(profile, profile)} ({len(items)})", level=2)
        _table(
            doc,
            t["interview_cols"],
            [
                (
                    i["name"].rsplit(".", 1)[0],
                    i.get("role"),
                    i.get("branch"),
                    i.get("company_size"),
                    _date(i.get("interview_date")),
                )  # fmt: skip
                for i in items
            ],
        )


def _date(value: str | None) -> str:
    if not value:
        return ""
    try:
        return date.fromisoformat(str(value)[:10]).strftime("%d/%m/%Y")
    except ValueError:
        return str(value)
