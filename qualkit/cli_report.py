"""CLI commands of the report stage; they register on the main `qualkit` app when imported."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qualkit.cli import JsonOpt, ProjectArg, app, echo_json, warn
from qualkit.errors import QualkitError

CodeArg = Annotated[str, typer.Argument(help="Code id, e.g. job_threat.")]
SuggestedOpt = Annotated[
    bool,
    typer.Option(
        "--include-suggested",
        help="Also use the auto-coder's passing suggestions nobody decided on (marked).",
    ),
]


@app.command()
def quotes(
    project: ProjectArg,
    code: CodeArg,
    n: Annotated[int, typer.Option("--n", help="How many quotes.")] = 5,
    profile: Annotated[
        list[str] | None, typer.Option(help="Only these profiles (cadre, recruteur, expert).")
    ] = None,
    attribute: Annotated[
        list[str] | None, typer.Option(help="Only cases with this attribute: key=value.")
    ] = None,
    include_suggested: SuggestedOpt = False,
    lang: Annotated[str, typer.Option(help="Language of attribution lines: fr or en.")] = "fr",
    as_json: JsonOpt = False,
) -> None:
    """Representative quotes of a theme, diversified across interviews and profiles."""
    from qualkit.quotes import parse_attributes, representative_quotes
    from qualkit.store import Project

    attributes = parse_attributes(attribute or ())
    with Project.open(project) as proj, proj.reading() as conn:
        found = representative_quotes(
            conn, code, n=n, profiles=profile or (), attributes=attributes,
            include_suggested=include_suggested, lang=lang,
        )  # fmt: skip
    if not found:
        warn(f"no coded segment for '{code}' matches; nothing to quote")
    if as_json:
        echo_json([q.as_dict() for q in found])
        return
    for q in found:
        mark = " [suggestion]" if q.suggested else ""
        typer.echo(f"{q.formatted()}{mark}")
        typer.echo(f"    {q.interview} {q.start}-{q.end}, typicality {q.typicality:.2f}\n")


@app.command()
def synthesis(
    project: ProjectArg,
    code: CodeArg,
    include_suggested: SuggestedOpt = False,
    lang: Annotated[str, typer.Option(help="fr or en.")] = "fr",
    as_json: JsonOpt = False,
) -> None:
    """A theme's figures: interviews, segments, crosstab by profile, co-occurring codes,
    related topics and its most central sentences."""
    from qualkit.store import Project
    from qualkit.synthesis import synthesize

    with Project.open(project) as proj, proj.reading() as conn:
        result = synthesize(conn, code, include_suggested=include_suggested, lang=lang)
    if as_json:
        echo_json(result.as_dict())
        return
    typer.echo(result.text + "\n")
    typer.echo(f"{'attribute':<14} {'value':<34} {'raising':>8} {'%':>6} {'segments':>8}")
    for r in result.crosstab:
        typer.echo(
            f"{r.attribute:<14} {r.value[:34]:<34} {f'{r.raising}/{r.interviews}':>8} "
            f"{r.percent:>5.0f}% {r.segments:>8}"
        )
    if result.cooccurring:
        typer.echo("\nCo-occurring: " + ", ".join(
            f"{c['code']} ({c['segments']})" for c in result.cooccurring))  # fmt: skip
    if result.topics:
        typer.echo("Topics: " + ", ".join(f"{t['label']} ({t['segments']})" for t in result.topics))
    typer.echo("\nCentral sentences:")
    for s in result.summary:
        typer.echo(f"  « {s.text} » — {s.attribution} [{s.interview} {s.start}-{s.end}]")


@app.command()
def report(
    project: ProjectArg,
    output: Annotated[Path, typer.Option("-o", "--output", help="The .docx file to write.")],
    lang: Annotated[str, typer.Option(help="fr (default) or en.")] = "fr",
    codes: Annotated[
        list[str] | None, typer.Option("--codes", help="Only these themes, in this order.")
    ] = None,
    codebook: Annotated[
        Path | None,
        typer.Option(help="Codebook YAML (default: the version stored in the project)."),
    ] = None,
    include_suggested: SuggestedOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Write the Word report: methodology, one section per theme, verbatims, annexes."""
    from qualkit.codebook import load_codebook
    from qualkit.report import write_report
    from qualkit.store import Project

    book = load_codebook(codebook) if codebook else None
    if output.suffix.lower() != ".docx":
        raise QualkitError("the report is a Word file: give a name ending in .docx", path=output)
    if not output.parent.exists():
        raise QualkitError("folder does not exist", path=output.parent)
    with Project.open(project) as proj, proj.reading() as conn:
        partial = output.with_name(output.name + ".part")
        try:
            with partial.open("wb") as handle:
                result = write_report(
                    conn, handle, lang=lang, codes=list(dict.fromkeys(codes)) if codes else codes,
                    codebook=book,
                    include_suggested=include_suggested,
                )  # fmt: skip
            partial.replace(output)
        finally:
            partial.unlink(missing_ok=True)
    result["path"] = str(output)
    if as_json:
        echo_json(result)
        return
    typer.echo(f"Wrote {output}: {len(result['themes'])} themes, {result['quotes']} verbatims.")
