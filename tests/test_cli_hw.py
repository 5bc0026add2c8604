"""`archsim area` and `archsim paper-check` (archsim.cli_hw), run through cli.main."""
import argparse
import math

import pandas as pd
import pytest

from archsim import cli, cli_hw
from archsim.cli_hw import AREA_COLUMNS, AREA_LEVELS
from hw.area import area_summary
from hw.config import load_config


@pytest.fixture(autouse=True)
def hooked(monkeypatch):
    """cli.main with the hardware commands registered (a no-op once cli.build_parser hooks them itself)."""
    original = cli.build_parser

    def build():
        ap = original()
        sub = next(a for a in ap._actions if isinstance(a, argparse._SubParsersAction))
        if "area" not in sub.choices:
            cli_hw.register(sub)
        return ap
    monkeypatch.setattr(cli, "build_parser", build)


def area(tmp_path, *argv):
    assert cli.main(["area", *argv, "--out", str(tmp_path)]) == 0
    return pd.read_csv(tmp_path / "area.csv")


def test_area_csv_columns_and_levels(tmp_path, capsys):
    df = area(tmp_path, "--hw", "flexnn", "--hw", "flexnn_strum_dliq", "--hw", "flexnn_strum_mip2q")
    assert list(df.columns) == list(AREA_COLUMNS)
    assert list(dict.fromkeys(df["config"])) == ["flexnn", "flexnn_strum_dliq", "flexnn_strum_mip2q"]
    tot = df[df["kind"] == "total"]
    for c in ("flexnn", "flexnn_strum_dliq"):
        assert tot[tot["config"] == c]["level"].tolist() == list(AREA_LEVELS)
    assert (df[df["config"] == "flexnn"]["change_um2"] == 0).all()
    assert (df["area_mm2"] == df["area_um2"] / 1e6).all()
    out = capsys.readouterr().out
    assert "flexnn (baseline)" in out and "accelerator" in out and "area.csv" in out


def test_area_changes_vs_baseline_by_hand(tmp_path):
    df = area(tmp_path, "--hw", "flexnn", "--hw", "flexnn_strum_dliq")
    row = df[(df["config"] == "flexnn_strum_dliq") & (df["level"] == "pe") & (df["kind"] == "total")].iloc[0]
    a0, a1 = area_summary(load_config("flexnn"))["pe"], area_summary(load_config("flexnn_strum_dliq"))["pe"]
    assert row["baseline_um2"] == pytest.approx(a0) and row["area_um2"] == pytest.approx(a1)
    assert row["change_um2"] == pytest.approx(a1 - a0)
    assert row["change_pct"] == pytest.approx(100 * (a1 - a0) / a0)
    # by hand: 4 -> 2 multipliers of 54 um^2 at 16 nm
    mul = df[(df["config"] == "flexnn_strum_dliq") & (df["component"] == "mul_8x8")].iloc[0]
    assert (mul["area_um2"], mul["baseline_um2"], mul["change_um2"], mul["change_pct"]) == \
        pytest.approx((108.0, 216.0, -108.0, -50.0))
    # a component the baseline lacks compares against 0; one the variant lacks appears with area 0
    new = df[(df["config"] == "flexnn_strum_dliq") & (df["component"] == "mul_8x4 (low lanes)")].iloc[0]
    assert new["baseline_um2"] == 0 and math.isnan(new["change_pct"])
    gone = df[(df["config"] == "flexnn_strum_dliq") & (df["component"] == "FL RF")].iloc[0]
    assert gone["area_um2"] == 0 and gone["change_pct"] == pytest.approx(-100)


def test_component_changes_sum_to_level_change(tmp_path):
    df = area(tmp_path, "--hw", "flexnn", "--hw", "flexnn_packed", "--hw", "flexnn_strum_mip2q")
    for (c, level), g in df[df["level"] != "pe_datapath"].groupby(["config", "level"]):
        total = g[g["kind"] == "total"]["change_um2"].iloc[0]
        assert g[g["kind"] == "component"]["change_um2"].sum() == pytest.approx(total, abs=1e-6), (c, level)
        assert g[g["kind"] == "component"]["area_um2"].sum() == \
            pytest.approx(g[g["kind"] == "total"]["area_um2"].iloc[0]), (c, level)


def test_area_node_and_set_apply_to_every_config(tmp_path):
    df = area(tmp_path, "--hw", "flexnn", "--hw", "flexnn_strum_dliq", "--node", "7", "--set", "pe.rows=8")
    cfg = load_config("flexnn_strum_dliq", **{"tech_node_nm": 7, "pe.rows": 8})
    row = df[(df["config"] == "flexnn_strum_dliq") & (df["level"] == "pe_array") & (df["kind"] == "total")]
    assert row["area_um2"].iloc[0] == pytest.approx(area_summary(cfg)["pe_array"])
    assert df[(df["level"] == "pe_array") & (df["kind"] == "component")]["count"].eq(8 * 16).all()


def test_duplicate_hw_gets_a_distinct_label(tmp_path):
    df = area(tmp_path, "--hw", "flexnn", "--hw", "flexnn")
    assert list(dict.fromkeys(df["config"])) == ["flexnn", "flexnn#2"]
    assert (df["change_um2"] == 0).all()


@pytest.mark.parametrize("argv, needle", [
    (["area", "--hw", "nosuch", "--out", "x"], "nosuch"),
    (["area", "--set", "pe.rowz=3", "--out", "x"], "rowz"),
    (["area", "--node", "2", "--out", "x"], "tech_node_nm"),
    (["area", "--hw", "flexnn_strum_dliq", "--set", "pe.dliq_shift=block", "--set", "pe.lane_mode=mxm",
      "--out", "x"], "dliq_shift"),
    (["paper-check", "--quant", "int8"], "strum-dliq"),
    (["paper-check", "--workload", "resnet51"], "resnet51"),
])
def test_errors_are_one_line(argv, needle, capsys):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("archsim: error:") and needle in err and "\n" not in err


def test_out_must_be_a_directory(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("")
    assert cli.main(["area", "--out", str(f)]) == 2
    assert "not a directory" in capsys.readouterr().err


def test_paper_check_command_prints_and_writes(tmp_path, capsys, monkeypatch):
    """The command's plumbing, on a stub of paper_check (the real one runs in test_paper_check.py)."""
    import archsim.paper_check as pc
    seen = {}

    def stub(workloads, hw, quant, node, dataflow, seed):
        seen.update(workloads=workloads, quant=quant, node=node, lanes=hw.pe.lanes, dataflow=dataflow)
        rows = [{"claim": c.key, "claim_text": c.text, "workload": workloads[0], "scheme": quant[0] + ":L=8,k=4",
                 "paper_range": c.paper_range, "paper_low": c.low, "paper_high": c.high, "model_value": -1.5,
                 "within_range": False, "unit": "% vs INT8", "baseline_value": 2.0, "strum_value": 1.97,
                 "value_unit": "mW", "detail": "d", "driver": f"why {c.key}", "paper_source": c.source}
                for c in pc.CLAIMS]
        return pd.DataFrame(rows, columns=list(pc.COLUMNS))
    monkeypatch.setattr(pc, "paper_check", stub)
    assert cli.main(["paper-check", "--workload", "mobilenet_v2", "--quant", "strum-mip2q", "--node", "7",
                     "--set", "pe.lanes=8", "--dataflow", "ws", "--out", str(tmp_path)]) == 0
    assert seen == {"workloads": ("mobilenet_v2",), "quant": ("strum-mip2q",), "node": 7.0, "lanes": 8,
                    "dataflow": "ws"}
    out = capsys.readouterr().out
    assert "pe_power" in out and "strum-mip2q L=8,k=4" in out and "why accelerator_area" in out
    df = pd.read_csv(tmp_path / "paper_check.csv")
    assert list(df.columns) == list(pc.COLUMNS) and len(df) == len(pc.CLAIMS)


def test_every_option_has_help():
    ap = cli.build_parser()
    sub = next(a for a in ap._actions if isinstance(a, argparse._SubParsersAction))
    for name in ("area", "paper-check"):
        for action in sub.choices[name]._actions:
            if action.dest != "help":
                assert action.help, (name, action.dest)
