"""cases.csv -> case attributes per interview file; errors name the row."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from qualkit.data import Case
from qualkit.errors import QualkitError
from qualkit.reading import decode_text

CASES_FILE = "cases.csv"
PROFILES = {
    "cadre": "cadre",
    "manager": "cadre",
    "manageur": "cadre",
    "recruteur": "recruteur",
    "recruteuse": "recruteur",
    "recruiter": "recruteur",
    "rh": "recruteur",
    "hr": "recruteur",
    "expert": "expert",
    "experte": "expert",
}
PROFILE_LABELS = {
    "fr": {"cadre": "Cadres", "recruteur": "Recruteurs / RH", "expert": "Experts"},
    "en": {"cadre": "Managers", "recruteur": "Recruiters / HR", "expert": "Experts"},
}
ALIASES = {
    "file": "file",
    "fichier": "file",
    "interview": "file",
    "entretien": "file",
    "case": "case",
    "cas": "case",
    "profile": "profile",
    "profil": "profile",
    "role": "role",
    "rôle": "role",
    "fonction": "role",
    "poste": "role",
    "branch": "branch",
    "branche": "branch",
    "secteur": "branch",
    "sector": "branch",
    "company_size": "company_size",
    "taille": "company_size",
    "taille_entreprise": "company_size",
    "size": "company_size",
    "gender": "gender",
    "genre": "gender",
    "sexe": "gender",
    "age_band": "age_band",
    "age": "age_band",
    "âge": "age_band",
    "tranche_age": "age_band",
    "interviewer": "interviewer",
    "enqueteur": "interviewer",
    "enquêteur": "interviewer",
    "language": "language",
    "langue": "language",
}
KNOWN = ("profile", "role", "branch", "company_size", "gender", "age_band")
# Columns that identify someone: never stored as attributes, always replaced in the transcripts.
IDENTIFYING = {
    "name": "person",
    "nom": "person",
    "prénom": "person",
    "prenom": "person",
    "first_name": "person",
    "last_name": "person",
    "respondent": "person",
    "répondant": "person",
    "repondant": "person",
    "interviewee": "person",
    "company": "organisation",
    "entreprise": "organisation",
    "employer": "organisation",
    "employeur": "organisation",
    "société": "organisation",
    "client": "organisation",
    "email": "email",
    "e-mail": "email",
    "courriel": "email",
    "phone": "phone",
    "téléphone": "phone",
    "telephone": "phone",
    "city": "place",
    "ville": "place",
}


@dataclass(frozen=True)
class CaseRow:
    """One row of cases.csv: the case, and how to read its interview."""

    file: str
    case: Case
    interviewers: tuple[str, ...] = ()
    language: str | None = None
    line: int = 0
    extra: dict = field(default_factory=dict)
    identifying: tuple[tuple[str, str], ...] = ()


def read_cases(path: str | Path) -> dict[str, CaseRow]:
    """Rows keyed by interview file name (and by stem, so 'entretien_01' matches .docx too)."""
    path = Path(path)
    text = decode_text(path.read_bytes(), path)
    if not text.strip():
        raise QualkitError("file is empty", path=path)
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = next(reader)
    columns = [ALIASES.get(h.strip().lower().replace(" ", "_"), h.strip()) for h in header]
    if "file" not in columns:
        raise QualkitError(
            "no 'file' column: the first row must name the columns, one of them 'file' "
            "(the interview's file name)",
            path=path,
            line=1,
        )
    rows: dict[str, CaseRow] = {}
    for number, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(columns):
            raise QualkitError(
                f"{len(values)} values for {len(columns)} columns", path=path, line=number
            )
        record = {c: v.strip() for c, v in zip(columns, values, strict=True)}
        file = record.pop("file")
        if not file:
            raise QualkitError("empty 'file' value", path=path, line=number, field="file")
        profile = record.get("profile")
        if profile:
            canonical = PROFILES.get(profile.lower())
            if canonical is None:
                raise QualkitError(
                    f"unknown profile '{profile}'; expected cadre, recruteur or expert",
                    path=path,
                    line=number,
                    field="profile",
                )
            record["profile"] = canonical
        interviewers = tuple(
            s.strip() for s in record.pop("interviewer", "").split("|") if s.strip()
        )
        language = record.pop("language", "") or None
        if language not in (None, "fr", "en"):
            raise QualkitError(
                f"language must be fr or en, not '{language}'",
                path=path,
                line=number,
                field="language",
            )
        identifying = tuple(
            (value, IDENTIFYING[key.lower()])
            for key in [k for k in record if k.lower() in IDENTIFYING]
            for value in record.pop(key).split("|")
            if value.strip()
        )
        name = record.pop("case", "") or Path(file).stem
        case = Case(
            name=name,
            **{k: record.pop(k) or None for k in KNOWN if k in record},
            extra={k: v for k, v in record.items() if v},
        )
        row = CaseRow(file, case, interviewers, language, number, identifying=identifying)
        for key in (file, Path(file).stem):
            if key in rows and rows[key].line != number:
                raise QualkitError(
                    f"'{file}' is listed twice (also line {rows[key].line})",
                    path=path,
                    line=number,
                    field="file",
                )
            rows[key] = row
    return rows


def match_case(rows: dict[str, CaseRow], file_name: str) -> CaseRow | None:
    return rows.get(file_name) or rows.get(Path(file_name).stem)
