from pathlib import Path

import pytest

from tradewind.cli.main import main
from tradewind.marketdata.demo import seed_market_data
from tradewind.settings import Settings


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_import_list_show(tmp_path: Path, samples: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "lake")
    code, out, _ = run(capsys, "data", "import", str(samples / "nvda-1d-1999-2014.csv"), "--symbol", "nvda",
                       "--timeframe", "1d", "--adjust", "--store", store)  # fmt: skip
    assert code == 0
    assert "imported 4012 of 4012 rows into NVDA/1d" in out and "back-adjusted-adj-close" in out
    code, out, _ = run(capsys, "data", "list", "--store", store)
    assert code == 0 and "NVDA/1d" in out and "4012" in out
    code, out, _ = run(capsys, "data", "show", "NVDA", "--timeframe", "1d", "--from", "2014-12-29",
                       "--to", "2014-12-30", "--store", store)  # fmt: skip
    assert code == 0
    assert "2014-12-29" in out and "2014-12-30" in out and "2014-12-31" not in out and "2 rows" in out


def test_the_store_folder_comes_from_the_environment(
    tmp_path: Path, samples: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRADEWIND_DATA_DIR", str(tmp_path / "env-lake"))
    code, _, _ = run(capsys, "data", "import", str(samples / "bidask.csv"), "--symbol", "fx", "--kind", "quotes")
    assert code == 0
    assert (tmp_path / "env-lake" / "FX" / "quotes" / "_meta.json").is_file()


def test_a_rejected_import_reports_lines_and_changes_nothing(
    tmp_path: Path, samples: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "lake")
    run(capsys, "data", "import", str(samples / "nvda-1d-1999-2014.csv"), "--symbol", "NVDA", "--timeframe", "1d",
        "--store", store)  # fmt: skip
    before = {p: p.read_bytes() for p in (tmp_path / "lake").rglob("*") if p.is_file()}
    bad = tmp_path / "bad.csv"
    bad.write_text("Date,Open,High,Low,Close,Volume\n2014-12-31,1,2,0.5,1,10\n2015-01-02,1,0.5,0.4,1,10\n")
    code, _, err = run(capsys, "data", "import", str(bad), "--symbol", "NVDA", "--timeframe", "1d", "--store", store)
    assert code == 2
    assert "line 3: high below low, open or close" in err
    assert err.strip().splitlines()[-1].startswith("tradewind: error: 1 bad row(s); nothing was stored")
    assert "Traceback" not in err
    assert {p: p.read_bytes() for p in (tmp_path / "lake").rglob("*") if p.is_file()} == before
    code, out, _ = run(capsys, "data", "import", str(bad), "--symbol", "NVDA", "--timeframe", "1d", "--repair",
                       "--store", store)  # fmt: skip
    assert code == 0 and "high set to the bar's maximum" in out and "now holds 4013 rows" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["data", "show", "NVDA", "--timeframe", "1d"], "no stored series NVDA/1d"),
        (["data", "show", "NVDA"], "bars need --timeframe"),
        (["data", "show", "NVDA", "--kind", "ticks", "--timeframe", "1d"], "ticks have no timeframe"),
        (["data", "import", "missing.csv", "--symbol", "X", "--timeframe", "1d"], "no such file"),
        (["data", "import", "missing.csv", "--symbol", "X", "--timeframe", "1d", "--tz", "Nowhere/City"],
         "unknown time zone"),
        (["data", "import", "missing.csv", "--symbol", "bad symbol!", "--timeframe", "1d"], "symbol"),
    ],
)  # fmt: skip
def test_user_errors_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, _, err = run(capsys, *argv, "--store", str(tmp_path))
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1


def test_demo_seeder_loads_every_sample(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stored = seed_market_data(Settings(data_dir=tmp_path))
    assert [str(m.key) for m in stored] == ["NVDA/1d", "IDX/5m", "IDX/1h", "IDX/1d", "IDX/ticks", "SAMPLEFX/quotes"]
    code, out, _ = run(capsys, "data", "list", "--store", str(tmp_path))
    assert code == 0 and all(str(m.key) in out for m in stored)
