"""The first picture's views, made in the open lane while the model loads (PictureFlow), so
that the first verdict waits only for the networks."""

from __future__ import annotations

import threading

import pytest

from ai_image_classifier.classifier import PreparedPicture, ViewSpec
from ai_image_classifier.gui import model_flow

from .gui_fakes import write_picture
from .test_gui_flows import window

SPEC = ViewSpec(32)


@pytest.fixture
def asked(monkeypatch) -> list:
    """The model sources whose view spec was read from the cards (always SPEC here)."""
    sources: list = []
    monkeypatch.setattr(model_flow, "expected_view_spec",
                        lambda source: sources.append(source) or SPEC)
    return sources


def test_a_picture_opened_while_the_model_loads_has_its_views_made_meanwhile(tmp_path, asked):
    tasks, _, _, models, pictures = window()
    models.load()
    pictures.open(write_picture(tmp_path / "a.png"))
    tasks.run("open", count=1)  # read and shown; its views are made next, in that lane
    assert asked == [None] and tasks.lanes() == ["model", "open"]
    early = pictures.current.prepared
    assert not early.done()
    tasks.run("open")
    assert early.done()
    prepared = early.result()
    assert isinstance(prepared, PreparedPicture) and prepared.spec == SPEC
    assert prepared.views.pixels.shape == (32, 32, 3)
    tasks.run()  # the model arrives and judges the picture with those views
    assert models.classifier.prepared == [prepared]
    assert pictures.current.verdict is not None and pictures.current.prepared is None
    pictures.open(write_picture(tmp_path / "b.png"))  # the model is there: nothing early
    tasks.run()
    assert asked == [None] and models.classifier.prepared[-1] is None


def test_when_the_model_comes_first_it_makes_the_views_itself(tmp_path, asked, monkeypatch):
    """The early job, still queued, is cancelled and does nothing: no view is made twice."""
    made: list = []
    monkeypatch.setattr(PreparedPicture, "of", classmethod(
        lambda cls, image, spec: made.append(spec)))
    tasks, _, _, models, pictures = window()
    models.load()
    pictures.open(write_picture(tmp_path / "a.png"))
    tasks.run("open", count=1)
    tasks.run("model")  # the model loads and judges before the early job has run
    assert pictures.current.verdict is not None and models.classifier.prepared == [None]
    assert pictures.current.prepared is None
    tasks.run("open")
    assert made == []


def test_a_picture_no_longer_wanted_gets_no_early_views(tmp_path, asked, monkeypatch):
    made: list = []
    monkeypatch.setattr(PreparedPicture, "of", classmethod(
        lambda cls, image, spec: made.append(image.shape)))
    tasks, _, _, models, pictures = window()
    models.load()
    pictures.open(write_picture(tmp_path / "a.png", (40, 30)))
    tasks.run("open", count=1)
    early = pictures.current.prepared
    pictures.open(write_picture(tmp_path / "b.png", (20, 10)))  # asked for before a's views
    tasks.run("open")
    assert early.cancelled() and made == [(10, 20, 3)]


def test_early_views_that_fail_are_made_again_for_the_verdict(tmp_path, asked, monkeypatch):
    monkeypatch.setattr(PreparedPicture, "of", classmethod(
        lambda cls, image, spec: (_ for _ in ()).throw(MemoryError("no room"))))
    tasks, _, _, models, pictures = window()
    models.load()
    pictures.open(write_picture(tmp_path / "a.png"))
    tasks.run("open")
    assert isinstance(pictures.current.prepared.exception(), MemoryError)
    tasks.run()
    assert pictures.current.verdict is not None and models.classifier.prepared == [None]


def test_the_model_lane_waits_for_views_being_made(tmp_path, asked, monkeypatch):
    """Lanes are threads: the model lane waits for the open lane's views once begun."""
    begun, release = threading.Event(), threading.Event()
    real_of = PreparedPicture.of

    def slow_of(cls, image, spec):
        begun.set()
        assert release.wait(10)
        return real_of(image, spec)

    monkeypatch.setattr(PreparedPicture, "of", classmethod(slow_of))
    tasks, _, _, models, pictures = window()
    models.load()
    pictures.open(write_picture(tmp_path / "a.png"))
    tasks.run("open", count=1)
    early = pictures.current.prepared
    opening = threading.Thread(target=tasks.run, args=("open",))
    opening.start()
    assert begun.wait(10)
    judging = threading.Thread(target=tasks.run, args=("model",))
    judging.start()
    judging.join(0.3)
    assert judging.is_alive() and pictures.current.verdict is None  # waiting, not re-making
    release.set()
    opening.join(10)
    judging.join(10)
    assert not judging.is_alive() and models.classifier.prepared == [early.result()]


def test_a_file_that_cannot_be_read_while_the_model_loads_is_said_once(tmp_path, asked):
    tasks, dialogs, _, models, pictures = window()
    models.load()
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not a picture")
    pictures.open(broken)
    tasks.run()
    assert [title for title, _ in dialogs.errors] == ["Cannot open image"]
    assert pictures.current is None and models.classifier is not None
