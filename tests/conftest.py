"""Shared fixtures: the real French pipeline, fresh project files, and an in-process CLI."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "transcripts"
CODEBOOK = ROOT / "codebook" / "codebook.yaml"


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys):
    """Run `qualkit ARGS...` in this process; returns exit code, stdout and stderr."""
    from qualkit.cli import main

    def run(*args: str | Path) -> Result:
        capsys.readouterr()
        try:
            main([str(a) for a in args])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def project_path(tmp_path) -> Path:
    from qualkit.store import Project

    path = tmp_path / "study.qualkit"
    Project.create(path).close()
    return path


@pytest.fixture(scope="session")
def nlp_fr():
    from qualkit.nlp import sentence_pipeline

    return sentence_pipeline("fr")


def dump(path: Path) -> list[str]:
    """Every row of a project file, to check that a failed command changed nothing."""
    with sqlite3.connect(path) as conn:
        return list(conn.iterdump())


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path
