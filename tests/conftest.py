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


DEVICES = ["cpu"] + (["cuda"] if _cuda_available() else [])


@pytest.fixture(params=DEVICES)
def device(request):
    """Every available device; ids contain ``cuda`` so ``-k 'not cuda'`` is the CPU run."""
    if request.param == "cuda":
        request.applymarker(pytest.mark.gpu)
    return request.param
