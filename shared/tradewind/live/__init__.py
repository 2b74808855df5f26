"""The live path: market events from the stream, as they arrive."""
