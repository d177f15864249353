import pytest

from strata.compute.base import Job, Resources, engine
from strata.core.errors import InvalidInput, PluginNotFound


def test_local_engine_runs_jobs_in_process() -> None:
    local = engine("local")
    assert local.device() in {"cpu", "cuda"}
    assert local.run(Job("add", lambda a, b: a + b, (2, 3), resources=Resources(cpus=1))) == 5


def test_bad_resources_and_unknown_engine() -> None:
    with pytest.raises(InvalidInput, match="cpus > 0"):
        Resources(cpus=0)
    with pytest.raises(PluginNotFound, match="known: local"):
        engine("slurm")
