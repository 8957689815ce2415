"""The window's workflows, without a display: each controller with fake lanes, dialogs and
widgets (tests/gui_fakes.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ai_image_classifier.cards import ModelLoadError
from ai_image_classifier.enhance_settings import EnhanceSettings
from ai_image_classifier.gui import picture_flow
from ai_image_classifier.gui.enhance_flow import NOTHING_TO_DO, EnhanceFlow, result_note
from ai_image_classifier.gui.model_flow import ModelFlow, plain_error
from ai_image_classifier.gui.picture_flow import PictureFlow
from ai_image_classifier.gui.save_flow import SaveFlow
from ai_image_classifier.gui.settings import Settings
from ai_image_classifier.gui.state import HeatMap
from ai_image_classifier.gui.verdict_text import WAITING

from .conftest import ROOT
from .gui_fakes import FakeClassifier, FakeDialogs, FakeTasks, Recorder, write_picture

FLOWS = ("model_flow", "picture_flow", "enhance_flow", "save_flow", "scan_flow", "views",
         "settings", "progress", "verdict_text", "model_text", "formatting", "tasks", "heat")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def config(tmp_path, monkeypatch) -> Settings:
    monkeypatch.setenv("AIIC_CONFIG_DIR", str(tmp_path / "config"))
    return Settings()


def window(models_load=None):
    """The model and picture controllers wired as the window wires them."""
    tasks, dialogs, ui = FakeTasks(), FakeDialogs(), Recorder()
    models = ModelFlow(tasks, dialogs, lambda: "", load=models_load or (
        lambda source: FakeClassifier(name=source or "fake")))
    remembered: list[Path] = []
    pictures = PictureFlow(tasks, models, dialogs, ui, remembered.append)
    return tasks, dialogs, ui, models, pictures


def test_no_controller_imports_tk():
    modules = "; ".join(f"import ai_image_classifier.gui.{name}" for name in FLOWS)
    code = (f"import sys; {modules}; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('tkinter', 'customtkinter', '_tkinter', 'tkinterdnd2')))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, check=True)
    assert result.stdout.strip() == "[]"


# ---------- model ----------
def test_a_failed_switch_keeps_the_model_and_its_name_in_the_footer_and_says_it_plainly():
    def load(source):
        if source == "broken":
            try:
                raise ValueError("Expecting value: line 1 column 1 (char 0)")
            except ValueError as cause:
                raise ModelLoadError("broken.card.json: the model card is not valid JSON "
                                     "(Expecting value: line 1 column 1 (char 0))") from cause
        return FakeClassifier(name="general_detector")

    tasks, dialogs, ui, models, _ = window(load)
    models.load()
    tasks.run()
    working, footer = models.classifier, models.status()
    assert footer.startswith("Model: Whole picture and faces (recommended)")
    models.load("broken")
    tasks.run()
    assert models.classifier is working and models.status() == footer
    title, message = dialogs.errors[-1]
    assert "not valid JSON" in message and "line 1 column" not in message
    assert "unchanged: Whole picture and faces (recommended)" in message


def test_plain_error_hides_library_text_and_names_unexpected_failures():
    assert plain_error(KeyError("x")).startswith("the model could not be loaded (KeyError")
    assert plain_error(ModelLoadError("model file not found: /m.tflite")) == \
        "model file not found: /m.tflite"


def test_the_whole_picture_detector_switched_off_is_said_with_its_reason():
    off = FakeClassifier(name="general_detector")
    off.general_off = "its self-check failed on this computer"
    tasks, _, _, models, _ = window(lambda source: off)
    models.load()
    tasks.run()
    assert "off on this computer" in models.status()
    assert "self-check failed" in models.notice() and "face network alone" in models.notice()
    assert models.card_text().startswith(models.notice())


def test_each_model_loaded_has_a_new_generation():
    tasks, _, _, models, _ = window()
    seen = []
    models.listeners.append(lambda: seen.append(models.generation))
    models.load()
    tasks.run()
    models.load("seed_cnn")
    tasks.run()
    assert models.generation == 2 and seen[-1] == 2


# ---------- picture ----------
def test_an_open_reads_the_file_once_and_judges_the_pixels_it_decoded(tmp_path, monkeypatch):
    calls: dict[str, int] = {}

    def counting(module, name):
        real = getattr(module, name)

        def wrapper(*args, **kwargs):
            calls[name] = calls.get(name, 0) + 1
            return real(*args, **kwargs)
        monkeypatch.setattr(module, name, wrapper)

    from ai_image_classifier import forensics, provenance

    for module, name in ((picture_flow, "read_bytes"), (picture_flow, "open_rgb"),
                         (forensics, "inspect_file"), (provenance, "read_provenance")):
        counting(module, name)
    tasks, _, _, models, pictures = window()
    models.load()
    tasks.run()
    pictures.open(write_picture(tmp_path / "a.png"))
    tasks.run()
    # the declarations come from inspect_file's one parse: read_provenance is never called
    assert calls == {"read_bytes": 1, "open_rgb": 1, "inspect_file": 1}
    image, declared = models.classifier.images[0]
    assert image is pictures.current.rgb and declared is pictures.current.provenance


def test_opening_shows_no_trace_of_the_previous_verdict(tmp_path):
    tasks, _, ui, models, pictures = window()
    models.load()
    tasks.run()
    pictures.open(write_picture(tmp_path / "a.png"))
    tasks.run()
    assert ui.last("verdict_shown")[0] is not None
    pictures.open(write_picture(tmp_path / "b.png"))
    tasks.run("open")
    assert ui.last("verdict_shown") == (None, WAITING["analysing"])  # no bar, no old text


def test_a_picture_opened_before_the_model_is_judged_when_it_arrives(tmp_path):
    tasks, _, ui, models, pictures = window()
    models.load()
    pictures.open(write_picture(tmp_path / "a.png"))
    tasks.run("open")
    assert ui.last("verdict_shown") == (None, WAITING["model"])
    tasks.run()
    assert pictures.current.verdict is not None


def test_without_a_model_the_verdict_says_so(tmp_path):
    def load(source):
        raise ModelLoadError("model file not found: x")

    tasks, _, ui, models, pictures = window(load)
    models.load()
    pictures.open(write_picture(tmp_path / "a.png"))
    tasks.run()
    assert ui.last("verdict_shown") == (None, WAITING["no-model"])
    assert models.status().startswith("No model: model file not found")


def test_results_of_an_older_model_are_dropped_and_do_not_block_the_new_ones(tmp_path,
                                                                          monkeypatch):
    monkeypatch.setattr(picture_flow, "heat_map",
                        lambda classifier, opened, should_stop, **_: HeatMap(
                            opened.preview, classifier.card["name"]))
    tasks, _, _, models, pictures = window()
    models.load("first")
    tasks.run()
    pictures.open(write_picture(tmp_path / "a.png"))
    tasks.run()
    opened = pictures.current
    models.load("second")  # a switch is asked for; meanwhile the heat map is shown, and is
    pictures.view_plan("Heatmap", zoomed=False)  # queued behind it with the first model
    pictures.classify(opened)  # as is a verdict
    assert opened.pending == {"heat": 1}
    tasks.run("model", count=1)  # the second model lands and the picture is judged again
    assert models.generation == 2 and opened.verdict is None
    tasks.run("model", count=2)  # the first model's heat map and verdict land: dropped
    assert opened.heat is None and opened.pending == {} and opened.verdict is None
    assert pictures.view_plan("Heatmap", zoomed=False).compute == "heat"  # not blocked
    tasks.run()
    assert opened.heat is not None and opened.heat.kind == "second"
    assert opened.pending == {} and opened.verdict is not None


def test_views_say_what_they_show_and_zoom_only_where_it_applies(tmp_path):
    tasks, _, _, models, pictures = window()
    models.load()
    pictures.open(write_picture(tmp_path / "a.png"))
    tasks.run()
    opened = pictures.current
    for view in ("Original", "Enhanced", "Compare"):
        assert pictures.view_plan(view, zoomed=True).zoomable
    assert not pictures.view_plan("ELA", zoomed=True).zoomable
    assert pictures.view_plan("Enhanced", zoomed=False).message.startswith("Enhance the image")
    opened.heat = HeatMap(opened.preview, "verdict")
    heat = pictures.view_plan("Heatmap", zoomed=True)
    assert not heat.zoomable and "face network" not in heat.note
    assert "whole picture" in heat.note
    opened.heat = HeatMap(opened.preview, "face")
    assert "face network looked" in pictures.view_plan("Heatmap", zoomed=False).note


def test_a_rotated_photo_says_both_sizes_and_its_orientation(tmp_path):
    from ai_image_classifier.gui.formatting import metadata_text

    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: turn 90° clockwise to stand upright
    path = tmp_path / "phone.jpg"
    Image.fromarray(np.zeros((480, 640, 3), np.uint8)).save(path, exif=exif.tobytes())
    tasks, _, ui, models, pictures = window()
    pictures.open(path)
    tasks.run("open")
    assert "480×640 (turned upright)" in ui.last("status")[0]
    text = metadata_text(pictures.current)
    assert "Stored as 640×480, shown upright as 480×640" in text
    assert "EXIF Orientation: 6" in text


# ---------- enhance ----------
def enhancing(tmp_path, clock=None):
    tasks, _, ui, models, pictures = window()
    pictures.open(write_picture(tmp_path / "a.png"))
    tasks.run("open")
    flow_ui = Recorder()
    flow = EnhanceFlow(tasks, lambda: pictures.current, flow_ui, clock or Clock())
    pictures.listeners.append(flow.cancel)
    return tasks, flow_ui, flow, pictures


def test_one_times_with_denoising_off_is_refused_with_the_reason(tmp_path):
    tasks, ui, flow, _ = enhancing(tmp_path)
    flow.start(EnhanceSettings(method="bicubic", scale=1, denoise="off"))
    assert not tasks.jobs and ui.last("enhance_state")[3] == NOTHING_TO_DO


def test_a_result_identical_to_the_original_is_not_offered(tmp_path):
    tasks, ui, flow, pictures = enhancing(tmp_path)
    flow.start(EnhanceSettings(method="bicubic", scale=1, denoise="auto"))  # a flat picture
    tasks.run()
    assert pictures.current.enhanced is None
    assert ui.last("enhance_state")[3].startswith("No change, no noise found (level 0.0): ")
    assert not ui.all("enhanced")


def noisy_picture(path: Path) -> Path:
    grain = np.random.default_rng(0).normal(0, 12, (60, 80, 3))
    Image.fromarray(np.clip(120 + grain, 0, 255).astype(np.uint8)).save(path)
    return path


def test_auto_denoising_says_what_it_found_while_running_and_when_done(tmp_path, monkeypatch):
    from ai_image_classifier import enhance

    real_enhance, seen = enhance.enhance, []

    def watched(image, settings, progress, should_stop, decision):
        seen.append(ui.last("enhance_state")[3])  # what the window says while it runs
        return real_enhance(image, settings, progress, should_stop, decision)

    monkeypatch.setattr(enhance, "enhance", watched)
    tasks, ui, flow, pictures = enhancing(tmp_path)
    pictures.open(noisy_picture(tmp_path / "noisy.png"))
    tasks.run("open")
    flow.start(EnhanceSettings(method="bicubic", scale=2, denoise="auto"))
    tasks.run()
    assert "; noise level " in seen[0] and ", removed at strength " in seen[0]
    made = pictures.current.enhanced
    assert made.denoise.strength > 0 and made.denoise.noise > 5
    done = ui.last("enhance_state")[3]
    assert done.startswith("Done: 160×120 (Bicubic 2×, denoise Auto; noise level ")
    assert f"Auto; {made.denoise.description}." in result_note(pictures.current, None)


def test_a_clean_picture_says_no_noise_was_found(tmp_path):
    tasks, ui, flow, pictures = enhancing(tmp_path)
    flow.start(EnhanceSettings(method="bicubic", scale=2, denoise="auto"))
    tasks.run()
    assert pictures.current.enhanced.denoise.strength == 0
    assert "denoise Auto; no noise found (level 0.0))" in ui.last("enhance_state")[3]


def test_a_cancelled_run_keeps_the_earlier_result_and_names_its_settings(tmp_path):
    tasks, ui, flow, pictures = enhancing(tmp_path)
    first = EnhanceSettings(method="bicubic", scale=2, denoise="off")
    flow.start(first)
    tasks.run()
    assert pictures.current.enhanced.settings == first
    flow.start(EnhanceSettings(method="lanczos", scale=4, denoise="off"))
    flow.cancel()
    tasks.run()
    text = ui.last("enhance_state")[3]
    assert text.startswith("Cancelled.") and "Bicubic 2×, denoise Off" in text
    later = EnhanceSettings(method="lanczos", scale=4, denoise="off")
    note = result_note(pictures.current, later)
    assert "Enhanced with Bicubic 2×, denoise Off" in note and "other settings" in note
    assert "other settings" not in result_note(pictures.current, first)


def test_enhancing_shows_progress_with_the_time_left(tmp_path, monkeypatch):
    from ai_image_classifier import enhance

    clock, seen = Clock(), []

    def slow_enhance(image, settings, progress, should_stop, decision):
        clock.now = 10.0
        progress(0.25)  # a quarter done in 10 s
        seen.append(ui.last("enhance_state"))
        return np.repeat(np.repeat(image, 2, axis=0), 2, axis=1)

    monkeypatch.setattr(enhance, "enhance", slow_enhance)
    tasks, ui, flow, _ = enhancing(tmp_path, clock)
    flow.start(EnhanceSettings(method="bicubic", scale=2, denoise="off"))
    tasks.run()
    running, can_start, fraction, text = seen[0]
    assert running and not can_start and fraction == 0.25
    assert text == "Enhancing: 25 %, about 30 s left; not denoised (denoising off)"


def test_opening_another_picture_cancels_the_enhancement(tmp_path):
    tasks, ui, flow, pictures = enhancing(tmp_path)
    flow.start(EnhanceSettings(method="bicubic", scale=2, denoise="off"))
    token = flow.token
    pictures.open(write_picture(tmp_path / "b.png"))
    assert token.cancelled


# ---------- save ----------
def saving(tmp_path, config, **kwargs):
    tasks, ui, flow, pictures = enhancing(tmp_path)
    flow.start(EnhanceSettings(method="bicubic", scale=2, denoise="off"))
    tasks.run()
    dialogs, save_ui = FakeDialogs(), Recorder()
    return tasks, dialogs, save_ui, SaveFlow(tasks, dialogs, config, save_ui, **kwargs), \
        pictures.current


def test_the_save_dialog_proposes_a_free_name_in_the_last_type_and_folder(tmp_path, config):
    tasks, dialogs, ui, flow, opened = saving(tmp_path, config)
    (tmp_path / "a_enhanced.png").write_bytes(b"taken")
    flow.ask(opened, 90)
    assert dialogs.asked[-1] == ("save", str(tmp_path), "a_enhanced-2", "PNG")
    out = tmp_path / "out"
    out.mkdir()
    dialogs.save_answers = [str(out / "x.jpg")]
    flow.ask(opened, 90)
    tasks.run()
    assert (out / "x.jpg").exists() and "Bicubic 2×" in ui.last("status")[0]
    flow.ask(opened, 90)
    assert dialogs.asked[-1] == ("save", str(out), "a_enhanced", "JPEG")
    assert Settings.load().last_save_type == "JPEG"  # remembered across sessions


def test_save_never_writes_over_the_original_and_no_returns_to_the_dialog(tmp_path, config):
    tasks, dialogs, ui, flow, opened = saving(tmp_path, config)
    keep = tmp_path / "keep.png"
    keep.write_bytes(b"precious")
    dialogs.save_answers = [str(opened.path), str(keep)]
    flow.ask(opened, 90)
    assert "over the original" in dialogs.errors[-1][1] and dialogs.confirmations
    assert keep.read_bytes() == b"precious" and not tasks.jobs


def test_a_long_save_shows_progress_time_left_and_cancel(tmp_path, config):
    from ai_image_classifier.enhance import Cancelled

    clock, flows = Clock(), []

    def slow_write(pixels, target, *, progress, should_stop, **_):
        for step in range(1, 5):
            clock.now += 5
            progress(step / 4)
            if target.name == "cancelled.png" and step == 2:
                flows[0].cancel()  # a person presses Cancel while it writes
            if should_stop():
                raise Cancelled
        return ""

    tasks, dialogs, ui, flow, opened = saving(tmp_path, config, write=slow_write,
                                              can_stop=True, clock=clock)
    flows.append(flow)
    dialogs.save_answers = [str(tmp_path / "big.png")]
    flow.ask(opened, 90)
    running, fraction, text, can_cancel = ui.last("save_state")
    assert running and fraction is None and can_cancel
    clock.now = 3.0
    tasks.timers.pop()()  # a second later, no progress yet: the time so far
    assert "(3 s so far)" in ui.last("save_state")[2]
    tasks.run()
    shown = [state for state in ui.all("save_state") if state[1]]
    assert shown[0][2] == "Saving big.png: 25 %, about 25 s left"  # 8 s for a quarter
    assert ui.last("save_state")[0] is False  # the bar and Cancel are gone
    dialogs.save_answers = [str(tmp_path / "cancelled.png")]
    flow.ask(opened, 90)
    tasks.run()
    assert "Not saved: cancelled" in ui.last("status")[0]
    assert ui.last("save_state")[0] is False and flow.token is None


# ---------- folder scan ----------
def scanning(tmp_path, config, count: int = 5):
    from ai_image_classifier.gui.scan_flow import ScanFlow

    folder = tmp_path / "holiday"
    folder.mkdir()
    for index in range(count):
        write_picture(folder / f"photo_{index}.png")
    (folder / "broken.jpg").write_bytes(b"not a picture")
    loads: list[str | None] = []
    tasks, dialogs, _, models, _ = window(lambda source: loads.append(source) or
                                          FakeClassifier(name="shared"))
    models.load()
    tasks.run()
    ui = Recorder()
    flow = ScanFlow(tasks, models, dialogs, config, folder, ui,
                    lambda: (EnhanceSettings(method="bicubic", scale=2, denoise="off"), 90))
    return tasks, dialogs, ui, flow, models, loads


def test_a_scan_uses_the_windows_model_and_reports_each_picture(tmp_path, config):
    tasks, _, ui, flow, models, loads = scanning(tmp_path, config)
    flow.start()
    tasks.run()
    assert loads == [None]  # the window's one load: the scan loaded no second model
    assert models.classifier.batch_size == 1
    assert len(flow.rows) == 6 and len(ui.all("rows_added")) == 6  # one picture at a time
    texts = [state[1] for state in ui.all("scan_state")]
    assert [t for t in texts if t.startswith("3 of 6")] and texts[-1].startswith("Done: 6 of 6")
    assert "1 unreadable" in texts[-1]


def test_cancel_keeps_the_results_already_computed(tmp_path, config):
    tasks, _, ui, flow, _, _ = scanning(tmp_path, config)
    shown = []

    def rows_added(rows):
        shown.extend(rows)
        if len(shown) == 3:
            flow.cancel()  # Cancel pressed while the fourth picture is being judged
    ui.rows_added = rows_added
    flow.start()
    tasks.run()
    assert len(flow.rows) == len(shown) == 3
    assert flow.summary().startswith("Cancelled: 3 of 6") and ui.last("scan_state")[0] == 0.5


def test_sorting_shows_its_arrow_and_reverses(tmp_path, config):
    tasks, _, ui, flow, _, _ = scanning(tmp_path, config, count=2)
    flow.start()
    tasks.run()
    flow.sort_by("file")
    assert flow.heading("file") == "File ▲" and flow.heading("verdict") == "Verdict"
    first = [row["path"] for row in ui.last("rows_shown")[0]]
    flow.sort_by("file")
    assert flow.heading("file") == "File ▼"
    assert [row["path"] for row in ui.last("rows_shown")[0]] == first[::-1]


def test_enhance_all_asks_for_its_own_folder_and_remembers_it(tmp_path, config):
    tasks, dialogs, ui, flow, _, _ = scanning(tmp_path, config, count=2)
    flow.start()
    tasks.run()
    out = tmp_path / "enhanced"
    out.mkdir()
    dialogs.folder_answers = [str(flow.folder), str(tmp_path), str(out)]
    flow.ask_enhance_all()
    assert [asked[2] for asked in dialogs.asked] == ["Folder for the enhanced copies"] * 3
    assert dialogs.asked[0][1] == str(tmp_path)  # not the scanned folder
    assert "scanned folder itself" in dialogs.errors[0][1]
    assert "holds the scanned folder" in dialogs.errors[1][1]
    tasks.run()
    assert sorted(p.name for p in out.iterdir()) == ["photo_0.png", "photo_1.png"]
    assert ui.last("scan_state")[1].startswith("Enhanced: 2 of 2 written to enhanced")
    flow.ask_enhance_all()
    assert dialogs.asked[-1][1] == str(out)  # remembered
    assert Settings.load().last_output_folder == str(out)


# ---------- settings ----------
@pytest.mark.parametrize("content", ["[]", '{"geometry": 5}', "not json", '{"theme": [1]}',
                                     '{"recent_files": "x", "jpeg_quality": true}'])
def test_damaged_settings_fall_back_to_defaults_with_a_log_line(config, content, caplog):
    from ai_image_classifier.gui.settings import settings_path

    settings_path().parent.mkdir(parents=True)
    settings_path().write_text(content, encoding="utf-8")
    assert Settings.load() == Settings()
    assert caplog.records, "the fallback is logged"


def test_valid_fields_survive_beside_invalid_ones_and_enhance_choices_are_kept(config):
    from ai_image_classifier.gui.settings import settings_path

    settings = Settings(theme="Dark", geometry="1000x700")
    settings.remember_enhance(EnhanceSettings(method="lanczos", scale=4, denoise=7.0))
    settings.save()
    text = settings_path().read_text().replace('"jpeg_quality": 95', '"jpeg_quality": 400')
    settings_path().write_text(text)
    loaded = Settings.load()
    assert (loaded.theme, loaded.geometry, loaded.jpeg_quality) == ("Dark", "1000x700", 95)
    assert loaded.enhance_settings == EnhanceSettings(method="lanczos", scale=4, denoise=7.0)


def test_recent_files_say_where_they_are(config, tmp_path):
    for folder in ("holiday", "work"):
        (tmp_path / folder).mkdir()
        config.remember(write_picture(tmp_path / folder / "IMG_0001.png"))
    labels = list(config.recent_entries())
    assert len(labels) == 2 and all(label.startswith("IMG_0001.png  —  ") for label in labels)
    assert labels[0].endswith("work") and labels[1].endswith("holiday")


def test_time_left_is_said_in_rounded_words():
    from ai_image_classifier.gui.progress import duration

    assert [duration(s) for s in (0.2, 8.4, 42, 80, 110, 725)] == [
        "1 s", "8 s", "40 s", "1 min 20 s", "1 min 50 s", "12 min"]


@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
def test_the_face_outline_lands_on_the_face_of_a_large_rotated_jpeg(tmp_path, orientation):
    """A 12 MP phone photo stored sideways: the region the window outlines (found on the
    pixels it decoded) is on the face, and is the one the draft-decoded CLI path finds."""
    from ai_image_classifier.model_input import load_model_input, prepare_model_input

    from .conftest import SHARED_DATA, require_shared

    face = Image.open(require_shared(SHARED_DATA / "ciplab/fake/easy_100_1111.jpg",
                                     "a face photo")).convert("RGB")
    rng = np.random.default_rng(orientation)
    upright = Image.fromarray(rng.integers(60, 90, (4000, 3000, 3), np.uint8))
    upright.paste(face.resize((1000, 1000)), (1800, 600))  # the face: x 0.60–0.93, y 0.15–0.40
    undo = {1: None, 3: Image.Transpose.ROTATE_180, 6: Image.Transpose.ROTATE_90,
            8: Image.Transpose.ROTATE_270}[orientation]
    stored = upright if undo is None else upright.transpose(undo)
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / "phone.jpg"
    stored.save(path, quality=90, exif=exif.tobytes())
    opened = picture_flow.read_picture(path)
    assert opened.rgb.shape[:2] == (4000, 3000) and opened.preview.size == (1200, 1600)
    shown = prepare_model_input(opened.rgb, 128).face  # what classify_image outlines
    draft = load_model_input(path, 128).face  # what `aiic classify` finds
    assert shown is not None and draft is not None
    centre = ((shown[0] + shown[2]) / 2, (shown[1] + shown[3]) / 2)
    assert 0.60 < centre[0] < 0.93 and 0.15 < centre[1] < 0.40
    assert np.allclose(shown, draft, atol=0.02)


def test_a_heat_map_no_longer_wanted_stops_without_an_error(tmp_path, monkeypatch):
    def heat_map(classifier, opened, should_stop, **_):
        if should_stop():
            raise InterruptedError("no longer wanted")
        return HeatMap(opened.preview, "verdict")

    monkeypatch.setattr(picture_flow, "heat_map", heat_map)
    tasks, _, _, models, pictures = window()
    models.load()
    tasks.run()
    pictures.open(write_picture(tmp_path / "a.png"))
    tasks.run()
    first = pictures.current
    pictures.view_plan("Heatmap", zoomed=False)  # queued in the model lane, then
    pictures.open(write_picture(tmp_path / "b.png"))  # another picture, shown first
    tasks.run("open")
    tasks.run()
    assert first.heat is None and first.pending == {} and first.view_errors == {}


def test_the_verdicts_occlusion_map_covers_the_whole_picture_and_can_stop():
    from ai_image_classifier.classifier import Classifier
    from ai_image_classifier.explain import verdict_occlusion_map

    classifier = Classifier.load()
    if classifier.general is None:
        pytest.skip(f"the whole-picture detector is off here: {classifier.general_off}")
    rng = np.random.default_rng(2)
    image = rng.integers(0, 255, (96, 128, 3), dtype=np.uint8)
    image[:48, :64] = 200  # one flat quarter: hiding tiles changes the score unevenly
    told: list[float] = []
    heat = verdict_occlusion_map(classifier, image, grid=2, progress=told.append)
    assert told == [0.5, 1.0]
    assert heat.shape == (2, 2) and heat.min() >= 0 and heat.max() == pytest.approx(1.0)
    with pytest.raises(InterruptedError):
        verdict_occlusion_map(classifier, image, grid=2, should_stop=lambda: True)


def test_the_uncertain_answer_is_said_in_plain_words():
    from ai_image_classifier.gui.verdict_text import MODEL_ANSWERS

    assert "line" not in MODEL_ANSWERS["uncertain"]
    assert MODEL_ANSWERS["uncertain"].startswith("uncertain (")


def test_the_time_left_of_4x_counts_the_larger_stage_still_to_run(tmp_path, monkeypatch):
    """A deliberately slow fake enhancement, reported as `enhance.enhance` reports it (each
    stage an equal share): denoising for 3 s, then the 4× network for 50 s. After 20 % of the
    time the stated time left stays within ±30 % of the truth; an estimate from the share
    done would say about half of it during the network's first half."""
    from ai_image_classifier import enhance
    from ai_image_classifier.enhance_settings import DenoiseDecision

    clock, checks = Clock(), []
    stage_seconds = (3.0, 50.0)
    total = sum(stage_seconds)

    def slow_enhance(image, settings, progress, should_stop, decision):
        for index, seconds in enumerate(stage_seconds):
            for tile in range(1, 41):
                clock.now += seconds / 40
                progress((index + tile / 40) / len(stage_seconds))
                checks.append((clock.now, flow.time_left_s()))
        return np.repeat(np.repeat(image, 4, axis=0), 4, axis=1)

    monkeypatch.setattr(enhance, "plan_denoise",
                        lambda image, mode: DenoiseDecision(mode, 8.0, 7.0))
    monkeypatch.setattr(enhance, "enhance", slow_enhance)
    tasks, ui, flow, _ = enhancing(tmp_path, clock)
    flow.start(EnhanceSettings(method="learned", scale=4, denoise="auto"))
    tasks.run()
    judged = [(now, left) for now, left in checks if 0.2 * total <= now < total]
    assert len(judged) > 20
    for now, left in judged:
        truth = total - now
        assert left is not None and abs(left - truth) <= 0.3 * truth, (now, left, truth)


def test_enhance_stages_follow_what_enhance_runs():
    from ai_image_classifier.enhance_settings import DenoiseDecision
    from ai_image_classifier.gui.enhance_flow import enhance_stages

    denoised, clean = DenoiseDecision("auto", 8.0, 7.0), DenoiseDecision("auto", 0.0, 1.0)
    assert enhance_stages((10, 20, 3), EnhanceSettings("learned", 4, "auto"), denoised) == [
        ("denoise", 200.0), ("upscale 4×", 3200.0)]
    assert enhance_stages((10, 20, 3), EnhanceSettings("lanczos", 4, "auto"), clean) == []
    assert enhance_stages((10, 20, 3), EnhanceSettings("learned", 1, "auto"), denoised) == [
        ("denoise", 200.0)]


class WholePictureFake(FakeClassifier):
    """Answers like the whole-picture detector: the score is the top-left quarter's
    brightness, so hiding that quarter moves it most."""

    general = object()

    def prepare(self, image):
        return image

    def verdicts(self, images):
        from types import SimpleNamespace

        return [SimpleNamespace(probability=float(image[: len(image) // 2,
                                                        : image.shape[1] // 2].mean()) / 255)
                for image in images]


def test_the_heat_map_comes_coarse_first_with_progress_and_esc_keeps_the_coarse_one(
        tmp_path, monkeypatch):
    from ai_image_classifier.gui import heat as heat_module
    from ai_image_classifier.gui.views import HEAT_COARSE_KEPT, HEAT_STOPPED

    tasks, _, ui, models, pictures = window(lambda source: WholePictureFake())
    models.load()
    pictures.open(write_picture(tmp_path / "a.png", (64, 48)))
    tasks.run()
    opened, said, stops = pictures.current, [], []
    real_heat_map = heat_module.heat_map

    def heat_map(classifier, shown, should_stop, progress, draft):
        def stop_after_the_coarse_map(fraction):
            progress(fraction)
            said.append(pictures.view_plan("Heatmap", zoomed=False))
            if opened.heat is not None and not stops:
                stops.append(fraction)
                pictures.stop_views()  # Esc while the fine map is computed, once

        return real_heat_map(classifier, shown, should_stop, stop_after_the_coarse_map, draft)

    monkeypatch.setattr(picture_flow, "heat_map", heat_map)
    assert pictures.view_plan("Heatmap", zoomed=False).message.startswith(
        "Computing the heat map: starting")
    tasks.run()
    assert said[0].message.startswith("Computing the heat map: 4 %")  # 1 run of 21
    assert said[0].picture == "" and said[-1].picture == "heat"  # the coarse map, then
    assert "finer one is computed" in said[-1].note and "Esc stops it" in said[-1].note
    assert opened.heat is not None and not opened.heat.final  # kept after Esc
    stopped = pictures.view_plan("Heatmap", zoomed=False)
    assert HEAT_COARSE_KEPT in stopped.note and stopped.compute == ""  # not restarted
    pictures.view_plan("Original", zoomed=False)
    assert pictures.view_plan("Heatmap", zoomed=False).compute == "heat"  # chosen anew
    tasks.run()
    assert opened.heat.final and "heat" not in opened.stopped
    opened.heat = None
    pictures.view_plan("Original", zoomed=False)
    pictures.view_plan("Heatmap", zoomed=False)
    pictures.stop_views()
    tasks.run()  # stopped before the coarse map: said, and not started again by itself
    assert opened.heat is None
    assert pictures.view_plan("Heatmap", zoomed=False).message == HEAT_STOPPED


def test_the_heat_maps_colours_are_one_sequential_scale():
    from ai_image_classifier.explain import legend_strip

    strip = legend_strip(64, 2).astype(float)
    brightness = strip[0] @ np.array([0.299, 0.587, 0.114])
    assert np.all(np.diff(brightness) >= -0.5)  # darker to brighter, no rainbow's dip
    assert brightness[-1] - brightness[0] > 150


def test_a_model_loaded_early_is_taken_over_not_loaded_again(monkeypatch):
    from ai_image_classifier.gui import model_flow

    loads: list = []
    monkeypatch.setattr(model_flow.Classifier, "load",
                        lambda source=None: loads.append(source) or FakeClassifier())
    model_flow.load_early(None)  # at app start, before the window module is imported
    tasks = FakeTasks()
    models = ModelFlow(tasks, FakeDialogs(), lambda: "")
    models.load()
    tasks.run()
    assert loads == [None] and models.classifier is not None
    models.load()  # a later load of the same source loads anew
    tasks.run()
    assert loads == [None, None]


def test_a_heat_map_chosen_again_while_its_stopped_run_winds_down_is_computed(
        tmp_path, monkeypatch):
    """Esc, then another view and Heatmap again before the stopped run has noticed: the map
    is computed anew, not reported as stopped."""
    def heat_map(classifier, opened, should_stop, **_):
        if should_stop():
            raise InterruptedError("stopped")
        return HeatMap(opened.preview, "verdict")

    monkeypatch.setattr(picture_flow, "heat_map", heat_map)
    tasks, _, _, models, pictures = window(lambda source: WholePictureFake())
    models.load()
    pictures.open(write_picture(tmp_path / "a.png", (64, 48)))
    tasks.run()
    opened = pictures.current
    pictures.view_plan("Heatmap", zoomed=False)  # queued in the model lane
    pictures.stop_views()  # Esc
    pictures.view_plan("Original", zoomed=False)
    pictures.view_plan("Heatmap", zoomed=False)  # chosen anew before the run noticed
    tasks.run()
    assert "heat" not in opened.stopped and opened.heat is not None


def test_a_large_result_is_previewed_band_by_band_as_one_pass_would(monkeypatch):
    """A 4× result is box-reduced in bands (never copied whole by Pillow); the preview is
    the one a whole-picture thumbnail gives, with no seam between bands."""
    from PIL import Image

    from ai_image_classifier.gui.formatting import PREVIEW_BAND, PREVIEW_MAX, make_preview

    height = 2 * PREVIEW_BAND * 3 + 7  # bands of 3 × PREVIEW_BAND rows, the last one short
    y, x = np.mgrid[0:height, 0 : 3 * 2 * PREVIEW_MAX + 5].astype(np.float32)
    luma = 100 + 60 * np.sin(x / 97) * np.cos(y / 61) + y / 20  # 40..235
    image = np.repeat(luma.astype(np.uint8)[..., None], 3, axis=2)
    whole = Image.fromarray(image)
    whole.thumbnail((PREVIEW_MAX, PREVIEW_MAX), Image.Resampling.BILINEAR, reducing_gap=2.0)
    rows_copied, fromarray = [], Image.fromarray
    monkeypatch.setattr(Image, "fromarray",
                        lambda array, *a: rows_copied.append(len(array)) or fromarray(array, *a))
    preview = np.asarray(make_preview(image)).astype(int)
    assert max(rows_copied) == 3 * PREVIEW_BAND  # never the whole array at once
    assert preview.shape == np.asarray(whole).shape
    assert np.abs(preview - np.asarray(whole)).max() <= 2


def test_warm_up_loads_the_network_the_chosen_scale_needs(tmp_path, monkeypatch):
    """The remembered choice says which network to load after the first verdict: the 4×
    one for 4×, none for another method or 1×, and only once."""
    from ai_image_classifier import enhance

    loaded = []
    monkeypatch.setattr(enhance, "learned_upscaler", loaded.append)
    tasks, _, flow, _ = enhancing(tmp_path)
    flow.warm_up(EnhanceSettings(method="lanczos", scale=4))
    flow.warm_up(EnhanceSettings(method="learned", scale=1, denoise="auto"))
    tasks.run()
    assert loaded == []
    flow.warm_up(EnhanceSettings(method="learned", scale=4))
    flow.warm_up(EnhanceSettings(method="learned", scale=2))
    tasks.run()
    assert loaded == [4]
