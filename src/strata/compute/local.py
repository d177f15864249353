"""The local engine: jobs run in this process, on a GPU when one is present."""

from __future__ import annotations

import logging
import os
from typing import TypeVar

from strata.compute.base import Job

T = TypeVar("T")
log = logging.getLogger(__name__)


def cuda_available() -> bool:
    """Whether torch sees a CUDA device (False when torch is missing)."""
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


class LocalEngine:
    """In-process execution; resources are checked against this machine, not reserved."""

    name = "local"

    def device(self) -> str:
        """`cuda` when a GPU is present, else `cpu`."""
        return "cuda" if cuda_available() else "cpu"

    def run(self, job: Job[T]) -> T:
        """Run the job now, in this process."""
        cpus = os.cpu_count() or 1
        if job.resources.cpus > cpus:
            log.warning(
                "job %s asks for %s CPUs; this machine has %s", job.name, job.resources.cpus, cpus
            )
        if job.resources.gpus and not cuda_available():
            log.warning("job %s asks for a GPU; none is present, running on the CPU", job.name)
        return job.fn(*job.args, **job.kwargs)


def create() -> LocalEngine:
    """Entry point of `strata.compute.backends: local`."""
    return LocalEngine()
