"""One synthesis per environment and test session.

`dev` is synthesized in-process with real layers (the app object is kept for
the cdk-nag audit); `prod` runs app.py exactly as the CDK CLI does, with a
built web app and a custom domain. CDK synthesis costs seconds: every
assertion in tests/infra reads these session-scoped results.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

# Before aws_cdk starts its Node process: the Node 20 end-of-life banner is noise here.
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

from infra.config import (
    BUNDLE_CONTEXT_KEY,
    ENV_CONTEXT_KEY,
    ENVIRONMENTS_CONTEXT_KEY,
    PROJECT_ROOT,
    cdk_json_context,
)
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
def prod_outdir(tmp_path_factory: pytest.TempPathFactory, web_dir: Path) -> Path:
    """`cdk synth -c env=prod`: the CLI hands app.py the context in CDK_CONTEXT_JSON, the outdir in CDK_OUTDIR."""
    # prod as in cdk.json, plus a custom domain for the admin app only: both TLS paths get synthesized.
    environments = cdk_json_context()[ENVIRONMENTS_CONTEXT_KEY]
    prod = {**environments["prod"], "web_domains": {"admin": ADMIN_DOMAIN}, "web_certificate_arn": CERTIFICATE_ARN}
    context = {
        **cdk_json_context(),
        ENV_CONTEXT_KEY: "prod",
        BUNDLE_CONTEXT_KEY: False,
        WEB_DIR_CONTEXT_KEY: str(web_dir),
        ENVIRONMENTS_CONTEXT_KEY: {**environments, "prod": prod},
    }
    outdir = tmp_path_factory.mktemp("cdk-prod")
    environment = {
        "PATH": os.environ["PATH"],
        "CDK_CONTEXT_JSON": json.dumps(context),
        "CDK_OUTDIR": str(outdir),
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    }
    result = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "app.py")], capture_output=True, text=True, env=environment, check=False
    )
    if result.returncode != 0:
        pytest.fail(f"app.py failed for prod:\n{result.stderr[-3000:]}")
    return outdir


@pytest.fixture(scope="session")
def prod_json(prod_outdir: Path) -> dict[str, Any]:
    template: dict[str, Any] = json.loads((prod_outdir / "tradewind-prod-app.template.json").read_text())
    return template


@pytest.fixture(scope="session")
def prod_manifest(prod_outdir: Path) -> dict[str, Any]:
    """The stack artifact of prod in the cloud assembly manifest (environment, termination protection)."""
    manifest: dict[str, Any] = json.loads((prod_outdir / "manifest.json").read_text())
    return dict(manifest["artifacts"]["tradewind-prod-app"])
