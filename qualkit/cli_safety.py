"""CLI commands for data safety; they register on the main `qualkit` app when imported."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qualkit.cli import JsonOpt, ProjectArg, app, echo_json


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
