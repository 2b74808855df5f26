"""Asset folders staged under `.build/`, each keyed by the hash of its content.

Staging happens in a temporary folder renamed into place, so a half-written
folder is never reused, and two synths running at once (two engineers, two
test sessions) cannot corrupt each other: the second rename loses to an
identical copy.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from infra.config import PROJECT_ROOT

BUILD_DIR = PROJECT_ROOT / ".build"
_SKIPPED_PARTS = frozenset({"__pycache__", "tests"})
_SKIPPED_SUFFIXES = frozenset({".pyc"})
RETIRE_AFTER_S = 3600


def build_once(target: Path, fill: Callable[[Path], None]) -> Path:
    """`target`, filled by `fill(staging)` unless an earlier build left it there.

    A new build retires older builds of the same name (`<name>-<hash>`) once
    they are an hour old, so edits do not pile up copies; the hour leaves any
    synth still reading an older copy time to finish.
    """
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        fill(staging)
        try:
            staging.rename(target)
        except OSError:
            # Another process built the same content meanwhile: its copy is identical.
            if not target.is_dir():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _retire_older_builds(target)
    return target


def _retire_older_builds(target: Path) -> None:
    name = target.name.rsplit("-", 1)[0]
    cutoff = time.time() - RETIRE_AFTER_S
    for sibling in target.parent.iterdir():
        if (
            sibling != target
            and sibling.is_dir()
            and sibling.name.rsplit("-", 1)[0] == name
            and sibling.stat().st_mtime < cutoff
        ):
            shutil.rmtree(sibling, ignore_errors=True)


def source_files(*roots: Path) -> list[Path]:
    """The files of `roots` (folders or single files) that belong in a Lambda package."""
    files: list[Path] = []
    for root in roots:
        candidates: Iterable[Path] = [root] if root.is_file() else root.rglob("*")
        files.extend(
            path
            for path in candidates
            if path.is_file() and path.suffix not in _SKIPPED_SUFFIXES and not _SKIPPED_PARTS & set(path.parts)
        )
    return sorted(files)


def staged_copy(kind: str, name: str, files: list[Path], *, relative_to: Path, prefix: str = "") -> Path:
    """Copy `files` to `.build/<kind>/<name>-<hash>/<prefix>/<path relative to relative_to>`."""
    digest = hashlib.sha256(prefix.encode())
    for path in files:
        digest.update(str(path.relative_to(relative_to)).encode())
        digest.update(path.read_bytes())

    def copy(staging: Path) -> None:
        for path in files:
            destination = staging / prefix / path.relative_to(relative_to)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, destination)

    return build_once(BUILD_DIR / kind / f"{name}-{digest.hexdigest()[:20]}", copy)
