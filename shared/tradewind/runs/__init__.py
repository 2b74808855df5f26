"""Runs of a strategy: backtests now, paper and live trading later."""
