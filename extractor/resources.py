"""Where the data that ships with the package lives: prompts/ and schemas/ (codebook, JSON Schemas).

In a checkout they sit at the top of the repository; in a wheel they are bundled under ``extractor/_bundled``.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """The folder ``prompts`` or ``schemas``, from the wheel's bundle or else from the checkout."""
    for candidate in (_PACKAGE / "_bundled" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"extractor's bundled data folder {name!r} is missing; reinstall the package")


def repo_root() -> Path | None:
    """The checkout's top folder, when running from one (None in an installed wheel)."""
    root = _PACKAGE.parent
    return root if (root / "pyproject.toml").is_file() else None
