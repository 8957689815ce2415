"""`aiic`: classify, enhance and evaluate from a terminal; `aiic train` runs the training package.

Exit codes: 0 success, 1 some input failed (the rest were still processed), 2 usage or model
error.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
from pathlib import Path

from . import __version__
from .batch import BatchItem, BatchResult, enhance_batch, is_same_file, plan_folder
from .cards import ModelLoadError
from .classifier import Classifier
from .datasets import iter_image_files, load_labelled
from .enhance_settings import DENOISE_MODES, METHODS, SCALES, EnhanceSettings
from .imaging import display_name, one_line
from .logs import setup_logging
from .superres import UpscalerLoadError
from .verdict import Verdict, verdict_record

MODEL_HELP = ("a .keras or .tflite file, or a bundled model's name (seed_cnn); "
              "default: the bundled default model")


def _progress(total: int, description: str):
    """A tqdm bar on stderr, shown only when there is more than one file and a terminal."""
    from tqdm import tqdm

    return tqdm(total=total, desc=description, unit="img", file=sys.stderr,
                disable=total < 2 or not sys.stderr.isatty())


def _image_files(raw_paths: list[str]) -> list[Path]:
    """Every image under the arguments; an argument that yields none is said, not skipped."""
    paths = []
    for raw in raw_paths:
        found = list(iter_image_files([raw]))
        if not found:
            print(f"aiic: no images in {display_name(raw)}", file=sys.stderr)
        paths.extend(found)
    return paths


def cmd_classify(args: argparse.Namespace) -> int:
    classifier = Classifier.load(args.model)
    if classifier.general_off:
        print(f"aiic: the whole-picture detector is off: {classifier.general_off}. Verdicts "
              "use what files declare and the face network alone; pictures without a face "
              "are answered uncertain.", file=sys.stderr)
    paths = _image_files(args.paths)
    failed = 0
    with _progress(len(paths), "classify") as bar:
        for path, result in classifier.classify_files(paths):
            bar.update()
            shown = display_name(path)
            record = verdict_record(shown, result)
            if isinstance(result, Verdict):
                line = (json.dumps(record, ensure_ascii=False) if args.json
                        else text_line(shown, result))
            else:
                failed += 1
                line = (json.dumps(record, ensure_ascii=False) if args.json
                        else f"{shown}\tERROR\t{record['error']}")
            bar.write(line, file=sys.stdout)
    return 1 if failed or not paths else 0


def text_line(shown: str, verdict: Verdict) -> str:
    """One tab-separated line: the answer, then what the file declares and what the model
    sees, kept apart, and what a "real" answer from the model is worth."""
    fields = [shown, verdict.text]
    fields += [f"the file declares: {text}" for text in verdict.declared]
    fields.append(f"the model sees: {verdict.model_answer}, P(fake)={verdict.probability:.3f} "
                  f"({verdict.region})")
    fields += [f"cannot judge: {reason}" for reason in verdict.limits]
    fields += [verdict.caveat] if verdict.caveat else []
    return "\t".join(fields)


def denoise_arg(text: str) -> str | float:
    """auto, off, seed, or an NL-means strength."""
    if text in DENOISE_MODES:
        return text
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"use auto, off, seed or a strength from 0 to 100, not {text!r}") from None
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError("a denoise strength is between 0 and 100")
    return value


def quality_arg(text: str) -> int:
    """A JPEG/WebP quality: a whole number from 1 to 100 (Pillow's encoders take no other)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"use a whole number from 1 to 100, not {text!r}") \
            from None
    if not 1 <= value <= 100:
        raise argparse.ArgumentTypeError(f"quality is from 1 to 100, not {value}")
    return value


def _enhance_items(args: argparse.Namespace) -> list[BatchItem] | str:
    """What to write where, or why the request cannot be done."""
    source, target = Path(args.input), Path(args.output)
    if source.is_dir():
        if target.exists() and not target.is_dir():
            return f"{display_name(target)} is a file; a folder's results go into a folder"
        if target.resolve() in source.resolve().parents:
            # Its results would land on the inputs' own names (in/sub/a.jpg → out/sub/a.jpg is
            # in/a.jpg when out is in's parent): with --overwrite, originals would be replaced.
            return (f"{display_name(target)} contains {display_name(source)}; the results could "
                    "replace the pictures being enhanced: choose an output folder outside it")
        suffix = None if args.format == "same" else "." + args.format
        return plan_folder(source, target, suffix)
    if not source.exists():
        return f"{display_name(source)}: file not found"
    if target.is_dir():
        return f"{display_name(target)} is a folder; give the output file's name"
    if is_same_file(source, target):
        return "the output must not be the input file (or a link to it)"
    return [BatchItem(source, target)]


def cmd_enhance(args: argparse.Namespace) -> int:
    try:
        settings = EnhanceSettings(method=args.method, scale=args.scale, denoise=args.denoise)
    except ValueError as error:
        print(f"aiic: {error}", file=sys.stderr)
        return 2
    items = _enhance_items(args)
    if isinstance(items, str):
        print(f"aiic: {items}", file=sys.stderr)
        return 2
    if not items:
        print(f"aiic: no images in {display_name(args.input)}", file=sys.stderr)
        return 1
    counts = {"done": 0, "skipped": 0, "error": 0}
    try:
        with _progress(len(items), "enhance") as bar:
            def report(result: BatchResult) -> None:
                counts[result.status] += 1
                bar.update()
                message = ("exists; pass --overwrite to replace it"
                           if result.status == "skipped" else result.message)
                bar.write(f"{display_name(result.item.target)}\t{result.status}\t"
                          f"{one_line(message)}",
                          file=sys.stdout if result.status == "done" else sys.stderr)

            enhance_batch(items, settings, overwrite=args.overwrite, quality=args.quality,
                          on_each=report)
    except UpscalerLoadError as error:
        print(f"aiic: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"aiic: cancelled after {sum(counts.values())} of {len(items)} files; "
              "the files already written are kept", file=sys.stderr)
        return 130
    if len(items) > 1:
        print(f"aiic: {counts['done']} enhanced, {counts['skipped']} skipped, "
              f"{counts['error']} failed", file=sys.stderr)
    return 1 if counts["error"] or (len(items) == 1 and counts["skipped"]) else 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .evaluation import predict_items

    classifier = Classifier.load(args.model)
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


def training_checkout() -> Path | None:
    """The source checkout this runtime runs from, when it has `training/` beside the
    package; None for an installed package or a frozen app, which never carry it."""
    root = Path(__file__).resolve().parent.parent
    return root if (root / "training" / "train.py").is_file() else None


def cmd_train(train_args: list[str]) -> int:
    """`aiic train …`: the training package's own command line, from a source checkout. It
    (and TensorFlow) is imported only here, so the runtime and a frozen app never load it."""
    root = training_checkout()
    if root is None:
        print("aiic: training needs a source checkout of the project (an installed app has "
              "no training/ folder): clone the repository, then run `pip install -r "
              "requirements-train.txt` and `python -m training.train` there", file=sys.stderr)
        return 2
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))  # this checkout's training/, not another of that name
    try:
        from training.train import main as train_main
    except ImportError as error:
        print(f"aiic: training needs TensorFlow (pip install -r requirements-train.txt): "
              f"{error}", file=sys.stderr)
        return 2
    return train_main(train_args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aiic",
        description="Tell real photos from AI-generated or edited ones, and enhance images, "
                    "from a terminal. Everything runs on this computer.",
        epilog="Exit codes: 0 done, 1 some files failed (the others were still done), "
               "2 a usage or model error. Details of errors are in the log file.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    classify = commands.add_parser("classify", help="real or fake, for files and folders")
    classify.add_argument("paths", nargs="+", help="image files or folders (searched recursively)")
    classify.add_argument("--json", action="store_true", help="one JSON object per line")
    classify.add_argument("--model", help=MODEL_HELP)
    classify.set_defaults(run=cmd_classify)

    enhance_cmd = commands.add_parser(
        "enhance", help="denoise and upscale an image, or every image in a folder")
    enhance_cmd.add_argument("input", help="an image file, or a folder (searched recursively)")
    enhance_cmd.add_argument("-o", "--output", required=True,
                             help="output file (its suffix picks the format), or for a folder "
                                  "the output folder, which keeps the folder's structure")
    enhance_cmd.add_argument("--method", choices=list(METHODS), default="learned",
                             help="; ".join(METHODS.values()) + " (default: learned)")
    enhance_cmd.add_argument("--scale", type=int, choices=SCALES, default=2,
                             help="enlargement (default 2)")
    enhance_cmd.add_argument("--denoise", type=denoise_arg, default="auto",
                             metavar="auto|off|seed|N",
                             help="; ".join(DENOISE_MODES.values())
                                  + "; N: that NL-means strength (default: auto)")
    enhance_cmd.add_argument("--format", choices=["same", "png", "jpg", "webp", "tif", "bmp"],
                             default="same",
                             help="folders: the outputs' type (default: the input's own)")
    enhance_cmd.add_argument("--quality", type=quality_arg, default=95,
                             help="JPEG/WebP quality, 1 to 100 (default 95)")
    enhance_cmd.add_argument("--overwrite", action="store_true",
                             help="replace outputs that exist (default: skip them)")
    enhance_cmd.set_defaults(run=cmd_enhance)

    evaluate = commands.add_parser("evaluate", help="metrics on a labelled folder")
    evaluate.add_argument("--data", required=True,
                          help="folder with manifest.csv, or with real/ and fake/ sub-folders")
    evaluate.add_argument("--split", default="test", help="manifest split (default: test)")
    evaluate.add_argument("--json", action="store_true")
    evaluate.add_argument("--model", help=MODEL_HELP)
    evaluate.set_defaults(run=cmd_evaluate)

    # Listed for the help only: main() hands everything after "train" to the training
    # command (argparse would take its options for aiic's own).
    commands.add_parser("train", help="train a model, from a source checkout (see `aiic "
                                      "train --help`)", add_help=False)
    return parser


class Terminated(BaseException):
    """SIGTERM: unwinds like Ctrl-C, so a save in progress removes its partial file."""


def _on_sigterm(_signum: int, _frame: object) -> None:
    raise Terminated


def main(argv: list[str] | None = None) -> int:
    # A windowed frozen app has no console: sys.stdout and sys.stderr are None there.
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115
    setup_logging()
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["train"]:
        return cmd_train(argv[1:])
    args = build_parser().parse_args(argv)
    if hasattr(signal, "SIGTERM"):
        # Not on the main thread (an embedding program), the caller's handler stays.
        with contextlib.suppress(ValueError):
            signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return args.run(args)
    except ModelLoadError as error:  # from any command: a clear line and exit 2
        print(f"aiic: {one_line(error)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("aiic: cancelled", file=sys.stderr)
        return 130
    except Terminated:
        print("aiic: stopped", file=sys.stderr)
        return 143


if __name__ == "__main__":
    sys.exit(main())
