"""The CDK app's template for the `local` stage, synthesized once per change of its inputs.

A synth costs seconds (CDK and a Node process); a start of the local cloud
should not pay it when nothing the template depends on has changed. The
cache is keyed by a hash of every input of the synth: the CDK app and
constructs, the shared package they import, the layer recipes, cdk.json and
the pinned dependency versions. Anything else changing cannot change it.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from local.files import write_atomically
from tradewind.cli.errors import CliError

ROOT = Path(__file__).resolve().parent.parent
_INPUTS = ("app.py", "cdk.json", "pyproject.toml", "infra", "layers", "shared/tradewind")
_SUFFIXES = frozenset({".py", ".json", ".txt", ".toml"})


def fingerprint(root: Path = ROOT) -> str:
    digest = hashlib.sha256()
    for name in _INPUTS:
        top = root / name
        files = [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file() and p.suffix in _SUFFIXES)
        for path in files:
            if "__pycache__" in path.parts:
                continue
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


_SYNTH = (
    "import json, sys; from infra.synth import synth_template; json.dump(synth_template('local', False), sys.stdout)"
)


def synthesize() -> dict[str, Any]:
    """In a child process: CDK runs a Node process of its own (jsii), which must not
    share the local cloud's process group, signals and exit (Ctrl-C would reach it first)."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", _SYNTH], cwd=ROOT, capture_output=True, text=True, check=False, start_new_session=True
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise CliError(f"the CDK app failed to synthesize for the local cloud: {last}")
    template: dict[str, Any] = json.loads(done.stdout)
    return template


def local_template(cache: Path) -> dict[str, Any]:
    """The cached template if its inputs are unchanged, else a fresh synth (then cached)."""
    key = fingerprint()
    try:
        cached = json.loads(cache.read_text(encoding="utf-8"))
        if cached.get("fingerprint") == key:
            return dict(cached["template"])
    except (OSError, ValueError, KeyError):
        pass  # missing or unreadable: synthesize again
    template = synthesize()
    write_atomically(cache, json.dumps({"fingerprint": key, "template": template}).encode())
    return template
