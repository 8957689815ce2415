"""Nothing leaves the machine: no file can make opening, classifying or enhancing reach the
network.

Files bait every reader that could go online: a C2PA manifest only linked from the XMP (which
c2pa's defaults fetch), and XMP with external XML entities and DTDs. A local server counts what
reaches it; in a subprocess, an audit hook records every Python-level network call while the
CLI classifies and enhances and the window's modules load, and where strace can trace, every
connect() of native code (c2pa's Rust, onnxruntime, LiteRT, OpenCV) is recorded too.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from ai_image_classifier.forensics import inspect_file
from ai_image_classifier.provenance import read_provenance

from .conftest import ROOT

RDF = 'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'


class CountingServer:
    """A loopback HTTP server that answers 404 and counts the requests it receives."""

    def __init__(self) -> None:
        self.requests: list[bytes] = []
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._socket.settimeout(0.2)
        self.port = self._socket.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._socket.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(2)
                try:
                    self.requests.append(connection.recv(4096).split(b"\r\n", 1)[0])
                    connection.sendall(b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                except OSError:
                    self.requests.append(b"(connection)")

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._socket.close()


@pytest.fixture
def server() -> Iterator[CountingServer]:
    running = CountingServer()
    yield running
    running.close()


def photo() -> Image.Image:
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:240, 0:320]
    base = np.stack([x * 0.8, y, (x + y) * 0.4], axis=-1) % 256
    return Image.fromarray(np.clip(base + rng.normal(0, 4, base.shape), 0, 255).astype(np.uint8))


def bait_files(folder: Path, port: int) -> list[Path]:
    """Pictures whose metadata point at the counting server."""
    url = f"http://127.0.0.1:{port}"
    remote = (f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF {RDF}><rdf:Description '
              f'xmlns:dcterms="http://purl.org/dc/terms/" dcterms:provenance="{url}/m.c2pa"/>'
              '</rdf:RDF></x:xmpmeta>')
    entity = (f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "{url}/entity">]>'
              f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF {RDF}><rdf:Description>&e;'
              '</rdf:Description></rdf:RDF></x:xmpmeta>')
    dtd = (f'<?xml version="1.0"?><!DOCTYPE x SYSTEM "{url}/dtd">'
           '<x:xmpmeta xmlns:x="adobe:ns:meta/"/>')
    files = []
    jpeg = folder / "remote_manifest.jpg"
    photo().save(jpeg, quality=90, xmp=remote.encode(), comment=b"jumb c2pa")
    files.append(jpeg)
    for name, xmp in (("remote_manifest.png", remote), ("entity.png", entity), ("dtd.png", dtd)):
        info = PngInfo()
        info.add_itxt("XML:com.adobe.xmp", xmp)
        info.add_text("Comment", "jumb c2pa")
        photo().save(folder / name, pnginfo=info)
        files.append(folder / name)
    webp = folder / "entity.webp"
    photo().save(webp, xmp=entity.encode())
    return [*files, webp]


def test_the_bait_works_on_a_reader_with_c2pa_defaults(server, tmp_path):
    """c2pa's defaults fetch the linked manifest: the check below can fail."""
    c2pa = pytest.importorskip("c2pa")
    (jpeg, *_) = bait_files(tmp_path, server.port)
    with pytest.raises(Exception):  # noqa: B017 - the server answers 404
        c2pa.Reader("image/jpeg", io.BytesIO(jpeg.read_bytes()))
    assert server.requests == [b"GET /m.c2pa HTTP/1.1"]


def test_opening_a_file_sends_nothing_and_says_the_manifest_is_elsewhere(server, tmp_path):
    files = bait_files(tmp_path, server.port)
    reports = [inspect_file(path) for path in files]
    provenances = [read_provenance(path) for path in files]
    assert server.requests == []
    assert "not fetched" in reports[0].content_credentials
    assert any("not fetched" in note for note in provenances[0].notes)


PROBE = r'''
import json, sys

NETWORK = {"socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex",
           "socket.gethostbyaddr", "socket.sendto", "socket.sendmsg", "urllib.Request",
           "http.client.connect", "ftplib.connect", "smtplib.connect", "webbrowser.open"}
events = []


def hook(event, args):
    # A connect() to a path (a Unix socket, e.g. the X server) stays on the machine.
    if event in NETWORK or (event == "socket.connect" and isinstance(args[1], tuple)):
        events.append(f"{event} {args!r:.200}")


sys.addaudithook(hook)
result, files = sys.argv[1], sys.argv[2:]
from ai_image_classifier.cli import main
from ai_image_classifier.forensics import inspect_file
import ai_image_classifier.gui.window  # customtkinter, tkinterdnd2, platformdirs

for path in files:
    inspect_file(path)
codes = [main(["classify", "--json", *files])]
for suffix in (".png", ".jpg", ".webp", ".tif", ".bmp"):
    codes.append(main(["enhance", files[0], "-o", result + suffix]))
with open(result, "w") as out:
    json.dump({"events": events, "codes": codes}, out)
'''


def strace_prefix(log: Path) -> list[str]:
    """strace recording every connect() and sendto() of the process and its threads, or []
    where strace is missing or may not trace (a container without ptrace)."""
    strace = shutil.which("strace")
    if strace is None:
        return []
    command = [strace, "-f", "-qq", "--seccomp-bpf", "-e", "trace=connect,sendto,sendmsg"]
    trial = subprocess.run([*command, "-o", str(log), sys.executable, "-c", "pass"],
                           capture_output=True, timeout=120)
    return [*command, "-o", str(log)] if trial.returncode == 0 else []


def test_classify_enhance_and_the_window_modules_stay_offline(server, tmp_path):
    files = bait_files(tmp_path, server.port)
    trace = tmp_path / "strace.log"
    prefix = strace_prefix(trace)
    result = tmp_path / "result.json"
    run = subprocess.run([*prefix, sys.executable, "-c", PROBE, str(result), *map(str, files)],
                         cwd=ROOT, capture_output=True, text=True, timeout=900,
                         env={**_environment(tmp_path), "DISPLAY": ""})
    assert run.returncode == 0, run.stderr[-3000:]
    outcome = json.loads(result.read_text())
    assert outcome["codes"] == [0] * 6
    assert outcome["events"] == []
    if prefix:
        calls = [line for line in trace.read_text().splitlines() if "AF_INET" in line]
        assert calls == []
    assert server.requests == []


def _environment(tmp_path: Path) -> dict[str, str]:
    """The user's folders (log, settings) inside the test's own folder."""
    return {**os.environ, "HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state"),
            "XDG_CACHE_HOME": str(tmp_path / "cache"), "XDG_CONFIG_HOME": str(tmp_path / "config")}


def _fresh_user(home: Path) -> dict[str, str]:
    """A first run on a user's machine: a new HOME, no CI (which several libraries read as
    "telemetry off"), no folder overrides. A login session has its own runtime folder (dconf,
    read for the system theme, keeps its shared memory there)."""
    environment = {key: value for key, value in os.environ.items()
                   if key != "CI" and not key.startswith(("XDG_", "AIIC_"))}
    runtime = home.parent / "run-user"
    runtime.mkdir(mode=0o700, exist_ok=True)
    return {**environment, "HOME": str(home), "XDG_RUNTIME_DIR": str(runtime)}


def _app_folders(home: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The app's own config and log folders for that HOME."""
    from ai_image_classifier.user_dirs import config_dir, log_dir

    monkeypatch.setenv("HOME", str(home))
    for key in [k for k in os.environ if k.startswith(("XDG_", "AIIC_"))]:
        monkeypatch.delenv(key)
    return [config_dir(), log_dir()]


FROZEN = ROOT / "dist" / "AIImageClassifier" / "AIImageClassifier"


def first_run_commands(program: str, picture: Path, enhanced: Path) -> list[list[str]]:
    """Classify, enhance and the window, from source or from the frozen build."""
    if program == "frozen":
        return [[str(FROZEN), "--classify", str(picture)],
                [str(FROZEN), "--enhance", str(picture), str(enhanced)],
                ["xvfb-run", "-a", str(FROZEN), str(picture), "--exit-when-ready"]]
    aiic = [sys.executable, "-m", "ai_image_classifier"]
    return [[*aiic, "classify", str(picture)],
            [*aiic, "enhance", str(picture), "-o", str(enhanced)],
            ["xvfb-run", "-a", sys.executable, str(ROOT / "app.py"), str(picture),
             "--exit-when-ready"]]


@pytest.mark.parametrize("program", ["source", pytest.param("frozen", marks=pytest.mark.skipif(
    not FROZEN.exists(), reason="no frozen build: run `make dist` (CI does)"))])
def test_a_first_run_writes_nothing_outside_the_apps_folders(program, tmp_path, monkeypatch):
    """Classify, enhance and the window, as a user runs them: every file they leave in HOME is
    in the app's config or log folder (onnxruntime's telemetry once wrote a device id and an
    event queue under ~/.cache/Microsoft, and CustomTkinter copied its fonts to ~/.fonts)."""
    if shutil.which("xvfb-run") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must run the window too: xvfb-run is missing")
        pytest.skip("needs xvfb-run (apt-get install xvfb xauth; .ci/run does)")
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    picture = work / "photo.jpg"
    photo().save(picture, quality=90)
    environment = _fresh_user(home)
    environment.pop("DISPLAY", None)
    for command in first_run_commands(program, picture, work / "big.png"):
        run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900,
                             env=environment)
        assert run.returncode == 0, run.stderr[-3000:]
    assert "verdict: " in run.stdout and "verdict: none" not in run.stdout
    allowed = _app_folders(home, monkeypatch)
    written = [path for path in home.rglob("*") if path.is_file()
               and not any(path.is_relative_to(folder) for folder in allowed)]
    assert written == []
    assert (work / "big.png").is_file()
