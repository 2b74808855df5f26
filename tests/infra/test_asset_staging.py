"""Staged asset folders: built once, never half-built, pruned of what Lambda never loads."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from infra import assets, layers


class BuildFailed(RuntimeError):
    pass


def test_a_failed_build_leaves_nothing_and_the_next_one_builds(tmp_path: Path) -> None:
    target = tmp_path / "layer-abc"

    def fail(staging: Path) -> None:
        (staging / "python").mkdir()
        raise BuildFailed

    with pytest.raises(BuildFailed):
        assets.build_once(target, fail)
    assert list(tmp_path.iterdir()) == []

    calls: list[Path] = []

    def fill(staging: Path) -> None:
        calls.append(staging)
        (staging / "marker").write_text("built")

    assert assets.build_once(target, fill) == target
    assert assets.build_once(target, fill) == target
    assert len(calls) == 1
    assert (target / "marker").read_text() == "built"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["layer-abc"]


def test_staged_copy_is_keyed_by_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(assets, "BUILD_DIR", tmp_path / ".build")
    source = tmp_path / "src" / "pkg"
    source.mkdir(parents=True)
    (source / "a.py").write_text("A = 1\n")
    (source / "__pycache__").mkdir()
    (source / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"\0")
    first = assets.staged_copy(
        "kind", "pkg", assets.source_files(source), relative_to=tmp_path / "src", prefix="python"
    )
    assert sorted(str(p.relative_to(first)) for p in first.rglob("*") if p.is_file()) == ["python/pkg/a.py"]
    assert assets.staged_copy("kind", "pkg", assets.source_files(source), relative_to=tmp_path / "src") != first
    (source / "a.py").write_text("A = 2\n")
    changed = assets.staged_copy(
        "kind", "pkg", assets.source_files(source), relative_to=tmp_path / "src", prefix="python"
    )
    assert changed != first
    assert (changed / "python" / "pkg" / "a.py").read_text() == "A = 2\n"


def test_prune_drops_tests_sources_and_bytecode_but_keeps_modules(tmp_path: Path) -> None:
    for relative in (
        "talib/__init__.py",
        "talib/_ta_lib.c",
        "talib/_ta_lib.cpython-311-x86_64-linux-gnu.so",
        "numpy/_core/include/numpy/ndarraytypes.h",
        "numpy/_core/tests/test_multiarray.py",
        "numpy/testing/__init__.py",
        "pandas/_libs/lib.pyx",
        "pandas/_libs/lib.pxd",
        "pandas/__pycache__/__init__.cpython-311.pyc",
    ):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text("x")
    layers.prune(tmp_path)
    kept = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert kept == [
        "numpy/testing/__init__.py",
        "talib/__init__.py",
        "talib/_ta_lib.cpython-311-x86_64-linux-gnu.so",
    ]
    assert not (tmp_path / "numpy/_core/tests").exists()
    assert not (tmp_path / "pandas/__pycache__").exists()


def test_a_new_build_retires_old_builds_of_the_same_name_only(tmp_path: Path) -> None:
    old = tmp_path / "api-0000"
    recent = tmp_path / "api-1111"
    other = tmp_path / "api_admin-2222"
    for folder in (old, recent, other):
        folder.mkdir()
    hours_ago = time.time() - 2 * assets.RETIRE_AFTER_S
    os.utime(old, (hours_ago, hours_ago))
    os.utime(other, (hours_ago, hours_ago))

    assets.build_once(tmp_path / "api-3333", lambda staging: (staging / "handler.py").write_text(""))

    assert sorted(p.name for p in tmp_path.iterdir()) == ["api-1111", "api-3333", "api_admin-2222"]
