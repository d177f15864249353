"""Strata: an open-source industry AI platform, from L0 foundation to L2 scenario models."""

__version__ = "0.1.0"

__all__ = ["__version__"]
