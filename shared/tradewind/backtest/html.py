# The embedded JavaScript keeps its natural line lengths.
# ruff: noqa: E501
"""The single-file HTML trade report: opens offline, no CDN, charts drawn by a few lines of inline JS.

Charts: price (close) with the strategy's price-scale indicators and trade
markers, the other indicators, equity, drawdown. Hovering shows the values of
every chart at that bar; the mouse wheel zooms, dragging pans. Long runs are
thinned to a few thousand points per chart (every marker is kept), so the
page stays light for a million-bar backtest.
"""

from __future__ import annotations

import html
import json
from typing import Any

import numpy as np
import numpy.typing as npt

from tradewind.backtest.report import BacktestReport
from tradewind.indicators import catalog
from tradewind.strategy.signals import indicator_params

MAX_POINTS = 4000
_SAME_SCALE = "Output scale same as input"

_SCRIPT = """
const D = JSON.parse(document.getElementById('data').textContent);
const charts = [];
let view = [0, D.t.length - 1];
const colors = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
function chart(id, series, opts) {
  const c = document.getElementById(id), ctx = c.getContext('2d');
  const o = Object.assign({markers: [], fill: false}, opts);
  const draw = (hover) => {
    const w = c.width = c.clientWidth * devicePixelRatio, h = c.height = c.clientHeight * devicePixelRatio;
    ctx.clearRect(0, 0, w, h);
    const [a, b] = view;
    let lo = Infinity, hi = -Infinity;
    for (const s of series) for (let i = a; i <= b; i++) { const v = s.v[i]; if (v !== null) { lo = Math.min(lo, v); hi = Math.max(hi, v); } }
    if (!isFinite(lo)) return;
    if (hi === lo) { hi += 1; lo -= 1; }
    const pad = 40 * devicePixelRatio;
    const x = i => pad + (i - a) / Math.max(b - a, 1) * (w - 2 * pad);
    const y = v => h - pad / 2 - (v - lo) / (hi - lo) * (h - pad);
    ctx.font = (11 * devicePixelRatio) + 'px sans-serif'; ctx.fillStyle = '#666';
    ctx.fillText(hi.toPrecision(6), 2, pad / 2); ctx.fillText(lo.toPrecision(6), 2, h - 4);
    series.forEach((s, k) => {
      ctx.beginPath(); ctx.strokeStyle = s.color || colors[k % colors.length]; ctx.lineWidth = devicePixelRatio;
      let on = false;
      for (let i = a; i <= b; i++) { const v = s.v[i]; if (v === null) { on = false; continue; } on ? ctx.lineTo(x(i), y(v)) : ctx.moveTo(x(i), y(v)); on = true; }
      ctx.stroke();
      if (o.fill) { ctx.lineTo(x(b), y(lo)); ctx.lineTo(x(a), y(lo)); ctx.fillStyle = 'rgba(214,39,40,0.15)'; ctx.fill(); }
    });
    for (const m of o.markers) {
      if (m.i < a || m.i > b) continue;
      ctx.fillStyle = m.entry ? '#2ca02c' : '#d62728';
      const px = x(m.i), py = y(m.p), r = 5 * devicePixelRatio;
      ctx.beginPath();
      if (m.entry) { ctx.moveTo(px, py + r); ctx.lineTo(px - r, py + 2 * r); ctx.lineTo(px + r, py + 2 * r); }
      else { ctx.moveTo(px, py - r); ctx.lineTo(px - r, py - 2 * r); ctx.lineTo(px + r, py - 2 * r); }
      ctx.fill();
    }
    if (hover !== null && hover >= a && hover <= b) {
      ctx.strokeStyle = '#999'; ctx.beginPath(); ctx.moveTo(x(hover), 0); ctx.lineTo(x(hover), h); ctx.stroke();
      const text = D.t[hover] + '  ' + series.map(s => s.name + ' ' + (s.v[hover] === null ? '-' : s.v[hover].toPrecision(7))).join('  ');
      ctx.fillStyle = '#000'; ctx.fillText(text, pad, 12 * devicePixelRatio);
    }
  };
  const index = ev => { const r = c.getBoundingClientRect(), pad = 40;
    return Math.round(view[0] + (ev.clientX - r.left - pad) / Math.max(r.width - 2 * pad, 1) * (view[1] - view[0])); };
  c.addEventListener('mousemove', ev => { const i = index(ev); charts.forEach(f => f(i)); if (drag) pan(ev); });
  c.addEventListener('mouseleave', () => charts.forEach(f => f(null)));
  c.addEventListener('wheel', ev => { ev.preventDefault(); const i = index(ev), n = D.t.length - 1;
    const s = ev.deltaY > 0 ? 1.25 : 0.8, a = Math.max(0, Math.round(i - (i - view[0]) * s)), b = Math.min(n, Math.round(i + (view[1] - i) * s));
    if (b - a >= 10) view = [a, b]; charts.forEach(f => f(i)); }, {passive: false});
  let drag = null;
  c.addEventListener('mousedown', ev => { drag = {x: ev.clientX, v: view.slice()}; });
  window.addEventListener('mouseup', () => { drag = null; });
  const pan = ev => { const r = c.getBoundingClientRect(), span = drag.v[1] - drag.v[0];
    let d = Math.round((drag.x - ev.clientX) / r.width * span); d = Math.max(-drag.v[0], Math.min(D.t.length - 1 - drag.v[1], d));
    view = [drag.v[0] + d, drag.v[1] + d]; };
  charts.push(draw); draw(null);
}
chart('price', D.price, {markers: D.markers});
if (D.lower.length) chart('lower', D.lower); else document.getElementById('lower').remove();
chart('equity', [{name: 'equity', v: D.equity, color: '#1f77b4'}]);
chart('drawdown', [{name: 'drawdown %', v: D.drawdown, color: '#d62728'}], {fill: true});
window.addEventListener('resize', () => charts.forEach(f => f(null)));
"""

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
canvas { width: 100%; display: block; margin-bottom: 1em; border: 1px solid #eee; }
#price { height: 340px; } #lower { height: 160px; } #equity { height: 220px; } #drawdown { height: 140px; }
table { border-collapse: collapse; font-size: 13px; margin-bottom: 1.5em; }
td, th { border: 1px solid #ddd; padding: 3px 8px; text-align: right; }
th { background: #f5f5f5; } td:first-child, th:first-child { text-align: left; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 0 2em; }
"""


def _thin(values: npt.NDArray[Any], keep: npt.NDArray[Any]) -> list[float | None]:
    out = values[keep]
    return [None if not np.isfinite(v) else float(v) for v in out]


def _payload(report: BacktestReport) -> dict[str, Any]:
    run = report.run
    bars = run.prepared.bars[0]
    n = run.equity.size
    stride = max(1, -(-n // MAX_POINTS))
    keep: npt.NDArray[Any] = np.arange(0, n, stride)
    if keep[-1] != n - 1:
        keep = np.append(keep, n - 1)
    close = run.prepared.market.closes[:, 0]
    price = [{"name": "close", "v": _thin(close, keep), "color": "#222"}]
    lower: list[dict[str, Any]] = []
    for name, indicator in report.strategy.indicators.items():
        spec = catalog.get(indicator.function)
        if spec.is_candlestick:
            continue
        outputs = catalog.compute(indicator.function, bars, indicator_params(indicator), indicator.inputs)
        for output, values in outputs.items():
            series = np.full(n, np.nan)
            series[run.prepared.rows[0]] = values
            label = name if len(outputs) == 1 else f"{name}.{output}"
            (price if _SAME_SCALE in spec.flags else lower).append({"name": label, "v": _thin(series, keep)})
    position = np.searchsorted(keep, np.arange(n))
    table = report.table
    markers = []
    for k in np.flatnonzero(table.symbol == 0):
        markers.append({"i": int(position[table.entry_bar[k]]), "p": float(table.entry_price[k]), "entry": True})
        markers.append({"i": int(position[table.exit_bar[k]]), "p": float(table.exit_price[k]), "entry": False})
    return {
        "t": [str(t) for t in report.times[keep].strftime("%Y-%m-%d %H:%M")],
        "price": price,
        "lower": lower,
        "markers": markers,
        "equity": _thin(run.equity, keep),
        "drawdown": _thin(-report.drawdown_pct, keep),
    }


def _table(rows: dict[str, Any]) -> str:
    cells = "".join(
        f"<tr><td>{html.escape(k)}</td><td>{html.escape(_fmt(v))}</td></tr>"
        for k, v in rows.items()
        if k != "trade_list"
    )
    return f"<table>{cells}</table>"


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.4f}"
    return "-" if value is None else str(value)


def render_html(report: BacktestReport) -> str:
    data = json.dumps(_payload(report), allow_nan=False).replace("</", "<\\/")
    summary = report.to_dict()
    metrics = {k: v for k, v in summary.items() if k not in ("monte_carlo", "trade_list")}
    mc = report.monte_carlo
    mc_html = ""
    if mc is not None:
        mc_rows = "".join(
            f"<tr><td>{p}</td><td>{mc.return_pct[p]:,.2f}</td><td>{mc.max_drawdown_pct[p]:,.2f}</td></tr>"
            for p in mc.return_pct
        )
        mc_html = (
            f"<h2>Monte Carlo ({mc.samples} trade-order resamples)</h2><table><tr><th>percentile</th>"
            f"<th>return %</th><th>max drawdown %</th></tr>{mc_rows}</table>"
            f"<p>Probability of a loss: {mc.probability_of_loss_pct:.1f}%</p>"
        )
    head = "".join(
        f"<th>{html.escape(f)}</th>"
        for f in ("entry", "exit", "side", "size", "entry price", "exit price", "P&L", "return %", "fees", "reason")
    )
    rows = "".join(
        f"<tr><td>{t.entry_time:%Y-%m-%d %H:%M}</td><td>{t.exit_time:%Y-%m-%d %H:%M}</td><td>{t.side}</td>"
        f"<td>{t.size:g}</td><td>{t.entry_price:.4f}</td><td>{t.exit_price:.4f}</td><td>{t.pnl:,.2f}</td>"
        f"<td>{t.return_pct:.2f}</td><td>{t.fees:,.2f}</td><td>{t.exit_reason}</td></tr>"
        for t in report.trades
    )
    title = html.escape(f"{report.strategy.name} on {', '.join(report.run.prepared.symbols)}")
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title><style>{_STYLE}</style></head>"
        f"<body><h1>{title}</h1><canvas id='price'></canvas><canvas id='lower'></canvas>"
        f"<canvas id='equity'></canvas><canvas id='drawdown'></canvas>"
        f"<h2>Metrics</h2><div class='grid'>{_table(metrics)}</div>{mc_html}"
        f"<h2>Trades ({len(report.trades)})</h2><table><tr>{head}</tr>{rows}</table>"
        f"<script type='application/json' id='data'>{data}</script><script>{_SCRIPT}</script></body></html>"
    )
