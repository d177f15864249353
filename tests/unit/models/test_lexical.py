"""Lexical (TF-IDF) features of classifier heads: fit, transform, JSON round trip, errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from strata.models.errors import InvalidModelFolder
from strata.models.lexical import LEXICAL_FILE, LexicalFeatures, lexical_logits

TEXTS = ["top up failed", "my top up is pending", "card not arrived", "Card arrived broken"]


def test_round_trip_gives_the_same_rows(tmp_path: Path) -> None:
    fitted = LexicalFeatures.fit(TEXTS)
    fitted.save(tmp_path)
    loaded = LexicalFeatures.load(tmp_path)
    probe = ["top up card", "nothing known here", ""]
    assert loaded.terms == fitted.terms
    assert np.array_equal(loaded.transform(probe).toarray(), fitted.transform(probe).toarray())
    assert "top up" in fitted.terms and "card" in fitted.terms  # bigrams, lower-cased


def test_rows_are_unit_length_or_empty() -> None:
    rows = LexicalFeatures.fit(TEXTS).transform(["top up card", "zzz qqq"]).toarray()
    assert np.linalg.norm(rows[0]) == pytest.approx(1.0, abs=1e-6)
    assert not rows[1].any()  # unknown words give no features


def test_logits_are_the_weighted_terms() -> None:
    features = LexicalFeatures.fit(TEXTS)
    weight = np.zeros((2, features.size), dtype=np.float32)
    weight[1, features.terms.index("pending")] = 3.0
    logits = lexical_logits(features, weight, ["pending", "card"])
    assert logits.shape == (2, 2)
    assert logits[0, 1] > 0 and logits[1].tolist() == [0.0, 0.0]


def test_texts_without_words_give_no_features() -> None:
    assert LexicalFeatures.fit_or_none(["a", "?", "!"]) is None


def test_missing_or_foreign_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidModelFolder, match=LEXICAL_FILE):
        LexicalFeatures.load(tmp_path)
    (tmp_path / LEXICAL_FILE).write_text(json.dumps({"format": "other", "terms": ["a"]}))
    with pytest.raises(InvalidModelFolder, match="Upgrade Strata"):
        LexicalFeatures.load(tmp_path)
