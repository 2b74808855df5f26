"""Parameter search, walk-forward analysis and the overfitting guard."""
