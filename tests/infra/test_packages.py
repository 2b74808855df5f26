"""Lambda packages as deployed: layer locks, pruning, importability and the 250 MB limit."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from infra import layers
from infra.config import PROJECT_ROOT
from infra.synth import Synthesis
from tests.infra.helpers import by_property, resources_of
from tradewind.resources import FUNCTIONS

STAGE = "dev"
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024
# Functions that need numba run as container images (docs/deploy.md), never from a zip layer.
CONTAINER_ONLY = {"numba"}
ZIP_FUNCTIONS = sorted(logical for logical, spec in FUNCTIONS.items() if not spec.image)
IMAGE_FUNCTIONS = sorted(logical for logical, spec in FUNCTIONS.items() if spec.image)
_PIN = re.compile(r"^([A-Za-z0-9_.\-]+)(\[[^\]]*\])?==(\S+)$")


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(lines: list[str]) -> dict[str, str]:
    pins = {}
    for line in lines:
        match = _PIN.match(line.strip())
        assert match, f"not an exact pin: {line!r}"
        pins[_normalize(match[1])] = match[3]
    return pins


def _recipe(name: str) -> dict[str, str]:
    lines = layers.requirements_file(name).read_text().splitlines()
    return _pins([line for line in lines if line.strip() and not line.startswith("#")])


def test_layer_locks_pin_the_runtime_dependencies_of_pyproject() -> None:
    runtime = _pins(tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]["dependencies"])
    locked = {**_recipe("core"), **_recipe("numeric")}
    for name, version in runtime.items():
        if name in CONTAINER_ONLY:
            assert name not in locked
        else:
            assert locked[name] == version, name


def test_layers_agree_on_shared_packages() -> None:
    core, numeric = _recipe("core"), _recipe("numeric")
    for name in core.keys() & numeric.keys():
        assert core[name] == numeric[name], f"{name}: both layers unpack into /opt/python"


def _asset_dir(synthesis: Synthesis, code: dict[str, Any]) -> Path:
    return Path(synthesis.assembly.directory) / f"asset.{code['S3Key'].removesuffix('.zip')}"


def _package_dirs(synthesis: Synthesis, template: dict[str, Any], logical: str) -> list[Path]:
    """The function's code folder followed by its layers' folders, as cdk.out stages them."""
    _, function = by_property(template, "AWS::Lambda::Function", "FunctionName", FUNCTIONS[logical].physical(STAGE))
    layer_versions = resources_of(template, "AWS::Lambda::LayerVersion")
    return [
        _asset_dir(synthesis, function["Properties"]["Code"]),
        *(
            _asset_dir(synthesis, layer_versions[ref["Ref"]]["Properties"]["Content"])
            for ref in function["Properties"]["Layers"]
        ),
    ]


def _size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file() and not path.is_symlink())


def test_every_zip_function_with_its_layers_fits_lambdas_unzipped_limit(
    dev: Synthesis, dev_json: dict[str, Any]
) -> None:
    sizes = {logical: sum(_size(d) for d in _package_dirs(dev, dev_json, logical)) for logical in ZIP_FUNCTIONS}
    for logical, size in sorted(sizes.items()):
        print(f"{logical:24} {size / 1024 / 1024:7.1f} MB unzipped (code + layers)")
    assert all(size <= LAMBDA_UNZIPPED_LIMIT for size in sizes.values()), sizes


def test_layers_hold_nothing_a_runtime_never_loads(dev: Synthesis, dev_json: dict[str, Any]) -> None:
    for layer in resources_of(dev_json, "AWS::Lambda::LayerVersion").values():
        folder = _asset_dir(dev, layer["Properties"]["Content"])
        assert (folder / "python").is_dir(), folder
        for path in folder.rglob("*"):
            assert path.suffix not in layers.PRUNED_SUFFIXES, path
            assert not (path.is_dir() and path.name in layers.PRUNED_DIRS), path


@pytest.mark.parametrize("logical", ZIP_FUNCTIONS)
def test_each_handler_imports_from_its_own_package_and_layers_alone(
    dev: Synthesis, dev_json: dict[str, Any], logical: str
) -> None:
    """What Lambda does at cold start: a bare interpreter, the code folder and /opt/python on sys.path."""
    code, *layer_dirs = _package_dirs(dev, dev_json, logical)
    path = [str(code), *(str(d / "python") for d in layer_dirs)]
    module = FUNCTIONS[logical].handler.rsplit(".", 1)[0]
    script = f"import sys; sys.path[:0] = {path!r}; import {module} as m; assert callable(m.handler)"
    # -I -S: no site-packages of this virtualenv, no project-root .pth; -B: leave the packages untouched.
    environment = {
        "PATH": os.environ["PATH"],
        "AWS_REGION": "eu-west-1",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "TRADEWIND_STAGE": STAGE,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "TRADEWIND_USER_POOL_ID": "eu-west-1_example",
        "TRADEWIND_WEBSOCKET_ENDPOINT": "https://example.execute-api.eu-west-1.amazonaws.com/v1",
    }
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-B", "-c", script], capture_output=True, text=True, env=environment, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_numeric_layer_computes_on_a_bare_interpreter(dev: Synthesis, dev_json: dict[str, Any]) -> None:
    """Pruning must not break what the numeric functions load: TA-Lib over numpy, pandas, fastparquet."""
    _, *layer_dirs = _package_dirs(dev, dev_json, "backtest-task")
    path = [str(d / "python") for d in layer_dirs]
    script = (
        f"import sys; sys.path[:0] = {path!r}\n"
        "import numpy, pandas, talib, fastparquet\n"
        "closes = numpy.arange(1.0, 11.0)\n"
        "print(talib.SMA(closes, timeperiod=3)[-1], pandas.Series(closes).rolling(3).mean().iloc[-1])\n"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-B", "-c", script],
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"]},
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["9.0", "9.0"]


def _image_context(synthesis: Synthesis, template: dict[str, Any], logical: str) -> Path:
    """The Docker build context cdk.out staged for an image function (synth needs no Docker)."""
    _, function = by_property(template, "AWS::Lambda::Function", "FunctionName", FUNCTIONS[logical].physical(STAGE))
    assert function["Properties"]["PackageType"] == "Image"
    digest = function["Properties"]["Code"]["ImageUri"]["Fn::Sub"].rsplit(":", 1)[1]
    return Path(synthesis.assembly.directory) / f"asset.{digest}"


@pytest.mark.parametrize("logical", IMAGE_FUNCTIONS)
def test_image_functions_stage_exactly_what_their_dockerfile_copies(
    dev: Synthesis, dev_json: dict[str, Any], logical: str
) -> None:
    context = _image_context(dev, dev_json, logical)
    folder = f"functions/{FUNCTIONS[logical].folder}"
    dockerfile = (context / folder / "Dockerfile").read_text()
    copied = re.findall(r"^COPY (\S+) ", dockerfile, flags=re.MULTILINE)
    assert copied and all((context / source).exists() for source in copied), copied
    assert (context / folder / "handler.py").is_file()
    assert (context / "shared/tradewind/runs/sweep.py").is_file()
    assert not (context / ".venv").exists() and not (context / "cdk.out").exists()
    assert f'CMD ["{FUNCTIONS[logical].handler}"]' in dockerfile
    assert "FROM public.ecr.aws/lambda/python:3.11" in dockerfile


@pytest.mark.parametrize("logical", IMAGE_FUNCTIONS)
def test_image_locks_add_only_the_container_packages_at_pyproject_pins(logical: str) -> None:
    runtime = _pins(tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]["dependencies"])
    lines = (PROJECT_ROOT / "functions" / FUNCTIONS[logical].folder / "requirements.txt").read_text().splitlines()
    own = _pins([line for line in lines if line.strip() and not line.startswith("#")])
    for name in CONTAINER_ONLY:
        assert own[name] == runtime[name]
    assert not own.keys() & ({**_recipe("core"), **_recipe("numeric")}).keys()
