"""archsim.systolic against SCALE-Sim 3.0.0's own outputs, plus invariants on arbitrary shapes.

Reference data (tests/data/scalesim/, copied from shared/reference/scalesim/ so the suite runs
without shared/):
* scalesim_resnet50_32x32_{os,ws}_reference.csv: ResNet-50 (SCALE-Sim's 54-layer topology)
  on 32x32, one row per layer with SCALE-Sim's Total Cycles;
* COMPUTE_REPORT_resnet50_32x32_{os,ws}.csv: SCALE-Sim's COMPUTE_REPORT.csv of those runs;
* COMPUTE_REPORT_resnet50_32x32_is.csv: the same 54 layers run through SCALE-Sim 3.0.0 with
  the is dataflow by gen_resnet50_is_reference.py;
* scalesim_synthetic_reference.csv: 162 layers run through SCALE-Sim 3.0.0 by
  gen_synthetic_reference.py (os/ws/is, square and non-square arrays, a DP layer).
"""
from __future__ import annotations

import filecmp
import math
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archsim import systolic as sy
from archsim.errors import SimulationError

DATA = Path(__file__).resolve().parent / "data" / "scalesim"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "reference" / "scalesim"

TOTALS = {"os": 4_434_168, "ws": 5_753_486}
IS_TOTAL = 5_608_356  # SCALE-Sim 3.0.0, is, same 54 layers (gen_resnet50_is_reference.py)


def _reference(df: str) -> pd.DataFrame:
    return pd.read_csv(DATA / f"scalesim_resnet50_32x32_{df}_reference.csv")


def _compute_report(df: str) -> pd.DataFrame:
    rep = pd.read_csv(DATA / f"COMPUTE_REPORT_resnet50_32x32_{df}.csv", skipinitialspace=True)
    return rep.loc[:, [c for c in rep.columns if not c.startswith("Unnamed")]]


def _gemm(row) -> tuple[int, int, int]:
    """(M, Kr, F) in archsim's order from SCALE-Sim's (M, K, N)."""
    return int(row.gemm_M), int(row.gemm_K), int(row.gemm_N)


REF = {df: _reference(df) for df in ("os", "ws")}
REPORT = {df: _compute_report(df) for df in ("os", "ws")}
SYN = pd.read_csv(DATA / "scalesim_synthetic_reference.csv")
IS_REPORT = pd.read_csv(DATA / "COMPUTE_REPORT_resnet50_32x32_is.csv")
LAYER_CASES = [pytest.param(df, i, id=f"{df}-{REF[df].layer_name[i]}")
               for df in ("os", "ws") for i in range(len(REF[df]))]


# --- reference data ------------------------------------------------------------------
COPIES = {  # file in tests/data/scalesim -> its source under shared/reference/scalesim
    f"scalesim_resnet50_32x32_{df}_reference.csv": f"resnet50_32x32_{df}/scalesim_resnet50_32x32_{df}_reference.csv"
    for df in ("os", "ws")
} | {f"COMPUTE_REPORT_resnet50_32x32_{df}.csv": f"resnet50_32x32_{df}/COMPUTE_REPORT.csv" for df in ("os", "ws")}


@pytest.mark.parametrize("name", sorted(COPIES))
def test_copied_reference_matches_shared(name):
    shared = SHARED / COPIES[name]
    if not shared.exists():
        pytest.skip(f"{shared} not present")
    assert filecmp.cmp(DATA / name, shared, shallow=False)


def test_reference_shapes():
    for df in ("os", "ws"):
        assert len(REF[df]) == 54 and len(REPORT[df]) == 54
        assert (REF[df].layer_id == REPORT[df].LayerID).all()
        assert (REF[df].scalesim_total_cycles == REPORT[df]["Total Cycles"]).all()


# --- Total Cycles, layer by layer ------------------------------------------------------
@pytest.mark.parametrize("df, i", LAYER_CASES)
def test_resnet50_layer_cycles_exact(df, i):
    row = REF[df].iloc[i]
    m, kr, f = _gemm(row)
    assert m * kr * f == row.macs
    assert sy.num_folds(m, kr, f, 32, 32, df) == row.folds
    assert sy.scalesim_cycles(m, kr, f, 32, 32, df) == row.scalesim_total_cycles
    assert sy.scalesim_cycles(m, kr, f, 32, 32, df) == row.analytic_cycles


@pytest.mark.parametrize("df", ["os", "ws"])
def test_resnet50_totals(df):
    total = sum(sy.scalesim_cycles(*_gemm(r), 32, 32, df) for r in REF[df].itertuples())
    assert total == TOTALS[df] == REF[df].scalesim_total_cycles.sum()


# --- COMPUTE_REPORT utilization columns, bit for bit -------------------------------------
@pytest.mark.parametrize("df, i", LAYER_CASES)
def test_resnet50_utilization_columns_exact(df, i):
    m, kr, f = _gemm(REF[df].iloc[i])
    rep = REPORT[df].iloc[i]
    assert sy.mapping_efficiency(m, kr, f, 32, 32, df) == rep["Mapping Efficiency %"]
    assert sy.compute_util(m, kr, f, 32, 32, df) == rep["Compute Util %"]
    assert sy.overall_util(m, kr, f, 32, 32, df) == rep["Overall Util %"]
    # the exact means differ from SCALE-Sim's float accumulation only in the last bits
    assert sy.mapping_efficiency(m, kr, f, 32, 32, df, exact=True) == pytest.approx(
        rep["Mapping Efficiency %"], rel=1e-12)
    assert sy.compute_util(m, kr, f, 32, 32, df, exact=True) == pytest.approx(
        rep["Compute Util %"], rel=1e-12)


# --- input stationary: SCALE-Sim 3.0.0 run on the same 54 layers ------------------------
def test_resnet50_is_layers_exact():
    assert len(IS_REPORT) == 54
    assert list(IS_REPORT.layer_name) == list(REF["os"].layer_name)
    assert (IS_REPORT["Stall Cycles"] == 0).all()
    for r in IS_REPORT.itertuples(index=False):
        m, kr, f = int(r.gemm_M), int(r.gemm_K), int(r.gemm_N)
        rep = dict(zip(IS_REPORT.columns, r))
        assert sy.scalesim_cycles(m, kr, f, 32, 32, "is") == rep["Total Cycles"], r.layer_name
        assert sy.scalesim_cycles(m, kr, f, 32, 32, "is") == sy.scalesim_cycles(f, kr, m, 32, 32, "ws")
        assert sy.mapping_efficiency(m, kr, f, 32, 32, "is") == rep["Mapping Efficiency %"], r.layer_name
        assert sy.compute_util(m, kr, f, 32, 32, "is") == rep["Compute Util %"], r.layer_name
        assert sy.overall_util(m, kr, f, 32, 32, "is") == rep["Overall Util %"], r.layer_name


def test_resnet50_is_total():
    total = sum(sy.scalesim_cycles(*_gemm(r), 32, 32, "is") for r in REF["os"].itertuples())
    assert total == IS_TOTAL == IS_REPORT["Total Cycles"].sum()


# --- SCALE-Sim 3.0.0 on synthetic layers: is, non-square arrays, DP split ----------------
def test_synthetic_reference_covers_is_and_non_square():
    assert set(SYN.dataflow) == {"os", "ws", "is"}
    assert (SYN.rows != SYN.cols).sum() >= 100
    assert (SYN.stall_cycles == 0).all()


@pytest.mark.parametrize("i", range(len(SYN)),
                         ids=[f"{r.dataflow}-{r.rows}x{r.cols}-{r.layer}" for r in SYN.itertuples()])
def test_synthetic_layers_exact(i):
    r = SYN.iloc[i]
    args = (int(r.gemm_M), int(r.gemm_K), int(r.gemm_N), int(r.rows), int(r.cols), r.dataflow)
    assert sy.scalesim_cycles(*args) == r.total_cycles
    assert sy.mapping_efficiency(*args) == r.mapping_eff_pct
    assert sy.compute_util(*args) == r.compute_util_pct
    assert sy.overall_util(*args) == r.overall_util_pct


def test_depthwise_split_is_groups_times_one_group():
    """SCALE-Sim splits a DP row into one-channel layers; archsim: groups * one group."""
    dp = SYN[SYN.layer.str.startswith("XDPChannel_")]
    assert len(dp) == 3 * 18  # 3 channels x 6 arrays x 3 dataflows
    for (df, rows, cols), grp in dp.groupby(["dataflow", "rows", "cols"]):
        m, kr, f = _gemm(grp.iloc[0])
        assert len(grp) == 3 and (m, kr, f) == (16, 9, 1)
        assert sy.scalesim_cycles(m, kr, f, rows, cols, df, groups=3) == grp.total_cycles.sum()


def test_depthwise_layer_record():
    from workloads.layer import Layer
    dw = Layer("dw", "dwconv", C=32, K=32, H=16, W=16, P=16, Q=16, R=3, S=3, padding=1, groups=32)
    m, kr, f, g = dw.gemm
    assert (m, kr, f, g) == (256, 9, 1, 32)
    for df in sy.DATAFLOWS:
        one = sy.scalesim_cycles(m, kr, f, 8, 8, df)
        assert sy.scalesim_cycles(m, kr, f, 8, 8, df, groups=g) == g * one
        assert sy.overlapped_cycles(m, kr, f, 8, 8, df, groups=g) == \
            g * sy.num_folds(m, kr, f, 8, 8, df) * sy.temporal_length(m, kr, f, df) + \
            sy.fill_drain_cycles(8, 8, df)


# --- closed forms ------------------------------------------------------------------------
def test_formulas_by_hand():
    # Conv1 of the reference: M=12100, K=147, N=64 on 32x32
    assert sy.fold_counts(12100, 147, 64, 32, 32, "os") == (379, 2)
    assert sy.scalesim_cycles(12100, 147, 64, 32, 32, "os") == 379 * 2 * (147 + 62) - 1 == 158421
    assert sy.fold_counts(12100, 147, 64, 32, 32, "ws") == (5, 2)
    assert sy.scalesim_cycles(12100, 147, 64, 32, 32, "ws") == 10 * (12100 + 94) - 1 == 121939
    assert sy.fold_counts(12100, 147, 64, 32, 32, "is") == (5, 379)
    assert sy.scalesim_cycles(12100, 147, 64, 32, 32, "is") == 5 * 379 * (64 + 94) - 1
    # non-square: rows and cols enter differently in ws/is
    assert sy.fill_drain_cycles(8, 4, "ws") == 18 and sy.fill_drain_cycles(4, 8, "ws") == 14
    assert sy.fill_drain_cycles(8, 4, "os") == sy.fill_drain_cycles(4, 8, "os") == 10
    assert sy.array_dims(5, 6, 7, "os") == (5, 7, 6)
    assert sy.array_dims(5, 6, 7, "ws") == (6, 7, 5)
    assert sy.array_dims(5, 6, 7, "is") == (6, 5, 7)


def test_overlapped_vs_serialized_on_resnet50():
    for df in ("os", "ws"):
        for r in REF[df].itertuples():
            m, kr, f = _gemm(r)
            folds = sy.num_folds(m, kr, f, 32, 32, df)
            fd = sy.fill_drain_cycles(32, 32, df)
            ov = sy.overlapped_cycles(m, kr, f, 32, 32, df)
            assert ov == folds * sy.temporal_length(m, kr, f, df) + fd
            assert r.scalesim_total_cycles - ov == (folds - 1) * fd - 1
            assert sy.overlapped_cycles(m, kr, f, 32, 32, df, tiles=folds) == r.scalesim_total_cycles + 1
            assert ov >= r.ideal_cycles_macs_over_pes


@pytest.mark.parametrize("bad", [
    dict(M=0), dict(Kr=-1), dict(F=2.5), dict(rows=0), dict(cols=True), dict(dataflow="rs")])
def test_bad_arguments_raise(bad):
    args = dict(M=4, Kr=4, F=4, rows=2, cols=2, dataflow="os")
    args.update(bad)
    with pytest.raises(SimulationError):
        sy.scalesim_cycles(**args)
    with pytest.raises(ValueError):
        sy.fold_counts(**args)


def test_bad_overlap_arguments_raise():
    with pytest.raises(SimulationError):
        sy.overlapped_cycles(4, 4, 4, 2, 2, "ws", tiles=0)
    with pytest.raises(SimulationError):
        sy.overlapped_cycles(4, 4, 4, 2, 2, "ws", fill_cycles=-1)
    with pytest.raises(SimulationError):
        sy.scalesim_cycles(4, 4, 4, 2, 2, "ws", groups=0)


# --- invariants on arbitrary shapes ------------------------------------------------------
dim = st.integers(1, 600)
arr = st.integers(1, 40)
dflow = st.sampled_from(sy.DATAFLOWS)


@settings(max_examples=200, deadline=None)
@given(m=dim, kr=dim, f=dim, rows=arr, cols=arr)
def test_is_is_ws_with_m_and_f_swapped(m, kr, f, rows, cols):
    assert sy.fold_counts(m, kr, f, rows, cols, "is") == sy.fold_counts(f, kr, m, rows, cols, "ws")
    assert sy.scalesim_cycles(m, kr, f, rows, cols, "is") == sy.scalesim_cycles(f, kr, m, rows, cols, "ws")
    assert sy.overlapped_cycles(m, kr, f, rows, cols, "is") == sy.overlapped_cycles(f, kr, m, rows, cols, "ws")
    assert sy.mapping_efficiency(m, kr, f, rows, cols, "is") == sy.mapping_efficiency(f, kr, m, rows, cols, "ws")
    assert sy.compute_util(m, kr, f, rows, cols, "is") == sy.compute_util(f, kr, m, rows, cols, "ws")


@settings(max_examples=200, deadline=None)
@given(m=dim, kr=dim, f=dim, rows=arr, cols=arr)
def test_os_is_symmetric_under_transpose(m, kr, f, rows, cols):
    """os puts M on rows and F on cols: swapping both pairs gives the same timing."""
    rf, cf = sy.fold_counts(m, kr, f, rows, cols, "os")
    assert sy.fold_counts(f, kr, m, cols, rows, "os") == (cf, rf)
    assert sy.scalesim_cycles(m, kr, f, rows, cols, "os") == sy.scalesim_cycles(f, kr, m, cols, rows, "os")


@settings(max_examples=300, deadline=None)
@given(m=dim, kr=dim, f=dim, rows=arr, cols=arr, df=dflow)
def test_fold_counts_cover_the_gemm(m, kr, f, rows, cols, df):
    sr, sc, t = sy.array_dims(m, kr, f, df)
    assert sorted((sr, sc, t)) == sorted((m, kr, f))
    rf, cf = sy.fold_counts(m, kr, f, rows, cols, df)
    assert (rf - 1) * rows < sr <= rf * rows
    assert (cf - 1) * cols < sc <= cf * cols
    assert sy.temporal_length(m, kr, f, df) == t


@settings(max_examples=300, deadline=None)
@given(m=dim, kr=dim, f=dim, rows=arr, cols=arr, df=dflow,
       which=st.sampled_from(["M", "Kr", "F", "rows", "cols"]), inc=st.integers(1, 100))
def test_monotone(m, kr, f, rows, cols, df, which, inc):
    base = dict(M=m, Kr=kr, F=f, rows=rows, cols=cols, dataflow=df)
    more = dict(base)
    more[which] += inc
    folds0, folds1 = sy.num_folds(**base), sy.num_folds(**more)
    cyc0, cyc1 = sy.scalesim_cycles(**base), sy.scalesim_cycles(**more)
    ov0, ov1 = sy.overlapped_cycles(**base), sy.overlapped_cycles(**more)
    if which in ("M", "Kr", "F"):
        assert folds1 >= folds0 and cyc1 >= cyc0 and ov1 >= ov0
    else:  # a bigger array never needs more folds
        assert folds1 <= folds0


@settings(max_examples=300, deadline=None)
@given(m=dim, kr=dim, f=dim, rows=arr, cols=arr, df=dflow, groups=st.integers(1, 8))
def test_cycle_bounds(m, kr, f, rows, cols, df, groups):
    ideal = sy.ideal_cycles(m, kr, f, rows, cols, groups)
    assert ideal == math.ceil(groups * m * kr * f / (rows * cols))
    ser = sy.scalesim_cycles(m, kr, f, rows, cols, df, groups=groups)
    ov = sy.overlapped_cycles(m, kr, f, rows, cols, df, groups=groups)
    assert ov >= ideal
    # SCALE-Sim's count is a last-cycle index: one below a duration, per group
    assert ser + groups >= ideal
    if sy.fill_drain_cycles(rows, cols, df) >= 1:
        assert ser >= ideal
    assert ser == groups * sy.scalesim_cycles(m, kr, f, rows, cols, df)
    folds = sy.num_folds(m, kr, f, rows, cols, df)
    fd = sy.fill_drain_cycles(rows, cols, df)
    for tiles in (1, folds, groups * folds):
        ovt = sy.overlapped_cycles(m, kr, f, rows, cols, df, groups=groups, tiles=tiles)
        assert ser - ovt == (groups * folds - tiles) * fd - groups
    assert sy.overlapped_cycles(m, kr, f, rows, cols, df, groups=groups, tiles=groups * folds) \
        == ser + groups
    assert sy.overlapped_cycles(m, kr, f, rows, cols, df, groups=groups, fill_cycles=0) \
        == groups * folds * sy.temporal_length(m, kr, f, df)


@settings(max_examples=200, deadline=None)
@given(m=dim, kr=dim, f=dim, rows=arr, cols=arr, df=dflow)
def test_utilization_bounds(m, kr, f, rows, cols, df):
    me = sy.mapping_efficiency(m, kr, f, rows, cols, df)
    cu = sy.compute_util(m, kr, f, rows, cols, df)
    assert 0 < cu <= me * (1 + 1e-12) and me <= 100 * (1 + 1e-12)
    sr, sc, _ = sy.array_dims(m, kr, f, df)
    rf, cf = sy.fold_counts(m, kr, f, rows, cols, df)
    exact_me = 100 * sr * sc / (rf * cf * rows * cols)
    assert sy.mapping_efficiency(m, kr, f, rows, cols, df, exact=True) == pytest.approx(exact_me, rel=1e-15)
    assert me == pytest.approx(exact_me, rel=1e-9)
    assert cu == pytest.approx(sy.compute_util(m, kr, f, rows, cols, df, exact=True), rel=1e-9)
    if sy.scalesim_cycles(m, kr, f, rows, cols, df) >= 1:
        ou = sy.overall_util(m, kr, f, rows, cols, df)
        assert ou == pytest.approx(m * kr * f * 100 / (sy.scalesim_cycles(m, kr, f, rows, cols, df) * rows * cols))
        if sy.fill_drain_cycles(rows, cols, df) >= 1:
            assert 0 < ou <= 100
