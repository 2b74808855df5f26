"""The compiled loop on constructed bars: fills, costs, sizes, protective exits and risk limits.

Signals are given directly (the condition language is tested elsewhere), so
each case states exactly which bar decides what and checks prices to the cent.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradewind.execution import layout as L
from tradewind.execution.account import Account, Market
from tradewind.execution.costs import BrokerProfile, Commission, Slippage
from tradewind.execution.program import compile_policy
from tradewind.strategy.validation import parse_strategy

DAY = 86_400 * 10**9
BASE: dict[str, Any] = {
    "name": "kernel",
    "universe": {"symbols": ["AAA"], "direction": "long"},
    "long": {"entry": {"gt": ["close", 0]}},
    "short": {"entry": {"gt": ["close", 0]}},
}


def _bars(rows: list[tuple[float, float, float, float]], symbols: int = 1) -> Market:
    array = np.array(rows, dtype=np.float64)
    shape = (len(rows), symbols)
    cols = [np.repeat(array[:, i : i + 1], symbols, axis=1).reshape(shape).copy() for i in range(4)]
    return Market(
        times=np.arange(len(rows), dtype=np.int64) * DAY, opens=cols[0], highs=cols[1], lows=cols[2], closes=cols[3]
    )


def _run(
    market: Market,
    entries: dict[int, int],
    exits: tuple[int, ...] = (),
    broker: BrokerProfile | None = None,
    cash: float = 10_000.0,
    aux: dict[int, np.ndarray] | None = None,
    idle_second: bool = False,
    **doc: Any,
) -> tuple[list[dict[str, Any]], np.ndarray, Account]:
    """entries: bar -> +1 (long) / -1 (short); exits close either side on their bar (of every symbol,
    or of the first only with `idle_second`)."""
    document = copy.deepcopy(BASE)
    document.update(doc)
    strategy = parse_strategy(document)
    program = compile_policy(strategy, broker or BrokerProfile(name="test"))
    n, k = market.closes.shape
    signals = np.zeros((L.N_SIGNALS, n, k), dtype=np.uint8)
    active = slice(0, 1) if idle_second else slice(None)
    for bar, direction in entries.items():
        signals[L.S_ENTRY_LONG if direction > 0 else L.S_ENTRY_SHORT, bar, active] = 1
    for bar in exits:
        signals[[L.S_EXIT_LONG, L.S_EXIT_SHORT], bar, active] = 1
    aux_array = np.full((L.N_AUX, n, k), np.nan)
    aux_array[L.A_ENTRY_REF] = market.closes
    for row, values in (aux or {}).items():
        aux_array[row] = values.reshape(n, k)
    account = Account.run(program, market, signals, aux_array, cash=cash, symbols=strategy.universe.symbols)
    fills = [
        {
            "bar": int(f[L.F_BAR]),
            "symbol": int(f[L.F_SYMBOL]),
            "qty": float(f[L.F_QTY]),
            "price": float(f[L.F_PRICE]),
            "fee": float(f[L.F_FEE]),
            "reason": L.REASONS[int(f[L.F_REASON])],
            "pnl": float(f[L.F_PNL]),
        }
        for f in account.fill_log()
    ]
    return fills, account.equity, account


FLAT = [(100.0, 101.0, 99.0, 100.0)] * 6


def test_all_in_whole_shares_with_commission_on_entry_and_exit() -> None:
    market = _bars(
        [(10.0, 10, 10, 10), (10.0, 11, 9.5, 10.5), (11.0, 12, 10.5, 11.5), (12.0, 12.5, 11, 12), (12.0, 12, 12, 12)]
    )
    fills, equity, _ = _run(
        market, {0: 1}, exits=(2,), broker=BrokerProfile(name="c", commission=Commission(rate=0.002))
    )
    qty = np.floor(10_000 / (10.0 * 1.002))
    assert [(f["bar"], f["qty"], f["price"], f["reason"]) for f in fills] == [
        (1, qty, 10.0, "entry"),
        (3, -qty, 12.0, "signal"),
    ]
    assert fills[0]["fee"] == pytest.approx(qty * 10.0 * 0.002)
    cash = 10_000 - qty * 10 * 1.002 + qty * 12 * 0.998
    assert equity[-1] == pytest.approx(cash, abs=1e-9)
    assert fills[1]["pnl"] == pytest.approx(qty * 2 - qty * 10 * 0.002 - qty * 12 * 0.002)
    assert equity[1] == pytest.approx(10_000 - qty * 10 * 1.002 + qty * 10.5)


def test_fill_at_close_uses_the_deciding_bar() -> None:
    fills, _, _ = _run(_bars(FLAT), {1: 1}, exits=(3,), execution={"fill": "close"})
    assert [(f["bar"], f["price"]) for f in fills] == [(1, 100.0), (3, 100.0)]


def _protected(rows: list[tuple[float, float, float, float]], exits: dict[str, Any]) -> list[tuple[int, float, str]]:
    fills, _, _ = _run(_bars(rows), {0: 1}, execution={"exits": exits})
    return [(f["bar"], round(f["price"], 6), f["reason"]) for f in fills[1:]]


SL_TP = {"stop_loss": {"percent": 2}, "take_profit": [{"percent": 4}]}


def test_stop_first_when_a_bar_touches_both() -> None:
    rows = [(100, 100, 100, 100), (100, 101, 99, 100), (100, 105, 97, 100)]
    assert _protected(rows, SL_TP) == [(2, 98.0, "stop_loss")]


def test_stop_first_even_after_an_open_above_the_target() -> None:
    rows = [(100, 100, 100, 100), (100, 101, 99, 100), (105, 106, 97, 100)]
    assert _protected(rows, SL_TP) == [(2, 98.0, "stop_loss")]


def test_gaps_fill_at_the_open() -> None:
    assert _protected([(100, 100, 100, 100), (100, 101, 99, 100), (95, 96, 94, 95)], SL_TP) == [(2, 95.0, "stop_loss")]
    assert _protected([(100, 100, 100, 100), (100, 101, 99, 100), (106, 107, 105, 106)], SL_TP) == [
        (2, 106.0, "take_profit")
    ]


def test_protective_orders_start_the_bar_after_the_entry() -> None:
    rows = [(100, 100, 100, 100), (100, 110, 90, 100), (100, 104.5, 99, 100)]
    assert _protected(rows, SL_TP) == [(2, 104.0, "take_profit")]


def test_partial_take_profits_then_the_rest() -> None:
    rows = [(100, 100, 100, 100), (100, 101, 99, 100), (100, 103.5, 99.5, 103), (103, 106.5, 102, 106)]
    fills, _, _ = _run(
        _bars(rows),
        {0: 1},
        execution={
            "size": {"mode": "fixed_quantity", "value": 10},
            "exits": {"take_profit": [{"percent": 3, "close_fraction": 0.5}, {"percent": 6}]},
        },
    )
    assert [(f["bar"], f["qty"], f["price"], f["reason"]) for f in fills] == [
        (1, 10.0, 100.0, "entry"),
        (2, -5.0, 103.0, "take_profit"),
        (3, -5.0, 106.0, "take_profit"),
    ]


def test_trailing_stop_follows_the_high() -> None:
    rows = [(100, 100, 100, 100), (100, 110, 99, 109), (109, 120, 108, 119), (119, 119, 107, 108)]
    assert _protected(rows, {"trailing_stop": {"percent": 10}}) == [(3, 108.0, "trailing_stop")]


def test_breakeven_moves_the_stop_to_the_entry() -> None:
    rows = [(100, 100, 100, 100), (100, 106, 99, 105), (104, 104, 99.5, 100)]
    assert _protected(rows, {"stop_loss": {"percent": 5}, "breakeven_trigger_pct": 5}) == [(2, 100.0, "breakeven")]


def test_atr_and_indicator_stops() -> None:
    market = _bars([(100, 100, 100, 100), (100, 101, 99, 100), (100, 100, 96, 97)])
    distance = np.full(3, 3.0)
    fills, _, _ = _run(
        market,
        {0: 1},
        aux={L.A_STOP: distance},
        execution={"exits": {"stop_loss": {"atr": {"period": 14, "multiple": 1}}}},
    )
    assert (fills[1]["price"], fills[1]["reason"]) == (97.0, "stop_loss")
    level = np.array([95.0, 96.5, 90.0])  # the level of the previous bar applies
    fills, _, _ = _run(market, {0: 1}, aux={L.A_STOP: level}, execution={"exits": {"stop_loss": {"indicator": "low"}}})
    assert (fills[1]["bar"], fills[1]["price"]) == (2, 96.5)


def test_time_exit() -> None:
    fills, _, _ = _run(_bars(FLAT), {0: 1}, execution={"exits": {"time_exit_bars": 2}})
    assert [(f["bar"], f["reason"]) for f in fills] == [(1, "entry"), (4, "time")]


def test_limit_entry_fills_at_its_price_or_a_better_open_and_expires() -> None:
    rows = [(100, 100, 100, 100), (100, 100.5, 99.5, 100), (100, 100, 98.9, 99), (97, 98, 96, 97)]
    limit = {"type": "limit", "offset_pct": 1, "expiry_bars": 2}
    fills, _, _ = _run(_bars(rows), {0: 1}, execution={"entry": limit})
    assert [(f["bar"], f["price"]) for f in fills] == [(2, 99.0)]
    fills, _, _ = _run(_bars(rows), {0: 1}, execution={"entry": {**limit, "expiry_bars": 1}})
    assert fills == []
    gap = [(100, 100, 100, 100), (98, 99, 97, 98)]
    fills, _, _ = _run(_bars(gap), {0: 1}, execution={"entry": limit})
    assert [(f["bar"], f["price"]) for f in fills] == [(1, 98.0)]


def test_stop_entry_buys_strength_with_slippage() -> None:
    rows = [(100, 100, 100, 100), (100, 102.5, 99, 102)]
    broker = BrokerProfile(name="s", slippage=Slippage(bps=10, ticks=1), tick_size=0.01)
    fills, _, _ = _run(_bars(rows), {0: 1}, broker=broker, execution={"entry": {"type": "stop", "offset_pct": 2}})
    assert fills[0]["price"] == pytest.approx(102 * 1.001 + 0.01)


def test_commission_parts_and_minimum() -> None:
    broker = BrokerProfile(name="c", commission=Commission(per_share=0.01, per_order=0.5, minimum=1.0))
    fills, _, _ = _run(
        _bars(FLAT), {0: 1}, exits=(2,), broker=broker, execution={"size": {"mode": "fixed_quantity", "value": 10}}
    )
    assert [f["fee"] for f in fills] == [1.0, 1.0]
    fills, _, _ = _run(
        _bars(FLAT), {0: 1}, exits=(2,), broker=broker, execution={"size": {"mode": "fixed_quantity", "value": 90}}
    )
    assert [f["fee"] for f in fills] == pytest.approx([1.4, 1.4])


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ({"mode": "fixed_cash", "value": 2500}, 25.0),
        ({"mode": "percent_equity", "value": 50}, 50.0),
        ({"mode": "fixed_quantity", "value": 1000}, 100.0),  # capped by cash: no leverage
    ],
)
def test_sizing_modes(size: dict[str, Any], expected: float) -> None:
    fills, _, _ = _run(_bars(FLAT), {0: 1}, execution={"size": size})
    assert fills[0]["qty"] == expected


def test_risk_percent_sizing_against_the_stop_distance() -> None:
    fills, _, _ = _run(
        _bars(FLAT),
        {0: 1},
        execution={"size": {"mode": "risk_percent", "value": 1}, "exits": {"stop_loss": {"percent": 2}}},
    )
    assert fills[0]["qty"] == 50.0  # 1% of 10000 / (2% of 100)


def test_fractional_shares_by_broker() -> None:
    rows = [(300.0, 300, 300, 300)] * 3
    fills, _, _ = _run(
        _bars(rows),
        {0: 1},
        broker=BrokerProfile(name="f", fractional=True),
        execution={"size": {"mode": "fixed_cash", "value": 1000}},
    )
    assert fills[0]["qty"] == pytest.approx(3.333333, abs=1e-6)


def test_fractional_shares_by_instrument() -> None:
    rows = [(300.0, 300, 300, 300)] * 3
    universe = {"symbols": ["AAA", "BTC-USD"], "fractional_symbols": ["BTC-USD"]}
    size = {"size": {"mode": "fixed_cash", "value": 1000}}
    fills, _, _ = _run(_bars(rows, symbols=2), {0: 1}, universe=universe, execution=size)
    assert [(f["symbol"], round(f["qty"], 6)) for f in fills] == [(0, 3.0), (1, 3.333333)]


def test_short_positions_profit_when_prices_fall() -> None:
    rows = [(100, 100, 100, 100), (100, 100, 100, 100), (90, 90, 90, 90), (90, 90, 90, 90)]
    fills, equity, _ = _run(
        _bars(rows),
        {0: -1},
        exits=(2,),
        universe={"symbols": ["AAA"], "direction": "short"},
        execution={"size": {"mode": "fixed_quantity", "value": 10}},
    )
    assert [(f["qty"], f["price"]) for f in fills] == [(-10.0, 100.0), (10.0, 90.0)]
    assert equity[-1] == pytest.approx(10_100.0)
    assert fills[1]["pnl"] == pytest.approx(100.0)


def test_opposite_entry_reverses_the_position() -> None:
    fills, _, _ = _run(
        _bars(FLAT),
        {0: 1, 2: -1},
        universe={"symbols": ["AAA"], "direction": "both"},
        execution={"size": {"mode": "fixed_quantity", "value": 10}},
    )
    assert [(f["bar"], f["qty"], f["reason"]) for f in fills] == [
        (1, 10.0, "entry"),
        (3, -10.0, "reverse"),
        (3, -10.0, "entry"),
    ]


def test_ladder_scales_in_and_a_closed_trade_cancels_the_rest() -> None:
    rows = [(100, 100, 100, 100), (100, 100, 98.5, 99), (99, 99, 99, 99), (99, 99, 90, 91), (91, 91, 85, 86)]
    execution = {
        "orders": {"count": 3, "spacing_pct": 1, "split": [0.5, 0.3, 0.2]},
        "entry": {"expiry_bars": 5},
        "size": {"mode": "fixed_quantity", "value": 100},
        "exits": {"stop_loss": {"percent": 5}},
    }
    fills, _, account = _run(_bars(rows), {0: 1}, execution=execution)
    assert [(f["bar"], f["qty"], f["price"], f["reason"]) for f in fills] == [
        (1, 50.0, 100.0, "entry"),
        (1, 30.0, 99.0, "entry"),
        (3, -80.0, round((50 * 100 + 30 * 99) / 80 * 0.95, 10), "stop_loss"),
    ]
    assert account.sym[0, L.Y_ENTRY_PENDING] == 0.0  # the 98 limit never fills after the stop-out


def test_max_drawdown_kill_switch_flattens_and_stops_trading() -> None:
    rows = [
        (100, 100, 100, 100),
        (100, 100, 100, 100),
        (80, 80, 80, 80),
        (80, 80, 80, 80),
        (80, 80, 80, 80),
        (80, 80, 80, 80),
    ]
    fills, _, account = _run(_bars(rows), {0: 1, 3: 1}, risk={"max_drawdown_pct": 10})
    assert [(f["bar"], f["reason"]) for f in fills] == [(1, "entry"), (3, "kill_switch")]
    assert account.acct[L.C_HALTED] == 1.0


def test_daily_loss_limit_blocks_the_rest_of_the_day() -> None:
    hour = 3600 * 10**9
    rows = [(100, 100, 100, 100), (100, 100, 100, 100), (90, 90, 90, 90), (90, 90, 90, 90), (90, 90, 90, 90)]
    base = _bars(rows)
    market = Market(
        times=np.array([0, 1, 2, 3, 24], dtype=np.int64) * hour,
        opens=base.opens,
        highs=base.highs,
        lows=base.lows,
        closes=base.closes,
    )
    fills, _, _ = _run(
        market,
        {0: 1, 3: 1, 4: 1},
        risk={"daily_loss_limit_pct": 5},
        execution={"size": {"mode": "fixed_quantity", "value": 100}},
    )
    assert [(f["bar"], f["reason"]) for f in fills] == [(1, "entry"), (3, "daily_loss")]


def test_max_exposure_caps_new_positions() -> None:
    market = _bars(FLAT, symbols=2)
    sizing = {"size": {"mode": "percent_equity", "value": 40}}
    fills, _, _ = _run(
        market, {0: 1}, universe={"symbols": ["AAA", "BBB"]}, execution=sizing, risk={"max_exposure_pct": 60}
    )
    assert [(f["symbol"], f["qty"]) for f in fills] == [(0, 40.0), (1, 20.0)]  # 4,000 + 2,000 of 10,000 equity


def test_symbols_share_one_cash_account() -> None:
    market = _bars(FLAT, symbols=2)
    fills, equity, _ = _run(market, {0: 1}, universe={"symbols": ["AAA", "BBB"]})
    assert [(f["symbol"], f["qty"]) for f in fills] == [(0, 100.0)]  # all-in on the first leaves nothing
    fills, _, _ = _run(
        market,
        {0: 1},
        universe={"symbols": ["AAA", "BBB"]},
        execution={"size": {"mode": "percent_equity", "value": 40}},
    )
    assert [(f["symbol"], f["qty"]) for f in fills] == [(0, 40.0), (1, 40.0)]
    fills, _, _ = _run(
        market,
        {0: 1},
        universe={"symbols": ["AAA", "BBB"]},
        execution={"size": {"mode": "percent_equity", "value": 40}},
        risk={"max_open_positions": 1},
    )
    assert [f["symbol"] for f in fills] == [0]
    assert np.allclose(equity, 10_000.0)


def test_runs_are_deterministic_and_grow_the_fill_log() -> None:
    rng = np.random.default_rng(3)
    closes = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 3000)))
    rows = [(c, c * 1.01, c * 0.99, c) for c in closes]
    entries = {i: 1 for i in range(0, 3000, 3)}
    first = _run(_bars(rows), entries, exits=tuple(range(1, 3000, 3)))
    second = _run(_bars(rows), entries, exits=tuple(range(1, 3000, 3)))
    assert len(first[0]) > 256 + 3000 // 8  # beyond the first capacity guess
    assert first[0] == second[0]
    assert np.array_equal(first[1], second[1])


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    exits=st.sampled_from(
        [
            {"stop_loss": {"percent": 2}, "take_profit": [{"percent": 3, "close_fraction": 0.5}, {"percent": 5}]},
            {"trailing_stop": {"percent": 3}},
            {"stop_loss": {"percent": 4}, "time_exit_bars": 5},
            {},
        ]
    ),
    direction=st.sampled_from(["long", "short", "both"]),
    risk=st.sampled_from([{}, {"max_drawdown_pct": 15}, {"daily_loss_limit_pct": 2}]),
)
def test_the_one_symbol_fast_path_equals_the_general_loop(
    seed: int, exits: dict[str, Any], direction: str, risk: dict[str, Any]
) -> None:
    """One symbol skips quiet bars in a tight loop; a second, idle symbol forces the general loop."""
    rng = np.random.default_rng(seed)
    closes = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 400)))
    opens = np.concatenate([[100.0], closes[:-1]]) * np.exp(rng.normal(0, 0.003, 400))
    highs = np.maximum(opens, closes) * (1 + np.abs(rng.normal(0, 0.005, 400)))
    lows = np.minimum(opens, closes) * (1 - np.abs(rng.normal(0, 0.005, 400)))
    rows = list(zip(opens, highs, lows, closes, strict=True))
    entries = {int(i): int(rng.choice([1, -1])) for i in rng.choice(400, 40, replace=False)}
    exit_bars = tuple(int(i) for i in rng.choice(400, 30, replace=False))
    doc = {"universe": {"symbols": ["AAA"], "direction": direction}, "execution": {"exits": exits}, "risk": risk}
    one = _run(_bars(rows), entries, exits=exit_bars, **doc)
    two_market = _bars(rows, symbols=2)
    doc2 = {**doc, "universe": {"symbols": ["AAA", "BBB"], "direction": direction}}
    two = _run(two_market, entries, exits=exit_bars, idle_second=True, **doc2)
    assert one[0] == [f for f in two[0] if f["symbol"] == 0]
    assert all(f["symbol"] == 0 for f in two[0])
    assert np.array_equal(one[1], two[1])
