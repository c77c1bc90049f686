"""The project store: creation, opening, migrations, and refusing what is not a project."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import insert, select

from qualkit.errors import QualkitError
from qualkit.store import Project
from qualkit.store.project import MIGRATIONS
from qualkit.store.schema import SCHEMA_REVISION, metadata, project_meta


def test_store_create_and_open(tmp_path):
    path = tmp_path / "s.qualkit"
    with Project.create(path, name="Étude") as project:
        assert project.meta("name") == "Étude"
    with Project.open(path) as project:
        assert project.meta("app") == "qualkit"
        with project.reading() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_store_migrations_head_is_the_code_revision():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == SCHEMA_REVISION


def test_store_migrations_build_the_declared_schema(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with Project.create(tmp_path / "s.qualkit") as project, project.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_store_transaction_rolls_back_everything(project_path):
    with Project.open(project_path) as project:
        with pytest.raises(RuntimeError), project.transaction() as conn:
            conn.execute(insert(project_meta).values(key="half", value=1))
            raise RuntimeError("boom")
        with project.reading() as conn:
            assert (
                conn.execute(select(project_meta).where(project_meta.c.key == "half")).first()
                is None
            )


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


def test_store_newer_schema_is_refused(project_path):
    with sqlite3.connect(project_path) as conn:
        conn.execute("UPDATE alembic_version SET version_num='9999'")
    with pytest.raises(QualkitError, match="newer qualkit"):
        Project.open(project_path)


def test_store_create_refuses_existing(project_path):
    with pytest.raises(QualkitError, match="already exists"):
        Project.create(project_path)


def test_store_read_only_file_reads_but_refuses_writes(project_path):
    project_path.chmod(0o444)
    try:
        with Project.open(project_path) as project:
            assert project.meta("app") == "qualkit"
            with pytest.raises(QualkitError, match="read-only"), project.transaction() as conn:
                conn.execute(insert(project_meta).values(key="x", value=1))
    finally:
        project_path.chmod(0o644)


def test_store_old_project_is_migrated_on_open(tmp_path):
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine, inspect

    path = tmp_path / "old.qualkit"
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", f"sqlite:///{path}")
    command.upgrade(config, "0001")
    with sqlite3.connect(path) as conn:
        conn.execute("insert into project_meta(key, value) values ('app', '\"qualkit\"')")
    with Project.open(path) as project, project.reading() as conn:
        assert (
            conn.exec_driver_sql("select version_num from alembic_version").scalar()
            == SCHEMA_REVISION
        )
    assert "lemma_cache" in inspect(create_engine(f"sqlite:///{path}")).get_table_names()
