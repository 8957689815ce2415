"""Replace shared libraries the frozen app never calls with small stand-ins (Linux builds).

OpenCV's wheel links FFmpeg and libavif (video and its own image codecs) and OpenBLAS (its
linear algebra). The app decodes with Pillow, reads no video and calls none of OpenCV's linear
algebra, yet these libraries and what they pull in are a fifth of the folder. They cannot
simply be left out: Python loads extension modules with RTLD_NOW (and cv2 is linked BIND_NOW),
so the loader refuses `import cv2` unless every library it names exists and exports every
symbol it imports, under the same symbol versions.

A stand-in has the library's file name and soname and exports exactly the symbols that the
folder's other libraries import from it. Each one, if it is ever called, prints which library
was left out and aborts, so a future use fails loudly instead of computing garbage; the few
clean-up functions (`*_free`, `*_close`, `*_cleanup`) do nothing instead. The libraries that
only the replaced ones needed are then removed, and the loader binds every library that names a
stand-in, so that a missing symbol fails the build, not the user.
Windows wheels load FFmpeg as a plug-in DLL, which `app.spec` leaves out by name instead.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

#: The wheel folder whose libraries are replaced (pillow has its own libavif, which stays).
WHEEL_LIBRARIES = "opencv_python_headless.libs"
#: File-name prefixes of the libraries replaced by stand-ins, and why each is never called.
REPLACED = {
    "libavcodec-": "FFmpeg: OpenCV's video input and output",
    "libavformat-": "FFmpeg: OpenCV's video input and output",
    "libavutil-": "FFmpeg: OpenCV's video input and output",
    "libswscale-": "FFmpeg: OpenCV's video input and output",
    "libavif-": "OpenCV's own AVIF codec (Pillow decodes AVIF with its own libavif)",
    "libopenblasp-": "OpenCV's LAPACK (solve, SVD, eigen); the app calls none of them",
}
#: Symbol types a stand-in offers (the version names themselves are ABS, and skipped).
KINDS = ("FUNC", "OBJECT", "IFUNC", "NOTYPE")
#: Clean-up functions: as stand-ins they do nothing rather than abort.
HARMLESS = re.compile(r"(_cleanup|_free|_close)$")


def _elf_files(folder: Path) -> list[Path]:
    found = []
    for path in folder.rglob("*.so*"):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as file:
                if file.read(4) == b"\x7fELF":
                    found.append(path)
    return found


def _readelf(*args: str) -> str:
    return subprocess.run(["readelf", "-W", *args], check=True, capture_output=True,
                          text=True).stdout


def _needed(path: Path) -> set[str]:
    return set(re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", _readelf("-d", str(path))))


def _soname(path: Path) -> str:
    found = re.search(r"\(SONAME\)\s+Library soname: \[(.+?)\]", _readelf("-d", str(path)))
    return found.group(1) if found else path.name


def _symbols(path: Path, defined: bool) -> dict[str, tuple[str, str, int]]:
    """Name → (version, type, size) of the dynamic symbols `path` defines, or imports."""
    symbols = {}
    for line in _readelf("--dyn-syms", str(path)).splitlines():
        fields = line.split()
        if len(fields) < 8 or not fields[0].endswith(":") or fields[4] == "LOCAL":
            continue
        size, kind, section, full_name = fields[2], fields[3], fields[6], fields[7]
        if section == "ABS" or (section != "UND") != defined or kind not in KINDS:
            continue
        if defined and "@" in full_name and "@@" not in full_name:
            continue  # an old, non-default version: nothing links against it any more
        name, _, version = full_name.replace("@@", "@").partition("@")
        symbols[name] = (version, kind, int(size, 0) if size.isdigit() else 0)
    return symbols


def _stand_in_source(soname: str, reason: str, exports: dict[str, tuple[str, str, int]]) -> str:
    lines = ["#include <stdio.h>", "#include <stdlib.h>",
             "static void left_out(const char *name) {",
             f'    fprintf(stderr, "AIImageClassifier: %s was called, but {soname} is left out '
             f'of this build ({reason})\\n", name);', "    abort();", "}"]
    for name, (_, kind, size) in sorted(exports.items()):
        if kind == "OBJECT":
            lines.append(f"char {name}[{max(size, 1)}];")
        elif HARMLESS.search(name):
            lines.append(f"void {name}(void) {{}}")
        else:
            lines.append(f'void {name}(void) {{ left_out("{name}"); }}')
    return "\n".join(lines) + "\n"


def _version_script(exports: dict[str, tuple[str, str, int]]) -> str:
    by_version: dict[str, list[str]] = {}
    for name, (version, _, _) in exports.items():
        by_version.setdefault(version, []).append(name)
    nodes = []
    for version, names in sorted(by_version.items(), reverse=True):  # the unnamed node last
        listed = " ".join(f"{name};" for name in sorted(names))
        nodes.append(f"{version} {{ global: {listed} local: *; }};".lstrip())
    return "\n".join(nodes) + "\n"


def _closure(libraries: list[Path], elf: list[Path]) -> set[str]:
    """The sonames that `libraries` need, directly or through each other."""
    by_soname = {_soname(path): path for path in elf}
    seen: set[str] = set()
    pending = set().union(*(_needed(path) for path in libraries))
    while pending:
        name = pending.pop()
        if name not in seen and name in by_soname:
            seen.add(name)
            pending |= _needed(by_soname[name])
    return seen


def replace(folder: Path) -> list[str]:
    """Replace the `REPLACED` libraries under `folder` with stand-ins, remove what only they
    needed, and check that everything that named them still loads; return the files' names."""
    elf = _elf_files(folder)
    targets = [path for path in elf if path.parent.name == WHEEL_LIBRARIES
               and any(path.name.startswith(prefix) for prefix in REPLACED)]
    their_dependencies = _closure(targets, elf) - {_soname(path) for path in targets}
    importers_of_any: set[Path] = set()
    for target in targets:
        soname = _soname(target)
        importers = [path for path in elf if path != target and soname in _needed(path)]
        wanted = set().union(*(_symbols(path, defined=False) for path in importers))
        exports = {name: what for name, what in _symbols(target, defined=True).items()
                   if name in wanted}
        importers_of_any.update(importers)
        reason = next(why for prefix, why in REPLACED.items() if target.name.startswith(prefix))
        with tempfile.TemporaryDirectory() as work:
            source, script = Path(work) / "stand_in.c", Path(work) / "exports.map"
            source.write_text(_stand_in_source(soname, reason, exports))
            script.write_text(_version_script(exports))
            subprocess.run(["gcc", "-shared", "-fPIC", "-O1", "-w", "-fno-builtin",
                            f"-Wl,-soname,{soname}", f"-Wl,--version-script={script}",
                            "-o", str(target), str(source)], check=True)
    removed = _remove_unneeded(folder, their_dependencies)
    for path in sorted(importers_of_any):
        if path.exists():
            _check_loads(folder, path)
    return [path.name for path in targets] + removed


def _remove_unneeded(folder: Path, candidates: set[str]) -> list[str]:
    """Remove the `candidates` that nothing left in the folder needs, and links to them."""
    removed = []
    while True:
        elf = _elf_files(folder)
        needed = set().union(*(_needed(path) for path in elf))
        orphans = [path for path in elf if _soname(path) in candidates - needed]
        if not orphans:
            break
        for path in orphans:
            path.unlink()
            removed.append(path.name)
    for link in folder.rglob("*"):
        if link.is_symlink() and not link.exists():
            link.unlink()
    return removed


def _check_loads(folder: Path, path: Path) -> None:
    """Bind `path`'s symbols as the loader will; raise if a library, a symbol version or a
    symbol is missing (apart from Python's C API, which the program itself provides)."""
    library_path = ":".join(sorted({str(p.parent) for p in _elf_files(folder)}))
    result = subprocess.run(["ldd", "-r", str(path)], capture_output=True, text=True,
                            env={"LD_LIBRARY_PATH": library_path})
    problems = [line for line in (result.stdout + result.stderr).splitlines()
                if "not found" in line or ("undefined symbol" in line
                                           and not line.split()[2].lstrip("_").startswith("Py"))]
    if result.returncode or problems:
        raise RuntimeError(f"{path.name} does not load with the stand-ins:\n"
                           + "\n".join(problems[:20] or [result.stderr]))
