"""Keep freed memory in the process: glibc's malloc settings for many short-lived tensors.

The search evaluates small batches of points thousands of times; each evaluation allocates
intermediate tensors of 0.1-16 MiB and frees them again. With glibc's defaults, blocks above
the mmap threshold (128 KiB at the start, raised dynamically) come from ``mmap`` and go back to
the system when freed, and the top of the heap is trimmed above 128 KiB free, so the next
allocation faults its pages in again. With the mmap threshold at 32 MiB (glibc's largest on
64-bit) and the trim threshold at 128 MiB, the pages stay with the process and are reused:
``SLQC_MALLOC=0|1 python docs/quick_check_time.py --batch 16`` counted about 500 000 minor page
faults in a quick check with glibc's defaults and 100 000-150 000 tuned. The command lines
(``slqc``, ``dante``) and their worker processes call :func:`tune_malloc` at start; a library
user may call it too. ``SLQC_MALLOC=0`` leaves malloc as it is. Elsewhere than glibc (macOS,
musl) it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

#: environment variable: ``0`` leaves malloc's settings alone
MALLOC_ENV = "SLQC_MALLOC"

# mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3

MMAP_THRESHOLD = 32 << 20
TRIM_THRESHOLD = 128 << 20

_applied: bool | None = None


def tune_malloc() -> bool:
    """Raise glibc's mmap and trim thresholds (see the module's docstring); once per process.

    Returns:
        True if the settings are in force, False if not (not glibc, ``SLQC_MALLOC=0``, or
        mallopt refused).
    """
    global _applied
    if _applied is not None:
        return _applied
    _applied = False
    if os.environ.get(MALLOC_ENV, "1") == "0" or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.gnu_get_libc_version  # glibc only (musl has mallopt with other meanings)
        ok = libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
        ok = libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1 and ok
    except (OSError, AttributeError):
        return False
    _applied = ok
    return ok
