"""Table blocks the rules could not complete, asked of a capable endpoint (issue 13, item 3): the identities
check the answer, a broken one is re-asked by name with its cells, and only a confirmed block reaches the tree."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from extractor.config import resolve
from extractor.documents import read_text
from extractor.engine import make_engine
from extractor.errors import ConfigError
from extractor.fields import build_block_schema
from extractor.models import APPLICANT_COLUMNS, ReportRecord
from extractor.pipeline import process_document
from extractor.table_pass import blocks, incomplete

from .conftest import seed_path
from .fault_server import FaultServer, ok

TITLE = "表三 (一)予以公开"
PRINTED = "(一) 予以公开\t6893\t931\t8\t7\t19\t192\t8050"
# the same row as a scraped page may print it: the rules read no cell of it
GARBLED = "(一) 予以公开\t6893、931、8、7、19、192、8050"
RIGHT = dict(zip(APPLICANT_COLUMNS, (6893, 931, 8, 7, 19, 192, 8050), strict=True))


def _report() -> str:
    text = seed_path("004").read_text(encoding="utf-8")
    assert PRINTED in text
    return text.replace(PRINTED, GARBLED)


def _answer(other_org: int, row: str = "(一) 予以公开 6893、931、8、7、19、192、8050") -> str:
    """The row as a model may read it: ``other_org`` 19 takes the "19" of "192" (its digits are in the row, in
    order, so only the identities can tell)."""
    return json.dumps({**RIGHT, "other_org": other_org, "row": row}, ensure_ascii=False)


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer() as s:  # every other request (the sections' asks) is answered "{}": nothing read
        yield s


def _run(server: FaultServer, *, table_asks: bool = True, reasks: int = 1) -> ReportRecord:
    settings = resolve(
        engine="hybrid", endpoint=server.base_url, model="m", api_key="k", table_asks=table_asks,
        cache=False, max_retries=0, max_reasks=reasks,
    )  # fmt: skip
    return process_document(read_text(_report(), "garbled.txt"), make_engine(settings))


def _block_requests(server: FaultServer) -> list[list[dict[str, str]]]:
    return [r.messages for r in server.requests if TITLE in r.prompt]


def test_the_rules_leave_the_row_incomplete() -> None:
    record = process_document(read_text(_report()), make_engine(resolve(engine="rules")))
    assert [b.title for b in incomplete(record.indicators, blocks(record.meta.template))] == [TITLE]


def test_a_broken_identity_is_reasked_by_name_and_the_confirmed_row_accepted(server: FaultServer) -> None:
    server.rule(TITLE, ok(_answer(19)), ok(_answer(192)))  # a misread cell, then the printed row
    record = _run(server)
    asked = _block_requests(server)
    assert len(asked) == 2
    reask = asked[1][-1]["content"]
    # the re-ask names the identity, its cells and their values
    assert "I2" in reask and "requests.granted.other_org (19)" in reask and "requests.granted.total (8050)" in reask
    assert asked[1][-2]["role"] == "assistant"
    for column, value in RIGHT.items():
        q = record.indicators.get(f"requests.granted.{column}")
        assert q is not None and q.value == value and q.status == "accepted" and q.engine == "model"
    q = record.indicators.get("requests.granted.total")
    assert q is not None and q.source.table == "表三" and q.source.quote is not None and "6893" in q.source.quote
    assert q.source.start is not None and record.usage.reasks >= 1
    kept = record.indicators.get("requests.partial.total")  # the rules' cells around it are theirs still
    assert kept is not None and kept.engine == "rules" and kept.value == 1530
    assert not [f for f in record.findings if f.severity == "error" and "requests.granted.total" in f.cells]


def test_an_answer_that_keeps_breaking_an_identity_stays_a_candidate(server: FaultServer) -> None:
    server.rule(TITLE, ok(_answer(19)), ok(_answer(19)))
    record = _run(server)
    assert len(_block_requests(server)) == 2
    assert record.indicators.get("requests.granted.other_org") is None
    assert record.indicators.get("requests.granted.natural_person") is None  # the row goes out whole
    [candidate] = record.alternates["requests.granted.other_org"]
    assert candidate.status == "candidate" and candidate.value == 19 and "I2" in (candidate.reason or "")


def test_a_row_not_in_the_text_is_reasked_and_never_accepted(server: FaultServer) -> None:
    invented = _answer(192, row="(一) 予以公开 6000、900、8、7、19、192、8050")
    server.rule(TITLE, ok(invented), ok(invented))
    record = _run(server)
    reask = _block_requests(server)[1][-1]["content"]
    assert "row" in reask and "不在文本中" in reask
    assert record.indicators.get("requests.granted.total") is None


def test_off_by_default_and_refused_for_the_embedded_model(server: FaultServer) -> None:
    _run(server, table_asks=False)
    assert _block_requests(server) == []
    with pytest.raises(ConfigError, match="--table-asks needs a model engine on a capable endpoint"):
        resolve(table_asks=True)  # the default endpoint: the embedded model
    with pytest.raises(ConfigError, match="--table-asks"):
        resolve(engine="rules", endpoint="http://h/v1", table_asks=True)


def test_block_schema_checks_the_cells_against_the_copied_row() -> None:
    schema = build_block_schema(APPLICANT_COLUMNS, tuple(APPLICANT_COLUMNS))
    text = "(一) 予以公开 6893、931、8、7、19、192、8050"
    assert schema.model_validate({**RIGHT, "row": text}, context={"text": text}).cells() == RIGHT
    with pytest.raises(ValueError, match="total: 8051 不在该行原文中"):
        schema.model_validate({**RIGHT, "total": 8051, "row": text}, context={"text": text})
    run_together = "予以公开68939318719192 8050"  # cells printed without separators still hold their digits in order
    schema.model_validate({**RIGHT, "row": run_together}, context={"text": run_together})
