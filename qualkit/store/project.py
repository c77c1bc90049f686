"""Opening, creating and migrating a project store; one transaction per command.

A project is an SQLite file, or a PostgreSQL database named by a URL so that a team shares
one server. Both hold the same tables (Alembic migrations) and take the same queries.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, event, func, inspect, select, text
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, OperationalError

from qualkit import __version__
from qualkit.errors import QualkitError
from qualkit.store.schema import SCHEMA_REVISION, project_meta

SUFFIX = ".qualkit"
MIGRATIONS = Path(__file__).parent / "migrations"

# PostgreSQL: every write transaction takes this transaction-level advisory lock first (the
# key spells "qualkit"; advisory locks are per database, so per project).
WRITER_LOCK = int.from_bytes(b"qualkit", "big")
LOCK_TIMEOUT = "30s"  # as long as SQLite's busy_timeout


def now() -> datetime:
    return datetime.now(UTC)


def _is_url(location: str) -> bool:
    return "://" in location


def display(location: str | Path) -> str:
    """The location to show a person: a file path, or a URL with its password masked."""
    location = str(location)
    if not _is_url(location):
        return location
    try:
        return make_url(location).render_as_string(hide_password=True)
    except ArgumentError:
        return location.rsplit("@", 1)[-1]


def _url(location: str) -> URL:
    """A PostgreSQL URL with the psycopg (3) driver unless another one is named."""
    try:
        url = make_url(location)
    except ArgumentError:
        raise QualkitError(
            "not a valid database URL (postgresql://USER@HOST:PORT/DATABASE)",
            path=display(location),
        ) from None
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() != "postgresql":
        raise QualkitError(
            "a project is an SQLite file (give its path) or a PostgreSQL database "
            "(postgresql://USER@HOST:PORT/DATABASE)",
            path=display(location),
        )
    if not url.database:
        raise QualkitError("the URL names no database", path=display(location))
    return url


class Project:
    """A study: one SQLite file (or a PostgreSQL URL) holding everything that was coded."""

    def __init__(self, engine: Engine, location: str) -> None:
        self.engine = engine
        self.location = location

    @property
    def path(self) -> Path | None:
        return None if _is_url(self.location) else Path(self.location)

    @property
    def where(self) -> str:
        """The location for messages: never shows a password."""
        return display(self.location)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    # --- lifecycle ----------------------------------------------------------------------------

    @classmethod
    def create(cls, location: str | Path, name: str | None = None) -> Project:
        location = str(location)
        if _is_url(location):
            default_name = _url(location).database
        else:
            path = Path(location)
            if path.exists():
                raise QualkitError("already exists; choose another name or open it", path=path)
            if not path.parent.exists():
                raise QualkitError("folder does not exist", path=path.parent)
            default_name = path.stem
        project = cls(_engine(location), location)
        try:
            with project.transaction(verb="create") as conn:
                if _is_url(location):
                    _refuse_used_database(conn, project.where)
                _upgrade(conn)
                conn.execute(
                    project_meta.insert(),
                    [
                        {"key": "app", "value": "qualkit"},
                        {"key": "name", "value": name or default_name},
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
                    raise QualkitError(
                        "not a qualkit project (no project table)", path=project.where
                    )
                revision = _revision(conn)
            if revision != SCHEMA_REVISION:
                if revision not in _known_revisions():
                    raise QualkitError(
                        f"made by a newer qualkit (schema {revision}); this qualkit "
                        f"{__version__} reads schema {SCHEMA_REVISION}: upgrade qualkit",
                        path=project.where,
                    )
                with project.transaction() as conn:
                    _upgrade(conn)
        except DatabaseError as exc:
            project.engine.dispose()
            raise QualkitError(
                f"cannot read project ({_reason(exc)})", path=project.where
            ) from None
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
    def transaction(self, *, verb: str = "write") -> Iterator[Connection]:
        """All writes of a command happen here: all of them land, or none.

        Writers queue, one at a time per project. SQLite: `BEGIN IMMEDIATE` takes the file's
        write lock at once. PostgreSQL: READ COMMITTED plus a transaction-level advisory lock
        taken before anything is read, so a writer sees every earlier writer's commit and no
        read-then-write can lose an update; the lock ends with the transaction. (SERIALIZABLE
        would also be correct, but would make every caller retry on serialization failures.)
        """
        try:
            with self.engine.connect() as conn:
                # Per Connection, not conn.info, which stays with the pooled connection.
                conn.execution_options(qualkit_write=True)
                with conn.begin():
                    if self.dialect == "postgresql":
                        conn.execute(select(func.pg_advisory_xact_lock(WRITER_LOCK)))
                    yield conn
        except DatabaseError as exc:
            if not _outside_qualkit(exc):
                raise
            raise QualkitError(f"cannot {verb} project ({_reason(exc)})", path=self.where) from None

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """Reads see one committed state for the whole block (SQLite WAL; PostgreSQL
        REPEATABLE READ, which never blocks a writer and never fails a read-only block)."""
        try:
            with self.engine.connect() as conn:
                if self.dialect == "postgresql":
                    conn.execution_options(isolation_level="REPEATABLE READ")
                yield conn
        except DatabaseError as exc:
            if not _outside_qualkit(exc):
                raise
            raise QualkitError(f"cannot read project ({_reason(exc)})", path=self.where) from None

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
        return create_engine(
            _url(location),
            pool_pre_ping=True,
            connect_args={
                "connect_timeout": 10,
                "application_name": "qualkit",
                # A writer waits its turn this long at most, then gets "try again"; times come
                # back in UTC whatever the server's own time zone.
                "options": f"-c lock_timeout={LOCK_TIMEOUT} -c timezone=UTC",
            },
        )
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
        write = conn.get_execution_options().get("qualkit_write")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _refuse_used_database(conn: Connection, where: str) -> None:
    """A new project needs an empty database: never mix a study into other tables."""
    tables = inspect(conn).get_table_names()
    if "project_meta" in tables and "alembic_version" in tables:
        raise QualkitError("already holds a qualkit project; open it instead", path=where)
    if tables:
        raise QualkitError(
            f"the database is not empty ({len(tables)} tables); give an empty database",
            path=where,
        )


def _has_meta(conn: Connection) -> bool:
    try:
        value = conn.execute(
            select(project_meta.c.value).where(project_meta.c.key == "app")
        ).scalar()
    except DatabaseError as exc:
        conn.rollback()
        if re.search(r"no such table|relation .* does not exist", str(exc.orig)):
            return False
        raise  # e.g. no right to read it, or a damaged file: open() says which
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


# (pattern in the driver's message, what to tell a person); the first match wins.
_REASONS = [
    (r"read-only transaction", "the database is read-only"),
    (r"readonly|read-only", "the file is read-only"),
    (r"lock timeout|locked", "another program holds a lock on it; try again"),
    (r"not a database|malformed", "the file is damaged or not a qualkit project"),
    (r"permission denied", "this user may not read or write it; ask the server's admin"),
    (r'database "[^"]*" does not exist', "no such database on the server; create it first"),
    (r'role "[^"]*" does not exist', "the server has no such user"),
    (
        r"password authentication failed|no password supplied|no pg_hba\.conf entry",
        "the server refused this user or password",
    ),
    (r"connection refused|no such file or directory", "no server answers there; is it running?"),
    (r"could not translate host name|name or service not known", "unknown server name"),
    (r"timeout expired|timed out", "the server did not answer in time"),
    (
        r"server closed the connection|terminating connection|connection is closed",
        "the connection to the server was lost; try again",
    ),
]


def _outside_qualkit(exc: DatabaseError) -> bool:
    """A failure of the file, the server or the user's rights, not of qualkit's SQL."""
    return isinstance(exc, OperationalError) or "permission denied" in str(exc.orig)


def _reason(exc: Exception) -> str:
    """One line for a person, from the driver's message (SQLite or PostgreSQL)."""
    message = str(getattr(exc, "orig", exc)).strip()
    for pattern, reason in _REASONS:
        if re.search(pattern, message, re.IGNORECASE):
            return reason
    return message.splitlines()[0] if message else type(exc).__name__
