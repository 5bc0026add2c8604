"""Ledger records -> tidy tables: exact totals, stable orders, clear errors."""
import math
from dataclasses import dataclass

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reports import (
    ENERGY_COLUMNS, LAYER_COLUMNS, SUMMARY_COLUMNS, ReportError, energy_by_component, energy_by_layer,
    energy_frame, layers_frame, summary_frame,
)

RECORDS = [
    ("conv2", "sram", "read", 10, 1.5),
    ("conv1", "pe_array", "mul8x8", 5, 2.0),
    ("conv2", "dram", "read", 3, 0.25),
    ("conv1", "sram", "leakage", 100, 0.1),
    ("conv2", "sram", "read", 2, 0.5),
]

records_strategy = st.lists(st.tuples(
    st.sampled_from(["conv1", "conv2", "fc", None]),
    st.sampled_from(["pe_array", "sram", "dma", "dram", "ppu"]),
    st.sampled_from(["read", "write", "mul8x8", "leakage"]),
    st.integers(0, 10**12),
    st.floats(0, 1e9, allow_nan=False, allow_infinity=False),
), max_size=60)


def test_energy_frame_columns_order_and_merge():
    df = energy_frame(RECORDS)
    assert tuple(df.columns) == ENERGY_COLUMNS
    assert list(df.itertuples(index=False, name=None)) == [
        ("conv2", "dram", "read", 3, 0.25),
        ("conv2", "sram", "read", 12, 2.0),
        ("conv1", "pe_array", "mul8x8", 5, 2.0),
        ("conv1", "sram", "leakage", 100, 0.1),
    ]
    assert df["count"].dtype == "int64"


@settings(max_examples=60, deadline=None)
@given(records_strategy)
def test_energy_frame_preserves_totals_exactly(records):
    df = energy_frame(records)
    assert int(df["count"].sum()) == sum(r[3] for r in records)
    expected: dict = {}
    for layer, component, action, _, energy in records:
        expected.setdefault((layer, component, action), []).append(energy)
    got = {(None if pd.isna(layer) else layer, component, action): energy
           for layer, component, action, _, energy in df.itertuples(index=False, name=None)}
    assert got == {key: math.fsum(values) for key, values in expected.items()}


def test_energy_frame_merges_missing_layers_from_frames():
    frame = pd.DataFrame([(None, "sram", "leakage", 1, 1.0), (float("nan"), "sram", "leakage", 2, 2.0)],
                         columns=ENERGY_COLUMNS)
    df = energy_frame(frame)
    assert len(df) == 1 and df["count"].tolist() == [3] and df["energy_pj"].tolist() == [3.0]


def test_energy_frame_accepts_dicts_dataclasses_and_frames():
    @dataclass
    class Row:
        layer: str
        component: str
        action: str
        count: int
        energy_pj: float

    dicts = [dict(zip(ENERGY_COLUMNS, r)) for r in RECORDS]
    expected = energy_frame(RECORDS)
    pd.testing.assert_frame_equal(energy_frame(dicts), expected)
    pd.testing.assert_frame_equal(energy_frame([Row(*r) for r in RECORDS]), expected)
    pd.testing.assert_frame_equal(energy_frame(pd.DataFrame(RECORDS, columns=ENERGY_COLUMNS)), expected)


def test_energy_frame_fractional_counts_stay_float():
    df = energy_frame([("l", "sram", "leakage", 2.5, 1.0), ("l", "pe_array", "acc", 3, 1.0)])
    assert df["count"].dtype == "float64"
    assert sorted(df["count"]) == [2.5, 3.0]


def test_energy_frame_empty_has_columns():
    df = energy_frame([])
    assert tuple(df.columns) == ENERGY_COLUMNS and df.empty
    assert df["count"].dtype == "int64"


@pytest.mark.parametrize("bad, field", [
    (("l", "sram", "read", -1, 1.0), "count"),
    (("l", "sram", "read", 1, float("nan")), "energy_pj"),
    (("l", "", "read", 1, 1.0), "component"),
    (("l", "sram", "read", 1), "expected 5"),
    ({"layer": "l", "component": "sram", "action": "read", "count": 1}, "energy_pj"),
])
def test_energy_frame_rejects_bad_records(bad, field):
    with pytest.raises(ReportError, match=field):
        energy_frame([bad])


def _layer_row(name="conv1", **extra):
    row = {c: 0 for c in LAYER_COLUMNS}
    row.update(layer=name, op="conv", dataflow="ws", utilization=0.5)
    row.update(extra)
    return row


def test_layers_frame_orders_required_then_extras():
    rows = [_layer_row("conv1", zeta=1, alpha=2), _layer_row("conv2", beta=3)]
    rows[0] = {"zeta": 1, **rows[0]}
    df = layers_frame(rows)
    assert list(df.columns) == [*LAYER_COLUMNS, "zeta", "alpha", "beta"]
    assert df["layer"].tolist() == ["conv1", "conv2"]
    assert pd.isna(df.loc[1, "zeta"])


def test_layers_frame_names_the_missing_column():
    row = _layer_row("conv7")
    del row["stall_cycles"]
    with pytest.raises(ValueError, match="stall_cycles") as info:
        layers_frame([_layer_row(), row])
    assert "conv7" in str(info.value)


def test_summary_frame_one_row_required_first():
    summary = {"extra_bytes": 5, **{c: 1 for c in SUMMARY_COLUMNS}}
    df = summary_frame(summary)
    assert len(df) == 1
    assert list(df.columns) == [*SUMMARY_COLUMNS, "extra_bytes"]
    del summary["latency_us"]
    with pytest.raises(ValueError, match="latency_us"):
        summary_frame(summary)


def test_energy_pivots():
    df = energy_frame(RECORDS)
    by_comp = energy_by_component(df)
    assert list(by_comp.index) == ["dram", "pe_array", "sram"]
    assert list(by_comp.columns) == ["leakage", "mul8x8", "read"]
    assert by_comp.loc["sram", "read"] == 2.0 and by_comp.loc["dram", "mul8x8"] == 0.0
    by_layer = energy_by_layer(df)
    assert list(by_layer.index) == ["conv2", "conv1"]
    assert list(by_layer.columns) == ["dram", "pe_array", "sram"]
    assert by_layer.sum(axis=1).tolist() == [2.25, 2.1]
    with pytest.raises(ReportError, match="component"):
        energy_by_layer(df.drop(columns="component"))
