"""Every experiments test starts and ends with the default runner (in this process, no journal)."""

from __future__ import annotations

import pytest

from experiments import protocol


@pytest.fixture(autouse=True)
def _default_runner():
    protocol.reset_runner()
    yield
    protocol.reset_runner()
