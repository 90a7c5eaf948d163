"""``extractor extract INPUT... -o OUT_DIR``: the main job."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .. import cluster
from ..bulk import RunStats, expand_inputs, run
from ..config import resolve
from ..documents import SUPPORTED_TEXT
from ..engine import make_engine
from ..errors import ConfigError
from ..outputs import OUTPUT_FILES, prepare_out_dir
from ..panel import export, require

Opt = typer.Option
_LISTED = 100  # unsupported files named in the closing summary (all are counted)


def extract(
    inputs: Annotated[list[Path], typer.Argument(help="report files or folders (.txt .md .html .shtml .pdf .docx)")],
    out: Annotated[Path, Opt("-o", "--out", help="output folder (records.jsonl, indicators.csv, ...)")] = Path("out"),
    engine_kind: Annotated[
        str | None, Opt("--engine", help="rules | model | hybrid (default hybrid) [env EXTRACTOR_ENGINE]")
    ] = None,
    endpoint: Annotated[
        str | None,
        Opt(
            help="where the model lives: local (embedded, default) or an OpenAI-compatible URL [env EXTRACTOR_ENDPOINT]"
        ),
    ] = None,
    provider: Annotated[
        str | None, Opt(help="the old single flag: rules | local | openai | hybrid [env EXTRACTOR_PROVIDER]")
    ] = None,
    prompt: Annotated[str | None, Opt(help="prompt version in prompts/ [env EXTRACTOR_PROMPT]")] = None,
    model: Annotated[str | None, Opt(help="model name (remote) or known local model [env EXTRACTOR_MODEL]")] = None,
    model_path: Annotated[
        Path | None, Opt(help="any GGUF file for the local endpoint [env EXTRACTOR_MODEL_PATH]")
    ] = None,
    base_url: Annotated[str | None, Opt(help="the old name of --endpoint URL [env EXTRACTOR_BASE_URL]")] = None,
    api_key: Annotated[str | None, Opt(help="API key [env EXTRACTOR_API_KEY or OPENAI_API_KEY]")] = None,
    concurrency: Annotated[
        int | None,
        Opt(
            help="reports processed at once: worker processes for --engine rules, threads for a model [env EXTRACTOR_CONCURRENCY]"
        ),
    ] = None,
    threads: Annotated[int | None, Opt(help="local model CPU threads [env EXTRACTOR_THREADS]")] = None,
    context_size: Annotated[int | None, Opt(help="local model context size [env EXTRACTOR_CONTEXT_SIZE]")] = None,
    max_tokens: Annotated[int | None, Opt(help="token limit per model call [env EXTRACTOR_MAX_TOKENS]")] = None,
    max_reasks: Annotated[int | None, Opt(help="validation re-asks per section")] = None,
    timeout: Annotated[float | None, Opt(help="seconds per model call [env EXTRACTOR_TIMEOUT]")] = None,
    table_asks: Annotated[
        bool,
        Opt(
            "--table-asks",
            help="ask a capable endpoint (--endpoint URL) for each table row the rules left incomplete; the "
            "identities check the answer [env EXTRACTOR_TABLE_ASKS]",
        ),
    ] = False,
    no_cache: Annotated[bool, Opt("--no-cache", help="neither read nor write the response cache")] = False,
    ocr: Annotated[
        str | None, Opt(help="PDFs without a text layer: auto (read by OCR) | never | always [env EXTRACTOR_OCR]")
    ] = None,
    formats: Annotated[
        list[str] | None,
        Opt(
            "--format",
            "-f",
            help="also write the panel's tables at the end of the run: csv | parquet | duckdb (repeatable; "
            "extractor export rebuilds them later)",
        ),
    ] = None,
    backend: Annotated[
        str,
        Opt(
            help="where reports are extracted: local (worker processes or threads here) | dask (a Dask cluster: "
            "--scheduler ADDRESS, or a LocalCluster of --concurrency workers started for the job; the dist extra)"
        ),
    ] = "local",
    scheduler: Annotated[
        str | None, Opt(help="a running Dask scheduler's address (tcp://HOST:PORT), with --backend dask")
    ] = None,
    quiet: Annotated[bool, Opt("--quiet", "-q", help="no progress bar")] = False,
    as_json: Annotated[bool, Opt("--json", help="the closing summary as one JSON line")] = False,
    include_candidates: Annotated[
        bool,
        Opt(
            "--include-candidates",
            help="also put the model values the gate did not accept in indicators.csv (status column)",
        ),
    ] = False,
) -> None:
    """Extract indicators from reports into OUT_DIR; rerunning the same command resumes where it stopped."""
    settings = resolve(
        engine=engine_kind, endpoint=endpoint, provider=provider, prompt=prompt, model=model, model_path=model_path, base_url=base_url, api_key=api_key,
        concurrency=concurrency, threads=threads, context_size=context_size, max_tokens=max_tokens,
        max_reasks=max_reasks, timeout=timeout, cache=False if no_cache else None, ocr=ocr,
        table_asks=True if table_asks else None,
    )  # fmt: skip
    cluster.check(backend, scheduler, settings)  # before anything starts: a model server, a cluster
    console = Console(stderr=True)
    unsupported: list[Path] = []
    files = list(expand_inputs(inputs, unsupported))
    if unsupported:
        shown = ", ".join(str(p) for p in unsupported[:5]) + (" …" if len(unsupported) > 5 else "")
        console.print(f"[yellow]notice:[/] {len(unsupported)} file(s) of an unsupported type left out: {shown}")
    if not files:
        raise ConfigError(f"no input files found (supported: {SUPPORTED_TEXT})")
    chosen = [require(f) for f in dict.fromkeys(formats or [])]  # before the run: a typo costs nothing
    prepare_out_dir(out)
    engine = make_engine(settings, notice=lambda msg: console.print(f"[yellow]notice:[/] {msg}"))
    with Progress(
        TextColumn("[bold]extract[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(
            "failed {task.fields[failed]}{task.fields[asks]} · calls {task.fields[calls]} · "
            "cache {task.fields[hits]} · tokens {task.fields[tokens]}"
        ),
        TimeElapsedColumn(),
        console=console,
        disable=quiet,
    ) as bar:
        task = bar.add_task("extract", total=len(files), failed=0, asks="", calls=0, hits=0, tokens=0)

        def sections() -> str:
            if not engine.uses_model:
                return ""
            asked, planned, in_flight = engine.progress()
            return f" · sections {asked}/{planned} · in flight {in_flight}"

        def progress(stats: RunStats, _: str) -> None:
            bar.update(
                task,
                completed=stats.reports + stats.failed + stats.skipped,
                failed=stats.failed,
                asks=sections(),
                calls=stats.usage.model_calls,
                hits=stats.usage.cache_hits,
                tokens=stats.usage.prompt_tokens + stats.usage.completion_tokens,
            )

        # a report's sections are asked between two report-level updates, minutes apart on a small local model:
        # the section counts and calls in flight are refreshed by the bar's own thread, twice a second
        ticker = threading.Event()

        def tick() -> None:
            while not ticker.wait(0.5):
                bar.update(task, asks=sections())

        if engine.uses_model and not quiet:
            threading.Thread(target=tick, name="progress", daemon=True).start()
        try:
            if backend == "dask":
                stats = cluster.run(
                    files,
                    out,
                    engine,
                    settings=settings,
                    scheduler=scheduler,
                    workers=settings.concurrency,
                    on_progress=progress,
                    candidates=include_candidates,
                )
            else:
                stats = run(
                    files,
                    out,
                    engine,
                    concurrency=settings.concurrency,
                    on_progress=progress,
                    candidates=include_candidates,
                )
        finally:
            ticker.set()
        progress(stats, "")
    files = [out / name for name in OUTPUT_FILES]
    tables: list[Path] = []
    if chosen and (out / "records.jsonl").is_file():
        for fmt in chosen:  # from records.jsonl, as extractor export writes them: earlier runs' reports included
            tables += [p for p in export(out, fmt, candidates=include_candidates) if p not in files]
    summary = {
        "provider": engine.provider,
        "engine": engine.kind,
        "out": str(out),
        **stats.as_dict(),
        "skipped_unsupported": len(unsupported),
        "unsupported": [str(p) for p in unsupported[:_LISTED]],
        "files": [str(p) for p in files if p.exists()] + [str(p) for p in tables],
    }
    typer.echo(json.dumps(summary, ensure_ascii=False) if as_json else _in_words(summary, stats, files, tables))
    if stats.failed and stats.reports == 0 and stats.skipped == 0:
        first = (out / "errors.jsonl").read_text(encoding="utf-8").splitlines()[-1]
        raise typer.Exit(code=_exit_for(json.loads(first)))


_TABLES = {
    "panel": "the wide table: one row per report, one numeric column per code",
    "values": "the typed long table, with label_zh",
    "items": "the problems and improvements, one item per row",
    "codebook": "the codes: label, unit, eras",
    "findings": "the findings, typed",
    "extractor": "a DuckDB database: the tables and the views panel, values, items, findings",
}


def _exit_for(error: dict[str, str]) -> int:
    typer.echo(f"error: {error.get('message', 'failed')}", err=True)
    return 2 if error.get("error") in ("InputError", "NotAReportError", "ConfigError") else 1


def _in_words(summary: dict[str, object], stats: RunStats, files: list[Path], tables: list[Path]) -> str:
    """The closing summary a person reads: what was done, and every file written with what it holds."""
    lines = [
        f"{stats.reports} report(s) extracted, {stats.skipped} already done, {stats.failed} failed, "
        f"{summary['skipped_unsupported']} file(s) of another type left out; {stats.values} values; "
        f"{stats.usage.model_calls} model call(s), {stats.usage.cache_hits} from the cache; {stats.seconds:.1f} s",
    ]
    holds = {
        "records.jsonl": "one record per report (the source of truth; resume reads it)",
        "indicators.csv": "the long table: one value per row, status accepted",
        "findings.csv": "identities that failed, disagreements between engines",
        "errors.jsonl": "the inputs that failed, with the reason",
    }
    lines += [f"  {p}  {holds[p.name]}" for p in files if p.exists()]
    lines += [f"  {p}  {_TABLES.get(p.stem, 'the panel tables')}" for p in tables]
    lines.append("  (extractor export OUT --format parquet|duckdb|csv for the panel's tables; --json for this as JSON)")
    return "\n".join(lines)
