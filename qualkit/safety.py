"""Data safety: a consistent copy of a project file, taken while the app may be writing to it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from qualkit.errors import QualkitError


def backup_project(source: str | Path, target: str | Path, *, force: bool = False) -> dict:
    """Copy SOURCE to TARGET with SQLite's online backup API.

    The copy is one snapshot: writers may keep going (WAL mode); the backup reads a consistent
    state page by page and never holds a half-written transaction. The copy goes to a hidden
    temporary file renamed over TARGET, so TARGET is either absent, the old file, or complete.
    """
    location = str(source)
    if "://" in location:
        from qualkit.store.project import display

        # The server's own tool copies a live database consistently; qualkit does not redo it.
        raise QualkitError(
            "backup copies a project file; back up a project on a PostgreSQL server with "
            "pg_dump (e.g. pg_dump -Fc -f study.dump DATABASE) and restore with pg_restore",
            path=display(location),  # the password masked
        )
    source, target = Path(location), Path(target)
    if not source.exists():
        raise QualkitError("no such project", path=source)
    with source.open("rb") as handle:
        if handle.read(16) != b"SQLite format 3\x00":
            raise QualkitError("not a qualkit project (not an SQLite file)", path=source)
    if target.is_dir():
        raise QualkitError("is a folder; give a file name", path=target)
    if target.exists() and not force:
        raise QualkitError("already exists; choose another name or add --force", path=target)
    if not target.parent.exists():
        raise QualkitError("folder does not exist", path=target.parent)
    if target.resolve() == source.resolve():
        raise QualkitError("is the project itself; give another file name", path=target)

    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        src = sqlite3.connect(source, timeout=30)
        try:
            dst = sqlite3.connect(partial)
            try:
                src.backup(dst, pages=1024)
                # A single file: the copy needs no -wal beside it wherever it goes.
                dst.execute("PRAGMA journal_mode=DELETE")
                check = dst.execute("PRAGMA integrity_check").fetchone()[0]
            finally:
                dst.close()
        finally:
            src.close()
        if check != "ok":
            raise QualkitError(f"the copy fails SQLite's integrity check ({check})", path=source)
        partial.replace(target)
    except sqlite3.DatabaseError as exc:
        partial.unlink(missing_ok=True)
        raise QualkitError(f"cannot copy project ({exc})", path=source) from None
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise QualkitError(f"cannot write ({exc.strerror})", path=target) from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return {"project": str(source), "path": str(target), "bytes": target.stat().st_size}
