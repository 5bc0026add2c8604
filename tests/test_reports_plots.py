"""Plots write non-empty PNGs atomically, and say how to get matplotlib when it is missing."""
import builtins
import importlib.util

import pandas as pd
import pytest

from reports import MissingDependencyError, ReportError, plot_energy_breakdown, plot_latency_energy, plot_layer_cycles

needs_mpl = pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None, reason="matplotlib not installed")
PNG = b"\x89PNG\r\n\x1a\n"


def _is_png(path):
    data = path.read_bytes()
    return len(data) > 1000 and data.startswith(PNG)


@needs_mpl
def test_energy_breakdown_png(tmp_path):
    df = pd.DataFrame({"run": ["int8", "int8", "strum", "strum"], "component": ["sram", "pe_array"] * 2,
                       "energy_pj": [2e6, 3e6, 1.5e6, 2e6], "layer": ["c1"] * 4})
    path = plot_energy_breakdown(df, tmp_path / "energy.png")
    assert _is_png(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["energy.png"]


@needs_mpl
@pytest.mark.parametrize("kind", ["auto", "bar", "line"])
def test_layer_cycles_png(tmp_path, kind):
    df = pd.DataFrame({"run": ["a"] * 3 + ["b"] * 3, "layer": ["c1", "c2", "fc"] * 2,
                       "cycles": [100, 400, 50, 80, 300, 50]})
    assert _is_png(plot_layer_cycles(df, tmp_path / "layers.png", kind=kind, log=kind == "line"))


@needs_mpl
def test_latency_energy_png(tmp_path):
    df = pd.DataFrame({"run_label": ["int8", "dliq"], "latency_us": [10.0, 8.0], "energy_uj": [3.0, 2.2]})
    assert _is_png(plot_latency_energy(df, tmp_path / "tradeoff.png"))


def test_missing_column_is_named(tmp_path):
    with pytest.raises(ReportError, match="energy_pj"):
        plot_energy_breakdown(pd.DataFrame({"run": ["a"], "component": ["sram"]}), tmp_path / "x.png")
    assert list(tmp_path.iterdir()) == []


def test_missing_matplotlib_names_the_extra(tmp_path, monkeypatch):
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    df = pd.DataFrame({"latency_us": [1.0], "energy_uj": [1.0]})
    with pytest.raises(ImportError, match=r"pip install archsim\[plot\]") as info:
        plot_latency_energy(df, tmp_path / "x.png")
    assert isinstance(info.value, MissingDependencyError)
