"""What each kind of loaded model offers, and the registry of backends that load them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from strata.core.registry import Registry
from strata.core.settings import ModelSettings
from strata.models.records import ModelRecord


@dataclass(frozen=True)
class ChatMessage:
    """One message of a chat, as OpenAI's API shapes it."""

    role: str
    content: str


@dataclass(frozen=True)
class Generation:
    """A generated answer with its token counts."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str = "stop"


@runtime_checkable
class Encoder(Protocol):
    """Texts to unit-length vectors."""

    dimension: int

    def embed(self, texts: Sequence[str], *, batch_size: int = 32) -> NDArray[np.float32]: ...


@runtime_checkable
class Generator(Protocol):
    """Chat messages to text."""

    def generate(
        self, messages: Sequence[ChatMessage], *, max_new_tokens: int, temperature: float = 0.0
    ) -> Generation: ...


@runtime_checkable
class Classifier(Protocol):
    """Texts to labels with scores, best first."""

    labels: list[str]

    def classify(self, texts: Sequence[str]) -> list[list[tuple[str, float]]]: ...


@runtime_checkable
class AnomalyDetector(Protocol):
    """Rows of telemetry to anomaly scores and flags (one per row, in order).

    `rows` holds the model's feature columns and, when the model was trained per machine, its
    group column; the threshold was calibrated on normal data at training time.
    """

    features: list[str]

    def score(self, rows: pd.DataFrame) -> NDArray[np.float64]: ...

    def detect(self, rows: pd.DataFrame) -> NDArray[np.bool_]: ...


BackendLoader = Callable[[ModelRecord, ModelSettings], Any]
BACKENDS: Registry[BackendLoader] = Registry("strata.models.backends")
