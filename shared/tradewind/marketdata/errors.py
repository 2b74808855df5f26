"""Errors a user of the market-data tools can act on (the CLI prints them as one line)."""


class MarketDataError(ValueError):
    """Bad input or a request the store cannot satisfy; nothing stored was changed."""
