"""compare(): one row per run with deltas against the first, the files and plots, and the CLI."""
import sys

import pandas as pd
import pytest

from archsim import simulate
from archsim.cli import main as cli
from archsim.compare import CompareResult, compare
from archsim.errors import SimulationError

PNG = b"\x89PNG\r\n\x1a\n"




@pytest.fixture(scope="module")
def cmp(tmp_path_factory):
    out = tmp_path_factory.mktemp("cmp")
    runs = [{"workload": "resnet18", "dataflow": "ws"},
            {"workload": "resnet18", "dataflow": "auto", "quant": "strum-dliq:L=16,k=4", "pe.rows": 32},
            simulate("resnet18", dataflow="os")]
    return out, compare(runs, out_dir=out)


def test_one_row_per_run_with_deltas_against_the_first(cmp):
    _, res = cmp
    t = res.table
    assert isinstance(res, CompareResult) and len(t) == 3 and len(res.results) == 3
    assert t.columns[0] == "run_label"
    assert res.labels == ["int8/ws/pe.rows=16", "strum-dliq:L=16,k=4/auto/pe.rows=32", "int8/os/pe.rows=16"]
    assert list(t["pe.rows"]) == [16, 32, 16] and list(t["dataflow"]) == ["ws", "auto", "os"]
    assert list(t["objective"]) == ["edp"] * 3
    for m in ("cycles", "energy_uj", "latency_us", "dram_bytes"):
        assert t[f"{m}_delta"].iloc[0] == 0 and t[f"{m}_ratio"].iloc[0] == 1
        assert t[f"{m}_delta"].iloc[1] == t[m].iloc[1] - t[m].iloc[0]
        assert t[f"{m}_ratio"].iloc[2] == pytest.approx(t[m].iloc[2] / t[m].iloc[0])
    for config in ("seed", "batch", "pe.rows"):
        assert f"{config}_delta" not in t.columns
    assert t["cycles"].iloc[0] == res.results[0].cycles
    assert t["cycles"].iloc[1] < t["cycles"].iloc[0]  # a 32-row array is faster


def test_files_and_plots(cmp):
    out, res = cmp
    for name in ("compare.csv", "compare_layers.csv", "energy_breakdown.png", "layer_cycles.png",
                 "latency_energy.png"):
        assert (out / name).stat().st_size > 0
    for name in ("energy_breakdown.png", "layer_cycles.png", "latency_energy.png"):
        assert (out / name).read_bytes()[:8] == PNG
    table = pd.read_csv(out / "compare.csv")
    assert list(table["run_label"]) == res.labels
    assert table["energy_uj"].tolist() == res.table["energy_uj"].tolist()
    layers = pd.read_csv(out / "compare_layers.csv")
    assert layers.columns[0] == "run_label"
    assert len(layers) == sum(len(r.layers) for r in res.results)


def test_same_inputs_same_bytes(tmp_path):
    runs = [{"workload": "digits_cnn", "dataflow": d} for d in ("ws", "is")]
    compare(runs, out_dir=tmp_path / "a")
    compare(runs, out_dir=tmp_path / "b")
    for name in ("compare.csv", "compare_layers.csv", "energy_breakdown.png", "latency_energy.png"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_no_out_dir_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = compare([{"workload": "digits_cnn"}], plots=True)
    assert res.paths == {} and list(tmp_path.iterdir()) == []
    assert res.labels == ["run0"]


@pytest.mark.parametrize("runs, needle", [
    ([], "no runs"),
    ([{"dataflow": "ws"}], "runs[0] has no 'workload'"),
    ([{"workload": "digits_cnn"}, "resnet18"], "runs[1] is a str"),
    ([{"workload": "digits_cnn", "dataflow": "xs"}], "dataflow='xs'"),
])
def test_bad_runs(runs, needle):
    with pytest.raises(SimulationError) as e:
        compare(runs)
    assert needle in str(e.value)


def test_cli_runs_the_cartesian_product(tmp_path, capsys):
    assert cli(["compare", "resnet18", "--quant", "int8", "--quant", "strum-mip2q:L=8,k=4",
                "--dataflow", "ws", "--dataflow", "auto", "--out", str(tmp_path)]) == 0
    t = pd.read_csv(tmp_path / "compare.csv")
    assert [(q.split(":")[0], d) for q, d in zip(t["quant"], t["dataflow"])] == [
        ("int8", "ws"), ("int8", "auto"), ("strum-mip2q", "ws"), ("strum-mip2q", "auto")]
    assert t["cycles_ratio"].iloc[0] == 1.0
    assert (tmp_path / "latency_energy.png").is_file()
    out = capsys.readouterr().out
    assert "baseline: int8/ws" in out and "strum-mip2q:L=8,k=4/auto" in out


def test_cli_common_options_and_no_plots(tmp_path):
    assert cli(["compare", "digits_cnn", "mnist_cnn", "--set", "pe.rows=8", "--seed", "3", "--no-plots",
                "--out", str(tmp_path)]) == 0
    t = pd.read_csv(tmp_path / "compare.csv")
    assert list(t["workload"]) == ["digits_cnn", "mnist_cnn"] and list(t["pe.rows"]) == [8, 8]
    assert list(t["seed"]) == [3, 3]
    assert not list(tmp_path.glob("*.png"))


@pytest.mark.parametrize("argv, needle", [
    (["compare", "resnet18", "--quant", "int9"], "int9"),
    (["compare", "resnet51"], "resnet51"),
    (["compare", "resnet18", "--set", "pe.rowz=3"], "rowz"),
])
def test_cli_errors_are_one_line(argv, needle, tmp_path, capsys):
    assert cli([*argv, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("archsim: error:") and needle in err and "Traceback" not in err


def test_missing_matplotlib_is_a_one_line_error(tmp_path, capsys, monkeypatch):
    for mod in ("matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg"):
        monkeypatch.setitem(sys.modules, mod, None)
    assert cli(["compare", "digits_cnn", "--out", str(tmp_path)]) == 2
    assert "pip install archsim[plot]" in capsys.readouterr().err
