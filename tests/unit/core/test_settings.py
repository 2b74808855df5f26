from __future__ import annotations

import pytest
from pydantic import SecretStr

from tradewind.settings import Settings


def test_sandbox_stages_may_use_the_sandbox_credentials() -> None:
    for stage in ("local", "test"):
        assert Settings(stage=stage).pelicanpay_credentials() == ("sandbox-api-key", ("sandbox-webhook-secret",))


def test_a_deployed_stage_refuses_the_public_sandbox_credentials() -> None:
    with pytest.raises(ValueError, match="TRADEWIND_PELICANPAY_API_KEY"):
        Settings(stage="prod").pelicanpay_credentials()
    with pytest.raises(ValueError, match="sandbox credentials"):
        Settings(stage="dev", pelicanpay_api_key=SecretStr("real")).pelicanpay_credentials()


def test_a_deployed_stage_takes_its_own_credentials_and_rotating_secrets() -> None:
    settings = Settings(
        stage="prod", pelicanpay_api_key=SecretStr("k"), pelicanpay_webhook_secrets=SecretStr("new,old")
    )
    assert settings.pelicanpay_credentials() == ("k", ("new", "old"))


def test_an_empty_secret_list_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        Settings(
            stage="prod", pelicanpay_api_key=SecretStr("k"), pelicanpay_webhook_secrets=SecretStr(",")
        ).pelicanpay_credentials()
