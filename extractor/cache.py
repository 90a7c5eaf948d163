"""The model-response cache (diskcache under ``$EXTRACTOR_HOME/cache``).

The key covers everything that can change an answer: provider, model, prompt version and text, the schema the
model saw, every sampling parameter and the section text. Each entry stores the answer *and* its token usage, so
a fully cached rerun makes no model call and still reports what the run would have cost.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import pickle
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import diskcache

from .config import home
from .errors import CacheError


def cache_key(
    *,
    provider: str,
    endpoint: str = "",
    model: str,
    prompt_version: str,
    prompt_text: str,
    schema: dict[str, Any],
    sampling: dict[str, Any],
    text: str,
) -> str:
    """A stable hex key; changing any argument changes the key."""
    material = {
        "provider": provider,
        "model": model,
        "prompt_version": prompt_version,
        "prompt_sha": hashlib.sha256(prompt_text.encode()).hexdigest(),
        "schema_sha": hashlib.sha256(json.dumps(schema, sort_keys=True, ensure_ascii=False).encode()).hexdigest(),
        "sampling": sampling,
        "text_sha": hashlib.sha256(text.encode()).hexdigest(),
    }
    if endpoint:  # another server with the same model name may answer otherwise (absent: keys of earlier runs)
        material["endpoint"] = endpoint
    return hashlib.sha256(json.dumps(material, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


@dataclass
class CachedAnswer:
    content: str  # the model's raw JSON answer
    prompt_tokens: int
    completion_tokens: int
    model_calls: int  # calls it took (re-asks included)
    verified: bool


class ResponseCache:
    """A thin, typed wrapper over diskcache; safe across threads and processes."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or home() / "cache"
        try:
            self._cache = diskcache.Cache(str(self.directory), size_limit=2**32)
        except (sqlite3.DatabaseError, OSError) as e:
            raise CacheError(
                f"the response cache at {self.directory} is damaged or unusable ({type(e).__name__}: {e}); "
                "clear it with `extractor cache clear`, or run with --no-cache"
            ) from None

    def get(self, key: str) -> CachedAnswer | None:
        try:
            raw = self._cache.get(key)
        except (sqlite3.DatabaseError, OSError, pickle.UnpicklingError, EOFError, ValueError):
            return None  # one damaged entry is a miss, not a failed run
        if not isinstance(raw, dict):
            return None
        try:
            return CachedAnswer(**raw)
        except TypeError:
            return None  # an entry from an older layout: treat as a miss

    def put(self, key: str, answer: CachedAnswer) -> None:
        # a cache that cannot store costs a later run a call, never this run its answer
        with contextlib.suppress(sqlite3.DatabaseError, OSError):
            self._cache.set(key, answer.__dict__)

    def stats(self) -> dict[str, Any]:
        entries = len(self._cache)
        tokens = 0
        for key in self._cache.iterkeys():
            entry = self._cache.get(key)
            if isinstance(entry, dict):
                tokens += int(entry.get("prompt_tokens", 0)) + int(entry.get("completion_tokens", 0))
        return {"directory": str(self.directory), "entries": entries, "bytes": self._cache.volume(), "tokens": tokens}

    def clear(self) -> int:
        return int(self._cache.clear())

    def close(self) -> None:
        self._cache.close()


def clear_directory(directory: Path | None = None) -> int:
    """Delete the cache, damaged or not: entries removed through diskcache when it opens, else the folder itself
    (returns -1 then: the count is unknown)."""
    directory = directory or home() / "cache"
    try:
        cache = ResponseCache(directory)
    except CacheError:
        if directory.is_dir():
            shutil.rmtree(directory)
        elif directory.exists():
            directory.unlink()
        return -1
    removed = cache.clear()
    cache.close()
    return removed
