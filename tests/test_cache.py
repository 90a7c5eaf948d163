"""The response cache: what its key covers, and that usage survives a hit."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractor.cache import CachedAnswer, ResponseCache, cache_key

BASE = dict(
    provider="local",
    model="qwen.gguf",
    prompt_version="v1",
    prompt_text="abc",
    schema={"properties": {"a": {"type": "string"}}},
    sampling={"temperature": 0.0, "max_tokens": 512, "seed": 0},
    text="section text",
)
VARIANTS = [
    ("provider", {"provider": "openai"}),
    ("model", {"model": "other.gguf"}),
    ("prompt-version", {"prompt_version": "v2"}),
    ("prompt-text", {"prompt_text": "abd"}),
    ("schema", {"schema": {"properties": {"b": {"type": "string"}}}}),
    ("temperature", {"sampling": {"temperature": 0.1, "max_tokens": 512, "seed": 0}}),
    ("max-tokens", {"sampling": {"temperature": 0.0, "max_tokens": 256, "seed": 0}}),
    ("seed", {"sampling": {"temperature": 0.0, "max_tokens": 512, "seed": 1}}),
    ("text", {"text": "section text."}),
]


@pytest.mark.parametrize(("name", "change"), VARIANTS, ids=[v[0] for v in VARIANTS])
def test_every_input_changes_the_key(name: str, change: dict[str, object]) -> None:
    assert cache_key(**{**BASE, **change}) != cache_key(**BASE)  # type: ignore[arg-type]


def test_key_is_stable_and_order_free() -> None:
    reordered = {**BASE, "schema": {"properties": {"a": {"type": "string"}}}}
    assert cache_key(**BASE) == cache_key(**reordered)  # type: ignore[arg-type]


def test_usage_is_stored_with_the_answer(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "c")
    cache.put("k", CachedAnswer('{"a": "x"}', prompt_tokens=120, completion_tokens=30, model_calls=2, verified=True))
    hit = cache.get("k")
    assert hit is not None and (hit.prompt_tokens, hit.completion_tokens, hit.model_calls) == (120, 30, 2)
    assert cache.stats()["entries"] == 1 and cache.stats()["tokens"] == 150
    assert cache.clear() == 1 and cache.get("k") is None
