"""sweep(): simulate() over the cartesian product of config axes, in local processes or on Dask.

A spec (YAML file or dict) names a ``base`` point, ``axes`` of values and optional ``zip``
groups of axes that vary together. Every point gets a stable ``point_id`` (a hash of its
canonical parameters); finished points stream into ``sweep.csv`` (one durable append per
point), a failing point is recorded with its error, and ``resume=True`` skips points that
already finished OK. The final table is sorted by point order, so it does not depend on
where or in which order the points ran.
"""
from __future__ import annotations

import csv
import functools
import hashlib
import io
import itertools
import json
import math
import numbers
import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

import quant as quant_pkg
import reports
import workloads
from hw.config import OPEN_MAPPINGS, DPUConfig, presets

from .errors import SimulationError
from .mapper import DATAFLOWS
from .simulate import OBJECTIVES, simulate

#: simulate() arguments a spec may set, in column order, and their defaults
FIELDS = ("workload", "hw", "quant", "dataflow", "batch", "seed", "objective")
DEFAULTS = {"hw": "flexnn", "quant": "int8", "dataflow": "auto", "batch": 1, "seed": 0, "objective": "edp"}
SPEC_KEYS = ("base", "axes", "zip")
LEAD_COLUMNS = ("point", "point_id", "status", "error")
TABLE = "sweep.csv"
SPEC_COPY = "sweep.yaml"
_QUANT_PREFIX = "quant."
_HW_FIELDS = DPUConfig().to_dict()
_HW_SECTIONS = [k for k, v in _HW_FIELDS.items() if isinstance(v, dict) and v]
#: read floats back exactly (pandas 3 does by default and deprecates the option)
_EXACT_FLOATS = {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}


@dataclass(frozen=True)
class Point:
    """One point of a sweep: its position, its table cells and the simulate() call it stands for."""
    index: int
    point_id: str
    params: dict      # column -> value as written in the spec (quant canonical)
    kwargs: dict      # simulate() keyword arguments, paths resolved


@dataclass(frozen=True)
class SweepSpec:
    """A validated spec; ``root`` is the directory relative workload and hw paths are read from."""
    base: dict
    axes: dict
    zip: tuple
    root: Path

    def points(self) -> list[Point]:
        """All points in order: axes vary like nested loops, the last axis fastest; a zip group is one axis.

        A point equal to an earlier one (e.g. int8 crossed with quant.L, which int8 ignores) is left out.
        """
        groups: list[list[str]] = []
        for name in self.axes:
            group = next((list(g) for g in self.zip if name in g), [name])
            if group not in groups:
                groups.append(group)
        columns = _param_columns(self.base, self.axes)
        out, seen = [], set()
        for combo in itertools.product(*(range(len(self.axes[g[0]])) for g in groups)):
            values = dict(self.base)
            for group, i in zip(groups, combo):
                values.update({name: self.axes[name][i] for name in group})
            point = _point(len(out), values, columns, self.root)
            if point.point_id not in seen:
                seen.add(point.point_id)
                out.append(point)
        return out

    def to_yaml(self) -> str:
        doc = {"base": self.base, "axes": self.axes}
        if self.zip:
            doc["zip"] = [list(g) for g in self.zip]
        return yaml.safe_dump(doc, sort_keys=False)


# ---------------------------------------------------------------- the spec

def load_spec(spec: str | os.PathLike | Mapping | SweepSpec) -> SweepSpec:
    """Read and validate a spec from a YAML path or a mapping; errors name the offending field."""
    if isinstance(spec, SweepSpec):
        return spec
    root = Path.cwd()
    if isinstance(spec, (str, os.PathLike)):
        path = Path(spec)
        if not path.is_file():
            raise SimulationError(f"sweep spec {str(path)!r}: no such file")
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as e:
            raise SimulationError(f"sweep spec {str(path)!r}: YAML does not parse: {e}") from e
        root = path.resolve().parent
    else:
        data = spec
    if not isinstance(data, Mapping):
        raise SimulationError(f"sweep spec: must be a mapping with keys {', '.join(SPEC_KEYS)}; "
                              f"got {type(data).__name__}")
    unknown = [k for k in data if k not in SPEC_KEYS]
    if unknown:
        raise SimulationError(f"sweep spec: unknown key {unknown[0]!r}; allowed: {', '.join(SPEC_KEYS)}")

    base = _mapping(data.get("base"), "base")
    axes = _mapping(data.get("axes"), "axes")
    for name, value in base.items():
        _check_field(name, "base")
        if isinstance(value, list):
            raise SimulationError(f"sweep spec: base.{name}={value!r}: must be a single value; "
                                  f"list the values under axes to vary it")
        _check_value(name, value, f"base.{name}", root)
    for name, values in axes.items():
        _check_field(name, "axes")
        if not isinstance(values, list) or not values:
            raise SimulationError(f"sweep spec: axes.{name}={values!r}: must be a non-empty list of values")
        for i, value in enumerate(values):
            _check_value(name, value, f"axes.{name}[{i}]", root)
    if "workload" not in base and "workload" not in axes:
        raise SimulationError("sweep spec: no workload; set base.workload or an axes.workload list")
    _check_quant_params(base, axes)
    groups = _zip_groups(data.get("zip"), axes)
    full = {**DEFAULTS, **base}
    ordered = {**{f: full[f] for f in FIELDS if f in full}, **{k: v for k, v in base.items() if k not in FIELDS}}
    spec = SweepSpec(base=ordered, axes=axes, zip=groups, root=root)
    spec.points()  # every point's quant scheme parses and no two points are the same
    return spec


def _mapping(value: Any, key: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise SimulationError(f"sweep spec: {key} must be a mapping of field: value; got {value!r}")
    return {str(k): v for k, v in value.items()}


def _is_param(name: str) -> bool:
    """Whether a column names a point parameter (not a metric)."""
    try:
        _check_field(name, "")
    except SimulationError:
        return False
    return True


def _check_field(name: str, where: str) -> None:
    """A simulate() argument, quant.<param>, an existing (dotted) DPUConfig field, or an entry of
    energy_overrides / area_overrides (energy_overrides.mul_8x8: a component-table entry)."""
    if name in FIELDS or (name.startswith(_QUANT_PREFIX) and len(name) > len(_QUANT_PREFIX)):
        return
    head, _, entry = name.partition(".")
    if head in OPEN_MAPPINGS and entry:
        allowed = _override_entries(head)
        if entry not in allowed:
            raise SimulationError(f"sweep spec: {where}.{name}: unknown {head} entry {entry!r}; "
                                  f"allowed: {', '.join(allowed)}")
        return
    node, parts = _HW_FIELDS, name.split(".")
    for depth, part in enumerate(parts):
        if not isinstance(node, dict) or part not in node:
            if depth == 0:
                raise SimulationError(
                    f"sweep spec: {where}.{name}: unknown field; allowed: {', '.join(FIELDS)}, "
                    f"quant.<param> (e.g. quant.L, quant.k) or a hardware field such as pe.rows, "
                    f"sram.bytes, dram.type (sections: {', '.join(_HW_SECTIONS)})")
            allowed = sorted(node) if isinstance(node, dict) else []
            raise SimulationError(f"sweep spec: {where}.{name}: unknown hardware field {part!r}; "
                                  f"allowed in {'.'.join(parts[:depth])}: {', '.join(allowed)}")
        node = node[part]


@functools.cache
def _override_entries(field_name: str) -> tuple[str, ...]:
    """The component-table entries `field_name` (energy_overrides or area_overrides) may set; the
    node tables share their entry names, so any table node gives the list."""
    from hw.tech import TABLE_NODES, component_table
    side = "energy_side" if field_name == "energy_overrides" else "area_side"
    return tuple(sorted(k for k, e in component_table(TABLE_NODES[0]).items() if getattr(e, side)))


def _check_value(name: str, value: Any, where: str, root: Path) -> None:
    """Checks that need no other field; combinations are checked per point when it runs."""
    def bad(allowed: str) -> SimulationError:
        return SimulationError(f"sweep spec: {where}={value!r}: {allowed}")

    if name == "dataflow" and value not in DATAFLOWS + ("auto",):
        raise bad(f"allowed values are {', '.join(DATAFLOWS + ('auto',))}")
    if name == "objective" and value not in OBJECTIVES:
        raise bad(f"allowed values are {', '.join(OBJECTIVES)}")
    if name in ("batch", "seed") and (not isinstance(value, int) or isinstance(value, bool)):
        raise bad("must be an integer")
    if name == "batch" and value < 1:
        raise bad("must be >= 1")
    if name == "quant" and not isinstance(value, str):
        raise bad("must be a scheme string such as int8 or strum-dliq:L=8,k=4")
    if name == "workload":
        if not isinstance(value, str):
            raise bad("must be a zoo name or a file path")
        if value not in _zoo() and _existing(value, root) is None:
            raise bad(f"neither a zoo workload ({', '.join(workloads.available())}) nor an existing file")
    if name == "hw":
        if isinstance(value, Mapping):
            return
        if not isinstance(value, str):
            raise bad("must be a preset name, a YAML path or a mapping of config fields")
        if value not in _presets() and _existing(value, root) is None:
            raise bad(f"neither a hardware preset ({', '.join(presets())}) nor an existing YAML file")
    if name.startswith(_QUANT_PREFIX) and not isinstance(value, (str, int, float)):
        raise bad("must be a scalar scheme parameter")
    if name.partition(".")[0] in OPEN_MAPPINGS and name.partition(".")[2] and (
            isinstance(value, bool) or not isinstance(value, (int, float))
            or not math.isfinite(value) or value < 0):
        raise bad("must be a finite non-negative number")


def _zip_groups(value: Any, axes: dict) -> tuple:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise SimulationError(f"sweep spec: zip={value!r}: must be a list of groups, e.g. [[pe.rows, pe.cols]]")
    groups, used = [], {}
    for i, group in enumerate(value):
        if not isinstance(group, list) or len(group) < 2 or not all(isinstance(n, str) for n in group):
            raise SimulationError(f"sweep spec: zip[{i}]={group!r}: must be a list of two or more axis names")
        for name in group:
            if name not in axes:
                raise SimulationError(f"sweep spec: zip[{i}]: {name!r} is not an axis; "
                                      f"axes are {', '.join(axes) or 'none'}")
            if name in used:
                raise SimulationError(f"sweep spec: zip[{i}]: axis {name!r} is already in zip[{used[name]}]")
            used[name] = i
        lengths = {name: len(axes[name]) for name in group}
        if len(set(lengths.values())) > 1:
            raise SimulationError(f"sweep spec: zip[{i}]: axes varied together need lists of the same length; "
                                  + ", ".join(f"{n} has {k}" for n, k in lengths.items()))
        groups.append(tuple(group))
    return tuple(groups)


def _existing(value: str, root: Path) -> Path | None:
    """The file a relative path names, looked up next to the spec first, then in the working directory."""
    path = Path(value).expanduser()
    for candidate in ((root / path) if not path.is_absolute() else path, path):
        if candidate.is_file():
            return candidate.resolve()
    return None


def _param_columns(base: dict, axes: dict) -> list[str]:
    extra = [k for k in (*base, *axes) if k not in FIELDS]
    return [*FIELDS, *dict.fromkeys(extra)]


def _point(index: int, values: dict, columns: list[str], root: Path) -> Point:
    """Canonical parameters, their hash, and the simulate() call of one point."""
    qparams: dict = {}
    try:
        accepted = _scheme_params(values["quant"])
        qparams = {k[len(_QUANT_PREFIX):]: v for k, v in values.items()
                   if k.startswith(_QUANT_PREFIX) and k[len(_QUANT_PREFIX):].lower() in accepted}
        scheme = str(quant_pkg.parse_scheme(values["quant"], **qparams))
    except quant_pkg.QuantError as e:
        fields = ", ".join(["quant", *(f"quant.{k}" for k in qparams)])
        raise SimulationError(f"sweep spec: point {index} ({fields}): {e}") from e
    params = {c: values.get(c) for c in columns}
    params["quant"] = scheme
    params.update({c: None for c in columns
                   if c.startswith(_QUANT_PREFIX) and c[len(_QUANT_PREFIX):] not in qparams})
    overrides = {k: v for k, v in values.items() if k not in FIELDS and not k.startswith(_QUANT_PREFIX)}
    # a whole energy_overrides / area_overrides mapping first, so that its dotted entries add to it
    overrides = dict(sorted(overrides.items(), key=lambda kv: kv[0] not in OPEN_MAPPINGS))
    identity = {**{f: params[f] for f in FIELDS}, "overrides": overrides}
    point_id = hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()[:16]
    kwargs = {f: params[f] for f in FIELDS}
    for name, known in (("workload", _zoo()), ("hw", _presets())):
        if isinstance(kwargs[name], str) and kwargs[name] not in known:
            kwargs[name] = str(_existing(kwargs[name], root))
    kwargs.update(overrides)
    return Point(index, point_id, params, kwargs)


@functools.cache
def _zoo() -> frozenset:
    return frozenset(workloads.available())


@functools.cache
def _presets() -> frozenset:
    return frozenset(presets())


def _scheme_params(text: str) -> set[str]:
    """Lower-case names of the parameters the scheme named in ``text`` accepts."""
    name = quant_pkg.parse_scheme(text).name
    return {k.lower() for k in quant_pkg.available_schemes()[name]["params"]}


def _check_quant_params(base: dict, axes: dict) -> None:
    """Each quant.<param> must be a parameter of at least one scheme of the sweep."""
    schemes = [base.get("quant", DEFAULTS["quant"])] if "quant" not in axes else axes["quant"]
    try:
        accepted = {s: _scheme_params(s) for s in schemes}
    except quant_pkg.QuantError as e:
        raise SimulationError(f"sweep spec: {'axes' if 'quant' in axes else 'base'}.quant: {e}") from e
    for name in (*base, *axes):
        if name.startswith(_QUANT_PREFIX) and not any(
                name[len(_QUANT_PREFIX):].lower() in a for a in accepted.values()):
            where = "axes" if name in axes else "base"
            allowed = "; ".join(f"{s}: {', '.join(sorted(a)) or 'none'}" for s, a in accepted.items())
            raise SimulationError(f"sweep spec: {where}.{name}: no quant scheme of this sweep has parameter "
                                  f"{name[len(_QUANT_PREFIX):]!r} ({allowed})")


# ---------------------------------------------------------------- one point

def run_point(kwargs: dict) -> dict:
    """simulate(**kwargs) -> the point's result cells; an error is returned as data, not raised."""
    try:
        result = simulate(**kwargs)
    except Exception as e:  # a failing point is a finding of the sweep, recorded with its message
        return {"status": "error", "error": _message(e)}
    row = {k: _plain(v) for k, v in result.summary.iloc[0].items() if k not in FIELDS}
    sqnr = result.layers["weight_sqnr_db"].dropna()
    row["weight_sqnr_db_mean"] = float(sqnr.mean()) if len(sqnr) else math.nan
    row["weight_sqnr_db_min"] = float(sqnr.min()) if len(sqnr) else math.nan
    return {"status": "ok", "error": "", **row}


def _message(e: BaseException) -> str:
    return f"{type(e).__name__}: {' '.join(str(e).split())}"


def _plain(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v


def _cell(v: Any) -> str:
    """One CSV cell: integers as integers, floats as their shortest round-trip repr, missing as empty."""
    v = _plain(v)
    if v is None:
        return ""
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, numbers.Integral):
        return str(int(v))
    if isinstance(v, numbers.Real):
        return "" if math.isnan(v) else repr(float(v))
    if isinstance(v, (dict, list)):
        return json.dumps(v, sort_keys=True)
    return str(v)


# ---------------------------------------------------------------- the table

def _csv_lines(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


class _Table:
    """sweep.csv: each finished point appended durably; rewritten atomically when columns grow and at the end."""

    def __init__(self, path: Path, columns: list[str]):
        self.path = path
        self.columns = list(columns)
        self.rows: dict[int, dict[str, str]] = {}
        self._fh = None

    def read_finished(self, points: list[Point]) -> tuple[int, int]:
        """Keep the OK rows of an existing table whose point is in this sweep; return (kept, dropped)."""
        if not self.path.is_file():
            return 0, 0
        text = self.path.read_text(encoding="utf-8")
        if not text.endswith("\n"):  # a torn last line from a crash mid-write
            text = text[:text.rfind("\n") + 1]
        records = list(csv.reader(io.StringIO(text)))
        if not records:
            return 0, 0
        header, by_id = records[0], {p.point_id: p for p in points}
        kept = dropped = 0
        for rec in records[1:]:
            if len(rec) != len(header):
                continue
            cells = dict(zip(header, rec))
            point = by_id.get(cells.get("point_id"))
            if point is None:
                dropped += 1
            elif cells.get("status") == "ok":
                metrics = {c: v for c, v in cells.items() if c not in LEAD_COLUMNS and not _is_param(c)}
                self.rows[point.index] = {**_param_cells(point), "status": "ok", "error": "", **metrics}
                self.columns += [c for c in metrics if c not in self.columns]
                kept += 1
        return kept, dropped

    def start(self) -> None:
        self._rewrite()

    def add(self, point: Point, outcome: dict) -> None:
        cells = {**_param_cells(point), **{k: _cell(v) for k, v in outcome.items()}}
        self.rows[point.index] = cells
        new = [c for c in cells if c not in self.columns]
        if new:
            self.columns += new
            self._rewrite()
            return
        self._fh.write(_csv_lines([[cells.get(c, "") for c in self.columns]]))
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def finish(self, param_columns: list[str]) -> None:
        """Rewrite sorted by point; metric columns in the order they first appear in that order."""
        metrics: dict[str, None] = {}
        for i in sorted(self.rows):
            metrics.update(dict.fromkeys(c for c in self.rows[i] if c not in LEAD_COLUMNS and c not in param_columns))
        self.columns = [*LEAD_COLUMNS, *param_columns, *metrics]
        self._rewrite()
        self.close()

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def _rewrite(self) -> None:
        self.close()
        body = [self.columns] + [[self.rows[i].get(c, "") for c in self.columns] for i in sorted(self.rows)]
        reports.write_text_atomic(self.path, _csv_lines(body))
        self._fh = open(self.path, "a", encoding="utf-8", newline="")


def _param_cells(point: Point) -> dict[str, str]:
    return {"point": str(point.index), "point_id": point.point_id,
            **{k: _cell(v) for k, v in point.params.items()}}


# ---------------------------------------------------------------- progress

class _Progress:
    """One stderr line rewritten in place; silent unless enabled and stderr is a terminal."""

    def __init__(self, total: int, resumed: int, enabled: bool):
        self.total, self.resumed = total, resumed
        self.done, self.failed = resumed, 0
        self.t0 = time.monotonic()
        self.enabled = enabled and total > 0 and sys.stderr.isatty()
        self._draw()

    def update(self, ok: bool) -> None:
        self.done += 1
        self.failed += not ok
        self._draw()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()

    def _draw(self) -> None:
        if not self.enabled:
            return
        width = 24
        filled = int(width * self.done / self.total)
        elapsed = time.monotonic() - self.t0
        ran = self.done - self.resumed
        eta = f" eta {elapsed / ran * (self.total - self.done):.0f}s" if ran else ""
        extra = f", {self.failed} failed" if self.failed else ""
        extra += f", {self.resumed} resumed" if self.resumed else ""
        sys.stderr.write(f"\rsweep [{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total}"
                         f"{extra} {elapsed:.0f}s{eta}   ")
        sys.stderr.flush()


# ---------------------------------------------------------------- running

def _outcome(future) -> dict:
    """A future's result, or its failure (a crashed worker, a killed task) as an error row."""
    try:
        return future.result()
    except Exception as e:
        return {"status": "error", "error": _message(e)}


def _run_local(points: list[Point], workers: int, done: Callable[[Point, dict], None]) -> None:
    if workers == 1:
        for p in points:
            done(p, run_point(p.kwargs))
        return
    from concurrent.futures import ProcessPoolExecutor, as_completed
    pool = ProcessPoolExecutor(max_workers=workers)
    try:
        futures = {pool.submit(run_point, p.kwargs): p for p in points}
        for f in as_completed(futures):
            done(futures[f], _outcome(f))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _connect(scheduler: Any) -> tuple[Any, bool]:
    """A distributed Client for an address, a cluster or a Client; and whether we opened it (and must close it)."""
    try:
        from distributed import Client
    except ImportError as e:
        raise SimulationError("sweep: a Dask scheduler needs dask.distributed, which is not installed: "
                              "pip install archsim[dask]") from e
    if isinstance(scheduler, Client):
        return scheduler, False
    address = getattr(scheduler, "scheduler_address", scheduler)
    try:
        return Client(address), True
    except (OSError, ValueError) as e:
        raise SimulationError(f"sweep: scheduler={address!r}: cannot connect: {e}") from e


def _run_dask(points: list[Point], client: Any, done: Callable[[Point, dict], None]) -> None:
    from distributed import as_completed
    futures = client.map(run_point, [p.kwargs for p in points], pure=False)
    by_future = dict(zip(futures, points))
    for f in as_completed(futures):
        done(by_future[f], _outcome(f))
        f.release()


def sweep(spec_or_path: str | os.PathLike | Mapping | SweepSpec, out_dir: str | os.PathLike, workers: int = 1,
          scheduler: Any = None, resume: bool = False, progress: bool = True) -> pd.DataFrame:
    """Run every point of the spec and return the ``sweep.csv`` table (one row per point, in point order).

    workers: local processes (1 = in this process); scheduler: a Dask scheduler address
    (or a distributed Client / cluster), which replaces local processes; resume: skip
    points of ``out_dir/sweep.csv`` that finished OK. ``out_dir`` also gets ``sweep.yaml``,
    the validated spec with its defaults filled in.
    """
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise SimulationError(f"workers={workers!r}: must be an integer >= 1")
    spec = load_spec(spec_or_path)
    points = spec.points()
    columns = _param_columns(spec.base, spec.axes)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    reports.write_text_atomic(out / SPEC_COPY, spec.to_yaml())

    table = _Table(out / TABLE, [*LEAD_COLUMNS, *columns])
    resumed, dropped = table.read_finished(points) if resume else (0, 0)
    if dropped and progress:
        print(f"sweep: resume: {dropped} row(s) of {out / TABLE} are not points of this spec; dropped",
              file=sys.stderr)
    todo = [p for p in points if p.index not in table.rows]
    client, own = _connect(scheduler) if scheduler is not None and todo else (None, False)
    t0 = time.monotonic()
    bar = _Progress(len(points), resumed, progress)

    def done(point: Point, outcome: dict) -> None:
        table.add(point, outcome)
        bar.update(outcome.get("status") == "ok")

    table.start()
    try:
        if client is not None:
            _run_dask(todo, client, done)
        elif todo:
            _run_local(todo, workers, done)
        table.finish(columns)
    finally:
        if own:
            client.close()
        table.close()
        bar.close()
    df = pd.read_csv(out / TABLE, keep_default_na=False, na_values=[""], **_EXACT_FLOATS)
    df.attrs.update(resumed=resumed, ran=len(todo), wall_s=time.monotonic() - t0)
    return df
