"""Keep transformers' own progress bars off the terminal; Strata shows its own."""

from __future__ import annotations

from transformers.utils import logging as hf_logging


def quiet_transformers() -> None:
    """Turn off transformers' weight-loading progress bars (idempotent)."""
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
