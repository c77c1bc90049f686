"""The project store: creation, opening, migrations, transactions, and refusing what is not a
project; on an SQLite file and on a PostgreSQL server (see `backend` in conftest.py)."""

from __future__ import annotations

import socket
import sqlite3
import threading
import uuid

import pytest
from sqlalchemy import create_engine, func, insert, select, text

from qualkit.errors import QualkitError
from qualkit.store import Project
from qualkit.store.project import MIGRATIONS, display
from qualkit.store.schema import SCHEMA_REVISION, metadata, project_meta


def test_store_create_and_open(new_location, backend):
    location = new_location()
    with Project.create(location, name="Étude") as project:
        assert project.meta("name") == "Étude"
    with Project.open(location) as project:
        assert project.meta("app") == "qualkit"
        assert project.dialect == {"sqlite": "sqlite", "postgres": "postgresql"}[backend]
        with project.reading() as conn:
            if backend == "sqlite":
                assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            else:  # a reading block sees one snapshot, as SQLite's WAL gives
                isolation = conn.exec_driver_sql("SHOW transaction_isolation").scalar()
                assert isolation == "repeatable read"


def test_store_migrations_head_is_the_code_revision():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == SCHEMA_REVISION


def test_store_migrations_build_the_declared_schema(project_location):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with Project.open(project_location) as project, project.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_store_postgres_column_types(pg_database):
    """JSON, bytes, booleans and aware timestamps get PostgreSQL's own types."""
    with Project.create(pg_database) as project, project.reading() as conn:
        types = dict(
            conn.execute(
                text(
                    "SELECT table_name || '.' || column_name, data_type"
                    " FROM information_schema.columns WHERE table_schema = 'public'"
                )
            ).all()
        )
    assert types["codings.explanation"] == "json"
    assert types["codings.passes"] == "boolean"
    assert types["embeddings.vector"] == "bytea"
    assert types["decision_log.at"] == "timestamp with time zone"
    assert types["topics.emerging"] == "boolean"
    assert types["codings.id"] == "integer"


def test_store_transaction_rolls_back_everything(project_location):
    with Project.open(project_location) as project:
        with pytest.raises(RuntimeError), project.transaction() as conn:
            conn.execute(insert(project_meta).values(key="half", value=1))
            raise RuntimeError("boom")
        with project.reading() as conn:
            assert (
                conn.execute(select(project_meta).where(project_meta.c.key == "half")).first()
                is None
            )


def _increment(location: str, times: int, errors: list) -> None:
    """Read a counter, then write it plus one: a lost update shows if writers overlap."""
    try:
        with Project.open(location) as project:
            for _ in range(times):
                with project.transaction() as conn:
                    value = conn.execute(
                        select(project_meta.c.value).where(project_meta.c.key == "counter")
                    ).scalar()
                    project.set_meta(conn, "counter", (value or 0) + 1)
    except Exception as exc:  # reported by the test's thread
        errors.append(exc)


def test_store_concurrent_writers_lose_no_update(project_location):
    errors: list = []
    threads = [
        threading.Thread(target=_increment, args=(project_location, 40, errors)) for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    with Project.open(project_location) as project:
        assert project.meta("counter") == 120


def test_store_reader_does_not_block_a_writer(project_location):
    """A connection that wrote once and then reads takes no write lock (SQLite: no BEGIN
    IMMEDIATE from a pooled connection; PostgreSQL: readers take no advisory lock)."""
    with Project.open(project_location) as project:
        with project.transaction() as conn:
            project.set_meta(conn, "x", 1)
        done = threading.Event()
        with project.reading() as conn:
            assert conn.execute(select(project_meta.c.value)).first() is not None

            def write() -> None:
                with Project.open(project_location) as other, other.transaction() as conn2:
                    other.set_meta(conn2, "x", 2)
                done.set()

            writer = threading.Thread(target=write)
            writer.start()
            assert done.wait(timeout=10), "a reading block held the write lock"
            writer.join()
        assert project.meta("x") == 2


def test_store_postgres_writer_waits_then_says_try_again(pg_database, monkeypatch):
    """A writer queues behind another (the advisory lock); past the timeout, one line."""
    from qualkit.store import project as store_project

    Project.create(pg_database).close()
    monkeypatch.setattr(store_project, "LOCK_TIMEOUT", "300ms")
    holder = _engine(pg_database)
    with holder.connect() as conn, Project.open(pg_database) as project:
        conn.execute(select(func.pg_advisory_lock(store_project.WRITER_LOCK)))
        refused = pytest.raises(QualkitError, match="holds a lock on it; try again")
        with refused, project.transaction() as tx:
            project.set_meta(tx, "x", 1)
        conn.execute(select(func.pg_advisory_unlock(store_project.WRITER_LOCK)))
        with project.transaction() as tx:  # free again: the write goes through
            project.set_meta(tx, "x", 2)
        assert project.meta("x") == 2
    holder.dispose()


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda p: None, "no such project"),
        (lambda p: p.write_text("hello"), "not an SQLite file"),
        (
            lambda p: sqlite3.connect(p).execute("create table t(x)").connection.commit(),
            "no project table",
        ),
        (lambda p: p.mkdir(), "is a folder"),
    ],
)
def test_store_open_refuses_what_is_not_a_project(tmp_path, make, problem):
    path = tmp_path / "x.qualkit"
    make(path)
    with pytest.raises(QualkitError, match=problem):
        Project.open(path)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"port": "free"}, "no server answers there"),
        ({"database": "qk_no_such_database"}, "no such database"),
        ({"username": "nobody", "password": "s3cret-pw"}, "no such user"),
        ({"database": "empty"}, "no project table"),
    ],
)
def test_store_open_refuses_a_bad_postgres_url(postgres, pg_database, change, problem):
    url = postgres.url.set(password="s3cret-pw")
    if change.get("port") == "free":
        url = url.set(port=_free_port())
    elif change.get("database") == "empty":
        url = url.set(database=pg_database.rsplit("/", 1)[-1])
    else:
        url = url.set(**change)
    location = url.render_as_string(hide_password=False)
    with pytest.raises(QualkitError, match=problem) as caught:
        Project.open(location)
    message = str(caught.value)
    assert "s3cret-pw" not in message and "***" in message
    assert len(message.splitlines()) == 1


@pytest.mark.parametrize(
    ("location", "problem"),
    [
        ("mysql://me@db.example/study", "SQLite file .* or a PostgreSQL database"),
        ("postgresql://me:pw@db.example", "names no database"),
    ],
)
def test_store_refuses_other_urls(location, problem):
    with pytest.raises(QualkitError, match=problem) as caught:
        Project.create(location)
    assert ":pw@" not in str(caught.value)


@pytest.mark.parametrize(
    ("location", "shown"),
    [
        (
            "postgresql://me:s3cret@db.example:5432/study",
            "postgresql://me:***@db.example:5432/study",
        ),
        ("postgresql://me@db.example/study", "postgresql://me@db.example/study"),
        ("/tmp/study.qualkit", "/tmp/study.qualkit"),
    ],
)
def test_store_display_masks_the_password(location, shown):
    assert display(location) == shown


def _engine(location: str):
    """A plain engine on a project, beside qualkit's, as another program would open it."""
    return create_engine(location if "://" in location else f"sqlite:///{location}")


def test_store_newer_schema_is_refused(project_location):
    engine = _engine(project_location)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num='9999'"))
    engine.dispose()
    with pytest.raises(QualkitError, match="newer qualkit"):
        Project.open(project_location)


def test_store_create_refuses_existing(project_location):
    with pytest.raises(QualkitError, match="already (exists|holds a qualkit project)"):
        Project.create(project_location)


def test_store_create_refuses_a_database_with_other_tables(pg_database):
    location = pg_database
    engine = _engine(location)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE payroll (id integer)"))
    with pytest.raises(QualkitError, match="not empty"):
        Project.create(location)
    with engine.connect() as conn:  # nothing was added beside the table that was there
        assert (
            conn.execute(
                text("SELECT count(*) FROM information_schema.tables WHERE table_schema='public'")
            ).scalar()
            == 1
        )
    engine.dispose()


def test_store_read_only_file_reads_but_refuses_writes(project_path):
    project_path.chmod(0o444)
    try:
        with Project.open(project_path) as project:
            assert project.meta("app") == "qualkit"
            with pytest.raises(QualkitError, match="read-only"), project.transaction() as conn:
                conn.execute(insert(project_meta).values(key="x", value=1))
    finally:
        project_path.chmod(0o644)


def test_store_postgres_read_only_user_reads_but_refuses_writes(pg_database):
    from sqlalchemy import make_url

    Project.create(pg_database).close()
    role = f"reader_{uuid.uuid4().hex[:8]}"
    admin = _engine(pg_database)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN"))
        conn.execute(text(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}"))
    try:
        location = make_url(pg_database).set(username=role).render_as_string(False)
        with Project.open(location) as project:
            assert project.meta("app") == "qualkit"
            refused = pytest.raises(QualkitError, match="may not read or write it")
            with refused, project.transaction() as conn:
                conn.execute(insert(project_meta).values(key="x", value=1))
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP OWNED BY {role}"))
            conn.execute(text(f"DROP ROLE {role}"))
        admin.dispose()


def test_store_old_project_is_migrated_on_open(new_location):
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import inspect

    location = new_location("old")
    engine = _engine(location)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    command.upgrade(config, "0001")
    with engine.begin() as conn:
        conn.execute(text("insert into project_meta(key, value) values ('app', '\"qualkit\"')"))
    with Project.open(location) as project, project.reading() as conn:
        assert (
            conn.execute(text("select version_num from alembic_version")).scalar()
            == SCHEMA_REVISION
        )
    assert "lemma_cache" in inspect(engine).get_table_names()
    engine.dispose()
