"""Atomic file writes: a reader sees the old file or the complete new one, never a torn one.

Each writer fills a temporary file in the target's directory (same filesystem, so the
final ``os.replace`` is atomic), flushes and fsyncs it, then renames it over the target.
On any failure the temporary file is removed and a previous file at ``path`` is left as it was.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pandas as pd

from .errors import MissingDependencyError, ReportError

_UMASK: int | None = None


def _umask() -> int:
    """The process umask, read without changing it where the OS allows (Linux /proc)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _file_mode() -> int:
    """Permissions an ordinary ``open()`` would give a new file (mkstemp uses 0600)."""
    global _UMASK
    if _UMASK is None:
        _UMASK = _umask()
    return 0o666 & ~_UMASK


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable; not possible on every platform, so best effort."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "wb", **open_kwargs) -> Iterator[IO]:
    """Open a temporary sibling of ``path`` for writing; on clean exit it replaces ``path``."""
    if mode not in ("w", "wb", "wt"):
        raise ReportError(f"atomic_open: mode={mode!r} is not one of ('w', 'wt', 'wb')")
    target = Path(path)
    directory = target.parent
    fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        try:
            fh = os.fdopen(fd, mode, **open_kwargs)
        except BaseException:
            os.close(fd)
            raise
        with fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _file_mode())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    _fsync_dir(directory)


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    with atomic_open(path, "wb") as fh:
        fh.write(data)
    return Path(path)


def write_text_atomic(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically, byte for byte (no newline translation)."""
    return write_bytes_atomic(path, text.encode(encoding))


def write_csv_atomic(df: pd.DataFrame, path: str | os.PathLike, float_format: str | None = None) -> Path:
    """Write ``df`` as CSV atomically and deterministically.

    No index, ``\\n`` line endings, UTF-8, empty cells for missing values. Floats are
    written as their shortest round-trip repr (``float_format=None``), so the file holds
    exactly the values in memory and identical frames give byte-identical files.
    """
    with atomic_open(path, "w", encoding="utf-8", newline="") as fh:
        df.to_csv(fh, index=False, lineterminator="\n", float_format=float_format, na_rep="")
    return Path(path)


def has_pyarrow() -> bool:
    """Whether the optional Parquet engine is importable."""
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def write_parquet_atomic(df: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write ``df`` as Parquet (pyarrow engine, no index) atomically."""
    if not has_pyarrow():
        raise MissingDependencyError("Parquet export needs pyarrow: pip install pyarrow (or use format='csv')")
    with atomic_open(path, "wb") as fh:
        df.to_parquet(fh, engine="pyarrow", index=False)
    return Path(path)
