"""CLI commands for agreement between coders; they register on the `qualkit` app when imported."""

from __future__ import annotations

from typing import Annotated

import typer

from qualkit.cli import JsonOpt, ProjectArg, app, echo_json, warn


def _names(values: list[str] | None) -> list[str]:
    """Comma-separated and/or repeated option values, in order, without blanks or repeats."""
    items = [v.strip() for value in values or () for v in value.split(",")]
    return list(dict.fromkeys(v for v in items if v))


def _figure(value: float | None, percent: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value * 100:.1f}%" if percent else f"{value:.2f}"


def _line(label: str, entry: dict) -> str:
    return (
        f"{label[:24]:<24} {entry['units']:>6} {_figure(entry['percent_agreement'], True):>9} "
        f"{_figure(entry['cohen_kappa']):>6} {_figure(entry.get('krippendorff_alpha')):>6}"
        + (f"  ({entry['note']})" if entry.get("note") else "")
    )


@app.command("agreement")
def agreement_(
    project: ProjectArg,
    coders: Annotated[
        list[str] | None,
        typer.Option(
            "--coders",
            help="Coders to compare, comma-separated (default: every person with decisions; "
            "'consensus' only when named).",
        ),
    ] = None,
    codes: Annotated[
        list[str] | None,
        typer.Option("--codes", help="Only these codes, comma-separated (default: all)."),
    ] = None,
    include_auto: Annotated[
        bool,
        typer.Option(
            "--include-auto", help="Compare the auto-coder too (its passing suggestions)."
        ),
    ] = False,
    show: Annotated[
        bool,
        typer.Option("--disagreements", help="Also list the segments where the coders differ."),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Agreement between coders per code and overall: % agreement, Cohen's kappa (pairs),
    Krippendorff's alpha, units (segments both reviewed)."""
    from qualkit.agreement import agreement, disagreements
    from qualkit.store import Project

    with Project.open(project) as proj, proj.reading() as conn:
        result = agreement(
            conn, _names(coders) or None, _names(codes) or None, include_auto=include_auto
        )
        listed = disagreements(conn, result["coders"], list(result["codes"])) if show else None
    for message in result["warnings"]:
        warn(message)
    if as_json:
        if listed is not None:
            result["disagreements"] = [d.as_dict() for d in listed]
        echo_json(result)
        return
    typer.echo("Coders: " + ", ".join(result["coders"]))
    typer.echo(f"{'code':<24} {'units':>6} {'agreement':>9} {'kappa':>6} {'alpha':>6}")
    for code, entry in result["codes"].items():
        typer.echo(_line(code, entry))
    overall = result["overall"]
    typer.echo(_line("all codes (pooled)", overall))
    typer.echo(f"mean of the per-code kappas: {_figure(overall['mean_kappa'])}")
    if len(overall["pairs"]) > 1:
        typer.echo("\nPairs, all codes pooled:")
        for pair in overall["pairs"]:
            typer.echo(_line(" / ".join(pair["coders"]), pair))
    if "auto_vs_people" in result:
        typer.echo("")
        typer.echo(_line("auto-coder vs people", result["auto_vs_people"]))
    if listed is not None:
        typer.echo(f"\n{len(listed)} segment(s) where the coders differ:")
        for d in listed:
            mark = f" [settled: {', '.join(d.consensus) or 'no code'}]" if d.settled else ""
            typer.echo(f"  segment {d.segment_id} ({d.interview} #{d.idx}){mark}")
            for coder, given in d.codes.items():
                shown = "not reviewed" if given is None else (", ".join(given) or "no code")
                typer.echo(f"    {coder}: {shown}")


@app.command("settle")
def settle_(
    project: ProjectArg,
    segment_id: Annotated[int, typer.Argument(help="The segment's id (see --disagreements).")],
    codes: Annotated[
        str, typer.Option("--codes", help="The agreed codes, comma-separated ('' for none).")
    ],
    coder: Annotated[
        str, typer.Option("--coder", help="Who settles; recorded in the decision log.")
    ],
    as_json: JsonOpt = False,
) -> None:
    """Settle a disagreement: the agreed codes become the 'consensus' coder's decisions; each
    coder's own decisions are kept."""
    from qualkit.agreement import settle
    from qualkit.store import Project

    with Project.open(project) as proj, proj.transaction() as conn:
        record = settle(conn, segment_id, _names([codes]), coder)
    if as_json:
        echo_json(record)
        return
    agreed = ", ".join(record["after"]) or "no code"
    where = f"segment {segment_id} ({record['interview']})"
    typer.echo(f"Settled {where}: {agreed}, by {coder.strip()}")
