"""The JSON Schemas in schemas/ match the models, and the models cover the codebook exactly."""

from __future__ import annotations

import json
from pathlib import Path

from extractor.codebook import codebook
from extractor.models import quantity_codes
from extractor.schema_export import render, schemas

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"


def test_committed_schemas_are_in_sync() -> None:
    for name, schema in schemas().items():
        path = SCHEMAS / name
        assert path.is_file(), f"{name} missing: run `extractor schemas`"
        assert path.read_text(encoding="utf-8") == render(schema), f"{name} is stale: run `extractor schemas`"


def test_every_numeric_code_has_a_place_and_nothing_else_does() -> None:
    numeric = {c.code for c in codebook().values() if c.numeric and not c.code.startswith("meta.")}
    assert set(quantity_codes()) == numeric


def test_section_schemas_forbid_unknown_fields() -> None:
    schema = json.loads((SCHEMAS / "sections" / "requests.schema.json").read_text(encoding="utf-8"))
    assert schema["additionalProperties"] is False and "requests" in schema["properties"]
