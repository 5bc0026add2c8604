"""hw.actors' lean FifoResource / FifoStore / TokenPool trace exactly like SimPy's own classes."""
import pytest

from lean_equivalence import Lean, Stock, run, scenario


@pytest.mark.parametrize("seed", range(0, 400, 4))
def test_random_programs_trace_identically(seed):
    spec = scenario(seed)
    assert run(spec, Lean) == run(spec, Stock)
