"""Per-environment settings of the CDK app, read from `cdk.json` context.

Account and region come from here and never from STS, so `cdk synth` works on
a machine without AWS credentials and the template of an environment is the
same wherever it is synthesized.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from aws_cdk import RemovalPolicy, aws_logs
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CDK_JSON = PROJECT_ROOT / "cdk.json"
ENVIRONMENTS_CONTEXT_KEY = "tradewind:environments"
ENV_CONTEXT_KEY = "env"
BUNDLE_CONTEXT_KEY = "tradewind:bundle"

# What a function may do with a table or bucket; names CDK's grant_<access> methods.
Access = Literal["read", "write", "read_write"]

_RETENTION_DAYS = {
    1: aws_logs.RetentionDays.ONE_DAY,
    3: aws_logs.RetentionDays.THREE_DAYS,
    7: aws_logs.RetentionDays.ONE_WEEK,
    14: aws_logs.RetentionDays.TWO_WEEKS,
    30: aws_logs.RetentionDays.ONE_MONTH,
    90: aws_logs.RetentionDays.THREE_MONTHS,
    180: aws_logs.RetentionDays.SIX_MONTHS,
    365: aws_logs.RetentionDays.ONE_YEAR,
    731: aws_logs.RetentionDays.TWO_YEARS,
    1827: aws_logs.RetentionDays.FIVE_YEARS,
    3653: aws_logs.RetentionDays.TEN_YEARS,
}


class EnvironmentConfig(BaseModel):
    """One deployment target (`local`, `dev`, `prod`): where it goes and how it treats data."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    stage: str = Field(pattern=r"^[a-z][a-z0-9-]{1,15}$")
    account: str = Field(pattern=r"^\d{12}$")
    region: str = Field(pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")
    log_retention_days: int
    removal_policy: Literal["destroy", "retain"]
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    api_throttle_rate: float = Field(100.0, gt=0)
    api_throttle_burst: int = Field(200, gt=0)
    # Reserved concurrency by function logical name. Left empty where the
    # account's concurrency quota is small (new accounts have 10).
    reserved_concurrency: dict[str, int] = Field(default_factory=dict)
    alarm_email: str | None = None
    # Custom domains of the web apps ({"admin": "admin.example.com"}) and their
    # ACM certificate, which CloudFront requires in us-east-1.
    web_domains: dict[str, str] = Field(default_factory=dict)
    web_certificate_arn: str | None = None

    @field_validator("log_retention_days")
    @classmethod
    def _known_retention(cls, value: int) -> int:
        if value not in _RETENTION_DAYS:
            raise ValueError(f"log_retention_days must be one of {sorted(_RETENTION_DAYS)}, not {value}")
        return value

    @property
    def retain_data(self) -> bool:
        return self.removal_policy == "retain"

    @property
    def cdk_removal_policy(self) -> RemovalPolicy:
        return RemovalPolicy.RETAIN if self.retain_data else RemovalPolicy.DESTROY

    @property
    def log_retention(self) -> aws_logs.RetentionDays:
        return _RETENTION_DAYS[self.log_retention_days]


class ConfigError(ValueError):
    """The requested environment is missing from, or malformed in, the CDK context."""


def environment_config(environments: object, env: str) -> EnvironmentConfig:
    """`environments` is the `tradewind:environments` context value; `env` one of its keys."""
    if not isinstance(environments, dict) or env not in environments:
        known = ", ".join(sorted(environments)) if isinstance(environments, dict) else "none"
        raise ConfigError(f"unknown environment {env!r} (-c env=...): known environments are {known}")
    try:
        return EnvironmentConfig.model_validate(environments[env])
    except ValidationError as error:
        raise ConfigError(f"environment {env!r} in cdk.json is invalid: {error}") from error


def cdk_json_context() -> dict[str, Any]:
    """The `context` of cdk.json: feature flags and the environments, for in-process synths."""
    context: dict[str, Any] = json.loads(CDK_JSON.read_text())["context"]
    return context
