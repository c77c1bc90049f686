"""CLI commands for data safety; they register on the main `qualkit` app when imported."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qualkit.cli import JsonOpt, ProjectArg, app, echo_json
from qualkit.errors import QualkitError


@app.command("backup")
def backup(
    project: ProjectArg,
    output: Annotated[Path, typer.Option("-o", "--output", help="File to write the copy to.")],
    force: Annotated[bool, typer.Option(help="Overwrite OUTPUT if it exists.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Copy a project file consistently, even while the app or a command writes to it."""
    from qualkit.safety import backup_project

    result = backup_project(project, output, force=force)
    if as_json:
        echo_json(result)
        return
    typer.echo(f"Wrote {result['path']} ({result['bytes']} bytes), a consistent copy of {project}")


@app.command("pseudonyms")
def pseudonyms(
    project: ProjectArg,
    restore: Annotated[
        str | None, typer.Option(help="Put a placeholder's originals back (a false alarm).")
    ] = None,
    add: Annotated[
        str | None, typer.Option(help="Replace a missed name everywhere in the project.")
    ] = None,
    kind: Annotated[
        str, typer.Option(help="With --add: person, organisation, place, email, phone, url, id.")
    ] = "person",
    as_: Annotated[
        str | None, typer.Option("--as", help="With --add: use this existing placeholder.")
    ] = None,
    merge: Annotated[
        tuple[str, str] | None,
        typer.Option(help="KEEP DROP: two placeholders are the same entity."),
    ] = None,
    map_file: Annotated[
        Path | None, typer.Option("--pseudonyms", help="Pseudonym map file (default: next to it).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """List the pseudonyms of a study (placeholder, originals, interviews) or correct one; a
    correction is re-applied to every interview and kept for later imports."""
    from qualkit.pseudonym_map import PseudonymMap, map_path
    from qualkit.pseudonyms import correct
    from qualkit.store import Project

    with Project.open(project) as proj:
        path = map_path(proj.location, map_file)
        if not path.exists():
            raise QualkitError(
                "no pseudonym map: the project was imported with --keep-names, or the map was "
                "moved (give it with --pseudonyms)",
                path=path,
            )
        mapping = PseudonymMap.load(path)
        if restore or add or merge:
            changed = correct(
                proj, mapping, restore=restore, add=add, kind=kind, as_label=as_, merge=merge
            )
            typer.echo(f"Corrected {changed} place(s) in the interviews; saved in {path}")
            return
    rows = mapping.rows()
    if as_json:
        echo_json({"map": str(path), "pseudonyms": rows})
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table("placeholder", "originals", "mentions", "interviews")
    for row in rows:  # words as typed: "[inaudible]" is no markup
        table.add_row(
            escape(row["placeholder"]),
            escape(" | ".join(row["forms"])),
            str(row["mentions"]),
            escape(", ".join(row["interviews"])),
        )
    Console().print(table)
    typer.echo(f"{len(rows)} placeholder(s); map: {path} (keep it out of exports and e-mails)")
