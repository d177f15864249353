"""Strata: an open-source industry AI platform (L0 foundation -> L1 industry -> L2 scenario models)."""

__version__ = "0.1.0"

__all__ = ["__version__"]
