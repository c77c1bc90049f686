"""Metrics against values computed by hand, and gold-file errors."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import write

from qualkit.errors import QualkitError
from qualkit.evaluation import GoldItem, average_precision, binary_metrics, evaluate, read_gold


def test_evaluation_binary_metrics_by_hand():
    # tp=2 (a, b), fp=1 (c), fn=1 (d), tn=2 (e, f)
    truth = np.array([1, 1, 0, 1, 0, 0])
    pred = np.array([1, 1, 1, 0, 0, 0])
    m = binary_metrics(truth, pred, np.array([0.9, 0.8, 0.7, 0.1, 0.2, 0.0]))
    assert (m["tp"], m["fp"], m["fn"], m["tn"]) == (2, 1, 1, 2)
    assert m["precision"] == pytest.approx(2 / 3)
    assert m["recall"] == pytest.approx(2 / 3)
    assert m["f1"] == pytest.approx(2 / 3)
    # po = 4/6; pe = (3/6)(3/6) + (3/6)(3/6) = 1/2; kappa = (2/3 - 1/2) / (1/2) = 1/3
    assert m["kappa"] == pytest.approx(1 / 3)
    # ranking: a(+) b(+) c(-) f? scores .2 e(-), .1 d(+), 0 f(-): AP = (1/1 + 2/2 + 3/5) / 3
    assert m["average_precision"] == pytest.approx((1 + 1 + 3 / 5) / 3)


def test_evaluation_ap_ties_count_against():
    truth = np.array([1, 0])
    assert average_precision(truth, np.array([0.5, 0.5])) == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("truth", "pred", "kappa"),
    [
        ([1, 0, 1, 0], [1, 0, 1, 0], 1.0),
        ([1, 0, 1, 0], [0, 1, 0, 1], -1.0),
        ([0, 0, 0, 0], [0, 0, 0, 0], 1.0),
    ],
)
def test_evaluation_kappa_edges(truth, pred, kappa):
    m = binary_metrics(np.array(truth), np.array(pred), np.array(pred, dtype=float))
    assert m["kappa"] == pytest.approx(kappa)


def test_evaluation_macro_and_micro():
    items = [
        GoldItem("1", "a", frozenset({"x"}), "g"),
        GoldItem("2", "b", frozenset(), "g"),
        GoldItem("3", "c", frozenset({"y"}), "g"),
    ]
    predicted = [{"x"}, {"x"}, set()]
    scores = [{"x": 1.0}, {"x": 0.9}, {}]
    result = evaluate(items, ["x", "y"], predicted, scores)
    # x: P=1/2 R=1 F1=2/3; y: F1=0 -> macro 1/3. micro: tp=1 fp=1 fn=1 -> 1/2
    assert result["macro_f1"] == pytest.approx(1 / 3)
    assert result["micro_f1"] == pytest.approx(1 / 2)
    assert result["predictions"][0] == {"id": "1", "codes": ["x"], "scores": {"x": 1.0}}


@pytest.mark.parametrize(
    ("content", "line", "problem"),
    [
        (
            '{"id": 1, "text": "a", "codes": []}\n{"id": 2, "text": "b", "codes": [}\n',
            2,
            "not valid JSON",
        ),
        ('{"id": 1, "text": "a"}\n', 1, "missing field 'codes'"),
        ('{"id": 1, "text": "a", "codes": ["nope"]}\n', 1, "unknown code 'nope'"),
        (
            '{"id": 1, "text": "a", "codes": []}\n{"id": 1, "text": "b", "codes": []}\n',
            2,
            "duplicate id",
        ),
        ('["a"]\n', 1, "JSON object"),
    ],
)
def test_evaluation_gold_errors_name_the_line(tmp_path, content, line, problem):
    path = write(tmp_path / "g.jsonl", content)
    with pytest.raises(QualkitError) as info:
        read_gold(path, ["x"])
    assert info.value.line == line and problem in info.value.problem
