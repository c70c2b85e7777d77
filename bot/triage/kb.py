"""The help center: Markdown articles with YAML front matter, loaded and validated from a folder."""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.errors import PomocError

DEFAULT_KB_DIR = Path(__file__).resolve().parent.parent / "helpcenter"
DEPARTMENTS = (
    "payments",
    "shipping",
    "integrations",
    "technical",
    "billing",
    "design",
    "catalog",
    "marketing",
    "other",
)
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_REQUIRED = ("id", "title", "department", "tags", "url")
_LISTS = ("tags", "aliases", "keywords")


class ArticleError(PomocError):
    """An article file that cannot be used; the message names the file and the field."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


@dataclass(frozen=True, slots=True)
class Article:
    id: str
    title: str
    department: str
    tags: tuple[str, ...]
    url: str
    body: str
    aliases: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    path: Path | None = None


def _split_front_matter(path: Path, text: str) -> tuple[dict[str, Any], str]:
    if not text.startswith("---\n"):
        raise ArticleError(path, "must start with a '---' line opening the YAML front matter")
    end = text.find("\n---", 4)
    if end < 0:
        raise ArticleError(path, "front matter is not closed by a '---' line")
    try:
        meta = yaml.safe_load(text[4:end])
    except yaml.YAMLError as error:
        raise ArticleError(path, f"front matter is not valid YAML: {error}") from None
    if not isinstance(meta, dict):
        raise ArticleError(path, "front matter must be a mapping of fields")
    return meta, text[end + 4 :].strip()


def _checked(path: Path, meta: dict[str, Any], *, body: str) -> Article:
    missing = [key for key in _REQUIRED if not meta.get(key)]
    if missing:
        raise ArticleError(path, f"missing required field(s): {', '.join(missing)}")
    unknown = sorted(set(meta) - {*_REQUIRED, *_LISTS})
    if unknown:
        raise ArticleError(path, f"unknown field(s): {', '.join(unknown)}")
    article_id = str(meta["id"])
    if not _ID.match(article_id):
        raise ArticleError(path, f"id {article_id!r} must be lowercase letters, digits and '-'")
    if meta["department"] not in DEPARTMENTS:
        allowed = ", ".join(DEPARTMENTS)
        raise ArticleError(path, f"department {meta['department']!r} is not one of: {allowed}")
    if not str(meta["url"]).startswith(("https://", "http://")):
        raise ArticleError(path, f"url {meta['url']!r} must be an http(s) address")
    for key in _LISTS:
        value = meta.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ArticleError(path, f"{key} must be a list of strings")
    if not body:
        raise ArticleError(path, "the article has no text after the front matter")
    return Article(
        id=article_id,
        title=str(meta["title"]),
        department=meta["department"],
        tags=tuple(meta["tags"]),
        url=str(meta["url"]),
        body=body,
        aliases=tuple(meta.get("aliases", [])),
        keywords=tuple(meta.get("keywords", [])),
        path=path,
    )


def parse_article(path: Path) -> Article:
    """Read and validate one article file; raises ArticleError naming the problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ArticleError(path, "is not UTF-8 text") from None
    meta, body = _split_front_matter(path, text.replace("\r\n", "\n"))
    return _checked(path, meta, body=body)


def unique(articles: Iterable[Article]) -> list[Article]:
    """The articles, refusing two that share an id."""
    seen: dict[str, Article] = {}
    for article in articles:
        if article.id in seen:
            raise ArticleError(
                article.path or Path(article.id),
                f"id {article.id!r} is also used by {seen[article.id].path}",
            )
        seen[article.id] = article
    return list(seen.values())


def load_articles(directory: Path | None = None) -> list[Article]:
    """Every `*.md` article in `directory` (default: the help center shipped with Pomoc)."""
    folder = directory or DEFAULT_KB_DIR
    if not folder.is_dir():
        raise ArticleError(folder, "help-center folder does not exist")
    return unique(parse_article(path) for path in sorted(folder.glob("*.md")))
