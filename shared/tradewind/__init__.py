"""Tradewind domain core: importable from a notebook, free of boto3 and Lambda."""

__version__ = "0.1.0"
