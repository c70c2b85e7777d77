"""Loading and validating help-center articles."""

from pathlib import Path

import pytest

from bot.triage.kb import DEPARTMENTS, ArticleError, load_articles, parse_article

GOOD = """---
id: {id}
title: Tytuł
department: payments
tags: [a, b]
url: https://selesto.pl/pomoc/{id}
---
Treść artykułu.
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_help_center_is_complete():
    articles = load_articles()
    assert len(articles) >= 40
    assert {a.department for a in articles} == set(DEPARTMENTS)
    assert all(a.url == f"https://selesto.pl/pomoc/{a.id}" for a in articles)
    assert all(len(a.body.split()) >= 60 for a in articles)


def test_good_article_is_parsed(tmp_path):
    article = parse_article(write(tmp_path, "x.md", GOOD.format(id="x")))
    assert (article.id, article.department, article.tags) == ("x", "payments", ("a", "b"))
    assert article.body == "Treść artykułu."


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("no front matter\n", "must start with a '---' line"),
        ("---\nid: x\n", "not closed"),
        ("---\nid: [x\n---\nbody\n", "not valid YAML"),
        ("---\n- x\n---\nbody\n", "must be a mapping"),
        (GOOD.format(id="x").replace("title: Tytuł\n", ""), "missing required field(s): title"),
        (GOOD.format(id="x").replace("payments", "sales"), "department 'sales'"),
        (GOOD.format(id="X Y"), "must be lowercase"),
        (GOOD.format(id="x").replace("https://selesto.pl/pomoc/x", "selesto"), "http(s)"),
        (GOOD.format(id="x").replace("[a, b]", "a"), "tags must be a list"),
        (GOOD.format(id="x").replace("tags:", "colour: red\ntags:"), "unknown field(s): colour"),
        (GOOD.format(id="x").replace("Treść artykułu.\n", ""), "no text"),
    ],
)
def test_bad_front_matter_is_refused_naming_the_file(tmp_path, text, message):
    path = write(tmp_path, "bad.md", text)
    with pytest.raises(ArticleError) as raised:
        parse_article(path)
    assert message in str(raised.value)
    assert str(path) in str(raised.value)


def test_duplicate_ids_are_refused(tmp_path):
    write(tmp_path, "one.md", GOOD.format(id="same"))
    write(tmp_path, "two.md", GOOD.format(id="same"))
    with pytest.raises(ArticleError, match="'same' is also used"):
        load_articles(tmp_path)


def test_missing_folder_is_refused(tmp_path):
    with pytest.raises(ArticleError, match="does not exist"):
        load_articles(tmp_path / "nope")
