"""CLI commands for coder accounts and assignments; they register on `qualkit` when imported.

Passwords are never command-line arguments (they would stay in the shell history and show in
the process list): a hidden prompt asks twice, or `--password-env VAR` reads one for scripts.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from qualkit.cli import JsonOpt, ProjectArg, app, echo_json
from qualkit.errors import QualkitError

coder_app = typer.Typer(
    help="Coder accounts: once one exists, the UI asks for a name and a password.",
    no_args_is_help=True,
)
app.add_typer(coder_app, name="coder")

NameArg = Annotated[str, typer.Argument(help="The coder's name, as they sign in.")]
PasswordEnv = Annotated[
    str | None,
    typer.Option(
        "--password-env",
        metavar="VAR",
        help="Read the password from this environment variable (for scripts).",
    ),
]


def _password(env: str | None, name: str) -> str:
    if env:
        value = os.environ.get(env)
        if not value:
            raise QualkitError(f"environment variable {env} is not set or empty")
        return value
    if not sys.stdin.isatty():
        raise QualkitError("no terminal to ask the password on; use --password-env VAR")
    return typer.prompt(f"Password for {name}", hide_input=True, confirmation_prompt=True)


@coder_app.command("add")
def coder_add(
    project: ProjectArg,
    name: NameArg,
    lead: Annotated[
        bool, typer.Option("--lead", help="A lead: assigns work, changes anyone's decisions.")
    ] = False,
    password_env: PasswordEnv = None,
) -> None:
    """Create a coder account (the first one must be a lead); the password is asked twice."""
    from qualkit import team
    from qualkit.store import Project

    with Project.open(project) as proj:
        with proj.reading() as conn:
            team.check_new_account(conn, name, lead=lead)  # before asking for a password
            first = not team.has_accounts(conn)
        password = _password(password_env, name)
        with proj.transaction() as conn:
            account = team.add_coder(conn, name, password, lead=lead)
    typer.echo(f"Added {account['role']} '{account['name']}' to {project}.")
    if first:
        typer.echo("The UI now asks every coder to sign in with a name and a password.")


@coder_app.command("list")
def coder_list(project: ProjectArg, as_json: JsonOpt = False) -> None:
    """Coder accounts: role, active or removed, interviews assigned, segments decided."""
    from qualkit import team
    from qualkit.store import Project

    with Project.open(project) as proj, proj.reading() as conn:
        rows = team.list_coders(conn)
    if as_json:
        echo_json(rows)
        return
    if not rows:
        typer.echo("No coder accounts: the UI asks only for a name (open mode).")
        return
    for r in rows:
        state = "" if r["active"] else "  (removed)"
        typer.echo(
            f"{r['name']:<24} {r['role']:<6} {r['interviews_assigned']:>3} interview(s) assigned"
            f" {r['segments_decided']:>5} segment(s) decided{state}"
        )


@coder_app.command("passwd")
def coder_passwd(project: ProjectArg, name: NameArg, password_env: PasswordEnv = None) -> None:
    """Set a coder's password (asked twice, hidden)."""
    from qualkit import team
    from qualkit.store import Project

    with Project.open(project) as proj:
        with proj.reading() as conn:
            team.require_account(conn, name)  # refuse an unknown name before asking anything
        password = _password(password_env, name)
        with proj.transaction() as conn:
            team.set_password(conn, name, password)
    typer.echo(f"Password of '{name.strip()}' changed.")


@coder_app.command("remove")
def coder_remove(project: ProjectArg, name: NameArg) -> None:
    """Close a coder's account: no more sign-in; their decisions stay in the project."""
    from qualkit import team
    from qualkit.store import Project

    with Project.open(project) as proj, proj.transaction() as conn:
        team.deactivate(conn, name)
    typer.echo(f"Removed '{name.strip()}' (their decisions stay; 'coder add' reopens it).")


@app.command("assign")
def assign(
    project: ProjectArg,
    coder: Annotated[list[str], typer.Option("--coder", help="A coder's name; repeatable.")],
    interview: Annotated[
        list[str], typer.Option("--interview", help="Interview file name or id; repeatable.")
    ],
    sample: Annotated[
        int | None,
        typer.Option(
            help="Only N respondent segments per interview, drawn at random (the same for "
            "every coder named), to double-code a sample."
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the --sample draw.")] = 0,
    blind: Annotated[
        bool, typer.Option("--blind/--no-blind", help="Hide other people's decisions.")
    ] = True,
    hide_auto: Annotated[
        bool,
        typer.Option("--hide-auto", help="Hide the auto-coder's suggestions: code by hand."),
    ] = False,
    remove: Annotated[
        bool, typer.Option("--remove", help="Remove these assignments instead.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Assign interviews (or a sample of their segments) to coders, e.g. for double-coding."""
    from qualkit import team
    from qualkit.store import Project

    with Project.open(project) as proj, proj.transaction() as conn:
        if remove:
            n = team.unassign(conn, coder, interview)
            rows = []
        else:
            rows = team.assign(
                conn, coder, interview, sample=sample, seed=seed, blind=blind, hide_auto=hide_auto
            )
    if as_json:
        echo_json({"removed": n} if remove else rows)
        return
    if remove:
        typer.echo(f"Removed {n} assignment row(s); the decisions stay.")
        return
    _print_assignments(rows)


@app.command("assignments")
def assignments(
    project: ProjectArg,
    coder: Annotated[str | None, typer.Option(help="Only this coder's.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Who codes which interviews (or samples), blind or not, and how far each has got."""
    from qualkit import team
    from qualkit.store import Project

    with Project.open(project) as proj, proj.reading() as conn:
        rows = team.list_assignments(conn, coder)
    if as_json:
        echo_json(rows)
        return
    if not rows:
        typer.echo("No assignments: every coder reviews the whole project.")
        return
    _print_assignments(rows)


def _print_assignments(rows: list[dict]) -> None:
    for r in rows:
        scope = "whole" if r["scope"] == "interview" else "sample"
        switches = ", ".join(
            w for w, on in (("blind", r["blind"]), ("hide-auto", r["hide_auto"])) if on
        )
        typer.echo(
            f"{r['coder']:<20} {r['interview']:<32} {scope:<6} "
            f"{r['decided']:>4}/{r['segments']:<4} decided  {switches}"
        )
