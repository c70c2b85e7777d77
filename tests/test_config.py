"""Configuration: defaults, validation that names the key, placeholders refused, secrets hidden."""

import tomllib
from pathlib import Path

import pytest

from bot.config import Config, ConfigError, Secrets, load_config, parse_config

EXAMPLE = Path(__file__).parent.parent / "config.example.toml"


def test_no_file_means_embedded_defaults():
    config = load_config(None)
    assert config.database.url.startswith("sqlite:///")
    assert config.support_hours.timezone == "Europe/Warsaw"
    assert config.department("payments").platform == "none"


def test_errors_name_the_key():
    with pytest.raises(ConfigError, match=r"departments\.payments\.platform"):
        parse_config({"departments": {"payments": {"platform": "irc", "channel": "#x"}}})
    with pytest.raises(ConfigError, match=r"server\.prot"):
        parse_config({"server": {"prot": 80}})


def test_the_example_refuses_to_start_until_placeholders_are_replaced(tmp_path):
    with pytest.raises(ConfigError, match="example value"):
        load_config(EXAMPLE)
    real = EXAMPLE.read_text().replace("EXAMPLE", "real")
    (tmp_path / "pomoc.toml").write_text(real)
    config = load_config(tmp_path / "pomoc.toml")
    assert config.department("payments").channel == "C0real1"
    assert config.department("shipping").relay_mode == "explicit"
    assert config.department("catalog").channel == "!realother:example.org"  # falls back


def test_the_example_documents_every_setting():
    example = tomllib.loads(EXAMPLE.read_text().replace("EXAMPLE", "x"))
    text = EXAMPLE.read_text()
    for section, model in Config.model_fields.items():
        if section == "departments":
            continue
        assert section in example, section
        for key in model.annotation.model_fields:
            assert f"{key} =" in text, f"{section}.{key} is missing from config.example.toml"


def test_missing_file_and_bad_toml(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml")
    (tmp_path / "bad.toml").write_text("[server\nport=")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(tmp_path / "bad.toml")


def test_secrets_come_from_the_environment_and_never_print():
    secrets = Secrets.from_env({"POMOC_SLACK_BOT_TOKEN": "xoxb-123", "POMOC_SECRET_KEY": "k"})
    assert secrets.slack_bot_token == "xoxb-123"
    assert secrets.matrix_access_token is None
    assert "xoxb" not in repr(secrets) and "xoxb" not in str(secrets)
