"""Finding what names someone in a transcript: people, organisations, places, contact details
and identifiers.

Detection combines, in order of trust: the user's always-list, contact details and identifiers
(`contacts.py`), patterns (titles such as "Mme X", first names and companies from lists,
"chez X", legal forms), spaCy's named entities (fr_core_news_md) and capitalised words that are
no French word, minus the never-list (products, generic acronyms, institutions, countries). No
I/O besides the word lists shipped in `qualkit/data/names/`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from qualkit import contacts

NAMES = Path(__file__).parent / "data" / "names"
_CONTACTS = ("EMAIL", "TELEPHONE", "URL")
ANY_PLACEHOLDER = re.compile(r"\[[A-ZÉ_]+_(?:\d+|[A-Z])\]")

_UP = "A-ZÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸÆŒÁÍÓÚÑÃÕØÅÝŠŽČŘĆĘĄŁŃŚŹŻĞŞİŐŰ"
_LOW = "a-zàâäçéèêëîïôöùûüÿæœñíóúãõáøåýšžčřćęąłńśźżğşıőű"
_NAME = (
    rf"(?:[DO]['’](?=[{_UP}]))?[{_UP}][{_LOW}{_UP}]+(?:['’](?:[{_UP}][{_LOW}]+|h\b))?"
    rf"(?:-[{_UP}][{_LOW}{_UP}]+)*"
)
_PARTICLE = (
    r"(?:de la|de l['’]|du|des|de|d['’]|van der|van den|van|von|der|le|la|ben|bin|el|al|dos|"
    r"da|di|mac|o['’])"
)
_NAME_SEQ = rf"{_NAME}(?:\s+(?:{_PARTICLE}\s*)?{_NAME}){{0,2}}"
_TITLE = (
    r"(?:M\.|MM\.|Mr\.?|Mme\.?|Mmes|Mlle|Madame|Monsieur|Mademoiselle|[Dd]r\.?|[Dd]octeur|"
    r"[Pp]r\.?|[Pp]rofesseur|[Mm]aître|Me)"
)
_SENTENCE_END = re.compile(r"(?:^|[.!?…:;]\s*|\n\s*|[«\"(]\s*|\.\.\.\s*)$")


_ORG_CONTEXT = re.compile(
    rf"\b(?i:chez\s+|(?:société|entreprise|groupe|boîte|cabinet|client|cliente|clients|"
    rf"fournisseur|concurrent|concurrents|filiale|banque|agence|start-up|startup|partenaire|"
    rf"prestataire|employeur|laboratoire|labo|racheté par|rachat de|travaille pour|travaillé pour|"
    rf"travaillais pour),?\s+)(?:de\s+|d['’]|l['’]|la\s+|le\s+|les\s+)?"
    rf"(?P<name>{_NAME_SEQ}(?:\s*(?:&|et)\s*{_NAME_SEQ})?)"
)
_ORG_APPOSED = re.compile(  # "Alliance, la mutuelle", "Aleph Alpha, une boîte de Heidelberg"
    rf"(?<![\w-])(?P<name>(?:(?:Le|La|Les|L['’])\s?)?{_NAME_SEQ}),\s+(?:la|le|l['’]|une|un|notre)\s*"
    rf"(?:(?:autre|grand|gros|principal|premier|nouveau|ancien)\s+)?"
    rf"(?:mutuelle|banque|boîte|société|entreprise|start-up|startup|PME|ETI|cabinet|groupe|"
    rf"coopérative|enseigne|assureur|agence|association|fondation|éditeur|plateforme|filiale|"
    rf"usine|labo|laboratoire|clinique|école|franchise|maison|chaîne|marque|fabricant|"
    rf"holding|transporteur|intégrateur|sous-traitant|distributeur|constructeur|"
    rf"équipementier|spécialiste|bureau d['’]études|ESN|SSII|donneur d['’]ordres|"
    rf"client|fournisseur|concurrent|partenaire)\b"
)
_ORG_CALLED = re.compile(  # "une startup qui s'appelle vizia lab", "la boîte qui s'appelle Kelvio"
    rf"\b(?:boîte|société|entreprise|start-?up|cabinet|agence|association|éditeur|fournisseur|"
    rf"prestataire|PME|logiciel)\s+qui\s+s['’ ]appel(?:le|ait)\s+"
    rf"(?P<name>{_NAME_SEQ}|[a-zà-ÿ][\w-]+(?:\s[a-zà-ÿ][\w-]+)?(?=\s+(?:le|la|les|et|qui|on|il|elle|,|\.)))"
)
_ORG_WE = re.compile(  # "nous, Le Fournil, on a quatorze magasins"
    rf"\b(?i:nous|chez nous),\s+(?P<name>(?:(?:Le|La|Les|L['’])\s?)?{_NAME_SEQ}),\s+(?i:on|nous)\b"
)
_ORG_NAMED_AFTER = re.compile(  # "une agence locale, Intérim 44, à Saint-Nazaire"
    rf"\b(?:un|une|l['’]|le|la|notre|leur)\s*(?:intégrateur|agence|boîte|société|entreprise|"
    rf"cabinet|start-up|startup|PME|ETI|fournisseur|prestataire|éditeur|sous-traitant|banque|"
    rf"mutuelle|assureur|organisme|association|coopérative|enseigne|transporteur)"
    rf"(?:\s+[a-zà-ÿ-]+)?(?:\s+(?:de|d['’]|à)\s*(?:{_NAME}|[a-zà-ÿ-]+))?,\s+"
    rf"(?P<name>(?:L[ae]s?\s|L['’])?{_NAME_SEQ}(?:\s+\d{{1,3}})?)"
    rf"(?=\s*[,.;)…]|\s+(?:à|qui|de|en|pour)\b)"
)
_RELATION = re.compile(  # "c'est Pierre, mon alternant, qui", "Rose, ma collègue"
    rf"(?<![\w-])(?P<name>{_NAME}),\s+(?:mon|ma|notre|son|sa|leur|(?:l['’])?une?\s+de\s+(?:mes|nos|ses))"
    rf"\s+(?:collègues?|alternante?s?|conseill(?:er|ère)s?|agents?|technicien(?:ne)?s?|"
    rf"opérat(?:eur|rice)s?|clientes?|"
    rf"associée?|adjointe?|chef(?:fe)?|stagiaire|responsable|directeur|directrice|manager|"
    rf"assistante?|binôme|boss|patron|patronne|n\+1|n\+2|supérieure?|DRH|RH|mari|femme|"
    rf"compagne|compagnon|fils|fille|frère|sœur|cousine?|voisine?|amie?|copine?|copain)\b"
)
_RELATION_BEFORE = re.compile(  # "mon assistante, Océane, au 02…", "ma collègue Julie"
    r"\b(?:[Mm]on|[Mm]a|[Nn]otre)\s+(?:collègue|alternante?|stagiaire|assistante?|adjointe?|associée?|"
    r"binôme|chef(?:fe)?|manager|n\+1|n\+2|secrétaire|mari|femme|fils|fille|frère|sœur)"
    rf",?\s+(?P<name>{_NAME})(?=\s*[,.;:)]|\s+(?:qui|et|a|avait|est|était|au|à|m['’])\b)"
)
_GREETING = re.compile(  # "Merci Soraya, on peut commencer", "Bonjour Maëlle."
    rf"\b(?i:merci|bonjour|bonsoir|salut|au revoir|enchantée?)\s+(?P<name>{_NAME})(?=\s*[,.!?…])"
)
_NICKNAME_QUOTED = re.compile(  # "« Le Mousse » comme on l'appelle"
    r"«\s?(?P<name>[^»\n]{2,30}?)\s?»\s*,?\s*(?:comme\s+on\s+l['’]appelle|qu['’]on\s+appelle|"
    r"pour\s+les\s+intimes|de\s+son\s+surnom)"
    r"|,\s+(?:dite?|alias)\s+«\s?(?P<said>[^»\n]{2,30}?)\s?»"  # "Santoni, dit « Tonton »"
)
_NICKNAME_AFTER = re.compile(  # "Jean-Baptiste Ferrand, JB pour tout le monde"
    r"(?<![\w-])(?P<name>[A-Z]{2,4}) pour (?:tout le monde|tous|les intimes|les collègues)\b"
)
_LOWER_CUE = re.compile(  # before a lower-case first name: "mon collègue julien", "m appelle"
    r"(?:\b(?:collègue|chef(?:fe)?|directeur|directrice|adjointe?|associée?|stagiaire|alternante?|"
    r"mari|femme|fils|fille|frère|sœur|madame|monsieur)|\bm['’ ]appelle|\bavec|\bc['’]était|"
    r"\bc['’]est)\s+$"
)
_LOWER_CHEZ = re.compile(
    r"\b(?:chez|la société|l['’ ]entreprise|la boîte|le groupe|le cabinet|la startup|"
    r"le syndicat|l['’ ]éditeur|le prestataire)\s+(?P<name>[a-zà-ÿ][\w-]+(?:\s[a-zà-ÿ][\w-]+)?)"
)
_ORG_LOWER_FAMILY = re.compile(r"\b(?P<name>[a-zà-ÿ][\w-]{2,}) (?:et|&) (?:fils|frères|cie)\b")
_NICKNAME = re.compile(  # "qu'on appelle tous JML", "surnommé Jojo"
    rf"(?i:\bqu['’]on\s+appelle|\bque\s+tout\s+le\s+monde\s+appelle|\bsurnommée?|\balias|"
    rf"\b(?:tout\s+le\s+monde|on|ils|elles)\s+m['’]appellen?t?|\btout\s+le\s+monde\s+dit)"
    rf"\s+(?i:tous\s+|toutes\s+|tous\s+ici\s+)?[«\"]?\s?(?P<name>[A-Z]{{2,4}}\b|{_NAME})"
)
_ORG_PREFIX = re.compile(
    rf"\b(?:(?i:université|école|lycée|hôpital|clinique|centre hospitalier)|CHU|CHR|GHT|"
    rf"[{_UP}][a-zéè]+eries?|"
    rf"Groupe|Société|Cabinet|Fonderies?|Transports|Établissements|Ets|Laboratoires?|"
    rf"Mécanique|Usinage|Ateliers?|Forges|Clinique|Banque|Caisse|Crédit|Université|École|"
    rf"Institut|Lycée|IUT|IAE|Agence|Imprimerie|Garage|Menuiserie|Chaudronnerie|Plasturgie|"
    rf"Maison|Moulins?|Mutuelle|Fiduciaire|Coopérative|Brasserie|Fromagerie|Chantiers?|Pôle)"
    rf"(?:\s+(?:{_PARTICLE})\s*|\s+)(?:{_NAME_SEQ}|[A-Z]{{2,}})"
)
_ORG_PUBLIC = re.compile(  # an employer named by its place: "la mairie de Lens", "UMR 5506"
    rf"\b(?:mairie|conseil\s+(?:départemental|régional|général|municipal)|"
    rf"conseil\s+de\s+prud['’]hommes|tribunal\s+(?:judiciaire|administratif|de\s+commerce)|"
    rf"communauté\s+(?:de\s+communes|d['’]agglomération)|métropole|préfecture|rectorat|"
    rf"barreau|CCI|CMA|chambre\s+(?:de\s+commerce|des\s+métiers|d['’]agriculture))"
    rf"\s+(?:de\s+la\s+|de\s+l['’]|du\s+|des\s+|de\s+|d['’])(?:L[ae]s?\s|L['’])?"
    rf"[{_UP}][{_LOW}{_UP}'’]+(?:-[{_LOW}{_UP}'’]+)*"
    rf"(?:\s(?:d['’]|de\s|du\s|sur\s|lès\s)?[{_UP}][{_LOW}{_UP}'’]+(?:-[{_LOW}{_UP}'’]+)*)*"
    rf"|\b(?:UMR|UPR|USR|UAR|EA)\s?\d{{3,5}}\b"
)
_SPELLED = re.compile(r"\b[A-Z](?:-[A-Z]){3,}\b")  # a name spelled out: "V-I-D-A-L"
_LEGAL_FORMS = (
    r"SA|SAS|SASU|SARL|SNC|EURL|SCOP|GmbH|BV|NV|SpA|SRL|Srl|Sàrl|SL|KG|PLC|Plc|AB|Oy|Ltd|Inc\.?|"
    r"LLC|AG"
)
_ORG_SUFFIX = re.compile(
    rf"\b{_NAME_SEQ}\s+(?:&\s+)?(?:{_LEGAL_FORMS}|SE|Group|"
    rf"Groupe|Industries|Industrie|Conseil|Consulting|Services|Technologies|Solutions|Partners|"
    rf"Associés|Ingénierie|Logistique|Systèmes|Systems|Automation|Automatisme|Mécanique|RH|"
    rf"Conseils|Recrutement|Intérim|Formation|(?:et|&) (?:Fils|Cie)|Frères|Robotique|"
    rf"Automatismes|Analytics|Connect|Digital|Data|Labs?|Tech|Software|Énergies?|Energy|"
    rf"Environnement|Plastiques|Composites|Électronique|Emballages|Maintenance|Aéro|"
    rf"Aerospace|Robotics|Vision|Medical|Pharma|Bio|Chimie|Métal|Metal|Outillage)"
    rf"(?:\s+(?:RH|SA|SAS|SARL))?\b"
)
_LEGAL_FORM = re.compile(  # a name that is a firm whatever its words: "Boulanger Frères"
    rf"\s(?:{_LEGAL_FORMS})$|\s(?:et|&)\s(?:Associés|Fils|Cie)\b|\sFrères$"
)
_ORG_AMPERSAND = re.compile(rf"(?<![\w&-]){_NAME_SEQ}\s+&\s+{_NAME_SEQ}")  # "Pixel & Papillon"
_UNION_BRANCH = re.compile(  # "SUD Commerce", "FO Métaux", "CGT Transports", "SUD-Rail"
    rf"\b(?:CGT|CFDT|CFE-CGC|CFTC|UNSA|SUD|FO|FSU|CSN|Solidaires)(?:[\s-]{_NAME}){{1,3}}"
)
_POSSESSED = re.compile(  # "ma vendeuse, Rose, fait", "notre comptable, Martin, a vu"
    rf"\b(?:[Mm]on|[Mm]a|[Nn]otre)\s+[a-zà-ÿ-]{{4,}},\s+(?P<name>{_NAME}),\s"
)
_FIELDS = set(  # "Recherche & Développement", "Hygiène & Sécurité": a department, no firm
    "recherche developpement qualite securite sante hygiene environnement formation competences "
    "innovation methodes achats ventes marketing communication finance finances juridique "
    "conformite risques maintenance production logistique ressources talents culture strategie "
    "transformation organisation performance numerique etudes travaux projets support services "
    "systemes reseaux infrastructures operations exploitation industrialisation data digital "
    "questions reponses".split()
)
_DEPARTMENT_HEADS = set(
    "service cote direction departement equipe cellule pole bureau responsable charge chargee "
    "chef cheffe directeur directrice poste metier filiere fonction activite partie volet".split()
)
_TITLED = re.compile(rf"\b{_TITLE}\s+(?:{_PARTICLE}\s*)?{_NAME}(?:\s+{_NAME})?")
_TITLED_LOWER = re.compile(
    r"\b(?P<title>madame|monsieur|mademoiselle|docteur|professeur)\s+"
    r"(?P<name>(?:(?:le|la|du|de|van|von|ben)\s)?[a-zà-ÿ][\w'’-]+(?:\s[a-zà-ÿ][\w'’-]+)?)"
)
_LOWER_PARTICLES = {"le", "la", "du", "de", "van", "von", "ben"}
_FUNCTIONS = set(
    "directeur directrice président présidente responsable maire ministre professeur "
    "professeure docteur juge préfet préfète chef cheffe adjoint adjointe".split()
)
_INITIAL_NAME = re.compile(rf"\b[{_UP}]\.(?:-[{_UP}]\.)?\s?(?:{_PARTICLE}\s*)?{_NAME_SEQ}")
_WORD = re.compile(rf"[{_UP}{_LOW}][{_UP}{_LOW}'’-]*")
_DEMONYM = re.compile(r"(?:ais|aise|ois|oise|ain|aine|ien|ienne|and|ande|ol|ole|an|ane)s?$")
_CALENDAR = set(
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre "
    "lundi mardi mercredi jeudi vendredi samedi dimanche".split()
)
_NER_KINDS = {"PER": "PERSONNE", "ORG": "ENTREPRISE", "LOC": "LIEU"}
_DETERMINER = re.compile(r"^(?:l['’]|le |la |les |du |de la |des |de |d['’]|au |aux |à )", re.I)


@dataclass(frozen=True)
class Found:
    """A span of text to replace: character offsets, the kind of placeholder, and why."""

    start: int
    end: int
    kind: str
    text: str
    source: str


def fold(text: str) -> str:
    """Case-, accent- and spacing-insensitive key of a name."""
    text = unicodedata.normalize("NFKD", text.replace("’", "'"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.casefold().split())


@cache
def word_list(name: str) -> frozenset[str]:
    text = (NAMES / name).read_text(encoding="utf-8")
    lines = [line.strip() for line in text.splitlines() if not line.startswith("#")]
    if name == "never.txt":
        return frozenset(fold(line) for line in lines if line)
    if name == "companies.txt":
        return frozenset(line for line in lines if line)
    return frozenset(w for line in lines for w in line.split())


@cache
def _companies() -> re.Pattern:
    """Listed companies; in any case ("chez stellantis") unless the name is also a word."""
    names = sorted(word_list("companies.txt"), key=len, reverse=True)
    plain = [re.escape(n) for n in names if " " in n or not common_word(n)]
    worded = [re.escape(n) for n in names if " " not in n and common_word(n)]
    return re.compile(
        r"(?<![\w-])(?:(?i:" + "|".join(plain) + r")|" + "|".join(worded) + r")(?![\w-])"
    )


def first_names() -> frozenset[str]:
    return word_list("first_names.txt")


@cache
def _lower_first_names() -> frozenset[str]:
    ambiguous = {a.lower() for a in word_list("ambiguous.txt")}
    return frozenset(n.lower() for n in first_names() if len(n) >= 4 and n.lower() not in ambiguous)


def _known_word(token: str) -> bool:
    return token in _lexicon() or _lemma(token) in _lexicon() or _lemma(token) != token


def _title(token: str) -> str:
    """ "jean-marc" -> "Jean-Marc" """
    return "-".join(part.capitalize() for part in token.split("-"))


def known_word(word: str) -> bool:
    """An ordinary French word in any case ("Salariée"), and no first name."""
    return not is_first_name(word) and _known_word(word.lower())


def _unknown_word_after(text: str, end: int) -> int:
    """Past the lower-case word after `end` if it is no French word (a surname), else `end`."""
    rest = re.match(r"\s+([a-zà-ÿ][a-zà-ÿ-]{2,})\b", text[end:])
    if rest and not (rest.group(1) in _stop_words() or _known_word(rest.group(1))):
        return end + rest.end()
    return end


def _lower_first_name(token: str) -> bool:
    if "-" in token:  # "marc-antoine"
        return all(part in _lower_first_names() for part in token.split("-"))
    return token in _lower_first_names() and not _known_word(token)


def is_first_name(token: str) -> bool:
    names = first_names()
    return token in names or all(part in names for part in token.split("-") if part)


@cache
def _stop_words() -> frozenset[str]:
    from spacy.lang.fr.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS)


def _lookups():
    """The French lemmatiser's tables, from the entity pipeline (one model load for both)."""
    from qualkit.nlp import entity_pipeline

    return entity_pipeline("fr").get_pipe("lemmatizer").lookups


@cache
def _lexicon() -> frozenset[str]:
    """Ordinary French words (spaCy's lemmatiser index): a capitalised one may be no name."""
    index = _lookups().get_table("lemma_index")
    words: set[str] = set()
    for pos in ("noun", "adj", "verb", "adv"):
        words.update(index.get(pos) or ())
    return frozenset(words | _stop_words() | _CALENDAR)


def sentence_start(text: str, start: int) -> bool:
    return bool(_SENTENCE_END.search(text[max(0, start - 6) : start]))


class Detector:
    """Finds what to replace in a text; `nlp` is a spaCy pipeline with an entity recogniser."""

    def __init__(
        self,
        nlp=None,
        always: Iterable[tuple[str, str]] = (),
        never: Iterable[str] = (),
        use_ner: bool = True,
    ) -> None:
        self.nlp = nlp
        self.use_ner = use_ner and nlp is not None and "ner" in nlp.pipe_names
        self.never = word_list("never.txt") | {fold(w) for w in never}
        self.always = sorted(((t, k) for t, k in always if t.strip()), key=lambda a: -len(a[0]))
        self._always_re = [
            (re.compile(rf"(?<![\w-]){loose_pattern(text)}(?![\w-])", re.IGNORECASE), kind)
            for text, kind in self.always
        ]

    def find(self, text: str, doc=None, asked: int = 0) -> list[Found]:
        """Non-overlapping spans to replace, left to right; existing placeholders are kept.
        `asked`: see `contacts.find`."""
        found: list[Found] = []
        for pattern, kind in self._always_re:
            found += [
                Found(m.start(), m.end(), kind, m.group(), "list") for m in pattern.finditer(text)
            ]
        found += [
            Found(s, e, kind, text[s:e], "pattern") for s, e, kind in contacts.find(text, asked)
        ]
        found += self._name_patterns(text)
        if self.use_ner:
            found += self._entities(text, doc if doc is not None else self.nlp(text))
        found += self._unknown_proper_nouns(text)
        return self._acronyms(text, self._resolve(text, [_without_preposition(f) for f in found]))

    def _acronyms(self, text: str, found: list[Found]) -> list[Found]:
        """An organisation's acronym given just after it: "Becker & Morand Ingénierie, BMI"."""
        out = list(found)
        for f in found:
            if f.kind != "ENTREPRISE":
                continue
            m = _APPOSED_ACRONYM.match(text, f.end)
            initials = "".join(w[0] for w in re.split(r"[\s&'’-]+", f.text) if w[:1].isupper())
            if m and len(initials) >= 2 and m.group(1) == initials.upper():
                out = _add(out, Found(*m.span(1), "ENTREPRISE", m.group(1), "acronym"))
            # The acronym first, its words after: "TMB, Terminaux Manutention du Bassin".
            m = _APPOSED_WORDS.match(text, f.end)
            if m and re.fullmatch(r"[A-Z]{2,6}", f.text):
                words = [w for w in re.split(r"[\s'’-]+", m.group(1)) if w[:1].isupper()]
                if "".join(w[0] for w in words) == f.text:
                    out = _add(out, Found(*m.span(1), "ENTREPRISE", m.group(1), "acronym"))
            # The acronym just before: "à la SLN, la Société Le Nickel".
            before = _ACRONYM_BEFORE.search(text[max(0, f.start - 16) : f.start])
            if before and before.group(1) == initials.upper():
                s = f.start - len(before.group()) + before.start(1) - before.start()
                out = _add(
                    out,
                    Found(s, s + len(before.group(1)), "ENTREPRISE", before.group(1), "acronym"),
                )
            # The acronym that starts a longer name, alone elsewhere: "CMA CGM" and "CMA".
            head = f.text.split()[0]
            if " " in f.text and re.fullmatch(r"[A-Z]{2,6}", head) and not self.is_never(head):
                for a in re.finditer(rf"(?<![\w-]){head}(?![\w-])", text):
                    out = _add(out, Found(a.start(), a.end(), "ENTREPRISE", head, "acronym"))
        return sorted(out, key=lambda f: f.start)

    def _unknown_proper_nouns(self, text: str) -> list[Found]:
        """Capitalised words inside a sentence that are no French word, first name or listed
        term ("Orano, Framatome, EDF"): most likely a name, so replaced (as an organisation)
        unless another rule knows better. Ranked last."""
        out = []
        for m in _CAPITALISED_RUN.finditer(text):
            span = m.group()
            if sentence_start(text, m.start()) or self.is_never(span):
                continue
            if re.fullmatch(_TITLE, span) or re.fullmatch(_TITLE, span + "."):
                continue  # "Dr." before a name: the title stays
            words = [w for w in re.split(r"\s+|['’]", span) if w[:1].isupper()]
            if not words or is_first_name(words[0]) or any(map(str.isdigit, span)):
                continue  # people are the other rules' job; codes too
            unknown = [w for w in words if not common_word(w) and not self.is_never(w)]
            if not unknown:
                continue  # "Directeur Industriel", "Chantiers" alone
            if len(words) == 1 and span.isupper() and len(span) <= 5:
                cue = re.search(
                    r"(?:\b[ld]['’]|\bchez\s|\bà\s)$", text[max(0, m.start() - 6) : m.start()]
                )
                if not (cue and len(span) >= 4):
                    continue  # acronyms ("SIRH", "GPEC"), unless named as a place ("l'ENIB")
            out.append(Found(m.start(), m.end(), "ENTREPRISE", span, "unknown"))
        return out

    def _name_patterns(self, text: str) -> list[Found]:
        out: list[Found] = []
        for m in _TITLED.finditer(text):
            # The title stays in the text ("Mme [PERSONNE_1]"): it reads better and names nobody.
            s = m.start() + len(re.match(rf"{_TITLE}\s+", m.group()).group())
            out.append(Found(s, m.end(), "PERSONNE", text[s : m.end()], "title"))
        for m in _companies().finditer(text):
            name = m.group()
            if " " not in name and common_word(name) and sentence_start(text, m.start()):
                continue  # "Total, on a..." vs "chez Total"
            out.append(Found(m.start(), m.end(), "ENTREPRISE", name, "gazetteer"))
        for m in _TITLED_LOWER.finditer(text):
            words = m.group("name").split()
            lead = words[:1] if len(words) > 1 and words[0] in _LOWER_PARTICLES else []
            core = words[len(lead) :]
            if core[0] in _stop_words() or core[0] in _FUNCTIONS or lead and known_word(core[0]):
                continue  # "madame la directrice", "monsieur le maire", "monsieur le curé"
            if m.group("title") in ("docteur", "professeur") and common_word(core[0]):
                continue  # "le docteur en chimie", "professeur associé"
            if len(core) == 2 and (core[1] in _stop_words() or common_word(core[1])):
                core = core[:1]  # "madame moreau elle voulait"
            name = " ".join(lead + core)
            out.append(
                Found(m.start("name"), m.start("name") + len(name), "PERSONNE", name, "title")
            )
        for m in _INITIAL_NAME.finditer(text):
            if not common_word(m.group().split()[-1]):
                out.append(Found(m.start(), m.end(), "PERSONNE", m.group(), "initial"))
        for pattern, kind in (
            (_ORG_CONTEXT, "ENTREPRISE"),
            (_ORG_APPOSED, "ENTREPRISE"),
            (_ORG_WE, "ENTREPRISE"),
            (_ORG_CALLED, "ENTREPRISE"),
            (_ORG_NAMED_AFTER, "ENTREPRISE"),
            (_NICKNAME, "PERSONNE"),
            (_NICKNAME_AFTER, "PERSONNE"),
            (_RELATION, "PERSONNE"),
            (_RELATION_BEFORE, "PERSONNE"),
            (_GREETING, "PERSONNE"),
            (_NICKNAME_QUOTED, "PERSONNE"),
        ):
            for m in pattern.finditer(text):
                s, e = m.span("said" if m.groupdict().get("said") else "name")
                words = _DETERMINER.sub("", text[s:e]).split()
                if (
                    pattern is not _ORG_CONTEXT
                    and all(common_word(w) for w in words)
                    and pattern is not _NICKNAME_QUOTED
                    and (kind == "PERSONNE" or sentence_start(text, s))
                ):
                    continue  # "Bon, la boîte a décidé", "qu'on appelle Maintenance"
                if kind == "ENTREPRISE" and pattern is not _ORG_CONTEXT and is_first_name(words[0]):
                    continue  # "Martin, le client": a person, the name rules' job
                out.append(Found(s, e, kind, text[s:e], "context"))
        if not any(c.isupper() for c in text):  # automatic captions: no capital anywhere
            for m in _LOWER_CHEZ.finditer(text):
                words = m.group("name").split()
                if words[-1] in _stop_words():
                    words = words[:-1]
                if words and any(not (w in _stop_words() or _known_word(w)) for w in words):
                    name = " ".join(words)
                    s = m.start("name")
                    out.append(Found(s, s + len(name), "ENTREPRISE", name, "context"))
        for m in _ORG_PUBLIC.finditer(text):
            out.append(Found(m.start(), m.end(), "ENTREPRISE", m.group(), "context"))
        for m in _SPELLED.finditer(text):
            out.append(Found(m.start(), m.end(), "PERSONNE", m.group(), "context"))
        for m in _ORG_LOWER_FAMILY.finditer(text):
            if not _known_word(m.group("name")):  # "chambriard et fils"
                out.append(Found(m.start(), m.end(), "ENTREPRISE", m.group(), "legal"))
        for m in _UNION_BRANCH.finditer(text):
            out.append(Found(m.start(), m.end(), "ENTREPRISE", m.group(), "legal"))
        for m in _POSSESSED.finditer(text):
            name = m.group("name")
            if is_first_name(name) or not common_word(name):  # not "mon équipe, Maintenance,"
                kind = "PERSONNE" if is_first_name(name) else "ENTREPRISE"
                out.append(Found(*m.span("name"), kind, name, "context"))
        for m in _ORG_AMPERSAND.finditer(text):
            s = m.start()
            lead = re.compile(r"(\S+)\s+(?!&)")  # a word before the name's last one
            while (w := lead.match(text, s, m.end())) and w.group(1).lower() in _stop_words():
                s = w.end()  # "Et Procter & Gamble": the name starts after "Et"
            if not any(fold(w) in _FIELDS for w in re.findall(r"[\w'’-]+", m.group())):
                out.append(Found(s, m.end(), "ENTREPRISE", text[s : m.end()], "legal"))
        for pattern in (_ORG_PREFIX, _ORG_SUFFIX):
            for m in pattern.finditer(text):
                words = m.group().split()
                if (
                    pattern is _ORG_SUFFIX
                    and not _LEGAL_FORM.search(m.group())
                    and all(common_word(w) for w in words[:-1])
                    and (fold(words[0]) in _DEPARTMENT_HEADS or sentence_start(text, m.start()))
                ):
                    continue  # "Côté RH", "Service Formation"; not "de Rubis Analytics"
                out.append(Found(m.start(), m.end(), "ENTREPRISE", m.group(), "legal"))
        ambiguous = word_list("ambiguous.txt")
        ambiguous_lower = {a.lower() for a in ambiguous}
        for m in _WORD.finditer(text):
            token = m.group()
            if token.islower() and _lower_first_name(token):
                # A transcriber's lower case ("avec thomas on a..."): only unambiguous names,
                # with a surname that is one too ("damien mathieu").
                end = m.end()
                rest = re.match(
                    r"(?:\s+(?:le|la|de|du|da|dos|di|van|ben|el))?\s+([a-zà-ÿ][\w-]+)", text[end:]
                )
                if rest and (
                    rest.group(1) in _lower_first_names()
                    or not (rest.group(1) in _stop_words() or _known_word(rest.group(1)))
                ):
                    end += rest.end()
                out.append(Found(m.start(), end, "PERSONNE", text[m.start() : end], "first_name"))
                continue
            if token.islower() and is_first_name(_title(token)):
                # Any first name, with a cue before it ("mon collègue julien"; "c'est" only for
                # names that are no word) or a surname that is no word after it ("pierre garnier").
                cue = _LOWER_CUE.search(text[max(0, m.start() - 20) : m.start()])
                cued = cue and not (
                    "c" in cue.group()[:2] and (_known_word(token) or token in ambiguous_lower)
                )
                end = _unknown_word_after(text, m.end())
                if cued or end > m.end():
                    out.append(
                        Found(m.start(), end, "PERSONNE", text[m.start() : end], "first_name")
                    )
                continue
            if not is_first_name(token):
                continue
            if token in ambiguous and sentence_start(text, m.start()):
                continue
            end = m.end()
            # Surnames after the first name: capitalised words, with particles.
            rest = re.match(rf"(?:\s+(?:{_PARTICLE}\s*)?{_NAME}){{1,2}}", text[end:])
            if rest and (not common_word(rest.group().split()[-1]) or is_first_name(rest.group())):
                end += rest.end()
            elif token in ambiguous:
                continue  # "à Noël", "Rose" alone: left to the entity model
            out.append(Found(m.start(), end, "PERSONNE", text[m.start() : end], "first_name"))
        return out

    def _entities(self, text: str, doc) -> list[Found]:
        out: list[Found] = []
        for ent in doc.ents:
            kind = _NER_KINDS.get(ent.label_)
            if kind is None:
                continue
            start, end = ent.start_char, ent.end_char
            span = text[start:end]
            lead = _DETERMINER.match(span)
            # "La Poste", "Le Goff", "De Kerguélen": a capitalised article belongs to the name.
            if lead and not lead.group()[0].isupper():
                start, span = start + lead.end(), span[lead.end() :]
            title = re.match(rf"{_TITLE}\s+", span)
            if title and kind == "PERSONNE":  # "Mme [PERSONNE_1]", as the title rule does
                start, span = start + title.end(), span[title.end() :]
            if span.startswith("ex-"):  # "l'ex-Faurecia"
                start, span = start + 3, span[3:]
            head = re.match(r"(.+?) (?:de|d['’]|du) ", span)
            if head and fold(head.group(1)) in self.never:
                continue  # "Copilot de Microsoft": a product, named with its maker
            stripped = span.rstrip(" .,;:!?…")
            end = start + len(stripped)
            span = stripped
            if not span or "\n" in span or ":" in span or not span[0].isupper():
                continue
            words = span.split()
            if len(span) < 2 or (len(words) == 1 and _DEMONYM.search(span) and common_word(span)):
                continue  # a lone letter ("fournisseur A"), a nationality ("les Irlandais")
            if (
                len(words) == 1
                and sentence_start(text, start)
                and (common_word(span) or known_word(span))
            ):
                continue
            ordinary = len(words) > 1 and all(common_word(w) for w in words)
            if ordinary and (sentence_start(text, start) or kind == "PERSONNE"):
                continue  # "Directeur Industriel" is a job, not a person
            if re.match(r"[A-Z]\.?\s*[-—–]\s", span):
                continue  # "Q - Vous", "I. — Oui": a label letter and a word
            if (
                kind == "PERSONNE"
                and re.fullmatch(r"[A-Z]\.\s?\S+", span)
                and common_word(words[-1])
            ):
                continue  # "R. Oui": an abbreviated label and a word
            if kind == "PERSONNE" and span.isupper() and len(span) <= 3:
                continue  # initials ("JF"): a transcriber's convention, kept
            out.append(Found(start, end, kind, span, "ner"))
        return out

    def _resolve(self, text: str, found: list[Found]) -> list[Found]:
        protected = [m.span() for m in ANY_PLACEHOLDER.finditer(text)]
        rank = {
            "list": 0,
            "pattern": 1,
            "title": 2,
            "legal": 2,
            "context": 2,
            "initial": 2,
            "unknown": 4,
        }
        ordered = sorted(found, key=lambda f: (rank.get(f.source, 3), -(f.end - f.start), f.start))
        taken: list[Found] = []
        for f in ordered:
            if f.source != "list" and f.kind in ("TELEPHONE", "EMAIL"):
                if fold(f.text) in self.never:  # listed whole; "… Non pardon, 67" is no reason
                    protected.append((f.start, f.end))  # nor its domain alone
                    continue
            elif f.source != "list" and self.is_never(f.text):
                continue
            if any(s < f.end and f.start < e for s, e in protected):
                continue
            clash = [t for t in taken if t.start < f.end and f.start < t.end]
            if not clash:
                taken.append(f)
            elif f.kind in _CONTACTS and all(
                t.source == "list" and f.start <= t.start and t.end <= f.end for t in clash
            ):  # "marie.dupont@acme.fr" with "Dupont" listed: the address hides it too
                taken = [t for t in taken if t not in clash] + [f]
            elif f.kind in ("TELEPHONE", "EMAIL") and all(t.kind == f.kind for t in clash):
                # "05 61 00 ... euh ... 05 61 00 74 32": a restart and the number, one span
                s = min([f.start] + [t.start for t in clash])
                e = max([f.end] + [t.end for t in clash])
                taken = [t for t in taken if t not in clash]
                taken.append(Found(s, e, f.kind, text[s:e], f.source))
            elif f.source in ("ner", "unknown") and all(
                (t.source in _NAME_RULES or f.source == "unknown" and t.source == "ner")
                and f.start <= t.start
                and t.end <= f.end
                and (t.end - t.start) < (f.end - f.start)
                for t in clash
            ):
                # A longer name than a rule or spaCy saw ("Anne-Sophie Dubois-Lambert",
                # "Grenoble École de Management", "Safran Helicopter Engines"); a name rule
                # knows better what it is.
                kind = clash[0].kind if clash[0].source in _NAME_RULES else f.kind
                taken = [t for t in taken if t not in clash] + [replace(f, kind=kind)]
        return sorted(taken, key=lambda f: f.start)

    def is_never(self, span: str) -> bool:
        """Listed as never replaced, or made only of listed names ("Copilot de Microsoft")."""
        if fold(span) in self.never or fold(_DETERMINER.sub("", span)) in self.never:
            return True
        capitalised = [w for w in re.split(r"[\s']+", span) if w[:1].isupper()]
        return bool(capitalised) and all(fold(w) in self.never for w in capitalised)


def common_word(word: str) -> bool:
    """An ordinary French word (in any case, any inflection), not a known first name."""
    if is_first_name(word):
        return False
    lower = word.lower()
    if "-" in lower:  # "Allez-y", "Dites-moi"
        head, *tail = lower.split("-")
        return common_word(head) and all(t in _CLITICS or common_word(t) for t in tail)
    return lower in _lexicon() or _lemma(lower) in _lexicon()


_CLITICS = {"y", "en", "moi", "toi", "lui", "nous", "vous", "le", "la", "les", "leur", "t", "il"}


@cache
def _lemma_table():
    return _lookups().get_table("lemma_lookup")


def _lemma(word: str) -> str:
    lemma = _lemma_table().get(word)
    return lemma[0] if isinstance(lemma, list) and lemma else (lemma or word)


def loose_pattern(text: str) -> str:
    """A regex for a listed name that tolerates spacing and apostrophe variants."""
    parts = [re.escape(p) for p in text.replace("’", "'").split()]
    return r"\s+".join(parts).replace("'", "['’]")


LEADING_PARTICLE = re.compile(r"\b(?:[Dd]u|[Dd]e|[Dd]es|[Ll]e|[Ll]a|[Vv]an|[Vv]on)\s+$|\b[Dd]['’]$")
_CAPITALISED_RUN = re.compile(
    rf"(?<![\w-])[{_UP}][\w&'’-]*(?:\s(?:(?:de|du|des|de la|d'|d’|l'|l’)\s?)?[{_UP}][\w&'’-]*)*"
    r"(?![\w-])"
)
_ACRONYM_CUE = re.compile(r"(?:\b[ld]['’]|\bchez\s|\bà\s)$")
_APPOSED_ACRONYM = re.compile(r"\s*[,(]\s*([A-Z]{2,6})\b")
_ACRONYM_BEFORE = re.compile(r"\b([A-Z]{2,6})\s*[,(]\s*(?:la |le |les |l['’])?$")
_APPOSED_WORDS = re.compile(rf"\s*[,(]\s*({_NAME}(?:\s+(?:{_PARTICLE}\s*)?{_NAME}){{1,5}})")


_LEADING_PREPOSITION = re.compile(
    r"(?:Chez|Pour|Avec|Dans|Sur|Depuis|Après|Avant|Selon|Via|Vers|Contre|Entre|Sans|Sous|Par|"
    r"Un|Une|En)\s+"
)


def _without_preposition(f: Found) -> Found:
    """A sentence's capitalised first word is no part of the name: "Chez Segula Technologies"."""
    m = _LEADING_PREPOSITION.match(f.text)
    if not m or f.source == "list" or f.kind not in _NER_KINDS.values() or m.end() == len(f.text):
        return f
    return Found(f.start + m.end(), f.end, f.kind, f.text[m.end() :], f.source)


def _add(found: list[Found], new: Found) -> list[Found]:
    """`found` plus `new` unless it overlaps one of them."""
    if any(f.start < new.end and new.start < f.end for f in found):
        return found
    return found + [new]


_NAME_RULES = {"first_name", "legal", "context", "gazetteer", "title", "initial"}
ROLE_ABBREV = {  # roles written short as labels: "ENQ :", "DIR :", "DEV :"
    *"ENQ INT REP RES RESP ITW MOD ANIM QR DIR DEV DRH DSI PDG RSSI CEO CTO DAF TECH ING".split()
}


class _NoEntities:
    ents = ()


NO_ENTITIES = _NoEntities()
