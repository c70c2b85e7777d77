"""CLI for the help center and triage: `kb import`, `kb search` and `triage`."""

import json
import shutil
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from bot.config import ConfigError, TriageConfig
from bot.triage import HelpCenterTriager, build_triager
from bot.triage.kb import Article, ArticleError, load_articles, parse_article, unique
from pomoc.cli_options import ConfigOption, JsonOption, config_or_exit

kb_app = typer.Typer(help="The help center used to answer tickets.", no_args_is_help=True)


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


def triage_command(
    title: Annotated[str, typer.Option("--title", "-t", help="The ticket title (2-3 words).")],
    body: Annotated[str, typer.Option("--body", "-b", help="The ticket description.")] = "",
    json_output: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Triage a ticket as Pomoc would: department, criticality, signals, suggestions."""
    result = _triager(config).assess(title=title, body=body)
    suggestions = [
        {"id": s.article_id, "title": s.title, "url": s.url, "score": s.score}
        for s in result.suggestions
    ]
    if json_output:
        payload = {
            "department": result.department,
            "critical": result.critical,
            "confidence": result.confidence,
            "signals": list(result.signals),
            "suggestions": suggestions,
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    typer.echo(f"department: {result.department}")
    typer.echo(f"critical:   {'yes' if result.critical else 'no'}")
    typer.echo(f"confidence: {result.confidence}")
    typer.echo("signals:    " + (", ".join(result.signals) or "-"))
    typer.echo("suggestions:" + ("" if suggestions else " -"))
    for s in suggestions:
        typer.echo(f"  {s['score']:7.2f}  {s['id']}  {s['url']}")
