"""The three model layers and the kinds of model each can hold."""

from __future__ import annotations

from enum import StrEnum


class Layer(StrEnum):
    """L0 general foundation, L1 industry, L2 scenario (task) models."""

    L0_FOUNDATION = "l0"
    L1_INDUSTRY = "l1"
    L2_TASK = "l2"


class ModelKind(StrEnum):
    """What a model does."""

    ENCODER = "encoder"
    GENERATOR = "generator"
    CLASSIFIER = "classifier"
    ANOMALY = "anomaly"


class Source(StrEnum):
    """Where a model's artifacts live."""

    BUILTIN = "builtin"
    FOLDER = "folder"
    ENDPOINT = "endpoint"
    TRAINED = "trained"
