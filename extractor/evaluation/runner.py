"""Running configurations (provider x model x prompt version) over the eval set, offline from cassettes.

Each (configuration, report) runs inside :func:`extractor.replay.session`, so ``replay`` needs no model and makes no
network call, ``record`` runs the local model and writes ``cassettes/<config>/<report>.json``, and ``live`` runs
the model without cassettes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ..config import PROVIDERS
from ..errors import CassetteMissing, ConfigError, ExtractorError, GoldError
from ..local_model import DEFAULT_MODEL
from ..models import Usage
from ..pipeline import process
from ..replay import RERECORD, Mode, cassette_path, session
from .corpus import CorpusEntry, CorpusScore, load_corpus, score_entry
from .gold import Gold, load_gold
from .results import RunResult, build_run, save_run, timestamp
from .score import ReportScore, score_report

PROMPTS: tuple[str, ...] = ("v1", "v2")


@dataclass(frozen=True, slots=True)
class EvalConfig:
    """One configuration; ``name`` is stable (cassette folders and run files are named by it)."""

    provider: str
    model: str | None = None
    prompt: str | None = None

    @property
    def name(self) -> str:
        if self.provider == "rules":
            return "rules"
        return f"{self.provider}-{self.model}-{self.prompt}"

    @property
    def uses_model(self) -> bool:
        return self.provider != "rules"

    @classmethod
    def parse(cls, name: str) -> EvalConfig:
        """``rules`` or ``<provider>-<model>-<prompt>``, e.g. ``hybrid-qwen2.5-coder-0.5b-v1``."""
        if name == "rules":
            return cls("rules")
        provider, _, rest = name.partition("-")
        model, _, prompt = rest.rpartition("-")
        if provider not in PROVIDERS or not model or not prompt:
            known = ", ".join(c.name for c in DEFAULT_CONFIGS)
            raise ConfigError(f"bad eval config {name!r}: use rules or <provider>-<model>-<prompt> (e.g. {known})")
        return cls(provider, model, prompt)


DEFAULT_CONFIGS: tuple[EvalConfig, ...] = (
    EvalConfig("rules"),
    *(EvalConfig(provider, DEFAULT_MODEL, prompt) for provider in ("local", "hybrid") for prompt in PROMPTS),
)


def run_eval(
    configs: Iterable[EvalConfig],
    seeds_dir: Path,
    gold_dir: Path,
    cassettes_dir: Path,
    mode: Mode = "replay",
    *,
    runs_dir: Path | None = None,
    notice: Callable[[str], None] | None = None,
) -> list[RunResult]:
    """Score every configuration on every gold report; save each run under ``runs_dir`` when given."""
    configs = list(configs)
    golds = load_gold(gold_dir, seeds_dir)
    if mode == "replay":
        require_cassettes(configs, list(golds), cassettes_dir)
    runs = []
    for config in configs:
        run = run_config(config, golds, seeds_dir, cassettes_dir, mode, notice=notice)
        if runs_dir is not None:
            path = save_run(run, runs_dir)
            if notice:
                notice(f"{config.name}: saved {path}")
        runs.append(run)
    return runs


def require_cassettes(configs: Iterable[EvalConfig], reports: Iterable[str], cassettes_dir: Path) -> None:
    """Fail before any work when a replay would miss a cassette."""
    reports = list(reports)
    for config in configs:
        for report in reports:
            path = cassette_path(cassettes_dir, config.name, report)
            if config.uses_model and not path.is_file():
                raise CassetteMissing(path, RERECORD)


def cassettes_recorded(config: EvalConfig, reports: Iterable[str], cassettes_dir: Path) -> bool:
    try:
        require_cassettes([config], reports, cassettes_dir)
    except CassetteMissing:
        return False
    return True


def run_config(
    config: EvalConfig,
    golds: dict[str, Gold],
    seeds_dir: Path,
    cassettes_dir: Path,
    mode: Mode,
    *,
    notice: Callable[[str], None] | None = None,
) -> RunResult:
    usage = Usage()
    scores: list[ReportScore] = []
    seconds = 0.0
    started_at = timestamp()
    for report, gold in golds.items():
        seed = seeds_dir / f"{report}.txt"
        if not seed.is_file():
            raise GoldError(f"{seed}: the seed of gold report {report} is missing")
        cassette = cassette_path(cassettes_dir, config.name, report)
        started = time.perf_counter()
        with session(config.provider, config.model or "", config.prompt or "v1", cassette, mode) as engine:
            record = process(seed, engine)
        seconds += time.perf_counter() - started
        usage.add(record.usage)
        scores.append(score_report(gold, record))
        if notice:
            notice(f"{config.name}: {report} done")
    return build_run(
        scores,
        config=config.name,
        provider=config.provider,
        model=config.model,
        prompt=config.prompt,
        mode=mode,
        timestamp=started_at,
        seconds=seconds,
        usage=usage,
    )


def run_corpus(
    config: EvalConfig,
    corpus_dir: Path,
    cassettes_dir: Path,
    mode: Mode = "replay",
    *,
    notice: Callable[[str], None] | None = None,
) -> list[CorpusScore]:
    """Score one configuration on every report of the development corpus. A report the extractor refuses counts
    all its values as missing (its error is kept with the score); replay needs a cassette per report."""
    entries = load_corpus(corpus_dir)
    if mode == "replay":
        require_cassettes([config], [e.gold.report for e in entries], cassettes_dir)
    return [_score_corpus_entry(config, entry, cassettes_dir, mode, notice) for entry in entries]


def _score_corpus_entry(
    config: EvalConfig, entry: CorpusEntry, cassettes_dir: Path, mode: Mode, notice: Callable[[str], None] | None
) -> CorpusScore:
    cassette = cassette_path(cassettes_dir, config.name, entry.gold.report)
    with session(config.provider, config.model or "", config.prompt or "v1", cassette, mode) as engine:
        try:
            score = score_entry(entry, process(entry.path, engine))
        except CassetteMissing:
            raise
        except ExtractorError as e:
            score = score_entry(entry, None, f"{type(e).__name__}: {e.one_line()}")
    if notice:
        notice(f"{config.name}: {entry.gold.report} done")
    return score
