"""Prompts are validated data."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractor.errors import PromptError
from extractor.prompts import available, load_prompt, load_prompt_file


def test_shipped_prompts_load_and_differ() -> None:
    versions = available()
    assert {"v1", "v2"} <= set(versions)
    shas = {load_prompt(v).sha256 for v in versions}
    assert len(shas) == len(versions)
    rendered = load_prompt("v2").render("requests", fields="- requests_received: 收到申请", text="正文")
    assert "正文" in rendered and "requests_received" in rendered and "同意部分公开" in rendered


GOOD = """version = "{name}"
description = "d"
system = "s"
user = "{fields} {text}"
list_user = "{text}"
"""


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (GOOD.replace('system = "s"\n', ""), "missing"),
        (GOOD + 'extra = "x"\n', "unknown keys"),
        (GOOD.replace("{fields} ", ""), "must use"),
        (GOOD.replace('list_user = "{text}"', 'list_user = "{fields}"'), "list_user"),
        (GOOD + '[sections.nonsense]\ninstructions = "x"\n', "not a section kind"),
        (GOOD + '[sections.fees]\nhint = "x"\n', "exactly one string"),
        ("version = ", "cannot read"),
    ],
    ids=["missing-key", "unknown-key", "no-fields", "bad-list", "bad-kind", "bad-section-body", "not-toml"],
)
def test_bad_prompt_files_fail_loudly(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "vx.toml"
    path.write_text(body.replace("{name}", "vx"), encoding="utf-8")
    with pytest.raises(PromptError, match=message):
        load_prompt_file(path)


def test_version_must_match_file_name(tmp_path: Path) -> None:
    path = tmp_path / "v9.toml"
    path.write_text(GOOD.replace("{name}", "v8"), encoding="utf-8")
    with pytest.raises(PromptError, match="match the file name"):
        load_prompt_file(path)


def test_unknown_version_lists_the_available_ones() -> None:
    with pytest.raises(PromptError, match=r"available: .*v1"):
        load_prompt("nope")
