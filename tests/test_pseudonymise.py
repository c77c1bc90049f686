"""Pseudonymisation: detection, study-wide placeholders, the map outside the project, corrections.

Unit tests use patterns only (no entity model) where the behaviour does not need one; the
end-to-end tests import transcripts full of names with the real French model and look for the
names in the project file, the exports and the report.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from conftest import CODEBOOK, ROOT, dump, write

from qualkit.pseudonym_map import PseudonymMap
from qualkit.pseudonymise import Detector, Edit, Pseudonymiser, apply_edits, speaker_name
from qualkit.reading import read_transcript

NAMES = ROOT / "tests" / "data" / "names"
EXPECTED = json.loads((NAMES / "expected.json").read_text(encoding="utf-8"))
EMBEDDER = "fakes:HashingEmbedder"


def _folder(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    for name, text in files.items():
        write(folder / name, text)
    return folder


def _dumped(project: Path) -> str:
    return "\n".join(dump(project))


def replaced(text: str, **lists) -> str:
    pseudonymiser = Pseudonymiser(Detector(None, **lists), PseudonymMap())
    return pseudonymiser.text(text, "t.txt")[0]


def read_and_replace(tmp_path: Path, text: str):
    """A transcript file read as import reads it (labels, turns), then pseudonymised."""
    transcript = read_transcript(write(tmp_path / "t.txt", text))
    return Pseudonymiser(Detector(None), PseudonymMap()).transcript(transcript)


@pytest.mark.parametrize(
    "text, secret",
    [
        ("écrivez-moi à sandrine.martin@orange.fr demain", "sandrine.martin@orange.fr"),
        ("mon mail c'est p.nom+rh@site-web.co.uk voilà", "p.nom+rh@site-web.co.uk"),
        ("c'est sandrine point martin arobase orange point fr", "arobase orange point fr"),
        ("appelez le 06 12 34 56 78 le matin", "06 12 34 56 78"),
        ("ou le 06.12.34.56.78", "06.12.34.56.78"),
        ("ou le 0612345678.", "0612345678"),
        ("standard : +33 (0)1 44 55 66 77", "44 55 66 77"),
        ("depuis Londres, +44 20 7946 0958", "7946 0958"),
        ("le site www.perrin-usinage.fr/carrieres", "perrin-usinage"),
        ("voir https://linkedin.com/in/sandrine-lefevre.", "sandrine-lefevre"),
        ("mon matricule 45872-B", "45872"),
        ("IBAN FR76 3000 6000 0112 3456 7890 189", "3000 6000"),
        ("c'est k, ben, saïd, arobase, datalyse, point, io", "datalyse"),
        ("c'est marie-claude point riviere arobase groupe-horizon point com", "groupe-horizon"),
        ("au bureau, 418 656-2131 poste 4410", "656-2131"),
        ("son numéro allocataire c'est le 4587215, noté", "4587215"),
        ("c'est remi [dot] sarrazin [at] protonmail [dot] com", "sarrazin"),
        ("poste 4127… non, 4172, pardon", "4172"),
        ("la sécurité, le 22 15 en interne", "22 15"),
        ("c'est jean tiret du bas morel chez free point fr", "morel"),
        ("c'est le plus quarante-neuf, huit-deux-un, quatre-cinq-six, soixante-dix-huit", "huit"),
        ("Le dossier, le 23/00417, est clos.", "00417"),
        ("site : www point optronix-tregor point fr", "optronix"),
        ("le standard, 03 88 - 41 - 27 - 60 - 15, le matin", "41 - 27"),
        ("au 05 61 22, euh, 48 93 ou par mail", "48 93"),
        ("le 02, trente-huit, 44 17 09, demandez Paul", "44 17 09"),
        ("zéro sept, quatre-vingt et onze, euh, douze, trente, zéro deux", "douze, trente"),
        ("en interne on compose le 3310 pour la hotline", "3310"),
        ("écrivez à l.perret at atelier-gamma.coop demain", "atelier-gamma"),
        ("c'est contact(arobase)forgeo(point)fr voilà", "forgeo"),
        ("le mail, accueil, euh, @cabinet-roussel.re, merci", "cabinet-roussel"),
        ("m point orsini arobase bastia tiret conseil point corsica", "orsini"),
        ("Tél. 0033 4 91 22 65 10, télécopie 04 91 22 65 11, merci", "22 65 1"),
        ("mon fixe : 05 47 12… non, pardon, 05 47 21 33 80.", "47 12"),
        ("c'est zéro, sept, huit, un… euh… deux, deux, quatre, six, neuf, un", "six, neuf"),
        (
            "it's plus four four, seven one two three, four five six, seven eight nine",
            "seven eight",
        ),
        ("sa ligne, c'est le 06/51/33/20/78 le soir", "33/20"),
        ("Son poste, c'est le 5127, sinon l'accueil", "5127"),
        ("standard 01 40 22 16 00 p. 418, voilà", "418"),
        ("de l'extérieur vous faites le 2604 directement", "2604"),
        ("écrivez, l point roche arrobe atelier-vent point com", "roche"),
        ("info arobase cluster56 point asso point fr", "cluster56"),
        ("le lot 23C1188 est bloqué", "23C1188"),
        ("le zéro sept, douze… non, treize, vingt et un, zéro zéro, quarante-quatre", "quarante"),
        ("J, point, R-O-C-H-E, arobase, A-B, tiret, conseil, point, F-R.", "R-O-C-H-E"),
        ("ou au syndicat, le 065 31 22 40, le matin", "31 22 40"),
        ("l'accueil, 02 97 41 12 00, touche 4, ou le site", "touche 4"),
        ("c'est p tiret bas nowak arobas metal tiret est point fr", "nowak"),
        ("l'ancienne, said a commercial almoravid point fr, marche encore", "almoravid"),
        ("le fixe, 04 78 22 61 30, euh, poste 58, merci", "euh, poste"),
        ("plus trente-trois, six, quarante et un, euh, dix-huit, zéro deux, trente", "dix-huit"),
        ("mobile 0615 227 904, le soir", "227 904"),
        ("en interne c'est le 3 22 14, sinon l'accueil", "22 14"),
        ("it's plus forty-four, seven seven double-oh, one two three, four", "double-oh"),
        ("attendez... 04 91 22 ... euh ... 04 91 22 37 15. Voilà", "04 91 22 ..."),
        ("zéro trois, douze, quarante, zéro deux, soixante et un... non, soixante-deux.", "deux."),
        ("le standard, zéro un, vingt, trente, euh, zéro zéro, poste deux cent dix", "deux cent"),
        # after a word about the phone, any number up to the sentence's end, pauses included
        ("Son portable ? Alors 07, euh… 88 [inaudible] 41 20, le matin.", "[inaudible] 41"),
        ("Mon fixe, c'est le 05 56 … [coupure] … 12 90, merci.", "12 90"),
        ("Le standard, c'est le 412, demandez Hugo.", "412"),
        ("Mon fixe, c'est le 02 40 11 22 33. Et mon stagiaire, c'est le 214.", "214"),
        ("Demandez le 517 quand vous êtes en interne, sinon l'accueil.", "517"),
        (
            "C'est le zéro cinq... euh, zéro cinq, trente-deux, onze, non, douze, dix-sept.",
            "dix-sept",
        ),
        ("Mon portable suisse : 078 414 22 90, le soir.", "414 22"),
        ("Mon fixe, c'est le 04 72... pardon, 04 72 18 30 55.", "pardon"),
        ("Mon identifiant interne, c'est jdupont_77, pour le VPN.", "jdupont_77"),
        (
            "Mon natel, c'est le zéro septante-neuf, quatre cent douze, nonante, huitante.",
            "nonante",
        ),
        ("La centrale : 022 718 40 00, puis demandez le 347.", "347"),
        ("Mon pseudo Discord c'est tlg_dev42, au cas où.", "tlg_dev42"),
        # a dictated address runs back to its introduction, whatever it says in between
        ("Mon mail ? k point o'neil… sans apostrophe, oneil, arobase lmc point ie.", "neil"),
        ("je vous épelle. B, R, U, N, O, arobase, teleo, point, F, R. Voilà.", "B, R, U"),
        ("c'est tran tiret van tiret long at hanoi-tech dot vn dot com", "van tiret long"),
        ("o, point, L-E-R-O-Y, arobase, K, tiret, conseil, point, L-U.", "L-E-R-O-Y"),
        ("j, point, R, O, Y, arobase... non, j.roy@lmc-group.fr", "R, O, Y"),
        ("Mon mail, c'est p.vidal, et après l'arobase c'est cabinet-ros.fr", "p.vidal"),
        (
            "c'est a point sy arobase... non, b point sy. Donc b point sy arobase esp point sn",
            "b point",
        ),
    ],
)
def test_pseudonymise_identifiers_never_survive(text, secret):
    assert secret not in replaced(text)


@pytest.mark.parametrize(
    "text, kept",
    [
        ("On utilise ChatGPT et Copilot sous Excel.", ["ChatGPT", "Copilot", "Excel"]),
        ("Le RGPD, la DSI et les RH en parlent.", ["RGPD", "DSI", "RH"]),
        ("Chez [ENTREPRISE_1] à [LIEU_2], on avance.", ["[ENTREPRISE_1]", "[LIEU_2]"]),
        ("Il y a 100 000 000 de lignes et 2 500 personnes.", ["100 000 000", "2 500"]),
        ("Un budget de 2500000 euros.", ["2500000"]),
        ("Bon, la boîte a décidé. Voilà, la société a suivi.", ["Bon", "Voilà"]),
        ("Mon homologue, Dr. Katrin Vogelsang, arrive.", ["Dr. ["]),
        ("Chez Segula Technologies, on code.", ["Chez ["]),
        ("Une SCOP qui fait du comté. En SCOP, on vote.", ["Une SCOP", "En SCOP"]),
        # ordinary counts, times, amounts and titles that look like the contact rules' cues
        ("en 08, 09, 10, 11, 12, on a licencié", ["08, 09, 10, 11, 12"]),
        ("à 08 30, 09 00, non, plutôt 09 15", ["08 30", "09 15"]),
        (
            "plus quarante pour cent, la marge plus trente et les effectifs plus douze",
            ["plus quarante", "plus trente", "plus douze"],
        ),  # fmt: skip
        ("En plus un jour sur deux, on fait douze heures", ["plus un jour", "douze"]),
        (
            "Je fais 1200 pièces, vous faites 1500 euros, ils composent le 1500 mètres",
            ["1200", "1500 euros", "1500 mètres"],
        ),  # fmt: skip
        (
            "Ce poste, c'est 1800 euros net. On était 12, poste 3. Page 12, p. 45",
            ["1800", "poste 3", "p. 45"],
        ),  # fmt: skip
        ("Sur le marché, 2 000 clients. Au marché 2023, rien.", ["2 000", "2023"]),
        ("monsieur le curé et madame la conseillère", ["curé", "conseillère"]),
        ("zéro six, douze, trente, quarante, cinquante, enfin 2019 on a changé", ["2019"]),
        # numbers after a phone cue that are quantities, dates, times or years
        (
            "Le standard reçoit 1500 appels par jour. Mon portable date de 2019.",
            ["1500 appels", "2019"],
        ),  # fmt: skip
        ("On m'a appelé le 12 mars à 14 h 30, numéro 3 du classement", ["12 mars", "14 h 30"]),
        ("Appelez-moi, on compte 35 % de hausse", ["35 %"]),
        ("Notre modèle, c'est le 318. En interne, on a 240 salariés.", ["318", "240"]),
        ("La centrale nucléaire, 900 MW, et mon portable date de 2019.", ["900 MW", "2019"]),
        # ordinary speech near a phone cue (found by a review of the cue rule)
        ("Je suis rentré chez moi. Ma femme était là.", ["chez moi. Ma femme"]),
        ("Ils sont partis chez Airbus. Pro, c'est mieux payé.", ["Pro, c'est"]),
        ("Le fixe, c'est 2 400. Le mobile, on l'a payé 1 299.", ["2 400", "1 299"]),
        ("Les postes, il y en a 450. On va fixer l'objectif à 1 500.", ["450", "1 500"]),
        ("Ils ont standardisé les process en 2019, 2020.", ["2019, 2020"]),
        ("Le standard ferme à 17.30, taux de décroché de 92,5.", ["17.30", "92,5"]),
        ("Mes horaires au standard : 8-12, 14-18, ouvert 24h/24, 7j/7.", ["8-12, 14-18", "7j/7"]),
        ("Au téléphone, on s'est vus le 12/03/2021. Sur ce poste, j'avais 250.", ["12/03", "250"]),
        ("Au téléphone, le client m'a dit 4 000, 5 000 max.", ["4 000, 5 000"]),
        ("On vise le zéro défaut, c'est un objectif pour une équipe de deux ou trois.", ["un"]),
        ("Le compte, c'est celui-là. Mon compte, c'est au-dessus.", ["celui-là", "au-dessus"]),
        ("C'est hotline@acme.fr, la hotline quoi.", ["la hotline quoi"]),
        (
            "Mon équipe, Maintenance, a vu. Notre site, Recherche & Développement.",
            ["Maintenance", "Recherche"],
        ),
        # an address dictated in captions takes no words from the lines before it
        (
            "il est chez nous depuis dix ans\nbon voilà\nson mail c est j point roy arobase "
            "chimie point fr",
            ["chez nous depuis dix ans\nbon voilà\nson mail"],
        ),  # fmt: skip
        ("écrivez arobase " + "x" * 60 + " et rien d'autre", ["x" * 60]),  # no backtracking
    ],
)
def test_pseudonymise_leaves_products_acronyms_and_placeholders(text, kept):
    out = replaced(text)
    assert all(k in out for k in kept), out


@pytest.mark.parametrize(
    "text, name",
    [
        ("j'en ai parlé à Mme Lefèvre hier", "Lefèvre"),
        ("M. Garnier n'est pas d'accord", "Garnier"),
        ("avec Jean-Pierre Martinez on a testé", "Jean-Pierre Martinez"),
        ("je travaille chez Orange depuis dix ans", "Orange"),
        ("notre fournisseur, Usinage Perrin SAS, suit", "Usinage Perrin"),
        ("le cabinet Delorme Conseil nous accompagne", "Delorme"),
        ("par exemple Alliance, la mutuelle, a dit non", "Alliance"),
        ("une agence locale, Intérim 44, à côté", "Intérim 44"),
        ("chez TMB, Terminaux Manutention du Bassin, on charge", "Terminaux Manutention"),
        ("présidé par J.-M. Lefèvre, qu'on appelle tous JML.", "JML"),
        ("c'est Pierre, mon alternant, qui poste", "Pierre"),
        ("un chef qui s'appelait pierre garnier, très strict", "garnier"),
        ("une pme à thiers, chambriard et fils, des couteaux", "chambriard"),
        ("les gens de Bouvier Robotique à Annecy", "Bouvier"),
        ("avec Ouest Automatismes, un intégrateur d'Angers", "Ouest Automatismes"),
        ("Merci Soraya, on peut commencer.", "Soraya"),
        ("Appelez mon assistante, Océane, au standard.", "Océane"),
        ("c'est Zeynep Aydın qui l'a vu", "Aydın"),
        ("enfin madame le goff elle a fait une réunion", "goff"),
        ("le docteur fofana il en a parlé", "fofana"),
        ("avec Liam O'Brien et Sara D'Amico, du labo", "D'Amico"),
        ("nos clients Hollander Plastics BV et Officine Rossi SpA", "Rossi SpA"),
        ("Il faut l'écrire : G-A-U-T-H-I-E-R, avec un H", "G-A-U"),
        ("Paul Rinaldi, dit « Le Grand », est parti", "Le Grand"),
        ("on travaille avec la mairie de Roubaix sur ça", "Roubaix"),
        ("un labo, l'UMR 7312, à côté", "7312"),
        ("La boîte date de 1978. Meunier Frères, ébénisterie, à Nantes.", "Meunier Frères"),
        ("vers une entreprise d'insertion, Les Jardins du Val Fleuri. Voilà.", "Val Fleuri"),
        ("il forme les avocats du barreau de Rennes", "Rennes"),
        ("on livre Alstom, notre principal client, depuis dix ans", "Alstom"),
    ],
)
def test_pseudonymise_patterns_find_names_without_a_model(text, name):
    assert name not in replaced(text)


def test_pseudonymise_always_and_never_lists_win():
    text = "Dupont Industrie livre Hanovre, et Rose aussi."
    out = replaced(text, always=[("Dupont Industrie", "ENTREPRISE")], never=["Rose"])
    assert "Dupont Industrie" not in out and "[ENTREPRISE_1]" in out and "Rose" in out
    listed = "Écrivez à accueil@mairie.fr. En Voiture Simone livre."
    out = replaced(
        listed, always=[("En Voiture Simone", "ENTREPRISE")], never=["accueil@mairie.fr"]
    )
    assert "accueil@mairie.fr" in out and "En Voiture" not in out
    # an address that holds a listed name is replaced whole, not around the name
    for address in ("marie.dupont@acme.fr", "marie point dupont arobase acme point fr"):
        out = replaced(f"Écrivez à {address}.", always=[("Dupont", "PERSONNE")])
        assert "marie" not in out and "[EMAIL_1]" in out, out


def test_pseudonymise_a_question_about_the_phone_makes_the_answer_a_number(tmp_path):
    def pseudonymised(question: str) -> str:
        text = f"Enquêteur : {question}\nRépondant : Alors 4, euh, 12… 87 [inaudible] 30.\n"
        return read_and_replace(tmp_path, text).text

    out = pseudonymised("Et votre ligne directe ?")
    assert "87" not in out and "[TELEPHONE_1]" in out, out
    assert "87" in pseudonymised("Et vos effectifs ?")


def test_pseudonymise_label_details_name_people_and_employers(tmp_path):
    text = (
        "Nadia (Opale) : Vous êtes chez qui ?\nM. Roux (Forges Vuillemin, DRH) : Chez eux.\n"
        "Nadia (Opale) : Et avant ?\nM. Roux (Forges Vuillemin, DRH) : Chez Opale aussi.\n"
        "Intervenant 2 (Farid, ESN) : Moi, chez EDF.\nIntervenant 2 (Farid, ESN) : Voilà.\n"
    )
    out = read_and_replace(tmp_path, text)
    for name in ("Nadia", "Opale", "Roux", "Vuillemin", "Farid", "EDF"):
        assert name not in out.text and all(name not in t.speaker for t in out.turns), name
    assert "DRH" in out.text and "Intervenant 2 (" in out.text and "ESN" in out.text


@pytest.mark.parametrize(
    "text, name",
    [
        ("Je suis à FO Métaux depuis 2010.", "Métaux"),
        ("Les sessions sont à la CCI de Bourges.", "Bourges"),
        ("On vend à Soleil Levant Énergies, trente salariés, à Albi.", "Soleil Levant"),
        ("Et mon comptable, Pierre, a tout vérifié.", "Pierre"),
        ("Ma stagiaire, Océane, avait publié l'annonce.", "Océane"),
        ("Alors, Lambert & Ferrand Avocats, douze associés.", "Ferrand"),
    ],
)
def test_pseudonymise_organisation_and_person_cues(text, name):
    assert name not in replaced(text)


def test_pseudonymise_role_abbreviations_stay_initials_go():
    detector = Detector(None)
    assert speaker_name(detector, "DIR") == [] and speaker_name(detector, "DEV") == []
    assert [f.text for f in speaker_name(detector, "JMB")] == ["JMB"]
    for label in ("P1 (Femme, 45 ans)", "Enquêtrice (Rires)", "P3 (Retraitée)", "P2 (Groupe 2)"):
        assert speaker_name(detector, label) == [], label


def test_pseudonymise_a_count_after_a_question_about_the_standard_stays(tmp_path):
    text = (
        "Enquêtrice : Combien d'appels au standard par jour ?\nRépondante : 300, 400.\n"
        "Enquêtrice : Et au standard, vous étiez à peu près 12...\nRépondante : 12, 15 oui.\n"
    )
    out = read_and_replace(tmp_path, text).text
    assert "300, 400" in out and "12, 15" in out, out


def test_pseudonymise_answer_under_a_label_alone_on_its_line(tmp_path):
    text = (
        "Speaker 1 00:13:00\nPour le suivi, je vous joins comment ?\n\n"
        "Speaker 2 00:13:02\nAu 70 212 33 41. Merci.\n\nSpeaker 1 00:13:09\nMerci à vous.\n\n"
        "Speaker 2 00:13:11\nAvec plaisir.\n"
    )
    out = read_and_replace(tmp_path, text).text
    assert "212" not in out, out


def test_pseudonymise_a_number_cut_between_turns_is_one_number(tmp_path):
    text = (
        "Répondant : Notez : zéro trois, quatre-vingt-deux...\nEnquêtrice : Quatre-vingt-deux, "
        "oui.\nRépondant : ... quarante, onze, treize.\nEnquêtrice : Vous pouvez me rappeler "
        "votre parcours ?\nRépondant : Dans les années soixante-dix, j'étais à Lyon.\n"
    )
    out = read_and_replace(tmp_path, text).text
    assert "Quatre-vingt-deux" not in out and "onze" not in out, out
    assert "soixante-dix" in out


def test_pseudonymise_short_forms_share_the_placeholder_across_interviews():
    mapping = PseudonymMap()
    pseudonymiser = Pseudonymiser(Detector(None), mapping)
    first, _ = pseudonymiser.text("Sandrine Lefèvre dirige l'équipe.", "a.txt")
    second, _ = pseudonymiser.text("J'ai vu Mme Lefèvre, puis Sandrine m'a rappelé.", "b.txt")
    label = first.split()[0]
    assert label == "[PERSONNE_1]"
    assert second.count(label) == 2 and "Lefèvre" not in second and "Sandrine" not in second


def test_pseudonymise_two_people_with_one_surname_stay_apart():
    mapping = PseudonymMap()
    pseudonymiser = Pseudonymiser(Detector(None), mapping)
    out, _ = pseudonymiser.text("Thomas Garnier et Claire Garnier travaillent ensemble.", "a.txt")
    assert "[PERSONNE_1]" in out and "[PERSONNE_2]" in out


@pytest.mark.parametrize(
    "text, edits",
    [
        ("abc Sandrine def", [Edit(4, 12, "[P_1]", "Sandrine")]),
        ("a Bo b Lu c", [Edit(2, 4, "[PERSONNE_1]", "Bo"), Edit(7, 9, "[X]", "Lu")]),
    ],
)
def test_pseudonymise_apply_edits_moves_every_offset(text, edits):
    new, remap = apply_edits(text, edits)
    # Text outside the edits keeps its place relative to the new offsets.
    for offset in range(len(text) + 1):
        inside = any(e.start <= offset < e.end for e in edits)
        if not inside and offset < len(text):
            assert new[remap(offset)] == text[offset]
    assert remap(len(text)) == len(new)


# --- the map file ---------------------------------------------------------------------------


def test_pseudonymise_encrypted_map_needs_its_passphrase(tmp_path, monkeypatch):
    monkeypatch.setenv("QUALKIT_PASSPHRASE", "correct horse")
    path = tmp_path / "s.qualkit.pseudonyms.enc"
    mapping = PseudonymMap(path=path)
    mapping.placeholder_for("Sandrine Lefèvre", "PERSONNE", "a.txt")
    mapping.save()
    assert b"Sandrine" not in path.read_bytes()
    assert PseudonymMap.load(path).entries["PERSONNE_1"]["forms"] == {"Sandrine Lefèvre": 1}
    monkeypatch.setenv("QUALKIT_PASSPHRASE", "wrong")
    from qualkit.errors import QualkitError

    with pytest.raises(QualkitError, match="wrong passphrase"):
        PseudonymMap.load(path)
    monkeypatch.delenv("QUALKIT_PASSPHRASE")
    with pytest.raises(QualkitError, match="set QUALKIT_PASSPHRASE"):
        PseudonymMap.load(path)


# --- end to end, with the real model ----------------------------------------------------------


def _everything(project: Path, out: Path, cli) -> str:
    """All text a user can reach: the project's rows, the exports and the report."""
    texts = [_dumped(project)]
    assert cli("report", project, "-o", out / "r.docx").code == 0
    for fmt in ("csv", "xlsx", "qdpx"):
        assert cli("export", project, "--format", fmt, "-o", out / f"e.{fmt}").code == 0
    texts.append((out / "e.csv").read_text(encoding="utf-8"))
    for name in ("r.docx", "e.xlsx", "e.qdpx"):
        with zipfile.ZipFile(out / name) as archive:
            for member in archive.namelist():
                texts.append(archive.read(member).decode("utf-8", "replace"))
    return "\n".join(texts)


@pytest.mark.slow
def test_pseudonymise_import_leaves_no_name_in_project_exports_or_report(
    cli, project_path, tmp_path
):
    result = cli("import", project_path, NAMES)
    assert result.code == 0, result.err
    assert cli("code", project_path, "--codebook", CODEBOOK, "--embedder", EMBEDDER).code == 0
    everything = _everything(project_path, tmp_path, cli)
    for secret in EXPECTED["must_disappear"]:
        assert secret not in everything, secret
    for word in EXPECTED["must_stay"]:
        assert word in everything, word
    # The originals are in the map next to the project, readable by its owner only.
    mapping = project_path.with_name(project_path.name + ".pseudonyms.json")
    assert "Karine Dufresne" in mapping.read_text(encoding="utf-8")
    assert mapping.stat().st_mode & 0o077 == 0
    listing = cli("pseudonyms", project_path, "--json")
    rows = json.loads(listing.out)["pseudonyms"]
    karine = [r for r in rows if "Karine Dufresne" in r["forms"]]
    assert len(karine) == 1 and len(karine[0]["interviews"]) == 2
    assert "[inaudible]" in cli("pseudonyms", project_path).out  # typed words, not markup


@pytest.mark.slow
def test_pseudonymise_keep_names_warns_and_keeps_them(cli, project_path):
    result = cli("import", project_path, NAMES / "entretien_noms_a.txt", "--keep-names")
    assert result.code == 0 and "--keep-names" in result.err
    assert "Karine Dufresne" in _dumped(project_path)


@pytest.mark.slow
def test_pseudonymise_corrections_apply_everywhere_and_keep_codings(cli, project_path, tmp_path):
    folder = _folder(
        tmp_path,
        {
            "a.txt": "Q : Et chez vous ?\n\nR : Chez Orange, Sandrine Petit gère ça avec "
            "Copilot. Mon adjoint gégé aussi.\n\nQ : Merci.\n\nR : Sandrine est partie.",
            "b.txt": "Q : Et vous ?\n\nR : Mme Petit m'a formé, chez Orange aussi.",
        },
    )
    assert cli("import", project_path, folder).code == 0
    rows = json.loads(cli("pseudonyms", project_path, "--json").out)["pseudonyms"]
    orange = next(r["placeholder"] for r in rows if r["forms"] == ["Orange"])
    person = next(r["placeholder"] for r in rows if "Sandrine Petit" in r["forms"])
    from qualkit.store import Project
    from qualkit.store.codings import decide
    from qualkit.store.study import segment_rows

    with Project.open(project_path) as project, project.transaction() as conn:
        first = next(s for s in segment_rows(conn) if "Copilot" in s["text"])
        decide(conn, first["id"], "shadow_it", "consultante", "accepted")

    assert cli("pseudonyms", project_path, "--restore", orange).code == 0
    assert cli("pseudonyms", project_path, "--add", "gégé", "--as", person).code == 0
    dumped = _dumped(project_path)
    assert "Chez Orange" in dumped and "chez Orange aussi" in dumped and "gégé" not in dumped
    with Project.open(project_path) as project, project.reading() as conn:
        segs = {s["id"]: s["text"] for s in segment_rows(conn)}
        assert segs[first["id"]].startswith("Chez Orange, " + person)
        assert segs[first["id"]].endswith(f"Mon adjoint {person} aussi.")
        assert any(s.startswith(f"Mme {person} m'a formé") for s in segs.values())
        coded = conn.exec_driver_sql(
            "SELECT count(*) FROM codings WHERE coder='consultante'"
        ).scalar()
        assert coded == 1
    # A correction is remembered: importing again gives the same text.
    again = tmp_path / "again.qualkit"
    assert cli("init", again).code == 0
    mapping = project_path.with_name(project_path.name + ".pseudonyms.json")
    assert cli("import", again, folder, "--pseudonyms", mapping).code == 0
    assert "Chez Orange" in _dumped(again)


@pytest.mark.slow
def test_pseudonymise_case_names_are_replaced_and_not_stored(cli, project_path, tmp_path):
    folder = _folder(
        tmp_path,
        {
            "a.txt": "Q : Bonjour.\n\nR : Bonjour, ici Yolande Quémeneur, chez Brioche Pasquier.",
            "cases.csv": "file,profile,nom,entreprise\n"
            "a.txt,cadre,Yolande Quémeneur,Brioche Pasquier\n",
        },
    )
    assert cli("import", project_path, folder).code == 0
    dumped = _dumped(project_path)
    assert "Quémeneur" not in dumped and "Pasquier" not in dumped and "cadre" in dumped


def test_pseudonymise_bad_lists_file_is_one_line_and_changes_nothing(cli, project_path, tmp_path):
    folder = _folder(
        tmp_path,
        {
            "a.txt": "Q : Bonjour.\n\nR : Bonjour.",
            "pseudonymisation.yaml": "never: [ChatGPT\nalways: 3\n",
        },
    )
    before = dump(project_path)
    result = cli("import", project_path, folder)
    assert result.code == 2 and "pseudonymisation.yaml" in result.err
    assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err
    assert dump(project_path) == before


@pytest.mark.parametrize(
    "organisation, head, swept",
    [
        ("Axiome Conseil", "Axiome", True),
        ("Crédit Mutuel Arkéa", "Crédit", False),
        ("École Centrale Nantes", "École", False),
        ("Groupe SEB", "Groupe", False),
    ],
)
def test_pseudonymise_organisation_head_swept_unless_generic(organisation, head, swept):
    mapping = PseudonymMap()
    mapping.placeholder_for(organisation, "ENTREPRISE", "a.txt")
    assert (head in dict(mapping.sweep_forms())) is swept
