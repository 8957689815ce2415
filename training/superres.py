"""Train a learned upscaler (2× or 4×): photographs → low-resolution patches → a small
network → LiteRT export → model card.

    python -m training.superres                 # make train-upscaler; writes runs/upscaler/
    python -m training.superres --scale 4 --patch 128 --epochs 12   # the 4× network
    python -m training.superres --out model/upscaler --overwrite   # replace the shipped one

The network (FSRCNN's shape with ESPCN's sub-pixel output) works on luma at low resolution and
adds what it learns to a fixed bicubic upscale inside the graph, so an untrained network is
already bicubic and training only has to learn the detail bicubic misses. Each patch is made
smaller with a filter drawn from `--downscales` and may get noise and a JPEG round trip
(`--noise-probability`, `--jpeg-probability`): a network trained on one kind of input loses on
another, but every share of damage costs PSNR on clean pictures, which come first. Pictures
come from the `real` side of the `--data` folders (paintings excluded) and from every picture
of the `--renders` folders (generators' native pixels: sharp and noise-free); Set5/Set14 are
only measured, never trained on.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import keras
import numpy as np
from keras import layers
from PIL import Image

from ai_image_classifier.datasets import read_manifest
from ai_image_classifier.imaging import load_rgb
from ai_image_classifier.opencv import import_cv2
from ai_image_classifier.superres import LearnedUpscaler, to_ycrcb
from training.image_quality import matlab_like_downscale

from .data import DEFAULT_DATA, PROJECT_ROOT
from .superres_eval import NOISY_PROTOCOL, measure, speed_ms_per_megapixel, sr_eval_sets

cv2 = import_cv2()
DEFAULT_DATA_DIRS = [DEFAULT_DATA, DEFAULT_DATA.parent / "data-general"]
TRAINING_PHOTO_DIRS = [*DEFAULT_DATA_DIRS, DEFAULT_DATA.parent / "data-wild"]
RENDER_DIRS = [DEFAULT_DATA.parent / "data-modern"]
NOT_PHOTOGRAPHS = frozenset({"wikiart"})  # real, but paintings: not what we learn detail from


# --- the network ---------------------------------------------------------------------------

@keras.saving.register_keras_serializable(package="aiic")
class PixelShuffle(layers.Layer):
    """ESPCN's sub-pixel step: s² channels at H×W → 1 channel at sH×sW."""

    def __init__(self, scale: int = 2, **kwargs) -> None:
        super().__init__(**kwargs)
        self.scale = scale

    def call(self, inputs):
        return keras.ops.depth_to_space(inputs, self.scale)

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = input_shape
        height, width = (None if n is None else self.scale * n for n in (height, width))
        return batch, height, width, channels // self.scale**2

    def get_config(self) -> dict:
        return {**super().get_config(), "scale": self.scale}


def bicubic_phase_kernel(scale: int = 2, a: float = -0.75) -> np.ndarray:
    """A 5×5 convolution whose scale² outputs, pixel-shuffled, are a bicubic upscale.

    With half-pixel centres, output pixel s·i + p samples the input at i + (p + ½)/s − ½ (for
    2×: i − ¼ and i + ¼); `a` = −0.75 is OpenCV's cubic, which upscales the chroma planes
    beside it.
    """
    def weight(x: float) -> float:
        x = abs(x)
        if x <= 1:
            return (a + 2) * x**3 - (a + 3) * x**2 + 1
        return a * x**3 - 5 * a * x**2 + 8 * a * x - 4 * a if x < 2 else 0.0

    # taps at offsets −2..2 around i for each phase
    shifts = [(phase + 0.5) / scale - 0.5 for phase in range(scale)]
    phases = [np.array([weight(o - shift) for o in (-2, -1, 0, 1, 2)]) for shift in shifts]
    kernel = np.zeros((5, 5, 1, scale * scale), np.float32)
    for dy in range(scale):
        for dx in range(scale):
            kernel[:, :, 0, dy * scale + dx] = np.outer(phases[dy], phases[dx])
    return kernel


def build_upscaler(features: int = 56, shrink: int = 20, mapping: int = 4, scale: int = 2
                   ) -> keras.Model:
    """Luma at H×W (0..1) → luma at sH×sW: bicubic plus a learned residual."""
    inputs = keras.Input((None, None, 1), name="luma")
    x = layers.Conv2D(features, 5, padding="same", activation="relu", name="extract")(inputs)
    x = layers.Conv2D(shrink, 1, activation="relu", name="shrink")(x)
    for index in range(mapping):
        x = layers.Conv2D(shrink, 3, padding="same", activation="relu", name=f"map{index}")(x)
    x = layers.Conv2D(features, 1, activation="relu", name="expand")(x)
    phases = scale * scale
    residual = layers.Conv2D(phases, 3, padding="same", kernel_initializer="zeros",
                             name="detail")(x)
    bicubic = layers.Conv2D(phases, 5, padding="same", use_bias=False, trainable=False,
                            name="bicubic")(inputs)
    outputs = PixelShuffle(scale, name="shuffle")(layers.Add()([bicubic, residual]))
    model = keras.Model(inputs, outputs,
                        name=f"upscaler_x{scale}_f{features}_s{shrink}_m{mapping}")
    model.get_layer("bicubic").set_weights([bicubic_phase_kernel(scale)])
    return model


def receptive_margin(mapping: int) -> int:
    """Low-resolution pixels a tile must overlap: 5×5, `mapping` 3×3s and a 3×3, plus one."""
    return 2 + mapping + 1 + 1


def macs_per_pixel(model: keras.Model) -> int:
    """Multiply-adds per low-resolution pixel (every convolution runs at that resolution)."""
    total = 0
    for layer in model.layers:
        if isinstance(layer, layers.Conv2D):
            kh, kw, c_in, c_out = layer.kernel.shape
            total += kh * kw * c_in * c_out
    return total


# --- data -----------------------------------------------------------------------------------

def photograph_paths(data_dirs: list[Path], split: str,
                     exclude: frozenset[str] = NOT_PHOTOGRAPHS,
                     labels: frozenset[str] = frozenset({"real"})) -> list[Path]:
    """Pictures of `split` with one of `labels` from every data folder's manifest, but
    `exclude`'s sources."""
    paths = []
    for folder in data_dirs:
        paths += [item.path for item in read_manifest(folder)
                  if item.split == split and item.label in labels
                  and item.source not in exclude]
    return paths


def load_photographs(paths: list[Path]) -> list[np.ndarray]:
    with ThreadPoolExecutor() as pool:
        return list(pool.map(lambda path: load_rgb(path), paths))


def downscale(rgb: np.ndarray, kernel: str, factor: int = 2) -> np.ndarray:
    """1/`factor` of the size with one of the filters people's pictures were made smaller
    with."""
    height, width = rgb.shape[:2]
    if kernel == "pillow_bicubic":
        return matlab_like_downscale(rgb, factor)
    flag = {"area": cv2.INTER_AREA, "opencv_cubic": cv2.INTER_CUBIC}[kernel]
    return cv2.resize(rgb, (width // factor, height // factor), interpolation=flag)


DOWNSCALES = ("area", "pillow_bicubic", "opencv_cubic")


@dataclass(frozen=True)
class DamageMix:
    """How often a training patch gets noise (σ 0–10), then JPEG (q60–95): a camera's order.
    None by default: a mild mix (0.1, 0.2) cost 0.22 dB on clean val photographs."""

    noise: float = 0.0
    jpeg: float = 0.0


def damage(lr: np.ndarray, rng: random.Random, mix: DamageMix) -> np.ndarray:
    if rng.random() < mix.noise:
        noise = np.random.default_rng(rng.getrandbits(32)).normal(0, rng.uniform(0, 10), lr.shape)
        lr = np.clip(lr + noise + 0.5, 0, 255).astype(np.uint8)
    if rng.random() < mix.jpeg:
        buffer = io.BytesIO()
        Image.fromarray(lr).save(buffer, format="JPEG", quality=rng.randint(60, 95))
        lr = np.asarray(Image.open(buffer).convert("RGB"))
    return lr


def make_patches(photos: list[np.ndarray], count: int, patch: int, seed: int,
                 mix: DamageMix = DamageMix(), scale: int = 2,
                 downscales: tuple[str, ...] = DOWNSCALES) -> tuple[np.ndarray, np.ndarray]:
    """`count` (low-resolution luma, high-resolution luma) pairs of `patch`² high-res pixels,
    each flipped/rotated, made `scale` times smaller with a random filter of `downscales` and
    damaged at random."""
    rng = random.Random(seed)
    low = np.empty((count, patch // scale, patch // scale, 1), np.float32)
    high = np.empty((count, patch, patch, 1), np.float32)
    for index in range(count):
        photo = photos[rng.randrange(len(photos))]
        top = rng.randint(0, photo.shape[0] - patch)
        left = rng.randint(0, photo.shape[1] - patch)
        hr = np.rot90(photo[top : top + patch, left : left + patch], rng.randrange(4))
        hr = np.ascontiguousarray(hr[:, ::-1] if rng.random() < 0.5 else hr)
        lr = damage(downscale(hr, rng.choice(downscales), scale), rng, mix)
        low[index, :, :, 0] = to_ycrcb(lr)[:, :, 0]
        high[index, :, :, 0] = to_ycrcb(hr)[:, :, 0]
    return low, high


# --- training -------------------------------------------------------------------------------

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m training.superres",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, nargs="+", default=TRAINING_PHOTO_DIRS,
                        help="data folders with manifest.csv; their real photographs are used")
    parser.add_argument("--renders", type=Path, nargs="*", default=RENDER_DIRS,
                        help="data folders whose every picture is used (generated ones too)")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "runs" / "upscaler")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace an upscaler that already exists in --out")
    parser.add_argument("--scale", type=int, choices=(2, 4), default=2)
    parser.add_argument("--name", help="file name (default: upscaler_x<scale>)")
    parser.add_argument("--downscales", nargs="+", choices=DOWNSCALES,
                        default=["pillow_bicubic"],
                        help="filters that make the low-resolution patches, drawn per patch")
    parser.add_argument("--features", type=int, default=56)
    parser.add_argument("--shrink", type=int, default=20)
    parser.add_argument("--mapping", type=int, default=4)
    parser.add_argument("--patch", type=int, default=96, help="high-resolution patch side")
    parser.add_argument("--patches", type=int, default=16000, help="fresh patches per epoch")
    parser.add_argument("--epochs", type=int, default=18)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=1e-3,
                        help="the start of a cosine decay to 1 %% of it over all steps")
    parser.add_argument("--noise-probability", type=float, default=DamageMix.noise,
                        help="share of training patches given noise")
    parser.add_argument("--jpeg-probability", type=float, default=DamageMix.jpeg,
                        help="share of training patches given a JPEG round trip")
    parser.add_argument("--exclude-sources", nargs="*", default=[], metavar="SOURCE",
                        help="leave these sources' photographs out of training as well (e.g. "
                             "soft, heavily compressed ones)")
    parser.add_argument("--max-photos", type=int, default=0,
                        help="use at most this many training photographs (0: all)")
    parser.add_argument("--val-photos", type=int, default=100)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--assess", type=Path, metavar="MODEL.tflite",
                        help="only re-measure this trained upscaler and rewrite its card")
    args = parser.parse_args(argv)
    args.name = args.name or f"upscaler_x{args.scale}"
    return args


def train(args: argparse.Namespace) -> dict:
    keras.utils.set_random_seed(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / args.name
    if stem.with_suffix(".keras").exists() and not args.overwrite:
        raise SystemExit(f"{stem}.keras exists; pass --overwrite to replace it")
    rng = random.Random(args.seed)
    excluded = NOT_PHOTOGRAPHS | frozenset(args.exclude_sources)
    train_paths = photograph_paths(args.data, "train", excluded)
    train_paths += photograph_paths(args.renders, "train", excluded,
                                    frozenset({"real", "fake"}))
    rng.shuffle(train_paths)
    if args.max_photos:
        train_paths = train_paths[: args.max_photos]
    photos = [p for p in load_photographs(train_paths) if min(p.shape[:2]) >= args.patch]
    val_photos = validation_photographs(args.data, args.val_photos, args.seed)

    mix = DamageMix(args.noise_probability, args.jpeg_probability)
    model = build_upscaler(args.features, args.shrink, args.mapping, args.scale)
    steps = args.epochs * (args.patches // args.batch_size)
    schedule = keras.optimizers.schedules.CosineDecay(args.learning_rate, steps, alpha=0.01)
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss="mean_absolute_error")
    downscales = tuple(args.downscales)
    val_low, val_high = make_patches(list(val_photos.values()), 2000, args.patch,
                                     args.seed + 10_000, mix, args.scale, downscales)
    started = time.perf_counter()
    history: list[dict[str, float]] = []
    for epoch in range(args.epochs):
        low, high = make_patches(photos, args.patches, args.patch, args.seed + epoch, mix,
                                 args.scale, downscales)
        result = model.fit(low, high, batch_size=args.batch_size, epochs=1, verbose=0,
                           validation_data=(val_low, val_high))
        history.append({key: float(value[-1]) for key, value in result.history.items()})
        print(f"epoch {epoch + 1}/{args.epochs}: loss {history[-1]['loss']:.5f} "
              f"val {history[-1]['val_loss']:.5f} ({time.perf_counter() - started:.0f} s)",
              flush=True)
    train_seconds = time.perf_counter() - started

    from .export import export_tflite

    model.save(stem.with_suffix(".keras"))
    tflite = export_tflite(model, stem.with_suffix(".tflite"))
    margin = receptive_margin(args.mapping)
    card = {
        "name": args.name,
        "task": f"{args.scale}x super-resolution of luma (Y of full-range YCbCr); chroma is "
                "upscaled bicubically",
        "scale": args.scale,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "architecture": {"features": args.features, "shrink": args.shrink,
                         "mapping": args.mapping, "parameters": model.count_params(),
                         "macs_per_low_res_pixel": macs_per_pixel(model)},
        "margin": margin,
        "training": {"data": [str(d.name) for d in args.data],
                     "renders": [str(d.name) for d in args.renders], "photographs": len(photos),
                     "excluded_sources": sorted(excluded), "patch": args.patch,
                     "patches_per_epoch": args.patches, "epochs": args.epochs,
                     "batch_size": args.batch_size, "learning_rate": args.learning_rate,
                     "loss": "mean absolute error", "seconds": round(train_seconds),
                     "downscales": list(downscales),
                     "damage": f"Gaussian noise sigma U(0,10) with p={mix.noise}, then JPEG "
                               f"q U(60,95) with p={mix.jpeg}", "seed": args.seed},
        "file_bytes": tflite.stat().st_size,
        "history": history,
    }
    card_path = stem.parent / (stem.name + ".card.json")
    card_path.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    return assess(tflite, val_photos)


def assess(tflite: Path, val_photos: dict[str, np.ndarray]) -> dict:
    """Measure a trained upscaler on val photographs, Set5 and Set14, and time it; the
    results go into its card beside what training wrote."""
    card_path = tflite.with_name(tflite.stem + ".card.json")
    card = json.loads(card_path.read_text(encoding="utf-8"))
    upscaler = LearnedUpscaler(tflite)
    scale = upscaler.scale
    card["validation"] = {"photographs": len(val_photos), "protocol": NOISY_PROTOCOL,
                          **measure(upscaler.upscale, val_photos, scale)}
    card["validation"].pop("clean_model_psnr_by_image")
    card["evaluation"] = {name: measure(upscaler.upscale, images, scale)
                          for name, images in sr_eval_sets().items()}
    card["ms_per_low_res_megapixel"] = round(speed_ms_per_megapixel(tflite), 1)
    card["file_bytes"] = tflite.stat().st_size
    card_path.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    return card


def validation_photographs(data_dirs: list[Path], count: int, seed: int
                           ) -> dict[str, np.ndarray]:
    """`count` val photographs drawn by `seed`, path → RGB: the same draw for every tool that
    asks with the same seed (the denoise fit and the Auto check share theirs)."""
    paths = photograph_paths(data_dirs, "val")
    random.Random(seed).shuffle(paths)
    paths = paths[:count]
    return dict(zip([str(p) for p in paths], load_photographs(paths), strict=True))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    card = (assess(args.assess, validation_photographs(args.data, args.val_photos, args.seed))
            if args.assess else train(args))
    print(json.dumps({key: card[key] for key in ("validation", "evaluation",
                                                 "ms_per_low_res_megapixel")}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
