"""The order execution policy and the compiled bar loop shared by backtest, paper and live."""
