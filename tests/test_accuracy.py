"""archsim.accuracy mechanics: optional-dependency guard, weight swap/restore, layer trace.

The torch guard below only skips on developer machines without the ``accuracy`` extra;
CI installs the extra, so these tests run there.
"""
import ast
import pathlib
import subprocess
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_import_without_torch_names_the_extra():
    code = ("import sys; sys.modules['torch'] = None\n"
            "try:\n    import archsim.accuracy\nexcept ImportError as e:\n    print(e)\n"
            "else:\n    print('imported')\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         env={"PYTHONPATH": str(ROOT), "PATH": ""}, timeout=60)
    assert "pip install archsim[accuracy]" in out.stdout, out.stdout + out.stderr


def test_nothing_outside_accuracy_imports_torch():
    offenders = []
    for pkg in ("archsim", "workloads", "hw", "quant", "reports"):
        for path in (ROOT / pkg).rglob("*.py"):
            if "accuracy" in path.relative_to(ROOT).parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                         else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
                if any(n == "torch" or n.startswith("torch.") for n in names):
                    offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, offenders


torch = pytest.importorskip("torch")
accuracy = pytest.importorskip("archsim.accuracy")


def _tiny_model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Conv2d(2, 4, 3, padding=1), torch.nn.ReLU(),
                               torch.nn.Conv2d(4, 4, 3, stride=2, padding=1, groups=4),
                               torch.nn.Flatten(), torch.nn.Linear(4 * 3 * 3, 5))


def test_swapped_weights_restores_even_on_error():
    model = _tiny_model()
    before = accuracy.weight_arrays(model)
    zeros = {k: np.zeros_like(v) for k, v in before.items()}
    with accuracy.swapped_weights(model, zeros):
        assert all(not m.weight.detach().any() for m in accuracy.quantizable_layers(model).values())
    with pytest.raises(RuntimeError):
        with accuracy.swapped_weights(model, zeros):
            raise RuntimeError("boom")
    with pytest.raises(accuracy.AccuracyError, match="shape"):
        with accuracy.swapped_weights(model, {"0": zeros["0"], "2": np.zeros((1, 1))}):
            pass
    after = accuracy.weight_arrays(model)
    assert all(np.array_equal(before[k], after[k]) for k in before)


def test_trace_layers_matches_shapes_and_workload_layer():
    model = _tiny_model().train()
    trace = accuracy.trace_layers(model, (2, 2, 6, 6))
    assert model.training  # mode restored
    assert [t.name for t in trace] == ["0", "2", "4"]
    conv, dw, fc = trace
    assert (conv.op, conv.C, conv.K, conv.H, conv.P, conv.R, conv.padding, conv.N) == ("conv", 2, 4, 6, 6, 3, 1, 2)
    assert (dw.op, dw.groups, dw.stride, dw.P, dw.Q, dw.weights.shape) == ("dwconv", 4, 2, 3, 3, (4, 1, 3, 3))
    assert (fc.op, fc.C, fc.K, fc.weights.shape) == ("fc", 36, 5, (5, 36, 1, 1))
    workloads = pytest.importorskip("workloads")
    for t in trace:
        layer = workloads.Layer(**t.layer_kwargs())
        assert layer.weight_shape == t.weights.shape
    weights = accuracy.to_workload_layers(model, (1, 2, 6, 6))
    assert list(weights) == ["0", "2", "4"] and all(w.ndim == 4 for w in weights.values())


def test_unknown_names_are_rejected():
    with pytest.raises(ValueError, match="model="):
        accuracy.load_model("resnet9000")
    with pytest.raises(ValueError, match="dataset="):
        accuracy.load_dataset("imagenet")
