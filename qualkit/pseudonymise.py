"""Pseudonymisation: what `name_detection` finds becomes study-wide placeholders.

`Pseudonymiser` gives every person, organisation and place one placeholder for the whole study
("Sandrine Lefèvre", "Mme Lefèvre" and "Sandrine" are the same [PERSONNE_1]), replaces speaker
labels that are names, keeps every offset true, and records the originals in a `PseudonymMap`,
which lives outside the project.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from qualkit import contacts
from qualkit.data import Transcript
from qualkit.name_detection import (
    ANY_PLACEHOLDER,
    LEADING_PARTICLE,
    NO_ENTITIES,
    ROLE_ABBREV,
    Detector,
    Found,
    common_word,
    fold,
    is_first_name,
    known_word,
    loose_pattern,
    word_list,
)
from qualkit.pseudonym_map import PseudonymMap
from qualkit.speakers import INTERVIEWER_WORDS, RESPONDENT_WORDS

__all__ = ["Detector", "Edit", "Pseudonymiser", "apply_edits", "fold", "label_spans"]


# --- applying placeholders --------------------------------------------------------------------


@dataclass
class Edit:
    start: int
    end: int
    new: str
    original: str


def apply_edits(text: str, edits: Sequence[Edit]) -> tuple[str, Callable[[int], int]]:
    """The text with non-overlapping edits applied, and a map from old offsets to new ones."""
    parts, pos, shifts = [], 0, []
    delta = 0
    for edit in sorted(edits, key=lambda e: e.start):
        parts.append(text[pos : edit.start])
        parts.append(edit.new)
        pos = edit.end
        delta += len(edit.new) - (edit.end - edit.start)
        shifts.append((edit.start, edit.end, delta))
    parts.append(text[pos:])

    def remap(offset: int) -> int:
        moved = 0
        for start, end, total in shifts:
            if offset >= end:
                moved = total
            elif offset > start:  # inside a replaced span: snap to its end
                return end + total
            else:
                break
        return offset + moved

    return "".join(parts), remap


class Pseudonymiser:
    """Applies detection to transcripts and keeps placeholders consistent across the study."""

    def __init__(self, detector: Detector, mapping: PseudonymMap) -> None:
        self.detector = detector
        self.map = mapping

    def text(self, text: str, interview: str, doc=None) -> tuple[str, list[Edit]]:
        found = self.detector.find(text, doc)
        edits = self.assign(found, interview)
        edits += self._address_names(text, interview, edits)
        edits += self._sweep(text, interview, edits)
        new, _ = apply_edits(text, edits)
        return new, edits

    def assign(self, found: Sequence[Found], interview: str) -> list[Edit]:
        """Placeholders for found spans; full names first, so short forms join them."""
        order = sorted(found, key=lambda f: -len(f.text.split()))
        labels = {id(f): self.map.placeholder_for(f.text, f.kind, interview) for f in order}
        return [Edit(f.start, f.end, f"[{labels[id(f)]}]", f.text) for f in found]

    def _particles(self, text: str, edits: list[Edit]) -> list[Edit]:
        """A surname found without the particle its full name has: "de Vaublanc" for a known
        "Aymeric de Vaublanc"."""
        out = []
        for e in edits:
            particle = LEADING_PARTICLE.search(text, max(0, e.start - 8), e.start)
            label = e.new.strip("[]")
            if particle and label in self.map.entries:
                longer = fold(text[particle.start() : e.end])
                forms = [fold(f) for f in self.map.entries[label]["forms"]]
                if any(f.endswith(" " + longer) for f in forms):
                    e = Edit(particle.start(), e.end, e.new, text[particle.start() : e.end])
            out.append(e)
        return out

    def _address_names(self, text: str, interview: str, edits: Sequence[Edit]) -> list[Edit]:
        """The names an e-mail address spells ("cedric.lamy2@…") wherever else they are said,
        in any case ("un 2 après lamy"), and its first part said again alone."""
        busy = [(e.start, e.end) for e in edits]
        found: list[Found] = []

        def sweep(words: str, kind: str) -> None:
            for m in re.finditer(rf"(?<![\w-]){re.escape(words)}(?![\w-])", text, re.I):
                if not any(a < m.end() and m.start() < b for a, b in busy):
                    found.append(Found(*m.span(), kind, m.group(), "address"))
                    busy.append(m.span())

        addresses = [e.original for e in edits if e.new.startswith("[EMAIL")]
        locals_ = [
            re.split(r"@|\b(?:arobase|arobas|arrobase|arrobe|at)\b", a)[0] for a in addresses
        ]
        for local in locals_:  # "c'est a point diallo. Donc a point diallo arobase…"
            said = local.strip(" ,.…")
            if " " in said and len(said) >= 6:
                sweep(said, "EMAIL")
        for local in locals_:
            parts = re.split(r"[\W\d_]+|\b(?:point|dot|tiret|underscore)\b", local)
            if len([p for p in parts if p]) < 2:
                continue  # "hotline@", "webmaster@": a service, not someone's name
            for part in parts:
                if len(part) >= 4 and not common_word(part) and not self.detector.is_never(part):
                    sweep(part, "PERSONNE")
        return self.assign(found, interview)

    def _sweep(self, text: str, interview: str, edits: Sequence[Edit]) -> list[Edit]:
        """Known forms of names anywhere in the text, even where detection missed them."""
        busy = [(e.start, e.end) for e in edits] + [
            m.span() for m in ANY_PLACEHOLDER.finditer(text)
        ]
        extra: list[Edit] = []
        for form, label in self.map.sweep_forms():
            # A name that is also a word ("Orange", "Petit") is swept only where it was found
            # in this interview, and with its capital; others in any case ("moreau").
            ordinary = " " not in form and (common_word(form) or form in word_list("ambiguous.txt"))
            if self.detector.is_never(form):
                continue
            if ordinary and interview not in self.map.entries[label]["interviews"]:
                continue
            person = self.map.entries[label]["kind"] == "PERSONNE"
            flags = re.IGNORECASE if person and not ordinary else 0
            for m in re.finditer(rf"(?<![\w-]){loose_pattern(form)}(?![\w-])", text, flags):
                s, e = m.span()
                if any(a < e and s < b for a, b in busy):
                    continue
                if ordinary and " " not in form and not m.group()[0].isupper():
                    continue
                particle = LEADING_PARTICLE.search(text, max(0, s - 8), s)
                if particle and not ordinary:  # "Du Plessis" for a known "Xavier du Plessis"
                    s = particle.start()
                self.map.note(label, text[s:e], interview)
                extra.append(Edit(s, e, f"[{label}]", text[s:e]))
                busy.append((s, e))
        return extra

    def edits(self, transcript: Transcript) -> list[Edit]:
        """What to replace in a transcript: its turns' words (entities per turn) and labels."""
        text = transcript.text
        bodies = [(t.start, t.end) for t in transcript.turns]
        docs = None
        if self.detector.use_ner:
            docs = list(self.detector.nlp.pipe(text[s:e] for s, e in bodies))
        found: list[Found] = []
        for i, (s, e) in enumerate(bodies):
            asked = contacts.asked_digits([text[a:b] for a, b in bodies[max(0, i - 2) : i]])
            for f in self.detector.find(text[s:e], docs[i] if docs else None, asked):
                found.append(replace(f, start=f.start + s, end=f.end + s))
        for turn, (ls, _) in zip(transcript.turns, label_spans(transcript), strict=True):
            label = speaker_name(self.detector, turn.speaker)
            found += [replace(f, start=f.start + ls, end=f.end + ls) for f in label]
        edits = self._particles(text, self.assign(found, transcript.name))
        edits += self._address_names(text, transcript.name, edits)
        edits += self._sweep(text, transcript.name, edits)
        typed = [(m.start(), m.group().strip("[]"), None) for m in ANY_PLACEHOLDER.finditer(text)]
        ours = [(e.start, e.new.strip("[]"), e.original) for e in edits]
        self.map.set_occurrences(transcript.name, [(lab, o) for _, lab, o in sorted(typed + ours)])
        return edits

    def transcript(self, transcript: Transcript) -> Transcript:
        """A new transcript: speakers, words and preamble pseudonymised, offsets remapped."""
        new_text, remap = apply_edits(transcript.text, self.edits(transcript))
        turns = []
        for turn, (ls, le) in zip(transcript.turns, label_spans(transcript), strict=True):
            start = remap(turn.start)
            speaker = new_text[remap(ls) : remap(le)]
            turns.append(replace(turn, speaker=speaker, start=start, end=remap(turn.end)))
        metadata = dict(transcript.metadata)
        if "preamble" in metadata:
            metadata["preamble"] = [
                self.text(line, transcript.name)[0] for line in metadata["preamble"]
            ]
        metadata["pseudonymised"] = True
        return replace(transcript, text=new_text, turns=tuple(turns), metadata=metadata)


def _role_stem(word: str) -> str:
    return re.sub(r"[·.]?(?:e|s|es)$", "", fold(word))


_ROLE_WORDS = {  # stems: "consultante", "Enquêteurs", "Retraitée" and "Interviewé·e"; and
    # the role words that label a turn
    _role_stem(w)
    for w in (
        "consultant observateur observatrice client manager directeur directrice responsable "
        "DRH RH chef cheffe salarié ingénieur recruteur recruteuse expert représentant délégué "
        "syndical "
        "stagiaire alternant technicien technicienne opérateur opératrice médecin infirmier "
        "infirmière avocat juriste chercheur chercheuse professeur formateur formatrice "
        "dirigeant fondateur fondatrice gérant président présidente assistant secrétaire "
        "comptable commercial commerciale acheteur acheteuse auditeur auditrice interprète "
        "notes traduction siège adjoint adjointe associé associée conseiller conseillère "
        "agent agente employé cadre élu élue maire "
        # who the speaker is or what the transcriber notes: "P1 (Femme, 45 ans)", "(Rires)"
        "femme homme retraité ouvrier ouvrière étudiant étudiante jeune senior junior parent "
        "mère père bénévole patient patiente aidant aidante demandeur demandeuse chômeur "
        "rires rire silence suite fin début reprise pause coupure inaudible hésitation off "
        "visio téléphone anonyme entretien groupe"
    ).split()
} | {_role_stem(w) for w in INTERVIEWER_WORDS | RESPONDENT_WORDS}  # "Enquêtrice (Opale)"
_PARTICLE_WORDS = r"de|du|des|d['’]|van|von|der|den|le|la|ben|bin|el|al|dos|da|di"


def speaker_name(detector: Detector, speaker: str) -> list[Found]:
    """A speaker label that is a person's name ("Karine Dufresne", "S. Lefèvre"), with the
    person or employer given in parentheses ("Nadia (Opale)", "Intervenant 2 (Farid, ESN)")."""
    detail = re.fullmatch(r"(?P<main>.+?)\s*\((?P<detail>[^()]+)\)", speaker)
    if detail:
        found = speaker_name(detector, detail.group("main"))
        for part in re.finditer(r"[^,;/]*[^,;/\s]", detail.group("detail")):
            at = (
                detail.start("detail")
                + part.start()
                + len(part.group())
                - len(part.group().lstrip())
            )
            found += [
                replace(f, start=f.start + at, end=f.end + at)
                for f in _affiliation(detector, part.group().strip())
            ]
        return found
    if detector.is_never(speaker) or ANY_PLACEHOLDER.fullmatch(speaker):
        return []
    if (
        re.fullmatch(r"[A-ZÉ][a-zé]{1,5}\.|[A-ZÉ]{3,8}\.", speaker)
        or speaker.upper() in ROLE_ABBREV
    ):
        return []  # an abbreviated role: "Int.", "Rép.", "Enq.", "CHAUFF.", "RESP"
    if re.search(r"\d|_", speaker):
        return []  # a numbered speaker: "SPEAKER_00", "P1", "Locuteur 2"
    words = speaker.split()
    if re.fullmatch(r"(?:[A-Z]\.?-?){2,3}", speaker) and speaker.upper() not in ROLE_ABBREV:
        return [Found(0, len(speaker), "PERSONNE", speaker, "label")]  # initials: "M.D."
    if re.fullmatch(r"[A-Z]\.(?:-[A-Z]\.)?\s?[A-ZÉ][\w'’-]+", speaker):
        return [Found(0, len(speaker), "PERSONNE", speaker, "label")]  # "S. Poirier"
    words = [w for w in words if not re.fullmatch(_PARTICLE_WORDS, w)]  # "Pieter van der Berg"
    if (
        len(words) in (2, 3)
        and all(w[0].isupper() for w in words)
        and (
            is_first_name(words[0])
            or any(is_first_name(w) for w in words)
            and not any(common_word(w) for w in words)
        )
    ):
        return [Found(0, len(speaker), "PERSONNE", speaker, "label")]  # "Camille Besson"
    found = [
        f for f in detector.find(speaker, doc=NO_ENTITIES) if f.source not in ("ner", "unknown")
    ]
    if found:
        return found
    if 1 <= len(words) <= 4 and all(w[0].isupper() for w in words):
        # Inclusive writing of a role: "Interviewé·e", "Enquêteur.rice"
        base = re.sub(r"[·.](?:e|ne|se|rice|euse)s?$", "", speaker)
        if len(words) == 1 and (
            speaker.isupper() and len(speaker) <= 3 or common_word(base) or known_word(base)
        ):
            return []  # initials or a role word ("Salariée")
        if (all(common_word(w) for w in words) or common_word(words[0])) and not any(
            is_first_name(w) for w in words
        ):
            return []  # "Responsable Qualité", "Chef Atelier"; not "Bénédicte Roux"
        return [Found(0, len(speaker), "PERSONNE", speaker, "label")]
    return []


def _affiliation(detector: Detector, detail: str) -> list[Found]:
    """A label's detail in parentheses: a person ("Farid"), an employer ("Opale", "EDF") or a
    role, kept ("ESN", "RH", "consultante", "interviewer")."""
    listed = [f for f in detector.find(detail, doc=NO_ENTITIES) if f.kind == "ENTREPRISE"]
    if listed or detector.is_never(detail) or not detail[:1].isupper():
        return listed  # "EDF", "délégué CFDT"
    if detail.isupper() and len(detail) <= 5:
        return []  # a role or a sector: "RH", "DSI", "ESN"
    if re.search(r"\d", detail):
        return []  # "45 ans", "Groupe 2"
    named = speaker_name(detector, detail)
    if named:
        return named
    words = detail.split()
    if any(_role_stem(w) in _ROLE_WORDS or _role_stem(_role_stem(w)) in _ROLE_WORDS for w in words):
        return []
    return [Found(0, len(detail), "ENTREPRISE", detail, "label")]


def label_spans(transcript: Transcript) -> list[tuple[int, int]]:
    """Where each turn's speaker label sits: the last time it is written before its words."""
    spans = []
    for turn in transcript.turns:
        line = transcript.text.rfind("\n", 0, turn.start) + 1
        start = transcript.text.rfind(turn.speaker, line, turn.start)
        spans.append((start, start + len(turn.speaker)) if start >= 0 else (turn.start, turn.start))
    return spans
