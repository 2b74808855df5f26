# Numba kernels take plain positional arrays and branch per event: argument-, return- and
# branch-count limits do not fit them.
# ruff: noqa: PLR0911, PLR0912, PLR0915, PLR0917
"""The compiled bar loop: orders, fills, costs, positions and risk limits, bar by bar.

Backtests call `simulate` once over all bars; the live path calls it with the
range of one new bar and the same state arrays, so both run exactly the same
code. Within a bar events happen in this order, and nothing reads a later bar:

1. at the open: pending market exits fill;
2. for positions opened before this bar: when the bar reaches the protective
   stop (the tightest of stop-loss, trailing stop and breakeven), the whole
   position exits there, at the open if the open gapped through it; only a
   bar that does not reach the stop fills take-profit levels (at the open if
   it gapped through them). Stop first is the conservative rule for a bar that
   touches both, whatever the order inside the bar: the peers apply it too;
3. working entry orders: market orders fill at the open, limit and stop
   orders fill at the open when it gaps through them, else at their price
   when the bar's range reaches it;
4. at the close: equity is marked; the drawdown kill switch and the daily loss
   limit act; time exits, exit signals and entry signals place orders for the
   next open (or fill at this close with `fill = close`).

A position that closes completely cancels its unfilled ladder orders.
Stops and take-profits are anchored to the average fill price and become
active on the bar after the entry. Trailing extremes and indicator stop levels
use values up to the previous bar.

Speed: the state arrays are indexed in place (no row views, which cost
reference counting per bar), scalar parameters are read once, and with one
symbol the bars on which nothing can happen are marked to market in a tight
loop (`_quiet_bars`); a test holds that fast path to the general loop.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from tradewind.execution.jit import njit
from tradewind.execution.layout import (
    A_ENTRY_REF,
    A_STOP,
    A_TRAIL,
    C_CASH,
    C_DAY,
    C_DAY_BLOCKED,
    C_DAY_START,
    C_EXPOSURE_EQ,
    C_FILLS,
    C_HALTED,
    C_NEXT_BAR,
    C_OVERFLOW,
    C_PEAK,
    F_BAR,
    F_ENTRY_BAR,
    F_ENTRY_PRICE,
    F_FEE,
    F_PNL,
    F_PRICE,
    F_QTY,
    F_REASON,
    F_SYMBOL,
    O_ACTIVE,
    O_FIRST_BAR,
    O_LAST_BAR,
    O_PRICE,
    O_WEIGHT,
    P_ALLOW_LONG,
    P_ALLOW_SHORT,
    P_BREAKEVEN,
    P_COMM_MIN,
    P_COMM_ORDER,
    P_COMM_PCT,
    P_COMM_SHARE,
    P_DAILY_LOSS,
    P_ENTRY_OFFSET,
    P_ENTRY_TYPE,
    P_EXPIRY,
    P_FILL_CLOSE,
    P_LADDER,
    P_MAX_DRAWDOWN,
    P_MAX_EXPOSURE,
    P_MAX_POSITIONS,
    P_SIZE_MODE,
    P_SIZE_VALUE,
    P_SL_MODE,
    P_SL_VALUE,
    P_SLIP_FRAC,
    P_SLIP_PRICE,
    P_SPACING,
    P_TIME_BARS,
    P_TRAIL_MODE,
    P_TRAIL_VALUE,
    R_BREAKEVEN,
    R_DAILY_LOSS,
    R_ENTRY,
    R_KILL_SWITCH,
    R_REVERSE,
    R_SIGNAL,
    R_STOP_LOSS,
    R_TAKE_PROFIT,
    R_TIME,
    R_TRAILING,
    S_ENTRY_LONG,
    S_ENTRY_SHORT,
    S_EXIT_LONG,
    S_EXIT_SHORT,
    Y_AVG,
    Y_ENTRY_BAR,
    Y_ENTRY_DIR,
    Y_ENTRY_PENDING,
    Y_EXIT,
    Y_EXTREME,
    Y_FEES,
    Y_LAST_CLOSE,
    Y_LEVELS_OK,
    Y_LOT,
    Y_PEAK_QTY,
    Y_QTY,
    Y_STOP_DIST,
    Y_STOP_LEVEL,
    Y_TARGET_LEVEL,
    Y_TP_DONE,
    Y_TRAIL_DIST,
)

_EPS = 1e-12


@njit(cache=True, inline="always")
def _fee(params: npt.NDArray[Any], qty: float, price: float) -> float:
    if qty <= 0.0:
        return 0.0
    fee = params[P_COMM_PCT] * qty * price + params[P_COMM_SHARE] * qty + params[P_COMM_ORDER]
    return float(max(fee, params[P_COMM_MIN]))


@njit(cache=True, inline="always")
def _market(params: npt.NDArray[Any], price: float, direction: float) -> float:
    """The price a market or stop order gets: slippage always moves it against the order."""
    return float(price * (1.0 + direction * params[P_SLIP_FRAC]) + direction * params[P_SLIP_PRICE])


@njit(cache=True, inline="always")
def _floor_lot(qty: float, lot: float) -> float:
    return float(np.floor(qty / lot + 1e-9) * lot)


@njit(cache=True)
def _log(
    fills: npt.NDArray[Any],
    acct: npt.NDArray[Any],
    bar: int,
    symbol: int,
    qty: float,
    price: float,
    fee: float,
    reason: int,
    entry_bar: float,
    entry_price: float,
    pnl: float,
) -> None:
    n = int(acct[C_FILLS])
    if n >= fills.shape[0]:
        acct[C_OVERFLOW] = 1.0
    else:
        fills[n, F_BAR] = bar
        fills[n, F_SYMBOL] = symbol
        fills[n, F_QTY] = qty
        fills[n, F_PRICE] = price
        fills[n, F_FEE] = fee
        fills[n, F_REASON] = reason
        fills[n, F_ENTRY_BAR] = entry_bar
        fills[n, F_ENTRY_PRICE] = entry_price
        fills[n, F_PNL] = pnl
    acct[C_FILLS] = n + 1


@njit(cache=True)
def _open(
    params: npt.NDArray[Any],
    aux: npt.NDArray[Any],
    sym: npt.NDArray[Any],
    acct: npt.NDArray[Any],
    fills: npt.NDArray[Any],
    j: int,
    bar: int,
    info_bar: int,
    delta: float,
    price: float,
) -> None:
    fee = _fee(params, abs(delta), price)
    if sym[j, Y_QTY] == 0.0:
        sym[j, Y_ENTRY_BAR] = bar
        sym[j, Y_AVG] = price
        sym[j, Y_FEES] = fee
        sym[j, Y_PEAK_QTY] = abs(delta)
        sym[j, Y_EXTREME] = price
        sym[j, Y_TP_DONE] = 0.0
        mode = params[P_SL_MODE]
        sym[j, Y_STOP_DIST] = aux[A_STOP, info_bar, j] if mode == 2.0 else np.nan
        sym[j, Y_TRAIL_DIST] = aux[A_TRAIL, info_bar, j] if params[P_TRAIL_MODE] == 2.0 else np.nan
    else:
        held = abs(sym[j, Y_QTY])
        sym[j, Y_AVG] = (held * sym[j, Y_AVG] + abs(delta) * price) / (held + abs(delta))
        sym[j, Y_FEES] += fee
        sym[j, Y_PEAK_QTY] = max(sym[j, Y_PEAK_QTY], held + abs(delta))
    sym[j, Y_QTY] += delta
    sym[j, Y_LEVELS_OK] = 0.0
    acct[C_CASH] -= delta * price + fee
    _log(fills, acct, bar, j, delta, price, fee, R_ENTRY, sym[j, Y_ENTRY_BAR], price, 0.0)


@njit(cache=True)
def _close(
    params: npt.NDArray[Any],
    sym: npt.NDArray[Any],
    acct: npt.NDArray[Any],
    fills: npt.NDArray[Any],
    j: int,
    bar: int,
    qty: float,
    price: float,
    reason: int,
) -> None:
    held = abs(sym[j, Y_QTY])
    qty = min(qty, held)
    if qty <= 0.0:
        return
    side = 1.0 if sym[j, Y_QTY] > 0.0 else -1.0
    fee = _fee(params, qty, price)
    allocated = sym[j, Y_FEES] * qty / held
    sym[j, Y_FEES] -= allocated
    pnl = side * (price - sym[j, Y_AVG]) * qty - fee - allocated
    acct[C_CASH] += side * qty * price - fee
    _log(fills, acct, bar, j, -side * qty, price, fee, reason, sym[j, Y_ENTRY_BAR], sym[j, Y_AVG], pnl)
    remaining = held - qty
    if remaining <= _EPS * max(held, 1.0):
        sym[j, Y_QTY] = 0.0
        sym[j, Y_FEES] = 0.0
        sym[j, Y_EXIT] = 0.0
        if sym[j, Y_ENTRY_DIR] == side:  # the trade is over: its unfilled ladder orders are cancelled
            sym[j, Y_ENTRY_PENDING] = 0.0
    else:
        sym[j, Y_QTY] = side * remaining


@njit(cache=True)
def _entry_size(
    params: npt.NDArray[Any],
    aux: npt.NDArray[Any],
    sym: npt.NDArray[Any],
    acct: npt.NDArray[Any],
    j: int,
    info_bar: int,
    direction: float,
    price: float,
    weight: float,
    share: float,
) -> float:
    """Shares for one ladder order filling at `price`.

    `weight` is the order's part of the whole ladder; `share` its part of the ladder still working, which
    all-in sizing applies to the cash left, so the last order spends what the earlier ones did not.
    """
    equity = acct[C_EXPOSURE_EQ]
    mode = params[P_SIZE_MODE]
    value = params[P_SIZE_VALUE]
    # Longs spend cash; shorts are held to 1x equity (no leverage either way).
    budget = acct[C_CASH] if direction > 0 else equity - abs(sym[j, Y_QTY]) * sym[j, Y_AVG]
    if mode == 0.0:
        qty = budget * share / (price * (1.0 + params[P_COMM_PCT]))
    elif mode == 1.0:
        qty = value * weight
    elif mode == 2.0:
        qty = value * weight / price
    elif mode == 3.0:
        qty = equity * value / 100.0 * weight / price
    else:
        sl_mode = params[P_SL_MODE]
        if sl_mode == 1.0:
            distance = price * params[P_SL_VALUE]
        elif sl_mode == 2.0:
            distance = aux[A_STOP, info_bar, j]
        else:
            distance = abs(price - aux[A_STOP, info_bar, j])
        if not distance > 0.0:
            return 0.0
        qty = equity * value / 100.0 * weight / distance
    if params[P_MAX_EXPOSURE] > 0.0:
        gross = 0.0
        for m in range(sym.shape[0]):
            gross += abs(sym[m, Y_QTY]) * sym[m, Y_LAST_CLOSE]
        room = params[P_MAX_EXPOSURE] * equity - gross
        qty = min(qty, max(room, 0.0) / price)
    lot = sym[j, Y_LOT]
    limit = max(budget, 0.0)
    qty = _floor_lot(min(qty, limit / (price * (1.0 + params[P_COMM_PCT]) + params[P_COMM_SHARE])), lot)
    while qty > 0.0 and qty * price + _fee(params, qty, price) > limit + _EPS * max(limit, 1.0):
        qty = _floor_lot(qty - lot, lot) if lot >= 1.0 else _floor_lot(qty * (1.0 - 1e-6), lot)
    return float(max(qty, 0.0))


@njit(cache=True)
def _work_entries(
    params: npt.NDArray[Any],
    aux: npt.NDArray[Any],
    sym: npt.NDArray[Any],
    orders: npt.NDArray[Any],
    acct: npt.NDArray[Any],
    fills: npt.NDArray[Any],
    j: int,
    bar: int,
    o: float,
    h: float,
    low: float,
    at_close: bool,
) -> None:
    direction = sym[j, Y_ENTRY_DIR]
    kind = params[P_ENTRY_TYPE]
    working = 0.0
    for m in range(orders.shape[1]):
        if orders[j, m, O_ACTIVE] > 0.0:
            working += orders[j, m, O_WEIGHT]
    any_left = False
    for m in range(orders.shape[1]):
        if orders[j, m, O_ACTIVE] == 0.0:
            continue
        if bar < orders[j, m, O_FIRST_BAR]:
            any_left = True
            continue
        if bar > orders[j, m, O_LAST_BAR]:
            orders[j, m, O_ACTIVE] = 0.0
            continue
        limit = orders[j, m, O_PRICE]
        price = np.nan
        if np.isnan(limit):
            price = _market(params, o, direction)
        elif kind == 1.0 or (m > 0 and kind == 0.0):
            if direction * (o - limit) <= 0.0:
                price = o
            elif direction * ((low if direction > 0 else h) - limit) <= 0.0:
                price = limit
        elif direction * (o - limit) >= 0.0:
            price = _market(params, o, direction)
        elif direction * ((h if direction > 0 else low) - limit) >= 0.0:
            price = _market(params, limit, direction)
        if np.isnan(price):
            if bar >= orders[j, m, O_LAST_BAR]:
                orders[j, m, O_ACTIVE] = 0.0
            else:
                any_left = True
            continue
        info_bar = bar if at_close else bar - 1
        weight = orders[j, m, O_WEIGHT]
        qty = _entry_size(params, aux, sym, acct, j, info_bar, direction, price, weight, weight / working)
        working -= orders[j, m, O_WEIGHT]
        orders[j, m, O_ACTIVE] = 0.0
        if qty > 0.0:
            _open(params, aux, sym, acct, fills, j, bar, info_bar, direction * qty, price)
    sym[j, Y_ENTRY_PENDING] = 1.0 if any_left else 0.0


@njit(cache=True)
def _protect(
    params: npt.NDArray[Any],
    aux: npt.NDArray[Any],
    tp: npt.NDArray[Any],
    sym: npt.NDArray[Any],
    acct: npt.NDArray[Any],
    fills: npt.NDArray[Any],
    j: int,
    bar: int,
    o: float,
    h: float,
    low: float,
) -> None:
    side = 1.0 if sym[j, Y_QTY] > 0.0 else -1.0
    avg = sym[j, Y_AVG]
    stop = np.nan
    reason = R_STOP_LOSS
    sl_mode = params[P_SL_MODE]
    if sl_mode == 1.0:
        stop = avg * (1.0 - side * params[P_SL_VALUE])
    elif sl_mode == 2.0:
        stop = avg - side * sym[j, Y_STOP_DIST]
    elif sl_mode == 3.0:
        stop = aux[A_STOP, bar - 1, j]
    trail_mode = params[P_TRAIL_MODE]
    if trail_mode > 0.0:
        if trail_mode == 1.0:
            trail = sym[j, Y_EXTREME] * (1.0 - side * params[P_TRAIL_VALUE])
        else:
            trail = sym[j, Y_EXTREME] - side * sym[j, Y_TRAIL_DIST]
        if np.isnan(stop) or side * (trail - stop) > 0.0:
            stop = trail
            reason = R_TRAILING
    trigger = params[P_BREAKEVEN]
    reached = trigger > 0.0 and side * (sym[j, Y_EXTREME] - avg * (1.0 + side * trigger)) >= 0.0
    if reached and (np.isnan(stop) or side * (avg - stop) > 0.0):
        stop = avg
        reason = R_BREAKEVEN
    adverse = low if side > 0 else h
    sym[j, Y_STOP_LEVEL] = stop
    if not np.isnan(stop) and side * (adverse - stop) <= 0.0:
        price = o if side * (o - stop) <= 0.0 else stop
        _close(params, sym, acct, fills, j, bar, abs(sym[j, Y_QTY]), _market(params, price, -side), reason)
        return
    favourable = h if side > 0 else low
    levels = tp.shape[0]
    done = int(sym[j, Y_TP_DONE])
    while done < levels and sym[j, Y_QTY] != 0.0:
        target = avg * (1.0 + side * tp[done, 0])
        if side * (favourable - target) < 0.0:
            break
        price = o if side * (o - target) >= 0.0 else target
        _take_profit(params, tp, sym, acct, fills, j, bar, done, price)
        done += 1
    sym[j, Y_TP_DONE] = done
    sym[j, Y_TARGET_LEVEL] = avg * (1.0 + side * tp[done, 0]) if done < levels else np.nan
    sym[j, Y_LEVELS_OK] = 1.0


@njit(cache=True)
def _take_profit(
    params: npt.NDArray[Any],
    tp: npt.NDArray[Any],
    sym: npt.NDArray[Any],
    acct: npt.NDArray[Any],
    fills: npt.NDArray[Any],
    j: int,
    bar: int,
    level: int,
    price: float,
) -> None:
    held = abs(sym[j, Y_QTY])
    lot = sym[j, Y_LOT]
    qty = _floor_lot(tp[level, 1] * sym[j, Y_PEAK_QTY], lot)
    if level == tp.shape[0] - 1 or held - qty < lot:
        qty = held
    _close(params, sym, acct, fills, j, bar, qty, price, R_TAKE_PROFIT)


@njit(cache=True)
def _exit(
    params: npt.NDArray[Any],
    sym: npt.NDArray[Any],
    acct: npt.NDArray[Any],
    fills: npt.NDArray[Any],
    j: int,
    bar: int,
    close: float,
    reason: int,
) -> None:
    """Exit at this close (fill = close) or mark a market exit for the next open."""
    if sym[j, Y_QTY] == 0.0:
        return
    if params[P_FILL_CLOSE] > 0.0:
        side = 1.0 if sym[j, Y_QTY] > 0.0 else -1.0
        _close(params, sym, acct, fills, j, bar, abs(sym[j, Y_QTY]), _market(params, close, -side), reason)
    elif sym[j, Y_EXIT] == 0.0:
        sym[j, Y_EXIT] = reason + 1.0


@njit(cache=True)
def _place_entry(
    params: npt.NDArray[Any],
    aux: npt.NDArray[Any],
    sym: npt.NDArray[Any],
    orders: npt.NDArray[Any],
    acct: npt.NDArray[Any],
    fills: npt.NDArray[Any],
    weights: npt.NDArray[Any],
    j: int,
    bar: int,
    direction: float,
    close: float,
) -> None:
    kind = params[P_ENTRY_TYPE]
    reference = aux[A_ENTRY_REF, bar, j]
    fill_close = params[P_FILL_CLOSE] > 0.0
    for m in range(orders.shape[1]):
        if m >= int(params[P_LADDER]):
            orders[j, m, O_ACTIVE] = 0.0
            continue
        spacing = m * params[P_SPACING]
        if kind == 0.0:
            orders[j, m, O_PRICE] = np.nan if m == 0 else reference * (1.0 - direction * spacing)
        elif kind == 1.0:
            orders[j, m, O_PRICE] = reference * (1.0 - direction * (params[P_ENTRY_OFFSET] + spacing))
        else:
            orders[j, m, O_PRICE] = reference * (1.0 + direction * (params[P_ENTRY_OFFSET] + spacing))
        market_now = fill_close and kind == 0.0 and m == 0
        orders[j, m, O_FIRST_BAR] = bar if market_now else bar + 1
        orders[j, m, O_LAST_BAR] = bar if market_now else bar + params[P_EXPIRY]
        orders[j, m, O_WEIGHT] = weights[m]
        orders[j, m, O_ACTIVE] = 1.0 if not np.isnan(orders[j, m, O_PRICE]) or kind == 0.0 else 0.0
    sym[j, Y_ENTRY_DIR] = direction
    sym[j, Y_ENTRY_PENDING] = 1.0
    if fill_close and kind == 0.0:
        _work_entries(params, aux, sym, orders, acct, fills, j, bar, close, close, close, True)


@njit(cache=True)
def _cancel_entries(sym: npt.NDArray[Any], orders: npt.NDArray[Any], j: int) -> None:
    sym[j, Y_ENTRY_PENDING] = 0.0
    for m in range(orders.shape[1]):
        orders[j, m, O_ACTIVE] = 0.0


@njit(cache=True)
def _quiet_bars(
    highs: npt.NDArray[Any],
    lows: npt.NDArray[Any],
    closes: npt.NDArray[Any],
    signals: npt.NDArray[Any],
    days: npt.NDArray[Any],
    params: npt.NDArray[Any],
    sym: npt.NDArray[Any],
    acct: npt.NDArray[Any],
    equity: npt.NDArray[Any],
    i: int,
    stop: int,
    static_levels: bool,
) -> int:
    """One symbol: mark to market, in a tight loop, the bars from `i` on which nothing can happen.

    Flat with nothing working, a bar without an entry signal changes nothing but the books; in a
    position with fixed protective levels (no trailing, breakeven, time exit or equity-based limit),
    so does a bar that reaches neither level and carries no exit or reversing signal. Such bars get
    exactly the bookkeeping the full loop would do. Returns the first bar that needs the full loop.
    """
    if sym[0, Y_EXIT] > 0.0 or sym[0, Y_ENTRY_PENDING] > 0.0:
        return i
    qty = sym[0, Y_QTY]
    long_ok = params[P_ALLOW_LONG] > 0.0
    short_ok = params[P_ALLOW_SHORT] > 0.0
    if qty != 0.0:
        calm = static_levels and sym[0, Y_LEVELS_OK] > 0.0 and params[P_TIME_BARS] == 0.0
        if not calm or params[P_MAX_DRAWDOWN] > 0.0 or params[P_DAILY_LOSS] > 0.0:
            return i
    long = qty > 0.0
    stop_level = sym[0, Y_STOP_LEVEL]
    target = sym[0, Y_TARGET_LEVEL]
    cash = acct[C_CASH]
    while i < stop:
        close = closes[i, 0]
        if np.isnan(close):
            return i
        if qty == 0.0:
            if (long_ok and signals[S_ENTRY_LONG, i, 0]) or (short_ok and signals[S_ENTRY_SHORT, i, 0]):
                return i
            value = cash
        else:
            if sym[0, Y_ENTRY_BAR] >= i:
                return i
            if long:
                if lows[i, 0] <= stop_level or highs[i, 0] >= target:
                    return i
                if signals[S_EXIT_LONG, i, 0] or (short_ok and signals[S_ENTRY_SHORT, i, 0]):
                    return i
                sym[0, Y_EXTREME] = max(sym[0, Y_EXTREME], highs[i, 0])
            else:
                if highs[i, 0] >= stop_level or lows[i, 0] <= target:
                    return i
                if signals[S_EXIT_SHORT, i, 0] or (long_ok and signals[S_ENTRY_LONG, i, 0]):
                    return i
                sym[0, Y_EXTREME] = min(sym[0, Y_EXTREME], lows[i, 0])
            value = cash + qty * close
        if days[i] != acct[C_DAY]:
            acct[C_DAY] = days[i]
            acct[C_DAY_START] = acct[C_EXPOSURE_EQ]
            acct[C_DAY_BLOCKED] = 0.0
        sym[0, Y_LAST_CLOSE] = close
        equity[i] = value
        acct[C_EXPOSURE_EQ] = value
        acct[C_PEAK] = max(acct[C_PEAK], value)
        i += 1
    return i


@njit(cache=True, nogil=True)
def simulate(
    opens: npt.NDArray[Any],
    highs: npt.NDArray[Any],
    lows: npt.NDArray[Any],
    closes: npt.NDArray[Any],
    signals: npt.NDArray[Any],
    aux: npt.NDArray[Any],
    days: npt.NDArray[Any],
    params: npt.NDArray[Any],
    weights: npt.NDArray[Any],
    tp: npt.NDArray[Any],
    sym: npt.NDArray[Any],
    orders: npt.NDArray[Any],
    acct: npt.NDArray[Any],
    fills: npt.NDArray[Any],
    equity: npt.NDArray[Any],
    start: int,
    stop: int,
) -> None:
    """Advance the account over bars [start, stop); state lives in sym, orders and acct.

    The hot loop indexes the 2-D state directly: taking row views (`sym[j]`) costs reference
    counting on every bar, which dominated the loop.
    """
    symbols = opens.shape[1]
    # Scalars read once: the state arrays are written every bar, so numba cannot hoist these loads itself.
    fill_close = params[P_FILL_CLOSE] > 0.0
    max_drawdown = params[P_MAX_DRAWDOWN]
    daily_loss = params[P_DAILY_LOSS]
    time_bars = params[P_TIME_BARS]
    allow_long = params[P_ALLOW_LONG] > 0.0
    allow_short = params[P_ALLOW_SHORT] > 0.0
    max_positions = params[P_MAX_POSITIONS]
    # With a fixed stop and no trailing / breakeven, the protective levels only move on fills: a bar
    # that reaches neither cached level needs no work.
    static_levels = params[P_TRAIL_MODE] == 0.0 and params[P_BREAKEVEN] == 0.0 and params[P_SL_MODE] != 3.0
    i = start
    while i < stop:
        if symbols == 1:
            i = _quiet_bars(highs, lows, closes, signals, days, params, sym, acct, equity, i, stop, static_levels)
            if i >= stop:
                break
        if days[i] != acct[C_DAY]:
            acct[C_DAY] = days[i]
            acct[C_DAY_START] = acct[C_EXPOSURE_EQ]
            acct[C_DAY_BLOCKED] = 0.0
        for j in range(symbols):
            o = opens[i, j]
            if np.isnan(o):
                continue
            if sym[j, Y_EXIT] > 0.0:
                if sym[j, Y_QTY] != 0.0:
                    side = 1.0 if sym[j, Y_QTY] > 0.0 else -1.0
                    reason = int(sym[j, Y_EXIT] - 1.0)
                    _close(params, sym, acct, fills, j, i, abs(sym[j, Y_QTY]), _market(params, o, -side), reason)
                sym[j, Y_EXIT] = 0.0
            if sym[j, Y_QTY] != 0.0 and sym[j, Y_ENTRY_BAR] < i:
                reached = True
                if static_levels and sym[j, Y_LEVELS_OK] > 0.0:
                    long = sym[j, Y_QTY] > 0.0
                    stop_level = sym[j, Y_STOP_LEVEL]
                    target = sym[j, Y_TARGET_LEVEL]
                    adverse = lows[i, j] if long else highs[i, j]
                    favourable = highs[i, j] if long else lows[i, j]
                    reached = (
                        not np.isnan(stop_level) and (adverse <= stop_level if long else adverse >= stop_level)
                    ) or (not np.isnan(target) and (favourable >= target if long else favourable <= target))
                if reached:
                    _protect(params, aux, tp, sym, acct, fills, j, i, o, highs[i, j], lows[i, j])
            if sym[j, Y_ENTRY_PENDING] > 0.0:
                _work_entries(params, aux, sym, orders, acct, fills, j, i, o, highs[i, j], lows[i, j], False)
            if sym[j, Y_QTY] > 0.0:
                sym[j, Y_EXTREME] = max(sym[j, Y_EXTREME], highs[i, j])
            elif sym[j, Y_QTY] < 0.0:
                sym[j, Y_EXTREME] = min(sym[j, Y_EXTREME], lows[i, j])
            sym[j, Y_LAST_CLOSE] = closes[i, j]
        value = acct[C_CASH]
        open_positions = 0
        for j in range(symbols):
            value += sym[j, Y_QTY] * sym[j, Y_LAST_CLOSE]
            if sym[j, Y_QTY] != 0.0 or sym[j, Y_ENTRY_PENDING] > 0.0:
                open_positions += 1
        equity[i] = value
        acct[C_EXPOSURE_EQ] = value
        acct[C_PEAK] = max(acct[C_PEAK], value)
        flatten = -1
        drawdown_hit = max_drawdown > 0.0 and value <= acct[C_PEAK] * (1.0 - max_drawdown)
        daily_hit = daily_loss > 0.0 and value <= acct[C_DAY_START] * (1.0 - daily_loss)
        if drawdown_hit and acct[C_HALTED] == 0.0:
            acct[C_HALTED] = 1.0
            flatten = R_KILL_SWITCH
        elif daily_hit and acct[C_DAY_BLOCKED] == 0.0:
            acct[C_DAY_BLOCKED] = 1.0
            flatten = R_DAILY_LOSS
        blocked = acct[C_HALTED] > 0.0 or acct[C_DAY_BLOCKED] > 0.0
        for j in range(symbols):
            c = closes[i, j]
            if np.isnan(c):
                continue
            if flatten >= 0:
                _cancel_entries(sym, orders, j)
                _exit(params, sym, acct, fills, j, i, c, flatten)
                continue
            qty = sym[j, Y_QTY]
            if qty != 0.0:
                if time_bars > 0.0 and i - sym[j, Y_ENTRY_BAR] >= time_bars:
                    _exit(params, sym, acct, fills, j, i, c, R_TIME)
                if signals[S_EXIT_LONG if qty > 0.0 else S_EXIT_SHORT, i, j]:
                    _exit(params, sym, acct, fills, j, i, c, R_SIGNAL)
            if blocked or sym[j, Y_ENTRY_PENDING] > 0.0:
                continue
            direction = 0.0
            if allow_long and signals[S_ENTRY_LONG, i, j] and not signals[S_EXIT_LONG, i, j]:
                direction = 1.0
            elif allow_short and signals[S_ENTRY_SHORT, i, j] and not signals[S_EXIT_SHORT, i, j]:
                direction = -1.0
            if direction == 0.0 or direction * sym[j, Y_QTY] > 0.0:
                continue
            if sym[j, Y_QTY] != 0.0:
                _exit(params, sym, acct, fills, j, i, c, R_REVERSE)
            elif max_positions > 0.0 and open_positions >= max_positions:
                continue
            open_positions += 1
            _place_entry(params, aux, sym, orders, acct, fills, weights, j, i, direction, c)
        if fill_close:
            value = acct[C_CASH]
            for j in range(symbols):
                value += sym[j, Y_QTY] * sym[j, Y_LAST_CLOSE]
            equity[i] = value
        i += 1
    acct[C_NEXT_BAR] = stop
