"""Facts: derived rates from parts, change, targets (unit overrides), ranks with ties."""

from __future__ import annotations

import pandas as pd
import pytest

from huibao.facts.compute import compute_facts
from huibao.packs.schema import load_pack


@pytest.fixture(scope="module")
def pack(root):
    return load_pack("wenming_city", root / "templates")


def _values(rows):
    return pd.DataFrame([(u, y, k, v, "x") for u, y, k, v in rows],
                        columns=["unit", "year", "key", "value", "source"])


NO_TARGETS = pd.DataFrame(columns=["unit", "year", "key", "target", "source"])


def _fact(facts, unit, year, key):
    return facts[(facts.unit == unit) & (facts.year == year) & (facts.key == key)].iloc[0]


def test_derived_rate_is_computed_from_its_parts(pack) -> None:
    facts = compute_facts(_values([("A", 2025, "registered_volunteers", 5600),
                                   ("A", 2025, "population_10k", 40.0)]), NO_TARGETS, pack)
    assert _fact(facts, "A", 2025, "volunteer_share").value == pytest.approx(1.4)


def test_change_against_previous_year_and_zero_base(pack) -> None:
    facts = compute_facts(_values([("A", 2024, "public_ads", 200), ("A", 2025, "public_ads", 230),
                                   ("A", 2024, "mass_petitions", 0),
                                   ("A", 2025, "mass_petitions", 2)]), NO_TARGETS, pack)
    ads = _fact(facts, "A", 2025, "public_ads")
    assert (ads.prev, ads.delta, ads["pct_change"]) == (200, 30, pytest.approx(15.0))
    pet = _fact(facts, "A", 2025, "mass_petitions")
    assert pet.delta == 2 and pd.isna(pet["pct_change"])
    assert not pet.met  # cap target 0 exceeded


def test_workbook_target_overrides_pack_default(pack) -> None:
    targets = pd.DataFrame([("A", 2025, "satisfaction_rate", 85.0, "t")],
                           columns=["unit", "year", "key", "target", "source"])
    facts = compute_facts(_values([("A", 2025, "satisfaction_rate", 88.0),
                                   ("B", 2025, "satisfaction_rate", 88.0)]), targets, pack)
    assert _fact(facts, "A", 2025, "satisfaction_rate").met
    assert not _fact(facts, "B", 2025, "satisfaction_rate").met  # pack default 90


def test_ranks_follow_direction_and_share_ties(pack) -> None:
    facts = compute_facts(_values([
        ("A", 2025, "satisfaction_rate", 90), ("B", 2025, "satisfaction_rate", 95),
        ("C", 2025, "satisfaction_rate", 90), ("A", 2025, "mass_petitions", 3),
        ("B", 2025, "mass_petitions", 0), ("C", 2025, "mass_petitions", 1)]), NO_TARGETS, pack)
    sat = facts[facts.key == "satisfaction_rate"].set_index("unit")
    assert sat["rank"].to_dict() == {"A": 2, "B": 1, "C": 2}
    assert sat["tie"].to_dict() == {"A": True, "B": False, "C": True}
    pet = facts[facts.key == "mass_petitions"].set_index("unit")["rank"].to_dict()
    assert pet == {"A": 3, "B": 1, "C": 2}  # lower is better
