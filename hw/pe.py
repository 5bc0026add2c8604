"""PE micro-architectures as data: the components of one PE, composed bottom-up.

A FlexNN-style vector PE has `lanes` MAC lanes, IF / FL / PSum register files, sparsity
bitmaps with per-lane address generation (CAG), an adder tree for VxV and per-lane
accumulators for MxM. The variants (cfg.pe.variant) change the lanes:

- int8: every lane an 8x8 multiplier.
- strum-static: hp_lanes lanes keep 8x8; the others are 8x4 multiplier + barrel shifter
  (DLIQ, low_lane_kind "mul8x4") or a shifter only (MIP2Q, "shift"); low lanes' FL RF
  sub-banks are 4 bits wide; a precision mask per FL entry and an order-preserving
  activation routing network send each weight of a block to a lane of its kind. With
  dliq_shift "block", DLIQ low lanes drop their shifters: their products are summed by a
  sub-tree of the VxV adder tree and shifted once per block by one shared, wider shifter.
- strum-dynamic: full 8x8 lanes, plus a shifter and mode select per lane; low-precision
  ops gate the unused half of the multiplier.
- packed: 8x8 multipliers that split into two 8x4 products, so low-precision work runs at
  twice the rate; each lane gets two shifters, a combine adder and a second activation port.

Energy of one lane op = the executing unit + operand register writes (+ routing) — the
ledger's pe_array.<kind> — plus the accumulation share — the ledger's pe_array.acc.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from quant.records import MIX_KINDS  # the multiply kinds of a weight: mul8x8, mul8x4, shift, skip

from . import tech
from .errors import ConfigError

OP_KINDS = ("mul8x8", "mul8x4", "shift")


@dataclass(frozen=True)
class PEComponent:
    """`count` instances of a table entry inside one PE (bits, for register-like entries)."""
    name: str
    entry: str
    count: float
    unit_um2: float
    energy_pj: float
    group: str  # "datapath" (lanes, adders, routing) or "storage" (RFs, bitmaps, masks)
    provenance: str

    @property
    def area_um2(self) -> float:
        return self.count * self.unit_um2


@dataclass(frozen=True)
class PEModel:
    """One PE: its components, the energy of each lane op, and its throughput rules."""
    variant: str
    lanes: int
    hp_lanes: int  # lanes with a full 8x8 multiplier
    low_lane_kind: str | None  # strum-static only: "mul8x4" (DLIQ) or "shift" (MIP2Q)
    lane_mode: str
    components: tuple[PEComponent, ...]
    op_parts: dict = field(hash=False)  # kind -> {part: pJ}, lane datapath energy without accumulation
    acc_parts: dict = field(hash=False)  # {part: pJ}, accumulation share of one lane op
    leakage_nw_per_um2: float
    scan_cap: float  # weights per cycle the zero-skip scan can consume (caps skip-heavy mixes)
    rf_read_byte_pj: float  # one RF byte read, for energy_per_mac(include_rf=True)
    dliq_shift: str = "lane"  # strum-static DLIQ: a shifter per low lane, or one shared per block
    block_length: int = 8  # StruM block length L the PE is built for (sizes the block exponents)

    def area_um2(self) -> float:
        return sum(c.area_um2 for c in self.components)

    def datapath_area_um2(self) -> float:
        return sum(c.area_um2 for c in self.components if c.group == "datapath")

    def breakdown(self) -> list[dict]:
        """One row per component: name, entry, group, count, unit_um2, area_um2, energy_pj, provenance."""
        return [{"component": c.name, "entry": c.entry, "group": c.group, "count": c.count,
                 "unit_um2": c.unit_um2, "area_um2": c.area_um2, "energy_pj": c.energy_pj,
                 "provenance": c.provenance} for c in self.components]

    def op_energy_pj(self, kind: str) -> float:
        """Datapath energy of one lane op of `kind` without accumulation (ledger pe_array.<kind>)."""
        _check_kind(kind, OP_KINDS)
        return sum(self.op_parts[kind].values())

    def acc_energy_pj(self) -> float:
        """Accumulation energy per lane op: adder tree + accumulator share (ledger pe_array.acc)."""
        return sum(self.acc_parts.values())

    def energy_parts(self, kind: str) -> dict[str, float]:
        """The pieces of energy_per_lane_op(kind), by name."""
        _check_kind(kind, MIX_KINDS)
        if kind == "skip":
            return {}
        return {**self.op_parts[kind], **self.acc_parts}

    def energy_per_lane_op(self, kind: str) -> float:
        """pJ of one lane op incl. accumulation and operand register writes; skipped ops are free."""
        return sum(self.energy_parts(kind).values())

    def _cycles_per_weight(self, f: dict[str, float]) -> float:
        """Cycles one PE spends per weight of the mix (fractions over MIX_KINDS)."""
        f8, f4, fs = f["mul8x8"], f["mul8x4"], f["shift"]
        if self.variant == "packed":
            c = (f8 + (f4 + fs) / 2) / self.lanes
        elif self.variant != "strum-static" or self.hp_lanes == self.lanes:
            c = (f8 + f4 + fs) / self.lanes
        else:
            hp_ops = sum(f[k] for k in OP_KINDS if not self.runs_on_low_lane(k))
            low_ops = f8 + f4 + fs - hp_ops
            if hp_ops > 0 and self.hp_lanes == 0:
                raise ConfigError(f"pe.hp_lanes=0: a strum-static PE with {self.low_lane_kind!r} low lanes cannot "
                                  f"run this mix ({hp_ops:.3g} of the weights need an 8x8 lane); "
                                  f"allowed: hp_lanes >= 1")
            c = max(hp_ops / self.hp_lanes if self.hp_lanes else 0.0,
                    low_ops / (self.lanes - self.hp_lanes))
        return max(c, 1 / self.scan_cap)

    def runs_on_low_lane(self, kind: str) -> bool:
        """Whether a strum-static low lane executes `kind`; anything else runs, expanded to
        INT8 by the load unit, on an 8x8 lane."""
        return _Shape(self.variant, self.lanes, self.hp_lanes, self.low_lane_kind, self.dliq_shift,
                      self.block_length).on_low_lane(kind)

    def lane_ops_per_cycle(self, mix: dict[str, float]) -> float:
        """Weights of `mix` (counts or fractions by kind) retired per cycle by one PE.

        int8 / strum-dynamic: `lanes`. strum-static: per weight, cycles = max(8x8-lane weights
        / hp_lanes, low-lane weights / low lanes); each weight runs on a lane of its kind (low
        lanes cannot run 8x8 weights; hp lanes are not given low weights). packed:
        lanes / (f8x8 + (f8x4 + f_shift) / 2). Skipped (zero) weights take no lane (FlexNN's
        zero-skipping), up to `scan_cap` weights per cycle.
        """
        return 1.0 / self._cycles_per_weight(_fractions(mix))

    def energy_per_mac(self, mix: dict[str, float], include_rf: bool = True) -> float:
        """Mean pJ per weight of `mix` (skips free), plus with include_rf the RF reads of the
        activation, the weight (4 bits for low weights in StruM PEs) and the precision mask bit."""
        f = _fractions(mix)
        e = sum(f[k] * self.energy_per_lane_op(k) for k in OP_KINDS)
        if include_rf:
            mask = 1 / 8 if self.variant != "int8" else 0.0
            e += self.rf_read_byte_pj * sum(f[k] * (1 + _weight_bits(self.variant, k) / 8 + mask) for k in OP_KINDS)
        return e

    def leakage_mw(self) -> float:
        """Leakage of one PE: its area x the node's logic leakage density."""
        return self.area_um2() * self.leakage_nw_per_um2 * 1e-6


def _check_kind(kind: str, allowed: tuple) -> None:
    if kind not in allowed:
        raise ConfigError(f"kind={kind!r}: allowed values are {', '.join(allowed)}")


def _fractions(mix: dict[str, float]) -> dict[str, float]:
    """Normalise a mix of counts or fractions to fractions over MIX_KINDS."""
    unknown = set(mix) - set(MIX_KINDS)
    if unknown:
        raise ConfigError(f"mix[{sorted(unknown)[0]!r}]: unknown multiply kind; allowed: {', '.join(MIX_KINDS)}")
    if any(v < 0 for v in mix.values()):
        raise ConfigError(f"mix={mix!r}: counts must be non-negative")
    total = float(sum(mix.values()))
    if total <= 0:
        raise ConfigError(f"mix={mix!r}: must contain at least one weight; allowed keys: {', '.join(MIX_KINDS)}")
    return {k: mix.get(k, 0) / total for k in MIX_KINDS}


def _weight_bits(variant: str, kind: str) -> int:
    """Bits of a weight as written to the operand register: StruM PEs keep low weights at 4."""
    return 8 if variant == "int8" or kind == "mul8x8" else 4


def rf_byte_energy_pj(cfg, t: dict) -> tuple[float, float, str]:
    """(read, write) pJ per RF byte and provenance: flip-flop RFs use the register row, larger
    RFs the SRAM formula at the largest RF's size with 64-bit accesses."""
    size = max(cfg.rf.ifmap_bytes, cfg.rf.weight_bytes, cfg.rf.psum_bytes)
    if size <= t["rf_flop_max_bytes"].value:
        e = 8 * t["reg_bit"].energy_pj
        return e, e, f"8 x reg_bit (flip-flop RF <= {t['rf_flop_max_bytes'].value:g} B): {t['reg_bit'].provenance}"
    e64 = t["sram_read_64b_32KiB"].energy_pj * math.sqrt(size / 32768)
    wf = t["sram_write_factor"].value
    return e64 / 8, wf * e64 / 8, (f"SRAM formula at {size} B, 64-bit access / 8: "
                                   f"{t['sram_read_64b_32KiB'].provenance}")


def _rf_area(name: str, bits: float, cfg, t: dict) -> PEComponent:
    """A register file of `bits` bits: flip-flops, or SRAM density above rf_flop_max_bytes."""
    max_rf = max(cfg.rf.ifmap_bytes, cfg.rf.weight_bytes, cfg.rf.psum_bytes)
    if max_rf <= t["rf_flop_max_bytes"].value:
        r = t["reg_bit"]
        return PEComponent(name, "reg_bit", bits, r.area_um2, r.energy_pj, "storage", r.provenance)
    s = t["sram_mm2_per_MiB"]
    per_bit = s.value * 1e6 / (8 * 2 ** 20)
    return PEComponent(name, "sram_mm2_per_MiB", bits, per_bit, 0.0, "storage",
                       f"scratchpad RF at SRAM density: {s.provenance}")


def _acc_unit(bits: int, t: dict) -> tuple[str, float, float, str]:
    """(entry, pJ, um^2, provenance) of an accumulator adder of `bits`, linear in width from acc24/acc32."""
    ref, name = (24, "add_acc24") if bits <= 24 else (32, "add_acc32")
    e = t[name]
    k = bits / ref
    note = "" if k == 1 else f"; x {bits}/{ref} (adder cost linear in width, Aladdin rule)"
    return name, e.energy_pj * k, e.area_um2 * k, e.provenance + note


@dataclass(frozen=True)
class _Shape:
    """The lane organisation of a variant: what pe_model() composes."""
    variant: str
    lanes: int
    hp: int  # lanes with a full 8x8 multiplier
    low_kind: str | None
    dliq_shift: str = "lane"
    block_length: int = 8

    @property
    def low(self) -> int:
        return self.lanes - self.hp

    @property
    def block_shift(self) -> bool:
        """strum-static DLIQ with one shifter per block shared by the low lanes."""
        return self.variant == "strum-static" and self.low > 0 and self.low_kind == "mul8x4" \
            and self.dliq_shift == "block"

    @property
    def shared_shifters(self) -> int:
        """Shared block shifters: one per block a cycle's `lanes` weights touch, at most one per low lane."""
        return min(self.low, math.ceil(self.lanes / self.block_length))

    @property
    def shared_shifter_bits(self) -> int:
        """Output width of a shared shifter: the sum of the low lanes' 8x4 products (12 b +
        log2 of the lanes it serves) widened by the DLIQ shift range (4 b: quant shift_max 4)."""
        per = math.ceil(self.low / self.shared_shifters)
        return 12 + math.ceil(math.log2(per)) + 4

    def on_low_lane(self, kind: str) -> bool:
        """strum-static low lanes run shift weights, and 8x4 weights if they have an 8x4 multiplier.
        With a block-shared shifter a low lane has no shifter of its own, so MIP2Q shift weights
        (one exponent per weight) are expanded to INT8 and run on an 8x8 lane."""
        if self.block_shift and kind == "shift":
            return False
        return self.variant == "strum-static" and self.low > 0 and (
            kind == "shift" or (kind == "mul8x4" and self.low_kind == "mul8x4"))


def pe_model(cfg) -> PEModel:
    """The PE of cfg.pe.variant at cfg.tech_node_nm, with the config's table overrides."""
    t = tech.entries(cfg)
    pe = cfg.pe
    static = pe.variant == "strum-static"
    shape = _Shape(pe.variant, pe.lanes, pe.hp_lanes if static else pe.lanes, pe.low_lane_kind if static else None,
                   pe.dliq_shift, pe.block_length)
    acc_name, acc_e, acc_a, acc_prov = _acc_unit(pe.accumulator_bits, t)
    comps = _storage(cfg, shape, t) + _datapath(cfg, shape, t)
    comps.append(PEComponent(f"accumulator adder ({pe.accumulator_bits} b, MxM)", acc_name, float(pe.lanes), acc_a,
                             acc_e, "datapath", acc_prov))
    reg, add16 = t["reg_bit"].energy_pj, t["add_16"].energy_pj
    acc_reg = pe.accumulator_bits * reg
    if pe.lane_mode == "vxv":
        n = pe.lanes
        acc_parts = {"adder tree": (n - 1) / n * add16, "accumulator add": acc_e / n,
                     "accumulator register": acc_reg / n}
    else:
        acc_parts = {"accumulator add": acc_e, "accumulator register": acc_reg}
    peak = 2 * pe.lanes if shape.variant == "packed" else pe.lanes
    return PEModel(variant=shape.variant, lanes=pe.lanes, hp_lanes=shape.hp, low_lane_kind=shape.low_kind,
                   lane_mode=pe.lane_mode, components=tuple(comps), op_parts=_op_parts(shape, t),
                   acc_parts=acc_parts, leakage_nw_per_um2=t["logic_leakage_nw_per_um2"].value,
                   scan_cap=float(max(cfg.rf.weight_bytes, peak)), rf_read_byte_pj=rf_byte_energy_pj(cfg, t)[0],
                   dliq_shift=pe.dliq_shift, block_length=pe.block_length)


def _adder(t: dict):
    """A function adding `count` instances of a table entry to a component list."""
    def add(comps, name, entry, count, group="datapath", note=""):
        if count > 0:
            e = t[entry]
            prov = e.provenance + (f"; {note}" if note else "")
            comps.append(PEComponent(name, entry, float(count), e.area_um2, e.energy_pj, group, prov))
    return add


def _storage(cfg, sh: _Shape, t: dict) -> list[PEComponent]:
    """RFs, sparsity bitmaps and StruM metadata."""
    rf, add, comps = cfg.rf, _adder(t), []
    static_low = sh.variant == "strum-static" and sh.low > 0
    fl_bits = rf.weight_bytes * 8 * ((sh.hp + sh.low / 2) / sh.lanes if static_low else 1)
    comps.append(_rf_area("IF RF", rf.ifmap_bytes * 8, cfg, t))
    comps.append(_rf_area("FL RF" + (" (low-lane sub-banks 4 b wide)" if static_low else ""), fl_bits, cfg, t))
    comps.append(_rf_area("PSum RF (accumulator storage)", rf.psum_bytes * 8, cfg, t))
    add(comps, "sparsity bitmaps (1 b per IF and FL entry)", "reg_bit", rf.ifmap_bytes + rf.weight_bytes,
        "storage", "FlexNN IF/FL SP BMP RF (strum_flexnn.md s5)")
    if sh.variant != "int8":
        add(comps, "StruM precision mask (1 b per FL entry)", "reg_bit", rf.weight_bytes, "storage",
            "strum_flexnn.md s3 L-bit mask per block")
    if sh.variant in ("strum-dynamic", "packed") or (static_low and sh.low_kind == "mul8x4"):
        x = t["strum_block_exponent_bits"]
        blocks = math.ceil(rf.weight_bytes / sh.block_length)
        add(comps, "DLIQ block exponents", "reg_bit", x.value * blocks, "storage",
            f"{x.value:g} b per block of L = pe.block_length = {sh.block_length} FL entries, "
            f"ceil({rf.weight_bytes}/{sh.block_length}) = {blocks} blocks in the FL RF: {x.provenance}")
    return comps


def _datapath(cfg, sh: _Shape, t: dict) -> list[PEComponent]:
    """Lanes, routing, selects and the adder tree (the accumulators are added by pe_model)."""
    add, comps, n = _adder(t), [], sh.lanes
    cag = t["pe_cag_add8_per_lane"]
    add(comps, "CAG address generation", "add_8", cag.value * n, note=f"{cag.value:g} per lane: {cag.provenance}")
    add(comps, "activation operand registers", "reg_bit", (16 if sh.variant == "packed" else 8) * n)
    add(comps, "weight operand registers (8 b)", "reg_bit", 8 * sh.hp)
    add(comps, "weight operand registers (4 b, low lanes)", "reg_bit", 4 * sh.low)
    add(comps, "mul_8x8" + (" (splittable)" if sh.variant == "packed" else ""), "mul_8x8", sh.hp)
    if sh.low_kind == "mul8x4":
        add(comps, "mul_8x4 (low lanes)", "mul_8x4", sh.low)
    if sh.block_shift:
        s, w = t["shift_8to16"], sh.shared_shifter_bits
        comps.append(PEComponent(f"shared block shifter ({w} b out, DLIQ exponent)", "shift_8to16",
                                 float(sh.shared_shifters), s.area_um2 * w / 16, s.energy_pj * w / 16, "datapath",
                                 f"{s.provenance}; x {w}/16 output bits (width-linear, [EST] Aladdin adder rule "
                                 f"applied to the shifter); one per block in a cycle (pe.dliq_shift = block)"))
    else:
        add(comps, "barrel shifter (low lanes)", "shift_8to16", sh.low)
    if sh.variant == "strum-static" and sh.hp and sh.low:
        # order-preserving compaction: the j-th 8x8 weight of a group of `lanes` sits at position
        # j..j+low, the j-th low weight at j..j+hp: (low+1):1 muxes on hp lanes, (hp+1):1 on low lanes
        add(comps, "activation routing ((low+1):1 / (hp+1):1 x 8 b)", "mux2_bit", 8 * 2 * sh.hp * sh.low)
    if sh.variant == "strum-dynamic":
        add(comps, "barrel shifter (DLIQ exponent / MIP2Q)", "shift_8to16", n)
        add(comps, "mode select + operand isolation (20 b per lane)", "mux2_bit", 20 * n)
    if sh.variant == "packed":
        add(comps, "barrel shifters (one per 8x4 half)", "shift_8to16", 2 * n)
        add(comps, "split select (16 b per lane)", "mux2_bit", 16 * n)
        add(comps, "half-product combine adder", "add_16", n)
        sub = max(1, cfg.rf.ifmap_bytes // n)
        add(comps, "second IF read port", "mux2_bit", (sub - 1) * 8 * n, note=f"{sub}:1 x 8 b per lane")
        add(comps, "activation crossbar (2 slots x lanes:1 x 8 b)", "mux2_bit", 2 * n * (n - 1) * 8)
    add(comps, "adder tree (VxV)", "add_16", n - 1)
    return comps


def _op_parts(sh: _Shape, t: dict) -> dict[str, dict[str, float]]:
    """Datapath energy of one lane op by kind, without accumulation: unit + operand registers + routing."""
    e = {k: t[k].energy_pj for k in ("mul_8x8", "mul_8x4", "shift_8to16", "add_16", "reg_bit", "mux2_bit")}
    units = _unit_energy(sh.variant, sh.low_kind, e)
    if sh.block_shift:
        # the shared shifter fires once per cycle per block: each of the low lanes it serves pays 1/n
        n = math.ceil(sh.low / sh.shared_shifters)
        shared = e["shift_8to16"] * sh.shared_shifter_bits / 16 / n
        units["mul8x4"] = {"mul_8x4": e["mul_8x4"], "shared block shifter (share)": shared}
    out = {}
    for kind in OP_KINDS:
        expanded = sh.variant == "strum-static" and kind != "mul8x8" and not sh.on_low_lane(kind)
        unit = units["mul8x8"] if expanded else units[kind]
        wbits = 8 if expanded else _weight_bits(sh.variant, kind)
        parts = {**unit, "operand registers": (8 + wbits) * e["reg_bit"]}
        if sh.variant == "strum-static" and sh.hp and sh.low:
            ways = (sh.hp if sh.on_low_lane(kind) else sh.low) + 1
            parts["activation routing"] = e["mux2_bit"] * 8 * math.ceil(math.log2(ways))
        elif sh.variant == "packed" and sh.lanes > 1:
            parts["activation crossbar"] = e["mux2_bit"] * 8 * math.ceil(math.log2(sh.lanes))
        out[kind] = parts
    return out


def _unit_energy(variant: str, low_kind: str | None, e: dict) -> dict[str, dict[str, float]]:
    """Energy of the unit that executes each op kind (multiplier / shifter / selects)."""
    m8, m4, sh = e["mul_8x8"], e["mul_8x4"], e["shift_8to16"]
    if variant == "int8":
        # 4-bit and power-of-two weights run as INT8 values on the 8x8 multiplier
        return {k: {"mul_8x8": m8} for k in OP_KINDS}
    if variant == "strum-static":
        low = {"mul_8x4": m4, "shift_8to16": sh} if low_kind == "mul8x4" else {"shift_8to16": sh}
        return {"mul8x8": {"mul_8x8": m8}, "mul8x4": dict(low), "shift": dict(low)}
    if variant == "strum-dynamic":
        sel = {"mode select": 16 * e["mux2_bit"]}
        return {"mul8x8": {"mul_8x8": m8, **sel},
                "mul8x4": {"mul_8x4 (gated 8x8)": m4, "shift_8to16": sh, **sel},
                "shift": {"shift_8to16": sh, **sel}}
    sel = {"split select": 16 * e["mux2_bit"]}
    half = {"half-product combine": e["add_16"] / 2}
    return {"mul8x8": {"mul_8x8": m8, **sel},
            "mul8x4": {"mul_8x4 (half array)": m4, "shift_8to16": sh, **half, **sel},
            "shift": {"shift_8to16": sh, **half, **sel}}
