"""Backtest speed and parity: Tradewind's engine beside backtesting.py, backtrader and vectorbt, in one run.

    make bench-backtests          # creates .build/bench-venv for the peers, then runs this script
    .venv/bin/python benchmarks/backtests.py [--skip-slow-peers]

Cases (the example strategies in their peer preset, cash 10,000, commission 0.2%):
  1. sma_cross on the NVDA daily sample (data/samples/nvda-1d-1999-2014.csv);
  2. rsi_reversal on 1,000,000 synthetic 1-minute bars (seeded random walk);
  3. a 1,000-combination sweep of rsi_reversal (RSI period 10-19 x entry 21-30 x exit 65-74) on the first
     100,000 of those bars: Tradewind runs it through `run_chunk` on all cores, vectorbt as 1,000 columns
     of one portfolio.
For each: trades and final equity of every engine (parity to the cent is the verdict), bars per second,
each peer's time over ours; cold (a fresh process, empty numba cache) and warm timings; and our ratio to
a hand-written numba loop for the RSI case (TA-Lib RSI included). The peers run in their own venv
(backtesting.py is AGPL: never a dependency of the project) via benchmarks/peers/run_peers.py, timed
inside that process.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import talib
from numba import njit

from tradewind.backtest.engine import BacktestOptions, prepare, simulate_strategy
from tradewind.backtest.metrics import compute_metrics
from tradewind.backtest.trades import trade_table
from tradewind.marketdata.importing import ImportOptions, import_file
from tradewind.marketdata.timeframe import Timeframe
from tradewind.optimize.chunk import run_chunk
from tradewind.optimize.search import OptimizeRequest, candidates
from tradewind.strategy.validation import load_strategy

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / ".build" / "bench"
PEER_PYTHON = ROOT / ".build" / "bench-venv" / "bin" / "python"
EXAMPLES = ROOT / "examples" / "strategies"
CASH, COMMISSION = 10_000.0, 0.002
OPTIONS = BacktestOptions(cash=CASH, commission=COMMISSION)
SYNTHETIC_BARS, SWEEP_BARS = 1_000_000, 100_000


def synthetic_minutes(n: int, seed: int = 42) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.0012, n)))
    opens = np.concatenate([[100.0], close[:-1]]) * np.exp(rng.normal(0.0, 0.0003, n))
    wick = np.abs(rng.normal(0.0, 0.0008, (2, n)))
    high = np.maximum(opens, close) * (1.0 + wick[0])
    low = np.minimum(opens, close) * (1.0 - wick[1])
    times = pd.date_range("2020-01-01", periods=n, freq="1min", tz="UTC")
    return pd.DataFrame({"time": times, "open": opens, "high": high, "low": low, "close": close, "volume": 1.0})


def save(frame: pd.DataFrame, path: Path) -> Path:
    np.savez(
        path,
        time=pd.DatetimeIndex(frame["time"]).as_unit("ns").asi8,
        **{c: frame[c].to_numpy() for c in ("open", "high", "low", "close", "volume")},
    )
    return path


def ours(name: str, frame: pd.DataFrame, repeat: int) -> dict[str, Any]:
    """Warm timings in this process, data loading excluded.

    `warm_s` covers what the peers' timings cover (signals, the simulation, the trades and the final
    equity); `report_s` adds the whole metrics suite of the trade report, which the peers are not
    asked to compute.
    """
    strategy = load_strategy(EXAMPLES / f"{name}.json")
    simulate_strategy(strategy, prepare({"X": frame}), OPTIONS)  # untimed: first-touch of memory and code
    engine, full = [], []
    trades, final = 0, 0.0
    for _ in range(repeat):
        start = time.perf_counter()
        run = simulate_strategy(strategy, prepare({"X": frame}), OPTIONS)
        table = trade_table(run)
        trades, final = len(table), float(run.equity[-1])
        engine.append(time.perf_counter() - start)
        compute_metrics(run, table, CASH)
        full.append(time.perf_counter() - start)
    return {"trades": trades, "final_equity": final, "warm_s": min(engine), "report_s": min(full)}


def cold_start(name: str, data: Path) -> float:
    """Seconds for a fresh process with an empty compile cache to import, compile and run one backtest."""
    code = (
        "import sys,time,numpy as np,pandas as pd;t=time.perf_counter();"
        "from tradewind.backtest.report import backtest;from tradewind.backtest.engine import BacktestOptions;"
        "from tradewind.strategy.validation import load_strategy;from pathlib import Path;"
        "d=np.load(sys.argv[2]);f=pd.DataFrame({'time':pd.to_datetime(d['time'],utc=True),"
        "**{c:d[c] for c in ('open','high','low','close','volume')}});"
        "backtest(load_strategy(Path(sys.argv[1])),{'X':f},BacktestOptions(commission=0.002));"
        "print(time.perf_counter()-t)"
    )
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        out = subprocess.run(
            [sys.executable, "-c", code, str(EXAMPLES / f"{name}.json"), str(data)],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
    return float(out.stdout.strip())


@njit(cache=True)
def _hand_loop(o, h, low, c, rsi, cash, fee):  # type: ignore[no-untyped-def]  # noqa: PLR0917
    """The floor: RSI < 30 buy all-in at the next open, RSI > 70 sell at the next open, 2% SL / 4% TP."""
    qty = 0.0
    entry = 0.0
    entry_bar = 0
    want_in = want_out = False
    trades = 0
    for i in range(c.size):
        if qty > 0.0 and want_out:
            cash += qty * o[i] * (1.0 - fee)
            qty = 0.0
            trades += 1
        elif qty > 0.0 and entry_bar < i:
            stop, target = entry * 0.98, entry * 1.04
            price = (
                o[i]
                if o[i] <= stop or o[i] >= target
                else (stop if low[i] <= stop else (target if h[i] >= target else 0.0))
            )
            if price > 0.0:
                cash += qty * price * (1.0 - fee)
                qty = 0.0
                trades += 1
        if qty == 0.0 and want_in:
            qty = np.floor(cash / (o[i] * (1.0 + fee)))
            if qty > 0.0:
                cash -= qty * o[i] * (1.0 + fee)
                entry = o[i]
                entry_bar = i
        want_in = qty == 0.0 and rsi[i] < 30.0
        want_out = qty > 0.0 and rsi[i] > 70.0
    return cash + qty * c[-1], trades + (1 if qty > 0.0 else 0)


def hand_loop(frame: pd.DataFrame, repeat: int) -> dict[str, Any]:
    arrays = [frame[col].to_numpy() for col in ("open", "high", "low", "close")]
    _hand_loop(*arrays, talib.RSI(arrays[3], 14), CASH, COMMISSION)
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        equity, trades = _hand_loop(*arrays, talib.RSI(arrays[3], 14), CASH, COMMISSION)
        timings.append(time.perf_counter() - start)
    return {"trades": trades, "final_equity": equity, "warm_s": min(timings)}


def peers(job: dict[str, Any]) -> dict[str, Any]:
    """Run benchmarks/peers/run_peers.py in the peers' venv with `job` (passed as a file: it can be large)."""
    job_file = WORK / "job.json"
    job_file.write_text(json.dumps(job))
    script = ROOT / "benchmarks" / "peers" / "run_peers.py"
    out = subprocess.run([str(PEER_PYTHON), str(script), str(job_file)], check=False, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"the peers failed:\n{out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def sweep_ours(frame: pd.DataFrame, repeat: int) -> dict[str, Any]:
    """The 1,000 sets through `run_chunk`: once in this process, once split over all cores."""
    strategy = load_strategy(EXAMPLES / "rsi_reversal.json")
    grid = candidates(strategy, OptimizeRequest())
    run_chunk(strategy, {"X": frame}, grid[:2], OPTIONS)  # untimed warm-up, as vectorbt's warm run
    single, pooled = [], []
    workers = os.cpu_count() or 1
    chunks = [grid[i::workers] for i in range(workers)]
    for _ in range(repeat):  # best of a few: the machine is shared, one slow pass says little
        start = time.perf_counter()
        rows = run_chunk(strategy, {"X": frame}, grid, OPTIONS)
        single.append(time.perf_counter() - start)
        start = time.perf_counter()
        with ProcessPoolExecutor(workers) as pool:
            list(pool.map(run_chunk, [strategy] * workers, [{"X": frame}] * workers, chunks, [OPTIONS] * workers))
        pooled.append(time.perf_counter() - start)
    return {
        "trades": [r["trades"] for r in rows],
        "final_equity": [r["final_equity"] for r in rows],
        "single_s": min(single),
        "pooled_s": min(pooled),
        "workers": workers,
        "grid": [
            {
                "period": p["indicators.rsi.params.timeperiod"],
                "lower": p["long.entry.lt[1]"],
                "upper": p["long.exit.gt[1]"],
            }
            for p in grid
        ],
    }


def verdict(ours_: dict[str, Any], theirs: dict[str, Any], key: str = "final_equity") -> str:
    same = ours_["trades"] == theirs["trades"] and abs(ours_[key] - theirs[key]) < 0.005
    return "SAME" if same else "DIFFERENT"


def report_case(title: str, bars: int, mine: dict[str, Any], others: dict[str, Any], cold: float | None) -> None:
    print(f"\n== {title} ({bars:,} bars)")
    print(f"  {'engine':<16}{'trades':>8}{'final equity':>16}{'warm s':>10}{'bars/s':>14}{'vs ours':>9}  parity")
    warm = mine["warm_s"]
    print(f"  {'tradewind':<16}{mine['trades']:>8}{mine['final_equity']:>16.2f}{warm:>10.4f}{bars / warm:>14,.0f}")
    for name, row in others.items():
        if name == "versions":
            continue
        ratio = row["warm_s"] / warm
        print(
            f"  {name:<16}{row['trades']:>8}{row['final_equity']:>16.2f}{row['warm_s']:>10.4f}"
            f"{bars / row['warm_s']:>14,.0f}{ratio:>9.1f}  {verdict(mine, row)}   (cold {row['cold_s']:.2f} s)"
        )
    print(f"  tradewind with the full metrics suite: {mine['report_s']:.4f} s, {bars / mine['report_s']:,.0f} bars/s")
    if cold is not None:
        print(f"  tradewind cold start (fresh process, empty numba cache, import + compile + run): {cold:.2f} s")


def report_sweep(swept: dict[str, Any], vbt: dict[str, Any]) -> None:
    combos = len(swept["grid"])
    cells = SWEEP_BARS * combos
    differ = [
        grid
        for grid, a, b, x, y in zip(
            swept["grid"], swept["trades"], vbt["trades"], swept["final_equity"], vbt["final_equity"], strict=True
        )
        if a != b or abs(x - y) >= 0.005
    ]
    print(f"\n== rsi_reversal sweep: {combos} combinations x {SWEEP_BARS:,} bars (run_chunk: full metrics per set)")
    for label, seconds in (("1 process", swept["single_s"]), (f"{swept['workers']} processes", swept["pooled_s"])):
        print(
            f"  tradewind, {label:<12} {seconds:>7.2f} s  {cells / seconds:>14,.0f} bar-sets/s"
            f"   vectorbt / tradewind = {vbt['warm_s'] / seconds:.1f}x"
        )
    print(
        f"  vectorbt, 1 process      {vbt['warm_s']:>7.2f} s  {cells / vbt['warm_s']:>14,.0f} bar-sets/s"
        f"   (cold {vbt['cold_s']:.2f} s; {combos} columns of one portfolio)"
    )
    print(
        f"  parity: {combos - len(differ)}/{combos} parameter sets with the same trades and final equity to the cent;"
        f" trades {sum(swept['trades'])} vs {sum(vbt['trades'])}"
    )
    for grid in differ[:5]:
        print(f"    differs: {grid}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-slow-peers", action="store_true", help="run only vectorbt on the 1M-bar case")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if not PEER_PYTHON.exists():
        sys.exit("the peers' venv is missing: run `make bench-backtests`")
    WORK.mkdir(parents=True, exist_ok=True)
    nvda = import_file(ROOT / "data" / "samples" / "nvda-1d-1999-2014.csv", ImportOptions(timeframe=Timeframe.D1)).frame
    minutes = synthetic_minutes(SYNTHETIC_BARS)
    nvda_path = save(nvda, WORK / "nvda.npz")
    minutes_path = save(minutes, WORK / "minutes.npz")
    sweep_path = save(minutes.iloc[:SWEEP_BARS], WORK / "minutes-sweep.npz")
    all_peers = ["backtesting.py", "backtrader", "vectorbt"]
    base = {"cash": CASH, "commission": COMMISSION, "repeat": args.repeat}

    sma_params = {"fast": 10, "slow": 20}
    mine = ours("sma_cross", nvda, args.repeat)
    theirs = peers({**base, "strategy": "sma_cross", "data": str(nvda_path), "peers": all_peers, "params": sma_params})
    print("peer versions:", json.dumps(theirs["versions"]))
    report_case("sma_cross, NVDA daily", len(nvda), mine, theirs, cold_start("sma_cross", nvda_path))

    rsi_params = {"period": 14, "lower": 30, "upper": 70}
    mine = ours("rsi_reversal", minutes, args.repeat)
    slow = ["vectorbt"] if args.skip_slow_peers else all_peers
    theirs = peers({**base, "strategy": "rsi_reversal", "data": str(minutes_path), "peers": slow, "params": rsi_params})
    report_case(
        "rsi_reversal, synthetic 1-minute", len(minutes), mine, theirs, cold_start("rsi_reversal", minutes_path)
    )
    hand = hand_loop(minutes, args.repeat)
    print(
        f"  hand-written numba loop (TA-Lib RSI included): {hand['warm_s']:.4f} s,"
        f" {len(minutes) / hand['warm_s']:,.0f} bars/s, trades {hand['trades']},"
        f" final equity {hand['final_equity']:.2f}; tradewind / hand = {mine['warm_s'] / hand['warm_s']:.1f}x"
    )

    swept = sweep_ours(minutes.iloc[:SWEEP_BARS].reset_index(drop=True), min(args.repeat, 3))
    job = {**base, "strategy": "rsi_reversal", "data": str(sweep_path), "sweep": True, "grid": swept["grid"]}
    report_sweep(swept, peers(job)["vectorbt"])


if __name__ == "__main__":
    main()
