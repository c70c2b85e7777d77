"""The `pomoc` command line."""

from typer.testing import CliRunner

from pomoc.cli import app
from storage import repositories as repo
from storage.db import Database

runner = CliRunner()


def write_config(tmp_path) -> str:
    path = tmp_path / "pomoc.toml"
    path.write_text(f'[database]\nurl = "sqlite:///{tmp_path}/cli.db"\n')
    return str(path)


def test_db_upgrade_and_shops_add_print_a_token_stored_only_as_hash(tmp_path):
    config = write_config(tmp_path)
    assert runner.invoke(app, ["db", "upgrade", "--config", config]).exit_code == 0
    added = runner.invoke(app, ["shops", "add", "Sklep Ewy", "--config", config])
    assert added.exit_code == 0, added.output
    token = added.output.strip()
    assert len(token) >= 40
    db = Database(f"sqlite:///{tmp_path}/cli.db")
    with db.transaction() as session:
        shop = repo.shop_by_token(session, token)
        assert shop.name == "Sklep Ewy"
        assert shop.token_hash != token and token not in shop.token_hash
    db.dispose()
    listed = runner.invoke(app, ["shops", "list", "--config", config])
    assert "Sklep Ewy" in listed.output and token not in listed.output


def test_duplicate_shop_name_is_a_clear_error(tmp_path):
    config = write_config(tmp_path)
    runner.invoke(app, ["shops", "add", "Sklep", "--config", config])
    again = runner.invoke(app, ["shops", "add", "Sklep", "--config", config])
    assert again.exit_code == 1
    assert "already exists" in again.output


def test_bad_config_exits_2_naming_the_key(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[server]\nport = 'dziewiec'\n")
    result = runner.invoke(app, ["db", "upgrade", "--config", str(path)])
    assert result.exit_code == 2
    assert "server.port" in result.output
