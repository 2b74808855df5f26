"""Backtests: run a strategy over history and report on its trades."""
