from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parents[3] / "data" / "samples"


@pytest.fixture
def samples() -> Path:
    return SAMPLES


@pytest.fixture
def write_csv(tmp_path: Path):
    def write(text: str, name: str = "input.csv") -> Path:
        path = tmp_path / name
        path.write_text(text.strip() + "\n")
        return path

    return write
