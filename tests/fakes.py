"""A small fake model client for pipeline tests: answers come from a script, per section kind."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from extractor.fields import build_schema
from extractor.llm import AskResult
from extractor.models import SectionKind, Usage
from extractor.prompts import Prompt


@dataclass
class FakeAsker:
    """``answers[kind]`` is the JSON-able dict the 'model' returns for that section kind (missing: empty)."""

    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[tuple[str, list[str]]] = field(default_factory=list)
    verified: bool = True
    calls_in_flight: int = 0

    def ask(self, prompt: Prompt, kind: SectionKind, text: str, codes: list[str], *, lists: bool = False) -> AskResult:
        self.calls.append((kind, list(codes)))
        schema = build_schema(kind, codes, lists=lists)
        allowed = set(schema.model_fields)
        payload = {k: v for k, v in self.answers.get(kind, {}).items() if k in allowed}
        answer = schema.model_validate(payload)
        return AskResult(answer, Usage(model_calls=1, prompt_tokens=100, completion_tokens=10), self.verified, False)
