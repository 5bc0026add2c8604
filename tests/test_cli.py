"""The command line: run writes the reports, list names everything, errors are one clear line."""
import subprocess
import sys

import pandas as pd
import pytest

from archsim.cli import build_parser, main


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
])
def test_user_errors_are_one_line_on_stderr(argv, needle, capsys, tmp_path):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("archsim: error:") and needle in err
    assert "Traceback" not in err


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
