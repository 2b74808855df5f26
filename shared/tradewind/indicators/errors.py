"""Errors in an indicator request that its author can fix."""


class IndicatorError(ValueError):
    """Unknown indicator, unknown or out-of-range parameter, or missing input series."""
