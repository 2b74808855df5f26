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
from pathlib import Path
from typing import Any

from local.files import write_atomically

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


def synthesize() -> dict[str, Any]:
    """Imported late: CDK is slow to load and only needed on a cache miss."""
    from infra.synth import synth_template

    return synth_template(stage="local", bundle=False)


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
