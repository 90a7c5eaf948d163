"""Prompts are versioned data in prompts/*.toml, validated on load and part of the cache key."""

from __future__ import annotations

import hashlib
import string
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from .errors import PromptError
from .models import SECTION_KINDS
from .resources import data_dir

_REQUIRED = ("version", "description", "system", "user", "list_user")
_ALLOWED = {*_REQUIRED, "sections", "table_user"}
_USER_FIELDS = {"fields", "text", "instructions"}


@dataclass(frozen=True)
class Prompt:
    version: str
    description: str
    system: str
    user: str
    list_user: str
    sections: dict[str, str] = field(default_factory=dict)  # kind -> extra instructions
    path: Path | None = None
    table_user: str = ""  # a table block the rules could not complete: {table}, {columns}, {text}

    @property
    def sha256(self) -> str:
        material = "\x00".join(
            [self.system, self.user, self.list_user, *sorted(f"{k}={v}" for k, v in self.sections.items())]
        )
        return hashlib.sha256(material.encode()).hexdigest()

    def render(self, kind: str, *, fields: str, text: str) -> str:
        return self.user.format(fields=fields, text=text, instructions=self.sections.get(kind, ""))

    def render_list(self, text: str) -> str:
        return self.list_user.format(text=text)

    def render_table(self, *, table: str, columns: str, text: str) -> str:
        return self.table_user.format(table=table, columns=columns, text=text)


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def parse_prompt(data: dict[str, object], path: Path) -> Prompt:
    missing = [k for k in _REQUIRED if not isinstance(data.get(k), str) or not str(data[k]).strip()]
    if missing:
        raise PromptError(f"{path}: missing or empty keys {missing}")
    unknown = sorted(set(data) - _ALLOWED)
    if unknown:
        raise PromptError(f"{path}: unknown keys {unknown}; allowed: {sorted(_ALLOWED)}")
    if data["version"] != path.stem:
        raise PromptError(f"{path}: version {data['version']!r} must match the file name {path.stem!r}")
    user, list_user = str(data["user"]), str(data["list_user"])
    try:
        used, used_list = _placeholders(user), _placeholders(list_user)
    except ValueError as e:
        raise PromptError(f"{path}: bad placeholder: {e} (write literal braces as {{{{ }}}})") from e
    if not {"fields", "text"} <= used or used - _USER_FIELDS:
        raise PromptError(
            f"{path}: 'user' must use {{fields}} and {{text}} (and may use {{instructions}}), got {sorted(used)}"
        )
    if used_list != {"text"}:
        raise PromptError(f"{path}: 'list_user' must use exactly {{text}}, got {sorted(used_list)}")
    table_user = str(data.get("table_user", ""))
    try:
        used_table = _placeholders(table_user)
    except ValueError as e:
        raise PromptError(f"{path}: bad placeholder in 'table_user': {e}") from e
    if table_user and used_table != {"table", "columns", "text"}:
        raise PromptError(
            f"{path}: 'table_user' must use exactly {{table}}, {{columns}} and {{text}}, got {sorted(used_table)}"
        )
    sections: dict[str, str] = {}
    raw_sections = data.get("sections", {})
    if not isinstance(raw_sections, dict):
        raise PromptError(f"{path}: [sections] must be a table")
    for kind, body in raw_sections.items():
        if kind not in SECTION_KINDS:
            raise PromptError(f"{path}: [sections.{kind}] is not a section kind; kinds: {', '.join(SECTION_KINDS)}")
        if not isinstance(body, dict) or set(body) != {"instructions"} or not isinstance(body["instructions"], str):
            raise PromptError(f"{path}: [sections.{kind}] must hold exactly one string 'instructions'")
        sections[kind] = body["instructions"]
    return Prompt(
        version=str(data["version"]),
        description=str(data["description"]),
        system=str(data["system"]),
        user=user,
        list_user=list_user,
        sections=sections,
        path=path,
        table_user=table_user,
    )


def load_prompt_file(path: Path) -> Prompt:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise PromptError(f"{path}: cannot read prompt: {e}") from e
    return parse_prompt(data, path)


def available() -> list[str]:
    return sorted(p.stem for p in data_dir("prompts").glob("*.toml"))


@cache
def load_prompt(version: str) -> Prompt:
    """The prompt ``version`` (a name in prompts/, or a path to a .toml file)."""
    candidate = Path(version)
    if candidate.suffix == ".toml" and candidate.is_file():
        return load_prompt_file(candidate)
    path = data_dir("prompts") / f"{version}.toml"
    if not path.is_file():
        raise PromptError(f"no prompt {version!r}; available: {', '.join(available())}")
    return load_prompt_file(path)
