"""Shared fixtures: the real French pipeline, fresh projects (SQLite files or PostgreSQL
databases), and an in-process CLI."""

from __future__ import annotations

import os
import sqlite3
import uuid
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


# --- both backends -----------------------------------------------------------------------------
# A test that takes `backend` (or `project_location`, `new_location`) runs twice: on an SQLite
# file and on a PostgreSQL server, the one QUALKIT_TEST_POSTGRES names (an admin URL; start a
# throwaway server with `scripts/test-postgres.sh run ...`). Without it the PostgreSQL run is
# skipped, except in CI (CI=true), where it fails.

POSTGRES_URL = os.environ.get("QUALKIT_TEST_POSTGRES", "")
IN_CI = os.environ.get("CI", "").lower() == "true"
BACKENDS = [
    "sqlite",
    pytest.param(
        "postgres",
        marks=[]
        if POSTGRES_URL or IN_CI
        else pytest.mark.skip(
            reason="PostgreSQL not tested: set QUALKIT_TEST_POSTGRES "
            "(scripts/test-postgres.sh run .venv/bin/python -m pytest ...)"
        ),
    ),
]


class PostgresServer:
    """Fresh databases on the test server: each test gets its own, dropped afterwards."""

    def __init__(self, url: str) -> None:
        from sqlalchemy import create_engine, make_url

        self.url = make_url(url)
        if self.url.drivername == "postgresql":  # the driver qualkit installs: psycopg 3
            self.url = self.url.set(drivername="postgresql+psycopg")
        self.admin = create_engine(self.url, isolation_level="AUTOCOMMIT", pool_size=1)

    def location(self, database: str) -> str:
        return self.url.set(database=database).render_as_string(hide_password=False)

    def create(self, template: str | None = None) -> str:
        """A new database (empty, or a copy of TEMPLATE); returns its URL."""
        from sqlalchemy import text

        name = f"qk_{uuid.uuid4().hex[:16]}"
        clause = f" TEMPLATE {template}" if template else ""
        with self.admin.connect() as conn:
            if conn.dialect.server_version_info >= (15,):
                clause += " STRATEGY FILE_COPY"  # ten times faster than WAL_LOG for tiny ones
            conn.execute(text(f"CREATE DATABASE {name}{clause}"))
        return self.location(name)

    def drop(self, location: str) -> None:
        from sqlalchemy import make_url, text

        name = make_url(location).database
        with self.admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture(scope="session")
def postgres() -> PostgresServer:
    if not POSTGRES_URL and IN_CI:
        pytest.fail("CI tests PostgreSQL too: QUALKIT_TEST_POSTGRES is not set (see .ci/run)")
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL not tested: set QUALKIT_TEST_POSTGRES")
    server = PostgresServer(POSTGRES_URL)
    try:
        server.admin.connect().close()
    except Exception as exc:  # any reason: say which server and why
        pytest.fail(f"no PostgreSQL server at QUALKIT_TEST_POSTGRES ({exc})")
    yield server
    server.admin.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def new_location(backend, request, tmp_path):
    """Make fresh, empty places for projects: file paths, or new PostgreSQL databases."""
    made: list[str] = []
    server = request.getfixturevalue("postgres") if backend == "postgres" else None

    def make(name: str = "study") -> str:
        location = server.create() if server else str(tmp_path / f"{name}.qualkit")
        made.append(location)
        return location

    yield make
    for location in made if server else ():
        server.drop(location)


@pytest.fixture
def pg_database(postgres) -> str:
    """A fresh, empty PostgreSQL database (for tests of PostgreSQL alone); its URL."""
    location = postgres.create()
    yield location
    postgres.drop(location)


@pytest.fixture
def project_location(new_location) -> str:
    """An empty project on each backend: a file path or a PostgreSQL URL."""
    from qualkit.store import Project

    location = new_location()
    Project.create(location).close()
    return location


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
