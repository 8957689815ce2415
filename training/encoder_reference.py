"""An exact computation of the CLIP encoder: the ViT-B/16 image tower written out in NumPy
float64, reading its weights from the shipped ONNX file.

It shares no kernel with onnxruntime, so its outputs are what every CPU should reproduce: the
golden tests and the app's load-time self-check compare against numbers made here (see
`training/golden.py`). It is slow (about a second a picture) and used only for that.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ai_image_classifier.clip_encoder import encoder_path

HEADS = 12
LAYERS = 12
LAYER_NORM_EPS = 1e-5
QUICK_GELU = 1.702  # CLIP's activation: x · sigmoid(1.702 x)


class ReferenceEncoder:
    """`encode(pixels)` → (unit embeddings N×512, CLS after each block N×12×768), float64."""

    def __init__(self, path: Path | None = None) -> None:
        import onnx
        from onnx import numpy_helper

        model = onnx.load(str(path or encoder_path()))
        values = {i.name: numpy_helper.to_array(i).astype(np.float64)
                  for i in model.graph.initializer}
        self.weights: dict[str, np.ndarray] = {}
        for node in model.graph.node:  # int8 weight × per-column scale, named by its MatMul
            if node.op_type == "DequantizeLinear":
                weight, scale, zero = (values[name] for name in node.input)
                self.weights[node.name.removesuffix("/DequantizeLinear")] = (weight - zero) * scale
        self.values = values

    def _matmul(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self.weights[name + "/MatMul"]

    def _norm(self, x: np.ndarray, prefix: str) -> np.ndarray:
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return ((x - mean) / np.sqrt(var + LAYER_NORM_EPS) * self.values[prefix + ".weight"]
                + self.values[prefix + ".bias"])

    def _block(self, x: np.ndarray, i: int) -> np.ndarray:
        path, key = f"/vision_model/encoder/layers.{i}", f"vision_model.encoder.layers.{i}"
        h = self._norm(x, key + ".layer_norm1")
        q, k, v = (self._matmul(h, f"{path}/self_attn/{p}_proj")
                   + self.values[f"{key}.self_attn.{p}_proj.bias"] for p in "qkv")
        n, tokens, width = q.shape

        def split(t: np.ndarray) -> np.ndarray:  # n × heads × tokens × head width
            return t.reshape(n, tokens, HEADS, width // HEADS).transpose(0, 2, 1, 3)

        scores = split(q) @ split(k).transpose(0, 1, 3, 2) / np.sqrt(width // HEADS)
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        attention = (scores / scores.sum(-1, keepdims=True)) @ split(v)
        attention = attention.transpose(0, 2, 1, 3).reshape(n, tokens, width)
        x = x + self._matmul(attention, f"{path}/self_attn/out_proj") + self.values[
            f"{key}.self_attn.out_proj.bias"]
        h = self._matmul(self._norm(x, key + ".layer_norm2"), f"{path}/mlp/fc1") + self.values[
            f"{key}.mlp.fc1.bias"]
        h = h / (1.0 + np.exp(-QUICK_GELU * h))
        return x + self._matmul(h, f"{path}/mlp/fc2") + self.values[f"{key}.mlp.fc2.bias"]

    def encode(self, pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pixels = np.asarray(pixels, np.float64)
        n = len(pixels)
        kernel = self.values["vision_model.embeddings.patch_embedding.weight"]  # 768×3×16×16
        side = kernel.shape[-1]
        grid = pixels.shape[-1] // side
        patches = pixels.reshape(n, 3, grid, side, grid, side).transpose(0, 2, 4, 1, 3, 5)
        tokens = patches.reshape(n, grid * grid, -1) @ kernel.reshape(len(kernel), -1).T
        cls = np.broadcast_to(self.values["vision_model.embeddings.class_embedding"],
                              (n, 1, tokens.shape[-1]))
        x = np.concatenate([cls, tokens], axis=1) + self.values[
            "vision_model.embeddings.position_embedding.weight"]
        x = self._norm(x, "vision_model.pre_layrnorm")
        blocks = []
        for i in range(LAYERS):
            x = self._block(x, i)
            blocks.append(x[:, 0])
        pooled = self._norm(x[:, 0], "vision_model.post_layernorm")
        embeds = self._matmul(pooled, "/visual_projection")
        return embeds / np.linalg.norm(embeds, axis=1, keepdims=True), np.stack(blocks, axis=1)
