"""`pomoc kb gaps`: the knowledge gaps of the last days as a table or CSV, progress on stderr."""

from datetime import UTC, datetime, timedelta

from typer.testing import CliRunner

from pomoc.cli import app

runner = CliRunner()


def write_config(config, tmp_path, *, language: str = "pl") -> str:
    path = tmp_path / "pomoc.toml"
    path.write_text(f'[database]\nurl = "{config.database.url}"\n[chat]\nlanguage = "{language}"\n')
    return str(path)


def gaps_month(services, clock, open_ticket, shop) -> dict[str, int]:
    """Tickets of the last 30 days (and one older) relative to now: the command reads the
    real clock."""
    now = datetime.now(UTC)
    ids = {}
    clock.set(now - timedelta(days=40))
    ids["old"] = open_ticket(title="Zmiana logo").id  # older than --days
    for key, days, title, body in (
        ("logo", 20, "Zmiana logo", "Jak?"),
        ("logo2", 5, "zmiana logo, pilne", "Jak?"),
        ("p24", 2, "Przelewy24 nie dziala", "p24 nie działa"),
        ("p24b", 1, "prezlewy24 konfiguracja", "p24 klucz"),
        ("crc", 1, "Przelewy24 CRC", "p24 klucz CRC"),
    ):
        clock.set(now - timedelta(days=days))
        ids[key] = open_ticket(title=title, body=body).id
    services.tickets.feedback(shop=shop, ticket_id=ids["p24"], helped=False)
    services.tickets.feedback(shop=shop, ticket_id=ids["p24b"], helped=False)
    services.tickets.feedback(shop=shop, ticket_id=ids["crc"], helped=True)  # answered
    return ids


def test_kb_gaps_prints_the_table_of_the_last_30_days(
    services, clock, open_ticket, shop, config, tmp_path
):
    ids = gaps_month(services, clock, open_ticket, shop)
    result = runner.invoke(app, ["kb", "gaps", "--config", write_config(config, tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "słowa\tdział\tzgłoszenia\tprzykłady",
        f"zmiana logo\tother\t2\t#{ids['logo2']} #{ids['logo']}",
        f"przelewy24\tpayments\t2\t#{ids['p24b']} #{ids['p24']}",
    ]
    assert "reading the tickets of the last 30 days" in result.stderr
    assert "4 tickets in 2 gaps" in result.stderr


def test_kb_gaps_of_one_department_as_csv(services, clock, open_ticket, shop, config, tmp_path):
    ids = gaps_month(services, clock, open_ticket, shop)
    path = write_config(config, tmp_path, language="en")
    result = runner.invoke(
        app, ["kb", "gaps", "--days", "3", "--department", "payments", "--csv", "--config", path]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"words,department,tickets,examples\nprzelewy24,payments,2,#{ids['p24b']} #{ids['p24']}\n"
    )
    other = runner.invoke(
        app, ["kb", "gaps", "--days", "3", "--department", "other", "--config", path]
    )
    assert other.stdout == "words\tdepartment\ttickets\texamples\n"
    assert "0 tickets in 0 gaps" in other.stderr
