"""The peers' side of benchmarks/backtests.py: runs in the benchmark venv (.build/bench-venv), never imported.

backtesting.py (AGPL), backtrader and vectorbt are benchmark-only: they live in
their own virtualenv and this script is started as a subprocess. It reads one
JSON job from the file named on its command line, times each peer inside this process and prints one JSON
object: per peer, the trade count, final equity, cold (first call in this
process) and warm (best of the repeats) seconds.

All peers follow Tradewind's peer preset: signals decided on a bar's close act
at the next open; all-in whole shares, floor(cash / (open x (1 + commission)));
commission on entry and exit; stop-loss / take-profit anchored to the fill
price and active from the bar after the entry (stop first when a bar touches
both); a position open at the end is marked at the last close. Crosses use
backtrader's rule with the 1e-12 tie tolerance for every peer (backtesting.py's
own `crossover` misses crosses through exact ties). Indicators come from TA-Lib
(backtrader's own SMA and RSI use the same formulas).
"""

from __future__ import annotations

import json
import math
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import talib

warnings.filterwarnings("ignore")


def sides(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), 1.0)
        return np.where(np.abs(a - b) <= 1e-12 * scale, 0.0, np.sign(a - b))


def crosses(a: np.ndarray, b: np.ndarray, upward: bool) -> np.ndarray:
    """backtrader's rule: a > b now and the latest earlier bar with a != b had a < b."""
    side = np.where(np.isnan(sides(a, b)), 2.0, sides(a, b))
    last = np.where(side != 0.0, np.arange(side.size), -1)
    np.maximum.accumulate(last, out=last)
    previous = np.full(side.size, 2.0)
    previous[1:] = np.where(last[:-1] >= 0, side[np.maximum(last[:-1], 0)], 2.0)
    target = 1.0 if upward else -1.0
    return (side == target) & (previous == -target)


def signals(
    job: dict[str, Any], close: np.ndarray, params: dict[str, float], rsi: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Entry and exit decided on each bar's close, with the 1e-12 tie tolerance of Tradewind's rules."""
    if job["strategy"] == "sma_cross":
        fast = talib.SMA(close, int(params["fast"]))
        slow = talib.SMA(close, int(params["slow"]))
        return crosses(fast, slow, True), crosses(fast, slow, False)
    values = talib.RSI(close, int(params["period"])) if rsi is None else rsi
    lower = np.full(values.size, float(params["lower"]))
    upper = np.full(values.size, float(params["upper"]))
    return sides(values, lower) == -1.0, sides(values, upper) == 1.0


# --- backtesting.py -----------------------------------------------------------------------------


def run_backtesting(job: dict[str, Any], frame: pd.DataFrame, params: dict[str, float]) -> tuple[int, float]:
    from backtesting import Backtest, Strategy

    stops = job["strategy"] == "rsi_reversal"

    class Preset(Strategy):
        def init(self) -> None:
            close = np.asarray(self.data.Close, dtype=np.float64)
            entry, exit_ = signals(job, close, params)
            self.entry = self.I(lambda: entry.astype(float), name="entry")
            self.exit = self.I(lambda: exit_.astype(float), name="exit")

        def next(self) -> None:
            if self.position and self.exit[-1]:
                for trade in self.trades:  # the market exit at the open comes before any stop
                    trade.sl = None
                    trade.tp = None
                self.position.close()
            elif self.position and stops:
                for trade in self.trades:
                    if trade.sl is None:  # anchored to the fill, active from the next bar
                        trade.tp = trade.entry_price * 1.04
                        trade.sl = trade.entry_price * 0.98
            elif not self.position and self.entry[-1]:
                self.buy()

    bt = Backtest(frame, Preset, cash=job["cash"], commission=job["commission"], finalize_trades=False)
    stats = bt.run()
    trades = len(stats["_trades"]) + (1 if stats["_strategy"].position else 0)
    return trades, float(stats["Equity Final [$]"])


# --- backtrader ---------------------------------------------------------------------------------


def run_backtrader(job: dict[str, Any], frame: pd.DataFrame, params: dict[str, float]) -> tuple[int, float]:
    import backtrader as bt

    commission = job["commission"]
    stops = job["strategy"] == "rsi_reversal"

    class Preset(bt.Strategy):
        def __init__(self) -> None:
            if job["strategy"] == "sma_cross":
                cross = bt.indicators.CrossOver(
                    bt.talib.SMA(self.data.close, timeperiod=int(params["fast"])),
                    bt.talib.SMA(self.data.close, timeperiod=int(params["slow"])),
                )
                self.entry_line, self.exit_line = cross > 0, cross < 0
            else:
                rsi = bt.talib.RSI(self.data.close, timeperiod=int(params["period"]))
                self.entry_line, self.exit_line = rsi < params["lower"], rsi > params["upper"]
            self.want_entry = self.want_exit = False
            self.brackets: list[Any] = []
            self.closed = 0

        def notify_order(self, order: Any) -> None:
            if order.status == order.Completed and order.isbuy() and stops:
                price, size = order.executed.price, order.executed.size
                stop = self.sell(exectype=bt.Order.Stop, price=price * 0.98, size=size)
                limit = self.sell(exectype=bt.Order.Limit, price=price * 1.04, size=size, oco=stop)
                self.brackets = [stop, limit]

        def notify_trade(self, trade: Any) -> None:
            if trade.isclosed:
                self.closed += 1

        def next_open(self) -> None:
            if self.position and self.want_exit:
                for order in self.brackets:
                    self.cancel(order)
                self.close()
            elif not self.position and self.want_entry:
                size = math.floor(self.broker.getcash() / (self.data.open[0] * (1 + commission)))
                if size > 0:
                    self.buy(size=size)

        def next(self) -> None:
            self.want_entry = bool(self.entry_line[0])
            self.want_exit = bool(self.exit_line[0])

    cerebro = bt.Cerebro(cheat_on_open=True, stdstats=False)
    cerebro.adddata(bt.feeds.PandasData(dataname=frame))
    cerebro.broker.setcash(job["cash"])
    cerebro.broker.setcommission(commission=commission)
    strategy = cerebro.addstrategy(Preset)
    del strategy
    [result] = cerebro.run()
    return result.closed + (1 if result.position else 0), float(cerebro.broker.getvalue())


# --- vectorbt -----------------------------------------------------------------------------------


def run_vectorbt(job: dict[str, Any], frame: pd.DataFrame, params: dict[str, float]) -> tuple[int, float]:
    import vectorbt as vbt

    close = frame["Close"].to_numpy()
    entry, exit_ = signals(job, close, params)
    # Decided on the close, acted on at the next open.
    entries = np.roll(entry, 1)
    exits = np.roll(exit_, 1)
    entries[0] = exits[0] = False
    extra: dict[str, Any] = {}
    if job["strategy"] == "rsi_reversal":
        extra = {"sl_stop": 0.02, "tp_stop": 0.04, "stop_entry_price": "fillprice"}
    pf = vbt.Portfolio.from_signals(
        close=frame["Close"],
        entries=entries,
        exits=exits,
        price=frame["Open"],
        open=frame["Open"],
        high=frame["High"],
        low=frame["Low"],
        fees=job["commission"],
        size=np.inf,
        size_granularity=1,
        init_cash=job["cash"],
        freq="1min",
        **extra,
    )
    return int(pf.trades.count()), float(pf.final_value())


def run_vectorbt_sweep(
    job: dict[str, Any], frame: pd.DataFrame, grid: list[dict[str, float]]
) -> tuple[list[int], list[float]]:
    """All parameter sets as columns of one vectorbt portfolio (vectorbt's own way to sweep)."""
    import vectorbt as vbt

    close = frame["Close"].to_numpy()
    periods = sorted({int(p["period"]) for p in grid})
    rsi = {p: talib.RSI(close, p) for p in periods}
    entries = np.zeros((close.size, len(grid)), dtype=bool)
    exits = np.zeros_like(entries)
    for k, p in enumerate(grid):
        entry, exit_ = signals(job, close, p, rsi[int(p["period"])])
        entries[1:, k] = entry[:-1]
        exits[1:, k] = exit_[:-1]
    column = {name: frame[name].to_numpy()[:, None] for name in ("Open", "High", "Low", "Close")}
    pf = vbt.Portfolio.from_signals(
        close=column["Close"],
        entries=entries,
        exits=exits,
        price=column["Open"],
        open=column["Open"],
        high=column["High"],
        low=column["Low"],
        fees=job["commission"],
        size=np.inf,
        size_granularity=1,
        init_cash=job["cash"],
        sl_stop=0.02,
        tp_stop=0.04,
        stop_entry_price="fillprice",
        freq="1min",
    )
    return np.asarray(pf.trades.count()).tolist(), np.asarray(pf.final_value()).tolist()


PEERS: dict[str, Callable[[dict[str, Any], pd.DataFrame, dict[str, float]], tuple[int, float]]] = {
    "backtesting.py": run_backtesting,
    "backtrader": run_backtrader,
    "vectorbt": run_vectorbt,
}


def _frame(path: str) -> pd.DataFrame:
    data = np.load(path)
    index = pd.to_datetime(data["time"], utc=True).tz_localize(None)
    return pd.DataFrame(
        {
            "Open": data["open"],
            "High": data["high"],
            "Low": data["low"],
            "Close": data["close"],
            "Volume": data["volume"],
        },
        index=index,
    )


def main() -> None:
    job = json.loads(Path(sys.argv[1]).read_text())
    frame = _frame(job["data"])
    out: dict[str, Any] = {"versions": _versions()}
    if job.get("sweep"):
        grid = job["grid"]
        start = time.perf_counter()
        trades, finals = run_vectorbt_sweep(job, frame, grid)
        cold = time.perf_counter() - start
        start = time.perf_counter()
        run_vectorbt_sweep(job, frame, grid)
        warm = time.perf_counter() - start
        out["vectorbt"] = {"trades": trades, "final_equity": finals, "cold_s": cold, "warm_s": warm}
        print(json.dumps(out))
        return
    for name in job["peers"]:
        run = PEERS[name]
        timings = []
        result: tuple[int, float] = (0, math.nan)
        for _ in range(job["repeat"] if name != "backtrader" or len(frame) < 100_000 else 1):
            start = time.perf_counter()
            result = run(job, frame, job["params"])
            timings.append(time.perf_counter() - start)
        out[name] = {"trades": result[0], "final_equity": result[1], "cold_s": timings[0], "warm_s": min(timings)}
    print(json.dumps(out))


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    return {name: version(name) for name in ("backtesting", "backtrader", "vectorbt", "numpy", "pandas", "ta-lib")}


if __name__ == "__main__":
    main()
