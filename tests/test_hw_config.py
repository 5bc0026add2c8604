"""hw.config validation: non-finite numbers, non-mapping YAML files, hp_lanes only where it is
used, and dotted keys into the override tables. Every error names the field and the value."""
import math

import pytest

from hw.area import area_summary
from hw.config import DPUConfig, from_dict, load_config
from hw.energy import energy_table
from hw.errors import ConfigError
from hw.tech import entries


@pytest.mark.parametrize("field, value", [
    ("pe.rows", math.nan), ("pe.rows", math.inf), ("pe.lanes", -math.inf),
    ("clock_ghz", math.nan), ("clock_ghz", math.inf), ("tech_node_nm", math.nan),
    ("dram.bytes_per_cycle", math.nan), ("dram.bytes_per_cycle", math.inf),
    ("dma.setup_cycles", math.nan),
])
def test_non_finite_numbers_are_config_errors(field, value):
    with pytest.raises(ConfigError) as e:
        load_config("flexnn", **{field: value})
    msg = str(e.value)
    assert f"{field}={value!r}" in msg and "must be a finite number" in msg


def test_non_finite_in_a_mapping_and_in_overrides():
    with pytest.raises(ConfigError, match=r"dram\.bytes_per_cycle=nan: must be a finite number"):
        from_dict({"dram": {"bytes_per_cycle": float("nan")}})
    with pytest.raises(ConfigError, match=r"energy_overrides\['mul_8x8'\]=inf: must be a finite"):
        load_config("flexnn", **{"energy_overrides.mul_8x8": math.inf})
    with pytest.raises(ConfigError, match=r"area_overrides\['mul_8x8'\]=nan"):
        load_config("flexnn", area_overrides={"mul_8x8": math.nan})


def test_huge_int_is_a_config_error_not_an_overflow():
    with pytest.raises(ConfigError, match=r"clock_ghz=10{400}: must be a finite number"):
        load_config("flexnn", clock_ghz=10 ** 400)


def test_finite_and_whole_float_values_still_work():
    cfg = load_config("flexnn", **{"pe.rows": 1000.0, "dram.bytes_per_cycle": 1e-9})
    assert cfg.pe.rows == 1000 and isinstance(cfg.pe.rows, int)
    assert cfg.dram.bytes_per_cycle == 1e-9
    with pytest.raises(ConfigError, match=r"pe\.rows=2\.5: must be a whole number"):
        load_config("flexnn", **{"pe.rows": 2.5})


@pytest.mark.parametrize("text, kind", [("- 1\n- 2\n", "list"), ("just a string\n", "str"), ("42\n", "int")])
def test_yaml_file_whose_top_level_is_not_a_mapping(tmp_path, text, kind):
    path = tmp_path / "bad_hw.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as e:
        load_config(str(path))
    msg = str(e.value)
    assert str(path) in msg and kind in msg and "mapping" in msg


def test_empty_yaml_file_is_the_default_config(tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text("")
    cfg = load_config(str(path))
    assert cfg.name == "empty" and cfg.pe.rows == DPUConfig().pe.rows


@pytest.mark.parametrize("variant", ["int8", "strum-dynamic", "packed"])
def test_hp_lanes_is_ignored_by_variants_without_hp_lanes(variant):
    cfg = load_config("flexnn", **{"pe.variant": variant, "pe.lanes": 1})
    assert cfg.pe.lanes == 1 and cfg.pe.hp_lanes == 2  # kept, unused


def test_hp_lanes_above_lanes_is_an_error_on_strum_static():
    with pytest.raises(ConfigError) as e:
        load_config("flexnn", **{"pe.variant": "strum-static", "pe.lanes": 1})
    msg = str(e.value)
    assert "pe.hp_lanes=2" in msg and "pe.lanes=1" in msg and "strum-static" in msg


def test_dotted_keys_into_the_override_tables():
    base = load_config("flexnn")
    cfg = base.replace(**{"energy_overrides.mul_8x8": 0.05, "area_overrides.mul_8x8": 100.0})
    assert cfg.energy_overrides == {"mul_8x8": 0.05} and cfg.area_overrides == {"mul_8x8": 100.0}
    assert base.energy_overrides == {}  # replace() copies
    # the same as giving the whole mapping, and other entries are kept
    assert load_config("flexnn", energy_overrides={"mul_8x8": 0.05}).energy_overrides == cfg.energy_overrides
    two = cfg.replace(**{"energy_overrides.mul_8x4": 0.02})
    assert two.energy_overrides == {"mul_8x8": 0.05, "mul_8x4": 0.02}
    # they reach the tables
    t = entries(two)
    assert t["mul_8x8"].energy_pj == 0.05 and t["mul_8x4"].energy_pj == 0.02
    assert energy_table(two).pj("pe_array", "mul8x8") > energy_table(base).pj("pe_array", "mul8x8")
    assert area_summary(cfg)["pe"] > area_summary(base)["pe"]


def test_unknown_override_key_via_dotted_set_gets_the_table_error():
    cfg = load_config("flexnn", **{"energy_overrides.mul_9x9": 0.1})  # the key is checked by the tables
    with pytest.raises(ConfigError) as e:
        energy_table(cfg)
    msg = str(e.value)
    assert "energy_overrides['mul_9x9']=0.1" in msg and "unknown energy-table entry" in msg and "mul_8x8" in msg
    cfg = load_config("flexnn", **{"area_overrides.dram_LPDDR4": 1.0})  # energy-only entry
    with pytest.raises(ConfigError, match=r"area_overrides\['dram_LPDDR4'\]=1\.0: unknown area-table entry"):
        area_summary(cfg)


def test_dotted_key_into_a_section_still_checks_the_field():
    with pytest.raises(ConfigError, match=r"'pe\.rowz'.*unknown field 'rowz'"):
        load_config("flexnn", **{"pe.rowz": 3})
    with pytest.raises(ConfigError, match=r"'name\.x'.*'name' is not a section"):
        load_config("flexnn", **{"name.x": 3})
