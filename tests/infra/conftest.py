"""One synthesis per test session: `dev` with real layers, `prod` with a built web app.

CDK synthesis costs seconds; every assertion in tests/infra reads these
session-scoped results instead of synthesizing again.
"""

from __future__ import annotations

import os

# Before aws_cdk starts its Node process: the Node 20 end-of-life banner is noise here.
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

from infra.config import ENVIRONMENTS_CONTEXT_KEY, cdk_json_context
from infra.stacks import WEB_DIR_CONTEXT_KEY
from infra.synth import Synthesis, merged_template, synthesize
from tests.infra.helpers import ADMIN_DOMAIN, CERTIFICATE_ARN

WEB_APP_PAGE = "<!doctype html><title>Tradewind</title>"


@pytest.fixture(scope="session")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Synthesis:
    # bundle=True: the first run pip-installs the layers into .build/layers, later runs reuse them.
    return synthesize("dev", bundle=True, outdir=tmp_path_factory.mktemp("cdk-dev"))


@pytest.fixture(scope="session")
def dev_json(dev: Synthesis) -> dict[str, Any]:
    return merged_template(dev.assembly)


@pytest.fixture(scope="session")
def dev_template(dev_json: dict[str, Any]) -> Template:
    return Template.from_json(dev_json)


@pytest.fixture(scope="session")
def web_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("web")
    for app in ("admin", "investor"):
        (root / app / "dist").mkdir(parents=True)
        (root / app / "dist" / "index.html").write_text(WEB_APP_PAGE)
    return root


@pytest.fixture(scope="session")
def prod(tmp_path_factory: pytest.TempPathFactory, web_dir: Path) -> Synthesis:
    # prod as in cdk.json, plus a custom domain for the admin app only: both TLS paths get synthesized.
    environments = cdk_json_context()[ENVIRONMENTS_CONTEXT_KEY]
    prod = {**environments["prod"], "web_domains": {"admin": ADMIN_DOMAIN}, "web_certificate_arn": CERTIFICATE_ARN}
    return synthesize(
        "prod",
        bundle=False,
        outdir=tmp_path_factory.mktemp("cdk-prod"),
        context={WEB_DIR_CONTEXT_KEY: str(web_dir), ENVIRONMENTS_CONTEXT_KEY: {**environments, "prod": prod}},
    )


@pytest.fixture(scope="session")
def prod_json(prod: Synthesis) -> dict[str, Any]:
    return merged_template(prod.assembly)
