"""The engine a run uses: rules alone, a model alone, or both (hybrid), with the model client and prompt it needs;
:func:`make_engine` builds it from resolved settings (the only place a model client is made).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from .config import Settings
from .documents import OcrMode
from .models import (
    SectionKind,
)
from .prompts import Prompt


class Asker(Protocol):
    """What the pipeline needs of a model client (see :class:`extractor.llm.ModelClient`)."""

    def ask(self, prompt: Prompt, kind: SectionKind, text: str, codes: list[str], *, lists: bool = False) -> Any: ...


@dataclass
class Engine:
    """How reports are processed: the provider, and the model client when one is used."""

    provider: str  # rules | local | openai | hybrid
    client: Asker | None = None
    prompt: Prompt | None = None
    model_name: str | None = None
    parallel_asks: int = 1  # sections of one report asked at once
    ocr: OcrMode = "auto"  # PDFs without a text layer: read by OCR (auto), refused (never), or every PDF (always)

    @property
    def uses_rules(self) -> bool:
        return self.provider in ("rules", "hybrid")

    @property
    def uses_model(self) -> bool:
        return self.client is not None and self.provider in ("local", "openai", "hybrid")


def make_engine(settings: Settings, *, notice: Callable[[str], None] | None = None) -> Engine:
    """The engine for these settings. ``hybrid`` without a local model falls back to ``rules`` with a notice."""
    if settings.provider == "rules":
        return Engine("rules", ocr=settings.ocr)  # before importing the model client (openai/instructor: ~1.5 s)
    from .cache import ResponseCache
    from .errors import ModelUnavailable
    from .llm import ModelClient, open_endpoint
    from .prompts import load_prompt

    prompt = load_prompt(settings.prompt)
    try:
        endpoint = open_endpoint(settings)
    except ModelUnavailable as e:
        if settings.provider != "hybrid":
            raise
        if notice:
            notice(f"{e.one_line()}. Falling back to the rules provider.")
        return Engine("rules", ocr=settings.ocr)
    cache = ResponseCache() if settings.cache else None
    client = ModelClient(endpoint, settings, cache=cache, max_in_flight=settings.concurrency)
    return Engine(
        settings.provider,
        client=client,
        prompt=prompt,
        model_name=endpoint.identity,
        parallel_asks=settings.concurrency,
        ocr=settings.ocr,
    )
