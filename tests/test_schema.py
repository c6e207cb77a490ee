"""Campaign packs load, and malformed packs fail with a Chinese message naming the problem."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from huibao.errors import PackError, UnknownNameError
from huibao.packs.schema import list_packs, load_pack


def test_wenming_city_pack_loads_with_derivations_and_exhibits(root: Path) -> None:
    pack = load_pack("wenming_city", root / "templates")
    assert pack.indicator("volunteer_share").derive.denominator == "population_10k"
    assert pack.indicator("mass_petitions").target_relation == "cap"
    assert pack.indicator("satisfaction_rate").target_relation == "floor"
    assert {c.kind for c in pack.exhibits.charts} == {"trend", "bar_compare", "completion"}
    assert pack.template_path("工作总结").is_file()
    assert "wenming_city" in list_packs(root / "templates")


def test_unknown_campaign_lists_available_packs(root: Path) -> None:
    with pytest.raises(UnknownNameError, match="wenming_city"):
        load_pack("no_such_campaign", root / "templates")


def _copy_pack(root: Path, tmp_path: Path, edit) -> Path:
    templates = tmp_path / "templates"
    shutil.copytree(root / "templates" / "wenming_city", templates / "wenming_city")
    path = templates / "wenming_city" / "indicators.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return templates


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (lambda d: d["indicators"].append(dict(d["indicators"][0])), "重复"),
        (lambda d: d["indicators"][0].update(group="nowhere"), "nowhere"),
        (lambda d: d["indicators"][5].update(parent="ghost_key"), "ghost_key"),
        (lambda d: d["indicators"][0].update(kind="percent"), "kind"),
    ],
    ids=["duplicate-key", "unknown-group", "unknown-parent", "bad-kind"],
)
def test_malformed_pack_is_refused_naming_the_field(root: Path, tmp_path: Path, edit,
                                                    words: str) -> None:
    templates = _copy_pack(root, tmp_path, edit)
    with pytest.raises(PackError, match=words) as info:
        load_pack("wenming_city", templates)
    assert "indicators.yaml" in str(info.value)
