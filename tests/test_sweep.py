"""sweep(): spec checks, point order and ids, streaming + resume, failed points, local vs Dask, the CLI."""
import importlib
import io
import sys

import pandas as pd
import pytest

from archsim.cli import build_parser
from archsim.cli import main as cli
from archsim.errors import SimulationError

# the module, not the sweep() function that archsim/__init__ exports under the same name
sw = importlib.import_module("archsim.sweep")

#: a fast spec: 4 points of resnet18, one of which cannot fit its SRAM
SPEC = {"base": {"workload": "resnet18", "quant": "int8"},
        "axes": {"dataflow": ["ws", "auto"], "sram.bytes": [2097152, 4096]}}
WALL = ("wall_s", "elapsed_s", "time_s")




# ---------------------------------------------------------------- the spec

@pytest.mark.parametrize("spec, needle", [
    ({"base": {"workload": "resnet18"}, "axis": {}}, "unknown key 'axis'"),
    ({"axes": {"dataflow": ["ws"]}}, "no workload"),
    ({"base": {"workload": "resnet18"}, "axes": {"pe.rowz": [8]}}, "axes.pe.rowz"),
    ({"base": {"workload": "resnet18"}, "axes": {"colour": [8]}}, "axes.colour: unknown field"),
    ({"base": {"workload": "resnet18"}, "axes": {"pe.rows": 8}}, "axes.pe.rows=8: must be a non-empty list"),
    ({"base": {"workload": "resnet18"}, "axes": {"pe.rows": []}}, "axes.pe.rows=[]"),
    ({"base": {"workload": "resnet18", "pe.rows": [8, 16]}}, "base.pe.rows"),
    ({"base": {"workload": "resnet18"}, "axes": {"dataflow": ["ws", "xs"]}}, "axes.dataflow[1]='xs'"),
    ({"base": {"workload": "resnet18", "objective": "area"}}, "base.objective='area'"),
    ({"base": {"workload": "resnet18", "batch": 0}}, "base.batch=0"),
    ({"base": {"workload": "resnet19"}}, "base.workload='resnet19'"),
    ({"base": {"workload": "resnet18", "hw": "nohw"}}, "base.hw='nohw'"),
    ({"base": {"workload": "resnet18"}, "axes": {"quant": ["int8", "int9"]}}, "int9"),
    ({"base": {"workload": "resnet18"}, "axes": {"quant": ["int8"], "quant.L": [8]}}, "axes.quant.L"),
    ({"base": {"workload": "resnet18", "quant": "strum-dliq"}, "axes": {"quant.k": [9]}}, "quant.k"),
    ({"base": {"workload": "resnet18"}, "axes": {"pe.rows": [8]}, "zip": [["pe.rows", "pe.cols"]]},
     "'pe.cols' is not an axis"),
    ({"base": {"workload": "resnet18"}, "axes": {"pe.rows": [8, 16], "pe.cols": [8]},
      "zip": [["pe.rows", "pe.cols"]]}, "pe.rows has 2, pe.cols has 1"),
    ({"base": {"workload": "resnet18"}, "axes": {"pe.rows": [8], "pe.cols": [8], "seed": [1]},
      "zip": [["pe.rows", "pe.cols"], ["pe.rows", "seed"]]}, "already in zip[0]"),
    ([1, 2], "must be a mapping"),
    ({"base": {"workload": "resnet18"}, "axes": {"energy_overrides.mul_9x9": [0.1]}},
     "axes.energy_overrides.mul_9x9: unknown energy_overrides entry 'mul_9x9'; allowed: add_16"),
    ({"base": {"workload": "resnet18"}, "axes": {"area_overrides.reg_bitt": [1.0]}},
     "unknown area_overrides entry 'reg_bitt'"),
    ({"base": {"workload": "resnet18"}, "axes": {"energy_overrides.mul_8x8": [0.035, -1]}},
     "axes.energy_overrides.mul_8x8[1]=-1: must be a finite non-negative number"),
])
def test_bad_specs_name_the_field(spec, needle):
    with pytest.raises(SimulationError, match=None) as e:
        sw.load_spec(spec)
    assert needle in str(e.value)
    assert str(e.value).startswith("sweep spec")


def test_spec_file_errors(tmp_path):
    with pytest.raises(SimulationError, match="no such file"):
        sw.load_spec(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("base: [unclosed\n")
    with pytest.raises(SimulationError, match="YAML does not parse"):
        sw.load_spec(bad)


def test_points_cross_axes_last_fastest_and_zip_varies_together():
    spec = sw.load_spec({"base": {"workload": "resnet18"},
                         "axes": {"pe.rows": [8, 16], "dataflow": ["ws", "os", "is"], "pe.cols": [4, 32]},
                         "zip": [["pe.rows", "pe.cols"]]})
    got = [(p.params["pe.rows"], p.params["pe.cols"], p.params["dataflow"]) for p in spec.points()]
    assert got == [(8, 4, "ws"), (8, 4, "os"), (8, 4, "is"), (16, 32, "ws"), (16, 32, "os"), (16, 32, "is")]
    assert [p.index for p in spec.points()] == list(range(6))
    assert spec.points()[0].kwargs == {"workload": "resnet18", "hw": "flexnn", "quant": "int8", "dataflow": "ws",
                                       "batch": 1, "seed": 0, "objective": "edp", "pe.rows": 8, "pe.cols": 4}


def test_point_id_is_the_canonical_parameters():
    a = sw.load_spec({"base": {"workload": "resnet18", "quant": "strum-dliq:L=16"}}).points()[0]
    b = sw.load_spec({"axes": {"quant.L": [16], "workload": ["resnet18"]}, "base": {"quant": "dliq"}}).points()[0]
    assert a.point_id == b.point_id and len(a.point_id) == 16
    c = sw.load_spec({"base": {"workload": "resnet18", "quant": "strum-dliq:L=8"}}).points()[0]
    assert c.point_id != a.point_id


def test_quant_params_apply_only_where_the_scheme_has_them():
    points = sw.load_spec({"base": {"workload": "resnet18"},
                           "axes": {"quant": ["int8", "strum-dliq"], "quant.L": [8, 16]}}).points()
    assert [(p.params["quant"].split(":")[0], p.params["quant.L"]) for p in points] == [
        ("int8", None), ("strum-dliq", 8), ("strum-dliq", 16)]
    assert ":L=16," in points[2].params["quant"]


def test_override_entries_are_sweep_axes():
    """energy_overrides.<entry> / area_overrides.<entry> are fields (hw.config.set_dotted adds the entry)."""
    spec = sw.load_spec({"base": {"workload": "resnet18", "energy_overrides": {"reg_bit": 0.00075},
                                  "area_overrides.accelerator_dpu_fraction": 0.9},
                         "axes": {"energy_overrides.mul_8x8": [0.035, 0.07]}})
    points = spec.points()
    assert [p.params["energy_overrides.mul_8x8"] for p in points] == [0.035, 0.07]
    assert points[0].point_id != points[1].point_id
    from hw.config import load_config
    kw = {k: v for k, v in points[1].kwargs.items() if k not in sw.FIELDS}
    cfg = load_config("flexnn", **kw)
    assert cfg.energy_overrides == {"reg_bit": 0.00075, "mul_8x8": 0.07}
    assert cfg.area_overrides == {"accelerator_dpu_fraction": 0.9}
    assert sw._is_param("energy_overrides.mul_8x8") and not sw._is_param("energy_overrides.mul_9x9")
    # a whole mapping on an axis is applied before a dotted entry of the base, which adds to it
    point = sw.load_spec({"base": {"workload": "resnet18", "energy_overrides.mul_8x8": 0.07},
                          "axes": {"energy_overrides": [{"reg_bit": 0.00075}]}}).points()[0]
    cfg = load_config("flexnn", **{k: v for k, v in point.kwargs.items() if k not in sw.FIELDS})
    assert cfg.energy_overrides == {"reg_bit": 0.00075, "mul_8x8": 0.07}


def test_sweep_over_an_energy_override_entry(tmp_path):
    df = sw.sweep({"base": {"workload": "digits_cnn"}, "axes": {"energy_overrides.mul_8x8": [0.035, 0.07]}},
                  tmp_path, progress=False)
    assert list(df["status"]) == ["ok", "ok"]
    assert list(df["energy_overrides.mul_8x8"]) == [0.035, 0.07]
    low, high = df["energy_pe_array_uj"]
    assert high > low
    assert df["cycles"].nunique() == 1  # an energy entry changes no timing


def test_relative_paths_are_read_next_to_the_spec(tmp_path):
    (tmp_path / "my_hw.yaml").write_text("pe: {rows: 8, cols: 8}\n")
    spec = tmp_path / "spec.yaml"
    spec.write_text("base: {workload: resnet18, hw: my_hw.yaml}\n")
    point = sw.load_spec(spec).points()[0]
    assert point.params["hw"] == "my_hw.yaml"
    assert point.kwargs["hw"] == str((tmp_path / "my_hw.yaml").resolve())


# ---------------------------------------------------------------- running

@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("local")
    df = sw.sweep(SPEC, out, progress=False)
    return out, df


def test_sweep_table_rows_status_and_errors(local_run):
    out, df = local_run
    assert list(df["point"]) == [0, 1, 2, 3]
    assert list(df.columns[:4]) == ["point", "point_id", "status", "error"]
    assert list(df["status"]) == ["ok", "error", "ok", "error"]
    failed = df[df["status"] == "error"]
    assert failed["error"].str.startswith("SimulationError:").all()
    assert failed["error"].str.contains("sram.bytes").all()
    assert failed["cycles"].isna().all()
    ok = df[df["status"] == "ok"]
    assert (ok["cycles"] > 0).all() and ok["error"].isna().all()
    assert list(ok["dataflow"]) == ["ws", "auto"] and (ok["sram.bytes"] == 2097152).all()
    for col in ("energy_uj", "latency_us", "dram_bytes", "energy_dram_uj", "weight_sqnr_db_mean"):
        assert col in df.columns
    assert not any(c in df.columns for c in WALL)
    assert (out / "sweep.yaml").is_file()
    again = sw.load_spec(out / "sweep.yaml").points()
    assert [p.point_id for p in again] == list(df["point_id"])


def test_sweep_matches_simulate(local_run):
    from archsim import simulate
    _, df = local_run
    res = simulate("resnet18", dataflow="auto", **{"sram.bytes": 2097152})
    row = df[(df["dataflow"] == "auto") & (df["status"] == "ok")].iloc[0]
    assert row["cycles"] == res.cycles and row["energy_uj"] == res.energy_uj


def test_two_local_processes_give_the_same_table(local_run, tmp_path):
    out, _ = local_run
    sw.sweep(SPEC, tmp_path, workers=2, progress=False)
    assert (tmp_path / "sweep.csv").read_bytes() == (out / "sweep.csv").read_bytes()


def test_dask_local_cluster_gives_the_same_table(local_run, tmp_path):
    distributed = pytest.importorskip("distributed")
    out, local = local_run
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        df = sw.sweep(SPEC, tmp_path, scheduler=cluster.scheduler_address, progress=False)
    metrics = [c for c in local.columns if c not in WALL]
    pd.testing.assert_frame_equal(df[metrics], local[metrics], check_exact=True)
    assert (tmp_path / "sweep.csv").read_bytes() == (out / "sweep.csv").read_bytes()


def test_missing_dask_names_the_extra_and_keeps_the_old_table(monkeypatch, tmp_path):
    (tmp_path / "sweep.csv").write_text("earlier results\n")
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(SimulationError, match=r"pip install archsim\[dask\]"):
        sw.sweep(SPEC, tmp_path, scheduler="tcp://127.0.0.1:1", progress=False)
    assert (tmp_path / "sweep.csv").read_text() == "earlier results\n"


def test_rows_are_durable_as_points_finish_and_resume_skips_them(local_run, tmp_path, monkeypatch):
    out, _ = local_run
    real, calls = sw.run_point, []

    def crash_on_third(kwargs):
        calls.append(kwargs)
        if len(calls) == 3:
            raise KeyboardInterrupt  # the process dies mid-sweep
        return real(kwargs)

    monkeypatch.setattr(sw, "run_point", crash_on_third)
    with pytest.raises(KeyboardInterrupt):
        sw.sweep(SPEC, tmp_path, progress=False)
    partial = pd.read_csv(tmp_path / "sweep.csv")
    assert list(partial["point"]) == [0, 1] and list(partial["status"]) == ["ok", "error"]

    with open(tmp_path / "sweep.csv", "a") as fh:  # a torn line, as a crash mid-append leaves
        fh.write("2,abc,ok,,resnet18")
    calls.clear()
    monkeypatch.setattr(sw, "run_point", lambda kwargs: calls.append(kwargs) or real(kwargs))
    df = sw.sweep(SPEC, tmp_path, resume=True, progress=False)
    # point 0 finished OK and is skipped; the failed point 1 and the missing 2, 3 run
    assert [c["dataflow"] for c in calls] == ["ws", "auto", "auto"]
    assert df.attrs["resumed"] == 1 and df.attrs["ran"] == 3
    assert (tmp_path / "sweep.csv").read_bytes() == (out / "sweep.csv").read_bytes()


def test_resume_of_a_finished_sweep_runs_nothing(local_run, tmp_path, monkeypatch):
    out, _ = local_run
    (tmp_path / "sweep.csv").write_bytes((out / "sweep.csv").read_bytes())
    ok_spec = {"base": SPEC["base"], "axes": {"dataflow": ["ws", "auto"], "sram.bytes": [2097152]}}
    monkeypatch.setattr(sw, "run_point", lambda kwargs: pytest.fail("a finished point ran again"))
    df = sw.sweep(ok_spec, tmp_path, resume=True, progress=False)
    assert list(df["status"]) == ["ok", "ok"] and df.attrs["ran"] == 0


def test_a_crashing_worker_is_a_failed_point(tmp_path, monkeypatch):
    monkeypatch.setattr(sw, "simulate", lambda **kw: (_ for _ in ()).throw(RuntimeError("boom\nline two")))
    df = sw.sweep({"base": {"workload": "resnet18"}, "axes": {"seed": [1, 2]}}, tmp_path, progress=False)
    assert list(df["status"]) == ["error", "error"]
    assert list(df["error"]) == ["RuntimeError: boom line two"] * 2


def test_progress_line_only_on_a_terminal(tmp_path, monkeypatch):
    spec = {"base": {"workload": "digits_cnn"}, "axes": {"seed": [1, 2]}}
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    sw.sweep(spec, tmp_path / "a")
    assert err.getvalue() == ""
    monkeypatch.setattr(err, "isatty", lambda: True, raising=False)
    sw.sweep(spec, tmp_path / "b")
    assert "\rsweep [" in err.getvalue() and "2/2" in err.getvalue()
    err.truncate(0)
    sw.sweep(spec, tmp_path / "c", progress=False)
    assert err.getvalue() == ""


def test_bad_workers():
    with pytest.raises(SimulationError, match="workers=0"):
        sw.sweep(SPEC, "unused", workers=0)


# ---------------------------------------------------------------- the command line

def test_cli_sweep_writes_the_table(tmp_path, capsys):
    spec = tmp_path / "spec.yaml"
    spec.write_text("base: {workload: resnet18}\naxes:\n  pe.rows: [8, 16]\n  pe.cols: [8, 16]\nzip: [[pe.rows, pe.cols]]\n")
    assert cli(["sweep", str(spec), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    df = pd.read_csv(tmp_path / "out" / "sweep.csv")
    assert list(df["pe.rows"]) == [8, 16] and list(df["pe.cols"]) == [8, 16]
    out = capsys.readouterr()
    assert "2 points, 2 ok, 0 failed" in out.out and out.err == ""
    assert cli(["sweep", str(spec), "--out", str(tmp_path / "out"), "--resume", "--quiet"]) == 0
    assert "2 already done" in capsys.readouterr().out


@pytest.mark.parametrize("text, needle", [
    ("base: {workload: resnet18}\naxes: {dram.kind: [HBM2]}\n", "axes.dram.kind"),
    ("axes: {dataflow: [ws]}\n", "no workload"),
])
def test_cli_sweep_errors_are_one_line(tmp_path, capsys, text, needle):
    spec = tmp_path / "spec.yaml"
    spec.write_text(text)
    assert cli(["sweep", str(spec), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("archsim: error: sweep spec") and needle in err and err.count("\n") == 1


def test_cli_sweep_rejects_bad_workers(tmp_path, capsys):
    with pytest.raises(SystemExit):
        cli(["sweep", "x.yaml", "--out", str(tmp_path), "--workers", "0"])
    assert "must be >= 1" in capsys.readouterr().err


def test_every_option_has_help():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    for name in ("compare", "sweep"):
        for action in sub.choices[name]._actions:
            if action.dest != "help":
                assert action.help, f"{name} {action.dest} has no help"
