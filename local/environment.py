"""The process environment the handlers see, set before any of them is imported.

Handlers read everything through `tradewind.settings.Settings`, and boto3
follows AWS_ENDPOINT_URL: setting these variables in this process is what
points every adapter at the emulator. Powertools and moto read a few of their
own. The functions' common variables from the template come first, so local
runs use the deployed configuration unless the user overrides a variable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from local.options import LocalOptions
from local.template import Template, TemplateError
from tradewind.settings import Settings, get_settings


def common_function_environment(template: Template) -> dict[str, str]:
    """Variables every function of the template sets to the same value."""
    environments = []
    for resource in template.of_type("AWS::Lambda::Function"):
        variables = (resource.properties.get("Environment") or {}).get("Variables") or {}
        resolved = {}
        for name, value in variables.items():
            try:
                resolved[name] = str(template.resolve(value))
            except TemplateError:
                continue
        environments.append(resolved)
    if not environments:
        return {}
    common = dict(environments[0])
    for environment in environments[1:]:
        common = {k: v for k, v in common.items() if environment.get(k) == v}
    return common


def cloud_environment(options: LocalOptions, settings: Settings, websocket_stage: str) -> dict[str, str]:
    """What must hold before moto serves its first request."""
    return {
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",  # moto accepts any credentials
        "AWS_REGION": settings.region,
        "AWS_DEFAULT_REGION": settings.region,
        "AWS_ENDPOINT_URL": options.moto_endpoint,
        "MOTO_PORT": str(options.moto_port),
        "MOTO_ACCOUNT_ID": settings.account,
        "MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP": "true",
        # No X-Ray daemon locally.
        "POWERTOOLS_TRACE_DISABLED": "true",
        "TRADEWIND_STAGE": "local",
        "TRADEWIND_ACCOUNT": settings.account,
        "TRADEWIND_WEBSOCKET_ENDPOINT": options.websocket_management_url(websocket_stage),
        # The demo's bars are seeded into this folder, which plays the S3 market-data lake.
        "TRADEWIND_MARKET_LAKE_DIR": str(settings.data_dir.resolve()),
    }


def identity_environment(options: LocalOptions, user_pool_id: str, client_id: str) -> dict[str, str]:
    """The user pool's ids, known once the pool exists."""
    return {
        "TRADEWIND_USER_POOL_ID": user_pool_id,
        "TRADEWIND_USER_POOL_CLIENT_ID": client_id,
        "TRADEWIND_JWKS_URL": f"{options.moto_endpoint}/{user_pool_id}/.well-known/jwks.json",
    }


def apply(variables: Mapping[str, str], *, keep_existing: bool = False) -> Settings:
    """Sets the variables and returns the settings the handlers will now read."""
    for name, value in variables.items():
        if keep_existing and name in os.environ:
            continue
        os.environ[name] = value
    get_settings.cache_clear()
    return get_settings()
