"""Settings come from MYSQL2DDB_* variables (read by tools/core/settings.py, not pydantic-settings):
names in any case, keyword arguments over the environment, lists split, and a bad value a clear
error naming the variable instead of a pydantic dump."""

from __future__ import annotations

from pathlib import Path

import pytest

from mysql2ddb.tools.core.errors import ConfigError
from mysql2ddb.tools.core.settings import Settings


def test_environment_read_in_any_case_and_keywords_win(monkeypatch, tmp_path):
    monkeypatch.setenv("MYSQL2DDB_WORKDIR", str(tmp_path / "from-env"))
    monkeypatch.setenv("mysql2ddb_allow_writes", "true")
    monkeypatch.setenv("MYSQL2DDB_HTTP_PORT", "9001")
    monkeypatch.setenv("MYSQL2DDB_READ_DIRS", f"{tmp_path}/a:{tmp_path}/b:")
    monkeypatch.setenv("MYSQL2DDB_HTTP_ALLOWED_ORIGINS", "http://a.test:1, http://b.test")
    monkeypatch.setenv("MYSQL2DDB_DSN", "mysql://u:secret@h/db")
    monkeypatch.setenv("MYSQL2DDB_NOT_A_SETTING", "ignored")
    s = Settings()
    assert s.workdir == tmp_path / "from-env" and s.allow_writes is True and s.http_port == 9001
    assert s.read_dirs == [tmp_path / "a", tmp_path / "b"]
    assert s.http_allowed_origins == ["http://a.test:1", "http://b.test"]
    assert "secret" not in repr(s) and s.dsn.get_secret_value() == "mysql://u:secret@h/db"
    assert Settings(workdir=Path("given"), allow_writes=False).workdir == Path("given")
    assert Settings(allow_writes=False).allow_writes is False


def test_bad_environment_value_names_the_variable(monkeypatch):
    monkeypatch.setenv("MYSQL2DDB_HTTP_PORT", "eighty")
    with pytest.raises(ConfigError) as err:
        Settings()
    assert err.value.where == "settings: MYSQL2DDB_HTTP_PORT"
    assert "integer" in err.value.why and "MYSQL2DDB_HTTP_PORT" in err.value.remedy


def test_bad_keyword_value_names_the_field():
    with pytest.raises(ConfigError) as err:
        Settings(exact_count_threshold="many")
    assert err.value.where == "settings: exact_count_threshold"
