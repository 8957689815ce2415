"""`aiic`: classify, enhance and evaluate from a terminal; `aiic train` runs the training package.

Exit codes: 0 success, 1 some input failed (the rest were still processed), 2 usage or model
error.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import __version__
from .classifier import Classifier, ModelLoadError, Verdict
from .datasets import iter_image_files, load_labelled
from .enhance import EnhanceSettings, enhance
from .imaging import ImageDecodeError, load_rgb
from .saving import SaveError, read_metadata, save_image

MODEL_HELP = ("a .keras or .tflite file, or a bundled model's name (seed_cnn); "
              "default: the bundled default model")


def _progress(total: int, description: str):
    """A tqdm bar on stderr, shown only when there is more than one file and a terminal."""
    from tqdm import tqdm

    return tqdm(total=total, desc=description, unit="img", file=sys.stderr,
                disable=total < 2 or not sys.stderr.isatty())


def _load_classifier(model: str | None) -> Classifier:
    try:
        return Classifier.load(model)
    except ModelLoadError as error:
        raise SystemExit(f"aiic: {error}") from None


def cmd_classify(args: argparse.Namespace) -> int:
    classifier = _load_classifier(args.model)
    paths = list(iter_image_files(args.paths))
    failed = 0
    with _progress(len(paths), "classify") as bar:
        for path, result in classifier.classify_files(paths):
            bar.update()
            if isinstance(result, Verdict):
                record = {"path": str(path), "label": result.label,
                          "probability": round(result.probability, 6),
                          "threshold": round(result.threshold, 6), "region": result.region}
                line = (json.dumps(record, ensure_ascii=False) if args.json else
                        f"{path}\t{result.text}\tP(fake)={result.probability:.3f}"
                        f"\t({result.region})")
            else:
                failed += 1
                record = {"path": str(path), "error": str(result)}
                line = (json.dumps(record, ensure_ascii=False) if args.json
                        else f"{path}\tERROR\t{result}")
            bar.write(line, file=sys.stdout)
    return 1 if failed or not paths else 0


def cmd_enhance(args: argparse.Namespace) -> int:
    source, target = Path(args.input), Path(args.output)
    if target.exists() and target.resolve() == source.resolve():
        print("aiic: the output must not be the input file", file=sys.stderr)
        return 2
    if target.exists() and not args.overwrite:
        print(f"aiic: {target} exists; pass --overwrite to replace it", file=sys.stderr)
        return 1
    settings = EnhanceSettings(denoise=not args.no_denoise, strength=args.strength,
                               color_strength=args.strength, scale=args.scale)
    try:
        image = load_rgb(source)
        result = enhance(image, settings)
        save_image(result, target, overwrite=args.overwrite, quality=args.quality,
                   metadata=read_metadata(source))
    except (ImageDecodeError, SaveError, FileExistsError, ValueError) as error:
        print(f"aiic: {error}", file=sys.stderr)
        return 1
    print(f"{target}\t{result.shape[1]}×{result.shape[0]}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .evaluation import predict_items  # scikit-learn: not needed by classify/enhance

    classifier = _load_classifier(args.model)
    try:
        items = load_labelled(args.data, args.split)
    except (OSError, ValueError) as error:
        print(f"aiic: {error}", file=sys.stderr)
        return 2
    if not items:
        print(f"aiic: no labelled images in {args.data} (split {args.split})", file=sys.stderr)
        return 2
    with _progress(len(items), "evaluate") as bar:
        predictions = predict_items(classifier, items, on_each=bar.update)
    errors = predictions.errors
    report = predictions.report(classifier.threshold, classifier.half_width)
    report.update(threshold=classifier.threshold, uncertain_half_width=classifier.half_width,
                  errors=errors)
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        print(f"threshold {classifier.threshold:.3f}, uncertain within "
              f"±{classifier.half_width:.3f}")
        columns = {"accuracy": "acc", "balanced_accuracy": "bal", "precision": "prec",
                   "recall": "rec", "auc": "auc", "ece": "ece", "uncertain_rate": "unsure",
                   "accuracy_outside_band": "acc_out"}
        print(f"{'source':<16}{'n':>6}" + "".join(f"{h:>8}" for h in columns.values()))
        rows = [*report["by_source"].items(), ("overall", report["overall"])]
        for name, m in rows:
            text = "".join(f"{'-' if m[k] is None else f'{m[k]:.3f}':>8}" for k in columns)
            print(f"{name:<16}{m['n']:>6}{text}")
        for error in errors:
            print(f"ERROR {error['path']}: {error['error']}", file=sys.stderr)
    return 1 if errors else 0


def cmd_train(args: argparse.Namespace) -> int:
    # The training package (and TensorFlow) is imported only for this command, so the
    # runtime and a frozen app never load it.
    try:
        from training.train import main as train_main
    except ImportError as error:
        print(f"aiic: training needs the training package and TensorFlow "
              f"(pip install -r requirements-train.txt): {error}", file=sys.stderr)
        return 2
    return train_main(args.train_args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aiic", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    classify = commands.add_parser("classify", help="real or fake, for files and folders")
    classify.add_argument("paths", nargs="+", help="image files or folders (searched recursively)")
    classify.add_argument("--json", action="store_true", help="one JSON object per line")
    classify.add_argument("--model", help=MODEL_HELP)
    classify.set_defaults(run=cmd_classify)

    enhance_cmd = commands.add_parser("enhance", help="denoise and upscale one image")
    enhance_cmd.add_argument("input")
    enhance_cmd.add_argument("-o", "--output", required=True,
                             help="output file; its suffix picks the format")
    enhance_cmd.add_argument("--no-denoise", action="store_true")
    enhance_cmd.add_argument("--strength", type=float, default=10.0, help="denoise strength h")
    enhance_cmd.add_argument("--scale", type=float, default=2.0, help="upscale factor (1 = none)")
    enhance_cmd.add_argument("--quality", type=int, default=95, help="JPEG/WebP quality")
    enhance_cmd.add_argument("--overwrite", action="store_true", help="replace an existing output")
    enhance_cmd.set_defaults(run=cmd_enhance)

    evaluate = commands.add_parser("evaluate", help="metrics on a labelled folder")
    evaluate.add_argument("--data", required=True,
                          help="folder with manifest.csv, or with real/ and fake/ sub-folders")
    evaluate.add_argument("--split", default="test", help="manifest split (default: test)")
    evaluate.add_argument("--json", action="store_true")
    evaluate.add_argument("--model", help=MODEL_HELP)
    evaluate.set_defaults(run=cmd_evaluate)

    train = commands.add_parser("train", help="train a model (see `aiic train --help`)",
                                add_help=False)
    train.add_argument("train_args", nargs=argparse.REMAINDER)
    train.set_defaults(run=cmd_train)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
