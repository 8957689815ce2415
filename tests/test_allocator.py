"""The window's allocator setting (allocator.py): tile-sized arrays freed while small objects
outlive them go back to the system, which glibc's default keeps."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .conftest import ROOT

PROBE = """
import sys
import numpy as np
from ai_image_classifier.allocator import return_freed_memory
if sys.argv[1] == "set":
    assert return_freed_memory()
def rss_mib():
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) for l in status if l.startswith("VmRSS")) // 1024
warm = np.ones(8 << 20, np.uint8)  # a large block freed: glibc raises its threshold to it
del warm
tiles, kept = [], []
for _ in range(40):
    tiles.append(np.ones(6 << 20, np.uint8))  # 240 MiB of tile-sized work arrays
    kept.append(np.ones(1000, np.uint8))  # small objects that outlive them
held = rss_mib()
tiles.clear()
print(held - rss_mib())
"""


def _returned_mib(mode: str) -> int:
    result = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True,
                            cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return int(result.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_tile_sized_arrays_are_given_back_once_freed():
    if _returned_mib("default") > 120:
        pytest.skip("this C library gives such blocks back by itself")
    assert _returned_mib("set") >= 200
