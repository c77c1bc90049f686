"""Agreement between coders (qualkit.agreement): figures equal independent references written
here (kappa from the 2x2 formula, alpha from the nominal coincidence matrix), edge cases,
three coders, the auto-coder, the CLI, settling, and the report's table, on real SQLite files."""

from __future__ import annotations

import io
import json
import sqlite3
from itertools import combinations
from pathlib import Path

import pytest
from conftest import write
from hypothesis import given, settings
from hypothesis import strategies as st

from qualkit.agreement import (
    CONSENSUS,
    NO_UNITS,
    NO_VARIATION,
    TOO_FEW,
    agreement,
    disagreements,
    figures,
    settle,
)
from qualkit.errors import QualkitError
from qualkit.store import Project

# --- independent references ------------------------------------------------------------------


def ref_kappa(x: list[bool], y: list[bool]) -> float | None:
    """Cohen's kappa of two binary ratings from the 2x2 table formula (floats)."""
    n = len(x)
    if n == 0:
        return None
    a = sum(1 for i, j in zip(x, y, strict=True) if i and j)
    d = sum(1 for i, j in zip(x, y, strict=True) if not i and not j)
    po = (a + d) / n
    px, py = sum(x) / n, sum(y) / n
    pe = px * py + (1 - px) * (1 - py)
    return None if pe == 1 else (po - pe) / (1 - pe)


def ref_alpha(units: list[list[int]]) -> float | None:
    """Krippendorff's alpha (nominal) from the coincidence matrix: each unit lists the values
    the coders gave it; units with fewer than two values are not pairable."""
    values = sorted({v for u in units for v in u})
    o = {(c, k): 0.0 for c in values for k in values}
    for u in units:
        m = len(u)
        if m < 2:
            continue
        for i, j in ((i, j) for i in range(m) for j in range(m) if i != j):
            o[u[i], u[j]] += 1 / (m - 1)
    n_c = {c: sum(o[c, k] for k in values) for c in values}
    n = sum(n_c.values())
    expected = sum(n_c[c] * n_c[k] for c in values for k in values if c != k)
    if n == 0 or expected == 0:
        return None
    observed = sum(o[c, k] for c in values for k in values if c != k)
    return 1 - (n - 1) * observed / expected


def ref_code(data: dict, coders: list[str], code: str) -> dict:
    """Per-code figures from the references: pairs on segments both reviewed, alpha on
    segments reviewed by two coders or more."""
    pairs = []
    for a, b in combinations(coders, 2):
        shared = sorted(data[a].keys() & data[b].keys())
        x = [code in data[a][s] for s in shared]
        y = [code in data[b][s] for s in shared]
        agree = sum(i == j for i, j in zip(x, y, strict=True)) / len(shared) if shared else None
        pairs.append((len(shared), agree, ref_kappa(x, y)))
    segs = sorted({s for c in coders for s in data[c]})
    units = [[int(code in data[c][s]) for c in coders if s in data[c]] for s in segs]
    units = [u for u in units if len(u) >= 2]
    return {"pairs": pairs, "alpha": ref_alpha(units), "units": len(units)}


def same(value, expected) -> bool:
    return (value is None and expected is None) or (
        value is not None and expected is not None and value == pytest.approx(expected)
    )


def mean(values):
    defined = [v for v in values if v is not None]
    return sum(defined) / len(defined) if defined else None


# --- hand-built cases ------------------------------------------------------------------------

ALL = frozenset
CASE_A = {  # alice and bob on ten segments, code x: 3 both, 1 each alone, 5 neither
    "alice": {s: ALL({"x"} if s in (1, 2, 3, 4) else ()) for s in range(10)},
    "bob": {s: ALL({"x"} if s in (1, 2, 3, 5) else ()) for s in range(10)},
}


def test_agreement_two_coders_hand_computed():
    result = figures(CASE_A, ["alice", "bob"], ["x"])
    x = result["codes"]["x"]
    # po = 8/10; pe = .4*.4 + .6*.6 = .52; kappa = .28/.48
    assert x["percent_agreement"] == pytest.approx(0.8)
    assert x["cohen_kappa"] == pytest.approx(0.28 / 0.48)
    # n = 20 values, n1 = 8, n0 = 12, two disagreeing units: alpha = 1 - 19*4 / (2*8*12)
    assert x["krippendorff_alpha"] == pytest.approx(1 - 76 / 192)
    assert x["units"] == 10 and x["note"] is None
    assert x["pairs"][0]["table"] == {"both": 3, "only_first": 1, "only_second": 1, "neither": 5}


@pytest.mark.parametrize(
    ("alice", "bob", "percent", "kappa", "alpha"),
    [
        # perfect agreement with both categories used
        ({0: {"x"}, 1: {"x"}, 2: set(), 3: set()}, {0: {"x"}, 1: {"x"}, 2: set(), 3: set()},
         1.0, 1.0, 1.0),
        # total disagreement, each coder using both categories: kappa -1
        ({0: {"x"}, 1: {"x"}, 2: set(), 3: set()}, {0: set(), 1: set(), 2: {"x"}, 3: {"x"}},
         0.0, -1.0, 1 - 7 * 8 / 32),
        # total disagreement, one coder always present, the other always absent: kappa 0
        ({0: {"x"}, 1: {"x"}, 2: {"x"}, 3: {"x"}}, {0: set(), 1: set(), 2: set(), 3: set()},
         0.0, 0.0, 1 - 7 * 8 / 32),
        # a code nobody used: perfect agreement on absence, kappa and alpha undefined
        ({0: {"y"}, 1: set(), 2: set()}, {0: set(), 1: {"y"}, 2: set()}, 1.0, None, None),
        # both coders gave the code everywhere: no variation either
        ({0: {"x"}, 1: {"x"}}, {0: {"x"}, 1: {"x"}}, 1.0, None, None),
    ],
)  # fmt: skip
def test_agreement_edge_cases(alice, bob, percent, kappa, alpha):
    data = {
        "alice": {s: ALL(v) for s, v in alice.items()},
        "bob": {s: ALL(v) for s, v in bob.items()},
    }
    x = figures(data, ["alice", "bob"], ["x"])["codes"]["x"]
    assert x["percent_agreement"] == pytest.approx(percent)
    assert same(x["cohen_kappa"], kappa) and same(x["krippendorff_alpha"], alpha)
    reference = ref_code(data, ["alice", "bob"], "x")
    assert same(x["cohen_kappa"], reference["pairs"][0][2])
    assert same(x["krippendorff_alpha"], reference["alpha"])
    if kappa is None:
        assert x["note"] == f"cohen_kappa and krippendorff_alpha {NO_VARIATION}"
    json.dumps(x, allow_nan=False)  # never NaN in JSON


@pytest.mark.parametrize(
    ("coders", "note"),
    [(["alice", "ghost"], NO_UNITS), (["alice"], TOO_FEW), (["ghost", "nobody"], NO_UNITS)],
)
def test_agreement_without_units_is_null_with_a_note(coders, note):
    result = figures(CASE_A, coders, ["x"])
    for entry in (result["codes"]["x"], result["overall"]):
        assert entry["units"] == 0 and entry["note"] == note
        assert entry["percent_agreement"] is entry["cohen_kappa"] is None
        assert entry["krippendorff_alpha"] is None
    assert result["overall"]["mean_kappa"] is None
    json.dumps(result, allow_nan=False)


CASE_3 = {  # three coders, partly overlapping: carol skipped 0 and 5 and alone reviewed 7
    "alice": {0: ALL({"x"}), 1: ALL({"x", "y"}), 2: ALL(), 3: ALL({"y"}), 4: ALL({"x"}), 5: ALL()},
    "bob": {0: ALL({"x"}), 1: ALL({"y"}), 2: ALL({"x"}), 3: ALL({"y"}), 4: ALL(), 5: ALL(),
            6: ALL({"x"})},
    "carol": {1: ALL({"x"}), 2: ALL(), 3: ALL({"x", "y"}), 4: ALL({"x"}), 6: ALL(), 7: ALL({"y"})},
}  # fmt: skip


def assert_matches_reference(entry, reference):
    """A code's figures equal the reference computation: per pair, then their means, alpha."""
    for pair, (units, agree, kappa) in zip(entry["pairs"], reference["pairs"], strict=True):
        assert pair["units"] == units and same(pair["percent_agreement"], agree)
        assert same(pair["cohen_kappa"], kappa)
    assert same(entry["percent_agreement"], mean(p[1] for p in reference["pairs"]))
    assert same(entry["cohen_kappa"], mean(p[2] for p in reference["pairs"]))
    assert same(entry["krippendorff_alpha"], reference["alpha"])


def test_agreement_three_coders_match_references():
    coders = ["alice", "bob", "carol"]
    result = figures(CASE_3, coders, ["x", "y"])
    for code in ("x", "y"):
        entry, reference = result["codes"][code], ref_code(CASE_3, coders, code)
        assert [p["coders"] for p in entry["pairs"]] == [list(p) for p in combinations(coders, 2)]
        assert_matches_reference(entry, reference)
        assert entry["units"] == reference["units"] == 7  # 0-6; carol alone on 7
    overall = result["overall"]
    assert overall["units"] == 14
    assert same(overall["mean_kappa"], mean(result["codes"][c]["cohen_kappa"] for c in ("x", "y")))


def pooled_reference(data, coders, codes):
    """Overall: each pair's kappa over every (segment, code) both reviewed; alpha over the
    (segment, code) units reviewed by two coders or more."""
    pairs = []
    for a, b in combinations(coders, 2):
        shared = sorted(data[a].keys() & data[b].keys())
        x = [code in data[a][s] for code in codes for s in shared]
        y = [code in data[b][s] for code in codes for s in shared]
        pairs.append(ref_kappa(x, y))
    segs = sorted({s for c in coders for s in data[c]})
    units = [
        [int(code in data[c][s]) for c in coders if s in data[c]] for code in codes for s in segs
    ]
    return pairs, ref_alpha([u for u in units if len(u) >= 2])


@pytest.mark.parametrize("coders", [["alice", "bob"], ["alice", "bob", "carol"]])
def test_agreement_overall_pools_segments_and_codes(coders):
    result = figures(CASE_3, coders, ["x", "y"])
    kappas, alpha = pooled_reference(CASE_3, coders, ["x", "y"])
    overall = result["overall"]
    assert [p["cohen_kappa"] for p in overall["pairs"]] == pytest.approx(kappas)
    expected = kappas[0] if len(coders) == 2 else mean(kappas)
    assert overall["cohen_kappa"] == pytest.approx(expected)
    assert same(overall["krippendorff_alpha"], alpha)


ratings = st.dictionaries(
    st.integers(0, 11), st.frozensets(st.sampled_from(["x", "y"]), max_size=2), max_size=12
)


@settings(max_examples=60, deadline=None)
@given(st.lists(ratings, min_size=2, max_size=4))
def test_agreement_equals_references_on_random_cases(per_coder):
    coders = [f"c{i}" for i in range(len(per_coder))]
    data = dict(zip(coders, per_coder, strict=True))
    result = figures(data, coders, ["x", "y"])
    for code in ("x", "y"):
        entry, reference = result["codes"][code], ref_code(data, coders, code)
        assert_matches_reference(entry, reference)
    json.dumps(result, allow_nan=False)


# --- a real project --------------------------------------------------------------------------

CODEBOOK = """\
schema_version: 1
codes:
  - id: job_threat
    label: {fr: "Menace sur l'emploi", en: Threat to jobs}
    definition: Crainte que l'IA supprime des postes.
  - id: data_security
    label: {fr: Sécurité des données, en: Data security}
    definition: Fuites de données confidentielles.
  - id: training_needs
    label: {fr: Besoins de formation, en: Training needs}
    definition: Jamais formé.
"""
ANSWERS = [
    "Les postes de contrôle vont disparaître avec l'outil.",
    "On ne remplace plus les départs à la retraite.",
    "Nos plans partent peut-être chez un fournisseur étranger.",
    "J'ai peur pour mon emploi et pour nos données clients.",
    "Je n'ai jamais été formé à ces outils.",
    "Le matin je lis mes courriels en buvant un café.",
    "Nous avons un nouveau bâtiment depuis l'an dernier.",
    "La cantine est bonne et le parking est grand.",
]


def build(cli, project: Path, folder: Path) -> list[int]:
    """One interview, eight respondent segments, the codebook recorded; returns segment ids."""
    from qualkit.codebook import parse_codebook
    from qualkit.store.codings import record_codebook
    from qualkit.store.study import segment_rows

    folder.mkdir(exist_ok=True)
    lines = [f"Q : Question {i} ?\nR : {answer}" for i, answer in enumerate(ANSWERS)]
    write(folder / "entretien.txt", "\n".join(lines) + "\n")
    assert cli("import", project, folder).code == 0
    with Project.open(project) as proj, proj.transaction() as conn:
        record_codebook(conn, parse_codebook(CODEBOOK), "codebook.yaml")
        ids = [r["id"] for r in segment_rows(conn, interview="entretien.txt", role="respondent")]
    assert len(ids) == len(ANSWERS)
    return ids


# coder -> {segment index: (accepted codes, rejected codes)}
DECISIONS = {
    "alice": {0: ({"job_threat"}, ()), 1: ({"job_threat"}, ()), 2: ({"job_threat"}, ()),
              3: ({"data_security"}, ()), 4: ((), {"job_threat"}), 5: ((), {"job_threat"})},
    "bob": {0: ({"job_threat"}, ()), 1: ({"job_threat"}, ()), 2: ((), {"job_threat"}),
            3: ({"data_security", "job_threat"}, ()), 6: ((), {"data_security"})},
}  # fmt: skip
# (segment index, code, passes): the auto-coder's rows
AUTO = [(0, "job_threat", True), (1, "job_threat", False), (3, "data_security", True),
        (7, "training_needs", True)]  # fmt: skip


def code_project(project: Path, ids: list[int], decisions=DECISIONS, auto=AUTO) -> None:
    from qualkit.store.codings import decide, replace_suggestions

    with Project.open(project) as proj, proj.transaction() as conn:
        rows = [
            {"segment_id": ids[i], "code": code, "score": 0.9 if ok else 0.3, "passes": ok}
            for i, code, ok in auto
        ]
        replace_suggestions(conn, sorted({ids[i] for i, _, _ in auto}), rows, 1)
        for coder, per_segment in decisions.items():
            for i, (accepted, rejected) in per_segment.items():
                for code in accepted:
                    decide(conn, ids[i], code, coder, "accepted")
                for code in rejected:
                    decide(conn, ids[i], code, coder, "rejected")


@pytest.fixture
def coded(cli, project_path, tmp_path) -> tuple[Path, list[int]]:
    ids = build(cli, project_path, tmp_path / "src")
    code_project(project_path, ids)
    return project_path, ids


def read(project: Path, **options) -> dict:
    with Project.open(project) as proj, proj.reading() as conn:
        return agreement(conn, **options)


def test_agreement_project_reviewed_segments_and_hand_values(coded):
    project, _ = coded
    result = read(project)
    assert result["coders"] == ["alice", "bob"] and result["warnings"] == []
    codes = result["codes"]
    assert list(codes) == ["job_threat", "data_security", "training_needs"]
    # both reviewed segments 0-3; job_threat: alice {0,1,2}, bob {0,1,3}: po .5, pe .625
    assert codes["job_threat"]["units"] == 4
    assert codes["job_threat"]["percent_agreement"] == pytest.approx(0.5)
    assert codes["job_threat"]["cohen_kappa"] == pytest.approx(-1 / 3)
    assert codes["data_security"]["cohen_kappa"] == pytest.approx(1.0)
    nobody = codes["training_needs"]
    assert nobody["percent_agreement"] == 1.0 and nobody["cohen_kappa"] is None
    assert nobody["note"] == f"cohen_kappa and krippendorff_alpha {NO_VARIATION}"
    overall = result["overall"]
    # pooled table (3, 1, 1, 7): po 10/12, pe 5/9, kappa 10/16
    assert overall["units"] == 12 and overall["percent_agreement"] == pytest.approx(10 / 12)
    assert overall["cohen_kappa"] == pytest.approx(0.625)
    assert overall["mean_kappa"] == pytest.approx(1 / 3)
    job = [[1, 1], [1, 1], [1, 0], [0, 1]]
    assert codes["job_threat"]["krippendorff_alpha"] == pytest.approx(ref_alpha(job))
    pooled = job + [[0, 0]] * 3 + [[1, 1]] + [[0, 0]] * 4
    assert overall["krippendorff_alpha"] == pytest.approx(ref_alpha(pooled))


def test_agreement_project_auto_coder_as_one_more_coder(coded):
    project, _ = coded
    result = read(project, include_auto=True)
    assert result["coders"] == ["alice", "bob", "auto"]
    job = result["codes"]["job_threat"]
    assert [p["coders"] for p in job["pairs"]] == [
        ["alice", "bob"], ["alice", "auto"], ["bob", "auto"]]  # fmt: skip
    # auto reviewed 0, 1, 3 (a row on each), job_threat present on 0 only (1 does not pass)
    # alice on 0, 1, 3: {1, 1, 0} vs auto {1, 0, 0}
    assert job["pairs"][1]["units"] == 3
    assert job["pairs"][1]["cohen_kappa"] == pytest.approx(
        ref_kappa([True, True, False], [True, False, False])
    )
    units = [[1, 1, 1], [1, 1, 0], [1, 0], [0, 1, 0]]  # segments 0-3; auto skipped 2
    assert job["krippendorff_alpha"] == pytest.approx(ref_alpha(units))
    assert job["units"] == 4  # segment 7, reviewed by auto alone, is not a unit
    versus = result["auto_vs_people"]
    # stacked (auto, person) comparisons: 3 segments x 3 codes x 2 people
    assert versus["units"] == 18
    auto_x = [True, False, False, False, False, True, False, False, False] * 2
    people_x = [True, True, False, False, False, True, False, False, False]
    people_x += [True, True, True, False, False, True, False, False, False]
    assert versus["cohen_kappa"] == pytest.approx(ref_kappa(auto_x, people_x))


def test_agreement_project_ghost_coder_and_unknown_code(cli, coded):
    project, _ = coded
    result = cli("agreement", project, "--coders", "alice,ghost", "--json")
    assert result.code == 0
    assert "coder 'ghost' has no decisions" in result.err
    data = json.loads(result.out)
    assert data["coders"] == ["alice", "ghost"]
    assert all(e["units"] == 0 and e["cohen_kappa"] is None for e in data["codes"].values())
    bad = cli("agreement", project, "--codes", "job_threat,nope")
    assert bad.code == 2 and "no code 'nope'" in bad.err and "Traceback" not in bad.err


def test_agreement_cli_json_shape(cli, coded):
    project, _ = coded
    result = cli("agreement", project, "--codes", "job_threat", "--codes", "data_security",
                 "--include-auto", "--json")  # fmt: skip
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert {"coders", "codes", "overall"} <= data.keys()
    assert data["coders"] == ["alice", "bob", "auto"]
    assert list(data["codes"]) == ["job_threat", "data_security"]
    for entry in data["codes"].values():
        assert {"percent_agreement", "cohen_kappa", "krippendorff_alpha", "units",
                "pairs"} <= entry.keys()  # fmt: skip
        for pair in entry["pairs"]:
            assert {"coders", "units", "percent_agreement", "cohen_kappa"} <= pair.keys()
    assert {"percent_agreement", "cohen_kappa", "krippendorff_alpha", "units",
            "mean_kappa"} <= data["overall"].keys()  # fmt: skip
    text = cli("agreement", project, "--disagreements")
    assert text.code == 0 and "job_threat" in text.out and "all codes (pooled)" in text.out
    assert "2 segment(s) where the coders differ" in text.out


def test_agreement_disagreements_lists_segments_side_by_side(coded):
    project, ids = coded
    with Project.open(project) as proj, proj.reading() as conn:
        found = disagreements(conn, ["alice", "bob"])
        with_auto = disagreements(conn, ["alice", "bob", "auto"], ["job_threat"])
    assert [d.segment_id for d in found] == [ids[2], ids[3]]
    first = found[0]
    assert first.interview == "entretien.txt" and first.text == ANSWERS[2]
    assert first.codes == {"alice": ["job_threat"], "bob": []}
    assert first.disputed == ["job_threat"] and first.agreed == [] and not first.settled
    assert found[1].agreed == ["data_security"] and found[1].disputed == ["job_threat"]
    # segment 1: the auto-coder's suggestion does not pass, both people gave job_threat
    assert [d.segment_id for d in with_auto] == [ids[1], ids[2], ids[3]]
    assert with_auto[1].codes["auto"] is None  # the auto-coder has no row on segment 2


def test_agreement_settle_keeps_coders_rows_and_logs(coded):
    project, ids = coded
    with sqlite3.connect(project) as db:
        before = db.execute(
            "SELECT * FROM codings WHERE coder != 'consensus' ORDER BY id"
        ).fetchall()
    with Project.open(project) as proj:
        with proj.transaction() as conn:
            record = settle(conn, ids[3], {"data_security"}, "claire")
        with proj.reading() as conn:
            found = disagreements(conn, ["alice", "bob"])
            result = agreement(conn)
            named = agreement(conn, ["alice", CONSENSUS])
    assert record["before"] == {
        "alice": ["data_security"], "auto": ["data_security"],
        "bob": ["data_security", "job_threat"]}  # fmt: skip
    with sqlite3.connect(project) as db:
        assert (
            db.execute("SELECT * FROM codings WHERE coder != 'consensus' ORDER BY id").fetchall()
            == before
        )
        assert db.execute(
            "SELECT segment_id, code, status, origin FROM codings WHERE coder = 'consensus' "
            "ORDER BY code"
        ).fetchall() == [(ids[3], "data_security", "accepted", "settle"),
                         (ids[3], "job_threat", "rejected", "settle")]  # fmt: skip
        log = db.execute(
            "SELECT coder, interview, segment_id, before, after FROM decision_log "
            "WHERE action = 'settle'"
        ).fetchall()
    assert len(log) == 1
    coder, interview, segment, was, after = log[0]
    assert (coder, interview, segment) == ("claire", "entretien.txt", ids[3])
    assert json.loads(was)["bob"] == ["data_security", "job_threat"]
    assert json.loads(after) == ["data_security"]
    settled = next(d for d in found if d.segment_id == ids[3])
    assert settled.settled and settled.consensus == ["data_security"]
    assert settled.settled_by == "claire" and settled.settled_at is not None
    assert result["coders"] == ["alice", "bob"]  # consensus left out by default
    assert named["coders"] == ["alice", "consensus"]
    assert named["codes"]["data_security"]["units"] == 1


def test_agreement_settle_again_changes_the_consensus(coded):
    project, ids = coded
    with Project.open(project) as proj:
        for codes in ({"job_threat", "data_security"}, set()):
            with proj.transaction() as conn:
                settle(conn, ids[3], codes, "claire")
    with sqlite3.connect(project) as db:
        rows = db.execute(
            "SELECT code, status FROM codings WHERE coder = 'consensus' ORDER BY code"
        ).fetchall()
        settles = db.execute("SELECT count(*) FROM decision_log WHERE action = 'settle'")
        assert settles.fetchone() == (2,)
    assert rows == [("data_security", "rejected"), ("job_threat", "rejected")]


@pytest.mark.parametrize(
    ("segment", "codes", "coder", "message"),
    [
        (0, {"job_threat"}, "auto", "'auto' cannot settle"),
        (0, {"job_threat"}, "consensus", "'consensus' cannot settle"),
        (0, {"job_threat"}, "  ", "cannot settle"),
        (0, {"nope"}, "claire", "no code 'nope'"),
        (None, {"job_threat"}, "claire", "no segment 999999"),
    ],
)
def test_agreement_settle_refuses_bad_input(coded, segment, codes, coder, message):
    project, ids = coded
    with (
        Project.open(project) as proj,
        pytest.raises(QualkitError, match=message),
        proj.transaction() as conn,
    ):
        settle(conn, 999999 if segment is None else ids[segment], codes, coder)
    with sqlite3.connect(project) as db:
        assert db.execute("SELECT count(*) FROM codings WHERE coder='consensus'").fetchone() == (0,)


def test_agreement_settle_cli(cli, coded):
    project, ids = coded
    result = cli("settle", project, str(ids[2]), "--codes", "job_threat", "--coder", "claire")
    assert result.code == 0, result.err
    assert f"Settled segment {ids[2]} (entretien.txt): job_threat, by claire" in result.out
    none = cli("settle", project, str(ids[3]), "--codes", "", "--coder", "claire", "--json")
    assert none.code == 0 and json.loads(none.out)["after"] == []
    assert cli("settle", project, str(ids[2]), "--codes", "x", "--coder", "claire").code == 2
    listed = json.loads(cli("agreement", project, "--disagreements", "--json").out)
    assert [d["settled"] for d in listed["disagreements"]] == [True, True]


def test_agreement_report_table_with_auto_row(coded):
    from docx import Document

    from qualkit.report import write_report

    project, _ = coded
    for lang, auto_label, first in (
        ("fr", "auto-codage vs personnes",
         "Accord entre alice et bob (kappa de Cohen sur 4 décisions communes)"),
        ("en", "auto-coding vs people",
         "Agreement between alice and bob (Cohen's kappa on 4 shared decisions)"),
    ):  # fmt: skip
        out = io.BytesIO()
        with Project.open(project) as proj, proj.reading() as conn:
            write_report(conn, out, lang=lang)
        doc = Document(io.BytesIO(out.getvalue()))
        table = next(t for t in doc.tables if t.rows[0].cells[0].text == "Code")
        rows = [[c.text for c in r.cells] for r in table.rows]
        assert [r[0] for r in rows[1:]][-2:] == [
            "Ensemble des codes" if lang == "fr" else "All codes",
            auto_label,
        ]
        assert rows[1][1:] == (["4", "50,0 %", "-0,33", rows[1][4]] if lang == "fr"
                               else ["4", "50.0%", "-0.33", rows[1][4]])  # fmt: skip
        assert rows[3][1:4] == ["4", "100,0 %" if lang == "fr" else "100.0%", "—"]
        text = "\n".join(p.text for p in doc.paragraphs)
        assert first in text
