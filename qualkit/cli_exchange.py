"""CLI commands for exchange formats; they register on the main `qualkit` app when imported."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qualkit.cli import JsonOpt, ProjectArg, app, echo_json, warn
from qualkit.errors import QualkitError


def _write(path: Path, data: bytes) -> None:
    """All or nothing: the bytes go to a temporary file renamed over PATH."""
    if not path.parent.exists():
        raise QualkitError("folder does not exist", path=path.parent)
    if path.is_dir():
        raise QualkitError("is a folder; give a file name", path=path)
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.write_bytes(data)
        partial.replace(path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise QualkitError(f"cannot write ({exc.strerror})", path=path) from None


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise QualkitError("no such file", path=path) from None
    except IsADirectoryError:
        raise QualkitError("is a folder, not a file", path=path) from None


@app.command("export")
def export(
    project: ProjectArg,
    fmt: Annotated[str, typer.Option("--format", help="csv, xlsx, qdc (codebook) or qdpx.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="File to write.")],
    include_suggested: Annotated[
        bool,
        typer.Option(
            "--include-suggested", help="Also the auto-coder's passing suggestions (origin auto)."
        ),
    ] = False,
    codebook: Annotated[
        Path | None,
        typer.Option(help="Codebook YAML file (default: the project's latest codebook)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Export coded segments (csv, xlsx), the codebook (qdc) or the project (qdpx)."""
    import io

    from qualkit.codebook import load_codebook
    from qualkit.export import export_project
    from qualkit.store import Project

    book = load_codebook(codebook) if codebook else None
    buffer = io.BytesIO()
    with Project.open(project) as proj, proj.reading() as conn:
        result = export_project(
            conn, fmt, buffer, include_suggested=include_suggested, codebook=book
        )
    _write(output, buffer.getvalue())
    result = {"path": str(output), "format": fmt, **result}
    if as_json:
        echo_json(result)
        return
    details = ", ".join(f"{v} {k}" for k, v in result.items() if k not in ("path", "format"))
    typer.echo(f"Wrote {output} ({details})")


@app.command("import-qdpx")
def import_qdpx(
    project: ProjectArg,
    file: Annotated[Path, typer.Argument(help="REFI-QDA project (.qdpx).")],
    coder: Annotated[
        str | None,
        typer.Option(help="Record every coding as this coder's (default: each coding's user)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Import a REFI-QDA project: sources, cases, codes, codings (as decisions) and notes."""
    from qualkit.refi import read_qdpx
    from qualkit.refi_import import import_refi
    from qualkit.store import Project

    refi = read_qdpx(_read(file), file)
    with Project.open(project) as proj:
        report = import_refi(proj, refi, coder=coder)
    for message in report.warnings:
        warn(f"{file}: {message}")
    if as_json:
        echo_json(report.__dict__)
        return
    typer.echo(
        f"Imported {len(report.interviews_added)} new interview(s) "
        f"({len(report.interviews_present)} already present), {report.cases} case(s), "
        f"{len(report.codes_added)} new code(s), {report.decisions} coding decision(s) by "
        f"{', '.join(report.coders) or 'nobody'}, {report.memos} memo(s)."
    )


@app.command("import-qdc")
def import_qdc(
    file: Annotated[Path, typer.Argument(help="REFI-QDA codebook (.qdc).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Codebook YAML file to write.")],
    force: Annotated[bool, typer.Option(help="Overwrite OUTPUT if it exists.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Convert a REFI-QDA codebook (.qdc) to a qualkit codebook YAML file."""
    from qualkit.codebook import parse_codebook
    from qualkit.refi import read_qdc

    codebook = read_qdc(_read(file), file)
    if output.exists() and not force:
        raise QualkitError("already exists; use --force to overwrite", path=output)
    text = codebook.to_yaml()
    parse_codebook(text, output)  # what is written must load back as a qualkit codebook
    _write(output, text.encode("utf-8"))
    if as_json:
        echo_json({"path": str(output), "codes": codebook.ids})
        return
    typer.echo(f"Wrote {output} ({len(codebook.codes)} codes)")
