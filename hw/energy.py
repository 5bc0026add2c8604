"""The energy table: pJ per unit of every (component, action) the ledger counts, with provenance.

Entries are composed from the component tables (hw/tables, via hw.tech) at
cfg.tech_node_nm with cfg.energy_overrides applied. Leakage appears twice: as mW per
component (`leakage_mw()`) and as pJ per DPU cycle under the action "leakage", so that the
ledger's leakage rows (count = cycles) price like every other row.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from . import tech
from .area import area_summary, ppu_lane_parts
from .errors import ConfigError
from .pe import OP_KINDS, pe_model, rf_byte_energy_pj

SRAM_REF_BYTES = 32 * 1024  # the 32 KiB anchor of the SRAM formula
SRAM_REF_BITS = 64  # the 64-bit access of the SRAM formula
#: hwcomponents-cacti width rule (energy.md s1.2): energy x (0.3 + 0.7 W / 64)
SRAM_WIDTH_FIXED, SRAM_WIDTH_PROP = 0.3, 0.7


@dataclass(frozen=True)
class EnergyEntry:
    component: str
    action: str
    unit: str
    energy_pj: float
    provenance: str


@dataclass(frozen=True)
class EnergyTable:
    """pJ per unit of each (component, action), and leakage mW per component."""
    node_nm: float
    clock_ghz: float
    entries: dict = field(hash=False)  # (component, action) -> EnergyEntry
    leakage: dict = field(hash=False)  # component -> (mW, provenance)

    def pj(self, component: str, action: str) -> float:
        """pJ per unit of `action` on `component` (leakage: pJ per DPU cycle)."""
        try:
            return self.entries[(component, action)].energy_pj
        except KeyError:
            allowed = ", ".join(f"{c}.{a}" for c, a in self.entries)
            raise ConfigError(f"energy table entry {component}.{action}: unknown; allowed: {allowed}") from None

    __call__ = pj

    def __getitem__(self, key: tuple[str, str]) -> float:
        return self.pj(*key)

    def leakage_mw(self) -> dict[str, float]:
        """Leakage power per ledger component, mW."""
        return {c: mw for c, (mw, _) in self.leakage.items()}

    def records(self) -> list[dict]:
        """One row per entry: component, action, unit, energy_pj, provenance."""
        return [{"component": e.component, "action": e.action, "unit": e.unit, "energy_pj": e.energy_pj,
                 "provenance": e.provenance} for e in self.entries.values()]

    def as_frame(self):
        """records() as a pandas DataFrame."""
        import pandas as pd
        return pd.DataFrame(self.records(), columns=["component", "action", "unit", "energy_pj", "provenance"])


def sram_access_pj(t: dict, macro_bytes: float, width_bits: float) -> float:
    """E = E32K * sqrt(S / 32 KiB) * (0.3 + 0.7 W / 64): one W-bit read of an S-byte macro."""
    return (t["sram_read_64b_32KiB"].energy_pj * math.sqrt(macro_bytes / SRAM_REF_BYTES)
            * (SRAM_WIDTH_FIXED + SRAM_WIDTH_PROP * width_bits / SRAM_REF_BITS))


def _parts_pj(parts: dict[str, float]) -> str:
    return " + ".join(f"{k} {v:.4g}" for k, v in parts.items())


def energy_table(cfg) -> EnergyTable:
    """The ledger's energy table for `cfg` (node, PE variant, SRAM geometry, DRAM type, overrides)."""
    t = tech.entries(cfg)
    pe = pe_model(cfg)
    rows: list[EnergyEntry] = []

    def put(component, action, unit, pj, provenance):
        rows.append(EnergyEntry(component, action, unit, float(pj), provenance))

    variant = f"{cfg.pe.variant} PE" + (f", {cfg.pe.low_lane_kind} low lanes" if cfg.pe.variant == "strum-static" else "")
    for kind in OP_KINDS:
        put("pe_array", kind, "lane op", pe.op_energy_pj(kind),
            f"hw.pe ({variant}): {_parts_pj(pe.op_parts[kind])} pJ; entries: mul_8x8/mul_8x4/shift_8to16/reg_bit/mux2_bit")
    put("pe_array", "acc", "lane op", pe.acc_energy_pj(),
        f"hw.pe ({cfg.pe.lane_mode}): {_parts_pj(pe.acc_parts)} pJ; entries: add_16, add_acc24/32, reg_bit")
    rf_read, rf_write, rf_prov = rf_byte_energy_pj(cfg, t)
    put("pe_array", "rf_read", "byte", rf_read, rf_prov)
    put("pe_array", "rf_write", "byte", rf_write, rf_prov)

    s = cfg.sram
    macro = s.bytes / s.banks
    width_bits = max(8.0, 8 * s.bytes_per_cycle / s.banks)
    read = sram_access_pj(t, macro, width_bits) / (width_bits / 8)
    wf = t["sram_write_factor"]
    sram_prov = (f"per-access formula at a {macro / 1024:g} KiB bank, {width_bits:g}-bit port "
                 f"(sram.bytes/banks, 8 x bytes_per_cycle/banks), / bytes per access: "
                 f"{t['sram_read_64b_32KiB'].provenance}")
    put("sram", "read", "byte", read, sram_prov)
    put("sram", "write", "byte", read * wf.value, f"read x sram_write_factor {wf.value:g}: {wf.provenance}")

    areas = area_summary(cfg)
    route_mm = t["dma_route_factor"].value * math.sqrt(areas["dpu"] / 1e6)
    wire = t["wire_pj_per_bit_mm"]
    fifo = 2 * 8 * t["reg_bit"].energy_pj
    put("dma", "transfer", "byte", 8 * wire.energy_pj * route_mm + fifo,
        f"8 b x {wire.energy_pj:g} pJ/bit/mm x {route_mm:.3g} mm (dma_route_factor x sqrt(DPU area)) "
        f"+ FIFO write and read 16 x reg_bit; {wire.provenance}; {t['dma_route_factor'].provenance}")

    d = t[f"dram_{cfg.dram.type}"]
    put("dram", "read", "byte", 8 * d.energy_pj, f"8 x {d.energy_pj:g} pJ/bit ({cfg.dram.type}): {d.provenance}")
    put("dram", "write", "byte", 8 * d.energy_pj,
        f"8 x {d.energy_pj:g} pJ/bit ({cfg.dram.type}), writes priced as reads (no separate figure): {d.provenance}")

    ppu = ppu_lane_parts(t)
    put("ppu", "op", "element op", sum(n * t[entry].energy_pj for entry, n in ppu.values()),
        "one PPU lane op: " + ", ".join(f"{name} ({n:g} x {t[entry].energy_pj:.4g} pJ)"
                                        for name, (entry, n) in ppu.items())
        + "; [EST] assumed composition of table entries")

    density = t["logic_leakage_nw_per_um2"]
    leak = {
        "pe_array": (pe.leakage_mw() * cfg.pe.pes,
                     f"PE area x {cfg.pe.pes} PEs x {density.value:.3g} nW/um^2: {density.provenance}"),
        "sram": (t["sram_leakage_mw_per_32KiB"].value * s.bytes / SRAM_REF_BYTES,
                 f"{s.bytes / SRAM_REF_BYTES:g} x 32 KiB: {t['sram_leakage_mw_per_32KiB'].provenance}"),
        "dma": (areas["dma"] * density.value * 1e-6,
                f"DMA area x {density.value:.3g} nW/um^2: {density.provenance}"),
        "ppu": (areas["ppu"] * density.value * 1e-6,
                f"PPU area x {density.value:.3g} nW/um^2: {density.provenance}"),
    }
    for comp, (mw, prov) in leak.items():
        put(comp, "leakage", "cycle", mw / cfg.clock_ghz,
            f"{mw:.4g} mW / {cfg.clock_ghz:g} GHz (1 mW at 1 GHz = 1 pJ per cycle); {prov}")
    return EnergyTable(node_nm=cfg.tech_node_nm, clock_ghz=cfg.clock_ghz,
                       entries={(r.component, r.action): r for r in rows}, leakage=leak)


def leakage_mw(cfg) -> dict[str, float]:
    """Leakage power per ledger component (pe_array, sram, dma, ppu), mW."""
    return energy_table(cfg).leakage_mw()
