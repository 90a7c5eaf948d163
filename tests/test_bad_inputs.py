"""Bad inputs through the CLI: each gets one error line naming the file and the reason, and a non-zero exit when it
is the only input; none crashes a bulk run, where each becomes one errors.jsonl line and the good reports finish.

The corpus: small files committed under ``tests/bad_inputs/`` (see its README), and the binary ones (PDFs, random
bytes, a 5 MB text) generated here. Everything sits in a folder whose name has a space and Chinese characters.
"""

from __future__ import annotations

import csv
import json
import random
import shutil
from pathlib import Path

import pytest

from .conftest import extract_cli, seed_path

CORPUS = Path(__file__).parent / "bad_inputs"

# (id, file name, what the one-line reason says)
BAD: list[tuple[str, str, str]] = [
    ("empty", "empty.txt", "empty file"),
    ("binary", "binary.txt", "binary file, not text"),
    ("truncated-pdf", "truncated.pdf", "damaged PDF"),
    ("encrypted-pdf", "encrypted.pdf", "encrypted PDF"),
    ("pdf-without-text-layer", "scanned.pdf", "PDF has no text layer"),  # and OCR found no text on its pages
    ("not-a-report", "not_a_report.txt", "not a government information-disclosure annual report"),
    ("html-without-body-text", "no_body_text.html", "no text in the HTML page"),
    ("mixed-encodings", "mixed_encodings.txt", "undetectable or mixed text encoding"),
]
HUGE_BYTES = 5_000_000


def _pdf(pages: int, text: str | None, user_password: str | None = None) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    if user_password is not None:
        pdf.set_encryption(owner_password="owner", user_password=user_password)  # RC4, as fpdf2 writes by default
    for _ in range(pages):
        pdf.add_page()
        if text is None:
            pdf.rect(20, 20, 120, 80, style="F")  # a "scan": drawing only, no text layer
        else:
            pdf.set_font("Helvetica", size=11)
            pdf.multi_cell(0, 7, text)
    return bytes(pdf.output())


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every bad input in one folder, ``坏 输入/`` (a space and Chinese characters in the path)."""
    folder = tmp_path_factory.mktemp("corpus") / "坏 输入"
    folder.mkdir()
    for path in CORPUS.iterdir():
        if path.name != "README.md":
            shutil.copy(path, folder / path.name)
    latin = "Government information disclosure annual report. Requests received: 12. " * 30
    (folder / "binary.txt").write_bytes(random.Random(6).randbytes(4096))
    (folder / "truncated.pdf").write_bytes(_pdf(3, latin)[:900])
    (folder / "encrypted.pdf").write_bytes(_pdf(1, latin, user_password="open-sesame"))
    (folder / "scanned.pdf").write_bytes(_pdf(2, None))
    assert sorted(p.name for p in folder.iterdir()) == sorted(name for _, name, _ in BAD)
    return folder


def _huge(folder: Path) -> Path:
    """A real report repeated to 5 MB (about 1.7 million characters, over 500 sections)."""
    seed = seed_path("000").read_text(encoding="utf-8")
    path = folder / "huge.txt"
    path.write_text(seed * (HUGE_BYTES // len(seed.encode()) + 1), encoding="utf-8")
    return path


_extract = extract_cli


@pytest.mark.parametrize(("name", "reason"), [(b[1], b[2]) for b in BAD], ids=[b[0] for b in BAD])
def test_a_lone_bad_input_fails_with_one_line_and_a_nonzero_exit(
    name: str, reason: str, corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = corpus / name
    code, _, err = _extract([str(path), "-o", str(tmp_path / "out")], capsys)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and str(path) in lines[0] and reason in lines[0]
    assert "Traceback" not in err
    assert code == 2  # a caller's mistake (the file), not a failure of ours


def test_a_bulk_run_survives_every_bad_input(corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inputs = tmp_path / "in"
    shutil.copytree(corpus, inputs / "坏 输入")
    good = inputs / "报告 2020" / "广州 年报.txt"
    good.parent.mkdir()
    shutil.copy(seed_path("000"), good)
    huge = _huge(inputs)
    out = tmp_path / "out"
    code, stdout, err = _extract([str(inputs), "-o", str(out)], capsys)
    assert code == 0 and "Traceback" not in err
    summary = json.loads(stdout.strip().splitlines()[-1])
    assert (summary["reports"], summary["failed"]) == (2, len(BAD))
    records = [json.loads(line) for line in (out / "records.jsonl").read_text("utf-8").splitlines()]
    assert sorted(r["report"] for r in records) == sorted([good.stem, huge.stem])
    # Decided: a very large text is read and extracted like any report (there is no size limit).
    big = next(r for r in records if r["report"] == huge.stem)
    assert len(big["sections"]) > 100 and big["indicators"]
    errors = [json.loads(line) for line in (out / "errors.jsonl").read_text("utf-8").splitlines()]
    assert len(errors) == len(BAD)
    by_file = {Path(e["path"]).name: e for e in errors}
    for _, name, reason in BAD:
        entry = by_file[name]
        assert entry["path"] == str(inputs / "坏 输入" / name)
        assert reason in entry["message"] and "\n" not in entry["message"]
        assert entry["error"] in ("InputError", "NotAReportError")
    reports = {row["report"] for row in csv.DictReader((out / "indicators.csv").open(encoding="utf-8"))}
    assert reports == {good.stem, huge.stem}


def test_a_path_with_spaces_and_chinese_characters_works(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "报告 2020" / "广州 年报.txt"
    good.parent.mkdir()
    shutil.copy(seed_path("000"), good)
    out = tmp_path / "输出 目录"
    code, _, err = _extract([str(good), "-o", str(out)], capsys)
    assert code == 0 and err == ""
    record = json.loads((out / "records.jsonl").read_text("utf-8"))
    assert (record["report"], record["path"]) == ("广州 年报", str(good))
    rows = list(csv.DictReader((out / "indicators.csv").open(encoding="utf-8")))
    assert rows and {r["report"] for r in rows} == {"广州 年报"}
