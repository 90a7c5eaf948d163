"""The engine a run uses: rules alone, a model alone, or both (hybrid), with the model client and prompt it needs;
:func:`make_engine` builds it from resolved settings (the only place a model client is made).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from .config import ENGINE_OF, EngineKind, Settings
from .documents import OcrMode
from .models import (
    SectionKind,
)
from .prompts import Prompt


class Asker(Protocol):
    """What the pipeline needs of a model client (see :class:`extractor.llm.ModelClient`)."""

    calls_in_flight: int  # HTTP calls to the model under way right now

    def ask(self, prompt: Prompt, kind: SectionKind, text: str, codes: list[str], *, lists: bool = False) -> Any: ...

    def ask_block(self, prompt: Prompt, block: Any, text: str, check: Callable[[Any], list[str]]) -> Any: ...


@dataclass(slots=True)
class Activity:
    """Where a model run stands, for the progress bar: sections planned (to ask) and sections whose answer is
    back (asked), over every report of the run. Shared by its threads; the counts only grow."""

    planned: int = 0
    asked: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def plan(self, n: int) -> None:
        with self._lock:
            self.planned += n

    def answered(self) -> None:
        with self._lock:
            self.asked += 1

    def __reduce__(self) -> tuple[type[Activity], tuple[int, int]]:
        return Activity, (self.planned, self.asked)  # to a worker process: the counts, and a lock of its own


@dataclass
class Engine:
    """How reports are processed: the engine (named by its old provider label, which records store), and the
    model client when one is used."""

    provider: str  # rules | local | openai | hybrid: Route.provider
    client: Asker | None = None
    prompt: Prompt | None = None
    model_name: str | None = None
    parallel_asks: int = 1  # sections of one report asked at once
    ocr: OcrMode = "auto"  # PDFs without a text layer: read by OCR (auto), refused (never), or every PDF (always)
    table_asks: bool = False  # table blocks the rules left incomplete are asked of the model (extractor.table_pass)
    activity: Activity = field(default_factory=Activity, repr=False, compare=False)

    @property
    def kind(self) -> EngineKind:
        return ENGINE_OF.get(self.provider, "rules")

    @property
    def uses_rules(self) -> bool:
        return self.kind in ("rules", "hybrid")

    @property
    def uses_model(self) -> bool:
        return self.client is not None and self.kind in ("model", "hybrid")

    def progress(self) -> tuple[int, int, int]:
        """(sections asked, sections planned, model calls in flight) of this run so far."""
        in_flight = self.client.calls_in_flight if self.client is not None else 0
        return self.activity.asked, self.activity.planned, in_flight


def make_engine(
    settings: Settings,
    *,
    notice: Callable[[str], None] | None = None,
    in_flight: AbstractContextManager[Any] | None = None,
) -> Engine:
    """The engine for these settings. ``hybrid`` without a local model falls back to ``rules`` with a notice.
    ``in_flight`` bounds the client's HTTP calls in flight instead of a semaphore of its own (``settings.concurrency``
    wide), when one is shared with other processes."""
    route = settings.route
    if route.engine == "rules":
        return Engine("rules", ocr=settings.ocr)  # before importing the model client (openai/instructor: ~1.5 s)
    from .cache import ResponseCache
    from .errors import ModelUnavailable
    from .llm import ModelClient, open_endpoint
    from .prompts import load_prompt

    prompt = load_prompt(settings.prompt)
    try:
        endpoint = open_endpoint(settings)
    except ModelUnavailable as e:
        if route.engine != "hybrid":
            raise
        if notice:
            notice(f"{e.one_line()}. Falling back to the rules provider.")
        return Engine("rules", ocr=settings.ocr)
    cache = ResponseCache() if settings.cache else None
    client = ModelClient(endpoint, settings, cache=cache, max_in_flight=settings.concurrency, in_flight=in_flight)
    return Engine(
        route.provider,
        client=client,
        prompt=prompt,
        model_name=endpoint.identity,
        parallel_asks=settings.concurrency,
        ocr=settings.ocr,
        table_asks=settings.table_asks,
    )
