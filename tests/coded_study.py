# ruff: noqa: E501  (transcript lines are long, as in real transcripts)
"""A tiny coded study for the export tests: two interviews, cases, a codebook, people's
decisions by two coders, auto-coder suggestions and memos on every kind of target."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import insert

CODEBOOK_YAML = """\
schema_version: 1
name: Petite étude
codes:
  - id: job_threat
    label: {fr: "Menace sur l'emploi", en: Threat to jobs}
    color: "#d1495b"
    definition: Le répondant craint que l'IA remplace des emplois.
    include: ["Postes supprimés ou non remplacés"]
    exclude: ["Gain de temps sans perte d'emploi → aucun code"]
    examples: ["Mon poste va disparaître."]
    counter_examples: ["On gagne du temps."]
    patterns: ["remplacer"]
    threshold: 0.4
  - id: data_security
    label: {fr: Sécurité des données}
    definition: Fuites de données confidentielles.
  - id: training_needs
    label: {fr: Besoins de formation}
    definition: Jamais formé, autodidacte.
  - id: prompting
    label: {fr: Savoir formuler une requête}
    definition: Apprendre à écrire des prompts.
    parent: training_needs
"""

INTERVIEW_A = """\
Q : Bonjour, pouvez-vous vous présenter ?
R : Je suis responsable qualité dans une entreprise de mécanique. J'ai peur que l'IA remplace une partie de mon équipe dans les prochaines années, surtout les postes de contrôle.
Q : Et les données ?
R : On envoie parfois des plans confidentiels dans ChatGPT sur des comptes personnels, et personne ne sait où ils partent. Ça m'inquiète beaucoup pour l'espionnage industriel.
"""

INTERVIEW_B = """\
Enquêteur : Avez-vous été formée à ces outils ?
Camille : Jamais, j'ai appris seule en regardant des vidéos le soir. Il faudrait une vraie formation adaptée à notre métier, pas un module générique de deux heures.
Enquêteur : Merci beaucoup.
Camille : Je vous en prie, c'était un plaisir d'en parler avec vous aujourd'hui.
"""

CASES_CSV = """\
file,profile,role,branch,company_size,gender,age_band,function,interviewer
entretien_a.txt,cadre,Responsable qualité,Métallurgie,ETI (250-4999),F,45-54,Qualité,Q
entretien_b.txt,recruteur,Chargée de recrutement,Chimie,PME (50-249),F,25-34,RH,Enquêteur
"""


def build(cli, project: Path, folder: Path) -> dict:
    """Import the two interviews, record the codebook, decisions, suggestions and memos."""
    from qualkit.codebook import parse_codebook
    from qualkit.store import Project
    from qualkit.store.codings import decide, record_codebook, replace_suggestions
    from qualkit.store.project import now
    from qualkit.store.schema import memos
    from qualkit.store.study import segment_rows

    folder.mkdir(exist_ok=True)
    (folder / "entretien_a.txt").write_text(INTERVIEW_A, encoding="utf-8")
    (folder / "entretien_b.txt").write_text(INTERVIEW_B, encoding="utf-8")
    (folder / "cases.csv").write_text(CASES_CSV, encoding="utf-8")
    result = cli("import", project, folder)
    assert result.code == 0, result.err
    with Project.open(project) as proj, proj.transaction() as conn:
        record_codebook(conn, parse_codebook(CODEBOOK_YAML), "codebook.yaml")
        seg = {
            (r["interview"], i): r
            for name in ("entretien_a.txt", "entretien_b.txt")
            for i, r in enumerate(segment_rows(conn, interview=name, role="respondent"))
        }
        a0, a1 = seg["entretien_a.txt", 0]["id"], seg["entretien_a.txt", 1]["id"]
        b0, b1 = seg["entretien_b.txt", 0]["id"], seg["entretien_b.txt", 1]["id"]
        replace_suggestions(
            conn,
            [a1, b1],
            [
                {"segment_id": a1, "code": "data_security", "score": 0.91, "passes": True},
                {"segment_id": b1, "code": "job_threat", "score": 0.12, "passes": False},
            ],
            1,
        )
        decide(conn, a0, "job_threat", "alice", "accepted")
        decide(conn, a0, "data_security", "alice", "rejected")
        decide(conn, a0, "job_threat", "bob", "accepted")
        decide(conn, b0, "training_needs", "alice", "accepted")
        decide(conn, b0, "prompting", "bob", "accepted")
        stamp = now()
        iid_b = seg["entretien_b.txt", 0]["interview_id"]
        for values in (
            {
                "segment_id": a0,
                "interview_id": seg["entretien_a.txt", 0]["interview_id"],
                "code": "job_threat",
                "text": "Crainte nette, à citer.",
            },
            {"interview_id": iid_b, "text": "Entretien court, bonne ambiance."},
            {"code": "training_needs", "text": "Fusionner avec prompting ?"},
            {"text": "Mémo général du projet."},
        ):
            conn.execute(
                insert(memos).values(coder="alice", created_at=stamp, updated_at=stamp, **values)
            )
    return {"a0": a0, "a1": a1, "b0": b0, "b1": b1, "segments": seg}
