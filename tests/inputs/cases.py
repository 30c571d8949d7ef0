"""The bad inputs of the battery: each corrupts a valid evaluation folder in one way.

A case is ``(id, surface, corrupt, expected)``: ``corrupt(folder, spec)`` changes the files
and returns the command-line arguments; ``expected`` are substrings the error message must
contain (the file / field / column at fault and the bad value).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from tests.inputs.base import write_places

Corrupt = Callable[[Path, Path], list[str]]


@dataclass(frozen=True)
class Case:
    """One bad input."""

    id: str
    surface: str
    corrupt: Corrupt
    expected: tuple[str, ...]


CASES: list[Case] = []


def case(id: str, surface: str, *expected: str) -> Callable[[Corrupt], Corrupt]:
    """Register a corruption function as a battery case."""

    def deco(fn: Corrupt) -> Corrupt:
        CASES.append(Case(id, surface, fn, expected))
        return fn

    return deco


def validate(spec: Path) -> list[str]:
    return ["validate", str(spec)]


# ------------------------------------------------------------------------- helpers
def spec_sub(old: str, new: str) -> Corrupt:
    def fn(folder: Path, spec: Path) -> list[str]:
        text = spec.read_text(encoding="utf-8")
        assert old in text, old
        spec.write_text(text.replace(old, new, 1), encoding="utf-8")
        return validate(spec)

    return fn


def spec_case(id: str, old: str, new: str, *expected: str) -> None:
    case(id, "spec", *expected)(spec_sub(old, new))


def edit_csv(name: str, edit: Callable[[pd.DataFrame], pd.DataFrame | None]) -> Corrupt:
    def fn(folder: Path, spec: Path) -> list[str]:
        path = folder / name
        df = pd.read_csv(path, dtype=object)
        out = edit(df)
        (df if out is None else out).to_csv(path, index=False)
        return validate(spec)

    return fn


def set_cell(name: str, column: str, row: int, value: object) -> Corrupt:
    def edit(df: pd.DataFrame) -> None:
        df.loc[row, column] = value

    return edit_csv(name, edit)


def data_case(id: str, name: str, column: str, row: int, value: object, *expected: str) -> None:
    case(id, "data", *expected)(set_cell(name, column, row, value))


def raw_file(name: str, content: bytes) -> Corrupt:
    def fn(folder: Path, spec: Path) -> list[str]:
        (folder / name).write_bytes(content)
        return validate(spec)

    return fn


def transform_file(name: str, change: Callable[[bytes], bytes]) -> Corrupt:
    def fn(folder: Path, spec: Path) -> list[str]:
        path = folder / name
        path.write_bytes(change(path.read_bytes()))
        return validate(spec)

    return fn


def cli(args: list[str]) -> Corrupt:
    def fn(folder: Path, spec: Path) -> list[str]:
        return [a.replace("{spec}", str(spec)).replace("{dir}", str(folder)) for a in args]

    return fn


def cli_case(id: str, args: list[str], *expected: str) -> None:
    case(id, "cli", *expected)(cli(args))


# ---------------------------------------------------------------- pupil data (panel)
P, U = "panel.csv", "pupils.csv"
data_case("rate-above-1", P, "attendance_rate", 7, 1.5, "panel.csv", "attendance_rate", "1.5")
data_case("rate-negative", P, "attendance_rate", 7, -0.1, "attendance_rate", "-0.1")
data_case("rate-percent", P, "attendance_rate", 7, 95, "attendance_rate", "95")
data_case("rate-percent-sign", P, "attendance_rate", 7, "95%", "attendance_rate", "95%")
data_case("rate-decimal-comma", P, "attendance_rate", 7, "0,95", "attendance_rate", "0,95")
data_case("rate-inf", P, "attendance_rate", 7, "inf", "attendance_rate", "inf")
data_case("rate-minus-inf", P, "attendance_rate", 7, "-inf", "attendance_rate", "-inf")
data_case("count-inf", P, "suspensions", 7, "inf", "suspensions", "inf", "row 9")
data_case("count-1e300", P, "suspensions", 7, "1e300", "suspensions", "1e+300", "ceiling")
data_case("count-above-ceiling", P, "suspensions", 7, 71, "suspensions", "71", "ceiling")
data_case("count-negative", P, "suspensions", 7, -1, "suspensions", "-1")
data_case("count-fraction", P, "suspensions", 7, 2.5, "suspensions", "2.5")
data_case("count-text", P, "suspensions", 7, "two", "suspensions", "two")
data_case("count-minus-inf", P, "suspensions", 7, "-inf", "suspensions", "-inf")
data_case("binary-2", P, "persistent_absence", 7, 2, "persistent_absence", "2")
data_case("binary-text", P, "persistent_absence", 7, "yes", "persistent_absence", "yes")
data_case("binary-half", P, "persistent_absence", 7, 0.5, "persistent_absence", "0.5")
data_case("binary-inf", P, "persistent_absence", 7, "inf", "persistent_absence", "inf")
data_case("term-fraction", P, "term", 7, 2.5, "term", "2.5")
data_case("term-text", P, "term", 7, "autumn", "term", "autumn")
data_case("term-inf", P, "term", 7, "inf", "term", "inf")
data_case("covariate-inf", U, "prior", 3, "inf", "prior", "inf")
data_case("covariate-text", U, "prior", 3, "high", "prior", "high")
data_case("fsm-text", U, "fsm", 3, "yes", "fsm", "yes")
data_case("cohort-after-last", U, "cohort", 45, 9, "cohort", "9")
data_case("cohort-text", U, "cohort", 45, "spring", "cohort", "spring")
data_case("cohort-fraction", U, "cohort", 45, 3.5, "cohort", "3.5")
data_case("cohort-negative", U, "cohort", 45, -3, "cohort", "-3")
data_case("treatment-disagrees", U, "enrolled", 3, 1, "enrolled", "cohort")
data_case("treatment-2", U, "enrolled", 45, 2, "enrolled", "2")
data_case("treatment-text", U, "enrolled", 45, "yes", "enrolled", "yes")
data_case("treated-no-flag", U, "enrolled", 45, 0, "enrolled", "cohort")


@case("duplicate-pupil-term", "data", "panel.csv", "pupil_id", "P000")
def _dup_row(folder: Path, spec: Path) -> list[str]:
    return edit_csv(P, lambda df: pd.concat([df, df.iloc[[0]]]))(folder, spec)


@case("duplicate-pupil-in-unit-file", "data", "pupils.csv", "pupil_id", "P003")
def _dup_unit(folder: Path, spec: Path) -> list[str]:
    return edit_csv(U, lambda df: pd.concat([df, df.iloc[[3]]]))(folder, spec)


@case("pupil-missing-from-unit-file", "data", "pupils.csv", "P005")
def _missing_unit(folder: Path, spec: Path) -> list[str]:
    return edit_csv(U, lambda df: df.drop(index=5))(folder, spec)


@case("outcome-column-missing", "data", "design.outcomes[0].column", "attendance_rate")
def _no_outcome(folder: Path, spec: Path) -> list[str]:
    return edit_csv(P, lambda df: df.drop(columns="attendance_rate"))(folder, spec)


@case("outcome-column-renamed", "data", "attendance", "did you mean")
def _renamed(folder: Path, spec: Path) -> list[str]:
    return edit_csv(P, lambda df: df.rename(columns={"attendance_rate": "attendance_rte"}))(
        folder, spec
    )


@case("cluster-column-missing", "data", "school_id")
def _no_cluster(folder: Path, spec: Path) -> list[str]:
    return edit_csv(U, lambda df: df.drop(columns="school_id"))(folder, spec)


@case("unit-column-missing", "data", "pupil_id")
def _no_unit(folder: Path, spec: Path) -> list[str]:
    return edit_csv(U, lambda df: df.rename(columns={"pupil_id": "pupil"}))(folder, spec)


@case("one-school", "data", "school_id", "one cluster")
def _one_school(folder: Path, spec: Path) -> list[str]:
    return edit_csv(U, lambda df: df.assign(school_id="S0"))(folder, spec)


@case("treated-in-one-school", "data", "school_id", "1 cluster")
def _one_treated_school(folder: Path, spec: Path) -> list[str]:
    def edit(df: pd.DataFrame) -> None:
        df.loc[df["cohort"].astype(int) > 0, "school_id"] = "S1"

    return edit_csv(U, edit)(folder, spec)


@case("outcome-no-variation", "data", "persistent_absence", "one value")
def _constant_outcome(folder: Path, spec: Path) -> list[str]:
    return edit_csv(P, lambda df: df.assign(persistent_absence=0))(folder, spec)


@case("exact-strata-disjoint", "data", "design.matching.exact", "no treated unit shares")
def _disjoint_strata(folder: Path, spec: Path) -> list[str]:
    spec_sub("    ratio: 1\n", "    ratio: 1\n    exact: [fsm]\n")(folder, spec)
    return edit_csv(U, lambda df: df.assign(fsm=(df["cohort"].astype(int) > 0).astype(int)))(
        folder, spec
    )


@case("no-treated", "data", "cohort", "no treated units")
def _no_treated(folder: Path, spec: Path) -> list[str]:
    return edit_csv(U, lambda df: df.assign(cohort=0, enrolled=0))(folder, spec)


@case("no-comparison", "data", "cohort", "no comparison units")
def _no_comparison(folder: Path, spec: Path) -> list[str]:
    return edit_csv(U, lambda df: df.assign(cohort=3, enrolled=1))(folder, spec)


@case("covariate-constant", "data", "fsm", "constant")
def _constant_cov(folder: Path, spec: Path) -> list[str]:
    return edit_csv(U, lambda df: df.assign(fsm=1))(folder, spec)


@case("missing-value-policy-error", "data", "attendance_rate", "missing")
def _missing_error(folder: Path, spec: Path) -> list[str]:
    spec_sub("missing: drop", "missing: error")(folder, spec)
    return set_cell(P, "attendance_rate", 4, None)(folder, spec)


case("empty-panel", "data", "panel.csv", "empty")(raw_file(P, b""))
case("header-only-panel", "data", "panel.csv", "no data rows")(
    raw_file(P, b"pupil_id,term,attendance_rate,suspensions,persistent_absence\n")
)
case("semicolon-panel", "data", "panel.csv", "semicolon")(
    transform_file(P, lambda b: b.replace(b",", b";"))
)
case("tab-panel", "data", "panel.csv", "tab")(transform_file(P, lambda b: b.replace(b",", b"\t")))
case("ragged-row", "data", "panel.csv", "line")(
    transform_file(P, lambda b: b.replace(b"\nP001,1,", b"\nP001,1,9,", 1))
)
case("latin1-panel", "data", "panel.csv", "UTF-8")(
    transform_file(P, lambda b: b.replace(b"P003", "P\xe9003".encode("latin-1")))
)
case("binary-panel", "data", "panel.csv")(raw_file(P, bytes(range(256)) * 8))
case("nul-bytes-panel", "data", "panel.csv")(raw_file(P, b"pupil_id,term\x00\x00\n1,2\n"))


@case("csv-renamed-xlsx", "data", "panel.xlsx", "Excel")
def _fake_xlsx(folder: Path, spec: Path) -> list[str]:
    (folder / "panel.xlsx").write_bytes((folder / P).read_bytes())
    return spec_sub("path: panel.csv", "path: panel.xlsx")(folder, spec)


@case("unknown-extension", "data", "panel.dat", ".dat")
def _dat(folder: Path, spec: Path) -> list[str]:
    (folder / "panel.dat").write_bytes((folder / P).read_bytes())
    return spec_sub("path: panel.csv", "path: panel.dat")(folder, spec)


@case("panel-is-folder", "data", "folder")
def _folder(folder: Path, spec: Path) -> list[str]:
    (folder / "adir").mkdir()
    return spec_sub("path: panel.csv", "path: adir")(folder, spec)


@case("panel-not-found", "data", "nosuch.csv", "not found")
def _nofile(folder: Path, spec: Path) -> list[str]:
    return spec_sub("path: panel.csv", "path: nosuch.csv")(folder, spec)


@case("empty-unit-file", "data", "pupils.csv", "empty")
def _empty_units(folder: Path, spec: Path) -> list[str]:
    return raw_file(U, b"")(folder, spec)


# ----------------------------------------------------------------------------- spec
spec_case(
    "dup-key-alpha", "  alpha: 0.05", "  alpha: 0.05\n  alpha: 0.5", "alpha", "line 40", "line 41"
)
spec_case(
    "dup-section-design", "report:\n", "design:\n  alpha: 0.1\nreport:\n", "duplicate key 'design'"
)
spec_case(
    "cohort-size-true", "cohort_size: 20", "cohort_size: true", "programme.cohort_size", "true"
)
spec_case(
    "cohort-size-text", "cohort_size: 20", 'cohort_size: "20"', "programme.cohort_size", "'20'"
)
spec_case("cohort-size-zero", "cohort_size: 20", "cohort_size: 0", "programme.cohort_size", "> 0")
spec_case("alpha-text", "alpha: 0.05", 'alpha: "0.05"', "design.alpha", "'0.05'")
spec_case("alpha-above-1", "alpha: 0.05", "alpha: 1.5", "design.alpha", "< 1")
spec_case("alpha-negative", "alpha: 0.05", "alpha: -0.1", "design.alpha", "> 0")
spec_case(
    "attribution-text",
    "attribution: 0.1",
    'attribution: "0.1"',
    "valuation.adjustments.attribution",
    "'0.1'",
)
spec_case(
    "attribution-true",
    "attribution: 0.1",
    "attribution: true",
    "valuation.adjustments.attribution",
    "true",
)
spec_case(
    "attribution-above-1",
    "attribution: 0.1",
    "attribution: 1.5",
    "valuation.adjustments.attribution",
)
spec_case("n-boot-false", "n_boot: 99", "n_boot: false", "design.did.n_boot", "false")
spec_case("n-boot-negative", "n_boot: 99", "n_boot: -1", "design.did.n_boot", ">= 0")
spec_case("n-boot-fraction", "n_boot: 99", "n_boot: 99.5", "design.did.n_boot", "99.5")
spec_case(
    "terms-per-year-true",
    "terms_per_year: 3",
    "terms_per_year: true",
    "valuation.terms_per_year",
    "true",
)
spec_case(
    "appraisal-years-text",
    "appraisal_years: 5",
    'appraisal_years: "5"',
    "valuation.appraisal_years",
    "'5'",
)
spec_case("seed-text", "seed: 7", "seed: abc", "seed", "abc")
spec_case("seed-true", "seed: 7", "seed: true", "seed", "true")
spec_case("ratio-zero", "ratio: 1", "ratio: 0", "design.matching.ratio", ">= 1")
spec_case(
    "method-unknown", "method: nearest", "method: closest", "design.matching.method", "closest"
)
spec_case("outcome-type-unknown", "type: rate", "type: ratio", "design.outcomes.0.type", "ratio")
spec_case(
    "direction-unknown", "direction: increase", "direction: up", "design.outcomes.0.direction", "up"
)
spec_case(
    "two-primaries",
    "type: count\n",
    "type: count\n      primary: true\n",
    "exactly one outcome",
    "suspensions",
)
spec_case("no-primary", "      primary: true\n", "", "exactly one outcome", "found 0")
spec_case(
    "duplicate-outcome-name", "- name: suspensions", "- name: attendance", "repeated", "attendance"
)
spec_case(
    "unknown-section",
    "report:\n",
    "reprot:\n  title: x\nreport:\n",
    "reprot",
    "did you mean 'report'",
)
spec_case(
    "unknown-field-matching",
    "  matching:\n",
    "  matchng:\n    ratio: 1\n  matching:\n",
    "design.matchng",
    "did you mean 'matching'",
)
spec_case(
    "unknown-outcome-field",
    "      primary: true\n",
    "      primary: true\n      colour: red\n",
    "design.outcomes.0.colour",
)
spec_case(
    "did-cluster-missing-column",
    "    cluster: school_id\n    window",
    "    cluster: schol_id\n    window",
    "design.did.cluster",
    "schol_id",
    "did you mean 'school_id'",
)
spec_case(
    "matching-covariate-missing",
    "    ratio: 1\n",
    "    ratio: 1\n    covariates: [fsm, priorr]\n",
    "design.matching.covariates[1]",
    "priorr",
)
spec_case(
    "matching-exact-missing",
    "    ratio: 1\n",
    "    ratio: 1\n    exact: [phase]\n",
    "design.matching.exact[0]",
    "phase",
)
spec_case(
    "matching-history-missing",
    "    ratio: 1\n",
    "    ratio: 1\n    history: [family_stress]\n",
    "design.matching.history[0]",
    "family_stress",
)
spec_case(
    "did-covariate-missing",
    "    estimator: reg\n",
    "    estimator: reg\n    covariates: [ks2]\n",
    "design.did.covariates[0]",
    "ks2",
)
spec_case(
    "outcome-column-typo",
    "column: attendance_rate",
    "column: attendence_rate",
    "design.outcomes[0].column",
    "attendence_rate",
    "did you mean",
)
spec_case(
    "pool-column-missing",
    "  matching:\n",
    "  comparison_pool:\n    column: prog_school\n    value: 0\n  matching:\n",
    "design.comparison_pool.column",
    "prog_school",
)
spec_case("unit-role-missing", "unit: pupil_id", "unit: pupil", "pupil", "did you mean 'pupil_id'")
spec_case(
    "covariate-role-missing",
    "covariates: [fsm, prior]",
    "covariates: [fsm, prio]",
    "prio",
    "did you mean 'prior'",
)
spec_case(
    "categorical-not-covariate",
    "covariates: [fsm, prior]",
    "covariates: [fsm, prior]\n    categorical: [sex]",
    "categorical",
    "sex",
)
spec_case("window-wrong-order", "window: [-2, 2]", "window: [2, 4]", "design.did", "window")
spec_case("window-text", "window: [-2, 2]", "window: wide", "design.did.window", "wide")
spec_case("missing-policy-unknown", "missing: drop", "missing: skip", "data.missing", "skip")
spec_case(
    "disclosure-zero",
    "disclosure_threshold: 10",
    "disclosure_threshold: 0",
    "report.disclosure_threshold",
    ">= 1",
)
spec_case(
    "max-per-period-zero",
    "type: count\n",
    "type: count\n      max_per_period: 0\n",
    "design.outcomes.1.max_per_period",
    "> 0",
)
spec_case("spec-version-2", "programme:\n", "spec_version: 2\nprogramme:\n", "spec_version", "2")
spec_case("programme-name-missing", "  name: Battery programme\n", "", "programme.name", "required")
spec_case(
    "dates-reversed",
    "  cohort_size: 20\n",
    "  cohort_size: 20\n  start: 2024-09-01\n  end: 2023-07-31\n",
    "programme",
    "end must not be before start",
)
spec_case(
    "date-invalid",
    "  cohort_size: 20\n",
    "  cohort_size: 20\n  start: 2024-13-45\n",
    "2024-13-45",
    "line",
)
spec_case(
    "delivery-amount-text",
    "amount: 10000",
    "amount: ten thousand",
    "programme.delivery_costs.0.amount",
    "ten thousand",
)
spec_case(
    "valuation-outcome-typo",
    "    - outcome: suspensions",
    "    - outcome: suspension",
    "valuation.outcomes[0].outcome",
    "suspension",
    "did you mean 'suspensions'",
)
spec_case(
    "uncertainty-kind-typo",
    '"attribution:suspensions"',
    '"atribution:suspensions"',
    "valuation.uncertainty[0].parameter",
    "atribution",
    "did you mean 'attribution'",
)
spec_case(
    "uncertainty-outcome-typo",
    '"attribution:suspensions"',
    '"attribution:suspension"',
    "valuation.uncertainty[0].parameter",
    "suspension",
    "did you mean 'suspensions'",
)
spec_case(
    "uncertainty-cost-typo",
    '"attribution:suspensions"',
    '"cost:SUS"',
    "valuation.uncertainty[0].parameter",
    "SUS",
    "did you mean 'SUSP'",
)
spec_case(
    "uncertainty-distribution-unknown",
    "distribution: pert",
    "distribution: gaussian",
    "valuation.uncertainty.0.distribution",
    "gaussian",
)
spec_case(
    "uncertainty-low-above-high",
    "low: 0.0, mode: 0.1, high: 0.3",
    "low: 0.5, mode: 0.1, high: 0.3",
    "valuation.uncertainty.0",
    "0.5",
)
spec_case(
    "cost-id-unknown", "costs: [SUSP]", "costs: [SUSPX]", "valuation.outcomes[0].costs", "SUSPX"
)
spec_case("cost-file-missing", "cost_file: costs.csv", "cost_file: nocosts.csv", "nocosts.csv")
spec_case(
    "price-year-bad", 'price_year: "2024"', 'price_year: "twenty"', "valuation.price_year", "twenty"
)
spec_case("spec-not-mapping-list", "programme:\n", "- programme\nprogramme:\n", "evaluation.yaml")
spec_case(
    "unclosed-bracket",
    "window: [-2, 2]",
    "window: [-2, 2",
    "evaluation.yaml",
    "not valid YAML",
    "line",
)
spec_case("tab-indent", "  alpha: 0.05", "\talpha: 0.05", "evaluation.yaml", "not valid YAML")
spec_case("anchor-alias", "  matching:\n", "  matching: &m\n", "anchors and aliases")

case("alias-bomb", "spec", "anchors and aliases")(
    raw_file(
        "evaluation.yaml",
        b'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
        + b"".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]\n".encode()
            for i in range(8)
        ),
    )
)
case("deep-nesting", "spec", "nested more than")(
    raw_file("evaluation.yaml", b"a: " + b"[" * 500 + b"]" * 500 + b"\n")
)
case("empty-spec", "spec", "evaluation.yaml", "empty")(raw_file("evaluation.yaml", b""))
case("spec-scalar", "spec", "evaluation.yaml", "mapping")(raw_file("evaluation.yaml", b"hello\n"))
case("latin1-spec", "spec", "evaluation.yaml", "UTF-8", "line 2")(
    transform_file(
        "evaluation.yaml", lambda b: b.replace(b"Battery", "Batt\xe9ry".encode("latin-1"))
    )
)
case("binary-spec", "spec", "evaluation.yaml")(raw_file("evaluation.yaml", bytes(range(256))))
case("huge-spec", "spec", "evaluation.yaml", "bytes")(
    raw_file("evaluation.yaml", b"# " + b"x" * 3_000_000 + b"\n")
)


@case("spec-not-found", "spec", "nosuch.yaml", "not found")
def _nospec(folder: Path, spec: Path) -> list[str]:
    return ["validate", str(folder / "nosuch.yaml")]


@case("spec-folder-without-yaml", "spec", "no evaluation.yaml")
def _spec_folder(folder: Path, spec: Path) -> list[str]:
    (folder / "empty").mkdir()
    return ["validate", str(folder / "empty")]


# ------------------------------------------------------------------------ cost table
C = "costs.csv"


def cost_case(id: str, column: str, value: str, *expected: str) -> None:
    case(id, "costs", *expected)(set_cell(C, column, 0, value))


cost_case("cost-amount-text", "amount", "lots", "costs.csv", "amount", "lots")
cost_case("cost-amount-negative", "amount", "-250", "costs.csv", "amount", "-250")
cost_case("cost-amount-inf", "amount", "inf", "costs.csv", "amount", "inf")
cost_case("cost-price-year-bad", "price_year", "last year", "costs.csv", "price year", "last year")
cost_case("cost-confidence-9", "confidence", "9", "costs.csv", "confidence", "9")
cost_case("cost-basis-unknown", "basis", "sometimes", "costs.csv", "basis", "sometimes")
cost_case("cost-agency-unknown", "agency", "martians", "costs.csv", "agency", "martians")
cost_case("cost-value-type-unknown", "value_type", "cash", "costs.csv", "value_type", "cash")
cost_case("cost-low-above-high", "low", "900", "costs.csv", "900")
cost_case("cost-id-blank", "id", "", "costs.csv", "id")


@case("cost-duplicate-id", "costs", "costs.csv", "SUSP")
def _dup_cost(folder: Path, spec: Path) -> list[str]:
    return edit_csv(C, lambda df: pd.concat([df, df]))(folder, spec)


@case("cost-missing-amount-column", "costs", "costs.csv", "amount")
def _no_amount(folder: Path, spec: Path) -> list[str]:
    return edit_csv(C, lambda df: df.drop(columns="amount"))(folder, spec)


case("cost-empty-file", "costs", "costs.csv")(raw_file(C, b""))
case("cost-semicolon", "costs", "costs.csv")(transform_file(C, lambda b: b.replace(b",", b";")))
case("cost-latin1", "costs", "costs.csv")(
    transform_file(C, lambda b: b.replace(b"suspension process", "suspensi\xf3n".encode("latin-1")))
)


@case("cost-csv-renamed-xlsx", "costs", "costs.xlsx")
def _cost_fake_xlsx(folder: Path, spec: Path) -> list[str]:
    (folder / "costs.xlsx").write_bytes((folder / C).read_bytes())
    return spec_sub("cost_file: costs.csv", "cost_file: costs.xlsx")(folder, spec)


# ---------------------------------------------------------------------- command line
cli_case(
    "set-typo",
    ["validate", "{spec}", "--set", "design.matching.calliper=0.1"],
    "calliper",
    "did you mean 'caliper'",
    "allowed fields",
)
cli_case(
    "set-unknown-section",
    ["validate", "{spec}", "-p", "desgin.alpha=0.1"],
    "desgin",
    "did you mean 'design'",
)
cli_case("set-no-equals", ["validate", "{spec}", "-p", "design.alpha"], "design.alpha", "key=value")
cli_case("set-empty-key", ["validate", "{spec}", "-p", "=1"], "'=1'", "empty")
cli_case(
    "set-bool-for-number", ["validate", "{spec}", "-p", "design.alpha=true"], "design.alpha", "true"
)
cli_case(
    "set-text-for-number", ["validate", "{spec}", "-p", "design.alpha=abc"], "design.alpha", "abc"
)
cli_case("set-out-of-range", ["validate", "{spec}", "-p", "design.alpha=2"], "design.alpha", "< 1")
cli_case(
    "set-below-a-value",
    ["validate", "{spec}", "-p", "design.alpha.x=1"],
    "design.alpha",
    "is a value",
)
cli_case(
    "set-cluster-missing",
    ["validate", "{spec}", "-p", "design.did.cluster=nope"],
    "design.did.cluster",
    "nope",
)
cli_case(
    "set-literal-bad",
    ["validate", "{spec}", "-p", "design.multiplicity=bonferroni"],
    "design.multiplicity",
    "bonferroni",
)
cli_case("set-seed-negative", ["validate", "{spec}", "-p", "seed=-1"], "seed")
cli_case("set-list-for-number", ["validate", "{spec}", "-p", "design.alpha=[1, 2]"], "design.alpha")
cli_case(
    "run-output-under-file",
    ["run", "{spec}", "-o", "{dir}/costs.csv/out"],
    "costs.csv",
    "is a file",
)
cli_case("init-bad-name", ["init", "a b", "--dir", "{dir}"], "a b", "letters")


@case("init-exists", "cli", "already exists")
def _init_exists(folder: Path, spec: Path) -> list[str]:
    (folder / "taken").mkdir()
    return ["init", "taken", "--dir", str(folder)]


cli_case(
    "value-results-missing",
    ["value", "{spec}", "--results", "{dir}/nosuch.json"],
    "nosuch.json",
    "not found",
)


def _results(content: str) -> Corrupt:
    def fn(folder: Path, spec: Path) -> list[str]:
        (folder / "results.json").write_text(content, encoding="utf-8")
        return ["value", str(spec), "--results", str(folder / "results.json")]

    return fn


case("results-not-json", "cli", "results.json")(_results("{not json"))
case("results-list", "cli", "results.json")(_results("[1, 2, 3]"))
case("results-wrong-types", "cli", "results.json")(
    _results(json.dumps({"outcomes": "attendance", "spec": 3}))
)
case("results-empty", "cli", "results.json")(_results(""))


def _init_dir(folder: Path, spec: Path) -> list[str]:
    (folder / "reports").write_text("a file", encoding="utf-8")
    return ["init", "x", "--dir", str(folder / "reports")]


case("init-dir-is-file", "cli", "reports")(_init_dir)


# ------------------------------------------------------------------ design feasibility
spec_case(
    "caliper-leaves-no-comparison",
    "    ratio: 1\n",
    "    ratio: 1\n    caliper: 0.000001\n",
    "design.matching.caliper",
    "cohort 3",
    "1e-06",
    "Widen",
)


# --------------------------------------------------- results.json files read by sroi pool
def _place(change: Callable[[dict], object]) -> Corrupt:
    """Pool places A and B after ``change`` edits B's document (or returns its new text)."""

    def fn(folder: Path, spec: Path) -> list[str]:
        a, b = write_places(folder)
        doc = json.loads(b.read_text(encoding="utf-8"))
        out = change(doc)
        if isinstance(out, bytes):
            b.write_bytes(out)
        else:
            b.write_text(json.dumps(doc), encoding="utf-8")
        return ["pool", str(a), str(b), "-o", str(folder / "pooled")]

    return fn


def results_case(id: str, change: Callable[[dict], object], *expected: str) -> None:
    case(id, "results", "place_B.json", *expected)(_place(change))


def _delete(*keys: str | int) -> Callable[[dict], None]:
    def change(doc: dict) -> None:
        obj = doc
        for k in keys[:-1]:
            obj = obj[k]
        del obj[keys[-1]]

    return change


def _put(value: object, *keys: str | int) -> Callable[[dict], None]:
    def change(doc: dict) -> None:
        obj = doc
        for k in keys[:-1]:
            obj = obj[k]
        obj[keys[-1]] = value

    return change


results_case("pool-not-json", lambda d: b"{not json", "not valid JSON")
results_case("pool-empty-file", lambda d: b"", "empty")
results_case("pool-binary-file", lambda d: bytes(range(256)), "not valid JSON")
results_case("pool-top-level-list", lambda d: b"[1, 2, 3]", "top level")
results_case("pool-top-level-null", lambda d: b"null", "top level")
results_case("pool-schema-major-2", _put("2.0", "schema_version"), "schema_version", "'2.0'")
results_case("pool-schema-version-number", _put(1.0, "schema_version"), "schema_version", "1.0")
results_case("pool-missing-effects", _delete("effects"), "effects")
results_case("pool-missing-provenance", _delete("provenance"), "provenance")
results_case("pool-missing-design", _delete("design"), "design")
results_case("pool-effects-not-list", _put("attendance", "effects"), "effects", "'attendance'")
results_case(
    "pool-estimate-text", _put("big", "effects", 0, "effect", "estimate"), "estimate", "'big'"
)
results_case(
    "pool-se-negative", _put(-1.0, "effects", 0, "effect", "std_error"), "std_error", "-1.0"
)
results_case("pool-missing-outcome-name", _delete("effects", 0, "outcome"), "effects/0", "outcome")
results_case("pool-count-negative", _put(-5, "programme", "n_treated"), "n_treated", "-5")
results_case("pool-count-text", _put("many", "programme", "n_treated"), "n_treated", "'many'")
results_case("pool-unknown-field", _put(1, "programme", "n_teachers"), "programme", "n_teachers")
results_case(
    "pool-outcome-absent",
    _put("suspensions", "effects", 0, "outcome"),
    "attendance",
    "suspensions",
)
results_case(
    "pool-no-standard-error", _put(None, "effects", 0, "effect", "std_error"), "standard error"
)
results_case(
    "pool-different-estimand",
    _put("ATE", "effects", 0, "effect", "estimand"),
    "estimand",
    "'ATE'",
)
results_case(
    "pool-same-evaluation-twice",
    lambda d: d["provenance"].update(spec_hash="a" * 64, data_hash="a" * 64),
    "same evaluation",
)


@case("pool-results-is-folder", "results", "place_B.json", "folder")
def _pool_folder(folder: Path, spec: Path) -> list[str]:
    a, b = write_places(folder)
    b.unlink()
    b.mkdir()
    return ["pool", str(a), str(b), "-o", str(folder / "pooled")]


@case("pool-results-missing", "results", "place_C.json", "not found")
def _pool_missing(folder: Path, spec: Path) -> list[str]:
    a, _ = write_places(folder)
    return ["pool", str(a), str(folder / "place_C.json"), "-o", str(folder / "pooled")]


@case("pool-one-file", "results", "at least 2")
def _pool_one(folder: Path, spec: Path) -> list[str]:
    a, _ = write_places(folder)
    return ["pool", str(a), "-o", str(folder / "pooled")]


@case("pool-output-under-file", "cli", "place_A.json", "is a file")
def _pool_out_file(folder: Path, spec: Path) -> list[str]:
    a, b = write_places(folder)
    return ["pool", str(a), str(b), "-o", str(a / "pooled")]


@case("pool-labels-repeated", "cli", "labels", "different name")
def _pool_labels(folder: Path, spec: Path) -> list[str]:
    a, b = write_places(folder)
    return ["pool", str(a), str(b), "-o", str(folder / "pooled"), "--labels", "x,x"]


@case("pool-outcome-unknown", "cli", "place_A.json", "nosuch")
def _pool_outcome(folder: Path, spec: Path) -> list[str]:
    a, b = write_places(folder)
    return ["pool", str(a), str(b), "-o", str(folder / "pooled"), "--outcome", "nosuch"]


@case("run-output-under-proc", "cli", "/proc", "cannot create the output folder")
def _run_proc(folder: Path, spec: Path) -> list[str]:
    return ["run", str(spec), "-o", "/proc/sroi-battery-output"]


@case("run-output-under-proc-file", "cli", "/status/out", "is a file")
def _run_proc_file(folder: Path, spec: Path) -> list[str]:
    return ["run", str(spec), "-o", "/proc/self/status/out"]


@case("value-output-under-file", "cli", "costs.csv", "is a file")
def _value_out_file(folder: Path, spec: Path) -> list[str]:
    a, _ = write_places(folder)
    return ["value", str(spec), "--results", str(a), "-o", str(folder / "costs.csv" / "v")]


def counts_by_surface() -> dict[str, int]:
    """Number of distinct bad inputs per surface (``python -m tests.inputs.cases`` prints it)."""
    out: dict[str, int] = {}
    for c in CASES:
        out[c.surface] = out.get(c.surface, 0) + 1
    return dict(sorted(out.items()))


if __name__ == "__main__":
    counts = counts_by_surface()
    for surface, n in counts.items():
        print(f"{surface:8s} {n:4d}")
    print(f"{'total':8s} {sum(counts.values()):4d}")
