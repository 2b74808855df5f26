"""Declarative strategies: the document, its validation and the one signal path."""
