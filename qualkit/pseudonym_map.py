"""The pseudonym map: placeholders -> originals, in a file next to the project, never inside it.

The file is JSON, or JSON encrypted with a passphrase (Fernet, key derived with scrypt) when
QUALKIT_PASSPHRASE is set. It also keeps the consultant's corrections (always/never lists), so a
re-import gives the same placeholders, and each interview's placeholders in text order, so a
wrong replacement can be put back.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections import Counter
from pathlib import Path

from qualkit.errors import QualkitError
from qualkit.name_detection import fold, is_first_name

KINDS = {
    "person": "PERSONNE",
    "organisation": "ENTREPRISE",
    "place": "LIEU",
    "email": "EMAIL",
    "phone": "TELEPHONE",
    "url": "URL",
    "id": "IDENTIFIANT",
}
PASSPHRASE_ENV = "QUALKIT_PASSPHRASE"
MAGIC = b"QUALKIT-PSEUDONYMS-1\n"
_TITLES = re.compile(
    r"^(?:m\.|mm\.|mr\.?|mme\.?|mmes|mlle|madame|monsieur|mademoiselle|dr\.?|docteur|pr\.?|"
    r"professeur|maitre|me|le docteur|la docteure?)\s+",
    re.IGNORECASE,
)
_LEGAL = re.compile(r"\s+(?:sa|sas|sasu|sarl|snc|eurl|gmbh|ltd|inc\.?|llc|se|ag)$", re.IGNORECASE)
_PARTICLES = {"de", "du", "des", "la", "le", "van", "von", "der", "den", "d'", "ben", "el", "al"}


_GENERIC_HEADS = set(  # folded, as heads are compared folded
    "groupe societe banque caisse credit cabinet laboratoire laboratoires universite "
    "ecole institut centre mutuelle agence maison compagnie etablissements ets ateliers atelier "
    "transports fonderie fonderies forges clinique hopital lycee college association fondation "
    "cooperative conseil services solutions industries union federation chambre syndicat "
    "saint sainte grand grande nouvelle nouveau new the les le la l".split()
)


def _distinctive(head: str) -> bool:
    """The first word of an organisation's name that names it alone ("Axiome" of "Axiome
    Conseil"), not a generic head ("Groupe", "Banque", "Saint")."""
    return fold(head) not in _GENERIC_HEADS and not is_first_name(head)


def map_path(project_location: str, override: str | Path | None = None) -> Path:
    """Where a project's map lives: next to the project file, or where the user says."""
    if override:
        return Path(override)
    if "://" in project_location:
        raise QualkitError(
            "a project on a server needs --pseudonyms FILE for its pseudonym map "
            "(kept on the consultant's machine, never on the server)",
            path=_mask(project_location),
        )
    path = Path(project_location)
    encrypted = path.with_name(path.name + ".pseudonyms.enc")
    if encrypted.exists() or os.environ.get(PASSPHRASE_ENV):
        return encrypted
    return path.with_name(path.name + ".pseudonyms.json")


def _mask(url: str) -> str:
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)


def _key_of(text: str, kind: str) -> str:
    key = fold(text)
    if kind == "PERSONNE":
        key = _TITLES.sub("", key)
    elif kind == "ENTREPRISE":
        key = _LEGAL.sub("", key)
    elif kind in ("TELEPHONE", "IDENTIFIANT"):
        key = re.sub(r"[\s.()-]", "", key).replace("+33", "0").replace("0033", "0")
    return key


class PseudonymMap:
    """Placeholders of one study with the original forms each stands for."""

    def __init__(self, data: dict | None = None, path: Path | None = None) -> None:
        data = data or {}
        self.path = path
        self.entries: dict[str, dict] = data.get("entries", {})
        self.counters: Counter = Counter(data.get("counters", {}))
        self.always: list[dict] = data.get("always", [])
        self.never: list[str] = data.get("never", [])
        self.occurrences: dict[str, list[list[str]]] = data.get("occurrences", {})
        self.reindex()

    def reindex(self) -> None:
        """The lookup from (kind, name key) to placeholder, derived from the entries."""
        self._index: dict[tuple[str, str], str] = {}
        for label, entry in self.entries.items():
            for form in entry["forms"]:
                self._index[(entry["kind"], _key_of(form, entry["kind"]))] = label

    # --- file ---------------------------------------------------------------------------------

    @classmethod
    def load(cls, path: Path) -> PseudonymMap:
        if not path.exists():
            return cls(path=path)
        data = path.read_bytes()
        if data.startswith(MAGIC):
            data = _decrypt(data[len(MAGIC) :], path)
        try:
            return cls(json.loads(data), path=path)
        except (ValueError, KeyError, TypeError) as exc:
            raise QualkitError(f"pseudonym map is damaged ({exc})", path=path) from None

    def save(self) -> None:
        """Write atomically (temporary file, then rename), readable by the owner only."""
        assert self.path is not None
        payload = json.dumps(self.to_dict(), ensure_ascii=False, indent=1).encode("utf-8")
        if self.path.suffix == ".enc":
            payload = MAGIC + _encrypt(payload, self.path)
        partial = self.path.with_name(self.path.name + ".partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, self.path)

    def to_dict(self) -> dict:
        return {
            "format": "qualkit-pseudonyms/1",
            "entries": self.entries,
            "counters": dict(self.counters),
            "always": self.always,
            "never": self.never,
            "occurrences": self.occurrences,
        }

    # --- placeholders -------------------------------------------------------------------------

    def placeholder_for(self, text: str, kind: str, interview: str) -> str:
        """The placeholder of this name: an existing one when it is the same entity."""
        key = _key_of(text, kind)
        label = self._index.get((kind, key))
        if label is None and kind == "PERSONNE":
            label = self._same_person(key, interview)
        elif label is None and " " not in text.strip():
            # A known person's surname taken for a place or a firm ("et d'Aubigny, euh, il a
            # dit" after "Philippe d'Aubigny"): the person, if named in this interview.
            person = self._same_person(_key_of(text, "PERSONNE"), interview)
            if person and interview in self.entries[person]["interviews"]:
                label = person
        if label is None:
            self.counters[kind] += 1
            label = f"{kind}_{self.counters[kind]}"
            self.entries[label] = {"kind": kind, "forms": {}, "interviews": []}
        self.note(label, text, interview)
        return label

    def note(self, label: str, form: str, interview: str) -> None:
        entry = self.entries[label]
        entry["forms"][form] = entry["forms"].get(form, 0) + 1
        if interview not in entry["interviews"]:
            entry["interviews"].append(interview)
        self._index.setdefault((entry["kind"], _key_of(form, entry["kind"])), label)

    def _same_person(self, key: str, interview: str) -> str | None:
        """'Lefèvre' or 'Sandrine' or 'Sandrine Lefevre' joins a known 'Sandrine Lefèvre'."""
        words = [w for w in key.split() if w not in _PARTICLES]
        if not words:
            return None
        candidates = []
        for label, entry in self.entries.items():
            if entry["kind"] != "PERSONNE":
                continue
            known = [
                [w for w in _key_of(f, "PERSONNE").split() if w not in _PARTICLES]
                for f in entry["forms"]
            ]
            tokens = {w for form in known for w in form}
            if len(words) == 1:
                if words[0] in tokens:
                    candidates.append(label)
                continue
            # Same surname, and first names that agree ("S. Lefèvre" agrees with "Sandrine").
            firsts = {form[0] for form in known if len(form) > 1}
            first = words[0].rstrip(".")
            agree = (
                not firsts
                or first in firsts
                or (len(first) <= 2 and any(f.startswith(first) for f in firsts))
            )
            if words[-1] in tokens and agree:
                candidates.append(label)
        if not candidates:
            return None
        here = [c for c in candidates if interview in self.entries[c]["interviews"]]
        pool = here or candidates
        if len(pool) > 1 and len(words) == 1:
            # Several people share this name: the one mentioned most wins only if clearly ahead.
            pool.sort(key=lambda c: -sum(self.entries[c]["forms"].values()))
        return pool[0]

    def sweep_forms(self) -> list[tuple[str, str]]:
        """Forms to look for everywhere (longest first): full forms, and the parts of people's
        names that point to one person only."""
        forms: dict[str, set[str]] = {}
        for label, entry in self.entries.items():
            if entry["kind"] not in ("PERSONNE", "ENTREPRISE", "LIEU"):
                continue
            for form in entry["forms"]:
                clean = _TITLES.sub("", form).strip()
                if len(clean) >= 3:
                    forms.setdefault(clean, set()).add(label)
                if entry["kind"] == "PERSONNE":
                    for word in clean.split():
                        # "mathieu" of a transcriber's "mathieu ferrand" too
                        cased = word[0].isupper() or clean.islower()
                        if len(word) >= 3 and cased and word.lower() not in _PARTICLES:
                            forms.setdefault(word, set()).add(label)
                elif entry["kind"] == "ENTREPRISE" and len(clean.split()) >= 2:
                    head = clean.split()[0]  # "Axiome" of "Axiome Conseil", "Vizia" of "Vizia Lab"
                    if len(head) >= 4 and head[0].isupper() and _distinctive(head):
                        forms.setdefault(head, set()).add(label)
        never = {fold(n) for n in self.never}
        out = [
            (f, next(iter(ls))) for f, ls in forms.items() if len(ls) == 1 and fold(f) not in never
        ]
        return sorted(out, key=lambda p: -len(p[0]))

    def set_occurrences(self, interview: str, pairs: list[tuple[str, str | None]]) -> None:
        """Each placeholder of an interview in text order, with its original (None: it was in
        the transcript already)."""
        self.occurrences[interview] = [list(p) for p in pairs]

    def reserve(self, text: str) -> None:
        """Placeholders already typed in a transcript: new ones get other numbers."""
        for m in re.finditer(r"\[([A-ZÉ]+)_(\d+)\]", text):
            kind, n = m.group(1), int(m.group(2))
            if kind in KINDS.values():
                self.counters[kind] = max(self.counters[kind], n)

    def rows(self) -> list[dict]:
        """One row per placeholder, for a consultant to check."""
        out = []
        for label, entry in sorted(self.entries.items(), key=lambda kv: _order(kv[0])):
            out.append(
                {
                    "placeholder": f"[{label}]",
                    "kind": entry["kind"],
                    "forms": sorted(entry["forms"], key=lambda f: -entry["forms"][f]),
                    "mentions": sum(entry["forms"].values()),
                    "interviews": entry["interviews"],
                }
            )
        return out


def _order(label: str) -> tuple[str, int]:
    kind, _, n = label.rpartition("_")
    return kind, int(n) if n.isdigit() else 0


def _fernet(path: Path, salt: bytes):
    from cryptography.fernet import Fernet
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    passphrase = os.environ.get(PASSPHRASE_ENV)
    if not passphrase:
        raise QualkitError(
            f"the pseudonym map is encrypted: set {PASSPHRASE_ENV} to its passphrase", path=path
        )
    key = Scrypt(salt=salt, length=32, n=2**15, r=8, p=1).derive(passphrase.encode("utf-8"))
    return Fernet(base64.urlsafe_b64encode(key))


def _encrypt(payload: bytes, path: Path) -> bytes:
    salt = os.urandom(16)
    return salt + _fernet(path, salt).encrypt(payload)


def _decrypt(data: bytes, path: Path) -> bytes:
    from cryptography.fernet import InvalidToken

    salt, token = data[:16], data[16:]
    try:
        return _fernet(path, salt).decrypt(token)
    except InvalidToken:
        raise QualkitError(
            f"cannot decrypt the pseudonym map: wrong passphrase in {PASSPHRASE_ENV}", path=path
        ) from None
