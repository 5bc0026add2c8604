"""Area, composed bottom-up: PE -> PE array -> SRAM, DMA, PPU, control -> DPU -> accelerator.

Every level's records sum exactly to the unit of the record one level up. Two parts are
assumptions held fixed across PE variants (both table entries, overridable through
cfg.area_overrides): control / rest of the DPU is `dpu_control_fraction` of the INT8 DPU,
and the DPU is `accelerator_dpu_fraction` of an INT8 accelerator whose other IP (host
interface, DSPs, NoC) does not change.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from . import tech
from .errors import ConfigError
from .pe import pe_model

LEVELS = ("pe", "pe_array", "sram", "dma", "ppu", "dpu", "accelerator")
MIB = 2 ** 20


@dataclass(frozen=True)
class AreaRecord:
    level: str
    component: str
    count: float
    unit_um2: float
    area_um2: float
    provenance: str


def ppu_lane_parts(t: dict) -> dict[str, tuple[str, float]]:
    """One PPU lane (requantize, bias, activation) as {part: (table entry, count)}; [EST] composition."""
    return {"requant multiply 8x16 (2 x mul_8x8, width-product rule)": ("mul_8x8", 2.0),
            "bias / rounding add 32 b": ("add_acc32", 1.0),
            "requant shift": ("shift_8to16", 1.0),
            "lane registers (32 b in, 32 b out)": ("reg_bit", 64.0)}


def dma_channel_parts(cfg, t: dict) -> dict[str, tuple[str, float]]:
    """One DMA channel as {part: (table entry, count)}: burst FIFO, descriptor registers, address adders."""
    fifo_bits = t["dma_fifo_bursts"].value * cfg.dram.burst_bytes * 8
    return {"burst FIFO": ("reg_bit", fifo_bits),
            "descriptor registers": ("reg_bit", t["dma_descriptor_bits"].value),
            "address generators": ("add_acc32", t["dma_addr_adders"].value)}


def _parts_records(level: str, parts: dict, per: float, t: dict, note: str) -> list[AreaRecord]:
    out = []
    for name, (entry, n) in parts.items():
        e = t[entry]
        out.append(AreaRecord(level, name, n * per, e.area_um2, n * per * e.area_um2, f"{e.provenance}; {note}"))
    return out


def _hardware_records(cfg, t: dict) -> list[AreaRecord]:
    """Records of the levels pe .. ppu (everything but control, dpu and accelerator)."""
    recs = [AreaRecord("pe", c.name, c.count, c.unit_um2, c.area_um2, c.provenance)
            for c in pe_model(cfg).components]
    pe_area = sum(r.area_um2 for r in recs)
    recs.append(AreaRecord("pe_array", f"PE ({cfg.pe.variant})", cfg.pe.pes, pe_area, cfg.pe.pes * pe_area,
                           f"{cfg.pe.rows} x {cfg.pe.cols} PEs, sum of level 'pe'"))
    s = cfg.sram
    bank = s.bytes / s.banks
    dens = t["sram_mm2_per_MiB"]
    small = t["sram_small_bank_area_overhead"].value if bank < t["sram_small_bank_bytes"].value else 0.0
    bank_um2 = bank / MIB * dens.value * 1e6 * (1 + small)
    note = f" x (1 + {small:g}) small-bank periphery" if small else ""
    recs.append(AreaRecord("sram", f"SRAM bank ({bank / 1024:g} KiB)", s.banks, bank_um2, s.banks * bank_um2,
                           f"{bank / MIB:.4g} MiB x {dens.value:.3g} mm^2/MiB{note}: {dens.provenance}"))
    recs += _parts_records("dma", dma_channel_parts(cfg, t), cfg.dma.channels, t,
                           f"per channel x {cfg.dma.channels} channels; structure: [EST] assumption (hw/tables/common.yaml)")
    recs += _parts_records("ppu", ppu_lane_parts(t), cfg.ppu.ops_per_cycle, t,
                           f"per lane x {cfg.ppu.ops_per_cycle} lanes (ppu.ops_per_cycle); [EST] assumed lane composition")
    return recs


def _level_sums(recs: list[AreaRecord]) -> dict[str, float]:
    sums: dict[str, float] = {}
    for r in recs:
        sums[r.level] = sums.get(r.level, 0.0) + r.area_um2
    return sums


def area_breakdown(cfg, accelerator_dpu_fraction: float | None = None) -> list[AreaRecord]:
    """Records (level, component, count, unit_um2, area_um2, provenance) at every level.

    accelerator_dpu_fraction: share of the INT8 accelerator taken by the INT8 DPU; default
    the table entry of that name (an assumption; cfg.area_overrides may change it too).
    """
    t = tech.entries(cfg)
    recs = _hardware_records(cfg, t)
    sums = _level_sums(recs)
    if cfg.pe.variant == "int8":
        base = sums
    else:
        base = _level_sums(_hardware_records(cfg.replace(**{"pe.variant": "int8"}), t))
    base_hw = sum(base[k] for k in ("pe_array", "sram", "dma", "ppu"))
    cf = t["dpu_control_fraction"]
    if not 0 <= cf.value < 1:
        raise ConfigError(f"area_overrides['dpu_control_fraction']={cf.value!r}: allowed 0 <= value < 1")
    control = base_hw * cf.value / (1 - cf.value)
    for level in ("pe_array", "sram", "dma", "ppu"):
        recs.append(AreaRecord("dpu", level, 1, sums[level], sums[level], f"sum of level {level!r}"))
    recs.append(AreaRecord("dpu", "control / rest of DPU", 1, control, control,
                           f"{cf.value:g} of the INT8 DPU, held fixed across PE variants: {cf.provenance}"))
    dpu = sum(sums[k] for k in ("pe_array", "sram", "dma", "ppu")) + control
    af = t["accelerator_dpu_fraction"]
    x = af.value if accelerator_dpu_fraction is None else accelerator_dpu_fraction
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not 0 < x <= 1:
        raise ConfigError(f"accelerator_dpu_fraction={x!r}: allowed 0 < value <= 1")
    base_dpu = base_hw + control
    rest = base_dpu * (1 - x) / x
    prov = af.provenance if accelerator_dpu_fraction is None else "given as accelerator_dpu_fraction argument"
    recs.append(AreaRecord("accelerator", "DPU", 1, dpu, dpu, "sum of level 'dpu'"))
    recs.append(AreaRecord("accelerator", "rest of accelerator (host interface, DSPs, NoC, other IP)", 1, rest,
                           rest, f"INT8 DPU x (1 - {x:g}) / {x:g}, held fixed across PE variants: {prov}"))
    return recs


def area_summary(cfg, accelerator_dpu_fraction: float | None = None) -> dict[str, float]:
    """Total um^2 per level (pe, pe_array, sram, dma, ppu, dpu, accelerator), plus
    pe_datapath (the PE without its RFs, bitmaps and masks) and control."""
    recs = area_breakdown(cfg, accelerator_dpu_fraction)
    sums = _level_sums(recs)
    out = {level: sums[level] for level in LEVELS}
    out["pe_datapath"] = pe_model(cfg).datapath_area_um2()
    out["control"] = next(r.area_um2 for r in recs if r.level == "dpu" and r.component.startswith("control"))
    return out


def _label(cfg) -> str:
    pe = cfg.pe
    if pe.variant == "strum-static":
        return f"{cfg.name}/{pe.variant}:hp={pe.hp_lanes}/{pe.lanes},{pe.low_lane_kind}"
    return f"{cfg.name}/{pe.variant}"


def compare_area(cfgs, accelerator_dpu_fraction: float | None = None) -> list[dict]:
    """Per-level area of each config vs the first (the baseline).

    cfgs: a sequence of DPUConfigs or a {label: DPUConfig} mapping. Rows: config, level,
    area_um2, baseline_um2, change_um2, change_pct.
    """
    items = list(cfgs.items()) if isinstance(cfgs, dict) else [(_label(c), c) for c in cfgs]
    if not items:
        raise ConfigError("cfgs=[]: give at least one config (the first is the baseline)")
    seen: dict[str, int] = {}
    labelled = []
    for label, c in items:
        seen[label] = seen.get(label, 0) + 1
        labelled.append((label if seen[label] == 1 else f"{label}#{seen[label]}", c))
    summaries = [(label, area_summary(c, accelerator_dpu_fraction)) for label, c in labelled]
    base = summaries[0][1]
    rows = []
    for label, summ in summaries:
        for level in ("pe_datapath",) + LEVELS:
            a, b = summ[level], base[level]
            rows.append({"config": label, "level": level, "area_um2": a, "baseline_um2": b,
                         "change_um2": a - b, "change_pct": 100.0 * (a - b) / b if b else 0.0})
    return rows


def records_as_dicts(records: list[AreaRecord]) -> list[dict]:
    """Plain dicts of area records, e.g. for pandas.DataFrame(...)."""
    return [asdict(r) for r in records]
