"""The built-in L0 encoder gives the same vectors as sentence-transformers itself."""

import numpy as np
from sentence_transformers import SentenceTransformer

from strata.core.catalog import Catalog
from strata.core.settings import Settings
from strata.models.builtin import BUILTIN_ENCODER, builtin_encoder_folder
from strata.models.layers import Source
from strata.models.runtime import ModelRuntime, open_store


def test_builtin_is_registered_on_first_use_and_matches_reference(
    catalog: Catalog, settings: Settings
) -> None:
    store = open_store(catalog)
    record = store.resolve(BUILTIN_ENCODER)
    assert record.ref == "l0/minilm-l6@1" and record.source == Source.BUILTIN
    assert "model.safetensors" in {f.path for f in record.files}
    open_store(catalog)
    assert len(store.list()) == 1

    _, encoder = ModelRuntime(store, settings.models).encoder(BUILTIN_ENCODER)
    text = "my card has not arrived"
    ours = encoder.embed([text])[0]
    reference = SentenceTransformer(str(builtin_encoder_folder()), device="cpu").encode([text])[0]
    reference = reference / np.linalg.norm(reference)
    assert ours.shape == (384,)
    assert abs(float(np.linalg.norm(ours)) - 1.0) < 1e-5
    assert float(ours @ reference) >= 0.9999
