"""The event ledger every actor writes to: counts per (layer, component, action) and timeline spans."""
from __future__ import annotations

from collections import defaultdict


class Ledger:
    """Accumulates action counts and trace spans; energy is applied once at the end (count x table)."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str, str], float] = defaultdict(float)
        self.spans: list[tuple[str, str, str, float, float]] = []

    def add(self, layer: str, component: str, action: str, count: float) -> None:
        if count:
            self.counts[(layer, component, action)] += count

    def add_rows(self, layer: str, rows) -> None:
        """add() for each (component, action, count) of `rows`: one call for a descriptor's or a layer's rows."""
        counts = self.counts
        for component, action, count in rows:
            if count:
                counts[(layer, component, action)] += count

    def span(self, component: str, layer: str, name: str, start: float, end: float) -> None:
        self.spans.append((component, layer, name, start, end))

    def energy_records(self, pj_per_unit) -> list[tuple[str, str, str, float, float]]:
        """(layer, component, action, count, energy_pj) rows in insertion order."""
        return [(layer, comp, action, count, count * pj_per_unit(comp, action))
                for (layer, comp, action), count in self.counts.items()]
