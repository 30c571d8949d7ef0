"""The data validator on crafted bad inputs: each error names the column and the problem."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from sroi import SroiInputError
from sroi.data import Exclusions, load_evaluation_data, read_table, validate_panel
from sroi.data.panel import Panel
from sroi.spec import ColumnRoles, Spec

OUTCOMES = {"att": "rate", "pa": "binary", "susp": "count"}


def roles(**kw) -> ColumnRoles:
    base = dict(
        unit="id",
        time="t",
        cohort="g",
        treatment="d",
        cluster="school",
        covariates=["fsm", "sex", "prior"],
        categorical=["sex"],
    )
    base.update(kw)
    return ColumnRoles(**base)


def good_panel(n_units: int = 12, n_t: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    ids = np.repeat([f"U{i:03d}" for i in range(n_units)], n_t)
    t = np.tile(np.arange(1, n_t + 1), n_units)
    g_unit = np.where(np.arange(n_units) < 4, 3, 0)
    g = np.repeat(g_unit, n_t)
    return pd.DataFrame(
        {
            "id": ids,
            "t": t,
            "g": g,
            "d": (g > 0).astype(int),
            "school": np.repeat(np.arange(n_units) % 3, n_t),
            "fsm": np.repeat(np.arange(n_units) % 2, n_t),
            "sex": np.repeat(np.where(np.arange(n_units) % 3 == 0, "F", "M"), n_t),
            "prior": np.repeat(rng.normal(size=n_units).round(3), n_t),
            "att": rng.uniform(0.8, 1.0, size=n_units * n_t).round(3),
            "pa": rng.integers(0, 2, size=n_units * n_t),
            "susp": rng.integers(0, 3, size=n_units * n_t),
        }
    )


def check(df, match, **kw):
    r = kw.pop("r", roles())
    with pytest.raises(SroiInputError, match=match):
        validate_panel(df, r, outcomes=kw.pop("outcomes", OUTCOMES), **kw)


def test_good_panel_passes_unchanged():
    df = good_panel()
    out = validate_panel(df, roles(), outcomes=OUTCOMES)
    assert out.shape == df.shape
    assert out["t"].dtype == np.int64


def test_missing_column_suggests_close_name():
    df = good_panel().rename(columns={"prior": "prior_att"})
    check(df, r"missing column\(s\) 'prior' \(covariate prior\) \(did you mean 'prior_att'\?\)")


def test_missing_outcome_column():
    check(good_panel().drop(columns="susp"), r"'susp' \(count outcome\)")


def test_duplicate_unit_time_rows():
    df = good_panel()
    df = pd.concat([df, df.iloc[[5]]], ignore_index=True)
    check(
        df,
        r"column 'id, t': 2 rows share a \(unit, time\) pair, e.g. \('U001', 2\) \(rows 5, 48\)",
    )


def test_time_as_text():
    df = good_panel()
    df["t"] = df["t"].astype(str)
    df.loc[3, "t"] = "Spring 2024"
    check(
        df,
        r"column 't': time must be an integer period index, found text such as 'Spring 2024' \(row 3\)",
    )


def test_fractional_time():
    df = good_panel()
    df["t"] = df["t"].astype(float)
    df.loc[0, "t"] = 1.5
    check(df, r"column 't': time must be whole numbers \(row 0\)")


def test_negative_cohort():
    df = good_panel()
    df.loc[df["id"] == "U005", "g"] = -1
    check(df, r"column 'g': cohort must be 0 \(never treated\)")


def test_treatment_not_binary():
    df = good_panel()
    df.loc[df["id"] == "U000", "d"] = 2
    check(df, r"column 'd': treatment must be 0/1, found 2")


def test_treatment_varies_within_unit():
    df = good_panel()
    df.loc[0, "d"] = 0
    check(df, r"column 'd': treatment must not vary within a unit in this design; unit 'U000'")


def test_treatment_disagrees_with_cohort():
    df = good_panel()
    df.loc[df["id"] == "U010", "d"] = 1
    check(df, r"column 'd': treatment disagrees with the cohort column 'g'")


def test_cohort_varies_within_unit():
    df = good_panel()
    df.loc[1, "g"] = 4
    check(df, r"column 'g': the first treated period \(cohort\) must be the same")


def test_rate_outside_unit_interval():
    df = good_panel()
    df.loc[7, "att"] = 95.0
    check(df, r"column 'att': rates must lie between 0 and 1; found 95.0 \(row 7\)")


def test_binary_outcome_not_zero_one():
    df = good_panel()
    df.loc[2, "pa"] = 3
    check(df, r"column 'pa': binary outcomes must be 0 or 1; found 3")


def test_negative_count():
    df = good_panel()
    df.loc[9, "susp"] = -1
    check(df, r"column 'susp': counts must be whole numbers >= 0; found -1")


def test_outcome_with_text():
    df = good_panel()
    df["att"] = df["att"].astype(str) + "%"
    check(df, r"column 'att': rate outcome must be numeric")


def test_no_treated_units():
    df = good_panel()
    df["g"] = 0
    df["d"] = 0
    check(df, r"column 'g': no treated units")


def test_no_comparison_units():
    df = good_panel()
    df["g"] = 3
    df["d"] = 1
    check(df, r"column 'g': no comparison units")


def test_constant_covariate():
    df = good_panel()
    df["fsm"] = 1
    check(df, r"column 'fsm': covariate is constant")


def test_text_covariate_not_declared_categorical():
    check(
        good_panel(), r"column 'sex': covariate must be numeric, found 'F'", r=roles(categorical=[])
    )


def test_covariate_varies_within_unit():
    df = good_panel()
    df.loc[1, "fsm"] = 1 - df.loc[1, "fsm"]
    check(df, r"column 'fsm': covariates are frozen at pre-enrolment values")


def test_cluster_varies_within_unit():
    df = good_panel()
    df.loc[1, "school"] = 99
    check(df, r"column 'school': the cluster must not vary within a unit")


def test_cohort_after_last_period():
    df = good_panel()
    df.loc[df["id"] == "U000", "g"] = 9
    check(df, r"column 'g': cohort after the last observed period 4")


def test_missing_values_error_policy_names_rows():
    df = good_panel()
    df.loc[[4, 5], "prior"] = np.nan
    check(df, r"column 'prior': 2 missing value\(s\) \(rows 4, 5\)", missing="error")
    df = good_panel()
    df.loc[10, "att"] = np.nan
    check(df, r"column 'att': 1 missing outcome value\(s\) \(row 10\)", missing="error")


def test_missing_values_drop_policy_counts_everything():
    df = good_panel()
    df.loc[[4, 5], "prior"] = np.nan  # unit U001: whole unit dropped (4 rows)
    df.loc[40, "att"] = np.nan  # one row dropped
    ex = Exclusions()
    out = validate_panel(df, roles(), outcomes=OUTCOMES, missing="drop", exclusions=ex)
    table = ex.table()
    assert out.shape[0] == df.shape[0] - 5
    assert ex.n_rows == 5
    unit_row = table[table["column"] == "prior"].iloc[0]
    assert (unit_row["n_rows"], unit_row["n_units"]) == (4, 1)
    assert "missing outcome att" in table["reason"].iloc[1]


def test_always_treated_units_are_excluded_and_counted():
    df = good_panel()
    df.loc[df["id"] == "U000", "g"] = 1
    ex = Exclusions()
    out = validate_panel(df, roles(), outcomes=OUTCOMES, exclusions=ex)
    assert "U000" not in set(out["id"])
    assert (
        ex.table().iloc[0]["n_units"] == 1
        and "first observed period" in ex.table().iloc[0]["reason"]
    )


# ------------------------------------------------------------------- files and the spec
def spec_for(
    tmp_path: Path, panel: pd.DataFrame, units: pd.DataFrame | None = None, **extra
) -> Spec:
    panel.to_csv(tmp_path / "panel.csv", index=False)
    data = {
        "path": "panel.csv",
        "columns": {
            "unit": "id",
            "time": "t",
            "cohort": "g",
            "covariates": ["fsm", "prior"],
        },
    }
    if units is not None:
        units.to_csv(tmp_path / "units.csv", index=False)
        data["units"] = "units.csv"
    raw = {
        "programme": {"name": "test"},
        "data": data,
        "design": {
            "outcomes": [
                {
                    "name": "att",
                    "column": "att",
                    "type": "rate",
                    "direction": "increase",
                    "primary": True,
                }
            ],
            **extra,
        },
    }
    (tmp_path / "evaluation.yaml").write_text(yaml.safe_dump(raw))
    return Spec.load(tmp_path / "evaluation.yaml")


def test_load_joins_units_and_applies_pool(tmp_path):
    df = good_panel()
    unit_cols = ["id", "fsm", "prior", "school"]
    units = df[unit_cols].drop_duplicates("id").copy()
    units["programme_school"] = (units["school"] == 0).astype(int)
    panel = df.drop(columns=["fsm", "prior", "school"])
    spec = spec_for(
        tmp_path, panel, units, comparison_pool={"column": "programme_school", "value": 0}
    )
    data = load_evaluation_data(spec)
    never_in_programme = units[(units["programme_school"] == 1)]["id"]
    never_in_programme = [i for i in never_in_programme if i >= "U004"]
    assert not set(never_in_programme) & set(data.panel["id"])
    assert data.exclusions.iloc[0]["n_units"] == len(never_in_programme)
    assert data.n_treated == 4
    assert len(data.data_hash) == 64
    assert "excluded:" in data.summary()


def test_unit_file_missing_ids_and_duplicates(tmp_path):
    df = good_panel()
    units = df[["id", "fsm", "prior"]].drop_duplicates("id")
    panel = df.drop(columns=["fsm", "prior"])
    with pytest.raises(
        SroiInputError, match=r"2 unit id\(s\) in the panel have no row in units.csv"
    ):
        load_evaluation_data(spec_for(tmp_path, panel, units.iloc[:-2]))
    dup = pd.concat([units, units.iloc[[0]]])
    with pytest.raises(SroiInputError, match=r"column 'id' has duplicate unit ids \(e.g. U000\)"):
        load_evaluation_data(spec_for(tmp_path, panel, dup))


def test_read_table_errors(tmp_path):
    with pytest.raises(SroiInputError, match="data file not found"):
        read_table(tmp_path / "none.csv")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(SroiInputError, match="the file is empty"):
        read_table(tmp_path / "empty.csv")
    (tmp_path / "header.csv").write_text("a,b\n")
    with pytest.raises(SroiInputError, match="header but no data rows"):
        read_table(tmp_path / "header.csv")
    (tmp_path / "x.dat").write_text("a\n1\n")
    with pytest.raises(SroiInputError, match="cannot tell the file format"):
        read_table(tmp_path / "x.dat")
    (tmp_path / "bad.xlsx").write_text("not excel")
    with pytest.raises(SroiInputError, match="could not be read as excel"):
        read_table(tmp_path / "bad.xlsx")


def test_ids_keep_leading_zeros_and_formats_agree(tmp_path):
    df = good_panel()
    df["id"] = df["id"].str.replace("U", "0")
    df.to_csv(tmp_path / "p.csv", index=False)
    df.to_parquet(tmp_path / "p.parquet", index=False)
    df.to_excel(tmp_path / "p.xlsx", index=False)
    a = read_table(tmp_path / "p.csv", id_columns=("id",))
    b = read_table(tmp_path / "p.parquet", id_columns=("id",))
    c = read_table(tmp_path / "p.xlsx", id_columns=("id",))
    assert a["id"].iloc[0] == "0000"
    pd.testing.assert_frame_equal(a, b, check_dtype=False)
    pd.testing.assert_frame_equal(a, c, check_dtype=False)


# ------------------------------------------------------------------- the Panel itself
def long_panel() -> pd.DataFrame:
    """Units a (cohort 3), b (never), c (never); periods 1..4."""
    return pd.DataFrame(
        {
            "u": np.repeat(["a", "b", "c"], 4),
            "t": np.tile([1, 2, 3, 4], 3),
            "g": np.repeat([3, 0, 0], 4),
            "y": np.arange(12, dtype=float),
            "w": np.repeat([1.0, 2.0, 0.0], 4),
        }
    )


def test_panel_arrays_and_periods():
    shuffled = long_panel().sample(frac=1, random_state=1)
    p = Panel(shuffled, unit="u", time="t", cohort="g", outcomes=["y"])
    assert p.periods.tolist() == [1, 2, 3, 4]
    assert p.units.tolist() == ["a", "b", "c"]
    np.testing.assert_array_equal(p.wide("y"), np.arange(12.0).reshape(3, 4))
    assert p.unit_values("g").tolist() == [3, 0, 0]
    assert p.data["t"].dtype == np.int64 and p.data["g"].dtype == np.int64


def test_panel_counts_row_and_unit_exclusions_with_reasons():
    df = long_panel()
    df.loc[1, "y"] = np.nan  # unit a, one row
    df.loc[6, "y"] = np.nan  # unit b, one row
    p = Panel(df, unit="u", time="t", cohort="g", outcomes=["y"], weights="w")
    p.drop_incomplete("y", "missing y")  # 2 rows of 2 units
    p.drop_units(p.data["w"].to_numpy() == 0, "zero weight", "w")  # unit c: 4 rows
    p.drop_unbalanced_units("gaps")  # a and b now miss a period
    table = p.exclusions.table().set_index("reason")
    assert table.loc["missing y", ["n_rows", "n_units"]].tolist() == [2, 2]
    assert table.loc["zero weight", ["n_rows", "n_units"]].tolist() == [4, 1]
    assert table.loc["gaps", ["n_rows", "n_units"]].tolist() == [6, 2]
    assert p.exclusions.n_rows == 12 and p.data.empty
    assert p.exclusions.counts() == {"missing y": 2, "zero weight": 4, "gaps": 6}
    assert "2 rows excluded: missing y" in p.exclusions.notes()


def test_panel_messages_name_column_rows_and_fix():
    df = long_panel()
    df.loc[5, "g"] = 2  # unit b changes cohort
    with pytest.raises(SroiInputError) as err:
        Panel(df, unit="u", time="t", cohort="g").check_constant("g")
    msg = str(err.value)
    assert "column 'g'" in msg and "unit 'b' has several values" in msg
    assert "rows 4, 5, 6, 7" in msg and "Use one value per unit" in msg
    with pytest.raises(SroiInputError, match=r"has no column 'z' \(outcome\)"):
        Panel(long_panel(), unit="u", time="t", outcomes=["z"])
    with pytest.raises(SroiInputError, match="pandas DataFrame"):
        Panel([1, 2], unit="u", time="t")
    with pytest.raises(SroiInputError, match=r"column 't': time must be whole numbers \(row 2\)"):
        Panel(long_panel().assign(t=lambda d: np.where(d.index == 2, 2.5, d.t)), unit="u", time="t")


def test_panel_treatment_switching_on_gives_the_cohort():
    df = long_panel().assign(d=lambda d: ((d.g > 0) & (d.t >= d.g)).astype(int))
    p = Panel(df.drop(columns="g"), unit="u", time="t", treatment="d")
    p.cohort_from_treatment()
    assert p.unit_values(p.cohort).tolist() == [3, 0, 0]
    df.loc[3, "d"] = 0  # unit a switches off in period 4
    p = Panel(df, unit="u", time="t", treatment="d")
    with pytest.raises(SroiInputError, match="switches off"):
        p.cohort_from_treatment()


def test_panel_drops_units_treated_from_the_start():
    df = long_panel()
    df.loc[df.u == "b", "g"] = 1
    p = Panel(df, unit="u", time="t", cohort="g")
    p.drop_treated_from_start("no pre-period", first=1)
    assert p.units.tolist() == ["a", "c"]
    assert p.exclusions.table().iloc[0][["n_rows", "n_units"]].tolist() == [4, 1]
