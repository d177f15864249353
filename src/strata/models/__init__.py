"""Models: layers, the registry of model versions, artifacts with sha256, backends, runtime."""

from strata.models.backends import ChatMessage, Classifier, Encoder, Generation, Generator
from strata.models.builtin import BUILTIN_ENCODER, builtin_encoder_folder, ensure_builtin
from strata.models.errors import (
    EndpointError,
    InvalidModelFolder,
    InvalidModelRef,
    ModelNotFound,
    UnsafeWeights,
    WeightsTampered,
    WrongModelKind,
)
from strata.models.layers import Layer, ModelKind, Source
from strata.models.records import FileDigest, ModelRecord
from strata.models.refs import ModelRef, parse_ref
from strata.models.runtime import ModelRuntime, open_store
from strata.models.store import ModelStore

__all__ = [
    "BUILTIN_ENCODER",
    "ChatMessage",
    "Classifier",
    "Encoder",
    "EndpointError",
    "FileDigest",
    "Generation",
    "Generator",
    "InvalidModelFolder",
    "InvalidModelRef",
    "Layer",
    "ModelKind",
    "ModelNotFound",
    "ModelRecord",
    "ModelRef",
    "ModelRuntime",
    "ModelStore",
    "Source",
    "UnsafeWeights",
    "WeightsTampered",
    "WrongModelKind",
    "builtin_encoder_folder",
    "ensure_builtin",
    "open_store",
    "parse_ref",
]
