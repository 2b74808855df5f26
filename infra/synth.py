"""In-process synthesis of the CDK app, for the local cloud and the tests.

`synth_template(stage)` returns the CloudFormation template of the stage's
stack as a dict: `{"Resources": {logical id: resource}, "Outputs": ..., ...}`.
The app has one stack per stage (see infra/stacks.py), so this is the whole
app; should it ever grow more stacks, the shape stays the same with the
`Resources` of all stacks merged (logical ids are unique per app).

`bundle=False` (the default) uses source folders as assets: no pip download,
fast, and enough for the state-machine definitions, event-source mappings and
function environments the local cloud reads. `bundle=True` builds the real
layers (see infra/layers.py), as `cdk deploy` does.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import App, cx_api

from infra.config import BUNDLE_CONTEXT_KEY, ENV_CONTEXT_KEY, cdk_json_context
from infra.stacks import build_app


@dataclass(frozen=True)
class Synthesis:
    app: App
    assembly: cx_api.CloudAssembly


def synthesize(
    stage: str = "local", *, bundle: bool = False, outdir: Path, context: Mapping[str, object] | None = None
) -> Synthesis:
    """Synthesize the app for `stage` into `outdir`, cdk-nag included: raises on any unacknowledged error.

    `context` adds to (or overrides) cdk.json's context, as `-c key=value` does.
    """
    app = App(
        context={
            **cdk_json_context(),
            ENV_CONTEXT_KEY: stage,
            BUNDLE_CONTEXT_KEY: "true" if bundle else "false",
            **(context or {}),
        },
        outdir=str(outdir),
    )
    build_app(app)
    return Synthesis(app=app, assembly=app.synth())


def merged_template(assembly: cx_api.CloudAssembly) -> dict[str, Any]:
    merged: dict[str, Any] = {"Resources": {}, "Outputs": {}}
    for stack in assembly.stacks:
        template: dict[str, Any] = stack.template
        for section in ("Resources", "Outputs"):
            merged[section].update(template.get(section, {}))
        for section, value in template.items():
            merged.setdefault(section, value)
    return merged


def synth_template(stage: str = "local", bundle: bool = False) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="tradewind-cdk-") as outdir:
        return merged_template(synthesize(stage, bundle=bundle, outdir=Path(outdir)).assembly)
