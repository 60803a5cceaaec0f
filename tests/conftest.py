"""Shared pytest configuration: hypothesis profiles and common fixtures.

Profiles (select with ``HYPOTHESIS_PROFILE=name``):

* ``default``: deterministic (``derandomize=True``), no deadline, few examples.
* ``thorough``: random, more examples, for local hunting.
"""

from __future__ import annotations

import os

import matplotlib
import pytest
from hypothesis import HealthCheck, settings

matplotlib.use("agg")

settings.register_profile(
    "default",
    derandomize=True,
    deadline=None,
    print_blob=True,
    max_examples=10,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "thorough",
    deadline=None,
    print_blob=True,
    max_examples=200,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def _cuda_available() -> bool:
    try:
        import torch

        return torch.cuda.is_available()
    except Exception:  # pragma: no cover - torch import problems surface elsewhere
        return False


#: Every device is collected; the cuda cases carry the ``gpu`` marker from collection on (so
#: ``pytest -m gpu`` selects them and the default ``-m 'not slow and not gpu'`` deselects them)
#: and skip cleanly where CUDA is missing.
CUDA = pytest.param("cuda", marks=[pytest.mark.gpu,
                                   pytest.mark.skipif(not _cuda_available(), reason="needs a CUDA device")])
DEVICES = ["cpu", CUDA]


@pytest.fixture(params=DEVICES)
def device(request):
    """Every device; ids contain ``cuda`` for the GPU tier (marked ``gpu`` at collection time)."""
    return request.param


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Mark every test parametrized with a cuda device ``gpu`` at collection time (issue 12).

    Marks added after collection (the old ``request.applymarker`` in the fixture) come too
    late for ``-m``: the default run then included the cuda cases and ``-m gpu`` selected
    none. Marking here, before ``-m`` deselects, keeps the gpu tier and the default run apart,
    also for tests that parametrize a device themselves.
    """
    for item in items:
        spec = getattr(item, "callspec", None)
        if spec is not None and any(str(v) == "cuda" or getattr(v, "type", None) == "cuda"
                                    for v in spec.params.values()):
            item.add_marker(pytest.mark.gpu)
            if not _cuda_available():
                item.add_marker(pytest.mark.skip(reason="needs a CUDA device"))
