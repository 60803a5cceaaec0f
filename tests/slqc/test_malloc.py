"""slqc._malloc: with the tuned thresholds, freed tensors' pages stay with the process."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from slqc import _malloc

_PROBE = r"""
import resource, sys, torch
from slqc._malloc import tune_malloc
on = tune_malloc()
sizes = [1 << 17, 3 << 17, 7 << 17, 12 << 17, 2 << 17, 9 << 17, 5 << 17]  # 1 to 12 MiB of float64, like the search's
def work():
    for n in sizes:  # allocated, written and freed
        (torch.ones(n, dtype=torch.float64) * 2).sum()
work()
f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(30):
    work()
print(int(on), resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0)
"""


def _faults(env_value: str) -> tuple[bool, int]:
    env = dict(os.environ, **{_malloc.MALLOC_ENV: env_value})
    out = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, check=True)
    on, faults = out.stdout.split()
    return on == "1", int(faults)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_tuned_malloc_keeps_pages_and_can_be_turned_off():
    on, tuned = _faults("1")
    off, plain = _faults("0")
    if not on:
        pytest.skip("not glibc: tune_malloc does nothing here")
    assert not off
    # 30 x 2 x 39 MiB = 2.3 GiB written (about 600 000 pages): glibc's defaults (a threshold that adapts
    # to the sizes freed so far) fault 90 000 - 180 000 of them afresh; tuned, the pages are reused
    assert plain > 40_000
    assert tuned < 10_000


def test_tune_malloc_runs_once_per_process():
    first = _malloc.tune_malloc()
    assert _malloc.tune_malloc() is first
