"""extractor.identities: I1–I4 and the pre-2019 sums (check), and what they imply (derive)."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from extractor.identities import check, derive
from extractor.models import APPLICANT_COLUMNS, Indicators, Qualifier, Quantity
from extractor.tables import parse_tables

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "tables"
_CJK = r"[\u3400-\u9fff]"

OUTCOME_ROWS = (
    "granted",
    "partial",
    "denied.state_secret",
    "denied.law_prohibited",
    "denied.security_stability",
    "denied.third_party",
    "denied.internal_affairs",
    "denied.process_info",
    "denied.enforcement_file",
    "denied.admin_query",
    "unable.not_held",
    "unable.needs_creation",
    "unable.unclear",
    "not_processed.complaint",
    "not_processed.duplicate",
    "not_processed.publication",
    "not_processed.mass_repeat",
    "not_processed.confirm_reissue",
)


def normalize(text: str) -> str:
    """Stand-in for documents.py: NFKC and no spaces between digits and CJK."""
    text = unicodedata.normalize("NFKC", text)
    return re.sub(rf"(?<=\d) +(?={_CJK})|(?<={_CJK}) +(?=\d)", "", text)


Values = dict[str, "int | float | tuple[int | float, Qualifier] | None"]


def make(values: Values) -> Indicators:
    """Indicators from code → value (None: a blank cell; (value, qualifier) for rounded values)."""
    ind = Indicators()
    for code, v in values.items():
        if isinstance(v, tuple):
            ind.set(code, Quantity(value=v[0], qualifier=v[1], raw=str(v[0])))
        else:
            ind.set(code, Quantity(value=v, raw="" if v is None else str(v)))
    return ind


def from_text(text: str) -> Indicators:
    ind = Indicators()
    for c in parse_tables(text):
        ind.set(c.code, Quantity(value=c.value, unit=c.unit or "件", raw=c.raw, qualifier=c.qualifier))
    return ind


@pytest.fixture
def gz2020() -> Indicators:
    (path,) = (ROOT / "eval" / "seeds").glob("004_*.txt")
    return from_text(normalize(path.read_text(encoding="utf-8")))


def column(col: str, processed: int, **rows: int) -> Values:
    """Every 表三 outcome cell of one column (0 unless given), plus （六） and （七）总计."""
    out: Values = {f"requests.{r}.{col}": rows.get(r.replace(".", "_"), 0) for r in OUTCOME_ROWS}
    if "other" in rows:
        out[f"requests.other.{col}"] = rows["other"]
    for sub in ("no_correction", "fee_unpaid", "misc"):
        if sub in rows:
            out[f"requests.other.{sub}.{col}"] = rows[sub]
    out[f"requests.processed.{col}"] = processed
    return out


NP = "natural_person"
GZ2018_CATEGORIES: Values = {
    "proactive.total": (810000, "approx"),
    "proactive.category.organization": 238,
    "proactive.category.other_docs": 4544,
    "proactive.category.dynamics": (96000, "approx"),
    "proactive.category.enforcement": (655000, "approx"),
    "proactive.category.service_guides": 3035,
    "proactive.category.budget": 612,
    "proactive.category.other": (51000, "approx"),
}
GZ2018_CHANNELS: Values = {
    "requests.received": 9532,
    "requests.channel.online": 6178,
    "requests.channel.letter": 2298,
    "requests.channel.in_person": 1051,
    "requests.channel.fax": 5,
}
GZ2018_OUTCOMES: Values = {
    "requests.answered": 9450,
    "requests.legacy.already_public": 187,
    "requests.legacy.granted": 4826,
    "requests.legacy.partial": 225,
    "requests.legacy.denied": 317,
    "requests.legacy.not_this_agency": 926,
    "requests.legacy.nonexistent": 1250,
    "requests.legacy.unclear": 185,
    "requests.legacy.other": 1534,
}

# (values, expected findings as (check, severity, expected, found, suspects))
CASES: dict[str, tuple[Values, list[tuple[str, str, float, float, list[str]]]]] = {
    "I1 holds": (
        {
            f"requests.new.{NP}": 10,
            f"requests.carried_in.{NP}": 2,
            f"requests.processed.{NP}": 9,
            f"requests.carried_out.{NP}": 3,
        },
        [],
    ),
    "I1 fails": (
        {
            f"requests.new.{NP}": 10,
            f"requests.carried_in.{NP}": 2,
            f"requests.processed.{NP}": 8,
            f"requests.carried_out.{NP}": 3,
        },
        [("I1", "error", 12, 11, [])],
    ),
    "I2 holds": (
        {f"requests.granted.{c}": v for c, v in zip(APPLICANT_COLUMNS, (1, 2, 3, 0, 0, 0, 6), strict=True)},
        [],
    ),
    "I2 fails": (
        {f"requests.granted.{c}": v for c, v in zip(APPLICANT_COLUMNS, (1, 2, 3, 0, 0, 0, 7), strict=True)},
        [("I2", "error", 6, 7, ["requests.granted.total"])],
    ),
    "I3 holds (2019)": (column(NP, 6, granted=5, other=1), []),
    "I3 fails (2019)": (column(NP, 7, granted=5, other=1), [("I3", "error", 6, 7, [f"requests.processed.{NP}"])]),
    "I3 holds (2021 sub-rows)": (column(NP, 8, granted=5, no_correction=1, fee_unpaid=1, misc=1), []),
    "I3 fails (2021 （六） vs its sub-rows)": (
        column(NP, 8, granted=5, other=3, no_correction=2, fee_unpaid=1, misc=1),
        [("I3", "error", 4, 3, [f"requests.other.{NP}"])],
    ),
    "I4 holds": (
        {"review.upheld": 1, "review.corrected": 2, "review.other": 3, "review.pending": 4, "review.total": 10},
        [],
    ),
    "I4 fails": (
        {"review.upheld": 1, "review.corrected": 2, "review.other": 3, "review.pending": 4, "review.total": 11},
        [("I4", "error", 10, 11, ["review.total"])],
    ),
    "I4 pre-2019 without pending (GZ 2018)": (
        {
            "review.upheld": 99,
            "review.corrected": 28,
            "review.other": 40,
            "review.total": 167,
            "litigation.upheld": 11,
            "litigation.corrected": 1,
            "litigation.other": 24,
            "litigation.total": 36,
        },
        [],
    ),
    "I4 litigation = direct + after review": (
        {"litigation.direct.total": 198, "litigation.after_review.total": 60, "litigation.total": 259},
        [("I4", "error", 258, 259, ["litigation.total"])],
    ),
    "channels (GZ 2018)": (GZ2018_CHANNELS, []),
    "channels exceed the total": (
        {**GZ2018_CHANNELS, "requests.received": 9000},
        [("pre2019.channels", "error", 9532, 9000, ["requests.received"])],
    ),
    "channels fall short": (
        {**GZ2018_CHANNELS, "requests.received": 10000},
        [("pre2019.channels", "warning", 9532, 10000, [])],
    ),
    "outcomes (GZ 2018)": (GZ2018_OUTCOMES, []),
    "outcomes: GZ combined category is not counted twice": (
        {
            "requests.answered": 4,
            "requests.legacy.granted": 0,
            "requests.legacy.not_this_agency_or_nonexistent": 4,
            "requests.legacy.not_this_agency": 4,
        },
        [],
    ),
    "categories within 万 rounding (GZ 2018: 810429 vs 81万)": (GZ2018_CATEGORIES, []),
    "categories fall short (GZ 2009: 3 + 12 + 61 = 76 vs 81)": (
        {
            "proactive.total": 81,
            "proactive.category.organization": 3,
            "proactive.category.rules_internal": 12,
            "proactive.category.business": 61,
        },
        [("pre2019.categories", "warning", 76, 81, [])],
    ),
    "a rounded total beyond its rounding": (
        {**GZ2018_CATEGORIES, "proactive.total": (800000, "approx")},
        [("pre2019.categories", "error", 810429, 800000, ["proactive.total"])],
    ),
    "at_least tolerance (10万多)": (
        {
            "consult.web_visits": (100000, "at_least"),
            "proactive.total": (100000, "at_least"),
            "proactive.category.dynamics": 100000,
            "proactive.category.other": 9000,
        },
        [],
    ),
    "cells missing: nothing checked": ({f"requests.new.{NP}": 10, f"requests.processed.{NP}": 99}, []),
    "blank cells: nothing checked": (
        {"review.upheld": None, "review.corrected": 2, "review.other": 3, "review.pending": 4, "review.total": 99},
        [],
    ),
}


@pytest.mark.parametrize(("values", "expected"), list(CASES.values()), ids=list(CASES))
def test_check_identities(values: Values, expected: list[tuple[str, str, float, float, list[str]]]) -> None:
    findings = check(make(values))
    assert [(f.check, f.severity, f.expected, f.found, f.suspects) for f in findings] == expected
    for f in findings:
        assert set(f.suspects) <= set(f.cells)
        assert all(code in f.message for code in f.cells)  # the message names every cell it read


def test_message_reads_well() -> None:
    (finding,) = check(make(CASES["I1 fails"][0]))
    assert finding.message == (
        "I1 fails for column natural_person: requests.new.natural_person (10) + requests.carried_in.natural_person (2)"
        " = 12, but requests.processed.natural_person (8) + requests.carried_out.natural_person (3) = 11"
    )


def test_gz2020_all_identities_hold(gz2020: Indicators) -> None:
    assert check(gz2020) == []


def test_suspect_is_row_column_intersection(gz2020: Indicators) -> None:
    """A misread 自然人 cell of 一、本年新收 breaks I2 of its row and I1 of its column: it is the suspect."""
    gz2020.set("requests.new.natural_person", Quantity(value=16300))
    findings = check(gz2020)
    assert sorted(f.check for f in findings) == ["I1", "I2"]
    assert all(f.suspects == ["requests.new.natural_person"] for f in findings)


def test_suspect_in_three_failing_identities(gz2020: Indicators) -> None:
    """（七）总计 / 商业企业 sits in I2 (its row), I1 and I3 (its column)."""
    gz2020.set("requests.processed.commercial", Quantity(value=1654))
    findings = check(gz2020)
    assert sorted(f.check for f in findings) == ["I1", "I2", "I3"]
    assert all(f.suspects == ["requests.processed.commercial"] for f in findings)


def test_check_never_modifies(gz2020: Indicators) -> None:
    gz2020.set("requests.new.natural_person", Quantity(value=None))
    before = gz2020.model_dump()
    check(gz2020)
    assert gz2020.model_dump() == before


# --------------------------------------------------------------------------------------------------------------
# derive
# --------------------------------------------------------------------------------------------------------------


def test_derive_litigation_totals_gz2020(gz2020: Indicators) -> None:
    derive(gz2020)
    got = {c: gz2020.get(f"litigation.{c}") for c in ("upheld", "corrected", "other", "pending", "total")}
    assert {c: q.value for c, q in got.items() if q is not None} == {
        "upheld": 136,  # 104 + 32
        "corrected": 37,  # 27 + 10
        "other": 53,  # 43 + 10
        "pending": 32,  # 24 + 8
        "total": 258,  # 198 + 60, as §一 prints it
    }
    assert all(q is not None and q.derived and q.engine == "rules" and not q.imputed_zero for q in got.values())
    received = gz2020.get("requests.received")
    assert received is not None and (received.value, received.derived) == (18291, True)
    assert check(gz2020) == []


def test_derive_keeps_printed_values(gz2020: Indicators) -> None:
    printed = Quantity(value=258, raw="258")
    gz2020.set("litigation.total", printed)
    gz2020.set("requests.received", Quantity(value=19017))
    derive(gz2020)
    assert gz2020.get("litigation.total") == printed
    assert gz2020.get("requests.received") == Quantity(value=19017)
    upheld = gz2020.get("litigation.upheld")
    assert upheld is not None and upheld.derived


def test_derive_needs_both_litigation_blocks() -> None:
    ind = make({"litigation.direct.total": 5, "litigation.direct.upheld": 5})
    derive(ind)
    assert ind.get("litigation.total") is None


def test_derive_2021_other_from_sub_rows() -> None:
    ind = from_text(normalize((FIXTURES / "ogi2021_html.txt").read_text(encoding="utf-8")))
    assert ind.get("requests.other.total") is None
    derive(ind)
    got = {c: ind.get(f"requests.other.{c}") for c in APPLICANT_COLUMNS}
    assert {c: q.value for c, q in got.items() if q is not None} == {
        "natural_person": 6,  # 3 + 1 + 2
        "commercial": 1,
        "research": 0,
        "social_welfare": 0,
        "legal_service": 0,
        "other_org": 0,
        "total": 7,  # 3 + 1 + 3
    }
    assert all(q is not None and q.derived for q in got.values())
    assert check(ind) == []


# --------------------------------------------------------------------------------------------------------------
# blank cells
# --------------------------------------------------------------------------------------------------------------


def test_blank_total_is_derived_from_its_row() -> None:
    """Shanghai 2019: 总计 blank while the applicant cells are not: imputing 0 would break I2."""
    ind = make({f"requests.granted.{c}": v for c, v in zip(APPLICANT_COLUMNS, (3, 1, 0, 0, 0, 0, None), strict=True)})
    derive(ind)
    total = ind.get("requests.granted.total")
    assert total is not None and (total.value, total.derived, total.imputed_zero) == (4, True, False)


BLANKS: dict[str, tuple[Values, dict[str, tuple[int | None, bool, bool]]]] = {
    # code → (value, derived, imputed_zero) after derive()
    "the only unknown, solved to 0": (
        {"review.upheld": None, "review.corrected": 2, "review.other": 3, "review.pending": 0, "review.total": 5},
        {"review.upheld": (0, False, True)},
    ),
    "two unknowns, zeros keep the identity": (
        {"review.upheld": None, "review.corrected": None, "review.other": 0, "review.pending": 0, "review.total": 0},
        {"review.upheld": (0, False, True), "review.corrected": (0, False, True)},
    ),
    "two unknowns, zeros would break it: left blank": (
        {"review.upheld": None, "review.corrected": None, "review.other": 1, "review.pending": 0, "review.total": 5},
        {"review.upheld": (None, False, False), "review.corrected": (None, False, False)},
    ),
    "a negative solution is not imputed": (
        {"review.upheld": None, "review.corrected": 2, "review.other": 3, "review.pending": 0, "review.total": 4},
        {"review.upheld": (None, False, False)},
    ),
}


@pytest.mark.parametrize(("values", "expected"), list(BLANKS.values()), ids=list(BLANKS))
def test_blank_cells(values: Values, expected: dict[str, tuple[int | None, bool, bool]]) -> None:
    ind = make(values)
    derive(ind)
    for code, want in expected.items():
        q = ind.get(code)
        assert q is not None
        assert (q.value, q.derived, q.imputed_zero) == want


def test_blank_row_in_a_full_table_is_zero(gz2020: Indicators) -> None:
    """A row printed blank (3.要求提供公开出版物): each column's I3 fixes its cell to 0."""
    for c in APPLICANT_COLUMNS:
        gz2020.set(f"requests.not_processed.publication.{c}", Quantity(value=None, raw=""))
    derive(gz2020)
    cells = [gz2020.get(f"requests.not_processed.publication.{c}") for c in APPLICANT_COLUMNS]
    assert all(q is not None and (q.value, q.imputed_zero, q.derived) == (0, True, False) for q in cells)
    assert check(gz2020) == []


def test_blank_cell_in_a_full_table_is_derived(gz2020: Indicators) -> None:
    gz2020.set("requests.unable.not_held.natural_person", Quantity(value=None, raw="—"))
    derive(gz2020)
    q = gz2020.get("requests.unable.not_held.natural_person")
    assert q is not None and (q.value, q.derived, q.raw) == (4162, True, "—")


def test_snapshot_matches_items(gz2020: Indicators) -> None:
    """check()/derive() read the tree through a fast __dict__ walk; it must agree with Indicators.items()."""
    from extractor.identities import _snapshot

    derive(gz2020)
    gz2020.set("requests.not_processed.publication.total", Quantity(value=None))
    assert list(_snapshot(gz2020).items()) == list(gz2020.items())


def test_derived_block_does_not_repeat_a_failure(gz2020: Indicators) -> None:
    """A wrong 复议后起诉 total fails I4 once; the derived combined block would only echo it."""
    gz2020.set("litigation.after_review.total", Quantity(value=61))
    derive(gz2020)
    findings = check(gz2020)
    assert [(f.check, f.cells[-1]) for f in findings] == [("I4", "litigation.after_review.total")]
    assert findings[0].suspects == ["litigation.after_review.total"]


def test_derive_returns_the_snapshot_check_reads(gz2020: Indicators) -> None:
    ind = gz2020
    ind.set("requests.new.commercial", Quantity(value=None))  # a blank that derive fills
    ind.set("requests.denied.state_secret.total", Quantity(value=9))  # and a failure that check reports
    reported = derive(ind)
    assert reported == dict(ind.items())
    assert reported["requests.new.commercial"].value is not None
    assert check(ind, reported) == check(ind) != []


def test_derive_from_a_given_snapshot_is_derive(gz2020: Indicators) -> None:
    gz2020.set("requests.new.commercial", Quantity(value=None))
    other = gz2020.model_copy(deep=True)
    held = dict(other.items())
    assert derive(other, held) == derive(gz2020) == held
    assert dict(other.items()) == dict(gz2020.items())
