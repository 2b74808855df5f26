"""Indicator speed, side by side in one run, on 1,000,000 synthetic 1-minute bars.

    make bench                      # installs the peers (see docs/benchmarks.md), then runs this
    .venv/bin/python benchmarks/indicators.py [--bars N] [--live-bars N]

Measures:
1. the catalog (`tradewind.indicators.catalog.compute`) against raw TA-Lib calls, for every
   TA-Lib function (goal: under 10 % overhead);
2. pandas-ta and `ta` for the indicators they share with us (RSI, STOCH, MACD, BBANDS, ATR,
   ADX, EMA), with each peer's largest difference from our values;
3. the live engine's cost per closed bar for a five-indicator strategy, without and with
   serialising its state after every bar, next to raw TA-Lib stream handles.

A peer that is not installed or cannot be imported is reported as unavailable, with the
reason, never skipped silently. Timings are the best of several repeats (least noisy on a
shared machine).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
import talib

from tradewind.indicators import catalog
from tradewind.indicators.live import IndicatorRequest, LiveEngine

SEED = 20_240_601
SHARED = ("RSI", "STOCH", "MACD", "BBANDS", "ATR", "ADX", "EMA")
# pandas-ta 0.4.71b0 declares Python >= 3.12 for one line: a nested-quote f-string (PEP 701).
PANDAS_TA_312_LINE = 'hma.name = f"HMA{"" if mamode == "wma" else mamode[0]}_{length}"'
PANDAS_TA_311_LINE = "hma.name = f\"HMA{'' if mamode == 'wma' else mamode[0]}_{length}\""
WARM_UP = 1_000  # bars skipped when comparing values: seeding conventions differ at the start


def synthetic_bars(count: int, seed: int = SEED) -> dict[str, np.ndarray]:
    """Geometric Brownian motion, one bar a minute (sigma 0.05 % a minute, about 20 % a year)."""
    rng = np.random.default_rng(seed)
    steps = rng.normal(0.0, 0.0005, count)
    close = 100.0 * np.exp(np.cumsum(steps))
    opens = np.concatenate(([100.0], close[:-1]))
    wick = np.abs(rng.normal(0.0, 0.0003, (2, count)))
    return {
        "time": (np.arange(count, dtype="int64") + 28_401_000) * 60_000_000_000,
        "open": opens,
        "high": np.maximum(opens, close) * (1 + wick[0]),
        "low": np.minimum(opens, close) * (1 - wick[1]),
        "close": close,
        "volume": rng.integers(100, 10_000, count).astype("float64"),
        "periods": rng.integers(2, 30, count).astype("float64"),
    }


def best_of(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def paired_best(first: Callable[[], object], second: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Best times of two calls measured alternately, so a busy spell on the machine hits both."""
    a, b = [], []
    for _ in range(repeat):
        for fn, times in ((first, a), (second, b)):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
    return min(a), min(b)


def catalog_overhead(data: dict[str, np.ndarray], repeat: int) -> None:
    print("## 1. Catalog against raw TA-Lib\n")
    rows = []
    for name in talib.get_functions():
        spec = catalog.get(name)
        arrays = [data[i.default_source] for i in spec.inputs]
        function = getattr(talib, name)
        raw, ours = paired_best(lambda f=function, a=arrays: f(*a), lambda n=name: catalog.compute(n, data), repeat)
        rows.append((name, raw, ours))
    total_raw = sum(r[1] for r in rows)
    total_catalog = sum(r[2] for r in rows)
    extra_us = sorted((ours - raw) * 1e6 for _, raw, ours in rows)
    relative = sorted((ours / raw - 1) * 100 for _, raw, ours in rows)
    print(f"All {len(rows)} TA-Lib functions, one call each on {len(data['close']):,} bars "
          f"(best of {repeat}, raw and catalog calls alternating):\n")  # fmt: skip
    print(f"- overhead per function: median {relative[len(relative) // 2]:+.1f} %, "
          f"90th percentile {relative[int(len(relative) * 0.9)]:+.1f} %")  # fmt: skip
    print(f"- catalog cost per call (catalog minus raw): median {extra_us[len(extra_us) // 2]:.0f} µs, "
          f"90th percentile {extra_us[int(len(extra_us) * 0.9)]:.0f} µs")  # fmt: skip
    summed = f"{total_raw * 1e3:.1f} ms against {total_catalog * 1e3:.1f} ms ({_pct(total_catalog, total_raw)})"
    print(f"- all {len(rows)} summed: {summed}\n")
    print("| | raw TA-Lib | catalog | overhead |")
    print("|---|---:|---:|---:|")
    for name, raw, ours in rows:
        if name in SHARED:
            print(f"| {name} | {raw * 1e3:.2f} ms | {ours * 1e3:.2f} ms | {_pct(ours, raw)} |")
    print()


def _pct(ours: float, raw: float) -> str:
    return f"{(ours / raw - 1) * 100:+.1f} %"


def load_pandas_ta() -> tuple[ModuleType | None, str]:
    spec = importlib.util.find_spec("pandas_ta")
    if spec is None or spec.origin is None:
        return None, "not installed (`make bench` installs it)"
    hma = Path(spec.origin).parent / "overlap" / "hma.py"
    source = hma.read_text()
    if PANDAS_TA_312_LINE in source:
        hma.write_text(source.replace(PANDAS_TA_312_LINE, PANDAS_TA_311_LINE))
        print(f"(patched the Python 3.12-only f-string in {hma} so it imports on {platform.python_version()})\n")
    try:
        return importlib.import_module("pandas_ta"), ""
    except Exception as exc:  # report any import failure as the reason it is unavailable
        return None, f"cannot be imported: {type(exc).__name__}: {exc}"


def load_ta() -> tuple[ModuleType | None, str]:
    try:
        return importlib.import_module("ta"), ""
    except ImportError as exc:
        return None, f"not installed ({exc}); `make bench` installs it"


def ours(data: dict[str, np.ndarray]) -> dict[str, Callable[[], dict[str, np.ndarray]]]:
    return {
        "RSI": lambda: {"rsi": catalog.compute("RSI", data, {"timeperiod": 14})["real"]},
        "STOCH": lambda: dict(
            zip(
                ("k", "d"),
                catalog.compute("STOCH", data, {"fastk_period": 14, "slowk_period": 3, "slowd_period": 3}).values(),
                strict=True,
            )
        ),
        "MACD": lambda: dict(zip(("macd", "signal", "hist"), catalog.compute("MACD", data).values(), strict=True)),
        "BBANDS": lambda: dict(
            zip(("upper", "middle", "lower"), catalog.compute("BBANDS", data, {"timeperiod": 20}).values(), strict=True)
        ),
        "ATR": lambda: {"atr": catalog.compute("ATR", data, {"timeperiod": 14})["real"]},
        "ADX": lambda: {"adx": catalog.compute("ADX", data, {"timeperiod": 14})["real"]},
        "EMA": lambda: {"ema": catalog.compute("EMA", data, {"timeperiod": 20})["real"]},
    }


def pandas_ta_calls(pta: Any, frame: pd.DataFrame) -> dict[str, Callable[[], dict[str, np.ndarray]]]:
    h, lo, c = frame["high"], frame["low"], frame["close"]

    def columns(result: pd.DataFrame, names: tuple[str, ...], order: list[int]) -> dict[str, np.ndarray]:
        return {n: result.iloc[:, i].to_numpy() for n, i in zip(names, order, strict=True)}

    # talib=False: pandas-ta otherwise hands the call to TA-Lib itself when it is installed.
    return {
        "RSI": lambda: {"rsi": pta.rsi(c, length=14, talib=False).to_numpy()},
        "STOCH": lambda: columns(pta.stoch(h, lo, c, k=14, d=3, smooth_k=3, talib=False), ("k", "d"), [0, 1]),
        "MACD": lambda: columns(pta.macd(c, 12, 26, 9, talib=False), ("macd", "hist", "signal"), [0, 1, 2]),
        "BBANDS": lambda: columns(
            pta.bbands(c, length=20, std=2.0, ddof=0, talib=False), ("lower", "middle", "upper"), [0, 1, 2]
        ),
        "ATR": lambda: {"atr": pta.atr(h, lo, c, length=14, talib=False).to_numpy()},
        "ADX": lambda: {"adx": pta.adx(h, lo, c, length=14, talib=False).iloc[:, 0].to_numpy()},
        "EMA": lambda: {"ema": pta.ema(c, length=20, talib=False).to_numpy()},
    }


def ta_calls(ta: Any, frame: pd.DataFrame) -> dict[str, Callable[[], dict[str, np.ndarray]]]:
    h, lo, c = frame["high"], frame["low"], frame["close"]

    def stoch() -> dict[str, np.ndarray]:
        # ta's %K is unsmoothed; its signal (SMA 3 of %K) is TA-Lib's slow %K.
        return {"k": ta.momentum.StochasticOscillator(h, lo, c, 14, 3).stoch_signal().to_numpy()}

    def macd() -> dict[str, np.ndarray]:
        m = ta.trend.MACD(c, 26, 12, 9)
        return {"macd": m.macd().to_numpy(), "signal": m.macd_signal().to_numpy(), "hist": m.macd_diff().to_numpy()}

    def bbands() -> dict[str, np.ndarray]:
        b = ta.volatility.BollingerBands(c, 20, 2)
        return {
            "upper": b.bollinger_hband().to_numpy(),
            "middle": b.bollinger_mavg().to_numpy(),
            "lower": b.bollinger_lband().to_numpy(),
        }

    return {
        "RSI": lambda: {"rsi": ta.momentum.RSIIndicator(c, 14).rsi().to_numpy()},
        "STOCH": stoch,
        "MACD": macd,
        "BBANDS": bbands,
        "ATR": lambda: {"atr": ta.volatility.AverageTrueRange(h, lo, c, 14).average_true_range().to_numpy()},
        "ADX": lambda: {"adx": ta.trend.ADXIndicator(h, lo, c, 14).adx().to_numpy()},
        "EMA": lambda: {"ema": ta.trend.EMAIndicator(c, 20).ema_indicator().to_numpy()},
    }


def max_difference(reference: dict[str, np.ndarray], other: dict[str, np.ndarray]) -> float:
    worst = 0.0
    for name, values in other.items():
        a, b = reference[name][WARM_UP:], np.asarray(values, dtype="float64")[WARM_UP:]
        both = ~np.isnan(a) & ~np.isnan(b)
        if both.any():
            worst = max(worst, float(np.max(np.abs(a[both] - b[both]))))
    return worst


def peers(data: dict[str, np.ndarray], repeat: int) -> None:
    print("## 2. Peers on the shared indicators\n")
    frame = pd.DataFrame({k: data[k] for k in ("open", "high", "low", "close", "volume")})
    pta, pta_reason = load_pandas_ta()
    ta, ta_reason = load_ta()
    mine = ours(data)
    theirs: dict[str, dict[str, Callable[[], dict[str, np.ndarray]]] | None] = {
        "pandas-ta": pandas_ta_calls(pta, frame) if pta is not None else None,
        "ta": ta_calls(ta, frame) if ta is not None else None,
    }
    for label, reason in (("pandas-ta", pta_reason), ("ta", ta_reason)):
        if theirs[label] is None:
            print(f"**{label}: unavailable** — {reason}\n")
    versions = {"pandas-ta": getattr(pta, "version", "?"), "ta": _dist_version("ta")}
    header = " | ".join(f"{p} {versions[p]}" for p in theirs if theirs[p] is not None)
    print(f"Time per call on {len(frame):,} bars (best of {repeat}); max |difference| from ours after the first "
          f"{WARM_UP:,} bars, where seeding conventions have settled.\n")  # fmt: skip
    print(f"| indicator | ours | {header} |" if header else "| indicator | ours |")
    print("|---|---:|" + "---:|" * sum(1 for p in theirs.values() if p is not None))
    for name in SHARED:
        reference = mine[name]()
        cells = [f"{best_of(mine[name], repeat) * 1e3:.1f} ms"]
        for calls in theirs.values():
            if calls is None:
                continue
            cost = best_of(calls[name], repeat)
            cells.append(f"{cost * 1e3:.1f} ms, diff {max_difference(reference, calls[name]()):.1e}")
        print(f"| {name} | " + " | ".join(cells) + " |")
    print()


def _dist_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "?"


FIVE = [
    IndicatorRequest(name="RSI", params={"timeperiod": 14}),
    IndicatorRequest(name="MACD"),
    IndicatorRequest(name="BBANDS", params={"timeperiod": 20}),
    IndicatorRequest(name="ATR", params={"timeperiod": 14}),
    IndicatorRequest(name="ADX", params={"timeperiod": 14}),
]


def live(data: dict[str, np.ndarray], bars: int, repeat: int) -> None:
    print("## 3. Live update cost per closed bar\n")
    warm = 5_000
    engine = LiveEngine(FIVE)
    columns = engine.columns
    rows = [{c: (int(data[c][i]) if c == "time" else float(data[c][i])) for c in columns} for i in range(warm + bars)]
    for row in rows[:warm]:
        engine.update(row)
    snapshot_engine = LiveEngine.restore(engine.snapshot())
    chunks = [rows[start : start + bars // repeat] for start in range(warm, warm + bars, bars // repeat)]

    def per_bar(step: Callable[[dict[str, float]], object]) -> float:
        """Best chunk's cost per bar: the machine is shared, the minimum is the least disturbed."""
        costs = []
        for chunk in chunks:
            start = time.perf_counter()
            for row in chunk:
                step(row)
            costs.append((time.perf_counter() - start) / len(chunk))
        return min(costs)

    update_only = per_bar(engine.update)

    def update_and_snapshot(row: dict[str, float]) -> bytes:
        snapshot_engine.update(row)
        return snapshot_engine.snapshot()

    with_snapshot = per_bar(update_and_snapshot)
    size = len(snapshot_engine.snapshot())
    restore_cost = best_of(lambda: LiveEngine.restore(snapshot_engine.snapshot()), repeat)
    restored = LiveEngine.restore(snapshot_engine.snapshot())

    h, lo, c = data["high"], data["low"], data["close"]
    handles = [
        (talib.stream.RSI(c[:warm]), (c,)),
        (talib.stream.STOCH(h[:warm], lo[:warm], c[:warm]), (h, lo, c)),
        (talib.stream.MACD(c[:warm]), (c,)),
        (talib.stream.BBANDS(c[:warm]), (c,)),
        (talib.stream.ATR(h[:warm], lo[:warm], c[:warm]), (h, lo, c)),
        (talib.stream.ADX(h[:warm], lo[:warm], c[:warm]), (h, lo, c)),
        (talib.stream.EMA(c[:warm]), (c,)),
    ]
    updates = [handle.update for handle, _ in handles]
    feeds = [list(zip(*(a[warm : warm + bars].tolist() for a in arrays), strict=True)) for _, arrays in handles]
    per_bar_rows = [tuple(feed[i] for feed in feeds) for i in range(bars)]
    raw_chunks = [per_bar_rows[start : start + bars // repeat] for start in range(0, bars, bars // repeat)]
    raw_costs = []
    for chunk in raw_chunks:
        start = time.perf_counter()
        for inputs in chunk:
            for update, args in zip(updates, inputs, strict=True):
                update(*args)
        raw_costs.append((time.perf_counter() - start) / len(chunk))
    raw_seven = min(raw_costs)
    names = ", ".join(r.key for r in FIVE)
    print(f"{bars:,} bars after a {warm:,}-bar warm-up, best of {repeat} chunks; five indicators: {names}.\n")
    print("| | per closed bar |")
    print("|---|---:|")
    print(f"| live engine, five indicators | {update_only * 1e6:.1f} µs |")
    print(f"| live engine, five indicators + snapshot after every bar | {with_snapshot * 1e6:.1f} µs |")
    print(f"| raw TA-Lib stream handles, seven indicators ({', '.join(SHARED)}) | {raw_seven * 1e6:.1f} µs |")
    print(f"\nSnapshot size: {size:,} bytes (DynamoDB item limit 400 KB); restore: {restore_cost * 1e3:.1f} ms "
          f"(kept window {restored.window.keep:,} bars).\n")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=1_000_000)
    parser.add_argument("--live-bars", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"# Indicator benchmark — {args.bars:,} synthetic 1-minute bars (GBM, seed {SEED})\n")
    print(f"Python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
          f"TA-Lib {talib.__version__}, {platform.machine()}, {sys.platform}\n")  # fmt: skip
    data = synthetic_bars(args.bars)
    catalog.specs()  # build the catalog once, outside the timings
    catalog_overhead(data, args.repeat)
    peers(data, args.repeat)
    live(data, args.live_bars, args.repeat)


if __name__ == "__main__":
    main()
