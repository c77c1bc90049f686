"""CLI commands of the topics stage; they register on the main `qualkit` app when imported."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qualkit.cli import JsonOpt, ProjectArg, app, echo_json

TopicArg = Annotated[int, typer.Argument(help="Topic number, as 'qualkit topics' prints it.")]


def _print_topics(topics: list[dict], header: str) -> None:
    typer.echo(header)
    typer.echo(f"{'id':>3} {'size':>5} {'itw':>4}  {'top code (share)':<24} label")
    for t in topics:
        code, share = next(iter(t["codes"].items()), ("-", 0.0))
        mark = " [emerging]" if t["emerging"] else ""
        top = f"{code} ({share:.0%})" if share else "-"
        typer.echo(
            f"{t['id']:>3} {t['size']:>5} {len(t['interviews']):>4}  {top:<24} {t['label']}{mark}"
        )
    emerging = [t for t in topics if t["emerging"]]
    typer.echo(f"\nEmerging topics (no code covers them): {len(emerging)}")
    for t in emerging:
        quote = t["representative"][0] if t["representative"] else None
        profiles = ", ".join(f"{p} {n}" for p, n in t["profiles"].items())
        typer.echo(
            f"  {t['id']}: {t['label']} ({t['size']} segments, {len(t['interviews'])} "
            f"interviews; {profiles}; nearest code {t['nearest_code']})"
        )
        if quote:
            text = quote["text"] if len(quote["text"]) < 200 else quote["text"][:197] + "..."
            typer.echo(f"     « {text} » ({quote['interview']})")


def _header(run: dict) -> str:
    p = run["params"]
    return (
        f"Topic run {run['id']}: {len(run['topics'])} topics over {run['n_segments']} "
        f"{'uncoded ' if p['only_uncoded'] else ''}respondent segments "
        f"({run['n_outliers']} outliers; min size {p['min_size']}, seed {p['seed']})"
    )


@app.command("topics")
def topics_cmd(
    project: ProjectArg,
    only_uncoded: Annotated[
        bool, typer.Option("--only-uncoded", help="Only segments that carry no code yet.")
    ] = False,
    min_size: Annotated[
        int | None,
        typer.Option("--min-size", help="Smallest topic, in segments (default: scaled to corpus)."),
    ] = None,
    embedder: Annotated[
        str | None,
        typer.Option(help="Embedder whose cached vectors to use (default: as 'qualkit code')."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Find topics among respondent segments (BERTopic), compare them with the codebook."""
    from qualkit.embedding import DEFAULT_EMBEDDER
    from qualkit.store import Project
    from qualkit.topics import TopicParams, compute_topics

    params = TopicParams(
        only_uncoded=only_uncoded, min_size=min_size, embedder=embedder or DEFAULT_EMBEDDER
    )
    with Project.open(project) as proj:
        run = compute_topics(proj, params, progress=lambda s: typer.echo(f"... {s}", err=True))
    if as_json:
        echo_json(run["topics"])
        return
    _print_topics(run["topics"], _header(run))


@app.command("topics-show")
def topics_show(project: ProjectArg, as_json: JsonOpt = False) -> None:
    """Show the last stored topics without computing them again."""
    from qualkit.store import Project
    from qualkit.topics import load_topics

    with Project.open(project) as proj:
        run = load_topics(proj)
    if as_json:
        echo_json(run["topics"])
        return
    _print_topics(run["topics"], _header(run) + f", computed {run['created_at']:%Y-%m-%d %H:%M}")


@app.command("topic-promote")
def topic_promote(
    project: ProjectArg,
    topic_id: TopicArg,
    code_id: Annotated[str, typer.Option("--code-id", help="Id of the new code.")],
    codebook: Annotated[
        Path, typer.Option("--codebook", help="Codebook YAML file to add the code to.")
    ] = Path("codebook/codebook.yaml"),
    as_json: JsonOpt = False,
) -> None:
    """Turn a topic into a draft code in the codebook file (a new codebook version)."""
    from qualkit.store import Project
    from qualkit.topics import promote_topic

    with Project.open(project) as proj:
        result = promote_topic(proj, topic_id, code_id, codebook)
    if as_json:
        echo_json(result)
        return
    typer.echo(
        f"Added code '{code_id}' (« {result['label']} », {result['examples']} examples) to "
        f"{codebook}: codebook version {result['codebook_version']}. Rewrite its draft "
        f"definition, then run 'qualkit code'."
    )


@app.command("topic-rename")
def topic_rename(
    project: ProjectArg,
    topic_id: TopicArg,
    label: Annotated[str, typer.Argument(help="New label.")],
    as_json: JsonOpt = False,
) -> None:
    """Give a topic of the last run a label of your own."""
    from qualkit.store import Project
    from qualkit.topics import rename_topic

    with Project.open(project) as proj:
        result = rename_topic(proj, topic_id, label)
    if as_json:
        echo_json(result)
        return
    typer.echo(f"Topic {topic_id} is now « {result['label']} ».")


@app.command("topic-merge")
def topic_merge(
    project: ProjectArg,
    topic_id: TopicArg,
    other_id: Annotated[int, typer.Argument(help="Topic whose segments join TOPIC_ID.")],
    as_json: JsonOpt = False,
) -> None:
    """Merge topic OTHER_ID into TOPIC_ID (last run) and describe it again."""
    from qualkit.store import Project
    from qualkit.topics import merge_topics

    with Project.open(project) as proj:
        result = merge_topics(proj, topic_id, other_id)
    if as_json:
        echo_json(result)
        return
    typer.echo(
        f"Topic {other_id} merged into {topic_id}: {result['size']} segments, « {result['label']} »"
        f"{' [emerging]' if result['emerging'] else ''}."
    )
