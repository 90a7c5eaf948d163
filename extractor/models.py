"""Data models: a quantity with its provenance, and the whole report's indicators.

The attribute path of every quantity in :class:`Indicators` *is* its codebook code:
``Indicators().requests.denied.state_secret.natural_person`` holds ``requests.denied.state_secret.natural_person``.
``None`` means "not reported"; a :class:`Quantity` whose value is ``0`` means "reported as zero".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from operator import attrgetter, itemgetter
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

Qualifier = Literal["exact", "approx", "at_least", "at_most"]
Engine = Literal["rules", "model"]
Severity = Literal["error", "warning", "info"]
Status = Literal["accepted", "candidate"]
# A template's name (a module of extractor.templates), "hybrid" or "unknown". A plain string here: this module sits
# below the templates package; readers of stored names check them against ``templates.names()`` (gold files, the
# exported JSON Schema's enum).
TemplateKind = str
Scope = Literal["self", "dept_aggregate", "region_aggregate", "mixed", "unknown"]
SectionKind = Literal[
    "overview",
    "proactive",
    "requests",
    "fees",
    "review_litigation",
    "consultation",
    "complaints",
    "problems",
    "other",
    "appendix",
    "unknown",
]
SECTION_KINDS: tuple[SectionKind, ...] = (
    "overview",
    "proactive",
    "requests",
    "fees",
    "review_litigation",
    "consultation",
    "complaints",
    "problems",
    "other",
    "appendix",
    "unknown",
)


def _group(cls: type[BaseModel]) -> Any:
    """A sub-group field: a fresh empty instance per parent (typed Any so mypy accepts the model class)."""
    return Field(default_factory=cls)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


_M = TypeVar("_M", bound=BaseModel)


def _slot_setter(name: str) -> Callable[[Any, Any], None]:
    """The setter of one of BaseModel's own slots (its descriptor, called directly), or object.__setattr__."""
    descriptor = BaseModel.__dict__.get(name)
    if descriptor is not None and hasattr(descriptor, "__set__"):
        return descriptor.__set__  # type: ignore[no-any-return]
    return lambda obj, value: object.__setattr__(obj, name, value)


_set_instance_dict = _slot_setter("__dict__")
_set_fields_set = _slot_setter("__pydantic_fields_set__")
_set_extra = _slot_setter("__pydantic_extra__")
_set_private = _slot_setter("__pydantic_private__")
_object_new = object.__new__


_FIELD_NAMES: dict[type[BaseModel], frozenset[str]] = {}


def construct(cls: type[_M], fields: dict[str, Any], fields_set: set[str] | None = None) -> _M:
    """``cls.model_construct(fields_set, **fields)`` for trusted data that gives *every* field of ``cls``, in
    declaration order (defaults included); ``fields_set`` defaults to every field, as model_construct's does.

    The same instance (``__dict__``, fields set, no extra, no private state), without model_construct's per-field
    alias and default lookups: the rules engine builds thousands of quantities per second. The models here have
    no aliases, no post-init hook, no extra fields and no ``__new__`` of their own, which makes the shortcut exact.
    """
    m = _object_new(cls) if cls.__new__ is _object_new else cls.__new__(cls)
    _set_instance_dict(m, fields)
    if fields_set is None:  # set(fields), from the class's field names: copying a frozenset is the cheaper
        names = _FIELD_NAMES.get(cls)
        if names is None:
            names = _FIELD_NAMES[cls] = frozenset(cls.model_fields)
        fields_set = set(names)
    _set_fields_set(m, fields_set)
    _set_extra(m, None)
    _set_private(m, None)
    return m


def quantity_with_source(fields: dict[str, Any], source: dict[str, Any]) -> Quantity:
    """``construct(Quantity, {**fields, "source": construct(Source, source)})``, inlined (the rules engine makes
    one per value it reads): ``fields`` gives every field of Quantity in order, ``source`` every field of Source."""
    src = _object_new(Source)
    _set_instance_dict(src, source)
    _set_fields_set(src, set(_SOURCE_FIELDS))
    _set_extra(src, None)
    _set_private(src, None)
    fields["source"] = src
    q = _object_new(Quantity)
    _set_instance_dict(q, fields)
    _set_fields_set(q, set(_QUANTITY_FIELDS))
    _set_extra(q, None)
    _set_private(q, None)
    return q


class Source(Strict):
    """Where a value came from: a section, a table cell, and a character span in the original text."""

    section: SectionKind | None = None
    table: str | None = None
    row: str | None = None
    column: str | None = None
    start: int | None = Field(default=None, ge=0, description="offset in the original (not normalized) text")
    end: int | None = Field(default=None, ge=0)
    quote: str | None = Field(default=None, description="the original text of the span, or the model's quote")


class Quantity(Strict):
    """One number as printed in a report, normalized, with provenance."""

    value: int | float | None = Field(description="normalized value; None for a blank cell")
    unit: str = ""
    qualifier: Qualifier = "exact"
    raw: str = Field(default="", description="the text the value was read from, as printed")
    source: Source = _group(Source)
    derived: bool = Field(default=False, description="computed from an accounting identity, not printed")
    imputed_zero: bool = False
    engine: Engine = "rules"
    model: str | None = Field(default=None, description="the model that produced it, when engine is 'model'")
    grounded: bool | None = Field(default=None, description="model values: the quote occurs in the section text")
    verified: bool = Field(default=True, description="False when validation re-asks ran out and this is a best try")
    ambiguous: bool = Field(default=False, description="several readings satisfy every constraint")
    alternatives: list[int | float] = Field(default_factory=list, description="the other readings when ambiguous")
    status: Status = Field(
        default="accepted",
        description="accepted: checked, in the panel; candidate: kept in the record (alternates) for review, "
        "never in the panel tables unless asked for",
    )
    reason: str | None = Field(default=None, description="why a value is a candidate")


Q = Annotated[Quantity | None, Field(default=None)]
_SOURCE_FIELDS, _QUANTITY_FIELDS = frozenset(Source.model_fields), frozenset(Quantity.model_fields)


class TextItem(Strict):
    """One item of a list field (a problem or an improvement measure)."""

    text: str
    source: Source = _group(Source)
    engine: Engine = "rules"
    model: str | None = None
    grounded: bool | None = None


class Group(Strict):
    """A node of the indicator tree. Subclasses only declare quantities and sub-groups."""

    @classmethod
    def empty(cls: type[_G]) -> _G:
        """``cls()``: every quantity None, every sub-group empty, no field set; built without validating the
        defaults (an empty :class:`Indicators` is some sixty nested models, made for every report)."""
        return _empty_builder(cls)()  # type: ignore[no-any-return]


_G = TypeVar("_G", bound=Group)


@cache
def _empty_builder(cls: type[Group]) -> Callable[[], Any]:
    """A function making an empty ``cls``: a copy of its fields all None, its sub-groups made by their own
    builders, constructed with no field set."""
    blank: dict[str, Any] = dict.fromkeys(cls.model_fields)
    subs: list[tuple[str, Callable[[], Any]]] = []
    for name, info in cls.model_fields.items():
        sub = info.annotation
        if isinstance(sub, type) and issubclass(sub, Group):
            subs.append((name, _empty_builder(sub)))

    def build() -> Any:
        fields = blank.copy()
        for name, make in subs:
            fields[name] = make()
        return construct(cls, fields, set())

    return build


class ApplicantRow(Group):
    """One row of 表三 across its seven applicant columns."""

    natural_person: Q
    commercial: Q
    research: Q
    social_welfare: Q
    legal_service: Q
    other_org: Q
    total: Q


APPLICANT_COLUMNS: tuple[str, ...] = tuple(ApplicantRow.model_fields)


class DeniedRows(Group):
    state_secret: ApplicantRow = _group(ApplicantRow)
    law_prohibited: ApplicantRow = _group(ApplicantRow)
    security_stability: ApplicantRow = _group(ApplicantRow)
    third_party: ApplicantRow = _group(ApplicantRow)
    internal_affairs: ApplicantRow = _group(ApplicantRow)
    process_info: ApplicantRow = _group(ApplicantRow)
    enforcement_file: ApplicantRow = _group(ApplicantRow)
    admin_query: ApplicantRow = _group(ApplicantRow)


class UnableRows(Group):
    not_held: ApplicantRow = _group(ApplicantRow)
    needs_creation: ApplicantRow = _group(ApplicantRow)
    unclear: ApplicantRow = _group(ApplicantRow)


class NotProcessedRows(Group):
    complaint: ApplicantRow = _group(ApplicantRow)
    duplicate: ApplicantRow = _group(ApplicantRow)
    publication: ApplicantRow = _group(ApplicantRow)
    mass_repeat: ApplicantRow = _group(ApplicantRow)
    confirm_reissue: ApplicantRow = _group(ApplicantRow)


class OtherRows(ApplicantRow):
    """（六）其他处理: the single 2019 row, and in 2021 also its three sub-rows."""

    no_correction: ApplicantRow = _group(ApplicantRow)
    fee_unpaid: ApplicantRow = _group(ApplicantRow)
    misc: ApplicantRow = _group(ApplicantRow)


class RequestChannels(Group):
    online: Q
    letter: Q
    in_person: Q
    fax: Q
    email: Q
    phone: Q
    other: Q


class LegacyOutcomes(Group):
    """Pre-2019 outcome categories, kept as the report names them (never force-mapped)."""

    already_public: Q
    granted: Q
    partial: Q
    denied: Q
    not_gov_info: Q
    not_this_agency: Q
    nonexistent: Q
    not_this_agency_or_nonexistent: Q
    irrelevant_to_needs: Q
    unclear: Q
    other_route: Q
    duplicate: Q
    other: Q


class Requests(Group):
    new: ApplicantRow = _group(ApplicantRow)
    carried_in: ApplicantRow = _group(ApplicantRow)
    granted: ApplicantRow = _group(ApplicantRow)
    partial: ApplicantRow = _group(ApplicantRow)
    denied: DeniedRows = _group(DeniedRows)
    unable: UnableRows = _group(UnableRows)
    not_processed: NotProcessedRows = _group(NotProcessedRows)
    other: OtherRows = _group(OtherRows)
    processed: ApplicantRow = _group(ApplicantRow)
    carried_out: ApplicantRow = _group(ApplicantRow)
    received: Q
    channel: RequestChannels = _group(RequestChannels)
    answered: Q
    catalog_entries: Q
    legacy: LegacyOutcomes = _group(LegacyOutcomes)


class ProactiveCategories(Group):
    organization: Q
    regulations: Q
    normative_docs: Q
    other_docs: Q
    dynamics: Q
    enforcement: Q
    service_guides: Q
    budget: Q
    gov_work_report: Q
    annual_report: Q
    rules_internal: Q
    business: Q
    other: Q


class ProactiveChannels(Group):
    gazette: Q
    website: Q
    weibo_wechat: Q
    media: Q


class Proactive(Group):
    total: Q
    fulltext_electronic: Q
    fulltext_electronic_rate: Q
    category: ProactiveCategories = _group(ProactiveCategories)
    channel: ProactiveChannels = _group(ProactiveChannels)


class Response(Group):
    total: Q
    press_conferences: Q
    online_interviews: Q
    interpretations: Q
    weibo_wechat: Q
    media_other: Q


class DocRow(Group):
    """第二十条第（一）项: 2019 columns (new_made/new_published/total_published) and 2021 ones (issued/...)."""

    new_made: Q
    new_published: Q
    total_published: Q
    issued: Q
    repealed: Q
    in_force: Q


class ItemRow(Group):
    """第二十条第（五）（六）项 rows."""

    prev_items: Q
    change: Q
    decisions: Q


class FeeRow(Group):
    prev_items: Q
    change: Q
    amount: Q


class Procurement(Group):
    projects: Q
    amount: Q


class Art20(Group):
    regulations: DocRow = _group(DocRow)
    normative_docs: DocRow = _group(DocRow)
    licensing: ItemRow = _group(ItemRow)
    other_services: ItemRow = _group(ItemRow)
    penalty: ItemRow = _group(ItemRow)
    coercion: ItemRow = _group(ItemRow)
    admin_fees: FeeRow = _group(FeeRow)
    procurement: Procurement = _group(Procurement)


class Outcomes(Group):
    """A 表四 block: 结果维持 / 结果纠正 / 其他结果 / 尚未审结 / 总计."""

    upheld: Q
    corrected: Q
    other: Q
    pending: Q
    total: Q


OUTCOME_COLUMNS: tuple[str, ...] = tuple(Outcomes.model_fields)


class Litigation(Outcomes):
    direct: Outcomes = _group(Outcomes)
    after_review: Outcomes = _group(Outcomes)


class Total(Group):
    total: Q


class Fees(Group):
    amount: Q


class Consultation(Group):
    total: Q
    phone: Q
    onsite: Q
    online: Q
    web_visits: Q


class Indicators(Group):
    """Every numeric code of the codebook, addressed by its dotted path."""

    proactive: Proactive = _group(Proactive)
    response: Response = _group(Response)
    art20: Art20 = _group(Art20)
    requests: Requests = _group(Requests)
    review: Outcomes = _group(Outcomes)
    litigation: Litigation = _group(Litigation)
    appeals: Total = _group(Total)
    complaints: Total = _group(Total)
    fees: Fees = _group(Fees)
    consult: Consultation = _group(Consultation)

    def get(self, code: str) -> Quantity | None:
        """The quantity at ``code`` (None when not reported); KeyError for a code the tree does not hold."""
        parent, leaf = _address(code)
        return getattr(parent(self), leaf)  # type: ignore[no-any-return]

    def set(self, code: str, quantity: Quantity | None) -> None:
        parent, leaf = _address(code)
        if quantity is not None and not isinstance(quantity, Quantity):
            raise TypeError(f"{code}: expected a Quantity, got {type(quantity).__name__}")
        # Groups skip assignment validation (the type is checked above): this is the parsers' hot path.
        group = parent(self)
        object.__setattr__(group, leaf, quantity)
        group.__pydantic_fields_set__.add(leaf)

    def set_all(self, quantities: dict[str, Quantity]) -> None:
        """``set(code, q)`` for each item, for quantities built by this package (their type is not checked)."""
        addresses = _addresses()
        for code, q in quantities.items():
            parent, leaf = addresses[code]
            group = parent(self)
            group.__dict__[leaf] = q  # object.__setattr__: a field lives in the instance dict
            group.__pydantic_fields_set__.add(leaf)

    def reported(self) -> dict[str, Quantity]:
        """Every reported quantity by code, in declaration order."""
        # the codes in runs of leaves of one group: one getter call per run, then the run's attributes at once
        return {
            code: q
            for parent, codes, leaves in _runs()
            for code, q in zip(codes, leaves(parent(self).__dict__), strict=False)  # same lengths
            if q is not None
        }

    def items(self) -> Iterator[tuple[str, Quantity]]:
        """(code, quantity) for every reported quantity, in declaration order (of the tree as it was when the
        iteration began)."""
        yield from self.reported().items()


def _walk(group: type[Group], prefix: str) -> Iterator[tuple[str, tuple[str, ...]]]:
    for name, info in group.model_fields.items():
        path = f"{prefix}{name}"
        sub = info.annotation
        if isinstance(sub, type) and issubclass(sub, Group):
            yield from _walk(sub, path + ".")
        else:
            yield path, tuple(path.split("."))


@cache
def _addresses() -> dict[str, tuple[Callable[[Indicators], Any], str]]:
    """code -> (getter of the parent group, leaf attribute name), computed once from the class tree."""
    out: dict[str, tuple[Callable[[Indicators], Any], str]] = {}
    getters: dict[str, Callable[[Indicators], Any]] = {}  # one getter per group, shared by its leaves
    for code, parts in _walk(Indicators, ""):
        path = ".".join(parts[:-1])
        if path not in getters:
            getters[path] = attrgetter(path) if path else (lambda ind: ind)
        out[code] = (getters[path], parts[-1])
    return out


@cache
def _runs() -> tuple[
    tuple[Callable[[Indicators], Any], tuple[str, ...], Callable[[dict[str, Any]], tuple[Any, ...]]], ...
]:
    """:func:`_addresses` in order, cut into runs of consecutive leaves of one group: (the group's getter, the
    run's codes, a function from the group's ``__dict__`` to the run's values)."""
    runs: list[tuple[Callable[[Indicators], Any], list[tuple[str, str]]]] = []
    for code, (parent, leaf) in _addresses().items():
        if not runs or runs[-1][0] is not parent:
            runs.append((parent, []))
        runs[-1][1].append((leaf, code))
    return tuple((parent, tuple(c for _, c in run), _values_of(tuple(leaf for leaf, _ in run))) for parent, run in runs)


def _values_of(leaves: tuple[str, ...]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    if len(leaves) == 1:
        (leaf,) = leaves
        return lambda values: (values[leaf],)
    return itemgetter(*leaves)


def _address(code: str) -> tuple[Callable[[Indicators], Any], str]:
    try:
        return _addresses()[code]
    except KeyError:
        raise KeyError(code) from None


def quantity_codes() -> list[str]:
    """Every code the :class:`Indicators` tree can hold."""
    return list(_addresses())


class Meta(Strict):
    issuer: str | None = None
    year: int | None = None
    template: TemplateKind = "unknown"
    scope: Scope = "unknown"
    script: Literal["simplified", "traditional"] = "simplified"
    title: str | None = None


class Finding(Strict):
    """A failed (or doubtful) accounting identity or consistency check. It never removes data."""

    check: str = Field(description="identity id, e.g. I1, I2, I3, I4, pre2019.channels, hybrid.disagreement")
    severity: Severity = "error"
    message: str
    expected: int | float | None = None
    found: int | float | None = None
    cells: list[str] = Field(default_factory=list, description="codes of every cell the check reads")
    suspects: list[str] = Field(default_factory=list, description="codes of the cells the check doubts most")


class SectionInfo(Strict):
    kind: SectionKind
    heading: str
    start: int = Field(ge=0, description="offset in the original text")
    end: int = Field(ge=0)


class Usage(Strict):
    # "model_calls" starts with pydantic's protected "model_" prefix: pydantic < 2.10 warns on import without this
    model_config = ConfigDict(extra="forbid", validate_assignment=True, protected_namespaces=())

    model_calls: int = 0
    cache_hits: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    reasks: int = 0

    def add(self, other: Usage) -> None:
        self.model_calls += other.model_calls
        self.cache_hits += other.cache_hits
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.reasks += other.reasks


class ReportRecord(Strict):
    """One report's extraction: one line of records.jsonl."""

    report: str = Field(description="the input file's stem")
    path: str
    sha256: str
    provider: str
    meta: Meta = _group(Meta)
    sections: list[SectionInfo] = Field(default_factory=list)
    missing_sections: list[SectionKind] = Field(default_factory=list)
    indicators: Indicators = Field(default_factory=Indicators.empty)
    alternates: dict[str, list[Quantity]] = Field(
        default_factory=dict, description="other values printed for the same code (conflicts within the report)"
    )
    problems: list[TextItem] = Field(default_factory=list)
    improvements: list[TextItem] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    usage: Usage = _group(Usage)
    seconds: float = 0.0


@dataclass(slots=True)  # not frozen: a frozen dataclass sets each field through object.__setattr__ in __init__
class Cell:
    """A value read by a deterministic parser (table cell or prose sentence), before provenance is mapped.

    ``start``/``end`` are offsets in the text the parser was given (the document's normalized text).
    """

    code: str
    value: int | float | None
    raw: str
    start: int
    end: int
    table: str | None = None  # "表二", "表三", "表四", "附表2", or None for prose
    row: str | None = None
    column: str | None = None
    qualifier: Qualifier = "exact"
    unit: str | None = None  # None: the codebook's unit
    ambiguous: bool = False
    alternatives: tuple[int | float, ...] = ()
