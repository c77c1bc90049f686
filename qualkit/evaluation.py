"""Gold files and agreement metrics for auto-coding: precision, recall, F1, kappa, AP."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qualkit.errors import QualkitError


@dataclass(frozen=True)
class GoldItem:
    id: str
    text: str
    codes: frozenset[str]
    group: str  # interviews for cross-validation: the `interview` field, or the id before '#'


def read_gold(path: str | Path, known_codes: Sequence[str] | None = None) -> list[GoldItem]:
    """A JSONL file of {"id", "text", "codes"}; a malformed line is an error naming the line."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError:
        raise QualkitError("no such file", path=path) from None
    except UnicodeDecodeError:
        raise QualkitError("not UTF-8 text", path=path) from None
    items: list[GoldItem] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise QualkitError(f"not valid JSON ({exc.msg})", path=path, line=number) from None
        if not isinstance(record, dict):
            raise QualkitError("each line must be a JSON object", path=path, line=number)
        for key, kind in (("id", (str, int)), ("text", str), ("codes", list)):
            if key not in record:
                raise QualkitError(f"missing field '{key}'", path=path, line=number, field=key)
            if not isinstance(record[key], kind):
                raise QualkitError(f"'{key}' has the wrong type", path=path, line=number, field=key)
        codes = record["codes"]
        if not all(isinstance(c, str) for c in codes):
            raise QualkitError(
                "'codes' must be a list of code ids", path=path, line=number, field="codes"
            )
        if known_codes is not None:
            unknown = [c for c in codes if c not in known_codes]
            if unknown:
                raise QualkitError(
                    f"unknown code '{unknown[0]}' (not in the codebook)",
                    path=path,
                    line=number,
                    field="codes",
                )
        item_id = str(record["id"])
        if item_id in seen:
            raise QualkitError(f"duplicate id '{item_id}'", path=path, line=number, field="id")
        seen.add(item_id)
        group = str(record.get("interview") or item_id.split("#")[0])
        items.append(GoldItem(item_id, record["text"], frozenset(codes), group))
    if not items:
        raise QualkitError("no items", path=path)
    return items


def binary_metrics(truth: np.ndarray, predicted: np.ndarray, scores: np.ndarray) -> dict:
    """Precision, recall, F1, support, Cohen's kappa and average precision for one code."""
    truth = truth.astype(bool)
    predicted = predicted.astype(bool)
    tp = int(np.sum(truth & predicted))
    fp = int(np.sum(~truth & predicted))
    fn = int(np.sum(truth & ~predicted))
    tn = int(np.sum(~truth & ~predicted))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "support": int(truth.sum()),
        "kappa": cohen_kappa(tp, fp, fn, tn),
        "average_precision": average_precision(truth, scores),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
    }


def cohen_kappa(tp: int, fp: int, fn: int, tn: int) -> float:
    """Kappa of two binary raters from their 2x2 table; 1.0 when both agree on everything."""
    n = tp + fp + fn + tn
    if n == 0:
        return 0.0
    observed = (tp + tn) / n
    expected = ((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)) / (n * n)
    if expected == 1.0:
        return 1.0 if observed == 1.0 else 0.0
    return (observed - expected) / (1 - expected)


def average_precision(truth: np.ndarray, scores: np.ndarray) -> float:
    """Mean of the precision at each relevant item, ranking by score (ties: worst case)."""
    truth = truth.astype(bool)
    positives = int(truth.sum())
    if positives == 0:
        return 0.0
    order = np.lexsort((truth, -scores))  # among equal scores, negatives first
    hits = truth[order]
    precision_at = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float(precision_at[hits].sum() / positives)


def evaluate(
    items: Sequence[GoldItem],
    code_ids: Sequence[str],
    predicted: Sequence[set[str]],
    scores: Sequence[dict[str, float]],
) -> dict:
    """Per-code and overall figures, and the predictions, in the `qualkit evaluate` shape."""
    per_code = {}
    all_tp = all_fp = all_fn = 0
    for code in code_ids:
        truth = np.array([code in item.codes for item in items])
        pred = np.array([code in p for p in predicted])
        score = np.array([s.get(code, 0.0) for s in scores])
        metrics = binary_metrics(truth, pred, score)
        all_tp, all_fp, all_fn = (
            all_tp + metrics["tp"],
            all_fp + metrics["fp"],
            all_fn + metrics["fn"],
        )
        per_code[code] = metrics
    precision = all_tp / (all_tp + all_fp) if all_tp + all_fp else 0.0
    recall = all_tp / (all_tp + all_fn) if all_tp + all_fn else 0.0
    return {
        "macro_f1": float(np.mean([m["f1"] for m in per_code.values()])) if per_code else 0.0,
        "micro_f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "codes": per_code,
        "predictions": [
            {"id": item.id, "codes": sorted(p), "scores": {k: round(v, 4) for k, v in s.items()}}
            for item, p, s in zip(items, predicted, scores, strict=True)
        ],
    }
