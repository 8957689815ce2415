"""Settings written from several threads: the newest snapshot is what the file keeps."""

from __future__ import annotations

import contextlib
import json
import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from ai_image_classifier.gui import settings as settings_module
from ai_image_classifier.gui.settings import Settings, settings_path


@pytest.fixture(autouse=True)
def config(tmp_path, monkeypatch):
    monkeypatch.setenv("AIIC_CONFIG_DIR", str(tmp_path))


def saved() -> dict:
    return json.loads(settings_path().read_text(encoding="utf-8"))


def test_an_older_snapshot_written_late_does_not_replace_a_newer_one():
    settings = Settings()
    settings.theme = "Light"
    older = settings.writer()  # e.g. queued when a picture was opened
    settings.theme = "Dark"
    settings.save()  # on closing, while the older write still waits in a worker
    older()
    assert saved()["theme"] == "Dark"


def test_writes_from_many_threads_in_any_order_keep_the_last_snapshot(monkeypatch):
    settings = Settings()
    writers = []
    for quality in range(50, 100):
        settings.jpeg_quality = quality
        writers.append(settings.writer())
    random.Random(0).shuffle(writers)
    count_lock, active, most_at_once = threading.Lock(), [0], [0]
    real_write = settings_module.atomic_write

    @contextlib.contextmanager
    def counted_write(*args, **kwargs):
        """Counts how many writes run at once."""
        with count_lock:
            active[0] += 1
            most_at_once[0] = max(most_at_once[0], active[0])
        try:
            with real_write(*args, **kwargs) as handle:
                yield handle
        finally:
            with count_lock:
                active[0] -= 1

    monkeypatch.setattr(settings_module, "atomic_write", counted_write)
    start = threading.Barrier(len(writers))

    def run(write):
        start.wait()
        write()

    with ThreadPoolExecutor(len(writers)) as pool:
        list(pool.map(run, writers))
    assert saved()["jpeg_quality"] == 99
    assert most_at_once == [1]
