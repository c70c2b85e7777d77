"""The `kb import`, `kb search` and `triage` commands, through typer's CliRunner."""

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from pomoc import cli_triage
from pomoc.cli import app as pomoc_app

ARTICLE = """---
id: {id}
title: Zwroty dla sklepów z odzieżą
department: other
tags: [zwrot]
url: https://selesto.pl/pomoc/{id}
---
Jak przyjąć zwrot odzieży.
"""

runner = CliRunner()


@pytest.fixture
def app(triager, monkeypatch) -> typer.Typer:
    # Reuse the session's triager: building one takes seconds.
    monkeypatch.setattr(cli_triage, "build_triager", lambda config: triager)
    return pomoc_app


def test_search_prints_top_three_as_json(app):
    result = runner.invoke(app, ["kb", "search", "blad crc przelewy24", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["results"][0]["id"] == "p24-klucz-crc"
    assert len(payload["results"]) == 3
    assert set(payload["results"][0]) == {"id", "title", "url", "score"}


def test_search_prints_text(app):
    result = runner.invoke(app, ["kb", "search", "paczkomaty"])
    assert result.exit_code == 0
    assert "https://selesto.pl/pomoc/inpost-paczkomaty" in result.output


def test_triage_command_reports_department_criticality_and_signals(app):
    result = runner.invoke(
        app, ["triage", "--title", "sklep nie dziala", "--body", "blad 500", "--json"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert (payload["department"], payload["critical"]) == ("technical", True)
    assert "critical:shop_down(title)" in payload["signals"]


def test_triage_command_text_output(app):
    result = runner.invoke(
        app, ["triage", "-t", "platnosc p24 crc", "-b", "nie dziala platnosc blad crc"]
    )
    assert result.exit_code == 0
    assert "department: payments" in result.output
    assert "critical:   no" in result.output
    assert "p24-klucz-crc" in result.output


def test_import_merges_articles_into_the_target(app, tmp_path: Path):
    source, target = tmp_path / "new", tmp_path / "kb"
    source.mkdir()
    target.mkdir()
    (source / "zwroty-odziez.md").write_text(ARTICLE.format(id="zwroty-odziez"), "utf-8")
    (target / "old-name.md").write_text(ARTICLE.format(id="zwroty-odziez"), "utf-8")
    (source / "nowy.md").write_text(ARTICLE.format(id="nowy"), "utf-8")
    result = runner.invoke(app, ["kb", "import", str(source), "--target", str(target)])
    assert result.exit_code == 0, result.output
    assert "1 added, 1 replaced" in result.output
    # The replaced article keeps its file name, so the folder never holds the id twice.
    assert sorted(p.name for p in target.iterdir()) == ["nowy.md", "old-name.md"]


def test_import_target_defaults_to_configured_kb_dir(app, tmp_path: Path):
    source, target = tmp_path / "new", tmp_path / "kb"
    source.mkdir()
    (source / "a.md").write_text(ARTICLE.format(id="a"), "utf-8")
    config = tmp_path / "pomoc.toml"
    config.write_text(f'[triage]\nkb_dir = "{target}"\n', "utf-8")
    result = runner.invoke(app, ["kb", "import", str(source), "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert (target / "a.md").exists()


def test_import_refuses_a_bad_article_and_names_it(app, tmp_path: Path):
    source, target = tmp_path / "new", tmp_path / "kb"
    source.mkdir()
    (source / "good.md").write_text(ARTICLE.format(id="good"), "utf-8")
    (source / "bad.md").write_text(
        ARTICLE.format(id="bad").replace("department: other", ""), "utf-8"
    )
    result = runner.invoke(app, ["kb", "import", str(source), "--target", str(target)])
    assert result.exit_code == 1
    assert "bad.md: missing required field(s): department" in result.output
    assert not target.exists() or not any(target.iterdir())


def test_import_without_target_or_kb_dir_fails(app, tmp_path: Path):
    result = runner.invoke(app, ["kb", "import", str(tmp_path)])
    assert result.exit_code == 1
    assert "--target" in result.output


def test_batch_reads_json_lines_and_writes_one_line_each(app, tmp_path: Path):
    tickets = [
        {"title": "sklep nie dziala", "body": "blad 500 na kazdej stronie, nikt nie kupi"},
        {"title": "jak wlaczyc blik", "body": "gdzie to ustawic?"},
    ]
    source = tmp_path / "tickets.jsonl"
    source.write_text("\n".join(json.dumps(t) for t in tickets) + "\n", encoding="utf-8")
    batch = runner.invoke(app, ["triage", "--batch", str(source)])
    assert batch.exit_code == 0, batch.output
    lines = [json.loads(line) for line in batch.stdout.splitlines()]
    assert [line["critical"] for line in lines] == [True, False]
    single = runner.invoke(
        app, ["triage", "-t", tickets[0]["title"], "-b", tickets[0]["body"], "--json"]
    )
    assert lines[0] == json.loads(single.output)  # the same shape and content as --json


def test_batch_from_stdin_reports_bad_lines_in_place(app):
    lines = '{"title": "allegro"}\nnot json\n{"body": "no title"}\n'
    result = runner.invoke(app, ["triage", "--batch", "-"], input=lines)
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert out[0]["department"] == "integrations"
    assert [o.get("line") for o in out[1:]] == [2, 3]
    assert all("not a ticket" in o["error"] for o in out[1:])


def test_batch_prints_progress_on_stderr(app, monkeypatch):
    monkeypatch.setattr(cli_triage, "BATCH_PROGRESS", 2)
    lines = "".join(json.dumps({"title": f"pytanie {n}", "body": ""}) + "\n" for n in range(4))
    result = runner.invoke(app, ["triage", "--batch", "-"], input=lines)
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 4
    assert "4 tickets triaged" in result.stderr


def test_triage_needs_a_title_or_a_batch(app):
    result = runner.invoke(app, ["triage"])
    assert result.exit_code == 1
    assert "--batch" in result.output


def test_kb_embed_stores_vectors_beside_the_articles(tmp_path: Path):
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "zwroty.md").write_text(ARTICLE.format(id="zwroty"), "utf-8")
    config = tmp_path / "pomoc.toml"
    config.write_text(f'[triage]\nkb_dir = "{kb}"\n', "utf-8")
    first = runner.invoke(pomoc_app, ["kb", "embed", "--config", str(config)])
    assert first.exit_code == 0, first.output
    assert (kb / "embeddings.npz").exists()
    assert "articles:" in first.output and "1 stored" in first.output
    again = runner.invoke(pomoc_app, ["kb", "embed", "--config", str(config)])
    assert "articles: 0 embedded, 1 stored" in again.output  # the cache is keyed by text
