"""Nothing lost, nothing leaves the machine: kills, concurrent writers, backups, no network.

The slow parts run qualkit in subprocesses, as a user would; they share one imported project
(module fixture) built with network sockets blocked.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import CODEBOOK, ROOT, SAMPLE, dump

EMBEDDER = "fakes:HashingEmbedder"
TRANSCRIPT = SAMPLE / "entretien_02.txt"  # the smallest; one is enough to exercise every write
# Runs the CLI with `backup` registered even before cli.py imports cli_safety.
RUNNER = "import sys, qualkit.cli_safety; from qualkit.cli import main; main(sys.argv[1:])"

BLOCKER = textwrap.dedent(
    """
    import socket

    def _refuse(address):
        raise OSError(f"network blocked by the test: {address!r}")

    def _is_inet(sock):
        return sock.family in (socket.AF_INET, socket.AF_INET6)

    _connect, _connect_ex = socket.socket.connect, socket.socket.connect_ex

    def connect(self, address):
        if _is_inet(self):
            _refuse(address)
        return _connect(self, address)

    def connect_ex(self, address):
        if _is_inet(self):
            _refuse(address)
        return _connect_ex(self, address)

    def create_connection(address, *args, **kwargs):
        _refuse(address)

    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    socket.create_connection = create_connection
    """
)


def _env(extra_path: Path | None = None) -> dict[str, str]:
    paths = [str(p) for p in (extra_path, ROOT / "tests", ROOT) if p is not None]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths), "HF_HUB_OFFLINE": "1"}


def _argv(*args) -> list[str]:
    return [sys.executable, "-c", RUNNER, *(str(a) for a in args)]


def qualkit(*args, env=None, check=True) -> subprocess.CompletedProcess:
    done = subprocess.run(_argv(*args), env=env or _env(), capture_output=True, text=True)
    if check:
        assert done.returncode == 0, done.stderr
    return done


def consistency(path: Path) -> list[str]:
    """What is wrong with a project file; empty when it opens and holds no half-written work."""
    from qualkit.store import Project

    Project.open(path).close()
    problems = []
    with sqlite3.connect(path) as conn:
        if (ok := conn.execute("PRAGMA integrity_check").fetchone()[0]) != "ok":
            problems.append(f"integrity_check: {ok}")
        problems += [f"foreign key: {row}" for row in conn.execute("PRAGMA foreign_key_check")]
        for table in ("turns", "segments"):
            bare = conn.execute(
                f"SELECT name FROM interviews WHERE id NOT IN (SELECT interview_id FROM {table})"
            ).fetchall()
            problems += [f"interview {name} has no {table}" for (name,) in bare]
        orphans = conn.execute(
            "SELECT count(*) FROM codings WHERE segment_id NOT IN (SELECT id FROM segments)"
        ).fetchone()[0]
        if orphans:
            problems.append(f"{orphans} codings point to no segment")
    return problems


def kill_at_random(args, delays, env) -> int:
    """Start `qualkit ARGS` once per delay and SIGKILL it then; how many were killed mid-run."""
    killed = 0
    for delay in delays:
        proc = subprocess.Popen(
            _argv(*args), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.wait()
    return killed


def kill_while_writing(args, project: Path, env) -> bool:
    """SIGKILL `qualkit ARGS` the moment its transaction reaches the file (the WAL grows)."""
    wal = Path(f"{project}-wal")
    size = lambda: wal.stat().st_size if wal.exists() else 0  # noqa: E731
    before = size()
    proc = subprocess.Popen(
        _argv(*args), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    while proc.poll() is None and size() == before:
        time.sleep(0.001)
    hit = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return hit


@pytest.fixture(scope="module")
def blocked_env(tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("nonet")
    (folder / "sitecustomize.py").write_text(BLOCKER)
    return _env(folder)


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory, blocked_env) -> dict[str, Path]:
    """init, import and code one interview with the network blocked; copies at each stage."""
    folder = tmp_path_factory.mktemp("pipeline")
    (folder / "in").mkdir()
    shutil.copy(TRANSCRIPT, folder / "in")
    project = folder / "study.qualkit"
    qualkit("init", project, env=blocked_env)
    qualkit("import", project, folder / "in", env=blocked_env)
    shutil.copy(project, folder / "imported.qualkit")
    qualkit("code", project, "--codebook", CODEBOOK, "--embedder", EMBEDDER, env=blocked_env)
    return {"folder": folder, "imported": folder / "imported.qualkit", "coded": project}


def test_safety_blocker_refuses_network(blocked_env):
    probe = "import socket; socket.create_connection(('127.0.0.1', 9))"
    done = subprocess.run(
        [sys.executable, "-c", probe], env=blocked_env, capture_output=True, text=True
    )
    assert done.returncode != 0 and "network blocked by the test" in done.stderr


def test_safety_pipeline_runs_offline(pipeline, blocked_env):
    coded = pipeline["coded"]
    out = pipeline["folder"]
    topics = qualkit("topics", coded, "--embedder", EMBEDDER, "--json", env=blocked_env)
    assert '"label"' in topics.stdout
    qualkit("report", coded, "-o", out / "report.docx", env=blocked_env)
    for fmt in ("xlsx", "qdpx"):
        qualkit("export", coded, "--format", fmt, "-o", out / f"study.{fmt}", env=blocked_env)
    for name in ("report.docx", "study.xlsx", "study.qdpx"):
        assert (out / name).stat().st_size > 0
    with sqlite3.connect(coded) as conn:
        assert conn.execute("SELECT count(*) FROM codings WHERE coder='auto'").fetchone()[0] > 0


def test_safety_import_survives_sigkill(tmp_path):
    (tmp_path / "in").mkdir()
    for name in ("entretien_02.txt", "entretien_07.txt"):
        shutil.copy(SAMPLE / name, tmp_path / "in")
    project = tmp_path / "study.qualkit"
    qualkit("init", project)
    args = ["import", project, tmp_path / "in"]
    rng = random.Random(7)
    killed = kill_at_random(args, [rng.uniform(1.0, 10.0) for _ in range(2)], _env())
    assert consistency(project) == []
    assert kill_while_writing(args, project, _env()), "the import ended before it was killed"
    assert consistency(project) == []
    with sqlite3.connect(project) as conn:  # one transaction: no interview or all of them
        assert conn.execute("SELECT count(*) FROM interviews").fetchone()[0] in (0, 2)
    print(f"import: {killed} random kills mid-run, 1 kill while writing")
    qualkit("import", project, tmp_path / "in")
    assert consistency(project) == []
    with sqlite3.connect(project) as conn:
        assert conn.execute("SELECT count(*) FROM interviews").fetchone()[0] == 2


def test_safety_code_survives_sigkill(pipeline, tmp_path):
    project = tmp_path / "study.qualkit"
    shutil.copy(pipeline["imported"], project)
    args = ["code", project, "--codebook", CODEBOOK, "--embedder", EMBEDDER]
    rng = random.Random(11)
    killed = kill_at_random(args, [rng.uniform(1.0, 12.0) for _ in range(2)], _env())
    assert consistency(project) == []
    assert kill_while_writing(args, project, _env()), "the coder ended before it was killed"
    assert consistency(project) == []
    with sqlite3.connect(project) as conn:  # nothing of the killed runs landed
        assert conn.execute("SELECT count(*) FROM codings").fetchone()[0] == 0
    print(f"code: {killed} random kills mid-run, 1 kill while writing")
    qualkit(*args)
    assert consistency(project) == []
    with sqlite3.connect(project) as conn, sqlite3.connect(pipeline["coded"]) as done:
        query = "SELECT count(DISTINCT segment_id), count(*) FROM codings WHERE coder='auto'"
        assert conn.execute(query).fetchone() == done.execute(query).fetchone()


WRITER = """
import sys
from qualkit.store import Project
from qualkit.store.codings import decide

path, coder = sys.argv[1], sys.argv[2]
with Project.open(path) as project:
    with project.reading() as conn:
        ids = [r[0] for r in conn.exec_driver_sql("SELECT id FROM segments ORDER BY id LIMIT 20")]
    for i in range(200):
        with project.transaction() as conn:  # one decision, one transaction, as the app does
            decide(conn, ids[i % 20], f"code_{i // 20}", coder, ("accepted", "rejected")[i % 2])
"""


def test_safety_two_writers_lose_no_decision(pipeline, tmp_path):
    project = tmp_path / "study.qualkit"
    shutil.copy(pipeline["imported"], project)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(project), coder],
            env=_env(),
            stderr=subprocess.PIPE,
            text=True,
        )
        for coder in ("alice", "bruno")
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    with sqlite3.connect(project) as conn:
        counts = dict(
            conn.execute(
                "SELECT coder, count(*) FROM codings WHERE coder != 'auto' GROUP BY coder"
            ).fetchall()
        )
        logged = conn.execute("SELECT count(*) FROM decision_log").fetchone()[0]
    assert counts == {"alice": 200, "bruno": 200}
    assert logged == 400
    assert consistency(project) == []


def test_safety_backup_while_another_process_writes(pipeline, tmp_path):
    project = tmp_path / "study.qualkit"
    shutil.copy(pipeline["imported"], project)
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(project), "alice"], env=_env())
    try:
        time.sleep(1.5)  # the writer is deciding by now
        copies = []
        for i in range(3):
            copy = tmp_path / f"copy{i}.qualkit"
            qualkit("backup", project, "-o", copy)
            copies.append(copy)
    finally:
        writer.wait(timeout=120)
    assert writer.returncode == 0
    for copy in copies:
        assert not Path(f"{copy}-wal").exists()
        assert consistency(copy) == []


@pytest.mark.parametrize(
    "target, force, problem",
    [
        ("exists.qualkit", False, "already exists"),
        ("exists.qualkit", True, None),
        ("missing/copy.qualkit", False, "folder does not exist"),
        (".", False, "is a folder"),
    ],
)
def test_safety_backup_refuses_bad_target(project_path, tmp_path, cli, target, force, problem):
    import qualkit.cli_safety  # noqa: F401  (until cli.py imports it)

    (tmp_path / "exists.qualkit").write_bytes(b"old")
    args = ["backup", project_path, "-o", tmp_path / target] + (["--force"] if force else [])
    result = cli(*args)
    if problem is None:
        assert result.code == 0, result.err
        assert consistency(tmp_path / target) == []
    else:
        assert result.code == 2 and problem in result.err
        assert len(result.err.strip().splitlines()) == 1
        assert (tmp_path / "exists.qualkit").read_bytes() == b"old"


def test_safety_backup_refuses_postgresql_url(cli):
    import qualkit.cli_safety  # noqa: F401

    result = cli("backup", "postgresql://me:secret@db.example/study", "-o", "x.qualkit")
    assert result.code == 2 and "pg_dump" in result.err
    assert "secret" not in result.err


def test_safety_read_only_project_refuses_import(project_path, tmp_path):
    (tmp_path / "in").mkdir()
    shutil.copy(TRANSCRIPT, tmp_path / "in")
    before, raw = dump(project_path), project_path.read_bytes()
    project_path.chmod(0o444)
    try:
        done = qualkit("import", project_path, tmp_path / "in", check=False)
    finally:
        project_path.chmod(0o644)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and str(project_path) in lines[0] and "read-only" in lines[0]
    assert "Traceback" not in done.stderr
    assert project_path.read_bytes() == raw and dump(project_path) == before
