"""The documentation stays true to the code: README examples run, docs/model.md lists every
parameter with its default, and the README lists every column of the run tables."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim import GeoModel, load
from sim.output import TABLES, run_tables
from sim.params import PARAM_PATHS, Params

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
MODEL_MD = (ROOT / "docs" / "model.md").read_text()


def test_readme_variant_example_is_a_valid_scenario_within_reach(tmp_path):
    block = re.search(r"```toml\n(.*?)```", README, re.DOTALL)
    assert block, "the README shows a variant scenario"
    path = tmp_path / "variant.toml"
    path.write_text(block.group(1))
    variant, base = load(path), load("eurasia")
    assert variant.spec.scenario.extends == "eurasia"  # kept as a record of its lineage
    assert variant.spec.params.trade.openness == 0.35
    assert len(variant.spec.links) == len(base.spec.links) + 1
    model = GeoModel(scenario=variant, rng=0)
    assert model.diagnostics == []


@pytest.mark.parametrize("name,value", sorted(Params().flat().items()))
def test_model_md_gives_every_parameter_with_its_default(name, value):
    section, key = PARAM_PATHS[name]
    row = re.search(rf"^\| `{section}\.{key}` \| ([^|]+) \|", MODEL_MD, re.MULTILINE)
    assert row, f"docs/model.md has no row for {section}.{key}"
    if isinstance(value, bool):  # a switch, written as TOML writes it
        assert row.group(1).strip() == str(value).lower()
    else:
        assert float(row.group(1)) == pytest.approx(value)


def test_readme_lists_every_table_and_column_of_a_run():
    model = GeoModel(scenario="synthetic", rng=0)
    model.step()
    tables = run_tables(model)
    assert set(tables) == set(TABLES)
    for name, table in tables.items():
        row = re.search(rf"^\| `{name}\.parquet` \|(.*)$", README, re.MULTILINE)
        assert row, f"README does not describe {name}.parquet"
        for column in table.column_names:
            assert f"`{column}`" in row.group(1), f"README omits {name}.{column}"
