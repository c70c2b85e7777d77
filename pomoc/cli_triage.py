"""CLI for the help center and triage: `kb import`, `kb search`, `kb embed` and `triage`."""

import json
import shutil
import sys
import time
from pathlib import Path
from typing import Annotated, NoReturn, TextIO

import typer

from bot.config import TriageConfig
from bot.errors import ConfigError
from bot.triage import HelpCenterTriager, TriageResult, build_triager
from bot.triage.kb import Article, ArticleError, load_articles, parse_article, unique
from pomoc.cli_options import ConfigOption, JsonOption, config_or_exit

kb_app = typer.Typer(help="The help center used to answer tickets.", no_args_is_help=True)
# A progress line on stderr every this many tickets of a batch.
BATCH_PROGRESS = 100


def _triage_config(path: Path | None) -> TriageConfig:
    return config_or_exit(path).triage


def _fail(message: str) -> NoReturn:
    typer.secho(message, fg="red", err=True)
    raise typer.Exit(1)


def _read_all(paths: list[Path]) -> list[Article]:
    """Every article, or exit listing every bad file (not only the first)."""
    articles, errors = [], []
    with typer.progressbar(paths, label="checking", hidden=len(paths) < 20) as progress:
        for path in progress:
            try:
                articles.append(parse_article(path))
            except ArticleError as error:
                errors.append(str(error))
    if errors:
        _fail("invalid article(s), nothing imported:\n" + "\n".join(errors))
    try:
        return unique(articles)
    except ArticleError as error:
        _fail(f"nothing imported: {error}")


@kb_app.command("import")
def import_articles(
    directory: Annotated[Path, typer.Argument(help="Folder of Markdown articles (*.md).")],
    target: Annotated[
        Path | None, typer.Option(help="Help-center folder to merge into (default: kb_dir).")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Validate articles and merge them into the help center; same id = replaced."""
    if not directory.is_dir():
        _fail(f"{directory} is not a folder")
    destination = target or _triage_config(config).kb_dir
    if destination is None:
        _fail(
            "no target: pass --target or set triage.kb_dir (the shipped help center is read-only)"
        )
    incoming = _read_all(sorted(directory.glob("*.md")))
    if not incoming:
        _fail(f"{directory} has no *.md articles")
    destination.mkdir(parents=True, exist_ok=True)
    try:
        existing = {article.id: article.path for article in load_articles(destination)}
    except ArticleError as error:
        _fail(f"the target help center is invalid, nothing imported: {error}")
    added = replaced = 0
    with typer.progressbar(incoming, label="importing", hidden=len(incoming) < 20) as progress:
        for article in progress:
            old_path = existing.get(article.id)
            assert article.path is not None  # read from a file just now
            shutil.copyfile(article.path, old_path or destination / f"{article.id}.md")
            replaced += old_path is not None
            added += old_path is None
    typer.echo(f"{added} added, {replaced} replaced in {destination}")


def _triager(config: Path | None) -> HelpCenterTriager:
    try:
        return build_triager(_triage_config(config))
    except (ArticleError, ConfigError) as error:
        _fail(str(error))


@kb_app.command("search")
def search(
    query: Annotated[str, typer.Argument(help="What an owner would type.")],
    json_output: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """The three best articles for a query, with scores and the confidence."""
    ranking = _triager(config).search(query)
    hits = [
        {"id": h.article.id, "title": h.article.title, "url": h.article.url, "score": h.score}
        for h in ranking.hits
    ]
    if json_output:
        payload = {"confidence": ranking.confidence, "results": hits}
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    if not hits:
        typer.echo("no article matches")
    for hit in hits:
        typer.echo(f"{hit['score']:7.2f}  {hit['id']}  {hit['title']}\n         {hit['url']}")
    typer.echo(f"confidence {ranking.confidence}")


@kb_app.command("embed")
def embed(config: ConfigOption = None) -> None:
    """Compute and store the embeddings of articles and exemplars that changed (run after
    editing the help center: otherwise they are computed in the background at start)."""
    triager = _triager(config)
    if triager.semantic is None:
        _fail("triage.semantic is off: there is nothing to embed")
    for name, vectors in (
        ("articles", triager.semantic.articles),
        ("exemplars", triager.semantic.exemplars.vectors),
    ):
        vectors.wait()  # a background fill may have started: let it finish first
        missing = vectors.missing
        vectors.complete()
        typer.echo(f"{name}: {missing} embedded, {len(vectors.keys)} stored in {vectors.cache}")


def _payload(result: TriageResult) -> dict[str, object]:
    suggestions = [
        {"id": s.article_id, "title": s.title, "url": s.url, "score": s.score}
        for s in result.suggestions
    ]
    return {
        "department": result.department,
        "critical": result.critical,
        "confidence": result.confidence,
        "signals": list(result.signals),
        "suggestions": suggestions,
    }


def _batch(triager: HelpCenterTriager, source: TextIO) -> None:
    """One JSON line out per JSON line in; a line that is not a ticket gets an error line."""
    started = time.monotonic()
    for number, line in enumerate(source, start=1):
        if not line.strip():
            continue
        try:
            ticket = json.loads(line)
            title, body = str(ticket["title"]), str(ticket.get("body") or "")
        except (ValueError, KeyError, TypeError) as error:
            typer.echo(json.dumps({"line": number, "error": f"not a ticket: {error}"}))
            continue
        typer.echo(json.dumps(_payload(triager.assess(title=title, body=body)), ensure_ascii=False))
        if number % BATCH_PROGRESS == 0:
            rate = number / max(time.monotonic() - started, 1e-9)
            typer.echo(f"{number} tickets triaged ({rate:.0f}/s)", err=True)


def triage_command(
    title: Annotated[
        str | None, typer.Option("--title", "-t", help="The ticket title (2-3 words).")
    ] = None,
    body: Annotated[str, typer.Option("--body", "-b", help="The ticket description.")] = "",
    batch: Annotated[
        str | None,
        typer.Option(
            "--batch",
            help='JSON lines {"title", "body"} from FILE ("-": stdin), one JSON line out each.',
        ),
    ] = None,
    json_output: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Triage a ticket as Pomoc would: department, criticality, signals, suggestions."""
    if (title is None) == (batch is None):
        _fail("give either --title (one ticket) or --batch FILE (JSON lines)")
    triager = _triager(config)
    if batch is not None:
        if batch == "-":
            _batch(triager, sys.stdin)
            return
        try:
            with Path(batch).open(encoding="utf-8") as source:
                _batch(triager, source)
        except OSError as error:
            _fail(f"cannot read {batch}: {error}")
        return
    assert title is not None
    result = triager.assess(title=title, body=body)
    payload = _payload(result)
    if json_output:
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    typer.echo(f"department: {result.department}")
    typer.echo(f"critical:   {'yes' if result.critical else 'no'}")
    typer.echo(f"confidence: {result.confidence}")
    typer.echo("signals:    " + (", ".join(result.signals) or "-"))
    typer.echo("suggestions:" + ("" if result.suggestions else " -"))
    for s in result.suggestions:
        typer.echo(f"  {s.score:7.2f}  {s.article_id}  {s.url}")
