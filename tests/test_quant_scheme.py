"""Scheme names, parameters, canonical spelling and the errors for bad ones."""
import pytest
from hypothesis import given, settings, strategies as st

from quant import QuantError, Scheme, available_schemes, parse_scheme


@pytest.mark.parametrize("text, canonical", [
    ("int8", "int8"),
    ("INT4", "int4"),
    ("strum-dliq", "strum-dliq:L=8,k=4,select=magnitude,meta=mask,shift=block,shift_max=4,round=even"),
    ("strum-dliq:L=16,k=4", "strum-dliq:L=16,k=4,select=magnitude,meta=mask,shift=block,shift_max=4,round=even"),
    ("strum-mip2q:L=8,k=2,round=log", "strum-mip2q:L=8,k=2,select=magnitude,meta=mask,round=log,emin=0"),
    ("nm:N=2,M=4", "nm:N=2,M=4"),
    ("nm", "nm:N=2,M=4"),
    ("dliq:l=16,frac=0.25", "strum-dliq:L=16,k=4,select=magnitude,meta=mask,shift=block,shift_max=4,round=even"),
    ("strum-dliq:shift=none", "strum-dliq:L=8,k=4,select=magnitude,meta=mask,shift=none,shift_max=0,round=even"),
    ("strum-dliq:shift_max=0", "strum-dliq:L=8,k=4,select=magnitude,meta=mask,shift=none,shift_max=0,round=even"),
    ("strum-mip2q:select=fixed", "strum-mip2q:L=8,k=4,select=fixed,meta=none,round=linear,emin=0"),
    (" strum-dliq : k = 2 , meta = index ",
     "strum-dliq:L=8,k=2,select=magnitude,meta=index,shift=block,shift_max=4,round=even"),
])
def test_canonical_spelling(text, canonical):
    s = parse_scheme(text)
    assert str(s) == canonical
    assert parse_scheme(canonical) == s
    assert parse_scheme(s) == s


def test_scheme_is_a_hashable_record():
    s = parse_scheme("strum-dliq:L=16")
    assert s["L"] == 16 and s.get("nope", 3) == 3 and s.as_dict()["k"] == 4
    assert s.is_strum and not parse_scheme("nm").is_strum
    assert {s: 1}[parse_scheme("strum-dliq:k=4,L=16")] == 1


def test_keyword_overrides():
    assert parse_scheme("strum-dliq", L=16, k=2) == parse_scheme("strum-dliq:L=16,k=2")
    assert parse_scheme(Scheme("strum-mip2q", (("L", 4),)))["k"] == 4


def test_available_schemes_defaults_match_parsing():
    av = available_schemes()
    assert set(av) == {"int8", "int4", "strum-dliq", "strum-mip2q", "nm"}
    for name, info in av.items():
        assert info["description"]
        assert parse_scheme(name).as_dict() == info["defaults"]
        assert set(info["defaults"]) <= set(info["params"])


@pytest.mark.parametrize("text, words", [
    ("int3", ["int3", "int8", "strum-dliq", "nm"]),
    ("strum-dliq:X=3", ["'X'", "L", "shift_max"]),
    ("int8:L=8", ["'L'", "none"]),
    ("strum-dliq:L=8,k=9", ["k=9", "L=8"]),
    ("strum-dliq:L=1", ["L=1", "[2, 256]"]),
    ("strum-dliq:L=4.5", ["L='4.5'", "integer"]),
    ("strum-dliq:k=-1", ["k=-1"]),
    ("strum-mip2q:round=floor", ["round='floor'", "linear | log"]),
    ("strum-dliq:select=random", ["select='random'", "magnitude | fixed"]),
    ("strum-dliq:select=fixed,meta=mask", ["meta='mask'", "meta=none"]),
    ("strum-dliq:meta=none", ["meta='none'", "select=fixed"]),
    ("strum-dliq:shift=none,shift_max=3", ["shift_max=3", "shift=none"]),
    ("strum-dliq:shift_max=8", ["shift_max=8", "[0, 7]"]),
    ("strum-dliq:k=2,frac=0.5", ["k or frac"]),
    ("strum-dliq:frac=1.5", ["frac=1.5"]),
    ("strum-dliq:L=8,L=16", ["'L'", "twice"]),
    ("strum-dliq:k", ["'k'", "key=value"]),
    ("nm:N=5,M=4", ["N=5", "M=4"]),
    ("nm:M=1", ["M=1"]),
])
def test_bad_schemes_name_the_field(text, words):
    with pytest.raises(QuantError) as exc:
        parse_scheme(text)
    for w in words:
        assert w in str(exc.value)


def test_not_a_string():
    with pytest.raises(QuantError, match="scheme=3"):
        parse_scheme(3)


strum_params = st.fixed_dictionaries({
    "L": st.integers(2, 64),
    "kfrac": st.floats(0, 1),
    "select": st.sampled_from(["magnitude", "fixed"]),
    "meta": st.sampled_from(["mask", "index"]),
    "extra": st.one_of(st.tuples(st.just("shift_max"), st.integers(0, 7)),
                       st.tuples(st.just("round"), st.sampled_from(["linear", "log"]))),
})


@settings(max_examples=60, deadline=None)
@given(strum_params)
def test_round_trip(p):
    name = "strum-dliq" if p["extra"][0] == "shift_max" else "strum-mip2q"
    meta = "none" if p["select"] == "fixed" else p["meta"]
    k = int(p["kfrac"] * p["L"])
    text = f"{name}:L={p['L']},k={k},select={p['select']},meta={meta},{p['extra'][0]}={p['extra'][1]}"
    s = parse_scheme(text)
    assert parse_scheme(str(s)) == s
    assert str(parse_scheme(str(s))) == str(s)
    assert s["k"] == k and s["L"] == p["L"]
