"""Contact details and identifiers in a transcript: e-mail addresses (written or dictated),
phone numbers (written, read aloud in French or English, with hesitations and corrections),
URLs and identifiers (IBAN, plates, file and badge numbers...).

`find` returns the spans with their kind; the name detector ranks them with its other finds.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence

_SPOKEN = (
    r"zéro|un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|treize|quatorze|"
    r"quinze|seize|vingt|trente|quarante|cinquante|soixante|septante|octante|huitante|nonante|"
    r"cents?|dix-sept|dix-huit|dix-neuf|"
    r"(?:vingt|trente|quarante|cinquante|soixante|septante|octante|huitante|nonante|"
    r"quatre-vingts?)"
    r"(?:-(?:et-)?(?:un|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|treize|"
    r"quatorze|quinze|seize|dix-sept|dix-huit|dix-neuf))?"
)

_TLD = (  # top-level domains an address may be dictated with
    r"fr|com|net|org|eu|io|de|be|ch|co|info|biz|ca|lu|ma|tn|sn|ai|"
    r"coop|asso|gouv|corsica|bzh|paris|alsace|gp|mq|re|nc|pf|gf|yt|tech|pro|it|es|pt|nl|"
    r"pl|uk|us|cn|jp|ci|cm|dz|mg|ht|at|se|dk|no|fi|ie|cz|ro|gr|tr|in|br|mx|ar|app|dev|"
    r"online|cloud|digital|media|studio|consulting|group|law|avocat|bank"
)
_QUANTITY = r"euros?|€|pièces?|heures?|personnes|%"  # after a number: no phone

PATTERNS: list[tuple[str, re.Pattern]] = [
    (
        "EMAIL",
        re.compile(
            r"(?<![\w.+-])(?:[\w+-]+\s?[\[(](?:dot|point)[\])]\s?)*[\w.+-]+"
            r"(?:,?\s*(?:euh|heu|hum)\s*,?\s*|\s?)"  # "support, euh, @karukera.gp"
            r"(?:@|[\[(](?:at|arobase|arrobase)[\])]|\s(?:at|arobase|arrobase)\s(?=[\w-]+\.\w))"
            r"\s?[\w-]+"
            r"(?:(?:\.|\s?[\[(](?:dot|point)[\])]\s?)[\w-]+)+",
            re.UNICODE,
        ),
    ),
    (
        "EMAIL",  # its first part alone, the domain given later: "Mon adresse, c'est h.castagnet"
        re.compile(
            r"(?i:\b(?:adresse|mail|e-mail|courriel|mél)\b[^.\n?!]{0,20}?\bc['’]est\s+)"
            rf"(?P<value>(?![\w.-]*\.(?:{_TLD})(?![\w.@-]))[a-z][\w-]*(?:\.[\w-]+)+)(?![\w.@-])"
        ),
    ),
    (
        "URL",  # dictated: "www point optronix-tregor point fr"
        re.compile(r"(?i:\bwww\s+point\s+[\w-]+(?:\s+point\s+[\w-]+)+)"),
    ),
    (
        "URL",
        re.compile(
            r"\b(?:https?://|www\.)[^\s<>\"]+[^\s<>\".,;:!?)\]]"
            r"|\b[\w-]+(?:\.[\w-]+)*\.(?:fr|com|org|net|eu|io|co\.uk|de|be|ch|info|biz|ly|gl|me|"
            r"app|dev|ai|tv|us|uk|es|it|nl|lu|ma|tn|sn|ca|pl|pt|ro)"
            r"(?:/[^\s<>\"]*[^\s<>\".,;:!?)\]])?(?![\w@])"
            r"|\b[\w-]+\.[a-z]{2,12}/[^\s<>\"]*[^\s<>\".,;:!?)\]]",  # any domain with a path
            re.IGNORECASE,
        ),
    ),
    (
        "TELEPHONE",
        re.compile(
            r"(?<![\w+])(?:(?:\+|00\s?(?=[1-9]))\d{1,3}[\s.-]?(?:\(0\)[\s.-]?)?\(?\d{1,4}\)?"
            r"(?:[\s.-]?\d{1,5}){2,5}"
            r"|0\d(?:[\s.-]?\d{2}){4}|0\d(?:/\d{2}){4}|0\s?[89]\d{2}(?:[\s.-]?\d{2}){3}"
            r"|0\d{2,3}(?:[\s.]\d{2}){3}|0\d{3}\s\d{3}\s\d{3}|0\d\s\d{4}\s\d{4}"
            r"|(?=0(?:[\s.-]?\d){9}(?!\d))0[1-9]\d{0,2}(?:[\s.-]\d{2,4}){1,4}"  # ten, any groups
            r")(?!\d)"
        ),
    ),
    (
        "TELEPHONE",  # a number cut short: "c'est le 01-45-... non, c'est un numéro de Marseille"
        re.compile(r"(?<![\w+])0[1-9](?:[\s.-]\d{2}){1,3}[\s.-]*(?:\.\.\.|…)"),
    ),
    (
        "TELEPHONE",  # North American: "418 656-2131", "(514) 872-3391", "1 800 555-0199"
        re.compile(r"(?<![\d+])(?:\+?1[\s.-])?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}-\d{4}(?!\d)"),
    ),
    (
        "TELEPHONE",  # an extension: "poste 4521", "ligne directe 4521"
        re.compile(
            r"(?i:\b(?:poste|extension|ext\.?|ligne directe)\s*(?:n°\s*)?"
            r"(?:[.…,]+\s*(?:euh\s*[.…,]*\s*)?)?(?:c['’]est\s+le\s+|le\s+)?)\d{3,5}\b"
            rf"(?!\s*(?:{_QUANTITY}))"
        ),
    ),
    (
        "TELEPHONE",  # an internal number: "le 22 15 en interne", "au 4128, en interne"
        re.compile(
            r"(?<![\d\s.-])\s?\b(?!(?:19|20)\d\d\b)(?P<value>\d{2}[\s.]\d{2}|\d{3,5}),?"
            r"\s+en interne\b"
        ),
    ),
    (
        "TELEPHONE",  # dialled or internal: "on compose le 4400", "en interne, c'est le 2215"
        re.compile(
            r"(?i:\b(?:compos(?:e|es|ez|er|ait|ent)|faites|fais|tapez|appuyez\s+sur)\s+le\s+"
            r"|\ben interne,?\s+(?:(?:c['’]est|c['’]était|vous\s+faites|on\s+fait|composez|"
            r"tapez|appelez)\s+)?le\s+)"
            r"(?P<value>\d[\s.]\d{2}[\s.]\d{2}|\d{2}[\s.]\d{2}|\d{3,5})\b(?![.,]\d)"
            rf"(?!\s*(?:{_QUANTITY}|mètres?|m\b|h\b|km|kg|fois))"
        ),
    ),
    (
        "TELEPHONE",  # spoken: "zéro six, quarante-sept, dix-huit, vingt-deux, soixante"
        re.compile(
            rf"(?i:\b(?:zéro|plus)[\s,-]+(?:{_SPOKEN})(?:[\s,.-]+(?:et[\s-]+)?(?:{_SPOKEN})){{3,}})"
        ),
    ),
    (
        "TELEPHONE",  # read in English: "plus four four, seven seven zero zero, nine double eight"
        re.compile(
            r"(?i:\b(?:plus|zero|oh)(?:[\s,]+(?:(?:double|triple)[\s-]?)?"
            r"(?:zero|oh|one|two|three|four|five|six|seven|eight|nine|"
            r"(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:-(?:one|two|three|four|"
            r"five|six|seven|eight|nine))?|ten|eleven|twelve|\w+teen)\b){5,})"
        ),
    ),
    (
        "IDENTIFIANT",  # IBAN, French plates, @handles, NIR
        re.compile(
            r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){3,7}(?:\s?[A-Z0-9]{1,4})?\b"
            r"|\b[A-Z]{2}-\d{3}-[A-Z]{2}\b|\b\d{2,4} [A-Z]{2,3} (?:\d{2}|2[AB])\b"
            r"|(?<![\w@.])@[A-Za-z][\w.-]{2,}\w"
            r"|\b\d{4}-\d{4}-\d{4}-\d{3}[\dX]\b"  # ORCID
            r"|\b(?!(?:ISO|EN|NF|IEC|RFC|CVE|GPT|COVID)\b)[A-Z]{1,5}(?:-[A-Z]{1,5})*-?"
            r"(?=(?:-?[A-Z]?\d){4})"
            r"\d[\dA-Z]*(?:-[A-Z0-9]+)*\b"  # file, badge and ticket codes: B-44817, QUAL-1184
            r"|\b[12]\s?\d{2}\s?(?:0[1-9]|1[0-2])\s?(?:\d{2}|2[AB])\s?\d{3}\s?\d{3}(?:\s?\d{2})?\b"
            r"|\b\d{3} \d{3} \d{3} \d{5}\b"  # SIRET as printed
            r"|\b(?=[A-Z0-9]*\d{4})(?=[A-Z0-9]*[A-Z])[A-Z0-9]{8,}\b"  # mixed codes: 19AB45287
            r"|\b[A-Z]{1,3}-(?=(?:-?\d){6})\d+(?:-\d+)+\b"  # badge numbers: V-2024-10417
            r"|\b\d{2,}-\d{2,}-\d{3,}\b"  # file numbers: 59-2023-004571 (not ISO dates)
            r"|\bFR\s?\d{2}\s?\d{3}\s?\d{3}\s?\d{3}\b"  # VAT: FR 42 813 554 902
            r"|\b[A-Z]{3}U\s?\d{6}\s?\d\b"  # containers: CMAU 123456 7
            r"|(?<![\d.,])\b\d{7,}\b(?![.,]\d)(?!\s*(?:€|euros?|dollars?|%))"  # a bare number
        ),
    ),
    (
        "IDENTIFIANT",  # "le lot 24B0917", "le marché n° 2024-DNUM-037"; not "le marché 2023"
        re.compile(
            r"(?i:\b(?:lot|marché)\s+(?:n°\s*)?)"
            r"(?P<value>(?=[A-Z0-9./-]*[A-Z-])[A-Z0-9][A-Z0-9./-]{3,22}\d|\d{5,})\b"
        ),
    ),
    (
        "IDENTIFIANT",  # a profile's slug: "sur LinkedIn, c'est camille-rousseau-aero"
        re.compile(
            r"(?i:\b(?:linkedin|profil|identifiant|pseudo|compte)\b)[^.\n]{0,25}?"
            r"(?<![\w/-])(?P<value>[a-z0-9]+(?:-[a-z0-9]+){2,})\b"
        ),
    ),
    (
        "IDENTIFIANT",  # a handle named as such: "sous le pseudo klemaire-dev"
        re.compile(
            r"(?i:\b(?:pseudo|handle|compte|identifiant|login)\s+(?:c'est\s+|est\s+)?)"
            r"(?P<value>[a-z][a-z0-9_.]*[-_0-9][a-z0-9_.-]*[a-z0-9])(?![\w-])"
        ),
    ),
    (
        "IDENTIFIANT",  # "identifiant interne, c'est jdupont_77": a digit or "_" then
        re.compile(
            r"(?i:\b(?:pseudo|handle|compte|identifiant|login)\s+[\w-]+,?\s+c['’]est\s+)"
            r"(?P<value>(?=[a-z0-9._-]*[0-9_])[a-z][a-z0-9_.-]*[a-z0-9])(?![\w-])"
        ),
    ),
    (
        "IDENTIFIANT",  # numbers named as identifiers: "matricule 45872", "SIRET 123 456 789 00012"
        re.compile(
            r"(?i:\b(?:matricule|siret|siren|n°\s*de\s*sécu(?:rité sociale)?|"
            r"numéro\s+(?:de\s+|d['’]|du\s+)?[\wé-]+|badge|identifiant|employee id|id|permis|"
            r"dossier|ticket|commande|facture|référence|réf\.?|conteneur|n°|"
            r"passeport|cin|avs|nir|rg|immatriculation|plaque)\b[\s:°n.,]*"
            r"(?:c['’]est\s+)?(?:le\s+|la\s+)?(?:voilà\s*:?\s*)?)"
            r"(?P<value>[A-Z0-9][A-Z0-9 ./-]{2,22}\d|[a-z]{1,3}\d{3,}\b)"  # "matricule a47210"
        ),
    ),
]
_EXTENSION_AFTER = re.compile(
    rf"(?i:[\s,.…]*(?:(?:euh|heu)[\s,.…]*)?(?P<value>(?:poste|p\.|ext\.?|touche)\s?"
    rf"(?:\d{{1,5}}\b|(?!une?\b)(?:{_SPOKEN})(?:[\s-]+(?:{_SPOKEN}))*(?![\w-]))))"
)
_CORRECTION = re.compile(
    r"[\s.,…]*(?:non|pardon|enfin|plutôt)(?:[\s.,…]+(?:non|pardon|enfin|euh|plutôt))*[\s.,…]*"
    rf"(?!(?:19|20)\d\d\b)(?P<value>\d[\d .]{{1,16}}\d)(?!\s*(?:{_QUANTITY}))"
)

_NUMBER_WORD = re.compile(rf"(?i:{_SPOKEN}|\d{{1,2}})(?![\w-])")
_HESITATION = re.compile(r"[\s,.…;:!?()-]+|[^\s\d]{1,12}")
_DIGIT_WORDS = frozenset("zéro un une deux trois quatre cinq six sept huit neuf".split())
_SELF_CORRECTION = r"[\s,.…]*(?:non|pardon)(?:[\s,.…]+(?:non|pardon))*[\s,.…]*"
_NUMBER_CORRECTED = re.compile(rf"(?i:{_SELF_CORRECTION}(?:{_SPOKEN}|\d{{1,2}})(?![\w-]))")
_RESTATED = re.compile(rf"(?i){_SELF_CORRECTION}0\d(?:[\s.-]?\d{{2}}){{4}}")
_FILLERS = {"euh", "heu", "hum", "ben", "bah", "attendez", "hein", "alors", "donc"}


def _dictated_numbers(text: str) -> list[tuple[int, int]]:
    """Phone numbers read aloud, pauses and hesitations included: "zéro six... attendez...
    quarante-cinq, douze, euh, zéro huit, soixante-dix-sept", "zéro, six, un, deux… euh… trois",
    "02 40 35, euh, 61 07", "plus trente-trois, six, …". Starts at "zéro", at "plus" before a
    number, or at two digits "0X" that follow no other number; counts digits (a word from zéro
    to neuf is one, "cent" two unless a number follows it, a larger one two) and ends at ten.
    From "zéro", words count from eight digits when the talk moves on, and up to eight words
    may come between them.
    From "plus" or digits, only fillers ("euh") may come between groups and all ten digits are
    needed; digits also need a sign of speech (a filler, a number in words, " - ", "…"), so a
    list of years ("08, 09, 10, 11, 12") is no number; six digits cut by a correction count
    when a whole number follows ("06 58 33… non, pardon, 07 58 33 90 14")."""
    spans = []
    for start in re.finditer(
        r"(?i)\bzéro\b|\bplus(?=[\s,]+(?:trente|quarante|trois|deux|un)\b)"
        r"|(?<!\d\s)(?<![\d+.,])\b0\d\b(?![.,]?\d)",
        text,
    ):
        digits_mode = start.group()[0] == "0"
        strict = start.group().lower() != "zéro"  # "plus" or digits
        spoken = not digits_mode
        pos, digits, end, gap = start.start(), 0, start.start(), 0
        last, corrected, hundred, paused = 0, False, 0, False
        limit = min(len(text), start.start() + 200)  # a number is said in 200 characters
        while pos < limit and digits < 10 and gap <= (2 if strict else 8):
            if text.startswith(("plus", "Plus"), pos):
                pos += 4
                continue
            m = _NUMBER_WORD.match(text, pos)
            if m and gap and m.group().lower() in ("un", "une"):
                m = None  # "zéro défaut, c'est un objectif": an article, not a digit
            if m:
                word = m.group().lower()
                if corrected:  # "trente-deux… non, trente-trois": the new group replaces one
                    digits -= last
                    corrected = False
                if paused and digits <= 4 and (word == "zéro" or re.fullmatch(r"0\d", word)):
                    digits = 0  # "zéro six... euh, zéro six, soixante-quatre...": a restart
                paused = False
                last = len(word) if word.isdigit() else 1 if word in _DIGIT_WORDS else 2
                if word.startswith("cent"):  # "huit cents": three digits
                    last = 2
                elif hundred and text[hundred:pos].isspace():  # "deux cent vingt-quatre"
                    digits -= 2
                hundred = m.end() if word.startswith("cent") else 0
                spoken = spoken or not word.isdigit()
                digits += last
                end = pos = m.end()
                gap = 0
                joined = re.match(r"(?i)[\s-]+et[\s-]+(?:une?|onze)\b", text[pos:])
                if joined:  # "cinquante et un" is one pair
                    end = pos = pos + joined.end()
                continue
            skip = _HESITATION.match(text, pos)
            if not skip:
                break
            word = skip.group().strip(" ,.…;:!?()-")
            if not strict and digits == 1 and word and word.lower() not in _FILLERS:
                break  # "le zéro défaut", "zéro papier": no number follows
            if strict and word and word.lower() not in _FILLERS:
                if (
                    digits_mode
                    and digits >= 6
                    and word.lower() in ("non", "pardon")
                    and _RESTATED.match(text, pos)
                ):
                    digits, spoken = 10, True  # "06 58 33… non, pardon, 07 58 33 90 14"
                break  # "06 … télécopie 02 35": another number
            pause = bool(re.search(r"…|\.\.\.", skip.group())) or word.lower() in _FILLERS
            paused = paused or pause
            spoken = spoken or bool(word) or pause or " - " in skip.group()
            corrected = corrected or word.lower() in ("non", "pardon")
            gap += bool(word)
            pos = skip.end()
        fixed = _NUMBER_CORRECTED.match(text, end)
        if fixed:  # "quarante et un... non, quarante-deux"
            end = fixed.end()
        if (
            digits >= (10 if strict else 8)
            and spoken
            and not any(s <= start.start() < e for s, e in spans)
        ):
            spans.append((start.start(), end))
    return spans


# A number said after a word about the phone, in the same sentence, is a phone number whatever
# its form ("mon portable, c'est le… 06, euh, 71… [inaudible]… 22 40", "le standard, 4 12 87").
_PHONE_CUE = re.compile(
    r"(?i)\b(?:t[ée]l[ée]phones?|t[ée]l\b\.?|portables?|mobiles?|fixes?|standard|gsm|natel|"
    r"cellulaire|cell|centrale|lignes?\s+directe|poste|ext\b\.?|joindre|joignable|"
    r"joins|joint|joignez|(?:r?appel|compos|(?:re)?contact)(?:er|ez|e)\b|"
    r"whatsapp|fax|télécopie|secrétariat|en\s+interne|sms|texto|"
    r"numéros?(?!\s+(?:de|d['’]|du)\s+(?!t[ée]l|portable|fixe|mobile|poste|standard|ligne|"
    r"bureau|secrétariat|l['’]accueil|urgence|astreinte)))(?![\w-])"  # not "postes", "fixer"
)
_ITS_NUMBER = re.compile(r"(?i)\b(?:c['’]est|demandez|faites|tapez) le\b")
_STRONG_CUE = re.compile(r"(?i)poste|ext|standard|centrale|interne|compos")  # three digits suffice
_WINDOW_END = re.compile(r"\n|[?!]|[.…]\s+(?=[A-ZÀ-Ý][a-zà-ÿ])|\.\s+(?=[A-ZÀ-Ý]\w)")
_NUMBER_TOKEN = re.compile(
    rf"(?P<digits>\d+)|(?P<spoken>(?i:{_SPOKEN}))(?![\w-])|(?P<note>\[[^\]\n]{{1,25}}\])"
    rf"|(?P<word>[^\W\d_]+(?:['’-][^\W\d_]+)*)|(?P<mark>\S)"
)
_INSIDE_NUMBER = frozenset(  # "06 58... pardon, 06 58 37 12 94"
    "euh heu hum ben bah hein et double triple non pardon enfin attendez plutôt".split()
)
_AFTER_NUMBER = frozenset(  # words that may follow a short number; any other: a quantity
    "ou et si sinon pour poste ext touche c ça je j vous on il elle mais donc voilà merci demandez "
    "euh hein non pardon enfin ok bon alors puis aussi directement direct demander oui quand"
    "".split()
)


def asked_digits(before: Sequence[str]) -> int:
    """How many digits make a turn's first numbers a phone number, from the turns before it:
    four after a question about the phone ("Et votre portable ?"), two when one of the last two
    was cut in the middle of a number ("Zéro deux, quatre-vingt-dix-huit...", the listener's
    echo coming between); 0 otherwise."""
    if any(map(_ends_in_number, before[-2:])):
        return 2
    last = re.split(r"[.!…]\s+", before[-1].rstrip())[-1] if before else ""
    counting = re.search(r"(?i)\bcombien\b", last)  # "Combien d'appels au standard ?"
    return 4 if last.endswith("?") and _PHONE_CUE.search(last) and not counting else 0


def _ends_in_number(text: str) -> bool:
    if not (_PHONE_CUE.search(text) or re.search(r"(?i)\bzéro\b", text)):
        return False
    number = rf"(?:\d+|(?<![\w-])(?:{_SPOKEN}))"  # two at least: "12..." is a count
    return bool(re.search(rf"(?i){number}[\s,.-]+{number}[\s,]*(?:…|\.\.\.)\s*$", text))


_NOT_BEFORE_PHONE = frozenset(  # "payé 1 299", "depuis 2015", "à 17.30", "il y en a 450"
    "à de des du en depuis vers sur entre dès jusqu payé payée coûtait coûte coûté avec par "
    "environ plus moins fois combien objectif voire max maximum minimum presque quasiment "
    "salle pièce étage bâtiment chambre ai as a avons avez ont avais avait avions aviez avaient "
    "suis es est sommes êtes sont étais était étions étiez étaient fait fais font faisait "
    "compte comptait gagne gagnait vend vends produit pèse mesure dure durait ou et".split()
)


def _no_phone(said: str, before: re.Match | None, short: bool) -> bool:
    """A year or years ("2019, 2020", "2015 - 2016"), a date ("12/03/2021"), thousands
    ("2 400", "4 000, 5 000"), a decimal or a time ("92,5", "17.30", "8-12, 14-18"), or a short
    number after a word that makes it an amount, a date or a count ("payé 1 299", "j'avais 250")."""
    word = re.sub(r"^\w+['’]", "", before.group(1).lower()) if before else ""  # "j'avais"
    if short and word in _NOT_BEFORE_PHONE:
        return True
    if re.fullmatch(r"\d{1,2}[/.]\d{1,2}(?:[/.]\d{2,4})?", said):
        return True
    groups = re.findall(r"\d+", said)
    if groups and all(re.fullmatch(r"(?:19|20)\d\d", g) for g in (groups[0], groups[-1])):
        return True
    thousands = r"\d{1,3}(?:[ \u202f\u00a0]\d{3})+"
    if re.fullmatch(rf"{thousands}(?:[\s,]+{thousands})*", said):
        return True
    if re.search(r"\d[,.:]\d", said) and len("".join(groups)) <= 5:
        return True
    return bool(
        not said.startswith("0")
        and re.search(r"\d\s*[-/]\s*\d", said)
        and all(len(g) <= 2 and int(g) <= 24 for g in groups)
    )


def _cued_numbers(text: str, asked: int = 0) -> list[tuple[int, int]]:
    """Numbers after a cue about the phone, up to the end of its sentence (of the next one when
    the cue is a question, of the first one when the turn before asked, or was cut in the middle
    of a number: `asked` digits then suffice): digits and numbers
    in words, with hesitations, bracketed notes ("[inaudible]") and punctuation between them.
    Four digits at least (three after "poste", "standard", "en interne" and, once the phone is
    the subject, "c'est le"); no year alone; none followed by a word that makes it a quantity
    ("1500 appels", "12 mars", "14 h"). "En interne" also covers its sentence before it."""
    spans = []
    ends = [0] + [b.end() for b in _WINDOW_END.finditer(text)]
    cues = []
    for c in _PHONE_CUE.finditer(text):
        cues.append((c.end(), bool(_STRONG_CUE.match(c.group()))))
        if c.group().lower().startswith("en"):  # "le 240 si vous êtes en interne"
            cues.append((ends[bisect_right(ends, c.start()) - 1], True))
    if cues or asked:  # once the phone is the subject: "Sinon mon assistante, c'est le 318."
        first = 0 if asked else min(c for c, _ in cues)
        cues += [(m.end(), True) for m in _ITS_NUMBER.finditer(text, first)]
    first_words = len(text) - len(text.lstrip())  # after a label alone on its line
    for start, strong in [(first_words, True)] * bool(asked) + cues:
        end = _WINDOW_END.search(text, start)
        if end and end.group() == "?":
            end = _WINDOW_END.search(text, end.end())
        window_end = min(end.start() if end else len(text), start + 160)
        needed = asked if asked and start == first_words else 3 if strong else 4
        tokens = list(_NUMBER_TOKEN.finditer(text, start, window_end))
        i = 0
        while i < len(tokens):
            if not (tokens[i].group("digits") or tokens[i].group("spoken")):
                i += 1
                continue
            run, digits, j = [], 0, i
            while j < len(tokens):
                t = tokens[j]
                word = (t.group("word") or "").lower()
                if t.group("digits"):
                    digits += len(t.group())
                elif t.group("spoken"):
                    digits += 1 if t.group().lower() in _DIGIT_WORDS else 2
                elif not (
                    t.group("note")
                    or (t.group("mark") or "x") in ",.-/()…+"
                    or word in _INSIDE_NUMBER
                ):
                    break
                if t.group("digits") or t.group("spoken"):
                    run.append(t)
                j += 1
            after = tokens[j] if j < len(tokens) else None
            quantity = (
                after is not None
                and (
                    after.group("mark") in ("%", "€", "$")
                    or after.group("word")
                    and after.start() == run[-1].end()  # "7j/7", "24h"
                    or ((w := after.group("word") or "").islower() or w.isupper())  # "900 MW"
                    and after.group().lower() not in _AFTER_NUMBER
                    and text[run[-1].end() : after.start()].isspace()
                )
            )
            said = text[run[0].start() : run[-1].end()]
            before = re.search(r"([\w'’]+)\W*$", text[max(0, run[0].start() - 30) : run[0].start()])
            short = digits < 8  # a whole number is a phone whatever comes around it
            if digits >= needed and not (short and quantity) and not _no_phone(said, before, short):
                plus = text[run[0].start() - 1 : run[0].start()] == "+"
                spans.append((run[0].start() - plus, run[-1].end()))
            i = j + 1
    return spans


# A dictated address: everything from its introduction to its domain ("g point van den berghe…
# tout attaché, vandenberghe… arobase mecaprec tiret group point eu").
_AT = re.compile(
    r"(?i)(?<![\w@])(?:arobase|arobas|arrobase|arrobas|arrobe|a commercial|at|chez)(?!\w)|@"
)
_DOT = r"(?:\s*,?\s*(?i:point|dot)\s*,?\s*|\.(?=\S))"  # a dot said, or typed inside a word
_DOMAIN = re.compile(  # possessive tokens: no backtracking; a sentence's full stop is no dot
    rf"(?:[\s,]|\.\.\.|…)*+[\w-]++(?:(?:[\s,]|\.\.\.|…|\.(?=\S))++[\w-]++){{0,9}}?"
    rf"{_DOT}(?:{_TLD}|[a-zA-Z](?:,?\s|-)[a-zA-Z])\b"  # spelled: "point, F, R"
    rf"(?:{_DOT}(?:{_TLD})\b)*(?![\w@-])"
)
_RESTARTED = re.compile(r"[\s,]*(?:\.\.\.|…)[\s,]*(?:\w+,?\s+)?[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_SAID_DOT = re.compile(r"(?i)\b(?:point|dot)\b")
_ADDRESS_TOKEN = re.compile(r"[\w'’-]+|\.\.\.|\S|\n")
_BEFORE_ADDRESS = frozenset(  # words that introduce an address, never part of it
    "est mon ma mes me moi à adresse mail mails e-mail email mél courriel alors donc voilà par "
    "pour sur via oui bon bah sinon simplement écrivez écrire notez note son sa votre vous je "
    "perso pro professionnelle ou et".split()
)


def _dictated_emails(text: str) -> list[tuple[int, int]]:
    """An "arobase" (or "at", "@") followed by a domain within ten words, or by the address
    written out after a pause ("arobase... enfin, c.leroux@sja-lyon.fr"): the address runs back
    over the words before it, commas and pauses included, to its introduction ("c'est", "mail",
    "à"), a sentence's or a turn's start, sixteen words at most."""
    spans = []
    for at in _AT.finditer(text):
        domain = _DOMAIN.match(text, at.end()) or _RESTARTED.match(text, at.end())
        if not domain or at.group().lower() == "chez" and not _SAID_DOT.search(domain.group()):
            continue  # "chez moi. Ma femme" is no address; "morel chez free point fr" is
        start, words = at.start(), 0
        if at.group() == "@" and not text[at.start() - 1 : at.start()].isspace():
            continue  # written, not dictated: the address pattern's job
        tokens = list(_ADDRESS_TOKEN.finditer(text, max(0, at.start() - 200), at.start()))
        for i in range(len(tokens) - 1, -1, -1):
            t = tokens[i].group()
            following = text[tokens[i].end() : tokens[i].end() + 1]
            if t[0].isalnum() or t[0] == "_":
                clitic = re.match(r"(?i)(?:[cdjlmnst]|qu)['’]", t)  # "c'est", not "o'neil"
                if clitic or t.lower() in _BEFORE_ADDRESS or words >= 16:
                    break
                start, words = tokens[i].start(), words + 1
            elif t in (",", "...", "…", "-") or t == "." and not following.isspace():
                continue
            else:  # a sentence's end, a turn's label, a question
                break
        if words:
            spans.append((start, domain.end()))
    return spans


def find(text: str, asked: int = 0) -> list[tuple[int, int, str]]:
    """(start, end, kind) of every contact detail and identifier; spans may overlap. `asked`:
    the digits that make the turn's first numbers a phone number, when the turns before asked
    for one (`asked_digits`); 0 when they did not."""
    found: list[tuple[int, int, str]] = []
    for kind, pattern in PATTERNS:
        for m in pattern.finditer(text):
            s, e = m.span("value") if "value" in pattern.groupindex else m.span()
            found.append((s, e, kind))
    found += [(s, e, "TELEPHONE") for s, e in _dictated_numbers(text) + _cued_numbers(text, asked)]
    found += [(s, e, "EMAIL") for s, e in _dictated_emails(text)]
    for start, end, _ in [f for f in found if f[2] == "TELEPHONE"]:
        corrected = _CORRECTION.match(text, end)  # "poste 4127… non, 4172, pardon"
        if corrected:
            found.append((*corrected.span("value"), "TELEPHONE"))
        extension = _EXTENSION_AFTER.match(text, end)  # "03 25 05 41 80, euh, poste 23"
        if extension:  # one span with its number, the hesitation between them included
            found.append((start, extension.end(), "TELEPHONE"))
    return found
