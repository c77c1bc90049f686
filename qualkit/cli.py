"""The `qualkit` command: parses arguments, calls the library, prints results (or JSON)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from qualkit.errors import QualkitError

app = typer.Typer(
    name="qualkit",
    help="Qualitative interview studies: import, segment, auto-code, review and report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
codebook_app = typer.Typer(help="Check and inspect codebook files.", no_args_is_help=True)
app.add_typer(codebook_app, name="codebook")

ProjectArg = Annotated[str, typer.Argument(help="Project file (.qualkit) or PostgreSQL URL.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]


def echo_json(data) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def warn(message: str) -> None:
    typer.secho(f"warning: {message}", err=True, fg=typer.colors.YELLOW)


def progress_bar(total: int, label: str):
    """A progress bar on stderr (stdout stays clean for --json)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[item]}"),
        console=Console(stderr=True),
        transient=True,
    )
    task = progress.add_task(label, total=total, item="")
    return progress, lambda item="": progress.update(task, advance=1, item=item)


# --- project ----------------------------------------------------------------------------------


@app.command()
def init(
    project: ProjectArg,
    name: Annotated[str | None, typer.Option(help="Study name (default: file name).")] = None,
) -> None:
    """Create an empty project file."""
    from qualkit.store import Project

    with Project.create(project, name=name):
        pass
    typer.echo(f"Created project {project}")


@app.command("import")
def import_(
    project: ProjectArg,
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Transcript files or folders; a cases.csv among them gives the case attributes."
        ),
    ],
    replace: Annotated[bool, typer.Option(help="Import changed files again.")] = False,
    force: Annotated[
        bool,
        typer.Option(
            help="With --replace: even if coded passages are missing from the new version."
        ),
    ] = False,
    language: Annotated[str | None, typer.Option(help="fr or en (default: detected).")] = None,
    label_pattern: Annotated[
        list[str] | None,
        typer.Option(
            help="Extra speaker-label regex with (?P<label>..) and (?P<text>..); repeatable."
        ),
    ] = None,
    min_chars: Annotated[int, typer.Option(help="Segment size, lower bound.")] = 150,
    max_chars: Annotated[int, typer.Option(help="Segment size, upper bound.")] = 800,
    max_sentences: Annotated[int, typer.Option(help="Sentences per segment, at most.")] = 4,
    keep_names: Annotated[
        bool, typer.Option(help="Do not pseudonymise (names stay in the project).")
    ] = False,
    names: Annotated[
        Path | None,
        typer.Option(
            help="Pseudonymisation lists (YAML: always, never); default: a "
            "pseudonymisation.yaml among PATHS."
        ),
    ] = None,
    pseudonyms: Annotated[
        Path | None,
        typer.Option(
            help="Pseudonym map file (default: next to the project file); encrypted when "
            "QUALKIT_PASSPHRASE is set."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Import transcripts (.txt .md .docx .vtt .srt), pseudonymise them and split them into
    segments."""
    from qualkit.importing import collect_files, import_paths
    from qualkit.segmenting import SegmentOptions
    from qualkit.store import Project

    if language is not None and language not in ("fr", "en"):
        raise QualkitError(f"--language must be fr or en, not '{language}'")
    try:
        options = SegmentOptions(min_chars, max_chars, max_sentences)
    except ValueError as exc:
        raise QualkitError(str(exc)) from None
    with Project.open(project) as proj:
        files, _ = collect_files(paths)
        bar, step = progress_bar(len(files), "Reading")
        with bar:
            result = import_paths(
                proj,
                paths,
                replace=replace,
                force=force,
                language=language,
                label_patterns=label_pattern or (),
                options=options,
                progress=step,
                pseudonymise=not keep_names,
                lists_file=names,
                map_file=pseudonyms,
            )
    if keep_names and (result.added or result.replaced):
        warn("--keep-names: names, e-mails and phone numbers stay in the project as typed")
    for message in result.warnings:
        warn(message)
    if as_json:
        echo_json(result.__dict__)
        return
    typer.echo(
        f"Imported {len(result.added)} new and {len(result.replaced)} replaced interview(s): "
        f"{result.turns} turns, {result.segments} segments; {len(result.unchanged)} unchanged."
    )
    if result.cases_updated:
        typer.echo(f"Updated the case attributes of {result.cases_updated} interview(s).")


@app.command()
def status(project: ProjectArg, as_json: JsonOpt = False) -> None:
    """Interviews, turns, segments and cases by profile."""
    from qualkit.store import Project
    from qualkit.store.study import status as get_status

    with Project.open(project) as proj, proj.reading() as conn:
        data = get_status(conn)
        data["project"] = proj.meta("name")
    if as_json:
        echo_json(data)
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(
        title=f"{data['project']}: {data['interviews']} interviews, {data['turns']} "
        f"turns, {data['segments']} segments"
    )
    for column in ("interview", "profile", "role", "turns", "segments", "respondent", "coded"):
        table.add_column(
            column,
            justify="right" if column in ("turns", "segments", "respondent", "coded") else "left",
        )
    for row in data["per_interview"]:
        table.add_row(
            escape(row["interview"]),
            escape(row["profile"] or ""),
            escape(row["role"] or ""),
            str(row["turns"]),
            str(row["segments"]),
            str(row["respondent_segments"]),
            str(row["coded_segments"]),
        )
    console = Console()
    if not console.is_terminal:
        console.width = 160  # pipes and logs: do not squeeze the table to 80 columns
    console.print(table)
    profiles = ", ".join(f"{k}: {v}" for k, v in sorted(data["cases_by_profile"].items()))
    typer.echo(f"Cases by profile: {profiles or 'none'}")


@app.command()
def segments(
    project: ProjectArg,
    interview: Annotated[str | None, typer.Option(help="Interview file name or id.")] = None,
    speaker: Annotated[str | None, typer.Option(help="respondent or interviewer.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List segments with their offsets and text."""
    from qualkit.data import ROLES
    from qualkit.store import Project
    from qualkit.store.study import segment_rows

    if speaker is not None and speaker not in ROLES:
        raise QualkitError(f"--speaker must be one of {', '.join(ROLES)}, not '{speaker}'")
    with Project.open(project) as proj, proj.reading() as conn:
        rows = segment_rows(conn, interview=interview, role=speaker)
    if as_json:
        echo_json(
            [
                {
                    "id": r["id"],
                    "interview": r["interview"],
                    "speaker": r["speaker"],
                    "role": r["role"],
                    "start": r["start"],
                    "end": r["end"],
                    "text": r["text"],
                }
                for r in rows
            ]
        )
        return
    for r in rows:
        typer.echo(
            f"[{r['interview']} #{r['idx']} {r['start']}-{r['end']}] "
            f"{r['speaker']} ({r['role']}): {r['text']}"
        )


@app.command()
def speakers(
    project: ProjectArg,
    interview: Annotated[str, typer.Argument(help="Interview file name or id.")],
    interviewer: Annotated[
        list[str] | None,
        typer.Option(
            help="Set this speaker as the interviewer (repeatable); the others are respondents."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show an interview's speakers and roles, or set who the interviewer is."""
    from sqlalchemy import func, select

    from qualkit.store import Project
    from qualkit.store import study as store
    from qualkit.store.schema import turns

    with Project.open(project) as proj:
        if interviewer:
            with proj.transaction() as conn:
                store.set_interviewers(conn, store.interview_id(conn, interview), interviewer)
        with proj.reading() as conn:
            iid = store.interview_id(conn, interview)
            rows = conn.execute(
                select(turns.c.speaker, turns.c.role, func.count())
                .where(turns.c.interview_id == iid)
                .group_by(turns.c.speaker, turns.c.role)
            ).all()
    data = [{"speaker": s, "role": r, "turns": n} for s, r, n in rows]
    if as_json:
        echo_json(data)
        return
    for item in data:
        typer.echo(f"{item['speaker']}: {item['role']} ({item['turns']} turns)")


# --- auto-coding ------------------------------------------------------------------------------

CodebookOpt = Annotated[Path, typer.Option("--codebook", help="Codebook YAML file.")]
ProjectCodebookOpt = Annotated[
    Path | None,
    typer.Option(
        "--codebook",
        help="Codebook YAML file (default: the project's latest codebook version, "
        "else codebook/codebook.yaml).",
    ),
]


def _codebook_for(project, path: Path | None):
    """The codebook a project command works with, and where it came from."""
    from qualkit.codebook import load_codebook, parse_codebook
    from qualkit.store.codings import latest_codebook

    if path is not None:
        return load_codebook(path), str(path)
    with project.reading() as conn:
        latest = latest_codebook(conn)
    if latest is not None:
        return parse_codebook(latest[1], f"codebook version {latest[0]}"), None
    default = Path("codebook/codebook.yaml")
    if default.exists():
        return load_codebook(default), str(default)
    raise QualkitError("this project has no codebook yet: give one with --codebook FILE")


EmbedderOpt = Annotated[
    str | None,
    typer.Option(
        help="Sentence embedder: e5-small, use-m3, e5-small+use-m3 (default), or "
        "package.module:Class."
    ),
]
LearnOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--learn-from",
        help="Reviewed decisions to learn from: a labelled JSONL file or another "
        "project; repeatable.",
    ),
]


def _embedding_bar():
    """A progress bar whose total is set once the number of texts to embed is known."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    bar = Progress(
        TextColumn("Embedding"),
        BarColumn(),
        MofNCompleteColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = bar.add_task("embed", total=None)
    return bar, (lambda n: bar.update(task, advance=n)), (lambda t: bar.update(task, total=t))


@app.command()
def code(
    project: ProjectArg,
    codebook: ProjectCodebookOpt = None,
    embedder: EmbedderOpt = None,
    learn_from: LearnOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Suggest codes for every respondent segment nobody has decided on yet."""
    from qualkit.coding import code_project, read_labelled
    from qualkit.embedding import DEFAULT_EMBEDDER
    from qualkit.store import Project

    with Project.open(project) as proj:
        book, source = _codebook_for(proj, codebook)
        extra = [item for path in learn_from or () for item in read_labelled(path, book)]
        bar, step, total = _embedding_bar()
        with bar:
            result = code_project(
                proj,
                book,
                codebook_source=source,
                embedder_name=embedder or DEFAULT_EMBEDDER,
                learn_from=extra,
                progress=step,
                on_total=total,
            )
    if as_json:
        echo_json(result)
        return
    typer.echo(
        f"Scored {result['segments_scored']} segments ({result['reviewed_segments']} "
        f"reviewed by people are kept; {result['embeddings_computed']} new embeddings; "
        f"codebook version {result['codebook_version']})."
    )
    typer.echo(
        f"{'code':<16} {'threshold':>9} {'suggested':>9} {'borderline':>10} "
        f"{'accepted':>8} {'rejected':>8}"
    )
    for name, c in result["codes"].items():
        typer.echo(
            f"{name:<16} {result['thresholds'][name]:>9.2f} {c['suggested']:>9} "
            f"{c['below_threshold']:>10} {c['accepted']:>8} {c['rejected']:>8}"
        )


@app.command()
def evaluate(
    gold: Annotated[Path, typer.Argument(help="JSONL: one {id, text, codes} per line.")],
    codebook: CodebookOpt = Path("codebook/codebook.yaml"),
    learn_from: LearnOpt = None,
    folds: Annotated[
        int,
        typer.Option(help="Also learn from GOLD itself, cross-validated by interview in N folds."),
    ] = 0,
    embedder: EmbedderOpt = None,
    cache: Annotated[
        Path | None,
        typer.Option(
            help="A project file to keep embeddings in between runs (created if missing)."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Code texts whose codes are known and report precision, recall, F1, kappa and AP."""
    from qualkit.codebook import load_codebook
    from qualkit.coding import evaluate_file, read_labelled
    from qualkit.embedding import DEFAULT_EMBEDDER
    from qualkit.store import Project

    book = load_codebook(codebook)
    extra = [item for path in learn_from or () for item in read_labelled(path, book)]
    store = None
    if cache is not None:
        store = Project.open(cache) if cache.exists() else Project.create(cache)
    bar, step, _ = _embedding_bar()
    with bar:
        result = evaluate_file(
            gold,
            book,
            learn_from=extra,
            folds=folds,
            embedder_name=embedder or DEFAULT_EMBEDDER,
            progress=step,
            cache=store,
        )
    if as_json:
        for metrics in result["codes"].values():
            for key in ("tp", "fp", "fn", "tn"):
                metrics.pop(key)
        echo_json(result)
        return
    typer.echo(f"{'code':<16} {'P':>5} {'R':>5} {'F1':>5} {'kappa':>6} {'AP':>5} {'support':>8}")
    for name, m in result["codes"].items():
        typer.echo(
            f"{name:<16} {m['precision']:>5.2f} {m['recall']:>5.2f} {m['f1']:>5.2f} "
            f"{m['kappa']:>6.2f} {m['average_precision']:>5.2f} {m['support']:>8}"
        )
    typer.echo(f"macro-F1 {result['macro_f1']:.3f}   micro-F1 {result['micro_f1']:.3f}")


@app.command("import-codings")
def import_codings(
    project: ProjectArg,
    file: Annotated[Path, typer.Argument(help="JSONL: {interview, text, codes} per line.")],
    coder: Annotated[str, typer.Option(help="Whose decisions these are.")],
    codebook: ProjectCodebookOpt = None,
    interviews: Annotated[
        list[str] | None,
        typer.Option("--interview", help="Only lines of these interviews; repeatable."),
    ] = None,
) -> None:
    """Import a coder's decisions made elsewhere (accepted codes; the others rejected)."""
    from qualkit.evaluation import read_gold
    from qualkit.store import Project
    from qualkit.store.codings import import_codings as store_import

    with Project.open(project) as proj:
        book, _ = _codebook_for(proj, codebook)
    items = read_gold(file, book.ids)
    wanted = {i.rsplit(".", 1)[0] for i in interviews or ()}
    records = [
        (item.group, item.text, item.codes)
        for item in items
        if not wanted or item.group.rsplit(".", 1)[0] in wanted
    ]
    with Project.open(project) as proj, proj.transaction() as conn:
        decided, unmatched = store_import(conn, records, coder, book.ids)
        if unmatched:
            raise QualkitError(
                f"{len(unmatched)} line(s) match no segment of their interview, "
                f"e.g. '{unmatched[0]}'; nothing was imported",
                path=file,
            )
    typer.echo(f"Recorded {coder}'s decisions on {decided} segments.")


# --- codebook ---------------------------------------------------------------------------------


@codebook_app.command("check")
def codebook_check(
    file: Annotated[Path, typer.Argument(help="Codebook YAML file.")],
    as_json: JsonOpt = False,
) -> None:
    """Validate a codebook file; print its codes."""
    from qualkit.codebook import load_codebook

    codebook = load_codebook(file)
    summary = [
        {
            "id": c.id,
            "label": c.label.fr,
            "parent": c.parent,
            "examples": len(c.examples),
            "counter_examples": len(c.counter_examples),
            "patterns": len(c.patterns),
            "threshold": c.threshold,
        }
        for c in codebook.codes
    ]
    if as_json:
        echo_json({"file": str(file), "valid": True, "name": codebook.name, "codes": summary})
        return
    typer.echo(f"{file}: valid, {len(summary)} codes")
    for c in summary:
        typer.echo(
            f"  {c['id']:<16} {c['label']:<45} {c['examples']:>3} examples, "
            f"{c['patterns']:>3} patterns"
        )


# Commands of later stages live in their own modules and register on `app` when imported.
from qualkit import (  # noqa: E402, F401
    cli_agreement,
    cli_exchange,
    cli_report,
    cli_safety,
    cli_team,  # noqa: E402, F401
    cli_topics,
)


def main(argv: list[str] | None = None) -> None:
    """Entry point: user errors become one line on stderr and exit code 2, never a traceback."""
    try:
        app(args=argv, prog_name="qualkit", standalone_mode=True)
    except QualkitError as exc:
        typer.secho(f"qualkit: error: {exc.message}", err=True, fg=typer.colors.RED)
        sys.exit(exc.exit_code)
    except OSError as exc:  # a folder where a file was expected, permissions, a full disk
        where = f"{exc.filename}: " if exc.filename else ""
        typer.secho(f"qualkit: error: {where}{exc.strerror or exc}", err=True, fg=typer.colors.RED)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
