"""Errors of training jobs: bad specs and data a model cannot be trained on."""

from __future__ import annotations

from strata.core.errors import InvalidInput


class InvalidJobSpec(InvalidInput):
    """A training job spec that fails validation (unknown base, bad option, bad gate)."""

    code = "invalid_job_spec"


class InvalidTrainingData(InvalidInput):
    """Training data that cannot train the model asked for (missing column, too few examples)."""

    code = "invalid_training_data"
