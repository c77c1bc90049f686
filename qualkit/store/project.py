"""Opening, creating and migrating a project store; one transaction per command."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, event, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DatabaseError, OperationalError

from qualkit import __version__
from qualkit.errors import QualkitError
from qualkit.store.schema import SCHEMA_REVISION, project_meta

SUFFIX = ".qualkit"
MIGRATIONS = Path(__file__).parent / "migrations"


def now() -> datetime:
    return datetime.now(UTC)


def _is_url(location: str) -> bool:
    return "://" in location


class Project:
    """A study: one SQLite file (or a PostgreSQL URL) holding everything that was coded."""

    def __init__(self, engine: Engine, location: str) -> None:
        self.engine = engine
        self.location = location

    @property
    def path(self) -> Path | None:
        return None if _is_url(self.location) else Path(self.location)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    # --- lifecycle ----------------------------------------------------------------------------

    @classmethod
    def create(cls, location: str | Path, name: str | None = None) -> Project:
        location = str(location)
        if not _is_url(location):
            path = Path(location)
            if path.exists():
                raise QualkitError("already exists; choose another name or open it", path=path)
            if not path.parent.exists():
                raise QualkitError("folder does not exist", path=path.parent)
        project = cls(_engine(location), location)
        try:
            if _is_url(location):
                with project.engine.connect() as conn:
                    if _has_meta(conn):
                        raise QualkitError("already holds a qualkit project", path=location)
            with project.transaction() as conn:
                _upgrade(conn)
                conn.execute(
                    project_meta.insert(),
                    [
                        {"key": "app", "value": "qualkit"},
                        {"key": "name", "value": name or Path(location).stem},
                        {"key": "created_at", "value": now().isoformat()},
                        {"key": "created_by_version", "value": __version__},
                        {"key": "settings", "value": {}},
                    ],
                )
        except BaseException:
            project.engine.dispose()
            if not _is_url(location):
                for suffix in ("", "-wal", "-shm"):
                    Path(location + suffix).unlink(missing_ok=True)
            raise
        return project

    @classmethod
    def open(cls, location: str | Path) -> Project:
        location = str(location)
        if not _is_url(location):
            path = Path(location)
            if not path.exists():
                raise QualkitError("no such project; create it with 'qualkit init'", path=path)
            if path.is_dir():
                raise QualkitError("is a folder, not a qualkit project file", path=path)
            with path.open("rb") as handle:
                if handle.read(16) != b"SQLite format 3\x00":
                    raise QualkitError("not a qualkit project (not an SQLite file)", path=path)
        project = cls(_engine(location), location)
        try:
            with project.engine.connect() as conn:
                if not _has_meta(conn):
                    raise QualkitError("not a qualkit project (no project table)", path=location)
                revision = _revision(conn)
            if revision != SCHEMA_REVISION:
                if revision not in _known_revisions():
                    raise QualkitError(
                        f"made by a newer qualkit (schema {revision}); this qualkit "
                        f"{__version__} reads schema {SCHEMA_REVISION}: upgrade qualkit",
                        path=location,
                    )
                with project.transaction() as conn:
                    _upgrade(conn)
        except DatabaseError as exc:
            project.engine.dispose()
            raise QualkitError(f"cannot read project ({_reason(exc)})", path=location) from None
        except BaseException:
            project.engine.dispose()
            raise
        return project

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """All writes of a command happen here: all of them land, or none."""
        try:
            with self.engine.connect() as conn:
                conn.info["write"] = True
                with conn.begin():
                    yield conn
        except OperationalError as exc:
            raise QualkitError(
                f"cannot write project ({_reason(exc)})", path=self.location
            ) from None

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn

    # --- settings -----------------------------------------------------------------------------

    def meta(self, key: str, default=None):
        with self.reading() as conn:
            value = conn.execute(
                select(project_meta.c.value).where(project_meta.c.key == key)
            ).scalar()
        return default if value is None else value

    def set_meta(self, conn: Connection, key: str, value) -> None:
        exists = conn.execute(select(project_meta.c.key).where(project_meta.c.key == key)).scalar()
        if exists:
            conn.execute(project_meta.update().where(project_meta.c.key == key).values(value=value))
        else:
            conn.execute(project_meta.insert().values(key=key, value=value))


def _engine(location: str) -> Engine:
    if _is_url(location):
        return create_engine(location, pool_pre_ping=True)
    path = Path(location)
    if path.exists() and not path.stat().st_mode & 0o222:
        # Honour a file marked read-only even for root, whom the OS would let write.
        engine = create_engine(f"sqlite:///file:{path.resolve()}?mode=ro&uri=true")
    else:
        engine = create_engine(f"sqlite:///{location}")

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record) -> None:
        # Let SQLAlchemy's BEGIN control transactions (pysqlite's own handling is off).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        with contextlib.suppress(sqlite3.OperationalError):  # read-only: reads still work
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:
        # A writer takes the lock at once (IMMEDIATE): two writers queue, none fails mid-way,
        # while readers see the last committed state (WAL).
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("write") else "BEGIN")

    return engine


def _has_meta(conn: Connection) -> bool:
    try:
        value = conn.execute(
            select(project_meta.c.value).where(project_meta.c.key == "app")
        ).scalar()
    except (OperationalError, DatabaseError):
        conn.rollback()
        return False
    return value == "qualkit"


def _revision(conn: Connection) -> str | None:
    try:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except (OperationalError, DatabaseError):
        conn.rollback()
        return None


def _known_revisions() -> set[str | None]:
    return {p.name.split("_", 1)[0] for p in (MIGRATIONS / "versions").glob("[0-9]*.py")} | {None}


def _upgrade(conn: Connection) -> None:
    """Bring the schema to SCHEMA_REVISION with Alembic, inside the caller's transaction."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    command.upgrade(config, SCHEMA_REVISION)


def _reason(exc: Exception) -> str:
    message = str(getattr(exc, "orig", exc)).strip()
    if "readonly" in message or "read-only" in message:
        return "the file is read-only"
    if "locked" in message:
        return "another program holds a lock on it; try again"
    if "not a database" in message or "malformed" in message:
        return "the file is damaged or not a qualkit project"
    return message.splitlines()[0] if message else type(exc).__name__
