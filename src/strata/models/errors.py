"""Errors of the model registry and model backends."""

from __future__ import annotations

from strata.core.errors import InvalidInput, NotFound, StrataError, UpstreamError


class ModelNotFound(NotFound):
    """No model answers to a reference."""

    code = "model_not_found"


class InvalidModelRef(InvalidInput):
    """A model reference that does not parse."""

    code = "invalid_model_ref"


class InvalidModelFolder(InvalidInput):
    """A folder that is not a usable Hugging Face model folder."""

    code = "invalid_model_folder"


class UnsafeWeights(InvalidInput):
    """Pickle weights (`.bin`, `.pt` ...) that could run code when loaded."""

    code = "unsafe_weights"


class WeightsTampered(StrataError):
    """A weight file whose sha256 no longer matches the one recorded at registration."""

    code = "weights_tampered"
    status = 409


class WrongModelKind(InvalidInput):
    """A model used for something its kind cannot do (embedding with a generator ...)."""

    code = "wrong_model_kind"


class EndpointError(UpstreamError):
    """An OpenAI-compatible endpoint failed, refused, or could not be reached."""

    code = "endpoint_error"


class GateFailed(StrataError):
    """A model does not meet the thresholds declared for it, so it cannot take an alias."""

    code = "gate_failed"
    status = 409
