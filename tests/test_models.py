"""The data models' fast paths build exactly what their validating counterparts build."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from extractor.models import Indicators, Quantity, ReportRecord


def _same_state(a: BaseModel, b: BaseModel) -> None:
    """The same class, field values, fields set, extra and private state, recursively."""
    assert type(a) is type(b)
    assert a.__pydantic_fields_set__ == b.__pydantic_fields_set__
    assert a.__pydantic_extra__ == b.__pydantic_extra__
    assert a.__pydantic_private__ == b.__pydantic_private__
    assert list(a.__dict__) == list(b.__dict__)
    for name, value in a.__dict__.items():
        other: Any = b.__dict__[name]
        if isinstance(value, BaseModel):
            if value is not other:
                _same_state(value, other)
        else:
            assert value == other


def test_empty_tree_is_the_default_tree() -> None:
    _same_state(Indicators(), Indicators.empty())


def test_empty_trees_share_no_group() -> None:
    a, b = Indicators.empty(), Indicators.empty()
    a.set("requests.denied.state_secret.natural_person", Quantity(value=3))
    assert b.get("requests.denied.state_secret.natural_person") is None
    assert a.requests.denied is not b.requests.denied


def test_record_default_indicators_are_empty() -> None:
    record = ReportRecord(report="r", path="r.txt", sha256="0" * 64, provider="rules")
    _same_state(record.indicators, Indicators())
    assert list(record.indicators.items()) == []


def test_construct_is_model_construct_for_every_field() -> None:
    from extractor.models import Source, construct

    fields: dict[str, Any] = {"section": "requests", "table": "表三", "row": "r", "column": "c", "start": 1,
                              "end": 2, "quote": "3"}  # fmt: skip
    a, b = construct(Source, dict(fields)), Source.model_construct(**fields)
    _same_state(a, b)
    a.start = 5  # fields sets are not shared between instances
    assert construct(Source, dict(fields)).__pydantic_fields_set__ == set(fields)
    _same_state(construct(Source, dict(fields), {"start"}), Source.model_construct({"start"}, **fields))


def test_set_all_is_set_for_each() -> None:
    values = {"requests.denied.state_secret.natural_person": Quantity(value=3), "fees.amount": Quantity(value=0),
              "proactive.total": Quantity(value=624)}  # fmt: skip
    a, b = Indicators.empty(), Indicators.empty()
    a.set_all(values)
    for code, q in values.items():
        b.set(code, q)
    _same_state(a, b)
    assert dict(a.items()) == values == a.reported()


def test_quantity_with_source_is_construct() -> None:
    from extractor.models import Source, construct, quantity_with_source

    source = {"section": "requests", "table": None, "row": "r", "column": None, "start": 1, "end": 2, "quote": "3"}
    fields: dict[str, Any] = {"value": 3, "unit": "件", "qualifier": "exact", "raw": "3", "source": None,
                              "derived": False, "imputed_zero": False, "engine": "rules", "model": None,
                              "grounded": None, "verified": True, "ambiguous": False, "alternatives": [],
                              "status": "accepted", "reason": None}  # fmt: skip
    a = quantity_with_source(dict(fields), dict(source))
    b = construct(Quantity, {**fields, "source": construct(Source, dict(source))})
    _same_state(a, b)
    assert a == Quantity.model_validate(b.model_dump())


def test_pydantic_still_keeps_the_slots_construct_writes() -> None:
    """models.construct writes BaseModel's own slots directly (for speed). Should a pydantic release rename or drop
    them, this fails first, with the reason, instead of the records silently changing."""
    from pydantic import BaseModel

    missing = [
        s
        for s in ("__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__")
        if s not in BaseModel.__slots__
    ]
    assert not missing, (
        f"pydantic no longer has the slots {missing}: update extractor.models._slot_setter and construct"
    )
