"""The JSON Schemas in schemas/: the stored record, and one per section kind (the indicators that kind can hold).

``extractor schemas`` rewrites them; a test fails when the committed files drift from the models.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from . import templates
from .models import (
    Art20,
    Consultation,
    Fees,
    Litigation,
    Outcomes,
    Proactive,
    ReportRecord,
    Requests,
    Response,
    SectionKind,
    TextItem,
    Total,
)

# Which indicator groups (top-level code prefixes) each section kind reports.
SECTION_GROUPS: dict[SectionKind, dict[str, type[BaseModel]]] = {
    "proactive": {"proactive": Proactive, "response": Response, "art20": Art20},
    "requests": {"requests": Requests},
    "review_litigation": {"review": Outcomes, "litigation": Litigation, "appeals": Total},
    "fees": {"fees": Fees},
    "consultation": {"consult": Consultation},
    "complaints": {"complaints": Total},
}


def section_model(kind: SectionKind) -> type[BaseModel]:
    """A pydantic model of what one section kind holds (its groups, or the two lists for problems)."""
    config = ConfigDict(extra="forbid")
    if kind == "problems":
        return create_model(
            "ProblemsSection",
            __config__=config,
            problems=(list[TextItem], Field(default_factory=list)),
            improvements=(list[TextItem], Field(default_factory=list)),
        )
    fields: dict[str, Any] = {
        name: (group, Field(default_factory=group)) for name, group in SECTION_GROUPS[kind].items()
    }
    name = "".join(part.capitalize() for part in kind.split("_")) + "Section"
    return create_model(name, __config__=config, **fields)


def schemas() -> dict[str, dict[str, Any]]:
    """File name (relative to schemas/) -> JSON Schema."""
    record = ReportRecord.model_json_schema()
    record["$defs"]["Meta"]["properties"]["template"]["enum"] = list(templates.names())  # the templates' modules
    out = {"report_record.schema.json": record}
    for kind in [*SECTION_GROUPS, "problems"]:
        out[f"sections/{kind}.schema.json"] = section_model(kind).model_json_schema()
    return out


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def export(directory: Path) -> list[Path]:
    written = []
    for name, schema in schemas().items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(schema), encoding="utf-8")
        written.append(path)
    return written
