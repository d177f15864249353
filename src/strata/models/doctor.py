"""Doctor checks of the model layer: torch is the CPU build that imports, the default L0 runs."""

from __future__ import annotations

from strata.core.catalog import Catalog
from strata.core.doctor import CheckResult, Level
from strata.core.errors import StrataError
from strata.core.settings import Settings
from strata.models.runtime import ModelRuntime, open_store


def check_torch(settings: Settings) -> CheckResult:
    """torch imports, and transformers with it (a stray torchvision breaks both)."""
    try:
        import torch
        import transformers
    except Exception as exc:  # any import failure is the finding itself
        return CheckResult(
            "torch",
            Level.FAIL,
            f"torch/transformers do not import: {exc}",
            "Reinstall: pip install torch==2.13.0, and uninstall torchvision if present.",
        )
    return CheckResult(
        "torch", Level.OK, f"torch {torch.__version__}, transformers {transformers.__version__}"
    )


def check_default_encoder(settings: Settings) -> CheckResult:
    """The default encoder is registered, its sha256 matches and it embeds a sentence."""
    ref = settings.models.default_encoder
    try:
        runtime = ModelRuntime(open_store(Catalog(settings.catalog_url)), settings.models)
        record, encoder = runtime.encoder(ref)
        vector = encoder.embed(["strata doctor"])
    except StrataError as exc:
        return CheckResult("default-encoder", Level.FAIL, exc.message, exc.hint or "")
    return CheckResult(
        "default-encoder", Level.OK, f"{record.ref} embeds to {vector.shape[1]} dimensions"
    )
