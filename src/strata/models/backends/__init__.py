"""Model backends: each loads one kind of model artifact and is registered by entry point."""

from strata.models.backends.base import (
    BACKENDS,
    BackendLoader,
    ChatMessage,
    Classifier,
    Encoder,
    Generation,
    Generator,
)

__all__ = [
    "BACKENDS",
    "BackendLoader",
    "ChatMessage",
    "Classifier",
    "Encoder",
    "Generation",
    "Generator",
]
