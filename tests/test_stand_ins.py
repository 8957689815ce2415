"""The build's stand-in libraries (build_tools/stand_ins.py), on a small library pair built here:
the importer still loads, clean-up is harmless, any other call stops loudly, and what only the
replaced library needed is removed."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from .conftest import ROOT

sys.path.insert(0, str(ROOT / "build_tools"))
import stand_ins  # noqa: E402

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or shutil.which("gcc") is None
    or shutil.which("readelf") is None, reason="stand-ins are built on Linux with gcc")


def _gcc(folder: Path, name: str, source: str, *flags: str) -> Path:
    (folder / f"{name}.c").write_text(textwrap.dedent(source))
    target = folder / name
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(target), str(folder / f"{name}.c"),
                    f"-Wl,-soname,{name}", *flags], check=True, cwd=folder)
    return target


@pytest.fixture
def folder(tmp_path) -> Path:
    """An app folder: `libuser.so` uses `libavcodec-x.so.1` (versioned symbols), which needs a
    helper nothing else needs; `libkeep.so` is needed by both and must stay."""
    wheel = tmp_path / "_internal" / stand_ins.WHEEL_LIBRARIES
    wheel.mkdir(parents=True)
    _gcc(wheel, "libkeep.so", "int keep(void) { return 7; }")
    _gcc(wheel, "libhelper.so", "int helper(void) { return 1; }")
    (tmp_path / "codec.map").write_text("LIBAVCODEC_1 { global: decode; codec_free; local: *; };")
    _gcc(wheel, "libavcodec-x.so.1", """
        int helper(void); int keep(void);
        int decode(void) { return helper() + keep(); }
        void codec_free(void) {}
        int unused_by_anyone(void) { return 3; }
    """, f"-Wl,--version-script={tmp_path / 'codec.map'}", "-L.", "-lhelper", "-lkeep",
        "-Wl,-rpath,$ORIGIN")
    _gcc(tmp_path / "_internal", "libuser.so", """
        int decode(void); void codec_free(void); int keep(void);
        int run_codec(void) { return decode(); }
        int tidy(void) { codec_free(); return keep(); }
    """, f"-L{wheel}", "-l:libavcodec-x.so.1", "-l:libkeep.so", f"-Wl,-rpath,{wheel}",
        "-Wl,-z,now")
    return tmp_path / "_internal"


def _call(folder: Path, function: str) -> subprocess.CompletedProcess[str]:
    code = f"import ctypes; print(ctypes.CDLL({str(folder / 'libuser.so')!r}).{function}())"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


def test_the_importer_loads_cleans_up_and_stops_loudly_if_it_calls_in(folder):
    assert _call(folder, "run_codec").stdout.strip() == "8"  # the real library, before

    changed = stand_ins.replace(folder)

    wheel = folder / stand_ins.WHEEL_LIBRARIES
    assert changed == ["libavcodec-x.so.1", "libhelper.so"]
    assert not (wheel / "libhelper.so").exists() and (wheel / "libkeep.so").exists()
    assert _call(folder, "tidy").stdout.strip() == "7"  # loads, and clean-up does nothing
    stopped = _call(folder, "run_codec")
    assert stopped.returncode != 0
    assert "decode was called, but libavcodec-x.so.1 is left out" in stopped.stderr
    exported = stand_ins._symbols(wheel / "libavcodec-x.so.1", defined=True)
    assert set(exported) == {"decode", "codec_free"}  # only what the folder imports
    assert exported["decode"][0] == "LIBAVCODEC_1"


def test_a_missing_symbol_fails_the_build(folder, monkeypatch):
    real = stand_ins._symbols

    def without_decode(path, defined):
        symbols = real(path, defined)
        return {k: v for k, v in symbols.items() if not (defined and k == "decode")}

    monkeypatch.setattr(stand_ins, "_symbols", without_decode)
    with pytest.raises(RuntimeError, match="libuser.so does not load"):
        stand_ins.replace(folder)
