"""Every environment variable a handler or the local cloud reads, in one model.

Nothing else in the code base reads `os.environ`: a missing or malformed
variable fails here, at start-up, with the variable's name in the message.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from tradewind import resources

# The PelicanPay sandbox's well-known credentials: public, so only stages that talk to
# the sandbox may use them (a deployed stage accepting them would accept forged webhooks).
SANDBOX_PELICANPAY_API_KEY = "sandbox-api-key"
SANDBOX_PELICANPAY_WEBHOOK_SECRET = "sandbox-webhook-secret"
SANDBOX_STAGES = frozenset({"local", "test"})


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRADEWIND_", extra="ignore")

    stage: str = Field("local", pattern=r"^[a-z][a-z0-9-]{1,15}$")
    region: str = Field("us-east-1", validation_alias="AWS_REGION")
    account: str = Field("000000000000", pattern=r"^\d{12}$")
    user_pool_id: str = ""
    user_pool_client_id: str = ""
    # Where the Cognito JWKS lives; empty means the public AWS endpoint for the pool.
    jwks_url: str = ""
    # Issuer expected in tokens; empty means the AWS issuer URL for the pool.
    token_issuer: str = ""
    websocket_endpoint: str = ""
    data_dir: Path = Path(".local/data")
    # A folder that stands in for the S3 market-data lake (the local cloud points it at data_dir).
    market_lake_dir: Path | None = None
    # PelicanPay (payments): the sandbox on loopback locally, the real service on AWS.
    pelicanpay_url: str = "http://127.0.0.1:8790"
    pelicanpay_api_key: SecretStr = SecretStr(SANDBOX_PELICANPAY_API_KEY)
    # Comma-separated: more than one while a webhook secret is being rotated.
    pelicanpay_webhook_secrets: SecretStr = SecretStr(SANDBOX_PELICANPAY_WEBHOOK_SECRET)

    def pelicanpay_credentials(self) -> tuple[str, tuple[str, ...]]:
        """The API key and webhook secrets; refuses the sandbox's public ones outside sandbox stages."""
        api_key = self.pelicanpay_api_key.get_secret_value()
        secrets = tuple(s for s in self.pelicanpay_webhook_secrets.get_secret_value().split(",") if s)
        sandboxed = api_key == SANDBOX_PELICANPAY_API_KEY or SANDBOX_PELICANPAY_WEBHOOK_SECRET in secrets
        if sandboxed and self.stage not in SANDBOX_STAGES:
            raise ValueError(
                f"stage {self.stage!r} uses the PelicanPay sandbox credentials: set TRADEWIND_PELICANPAY_API_KEY "
                "and TRADEWIND_PELICANPAY_WEBHOOK_SECRETS"
            )
        if not secrets:
            raise ValueError("TRADEWIND_PELICANPAY_WEBHOOK_SECRETS is empty")
        return api_key, secrets

    def table(self, logical: str) -> str:
        return resources.TABLES[logical].physical(self.stage)

    def bucket(self, logical: str) -> str:
        return resources.BUCKETS[logical].physical(self.stage, self.account)

    @property
    def market_data_stream(self) -> str:
        return resources.MARKET_DATA_STREAM.physical(self.stage)

    @property
    def issuer(self) -> str:
        return self.token_issuer or f"https://cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}"

    @property
    def jwks(self) -> str:
        return self.jwks_url or f"{self.issuer}/.well-known/jwks.json"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
