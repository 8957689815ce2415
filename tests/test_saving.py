"""Saving keeps what the file declared, records our enhancement honestly, says what a format
cannot keep, reports progress, can be cancelled, and copes with file systems without hard
links and folders shared between machines."""

from __future__ import annotations

import errno
import io
import json
import os
import time

import numpy as np
import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from ai_image_classifier import saving
from ai_image_classifier.batch import BatchItem, enhance_file
from ai_image_classifier.declarations import UNSIGNED
from ai_image_classifier.enhance_settings import EnhanceSettings
from ai_image_classifier.metadata import APP, enhancement_xmp
from ai_image_classifier.provenance import read_provenance, xmp_facts
from ai_image_classifier.saving import (
    HOST,
    PARTIAL_PREFIX,
    SaveCancelled,
    read_metadata,
    save_image,
)

from .test_provenance import A1111, COMFY_PROMPT, XMP

FORMATS = (".png", ".jpg", ".webp", ".tif")
QUICK = EnhanceSettings(method="bicubic", scale=2, denoise="off")


def picture(seed: int = 0, size: tuple[int, int] = (48, 64)) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (*size, 3), dtype=np.uint8)


def sources(folder) -> dict[str, object]:
    """Files declaring a generator in each way one can, by name."""
    made = {}
    for name, chunks in (("a1111", {"parameters": A1111}),
                         ("comfyui", {"prompt": COMFY_PROMPT,
                                      "workflow": json.dumps({"nodes": [{"id": 1}]}),
                                      "Title": "kept in PNG only"})):
        info = PngInfo()
        for key, value in chunks.items():
            info.add_text(key, value)
        Image.fromarray(picture()).save(folder / f"{name}.png", pnginfo=info)
        made[name] = folder / f"{name}.png"
    xmp = folder / "iptc.jpg"
    Image.fromarray(picture()).save(xmp, xmp=XMP.format(code="trainedAlgorithmicMedia").encode())
    made["iptc"] = xmp
    exif = Image.Exif()
    exif[0x0131] = "Midjourney v6"
    software = folder / "software.webp"
    Image.fromarray(picture()).save(software, exif=exif.tobytes())
    made["software"] = software
    return made


@pytest.mark.parametrize("suffix", FORMATS)
def test_declarations_survive_enhance_and_save(tmp_path, suffix):
    for name, source in sources(tmp_path).items():
        before = read_provenance(source).generated
        target = tmp_path / f"{name}_out{suffix}"
        result = enhance_file(BatchItem(source, target), QUICK)
        assert result.status == "done", result.message
        after = read_provenance(target).generated
        assert before and all(text.startswith(UNSIGNED) for text in after)
        # The same declarations, wherever the format keeps them (PNG text becomes EXIF
        # UserComment outside PNG, as AUTOMATIC1111 writes it).
        def what(texts):
            return sorted(t.split(": ", 1)[1].replace("EXIF UserComment", "PNG text chunk")
                          for t in texts)

        assert what(after) == what(before), (name, suffix)
        if name == "comfyui" and suffix != ".png":
            assert "Title" in result.message  # what the format could not keep is said


@pytest.mark.parametrize("suffix", FORMATS)
def test_our_enhancement_is_recorded_in_xmp_and_never_reads_as_generated(tmp_path, suffix):
    source = tmp_path / "photo.jpg"
    Image.fromarray(picture()).save(source, xmp=XMP.format(code="digitalCapture").encode())
    target = tmp_path / f"out{suffix}"
    assert enhance_file(BatchItem(source, target), QUICK).status == "done"
    with Image.open(target) as saved:
        facts = xmp_facts(saved)
    assert facts.source_types == ("algorithmicallyEnhanced",)  # replaces the capture claim
    assert APP in facts.creator_tools
    provenance = read_provenance(target)
    assert provenance.generated == ()
    assert any("algorithmicallyEnhanced" in note for note in provenance.notes)


def test_a_generated_declaration_in_xmp_is_not_replaced_by_our_mark():
    packet = enhancement_xmp(XMP.format(code="compositeWithTrainedAlgorithmicMedia").encode())
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, "JPEG", xmp=packet)
    facts = xmp_facts(Image.open(buffer))
    assert facts.source_types == ("compositeWithTrainedAlgorithmicMedia",)
    assert facts.creator_tools == (APP,)


def test_the_link_to_the_originals_c2pa_manifest_is_dropped():
    linked = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/'
              '02/22-rdf-syntax-ns#"><rdf:Description xmlns:dcterms="http://purl.org/dc/terms/" '
              'dcterms:provenance="https://example.com/m.c2pa"/></rdf:RDF></x:xmpmeta>')
    packet = enhancement_xmp(linked.encode())
    assert b"m.c2pa" not in packet and b"algorithmicallyEnhanced" in packet


def test_a_damaged_or_hostile_xmp_packet_is_replaced_by_a_fresh_one():
    for packet in (b"<x:xmpmeta", b"<!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>", b"\xff\xfe"):
        assert b"algorithmicallyEnhanced" in enhancement_xmp(packet)
    deep = b"<x:xmpmeta xmlns:x='adobe:ns:meta/'>" + b"<a>" * 5000 + b"</a>" * 5000 + \
        b"</x:xmpmeta>"
    assert b"algorithmicallyEnhanced" in enhancement_xmp(deep)


def test_bmp_and_a_c2pa_manifest_say_what_was_not_kept(tmp_path):
    from .test_content_credentials import signed_picture

    signed = tmp_path / "signed.jpg"
    signed.write_bytes(signed_picture("trainedAlgorithmicMedia"))
    note = save_image(picture(), tmp_path / "out.png", metadata=read_metadata(signed)).note
    assert "C2PA manifest" in note and "cannot survive an edit" in note
    declared = read_metadata(sources(tmp_path)["a1111"])
    note = save_image(picture(), tmp_path / "out.bmp", metadata=declared).note
    assert "BMP cannot hold" in note and "text chunks" in note
    assert save_image(picture(), tmp_path / "out2.png", metadata=declared).note == ""


@pytest.mark.parametrize("shape", [(37, 50, 3), (300, 20, 3), (33, 41, 4), (600, 7)])
def test_png_keeps_the_exact_pixels_and_reports_progress(tmp_path, shape):
    image = np.random.default_rng(1).integers(0, 256, shape, dtype=np.uint8)
    seen: list[float] = []
    target = save_image(image, tmp_path / "out.png", progress=seen.append).path
    with Image.open(target) as saved:
        assert np.array_equal(np.asarray(saved), image)
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)
    assert len(seen) >= 2 + shape[0] // saving.PNG_BAND_ROWS


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".tif"])
def test_a_cancelled_save_leaves_nothing(tmp_path, suffix):
    image = picture(size=(1200, 900))
    calls = iter([False, False])
    with pytest.raises(SaveCancelled):
        save_image(image, tmp_path / f"out{suffix}", should_stop=lambda: next(calls, True))
    assert list(tmp_path.iterdir()) == []
    old = tmp_path / f"old{suffix}"
    old.write_bytes(b"the user's file")
    with pytest.raises(SaveCancelled):
        save_image(image, old, overwrite=True, should_stop=lambda: True)
    assert [p.name for p in tmp_path.iterdir()] == [old.name]
    assert old.read_bytes() == b"the user's file"


@pytest.mark.parametrize("error", [errno.EINVAL, errno.EPERM, errno.EOPNOTSUPP, errno.EIO])
def test_a_file_system_without_hard_links_still_saves_new_files(tmp_path, monkeypatch, error):
    def no_links(*_args):
        raise OSError(error, os.strerror(error))

    monkeypatch.setattr(saving.os, "link", no_links)
    target = save_image(picture(), tmp_path / "new.png").path
    assert np.array_equal(np.asarray(Image.open(target)), picture())
    assert [p.name for p in tmp_path.iterdir()] == ["new.png"]


def test_only_this_hosts_dead_partial_files_are_removed(tmp_path):
    dead_pid = 2 ** 22 + 12345  # above Linux's largest process id
    mine = tmp_path / f"{PARTIAL_PREFIX}{HOST}-{dead_pid}-aaaa.png"
    other_host = tmp_path / f"{PARTIAL_PREFIX}otherhost-{dead_pid}-bbbb.png"
    old_format = tmp_path / f"{PARTIAL_PREFIX}{dead_pid}-cccc.png"
    for path in (mine, other_host, old_format):
        path.write_bytes(b"partial")
        os.utime(path, (time.time() - 60, time.time() - 60))
    target = save_image(picture(), tmp_path / "next.png").path
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [target.name, other_host.name, old_format.name])


def test_a_cancel_while_a_batch_item_saves_cancels_the_batch(tmp_path, monkeypatch):
    from ai_image_classifier import batch
    from ai_image_classifier.enhance import Cancelled

    saving_started = []
    real_save = batch.save_image

    def save(*args, **kwargs):
        saving_started.append(True)
        return real_save(*args, **kwargs)

    monkeypatch.setattr(batch, "save_image", save)
    source = tmp_path / "a.png"
    Image.fromarray(picture()).save(source)
    with pytest.raises(Cancelled):
        enhance_file(BatchItem(source, tmp_path / "out.png"), QUICK,
                     should_stop=lambda: bool(saving_started))
    assert [p.name for p in tmp_path.iterdir()] == ["a.png"]


# ---------- nothing is lost on save (issue 23) ----------
def big_xmp(code: str, size: int = 70_000) -> bytes:
    """A packet declaring `code`, padded by a long description past one JPEG segment."""
    filler = ('<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:description>'
              + "x" * size + "</dc:description></rdf:Description></rdf:RDF>")
    return XMP.format(code=code).replace("</rdf:RDF>", filler).encode()


def srgb() -> bytes:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def test_oversized_exif_to_jpeg_keeps_the_colour_profile_and_xmp_and_names_the_loss(tmp_path):
    exif = Image.Exif()
    exif[0x010E] = "a very long caption " * 3600  # ImageDescription: about 70 KB
    source = tmp_path / "big_exif.png"
    Image.fromarray(picture()).save(source, exif=exif.tobytes(), icc_profile=srgb(),
                                    pnginfo=_xmp_chunk(XMP.format(code="digitalCapture")))
    saved = save_image(picture(), tmp_path / "out.jpg", metadata=read_metadata(source))
    with Image.open(saved.path) as result:
        assert result.info["icc_profile"] == srgb()
        assert xmp_facts(result).source_types == ("algorithmicallyEnhanced",)
        assert not result.getexif()
    assert "EXIF (70 KB) is larger than JPEG allows: not kept" in saved.note


def _xmp_chunk(packet: str | bytes) -> PngInfo:
    info = PngInfo()
    info.add_itxt("XML:com.adobe.xmp", packet if isinstance(packet, str) else packet.decode())
    return info


def generated_sources(folder) -> dict[str, object]:
    """Generated pictures whose XMP a save cannot carry as it is: too large for one JPEG
    segment, padded with NULs (which Pillow, and so the verdict, strips), or cut short."""
    declared = XMP.format(code="trainedAlgorithmicMedia")
    large = folder / "large_xmp.png"
    Image.fromarray(picture()).save(large, pnginfo=_xmp_chunk(big_xmp("trainedAlgorithmicMedia")))
    padded = folder / "padded_xmp.jpg"
    Image.fromarray(picture()).save(padded, xmp=declared.encode() + b"\0" * 16)
    cut = folder / "cut_xmp.png"
    Image.fromarray(picture()).save(cut, pnginfo=_xmp_chunk(declared[:-12]))  # no </x:xmpmeta>
    return {"large": large, "padded": padded, "cut": cut}


@pytest.mark.parametrize("suffix", FORMATS)
def test_a_generated_picture_with_a_large_or_unparsable_xmp_stays_declared_generated(
        tmp_path, suffix):
    for name, source in generated_sources(tmp_path).items():
        target = tmp_path / f"{name}_out{suffix}"
        result = enhance_file(BatchItem(source, target), QUICK)
        assert result.status == "done", result.message
        generated = read_provenance(target).generated
        assert any("trainedAlgorithmicMedia" in text for text in generated), (name, suffix)
        with Image.open(target) as saved:
            assert "algorithmicallyEnhanced" not in xmp_facts(saved).source_types
        if name == "large" and suffix == ".jpg":
            assert "XMP (" in result.message and "declared trainedAlgorithmicMedia" in \
                result.message


def test_generator_parameters_too_large_for_jpeg_leave_the_picture_declared_generated(tmp_path):
    info = PngInfo()
    info.add_text("parameters", A1111 + " " + "masterpiece, " * 6000)
    source = tmp_path / "huge_parameters.png"
    Image.fromarray(picture()).save(source, pnginfo=info)
    saved = save_image(picture(), tmp_path / "out.jpg", metadata=read_metadata(source))
    assert "the generator's text (parameters) is too large" in saved.note
    assert any("trainedAlgorithmicMedia" in text for text in read_provenance(saved.path).generated)


def _exif_declaring(oversized: bool) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0131] = "Midjourney v6"  # Software: a generator naming itself
    if oversized:
        exif[0x010E] = "x" * 80_000  # ImageDescription: past JPEG's 64 KB EXIF segment
    return exif


@pytest.mark.parametrize("suffix", FORMATS)
def test_a_declaration_in_exif_or_a_jpeg_comment_survives_a_save_that_cannot_carry_it(
        tmp_path, suffix):
    """Declared in EXIF too large for JPEG (dropped), or in a JPEG comment (no other format
    holds one): the saved copy still declares itself generated (in its XMP where the part
    that declared it could not be carried)."""
    sources = {"exif": tmp_path / "exif.png", "comment": tmp_path / "comment.jpg"}
    Image.fromarray(picture()).save(sources["exif"], exif=_exif_declaring(oversized=True))
    Image.fromarray(picture()).save(sources["comment"], comment=b"Midjourney v6")
    for name, source in sources.items():
        assert read_provenance(source).generated, name
        saved = save_image(picture(), tmp_path / f"{name}_out{suffix}",
                           metadata=read_metadata(source))
        assert read_provenance(saved.path).generated, (name, suffix)


def test_saved_exif_describes_the_saved_pixels(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6
    exif.get_ifd(0x8769).update({0xA002: 640, 0xA003: 480})  # ExifImageWidth/Height
    source = tmp_path / "photo.jpg"
    Image.fromarray(picture(size=(480, 640))).save(source, exif=exif.tobytes())
    for suffix in FORMATS:
        saved = save_image(picture(size=(960, 1280)), tmp_path / f"out{suffix}",
                           metadata=read_metadata(source))
        with Image.open(saved.path) as result:
            written = result.getexif()
            assert written.get_ifd(0x8769)[0xA002] == 1280, suffix
            assert written.get_ifd(0x8769)[0xA003] == 960, suffix
            assert written[0x0112] == 1


def test_the_history_names_only_the_steps_that_ran(tmp_path):
    from ai_image_classifier.forensics import xmp_history

    source = tmp_path / "clean.png"
    Image.fromarray(np.full((40, 50, 3), 128, np.uint8)).save(source)
    target = tmp_path / "out.png"
    result = enhance_file(BatchItem(source, target), EnhanceSettings(method="bicubic", scale=2))
    assert "no noise found" in result.message  # Auto measured and removed nothing
    with Image.open(target) as saved:
        history = xmp_history(saved.info["xmp"])
    assert len(history) == 1 and history[0].endswith("enhanced by algorithm (upscaling)")
    assert APP in history[0]


def test_a_part_the_encoder_refuses_is_dropped_alone_and_named(tmp_path, monkeypatch):
    real_save = Image.Image.save

    def refuses_exif(self, fp, format=None, **options):  # noqa: A002 - Pillow's name
        if "exif" in options:
            raise ValueError("EXIF refused")
        return real_save(self, fp, format, **options)

    monkeypatch.setattr(Image.Image, "save", refuses_exif)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    metadata = saving.Metadata(exif=exif.tobytes(), icc_profile=srgb())
    saved = save_image(picture(), tmp_path / "out.webp", metadata=metadata)
    monkeypatch.undo()
    with Image.open(saved.path) as result:
        assert result.info["icc_profile"] == srgb()
    assert "EXIF could not be written as WEBP (EXIF refused): not kept" in saved.note


def test_a_text_key_png_does_not_allow_is_named(tmp_path):
    metadata = saving.Metadata(text=(("Title", "kept"), ("ключ", "dropped")))
    saved = save_image(picture(), tmp_path / "out.png", metadata=metadata)
    assert "'ключ'" in saved.note
    with Image.open(saved.path) as result:
        assert result.text == {"Title": "kept", "XML:com.adobe.xmp": result.text[
            "XML:com.adobe.xmp"]}


def test_the_folder_is_synced_after_the_file_takes_its_name(tmp_path, monkeypatch):
    import stat

    synced = []
    real_fsync = os.fsync

    def fsync(handle):
        synced.append(stat.S_ISDIR(os.fstat(handle).st_mode))
        return real_fsync(handle)

    monkeypatch.setattr(saving.os, "fsync", fsync)
    save_image(picture(), tmp_path / "new.png")
    save_image(picture(), tmp_path / "new.png", overwrite=True)
    if os.name == "posix":
        assert synced == [False, True, False, True]


def test_an_xmp_packet_that_is_replaced_is_named(tmp_path):
    deep = b"<x:xmpmeta xmlns:x='adobe:ns:meta/'>" + b"<a>" * 5000 + b"</a>" * 5000 + \
        b"</x:xmpmeta>"
    for index, packet in enumerate((b"<x:xmpmeta", deep)):
        saved = save_image(picture(), tmp_path / f"out{index}.png",
                           metadata=saving.Metadata(xmp=packet))
        assert "a new packet replaces it" in saved.note
    kept = saving.Metadata(xmp=XMP.format(code="digitalCapture").encode())
    assert save_image(picture(), tmp_path / "kept.png", metadata=kept).note == ""


def test_the_save_fuzz_finds_nothing_in_a_few_hundred_inputs():
    from .corpus.fuzz_save import fuzz

    result = fuzz(300, seed=7)
    assert result["saves"] == 300 * 5
    assert result["findings"] == []


def test_a_colour_profile_png_readers_refuse_is_not_written_into_a_png(tmp_path):
    large = srgb() + bytes(2 * 1024 * 1024)  # past what Pillow inflates from a PNG's iCCP
    for suffix in (".png", ".jpg"):
        saved = save_image(picture(), tmp_path / f"out{suffix}",
                           metadata=saving.Metadata(icc_profile=large))
        with Image.open(saved.path) as result:
            result.load()
            assert (result.info.get("icc_profile") == large) == (suffix == ".jpg")
        assert ("colour profile (2.0 MB)" in saved.note) == (suffix == ".png")
