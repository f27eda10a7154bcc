from __future__ import annotations

import pytest
from pydantic_settings import SettingsConfigDict

from kindops.errors import ConfigError
from kindops.settings import KindopsSettings, load


class NeedsUrl(KindopsSettings):
    model_config = SettingsConfigDict(env_prefix="KINDOPS_DEMO_", extra="ignore")
    url: str
    retries: int = 3


def test_env_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KINDOPS_DEMO_URL", "http://x")
    monkeypatch.setenv("KINDOPS_DEMO_RETRIES", "5")
    s = load(NeedsUrl)
    assert (s.url, s.retries) == ("http://x", 5)


def test_missing_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KINDOPS_DEMO_URL", raising=False)
    with pytest.raises(ConfigError, match="KINDOPS_DEMO_URL: Field required"):
        load(NeedsUrl)


def test_bad_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KINDOPS_DEMO_URL", "http://x")
    monkeypatch.setenv("KINDOPS_DEMO_RETRIES", "many")
    with pytest.raises(ConfigError, match="KINDOPS_DEMO_RETRIES"):
        load(NeedsUrl)
