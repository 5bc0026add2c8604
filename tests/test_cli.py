"""The command line: run writes the reports, list names everything, errors are one clear line."""
import os
import subprocess
import sys

import pandas as pd
import pytest

from archsim.cli import build_parser, main, parse_set
from archsim.mapper import DATAFLOWS
from archsim.simulate import OBJECTIVES, WEIGHT_SOURCES


def test_run_writes_all_reports(tmp_path, capsys):
    assert main(["run", "resnet18", "--hw", "flexnn", "--quant", "strum-mip2q:L=8,k=4",
                 "--dataflow", "os", "--out", str(tmp_path)]) == 0
    for name in ("layers.csv", "energy.csv", "summary.csv", "config.yaml", "trace.json"):
        assert (tmp_path / name).stat().st_size > 0
    summary = pd.read_csv(tmp_path / "summary.csv").iloc[0]
    assert summary["quant"].startswith("strum-mip2q:L=8,k=4")
    assert summary["dataflow"] == "os"
    assert "cycles" in capsys.readouterr().out


def test_set_overrides_reach_the_config(tmp_path):
    assert main(["run", "resnet18", "--set", "pe.rows=8", "--set", "dram.type=HBM2", "--out", str(tmp_path)]) == 0
    text = (tmp_path / "config.yaml").read_text()
    assert "rows: 8" in text and "type: HBM2" in text


def test_list_names_workloads_presets_schemes_dataflows(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for word in ("resnet50", "mobilenet_v2", "vgg16", "flexnn", "strum-dliq", "strum-mip2q", "auto"):
        assert word in out


@pytest.mark.parametrize("argv, needle", [
    (["run", "resnet51", "--out", "x"], "resnet51"),
    (["run", "resnet18", "--quant", "strum-dliq:L=8,k=9", "--out", "x"], "k"),
    (["run", "resnet18", "--set", "pe.rowz=3", "--out", "x"], "rowz"),
    (["run", "resnet18", "--set", "pe.rows", "--out", "x"], "FIELD=VALUE"),
    (["run", "digits_cnn", "--set", "pe.rows=.nan", "--out", "x"], "pe.rows=nan: must be a finite number"),
    (["run", "digits_cnn", "--set", "clock_ghz=.inf", "--out", "x"], "clock_ghz=inf: must be a finite number"),
    (["run", "digits_cnn", "--hw", "{tmp}/list_hw.yaml", "--out", "x"], "list_hw.yaml"),
    (["run", "digits_cnn", "--set", "pe.variant=strum-static", "--set", "pe.lanes=1", "--out", "x"],
     "pe.hp_lanes=2: must be <= pe.lanes=1"),
    (["area", "--set", "energy_overrides.mul_9x9=0.1", "--out", "{tmp}"], "energy_overrides['mul_9x9']=0.1"),
])
def test_user_errors_are_one_line_on_stderr(argv, needle, capsys, tmp_path):
    (tmp_path / "list_hw.yaml").write_text("- pe: {rows: 8}\n- pe: {rows: 16}\n")  # a list, not a mapping
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("archsim: error:") and needle in err
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_list_valued_hw_file_says_a_mapping_is_needed(capsys, tmp_path):
    (tmp_path / "list_hw.yaml").write_text("- 1\n- 2\n")
    assert main(["run", "digits_cnn", "--hw", str(tmp_path / "list_hw.yaml"), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "top level is a list" in err and "must be a mapping" in err


def test_tiny_dram_bandwidth_in_e_notation_runs_memory_bound(tmp_path):
    # PyYAML reads 1e-9 as a string; --set reads it as a number
    assert main(["run", "digits_cnn", "--set", "dram.bytes_per_cycle=1e-9", "--out", str(tmp_path)]) == 0
    assert "bytes_per_cycle: 1.0e-09" in (tmp_path / "config.yaml").read_text()
    s = pd.read_csv(tmp_path / "summary.csv").iloc[0]
    layers = pd.read_csv(tmp_path / "layers.csv")
    assert s["cycles"] >= s["dram_bytes"] / 1e-9 * 0.5  # DRAM transfers dominate the run
    assert layers["stall_cycles"].sum() > 1000 * layers["compute_cycles"].sum()


def test_lanes_below_hp_lanes_is_fine_on_the_int8_pe(tmp_path):
    # flexnn's int8 PE ignores pe.hp_lanes (2), so one lane is a valid config
    assert main(["run", "digits_cnn", "--set", "pe.lanes=1", "--out", str(tmp_path)]) == 0
    assert "lanes: 1" in (tmp_path / "config.yaml").read_text()


def test_parse_set_reads_e_notation_as_numbers():
    got = parse_set(["pe.rows=1e3", "dram.bytes_per_cycle=1e-9", "clock_ghz=2.5e0", "a=32", "dram.type=HBM2",
                     "name=inf", "b=.nan", "energy_overrides.mul_8x8=0.05"])
    assert got["pe.rows"] == 1000.0 and got["dram.bytes_per_cycle"] == 1e-9 and got["clock_ghz"] == 2.5
    assert got["a"] == 32 and got["dram.type"] == "HBM2" and got["name"] == "inf"
    assert got["b"] != got["b"]  # YAML .nan stays a float NaN (rejected by the config)
    assert got["energy_overrides.mul_8x8"] == 0.05


def test_e_notation_reaches_integer_fields(tmp_path):
    assert main(["area", "--set", "pe.rows=1e1", "--out", str(tmp_path)]) == 0
    assert main(["run", "digits_cnn", "--set", "pe.rows=1e1", "--out", str(tmp_path)]) == 0
    assert "rows: 10\n" in (tmp_path / "config.yaml").read_text()


def test_energy_override_by_dotted_set(tmp_path):
    assert main(["run", "digits_cnn", "--set", "energy_overrides.mul_8x8=0.05", "--out", str(tmp_path)]) == 0
    assert "mul_8x8: 0.05" in (tmp_path / "config.yaml").read_text()


def test_choices_come_from_the_simulator_constants():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    seen = 0
    for name, p in sub.choices.items():
        for action in p._actions:
            if action.dest == "dataflow":
                assert tuple(action.choices) == DATAFLOWS + ("auto",), name
                seen += 1
            elif action.dest == "objective":
                assert tuple(action.choices) == OBJECTIVES, name
                seen += 1
            elif action.dest == "weights":
                assert tuple(action.choices) == WEIGHT_SOURCES, name
                seen += 1
    assert seen == 7  # run, compare, paper-check dataflow; run, compare objective; run, quantize weights


def test_closed_stdout_is_quiet():
    # `archsim list | head -0`: the reader is gone before anything is written
    r, w = os.pipe()
    os.close(r)
    try:
        proc = subprocess.run([sys.executable, "-m", "archsim", "list"], stdout=w, stderr=subprocess.PIPE,
                              text=True, timeout=120)
    finally:
        os.close(w)
    assert proc.returncode == 141
    assert proc.stderr == ""


def test_every_option_has_help():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, p in sub.choices.items():
        for action in p._actions:
            if action.dest != "help":
                assert action.help, f"{name} {action.dest} has no help"


def test_module_entry_point_runs():
    out = subprocess.run([sys.executable, "-m", "archsim", "--help"], capture_output=True, text=True, check=True)
    assert "run" in out.stdout and "list" in out.stdout
