"""Atomic writes: old file intact and no temp files on failure; deterministic CSV bytes."""
import os

import pandas as pd
import pytest

from reports import write_bytes_atomic, write_csv_atomic, write_text_atomic
from reports import atomic as atomic_mod


class ExplodingFrame(pd.DataFrame):
    """A frame whose CSV writer writes part of the file and then fails."""

    def to_csv(self, path_or_buf=None, **kwargs):
        path_or_buf.write("layer,cycles\nhalf")
        raise RuntimeError("disk on fire")


def _siblings(path):
    return sorted(p.name for p in path.parent.iterdir())


def test_failed_csv_write_keeps_old_file_and_leaves_no_temp(tmp_path):
    target = tmp_path / "layers.csv"
    write_text_atomic(target, "old,content\n")
    with pytest.raises(RuntimeError, match="disk on fire"):
        write_csv_atomic(ExplodingFrame({"a": [1]}), target)
    assert target.read_text() == "old,content\n"
    assert _siblings(target) == ["layers.csv"]


def test_failed_replace_keeps_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "summary.csv"
    write_bytes_atomic(target, b"before\n")

    def boom(src, dst):
        raise OSError("replace failed")

    monkeypatch.setattr(atomic_mod.os, "replace", boom)
    with pytest.raises(OSError, match="replace failed"):
        write_text_atomic(target, "after\n")
    assert target.read_bytes() == b"before\n"
    assert _siblings(target) == ["summary.csv"]


def test_failure_without_previous_file_leaves_nothing(tmp_path):
    target = tmp_path / "energy.csv"
    with pytest.raises(RuntimeError):
        write_csv_atomic(ExplodingFrame({"a": [1]}), target)
    assert list(tmp_path.iterdir()) == []


def test_text_is_written_byte_for_byte(tmp_path):
    target = tmp_path / "config.yaml"
    write_text_atomic(target, "a: 1\r\nb: µ\n")
    assert target.read_bytes() == "a: 1\r\nb: µ\n".encode()


def test_new_file_gets_normal_permissions(tmp_path):
    target = tmp_path / "x.csv"
    write_text_atomic(target, "x\n")
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


def test_csv_is_deterministic_and_round_trips_floats(tmp_path):
    df = pd.DataFrame({"layer": ["c1", "c2,x", None], "cycles": [10, 20, 30],
                       "energy_pj": [0.1 + 0.2, 1 / 3, 1e-300]})
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    write_csv_atomic(df, a)
    write_csv_atomic(df.copy(), b)
    assert a.read_bytes() == b.read_bytes()
    assert b"\r" not in a.read_bytes()
    assert a.read_text().splitlines()[0] == "layer,cycles,energy_pj"
    back = pd.read_csv(a)
    assert back["energy_pj"].tolist() == df["energy_pj"].tolist()
