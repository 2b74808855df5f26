"""Lambda layers built without Docker, cached by the hash of their recipe.

A layer recipe is `layers/<name>/requirements.txt` (exact pins of every
package: it is the lock). pip installs manylinux wheels for CPython 3.11 on
x86_64 into `.build/layers/<name>-<hash>/python`, so the host needs neither
Docker nor a matching OS, and a recipe is downloaded once: later synths and
test runs reuse the folder. The `shared` layer is the project's own code,
`shared/tradewind`, laid out as `python/tradewind`.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

from infra.assets import BUILD_DIR, build_once, source_files, staged_copy
from infra.config import PROJECT_ROOT

RECIPES_DIR = PROJECT_ROOT / "layers"
CACHE_DIR = BUILD_DIR / "layers"
SHARED_CODE_DIR = PROJECT_ROOT / "shared"
SHARED_LAYER = "shared"

# The python3.11 Lambda runtime runs on Amazon Linux 2 (glibc 2.26): manylinux2014
# (glibc 2.17) and manylinux_2_24 wheels load there, manylinux_2_27+ ones do not.
LAMBDA_PYTHON_VERSION = "3.11"
PIP_TARGET = (
    "--platform",
    "manylinux2014_x86_64",
    "--platform",
    "manylinux_2_24_x86_64",
    "--only-binary=:all:",
    "--python-version",
    LAMBDA_PYTHON_VERSION,
    "--implementation",
    "cp",
    "--no-compile",
    "--no-deps",
    "--disable-pip-version-check",
    "--quiet",
)
# What a Lambda runtime never loads: test suites, C/Cython sources and headers
# (talib/_ta_lib.c alone is 19 MB), bytecode compiled for the build host.
PRUNED_DIRS = frozenset({"tests", "__pycache__"})
PRUNED_SUFFIXES = frozenset({".c", ".pyx", ".pxd", ".h", ".pyc"})
# Part of the cache key: changing the pruning rules or the pip target rebuilds.
_BUILD_RECIPE_VERSION = "1:" + " ".join(PIP_TARGET) + ":" + ",".join(sorted(PRUNED_DIRS | PRUNED_SUFFIXES))


class LayerBuildError(RuntimeError):
    """pip could not build a layer; the message carries pip's own error."""


def requirements_file(name: str) -> Path:
    return RECIPES_DIR / name / "requirements.txt"


def recipe_hash(name: str) -> str:
    digest = hashlib.sha256(_BUILD_RECIPE_VERSION.encode())
    digest.update(requirements_file(name).read_bytes())
    return digest.hexdigest()[:20]


def built_layer(name: str) -> Path:
    """The folder to zip for a third-party layer; built on first use, then reused."""

    def install(staging: Path) -> None:
        _pip_install(requirements_file(name), staging / "python")
        prune(staging / "python")

    return build_once(CACHE_DIR / f"{name}-{recipe_hash(name)}", install)


def built_shared_layer() -> Path:
    package = SHARED_CODE_DIR / "tradewind"
    return staged_copy("layers", SHARED_LAYER, source_files(package), relative_to=SHARED_CODE_DIR, prefix="python")


def prune(root: Path) -> None:
    # Deepest first, so a pruned folder's contents are handled before the folder.
    for path in sorted(root.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if path.is_dir() and path.name in PRUNED_DIRS:
            shutil.rmtree(path)
        elif path.is_file() and path.suffix in PRUNED_SUFFIXES:
            path.unlink()


def _pip_install(requirements: Path, target: Path) -> None:
    command = [sys.executable, "-m", "pip", "install", *PIP_TARGET, "--target", str(target), "-r", str(requirements)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise LayerBuildError(f"pip could not build {requirements}: {result.stderr.strip()}")
