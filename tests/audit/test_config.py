"""Settings: environment over config file over defaults; bad settings are named."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.audit.config import load_settings
from engine.audit.errors import AuditRequestError


def test_defaults_are_a_sqlite_file_in_data_under_the_working_directory(tmp_path: Path) -> None:
    settings = load_settings(env={}, cwd=tmp_path)
    assert settings.data_dir == tmp_path / "data"
    assert settings.database_url == f"sqlite:///{tmp_path.resolve() / 'data' / 'audit.db'}"
    assert (settings.record, settings.role, settings.config_file) == (True, "rep", None)
    assert settings.actor  # the OS user


def test_the_config_file_sets_values_and_the_environment_wins(tmp_path: Path) -> None:
    (tmp_path / "sales-expert.toml").write_text(
        'data_dir = "var/audit"\nrecord = false\nactor = "cfg"\nrole = "auditor"\n'
    )
    settings = load_settings(env={}, cwd=tmp_path)
    assert settings.data_dir == tmp_path / "var" / "audit"  # relative to the file
    assert str(settings.data_dir / "audit.db") in settings.database_url
    assert (settings.record, settings.actor, settings.role) == (False, "cfg", "auditor")
    env = {
        "SALES_EXPERT_RECORD": "on",
        "SALES_EXPERT_ACTOR": "env",
        "SALES_EXPERT_DATABASE_URL": "postgresql+psycopg://u@db/sales",
    }
    settings = load_settings(env=env, cwd=tmp_path)
    assert (settings.record, settings.actor) == (True, "env")
    assert settings.database_url == "postgresql+psycopg://u@db/sales"


def test_sales_expert_config_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "elsewhere.toml"
    path.write_text('database_url = "sqlite:////srv/audit.db"\n')
    settings = load_settings(env={"SALES_EXPERT_CONFIG": str(path)}, cwd=tmp_path)
    assert settings.database_url == "sqlite:////srv/audit.db" and settings.config_file == path


@pytest.mark.parametrize(
    ("content", "env", "message"),
    [
        ("colour = 1\n", {}, "unknown setting(s) colour"),
        ("record = [\n", {}, "config file"),
        ("", {"SALES_EXPERT_RECORD": "maybe"}, "expected on or off"),
        ("", {"SALES_EXPERT_ROLE": "boss"}, "'boss' is not a role"),
        ("", {"SALES_EXPERT_CONFIG": "/nonexistent.toml"}, "no such file"),
    ],
)
def test_bad_settings_are_refused_by_name(
    tmp_path: Path, content: str, env: dict[str, str], message: str
) -> None:
    (tmp_path / "sales-expert.toml").write_text(content)
    with pytest.raises(AuditRequestError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_settings(env=env, cwd=tmp_path)
