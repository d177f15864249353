"""Lexical features of an L2 classifier head: TF-IDF over word unigrams and bigrams.

A sentence encoder blurs the exact words that often decide an intent ("top up" against "top
up failed", "PIN" against "passcode"); a linear head over TF-IDF terms beside the embedding
keeps them. The vocabulary and inverse document frequencies are fitted on the training texts
and stored as JSON (no pickle): `lexical.json` holds the settings, the terms in column order
and their idf, so a loaded model rebuilds scikit-learn's vectoriser exactly.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from strata.models.errors import InvalidModelFolder

LEXICAL_FILE = "lexical.json"
FORMAT = "strata-lexical"
FORMAT_VERSION = 1


def _vectorizer(vocabulary: list[str] | None, max_features: int | None) -> TfidfVectorizer:
    """The one vectoriser configuration Strata uses: lower-cased word 1-2 grams, sublinear tf."""
    return TfidfVectorizer(
        ngram_range=(1, 2),
        sublinear_tf=True,
        lowercase=True,
        vocabulary=vocabulary,
        max_features=max_features,
        dtype=np.float32,
    )


class LexicalFeatures:
    """Unit-length TF-IDF rows over a fixed vocabulary."""

    def __init__(self, terms: list[str], idf: Sequence[float]) -> None:
        if len(terms) != len(idf) or not terms:
            raise ValueError(f"{len(terms)} terms and {len(idf)} idf values: they must match")
        self.terms = terms
        self._vectorizer = _vectorizer(terms, None)
        self._vectorizer.idf_ = np.asarray(idf, dtype=np.float64)

    @classmethod
    def fit(cls, texts: Sequence[str], max_features: int = 50_000) -> LexicalFeatures:
        """Learn the vocabulary (the `max_features` most frequent terms) and idf of `texts`."""
        vectorizer = _vectorizer(None, max_features).fit(list(texts))
        terms = [str(term) for term in vectorizer.get_feature_names_out()]
        return cls(terms, vectorizer.idf_.tolist())

    @classmethod
    def fit_or_none(cls, texts: Sequence[str]) -> LexicalFeatures | None:
        """`fit`, or None when the texts hold no word of two or more characters."""
        try:
            return cls.fit(texts)
        except ValueError:  # scikit-learn: "empty vocabulary"
            return None

    @property
    def size(self) -> int:
        """Number of terms (columns)."""
        return len(self.terms)

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """(n_texts, size) float32 CSR matrix; each non-empty row has unit length."""
        matrix: sparse.csr_matrix = self._vectorizer.transform(list(texts)).tocsr()
        return matrix.astype(np.float32)

    def save(self, folder: Path) -> None:
        """Write `lexical.json` into `folder`."""
        payload = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "ngram_range": [1, 2],
            "sublinear_tf": True,
            "terms": self.terms,
            "idf": [float(value) for value in self._vectorizer.idf_],
        }
        (folder / LEXICAL_FILE).write_text(json.dumps(payload) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> LexicalFeatures:
        """Read `lexical.json` from `folder`."""
        path = folder / LEXICAL_FILE
        if not path.is_file():
            raise InvalidModelFolder(
                f"{folder} declares lexical features but has no {LEXICAL_FILE}.",
                hint="Copy the whole model folder, or retrain the model.",
            )
        payload: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        if payload.get("format") != FORMAT or payload.get("format_version") != FORMAT_VERSION:
            raise InvalidModelFolder(
                f"{path} has format {payload.get('format')!r} version "
                f"{payload.get('format_version')!r}; this Strata reads {FORMAT} {FORMAT_VERSION}.",
                hint="Upgrade Strata, or retrain the model with this version.",
            )
        return cls([str(term) for term in payload["terms"]], payload["idf"])


def lexical_logits(
    features: LexicalFeatures, weight: np.ndarray[Any, Any], texts: Sequence[str]
) -> np.ndarray[Any, Any]:
    """(n_texts, n_labels) contribution of the lexical head: tfidf(texts) @ weight.T."""
    product = features.transform(texts) @ weight.T
    return np.asarray(product, dtype=np.float32)
