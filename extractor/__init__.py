"""extractor: structured extraction of China's government information-disclosure annual reports.

The Python API, for notebooks and scripts (the CLI is built on the same calls)::

    from pathlib import Path
    import extractor

    record = extractor.extract(Path("report.pdf"))             # one report, rules engine, nothing else read
    record.indicators.get("requests.new.total").value
    stats = extractor.extract_many([Path("reports/")], Path("out"))  # a bulk job into an output folder
    records = extractor.load_records(Path("out"))

Nothing here reads the environment or a config file: a model engine is given its settings explicitly
(``Settings(engine="model", endpoint=URL, model=...)``), or the caller asks for the CLI's resolution
(flags > environment > config file > defaults) with :func:`settings_from_environment`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from .config import Settings
from .config import resolve as settings_from_environment
from .errors import (
    ConfigError,
    ExtractorError,
    InputError,
    ModelOutputError,
    NotAReportError,
    OutputError,
    RuntimeFailure,
    TransportError,
    UsageError,
)
from .models import ReportRecord

if TYPE_CHECKING:
    from .bulk import RunStats
    from .engine import Engine

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "ExtractorError",
    "InputError",
    "ModelOutputError",
    "NotAReportError",
    "OutputError",
    "ReportRecord",
    "RunStats",
    "RuntimeFailure",
    "Settings",
    "TransportError",
    "UsageError",
    "__version__",
    "extract",
    "extract_many",
    "load_records",
    "settings_from_environment",
]


def __getattr__(name: str) -> object:
    if name == "RunStats":  # the pipeline is imported when a call needs it, not on `import extractor`
        from .bulk import RunStats

        return RunStats
    raise AttributeError(f"module 'extractor' has no attribute {name!r}")


def _engine(settings: Settings | None) -> Engine:
    from .engine import Engine, make_engine

    if settings is None:
        return Engine("rules")
    return make_engine(settings)  # the rules engine too: with the settings' ocr


def extract(source: Path | str, *, settings: Settings | None = None) -> ReportRecord:
    """One report: ``source`` is a file (a :class:`~pathlib.Path`: .txt .md .html .pdf .docx) or the report's text
    (a ``str``). The rules engine unless ``settings`` name another. Raises :class:`InputError` (or
    :class:`NotAReportError`) when the input cannot be read as a report."""
    from .documents import read_document, read_text
    from .pipeline import process_document

    doc = read_document(source) if isinstance(source, Path) else read_text(source)
    return process_document(doc, _engine(settings))


def extract_many(
    inputs: Iterable[Path],
    out_dir: Path,
    *,
    settings: Settings | None = None,
    concurrency: int = 1,
    backend: str = "local",
    scheduler: str | None = None,
) -> RunStats:
    """A bulk job: files and folders into ``out_dir`` (records.jsonl, indicators.csv, findings.csv, errors.jsonl),
    resuming where an earlier run into the same folder stopped. Returns the run's :class:`RunStats`.

    ``backend="dask"`` extracts each report on a Dask cluster (the ``dist`` extra): the scheduler at
    ``scheduler``, or a LocalCluster of ``concurrency`` workers started for the job; the folder written is the
    same. A model engine there needs a shared endpoint (``Settings(endpoint=URL)``)."""
    from . import cluster
    from .bulk import expand_inputs, run

    cluster.check(backend, scheduler, settings)
    if concurrency < 1:
        raise ConfigError("concurrency must be at least 1")
    files = list(expand_inputs(inputs))
    engine = _engine(settings)
    if backend == "dask":
        return cluster.run(files, out_dir, engine, settings=settings, scheduler=scheduler, workers=concurrency)
    return run(files, out_dir, engine, concurrency=concurrency)


def load_records(out_dir: Path) -> list[ReportRecord]:
    """Every record of an output folder (damaged lines skipped)."""
    from .outputs import iter_records

    return list(iter_records(out_dir))
