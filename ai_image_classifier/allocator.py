"""glibc's allocator, told to give large freed blocks back to the system (Linux only).

By default glibc raises its mmap threshold to the largest block freed so far (up to 32 MiB), so
after the first few tiles an enhancement's tile-sized arrays come from the heap, and the pages
freed between tiles stay with the process while the result grows. A fixed threshold turns that
adjustment off: every block of 2 MiB or more is its own mapping, returned when freed. Fewer
arenas (glibc makes one per thread that allocates, up to 8 per core) keep what worker threads
free in fewer places. Numbers are in docs/enhancement.md. Other C libraries are left alone.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

#: mallopt's parameters (malloc.h).
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8


def return_freed_memory(mmap_threshold: int | None = 2 << 20, arenas: int | None = None
                        ) -> bool:
    """Fix glibc's mmap threshold and its number of arenas (each unless None) for this
    process's later allocations; False where the C library is not glibc."""
    if not sys.platform.startswith("linux"):
        return False
    name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(name) if name else None
    if libc is None or not hasattr(libc, "mallopt"):
        return False
    done = True
    if mmap_threshold is not None:
        done = libc.mallopt(M_MMAP_THRESHOLD, mmap_threshold) == 1
    if arenas is not None:
        done = libc.mallopt(M_ARENA_MAX, arenas) == 1 and done
    return done
