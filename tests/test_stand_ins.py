"""The build's stand-in libraries (build_tools/stand_ins.py), on small libraries built here:
the importer still loads, any call into a stand-in stops loudly, and what only the replaced
libraries needed is removed; and the app's code calls nothing that the frozen build replaces."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from .conftest import ROOT

_spec = importlib.util.spec_from_file_location("stand_ins", ROOT / "build_tools" / "stand_ins.py")
stand_ins = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(stand_ins)

needs_gcc = pytest.mark.skipif(
    not sys.platform.startswith("linux") or shutil.which("gcc") is None
    or shutil.which("readelf") is None, reason="stand-ins are built on Linux with gcc")
#: The test's own libraries to replace: one with versioned symbols, one without (as OpenBLAS).
REPLACED = {"libavcodec-": "video", "libopenblasp-": "linear algebra"}


def _gcc(folder: Path, name: str, source: str, *flags: str) -> Path:
    (folder / f"{name}.c").write_text(textwrap.dedent(source))
    target = folder / name
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(target), str(folder / f"{name}.c"),
                    f"-Wl,-soname,{name}", *flags], check=True, cwd=folder)
    return target


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """An app folder: `libuser.so` uses `libavcodec-x.so.1` (versioned symbols, and it needs
    a helper nothing else needs) and `libopenblasp-x.so` (unversioned, with a large table);
    `libkeep.so` is needed by the codec and the user, and must stay."""
    internal = tmp_path / "_internal"
    wheel = internal / stand_ins.WHEEL_LIBRARIES
    wheel.mkdir(parents=True)
    _gcc(wheel, "libkeep.so", "int keep(void) { return 7; }")
    _gcc(wheel, "libhelper.so", "int helper(void) { return 1; }")
    (tmp_path / "codec.map").write_text("LIBAVCODEC_1 { global: decode; codec_free; local: *; };")
    _gcc(wheel, "libavcodec-x.so.1", """
        int helper(void); int keep(void);
        int decode(void) { return helper() + keep(); }
        void codec_free(void) {}
    """, f"-Wl,--version-script={tmp_path / 'codec.map'}", "-L.", "-lhelper", "-lkeep",
        "-Wl,-rpath,$ORIGIN")
    _gcc(wheel, "libopenblasp-x.so", """
        int table[100000] = {3};
        int sgemm_(void) { return table[0]; }
        int unused_by_anyone(void) { return 4; }
    """)
    (internal / "libhelper.so").symlink_to(wheel / "libhelper.so")  # as PyInstaller links
    _gcc(internal, "libuser.so", """
        int decode(void); int keep(void); int sgemm_(void); extern int table[];
        int run_codec(void) { return decode(); }
        int multiply(void) { return sgemm_(); }
        int tidy(void) { return keep() + (table[0] == 0); }
    """, f"-L{wheel}", "-l:libavcodec-x.so.1", "-l:libopenblasp-x.so", "-l:libkeep.so",
        f"-Wl,-rpath,{wheel}", "-Wl,-z,now")
    return internal


def _call(folder: Path, function: str) -> subprocess.CompletedProcess[str]:
    code = f"import ctypes; print(ctypes.CDLL({str(folder / 'libuser.so')!r}).{function}())"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


@needs_gcc
def test_the_importer_loads_and_stops_loudly_if_it_calls_in(folder: Path) -> None:
    assert _call(folder, "run_codec").stdout.strip() == "8"  # the real libraries, before
    assert _call(folder, "multiply").stdout.strip() == "3"

    changed = stand_ins.replace(folder, REPLACED)

    wheel = folder / stand_ins.WHEEL_LIBRARIES
    assert sorted(changed) == ["libavcodec-x.so.1", "libhelper.so", "libopenblasp-x.so"]
    assert not (wheel / "libhelper.so").exists() and (wheel / "libkeep.so").exists()
    assert not (folder / "libhelper.so").is_symlink()  # the link to it went with it
    assert _call(folder, "tidy").stdout.strip() == "8"  # it loads; its table is there, zeroed
    for function, library in (("run_codec", "libavcodec-x.so.1"),
                              ("multiply", "libopenblasp-x.so")):
        stopped = _call(folder, function)
        assert stopped.returncode != 0
        assert f"was called, but {library} is left out" in stopped.stderr
    codec = stand_ins._symbols(wheel / "libavcodec-x.so.1", defined=True)
    assert set(codec) == {"decode"} and codec["decode"][0] == "LIBAVCODEC_1"
    blas = stand_ins._symbols(wheel / "libopenblasp-x.so", defined=True)
    assert set(blas) == {"sgemm_", "table"} and blas["table"][2] == 400000  # size from hex


@needs_gcc
def test_a_missing_symbol_fails_the_build(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = stand_ins._symbols

    def without_decode(path: Path, defined: bool) -> dict:
        symbols = real(path, defined)
        return {k: v for k, v in symbols.items() if not (defined and k == "decode")}

    monkeypatch.setattr(stand_ins, "_symbols", without_decode)
    with pytest.raises(RuntimeError, match="libuser.so does not load"):
        stand_ins.replace(folder, REPLACED)


@needs_gcc
def test_a_library_that_is_no_longer_there_fails_the_build(folder: Path) -> None:
    with pytest.raises(RuntimeError, match="has the OpenCV wheel changed"):
        stand_ins.replace(folder, {**REPLACED, "libswscale-": "video"})


#: OpenCV calls that reach a replaced library in the frozen app: image files (OpenCV sets up
#: its AVIF codec for any of them), video, and the linear algebra that goes to OpenBLAS.
REACHES_A_STAND_IN = re.compile(
    r"cv2\.(im(read|write|decode|encode|readmulti|count)|Video(Capture|Writer)|dnn|gemm|solve"
    r"|invert|SVD|eigen|PCA|findHomography|getPerspectiveTransform|calibrate)")


def test_the_app_calls_nothing_the_frozen_build_replaces() -> None:
    calls = [f"{path.relative_to(ROOT)}: {match.group(0)}"
             for path in sorted((ROOT / "ai_image_classifier").rglob("*.py"))
             for match in REACHES_A_STAND_IN.finditer(path.read_text(encoding="utf-8"))]
    assert calls == [], "these stop the frozen app (build_tools/stand_ins.py)"
