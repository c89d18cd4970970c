"""The core's sentence-embedding model (numpy all-MiniLM-L6-v2), shared by the glossary and the
governance duplicate scan."""

from __future__ import annotations

import numpy as np

from ckanext.hhs import embedding


def test_embedding_is_the_published_all_minilm_l6_v2():
    """The first values of the model's embedding of "hello world", as sentence-transformers gives them
    (the reference values fastembed's own tests hold for sentence-transformers/all-MiniLM-L6-v2)."""
    vectors = embedding.embed(["hello world", "flag embedding"])
    assert vectors.shape == (2, 384)
    assert vectors.dtype == np.float32
    assert np.allclose(vectors[0, :5], [-0.034478, 0.03102, 0.00673, 0.02611, -0.039362], atol=1e-3)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # Batching pads the shorter texts; padding must not change their embedding.
    assert np.allclose(embedding.embed(["hello world"])[0], vectors[0], atol=1e-5)


def test_no_text_gives_an_empty_matrix():
    assert embedding.embed([]).shape == (0, embedding.DIMENSIONS)


def test_the_encoder_runs_in_single_precision(monkeypatch):
    """float32 throughout: a float64 constant once turned every layer after the first into double
    precision, at about twice the cost (benchmarks/search_scale.py measures embedding time)."""
    seen = []
    linear = embedding._linear

    def recording(x, w, name):
        seen.append(x.dtype)
        return linear(x, w, name)

    monkeypatch.setattr(embedding, "_linear", recording)
    embedding.embed(["hello world"])
    assert len(seen) == 36
    assert set(seen) == {np.dtype("float32")}
