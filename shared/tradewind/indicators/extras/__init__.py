"""Widely used indicators that TA-Lib lacks, in numpy, each with a batch and a live form.

TA-Lib 0.8 already ships SuperTrend, Heikin-Ashi, Donchian and Keltner
channels and a cumulative VWAP, so those are used from TA-Lib (see
docs/indicators.md). What it lacks: a session-anchored VWAP, Ichimoku and
pivot points.
"""
