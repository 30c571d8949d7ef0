"""The evaluation spec: a validated model of ``evaluation.yaml``.

An evaluation is described by one YAML file with five sections:

``programme``
    name, description, cohort size, dates and delivery costs by year.
``data``
    where the panel is and which column plays which role (unit id, time, cohort,
    cluster, covariates), and the missing-value policy.
``design``
    comparison pool, matching options, difference-in-differences options, the outcomes
    (type, desired direction, which one is primary) and the multiplicity correction.
``valuation``
    cost file, outcome-to-cost mapping, impact adjustments, discounting, price base and
    appraisal period (see :mod:`sroi.value.config`).
``report``
    title, disclosure threshold and output folder.

Unknown keys are errors, so typos are caught. Errors name the YAML path and, where the
file is available, its line: ``design.matching.caliper: must be > 0 (line 23)``.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import hashlib
import json
import types
import typing
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from sroi.errors import SroiInputError
from sroi.value.config import DeliveryCost, ValuationSection

__all__ = [
    "DEFAULT_COUNT_CEILING",
    "parse_yaml",
    "Spec",
    "ProgrammeSection",
    "DeliveryCost",
    "DataSection",
    "ColumnRoles",
    "DesignSection",
    "MatchingOptions",
    "DidOptions",
    "OutcomeSpec",
    "ComparisonPool",
    "ReportSection",
    "ValuationSection",
    "EvaluationValuation",
]


DEFAULT_COUNT_CEILING = 70.0
"""Default ceiling of a count outcome per unit and period (school days in a long term)."""

_MAX_SPEC_BYTES = 2_000_000
_MAX_DEPTH = 40

#: PyYAML's safe loader on libyaml's C parser where PyYAML was built with it (its wheels
#: are), else the pure-Python one: the same documents and marks, about 15x faster.
_SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MAX_SHOWN = 200


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, validate_assignment=True)


class ProgrammeSection(_Strict):
    """The programme being evaluated (``programme:``): its name and what it does."""

    name: str
    description: str = ""
    cohort_size: int | None = Field(default=None, gt=0)
    start: _dt.date | None = None
    end: _dt.date | None = None
    delivery_costs: list[DeliveryCost] = Field(default_factory=list)

    @model_validator(mode="after")
    def _dates_in_order(self) -> ProgrammeSection:
        if self.start and self.end and self.end < self.start:
            raise ValueError("end must not be before start")
        return self


class ColumnRoles(_Strict):
    """Which data column plays which role (``data.columns:``): unit, time, cohort, cluster, ..."""

    unit: str = Field(description="unit (pupil) identifier")
    time: str = Field(description="time period (integer term index)")
    cohort: str = Field(description="first treated period; 0 for never treated")
    treatment: str | None = Field(default=None, description="unit-level 0/1 enrolment flag")
    cluster: str | None = Field(default=None, description="cluster, e.g. school")
    covariates: list[str] = Field(default_factory=list)
    categorical: list[str] = Field(default_factory=list, description="covariates to expand")

    @model_validator(mode="after")
    def _categorical_subset(self) -> ColumnRoles:
        extra = [c for c in self.categorical if c not in self.covariates]
        if extra:
            raise ValueError(f"categorical columns {extra} are not listed in covariates")
        return self


class DataSection(_Strict):
    """Where the data are (``data:``): the panel file, the unit file and the column roles."""

    path: str = Field(description="panel file (unit x time), relative to the spec file")
    units: str | None = Field(
        default=None,
        description="optional unit-level file (one row per unit), joined to the panel on the unit id",
    )
    format: Literal["auto", "csv", "parquet", "excel"] = "auto"
    sheet: str | int | None = None
    columns: ColumnRoles
    missing: Literal["drop", "error"] = "drop"


class ComparisonPool(_Strict):
    """Which never-treated units may serve as controls: rows where ``column == value``."""

    column: str
    value: Any = 0
    description: str = ""


class MatchingOptions(_Strict):
    """How the comparison group is matched (``design.matching:``)."""

    method: Literal["nearest", "exact", "cem", "ipw", "ebal", "none"] = "nearest"
    distance: Literal["logit", "probit", "mahalanobis", "robust_mahalanobis"] = "logit"
    link: Literal["logit", "linear.logit"] | None = None
    ratio: int = Field(default=1, ge=1)
    replace: bool = False
    caliper: float | None = Field(default=None, gt=0)
    std_caliper: bool = True
    exact: list[str] = Field(default_factory=list)
    discard: Literal["none", "both", "treated", "control"] = "none"
    order: Literal["largest", "smallest", "random", "data"] | None = None
    covariates: list[str] | None = Field(
        default=None, description="defaults to data.columns.covariates"
    )
    history: list[str] = Field(
        default_factory=list,
        description="time-varying columns whose pre-enrolment values are matched on, per cohort",
    )
    history_periods: int = Field(
        default=2, ge=1, description="how many periods before enrolment the history covers"
    )
    history_within_school: list[str] = Field(
        default_factory=list,
        description=(
            "history columns (e.g. the outcome) also matched on relative to the pupil's "
            "school in the same period (the school's level measured on its pupils not yet "
            "enrolled): within the propensity score's caliper, pupils are matched on the "
            "Mahalanobis distance of the raw and school-relative history; needs "
            "data.columns.cluster and method: nearest with a logit or probit distance. "
            "Recommended for outcome history when the programme is assigned by school: with "
            "persistent school shocks, matching raw levels alone across schools makes the "
            "matched estimate's standard error too small (docs/simulation.md)"
        ),
    )
    adjust_for_history: bool = Field(
        default=True,
        description=(
            "the DiD regression on the matched sample adjusts the effects after enrolment "
            "for the matched history (raw and school-relative) as well as the covariates "
            "(bias-corrected matching, Abadie & Imbens 2011); false: covariates only"
        ),
    )

    @model_validator(mode="after")
    def _within_school_in_history(self) -> MatchingOptions:
        unknown = [c for c in self.history_within_school if c not in self.history]
        if unknown:
            raise ValueError(
                f"history_within_school: {unknown[0]!r} is not in history {self.history}; "
                "list only history columns"
            )
        return self


class DidOptions(_Strict):
    """Difference-in-differences options (``design.did:``): estimator, control group, inference."""

    estimator: Literal["dr", "ipw", "reg", "unconditional"] = "dr"
    control_group: Literal["never_treated", "not_yet_treated"] = "never_treated"
    base_period: Literal["varying", "universal"] = "varying"
    anticipation: int = Field(default=0, ge=0)
    n_boot: int = Field(default=999, ge=0)
    cluster: str | None = None
    covariates: list[str] = Field(default_factory=list)
    window: tuple[int, int] = (-4, 4)
    matched: bool = Field(default=True, description="run DiD on the matched sample")
    allow_unbalanced_panel: bool = Field(
        default=False,
        description=(
            "keep pupils observed in only some periods (joiners, leavers, gaps): each "
            "group-time effect then uses every observation of its two periods (repeated "
            "cross-section estimators, as R did's option of that name); false drops them, "
            "counted in the report's exclusions table"
        ),
    )
    covariate_timing: Literal["base", "change", "both"] = Field(
        default="base",
        description=(
            "which values of time-varying design.did.covariates condition each comparison: "
            "'base' the period before enrolment (R did; right when the programme could "
            "change the covariate), 'change' their change over the comparison (right when "
            "the outcome's trend follows how they evolve and the programme does not affect "
            "them), 'both'; unmatched design (design.did.matched: false) only"
        ),
    )

    @model_validator(mode="after")
    def _window_order(self) -> DidOptions:
        if self.window[0] >= 0 or self.window[1] < 0:
            raise ValueError("window must be (negative lead, non-negative lag), e.g. [-4, 4]")
        return self


class OutcomeSpec(_Strict):
    """One outcome (``design.outcomes[i]:``): its name, data column, kind and whether primary."""

    name: str
    column: str
    type: Literal["rate", "binary", "count", "continuous"]
    direction: Literal["increase", "decrease"]
    primary: bool = False
    label: str | None = None
    unit: str | None = Field(default=None, description="e.g. 'percentage points per term'")
    max_per_period: float = Field(
        default=DEFAULT_COUNT_CEILING,
        gt=0,
        description=(
            "count outcomes only: the most events one unit can have in one period; a larger "
            "value is an input error (default 70, the school days in a long term; raise it for "
            "counts that can exceed one a day, such as half-day sessions)"
        ),
    )


class DesignSection(_Strict):
    """The impact design (``design:``): comparison pool, matching, DiD options and outcomes."""

    comparison_pool: ComparisonPool | None = None
    matching: MatchingOptions = Field(default_factory=MatchingOptions)
    did: DidOptions = Field(default_factory=DidOptions)
    outcomes: list[OutcomeSpec] = Field(min_length=1)
    multiplicity: Literal["holm", "bh", "none"] = "holm"
    alpha: float = Field(default=0.05, gt=0, lt=1)

    @model_validator(mode="after")
    def _one_primary(self) -> DesignSection:
        names = [o.name for o in self.outcomes]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"outcome names must be unique; repeated: {dup}")
        primaries = [o.name for o in self.outcomes if o.primary]
        if len(primaries) != 1:
            raise ValueError(
                f"exactly one outcome must have primary: true (found {len(primaries)}: {primaries})"
            )
        return self

    @property
    def primary_outcome(self) -> OutcomeSpec:
        """The outcome marked ``primary: true`` (exactly one is)."""
        return next(o for o in self.outcomes if o.primary)


class ReportSection(_Strict):
    """Report options (``report:``): title, disclosure threshold, output folder."""

    title: str = "Programme evaluation"
    disclosure_threshold: int = Field(default=10, ge=1)
    disclosure_rounding_base: int | None = Field(
        default=None,
        ge=2,
        description=(
            "round every published count of people to the nearest multiple of this base "
            "(e.g. 5), in every output; none by default"
        ),
    )
    output: str = "reports"
    author: str | None = None


class EvaluationValuation(ValuationSection):
    """``valuation:`` of an evaluation spec: the value model and which effects are valued.

    The value model's fields are those of :class:`ValuationSection`.
    ``value_effects``: ``all`` (default) values every estimated effect, significant or not, and
    the Monte Carlo carries their uncertainty; ``significant`` values an effect whose
    confidence interval includes zero at zero (the report states which rule applies).
    """

    value_effects: Literal["all", "significant"] = "all"


class Spec(_Strict):
    """A validated evaluation spec. Build it with :meth:`Spec.load` or :meth:`Spec.from_dict`."""

    spec_version: Literal[1] = 1
    programme: ProgrammeSection
    data: DataSection
    design: DesignSection
    valuation: EvaluationValuation | None = None
    report: ReportSection = Field(default_factory=ReportSection)
    seed: int = Field(default=20261123, ge=0)

    _path: Path | None = PrivateAttr(default=None)

    # ----------------------------------------------------------------- loading
    @classmethod
    def load(cls, path: str | Path) -> Spec:
        """Read and validate an ``evaluation.yaml``; errors name the YAML path and line."""
        path = Path(path)
        if not path.exists():
            raise SroiInputError(f"{path}: spec file not found")
        if path.is_dir():
            candidate = path / "evaluation.yaml"
            if not candidate.exists():
                raise SroiInputError(f"{path}: folder has no evaluation.yaml")
            path = candidate
        text = _read_spec_text(path)
        raw = parse_yaml(text, str(path))
        if not isinstance(raw, dict):
            raise SroiInputError(
                f"{path}: expected a YAML mapping with sections programme, data, ..."
            )
        spec = cls.from_dict(raw, source=str(path), yaml_text=text)
        spec._path = path.resolve()
        return spec

    @classmethod
    def from_dict(
        cls, raw: dict[str, Any], *, source: str = "spec", yaml_text: str | None = None
    ) -> Spec:
        """Validate a dictionary (as read from YAML).

        Besides the field types, a boolean or a quoted string where a number is expected is
        an error (``cohort_size: true`` is not 1, ``"0.1"`` is not 0.1).
        """
        coercions = _coercions(raw, cls, ())
        if coercions:
            lines = [
                f"{'.'.join(map(str, loc))}: {what}{_where(yaml_text, loc)}"
                for loc, what in coercions
            ]
            raise SroiInputError(
                f"{source}: {len(lines)} problem(s) in the evaluation spec\n  " + "\n  ".join(lines)
            )
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            raise SroiInputError(_format_errors(exc, source, yaml_text)) from None

    # ----------------------------------------------------------------- helpers
    @property
    def path(self) -> Path | None:
        """Resolved path of the YAML file the spec was loaded from, if any."""
        return self._path

    @property
    def base_dir(self) -> Path:
        """Folder that relative paths in the spec are resolved against."""
        return self._path.parent if self._path is not None else Path.cwd()

    def resolve(self, relative: str | Path) -> Path:
        """Resolve a path written in the spec relative to the spec file."""
        p = Path(relative)
        return p if p.is_absolute() else (self.base_dir / p).resolve()

    def to_dict(self) -> dict[str, Any]:
        """The spec as plain JSON-compatible data (as recorded in ``results.json``)."""
        return self.model_dump(mode="json")

    def hash(self) -> str:
        """SHA-256 of the canonical JSON form of the validated spec."""
        canon = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canon.encode()).hexdigest()

    def with_overrides(self, overrides: dict[str, Any]) -> Spec:
        """Copy with dotted-path overrides, e.g. ``{"design.matching.caliper": 0.1}``."""
        raw = self.to_dict()
        for key, value in overrides.items():
            _check_override_path(key)
            node = raw
            parts = key.split(".")
            for part in parts[:-1]:
                if node.get(part) is None:
                    node[part] = {}
                node = node[part]
            node[parts[-1]] = value
        new = Spec.from_dict(raw, source=f"override of {self._path or 'spec'}")
        new._path = self._path
        return new


# --------------------------------------------------------------------- reading
def _read_spec_text(path: Path) -> str:
    """The spec's text: UTF-8 (a byte-order mark is allowed), size-capped, no NUL bytes."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SroiInputError(f"{path}: cannot read the spec file ({exc.strerror})") from None
    if len(data) > _MAX_SPEC_BYTES:
        raise SroiInputError(
            f"{path}: the spec file is {len(data):,} bytes; a spec is a few kilobytes of YAML "
            f"(limit {_MAX_SPEC_BYTES:,})"
        )
    if not data.strip():
        raise SroiInputError(f"{path}: the spec file is empty")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SroiInputError(
            f"{path}: line {line}: the spec is not UTF-8 text (byte 0x{data[exc.start]:02x}); "
            "save it as UTF-8 (e.g. 'Save as... UTF-8' in your editor)"
        ) from None
    if "\x00" in text:
        raise SroiInputError(f"{path}: the spec contains NUL bytes; is it a binary file?")
    return text


class _UniqueKeyLoader(_SAFE_LOADER):  # type: ignore[valid-type,misc]
    """A safe YAML loader that refuses a key given twice in the same mapping."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            line = key_node.start_mark.line + 1
            try:
                first = seen.get(key)
            except TypeError:
                raise SroiInputError(
                    f"line {line}: a mapping key must be a plain name, got {key_node.value!r}"
                ) from None
            if first is not None:
                raise SroiInputError(
                    f"line {line}: duplicate key {key!r} (first given on line {first}); "
                    "the second would silently replace the first - keep one"
                )
            seen[key] = line
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:  # noqa: D102
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:
            raise SroiInputError(
                f"line {node.start_mark.line + 1}: {node.value!r} is not a valid date ({exc}); "
                "write dates as YYYY-MM-DD"
            ) from None


_UniqueKeyLoader.add_constructor(
    "tag:yaml.org,2002:timestamp", _UniqueKeyLoader.construct_yaml_timestamp
)


def _check_yaml_shape(text: str) -> None:
    """Refuse anchors/aliases (alias bombs) and absurd nesting before building anything."""
    depth = 0
    for event in yaml.parse(text, Loader=_SAFE_LOADER):
        mark = event.start_mark
        line = mark.line + 1 if mark is not None else 0
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise SroiInputError(
                f"line {line}: YAML anchors and aliases (&name, *name) are not allowed in a "
                "spec; write the values out"
            )
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > _MAX_DEPTH:
                raise SroiInputError(
                    f"line {line}: the spec is nested more than "
                    f"{_MAX_DEPTH} levels deep; a spec has at most a few levels"
                )
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


def parse_yaml(text: str, source: str) -> Any:
    """Parse spec YAML safely: duplicate keys, anchors/aliases and deep nesting are errors.

    Parameters
    ----------
    text
        The YAML text.
    source
        File name for the messages.

    Returns
    -------
    object
        The parsed document (a mapping for a spec).

    Raises
    ------
    SroiInputError
        For invalid YAML (with its line), a duplicate key (naming both lines), an anchor or
        alias, or nesting deeper than 40 levels.
    """
    try:
        _check_yaml_shape(text)
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except SroiInputError as exc:
        raise SroiInputError(f"{source}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise SroiInputError(f"{source}: not valid YAML{where}: {_cap(str(problem))}") from None
    except RecursionError:
        raise SroiInputError(f"{source}: the YAML is nested too deeply") from None


# ---------------------------------------------------------------- strictness
def _unwrap(annotation: Any) -> list[Any]:
    """The member types of an annotation (``X | None`` -> ``[X, NoneType]``)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        return [a for arg in typing.get_args(annotation) for a in _unwrap(arg)]
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    return [annotation]


def _coercions(raw: Any, model: type[BaseModel], loc: tuple[Any, ...]) -> list[tuple[Any, str]]:
    """Values pydantic would coerce with a change of meaning: a bool or a string for a number."""
    out: list[tuple[Any, str]] = []
    if not isinstance(raw, dict):
        return out
    for key, value in raw.items():
        info = model.model_fields.get(key) if isinstance(key, str) else None
        if info is None:
            continue
        here = (*loc, key)
        members = _unwrap(info.annotation)
        numeric = any(m in (int, float) for m in members)
        if numeric and bool not in members and str not in members:
            if isinstance(value, bool):
                out.append((here, f"must be a number, not {str(value).lower()}"))
            elif isinstance(value, str):
                out.append((here, f"must be a number, not the text {_cap(repr(value))}"))
        for m in members:
            sub = _list_item_model(m)
            if sub is not None and isinstance(value, list):
                for i, item in enumerate(value):
                    out += _coercions(item, sub, (*here, i))
            elif isinstance(m, type) and issubclass(m, BaseModel):
                out += _coercions(value, m, here)
    return out


def _list_item_model(annotation: Any) -> type[BaseModel] | None:
    if typing.get_origin(annotation) is list:
        (arg,) = typing.get_args(annotation) or (None,)
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None


def _where(yaml_text: str | None, loc: tuple[Any, ...]) -> str:
    line = _yaml_line(yaml_text, loc)
    return f" (line {line})" if line else ""


def _check_override_path(key: str) -> None:
    """An override path names fields of the spec; otherwise say which ones exist."""
    model: type[BaseModel] | None = Spec
    parts = key.split(".")
    for i, part in enumerate(parts):
        if model is None:
            raise SroiInputError(
                f"override {key!r}: {'.'.join(parts[:i])} is a value, not a section; "
                f"use --set {'.'.join(parts[:i])}=VALUE"
            )
        fields = list(model.model_fields)
        if part not in fields:
            close = difflib.get_close_matches(part, fields, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            section = ".".join(parts[:i]) or "the top level of the spec"
            raise SroiInputError(
                f"override {key!r}: {section} has no field {part!r}{hint}; allowed fields: "
                f"{', '.join(fields)}"
            )
        model = next(
            (
                m
                for m in _unwrap(model.model_fields[part].annotation)
                if isinstance(m, type) and issubclass(m, BaseModel)
            ),
            None,
        )


def _cap(text: str) -> str:
    """A value shown in a message, cut to a readable length."""
    return text if len(text) <= _MAX_SHOWN else text[:_MAX_SHOWN] + "... (cut)"


# --------------------------------------------------------------------- errors
def _yaml_line(yaml_text: str | None, loc: tuple[Any, ...]) -> int | None:
    """1-based line of the node at ``loc`` in the YAML text (or of its nearest parent)."""
    if not yaml_text:
        return None
    try:
        node = yaml.compose(yaml_text, Loader=_SAFE_LOADER)
    except yaml.YAMLError:
        return None
    line = None
    for part in loc:
        if node is None:
            break
        if isinstance(node, yaml.MappingNode):
            nxt = None
            for key_node, value_node in node.value:
                if key_node.value == str(part):
                    line = key_node.start_mark.line + 1
                    nxt = value_node
                    break
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part < len(node.value):
                node = node.value[part]
                line = node.start_mark.line + 1
            else:
                node = None
        else:
            break
    return line


def _num(x: Any) -> str:
    return f"{x:g}" if isinstance(x, (int, float)) else str(x)


def _fields_at(loc: tuple[Any, ...]) -> list[str]:
    """Field names of the spec section at ``loc`` (empty when it is not a section)."""
    model: type[BaseModel] | None = Spec
    for part in loc:
        if model is None:
            return []
        if isinstance(part, int):
            continue
        info = model.model_fields.get(str(part))
        if info is None:
            return []
        model = None
        for m in _unwrap(info.annotation):
            m = _list_item_model(m) or m
            if isinstance(m, type) and issubclass(m, BaseModel):
                model = m
                break
    return list(model.model_fields) if model is not None else []


def _message(err: dict[str, Any]) -> str:
    kind = err["type"]
    ctx = err.get("ctx", {}) or {}
    if kind == "extra_forbidden":
        fields = _fields_at(tuple(err["loc"][:-1]))
        close = difflib.get_close_matches(str(err["loc"][-1]), fields, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        allowed = f"; allowed fields: {', '.join(fields)}" if fields else ""
        return f"unknown field{hint}{allowed}"
    if kind == "missing":
        return "required field is missing"
    if kind == "greater_than":
        return f"must be > {_num(ctx.get('gt'))}"
    if kind == "greater_than_equal":
        return f"must be >= {_num(ctx.get('ge'))}"
    if kind == "less_than":
        return f"must be < {_num(ctx.get('lt'))}"
    if kind == "less_than_equal":
        return f"must be <= {_num(ctx.get('le'))}"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')} (got {_cap(repr(err.get('input')))})"
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length')} item(s)"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    return f"{err['msg']} (got {_cap(repr(err.get('input')))})"


def _format_errors(exc: ValidationError, source: str, yaml_text: str | None) -> str:
    lines = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        dotted = ".".join(str(p) for p in loc) or "(top level)"
        line = _yaml_line(yaml_text, loc)
        where = f" (line {line})" if line else ""
        lines.append(f"{dotted}: {_message(dict(err))}{where}")
    head = f"{source}: {len(lines)} problem(s) in the evaluation spec"
    return head + "\n  " + "\n  ".join(lines)
