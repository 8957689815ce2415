"""Decoding: every colour mode to the same RGB, and a readable error for every bad input."""

from __future__ import annotations

import io
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ai_image_classifier.imaging import (
    ImageDecodeError,
    ImageTooLargeError,
    load_rgb,
    open_header,
    open_rgb,
    read_bytes,
)
from ai_image_classifier.limits import MAX_FILE_BYTES
from ai_image_classifier.model_input import load_model_input, to_model_input
from ai_image_classifier.provenance import read_provenance

from .conftest import gradient
from .corpus.hostile import png_declaring


def save(image: Image.Image, path: Path, **options) -> Path:
    image.save(path, **options)
    return path


def test_rgb_png_round_trips_exactly(tmp_path, rgb_image):
    path = save(Image.fromarray(rgb_image), tmp_path / "a.png")
    assert np.array_equal(load_rgb(path), rgb_image)


def test_bytes_and_path_decode_alike(jpeg_file):
    assert np.array_equal(load_rgb(jpeg_file.read_bytes()), load_rgb(jpeg_file))


@pytest.mark.parametrize("mode", ["L", "1", "P", "CMYK", "YCbCr", "RGBA", "LA"])
def test_modes_become_rgb(tmp_path, rgb_image, mode):
    image = Image.fromarray(rgb_image).convert(mode)
    suffix = ".jpg" if mode in ("CMYK", "YCbCr") else ".png" if mode != "CMYK" else ".tif"
    path = save(image, tmp_path / f"img{suffix}")
    array = load_rgb(path)
    assert array.dtype == np.uint8 and array.shape == (48, 64, 3)


def test_alpha_is_composited_on_white(tmp_path):
    rgba = np.zeros((10, 10, 4), np.uint8)
    rgba[..., 0] = 255  # red
    rgba[:, 5:, 3] = 255  # right half opaque, left half transparent
    array = load_rgb(save(Image.fromarray(rgba, "RGBA"), tmp_path / "t.png"))
    assert array[0, 0].tolist() == [255, 255, 255]
    assert array[0, 9].tolist() == [255, 0, 0]


def test_palette_transparency_is_composited_on_white(tmp_path):
    image = Image.new("P", (4, 4), 0)
    image.putpalette([0, 0, 0, 0, 255, 0] + [0] * 762)
    image.putpixel((3, 3), 1)
    path = save(image, tmp_path / "p.png", transparency=0)
    array = load_rgb(path)
    assert array[0, 0].tolist() == [255, 255, 255]
    assert array[3, 3].tolist() == [0, 255, 0]


def test_16_bit_gray_is_scaled_not_clipped(tmp_path):
    values = np.array([[0, 32896, 65535]], dtype=np.uint16)
    path = save(Image.fromarray(values), tmp_path / "g16.png")
    assert load_rgb(path)[0, :, 0].tolist() == [0, 128, 255]


def test_exif_orientation_is_applied(tmp_path, rgb_image):
    image = Image.fromarray(rgb_image)  # 64 wide, 48 high
    exif = image.getexif()
    exif[0x0112] = 6  # stored sideways: viewers rotate 90° clockwise
    path = save(image, tmp_path / "rot.jpg", exif=exif, quality=95)
    array = load_rgb(path)
    assert array.shape == (64, 48, 3)


def test_first_frame_of_animation(tmp_path):
    frames = [Image.new("RGB", (8, 8), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:])
    assert load_rgb(path)[0, 0].tolist() == [255, 0, 0]


def test_wrong_extension_is_decoded_by_content(tmp_path, rgb_image):
    path = save(Image.fromarray(rgb_image), tmp_path / "really_a_png.jpg", format="PNG")
    assert np.array_equal(load_rgb(path), rgb_image)


def test_non_latin_path(tmp_path, rgb_image):
    folder = tmp_path / "фото 写真"
    folder.mkdir()
    path = save(Image.fromarray(rgb_image), folder / "лицо_顔.png")
    assert np.array_equal(load_rgb(path), rgb_image)


def test_heif_decodes(tmp_path, rgb_image):
    pillow_heif = pytest.importorskip("pillow_heif")
    path = tmp_path / "phone.heic"
    pillow_heif.from_pillow(Image.fromarray(rgb_image)).save(path, quality=90)
    assert load_rgb(path).shape == rgb_image.shape


def test_empty_file(tmp_path):
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    with pytest.raises(ImageDecodeError, match="empty"):
        load_rgb(path)


def test_missing_file(tmp_path):
    with pytest.raises(ImageDecodeError, match="not found"):
        load_rgb(tmp_path / "nope.png")


def test_not_an_image(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("hello, not a picture")
    with pytest.raises(ImageDecodeError, match="not an image"):
        load_rgb(path)


def test_truncated_jpeg(tmp_path, jpeg_file):
    data = jpeg_file.read_bytes()
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageDecodeError, match="truncated"):
        load_rgb(path)


def test_pixel_limit(tmp_path, jpeg_file):
    with pytest.raises(ImageTooLargeError, match="64 × 48 = 0.0031 MP; the limit is 0.001 MP"):
        load_rgb(jpeg_file, max_pixels=1000)


def test_decompression_bomb_gets_a_message():
    buffer = io.BytesIO()
    Image.new("1", (20000, 10000)).save(buffer, format="PNG")  # 200 MP, tiny file
    with pytest.raises(ImageTooLargeError, match="too large to open safely: 20000 × 10000 = "
                                                 "200 MP; the limit is 120 MP"):
        load_rgb(buffer.getvalue())  # refused by Pillow's own bomb check, before ours


def test_a_picture_over_the_limit_says_its_size_and_the_limit():
    with pytest.raises(ImageTooLargeError, match="12000 × 11000 = 132 MP; the limit is 120 MP"):
        open_header(png_declaring(12000, 11000))


class CountingStream(io.BytesIO):
    """A file that counts the bytes read from it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk


def test_a_header_over_the_limit_is_refused_before_the_file_is_read():
    stream = CountingStream(png_declaring(13000, 13000) + bytes(20_000_000))
    with pytest.raises(ImageTooLargeError, match="169 MP"):
        read_bytes(stream)
    assert stream.bytes_read < 1_000_000


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path, jpeg_file):
    huge = tmp_path / "padded.jpg"
    huge.write_bytes(jpeg_file.read_bytes())
    with huge.open("r+b") as handle:  # sparse: no disk or memory spent
        handle.truncate(MAX_FILE_BYTES + 1)
    tracemalloc.start()
    try:
        with pytest.raises(ImageTooLargeError, match="the file is 1.0 GB; .* limit .* is 1 GB"):
            read_bytes(huge)
        assert tracemalloc.get_traced_memory()[1] < 10_000_000  # refused before reading
    finally:
        tracemalloc.stop()
    assert read_provenance(huge).generated == ()


@pytest.fixture(scope="module")
def jpeg_over_the_limit(tmp_path_factory) -> Path:
    """A plain 121 MP grey JPEG that says it was made by a generator: cheap to write."""
    path = tmp_path_factory.mktemp("large") / "large.jpg"
    Image.new("L", (11_000, 11_000), 128).save(path, quality=50, comment="Midjourney v6")
    return path


def test_a_jpeg_over_the_limit_is_classified_at_a_draft_reduction(jpeg_over_the_limit):
    with pytest.raises(ImageTooLargeError, match="11000 × 11000 = 121 MP"):
        load_rgb(jpeg_over_the_limit)  # viewing and enhancing want every pixel
    assert load_model_input(jpeg_over_the_limit, 32, general=True).size == (5500, 5500)
    assert read_provenance(jpeg_over_the_limit).generated  # its declaration is still read


def test_shrinking_to_fit_takes_the_smallest_draft_reduction(tmp_path):
    path = tmp_path / "photo.jpg"
    Image.fromarray(gradient(1000, 600)).save(path)
    assert open_rgb(path, max_pixels=300_000, shrink_to_fit=True).size == (500, 300)
    assert open_rgb(path, max_pixels=100_000, shrink_to_fit=True).size == (250, 150)


def test_model_input_is_square_uint8(rgb_image):
    out = to_model_input(rgb_image, 32)
    assert out.shape == (32, 32, 3) and out.dtype == np.uint8


def test_draft_decoding_matches_full_decoding_closely(tmp_path):
    big = np.kron(gradient(200, 150), np.ones((8, 8, 1), np.uint8))  # 1600×1200 smooth
    path = save(Image.fromarray(big), tmp_path / "big.jpg", quality=95)
    drafted = load_model_input(path, 32, find_faces=False).pixels.astype(int)
    full = to_model_input(load_rgb(path), 32).astype(int)
    assert open_rgb(path, draft_size=64).size[0] < 1600  # the draft really shrank the decode
    assert np.abs(drafted - full).max() <= 4
