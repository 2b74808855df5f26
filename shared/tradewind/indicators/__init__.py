"""Indicators: the TA-Lib catalog, Tradewind's numpy indicators and the live indicator engine."""
