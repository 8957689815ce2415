"""Replace shared libraries the frozen app never calls with small stand-ins (Linux builds).

OpenCV's wheel links FFmpeg and libavif (video, and OpenCV's own image files) and OpenBLAS (its
linear algebra). The app decodes and saves with Pillow, reads no video and calls none of
OpenCV's linear algebra, yet these libraries and what they pull in are a fifth of the folder.
They cannot simply be left out: Python loads extension modules with RTLD_NOW (and cv2 is linked
BIND_NOW), so the loader refuses `import cv2` unless every library it names exists and exports
every symbol it imports, under the same symbol versions.

A stand-in has the library's file name and soname and exports exactly the symbols that the
folder's other libraries import from it. If one is ever called it prints which library was left
out and aborts: the program stops (a crash, in the window) instead of computing garbage. So in
the frozen app any `cv2.imread`/`imwrite`/`imdecode`/`imencode` (OpenCV sets up its AVIF codec
for every image file), `VideoCapture`/`VideoWriter` or large `cv2.gemm`/`solve`/`SVD` stops it;
`tests/test_stand_ins.py` fails if the app's code calls any of them. The libraries that only the
replaced ones needed are removed, and the loader binds every library that named one, so a
missing symbol fails the build, not the user. Windows wheels load FFmpeg as a plug-in DLL, which
`app.spec` leaves out by name instead.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

#: The wheel folder whose libraries are replaced (Pillow has its own libavif, which stays).
WHEEL_LIBRARIES = "opencv_python_headless.libs"
#: File-name prefixes of the libraries replaced by stand-ins, and what each one serves.
REPLACED = {
    "libavcodec-": "FFmpeg: OpenCV's video input and output",
    "libavformat-": "FFmpeg: OpenCV's video input and output",
    "libavutil-": "FFmpeg: OpenCV's video input and output",
    "libswscale-": "FFmpeg: OpenCV's video input and output",
    "libavif-": "OpenCV's image file codecs (cv2.imread and the like); Pillow reads AVIF itself",
    "libopenblasp-": "OpenCV's linear algebra (gemm, solve, SVD, eigen)",
}
#: Symbol types a stand-in offers (the version names themselves are ABS, and skipped).
KINDS = ("FUNC", "OBJECT", "IFUNC", "NOTYPE")

Symbols = dict[str, tuple[str, str, int]]  # name → (version, type, size)


def _elf_files(folder: Path) -> list[Path]:
    """The shared libraries under `folder` (links skipped: each file counts once)."""
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
    """The sonames that `path` names as DT_NEEDED."""
    return set(re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", _readelf("-d", str(path))))


def _soname(path: Path) -> str:
    found = re.search(r"\(SONAME\)\s+Library soname: \[(.+?)\]", _readelf("-d", str(path)))
    return found.group(1) if found else path.name


def _symbols(path: Path, defined: bool) -> Symbols:
    """The dynamic symbols `path` defines (only their default versions), or imports."""
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
        symbols[name] = (version, kind, int(size, 0))  # readelf writes large sizes in hex
    return symbols


def _stand_in_source(soname: str, reason: str, exports: Symbols) -> str:
    message = f"was called, but {soname} is left out of this build ({reason})\n"
    lines = ["#include <stdio.h>", "#include <stdlib.h>",
             "static void left_out(const char *name) {",
             '    fputs("AIImageClassifier: ", stderr); fputs(name, stderr);',
             f"    fputs(\" \", stderr); fputs({_c_string(message)}, stderr);",
             "    abort();", "}"]
    for name, (_, kind, size) in sorted(exports.items()):
        if kind == "OBJECT":
            lines.append(f"char {name}[{max(size, 1)}];")
        else:
            lines.append(f'void {name}(void) {{ left_out("{name}"); }}')
    return "\n".join(lines) + "\n"


def _c_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _version_script(exports: Symbols) -> str | None:
    """The linker's version script for versioned exports; None for unversioned ones (a
    library's symbols are either all versioned or none, as FFmpeg's and OpenBLAS's are)."""
    by_version: dict[str, list[str]] = {}
    for name, (version, _, _) in exports.items():
        by_version.setdefault(version, []).append(name)
    if set(by_version) <= {""}:
        return None
    if "" in by_version:
        raise RuntimeError("a library exports versioned and unversioned symbols: not handled")
    return "".join(f"{version} {{ global: {' '.join(f'{n};' for n in sorted(names))} "
                   "local: *; };\n" for version, names in sorted(by_version.items()))


def _build(target: Path, soname: str, reason: str, exports: Symbols) -> None:
    """Compile the stand-in over `target`."""
    with tempfile.TemporaryDirectory() as work:
        source = Path(work) / "stand_in.c"
        source.write_text(_stand_in_source(soname, reason, exports))
        command = ["gcc", "-shared", "-fPIC", "-O1", "-w", "-fno-builtin",
                   f"-Wl,-soname,{soname}", "-o", str(target), str(source)]
        script = _version_script(exports)
        if script is not None:
            (Path(work) / "exports.map").write_text(script)
            command.append(f"-Wl,--version-script={Path(work) / 'exports.map'}")
        subprocess.run(command, check=True)


def replace(folder: Path, replaced: dict[str, str] = REPLACED) -> list[str]:
    """Replace the `replaced` libraries (file-name prefix → what they serve) under `folder`
    with stand-ins, remove what only they needed, and check that everything that named them
    still loads; return the files' names.

    Only libraries that are not themselves replaced count as importers: a replaced one's
    stand-in needs nothing. A library that nothing else imports from is removed outright."""
    elf = _elf_files(folder)
    targets = [path for path in elf if path.parent.name == WHEEL_LIBRARIES
               and any(path.name.startswith(prefix) for prefix in replaced)]
    missing = [p for p in replaced if not any(t.name.startswith(p) for t in targets)]
    if missing:
        raise RuntimeError(f"no library in {WHEEL_LIBRARIES} starts with {', '.join(missing)}: "
                           "has the OpenCV wheel changed? Update build_tools/stand_ins.py")
    target_names = {_soname(path) for path in targets}
    others = [path for path in elf if path not in targets]
    candidates = _dependencies(targets, elf) - target_names
    importers_of_any: set[Path] = set()
    done = []
    for target in targets:
        soname = _soname(target)
        importers = [path for path in others if soname in _needed(path)]
        wanted = set().union(*(_symbols(path, defined=False) for path in importers))
        if not importers:
            candidates.add(soname)  # only other replaced libraries needed it
            continue
        exports = {name: what for name, what in _symbols(target, defined=True).items()
                   if name in wanted}
        reason = next(why for prefix, why in replaced.items() if target.name.startswith(prefix))
        _build(target, soname, reason, exports)
        importers_of_any.update(importers)
        done.append(target.name)
    removed = _remove_unneeded(folder, candidates)
    library_path = ":".join(sorted({str(path.parent) for path in _elf_files(folder)}))
    for path in sorted(importers_of_any):
        if path.exists():  # an importer that only the originals needed is gone too
            _check_loads(path, library_path)
    return done + removed


def _dependencies(libraries: list[Path], elf: list[Path]) -> set[str]:
    """The sonames of the wheel's libraries that `libraries` need, directly or not."""
    by_soname = {_soname(path): path for path in elf if path.parent.name == WHEEL_LIBRARIES}
    seen: set[str] = set()
    pending = set().union(*(_needed(path) for path in libraries))
    while pending:
        name = pending.pop()
        if name not in seen and name in by_soname:
            seen.add(name)
            pending |= _needed(by_soname[name])
    return seen


def _remove_unneeded(folder: Path, candidates: set[str]) -> list[str]:
    """Remove the wheel's `candidates` that nothing left in the folder needs, and the links
    to them."""
    removed: list[Path] = []
    while True:
        elf = _elf_files(folder)
        needed = set().union(*(_needed(path) for path in elf))
        orphans = [path for path in elf if path.parent.name == WHEEL_LIBRARIES
                   and _soname(path) in candidates - needed]
        if not orphans:
            break
        for path in orphans:
            path.unlink()
            removed.append(path)
    gone = {path.resolve() for path in removed}
    for link in folder.rglob("*"):
        if link.is_symlink() and link.resolve() in gone:
            link.unlink()
    return [path.name for path in removed]


def _check_loads(path: Path, library_path: str) -> None:
    """Bind `path`'s symbols as the loader will, finding libraries on `library_path`; raise if
    a library, a symbol version or a symbol is missing (apart from Python's C API, which the
    program itself provides)."""
    result = subprocess.run(["ldd", "-r", str(path)], capture_output=True, text=True,
                            env={"LD_LIBRARY_PATH": library_path})
    problems = [line for line in (result.stdout + result.stderr).splitlines()
                if "not found" in line or ("undefined symbol" in line
                                           and not line.split()[2].lstrip("_").startswith("Py"))]
    if result.returncode or problems:
        raise RuntimeError(f"{path.name} does not load with the stand-ins:\n"
                           + "\n".join(problems[:20] or [result.stderr]))
