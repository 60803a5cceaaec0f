"""Which device's branches a computation takes.

Three choices in slqc depend on the device type: the search's retractions compact their points on
the CPU only (``slqc.search.COMPACT_DEVICES``), the engine's and the stacks' blocks are cache-sized
on the CPU and large on CUDA (``slqc.models.block_elems``, ``slqc.stack._stack_block_elems``), and the
losses' fast forms run on the CPU only (``slqc.losses._fast``). Each asks :func:`branch` for the
device type, so that :func:`slqc.testing.cuda_branches` can run the CPU through CUDA's branches by
setting one value here.
"""

from __future__ import annotations

from typing import Any

import torch

#: the device type whose branches every computation takes (None: its own; see slqc.testing.cuda_branches)
forced: str | None = None


def branch(device: Any) -> str:
    """The device type whose branches a computation on ``device`` takes: its own unless one is forced."""
    if forced is not None:
        return forced
    return device.type if isinstance(device, torch.device) else torch.device(device).type
