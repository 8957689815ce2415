"""Train the classifier end to end: data → model → fit → export → evaluate → model card.

    python -m training.train --data ../shared/data --out model
    aiic train --data ../shared/data --out model            # the same

writes into `--out`: `<name>.keras` (canonical), `<name>.tflite` (what the app runs),
`<name>.card.json`, and `<name>.history.png`, `<name>.roc.png`, `<name>.confusion.png`.
Runs are seeded and repeatable on the CPU.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import keras
import numpy as np
import PIL
import tensorflow as tf

import ai_image_classifier
from ai_image_classifier.cards import FACE_MODEL_NAME

from .callbacks import CustomEarlyStopping
from .data import (
    DEFAULT_DATA,
    PROJECT_ROOT,
    ArraySplit,
    balanced_weights,
    exclude_source,
    load_arrays,
    make_dataset,
    split_counts,
    split_items,
)
from .evaluate import assess, plot_history
from .export import export_tflite, parity
from .models import (
    build_mobilenet_model,
    build_residual_model,
    build_seed_model,
    compile_model,
    unfreeze_all,
)

DEFAULT_WEIGHTS = (PROJECT_ROOT.parent / "shared" / "weights"
                   / "mobilenet_v2_1.0_224_from_tflite_bnrecal_no_top.weights.h5")


# Named recipes: the options that make each shipped model, so `make train` and the
# leave-one-source-out runs cannot drift apart. Options given after a recipe override it.
RECIPES: dict[str, list[str]] = {
    "seed": ["--architecture", "seed_cnn", "--image-size", "32", "--flip-average"],
    "default": ["--architecture", "mobilenet_v2", "--image-size", "128", "--frozen-epochs", "2",
                "--epochs", "12", "--patience", "3", "--degrade", "--flip-average"],
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    recipe_parser = argparse.ArgumentParser(add_help=False)
    recipe_parser.add_argument("--recipe", choices=sorted(RECIPES))
    argv = sys.argv[1:] if argv is None else argv
    known, _ = recipe_parser.parse_known_args(argv)
    parser = argparse.ArgumentParser(prog="aiic train", description=__doc__.splitlines()[0],
                                     parents=[recipe_parser])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help="folder with manifest.csv, or with real/ and fake/ sub-folders")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "runs",
                        help="output folder (default runs/; the shipped models in model/ are "
                             "replaced only when --out model and --overwrite are given)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace a model of the same name in --out")
    parser.add_argument("--name", default=FACE_MODEL_NAME, help="file name stem of the outputs")
    parser.add_argument("--architecture", choices=("seed_cnn", "mobilenet_v2", "residual_cnn"),
                        default="seed_cnn")
    parser.add_argument("--weights", type=Path, default=DEFAULT_WEIGHTS,
                        help="ImageNet weights for mobilenet_v2 (a Keras .weights.h5 file)")
    parser.add_argument("--frozen-epochs", type=int, default=2,
                        help="mobilenet_v2: epochs with the base frozen before fine-tuning")
    parser.add_argument("--fine-tune-learning-rate", type=float, default=1e-4,
                        help="mobilenet_v2: learning rate once every layer is trainable")
    parser.add_argument("--degrade", action="store_true",
                        help="also train on JPEG-recompressed, rescaled and noisy copies")
    parser.add_argument("--balance-sources", action="store_true",
                        help="weight the loss so every source and class counts equally, in "
                             "training and in the val loss that early stopping watches")
    parser.add_argument("--flip-average", action="store_true",
                        help="the app scores the mean of the image and its mirror image; "
                             "calibration, threshold and metrics are fitted to that score")
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=None,
                        help="default 1e-3, or 1e-5 with --fine-tune")
    parser.add_argument("--patience", type=int, default=10,
                        help="epochs without val-loss improvement before stopping")
    parser.add_argument("--target-accuracy", type=float, default=0.93,
                        help="stop once val accuracy reaches this (the seed's rule)")
    parser.add_argument("--fine-tune", type=Path, metavar="MODEL",
                        help="continue training this .keras model with every layer unfrozen")
    parser.add_argument("--answer-accuracy", type=float, default=0.90,
                        help="size the uncertain band so answers outside it reach this "
                             "accuracy on val")
    parser.add_argument("--exclude-source", metavar="SOURCE",
                        help="leave this source out of train and val and test on it alone "
                             "(a generalisation run)")
    parser.add_argument("--seed", type=int, default=42)
    return parser.parse_args([*RECIPES.get(known.recipe, []), *argv])


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fit(args: argparse.Namespace, model: keras.Model, train, val,
        epochs: int | None = None) -> dict[str, Any]:
    """Fit with both stopping rules; returns the history and how training ended."""
    target_stop = CustomEarlyStopping(args.target_accuracy)
    patience_stop = keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=args.patience, restore_best_weights=True)

    def weights(split: ArraySplit) -> np.ndarray | None:
        return balanced_weights(split.items) if args.balance_sources else None

    started = time.perf_counter()
    history = model.fit(
        make_dataset(train, args.batch_size, shuffle=True, seed=args.seed, degrade=args.degrade,
                     weights=weights(train)),
        validation_data=make_dataset(val, args.batch_size, shuffle=False, seed=args.seed,
                                     weights=weights(val)),
        epochs=epochs or args.epochs,
        callbacks=[target_stop, patience_stop],
        shuffle=False,  # the tf.data pipeline already reshuffles each epoch
        verbose=2,
    )
    seconds = time.perf_counter() - started
    epochs_run = len(history.history["loss"])
    if target_stop.stopped_epoch is not None:
        stopped_by = f"val accuracy reached {args.target_accuracy}"
    elif patience_stop.stopped_epoch:
        stopped_by = f"no val-loss improvement for {args.patience} epochs (best weights restored)"
    else:
        stopped_by = "epoch limit"
    return {
        "history": history.history,
        "epochs_run": epochs_run,
        "stopped_by": stopped_by,
        "seconds": round(seconds, 1),
        "train_images_per_second": round(epochs_run * len(train.targets) / seconds, 1),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    learning_rate = args.learning_rate or (1e-5 if args.fine_tune else 1e-3)
    keras.utils.set_random_seed(args.seed)
    tf.config.experimental.enable_op_determinism()

    def out_file(suffix: str) -> Path:
        return args.out / f"{args.name}{suffix}"

    existing = [out_file(s) for s in (".keras", ".tflite", ".card.json") if out_file(s).exists()]
    if existing and not args.overwrite:
        print(f"aiic train: {existing[0]} exists; pass --overwrite to replace it, or choose "
              "another --out or --name")
        return 2
    args.out.mkdir(parents=True, exist_ok=True)

    # 1. Data, decoded by the runtime's own preprocessing.
    splits = split_items(args.data, args.seed)
    if args.exclude_source:
        splits = exclude_source(splits, args.exclude_source)
    if not splits["train"] or not splits["val"]:
        print(f"aiic train: {args.data} has no train or val images")
        return 2
    image_size = args.image_size
    if args.fine_tune:
        model = unfreeze_all(keras.saving.load_model(args.fine_tune, compile=False))
        image_size = int(model.input_shape[1])
    elif args.architecture == "mobilenet_v2":
        model = build_mobilenet_model(image_size, str(args.weights), seed=args.seed)
    elif args.architecture == "residual_cnn":
        model = build_residual_model(image_size, seed=args.seed)
    else:
        model = build_seed_model(image_size, seed=args.seed)
    train = load_arrays(splits["train"], image_size)
    val = load_arrays(splits["val"], image_size)
    print(f"train {len(train.targets)}  val {len(val.targets)}  test {len(splits['test'])}"
          f"  at {image_size}px")

    # 2. Fit. A pretrained base is first frozen while the new head learns, then every layer
    #    is fine-tuned at a lower learning rate.
    compile_model(model, learning_rate)
    if args.architecture == "mobilenet_v2" and not args.fine_tune:
        head = fit(args, model, train, val, epochs=args.frozen_epochs)
        compile_model(unfreeze_all(model), args.fine_tune_learning_rate)
        run = fit(args, model, train, val)
        run["history"] = {key: head["history"][key] + run["history"][key]
                          for key in run["history"]}
        run["seconds"] += head["seconds"]
        run["frozen_epochs"] = head["epochs_run"]
    else:
        run = fit(args, model, train, val)

    # 3. Save, export, and check that the export gives the same probabilities.
    keras_path = out_file(".keras")
    model.save(keras_path)
    tflite_path = export_tflite(model, out_file(".tflite"))
    max_diff = parity(model, tflite_path, val.images[:64])
    if max_diff > 1e-5:
        raise RuntimeError(f"LiteRT export disagrees with Keras by {max_diff:.2e}")

    # 4. Calibration, threshold and uncertain band on val; metrics, plots and robustness on
    #    test, all through the app's own classification path.
    assessment = assess(tflite_path, splits, args.answer_accuracy, out_file, args.flip_average)
    plot_history(run["history"], out_file(".history.png"))

    # 5. The model card.
    card = {
        "name": args.name,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "app_version": ai_image_classifier.__version__,
        "architecture": model.name,
        "input_size": image_size,
        "input": "RGB, uint8 range 0..255 (scaled inside the model); resized by "
                 "ai_image_classifier.model_input.prepare_model_input (face crop when a face is "
                 "small in the picture)",
        "parameters": int(model.count_params()),
        "output": "P(fake), calibrated; fake from threshold + uncertain_half_width, real below "
                  "threshold - uncertain_half_width, uncertain between",
        **assessment,
        "data": {
            "dir": os.path.relpath(args.data.resolve(), PROJECT_ROOT),
            "sources": sorted({i.source for i in splits["train"]}),
            "split_counts": split_counts(splits),
        },
        "training": {
            "recipe": args.recipe,
            "fine_tuned_from": str(args.fine_tune) if args.fine_tune else None,
            "excluded_source": args.exclude_source,
            "seed": args.seed,
            "epochs_max": args.epochs,
            "batch_size": args.batch_size,
            "learning_rate": learning_rate,
            "patience": args.patience,
            "target_accuracy": args.target_accuracy,
            "balance_sources": args.balance_sources,
            "augmentation": "RandomFlip(horizontal), RandomRotation(0.1), RandomZoom(0.1)"
                            + ("; JPEG q60-100, 0.5-1x rescale, noise" if args.degrade else ""),
            "architecture_args": {"architecture": args.architecture,
                                  "frozen_epochs": args.frozen_epochs,
                                  "fine_tune_learning_rate": args.fine_tune_learning_rate,
                                  "weights": args.weights.name
                                  if args.architecture == "mobilenet_v2" else None},
            **{k: v for k, v in run.items() if k != "history"},
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        },
        "litert_max_abs_diff": max_diff,
        "libraries": {"tensorflow": tf.__version__, "keras": keras.__version__,
                      "numpy": np.__version__, "pillow": PIL.__version__,
                      "python": platform.python_version()},
        "files": {path.suffix[1:]: {"name": path.name, "sha256": sha256_of(path),
                                    "bytes": path.stat().st_size}
                  for path in (keras_path, tflite_path)},
    }
    card_path = out_file(".card.json")
    card_path.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    summary = assessment["metrics"].get("test", assessment["metrics"]["val"])
    print(f"threshold {assessment['threshold']:.3f} ± "
          f"{assessment['uncertain_half_width']:.3f} uncertain; "
          + "; ".join(f"{s}: acc {m['accuracy']:.3f}" for s, m in summary["by_source"].items())
          + f"; overall acc {summary['overall']['accuracy']:.3f}")
    print(f"wrote {keras_path}, {tflite_path.name}, {card_path.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
