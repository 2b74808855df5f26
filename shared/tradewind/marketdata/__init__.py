"""Market data: instruments, ticks, quotes, bars, timeframes, import, resampling and the data lake."""
