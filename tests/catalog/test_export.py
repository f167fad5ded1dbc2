"""Export status computed from the catalog, checked against the reference's own
classifications (chips.md §1 and §2.2)."""
from __future__ import annotations

import pytest

from chipwatch.catalog import Quantity, classify, load_catalog, performance_density, set_status, tpp
from tests.catalog.datacopy import copy_data


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def status(catalog, chip, rule):
    return classify(catalog.chip(chip), catalog.export_rule(rule))


@pytest.mark.parametrize(
    "chip, expected_tpp",
    [("a100-40gb", 4992), ("h100-sxm", 15832), ("h20", 2368), ("l4", 1936), ("rtx4090", 5284.8),
     ("a40", 2395.2), ("b200", 36000), ("mi300x", 20919.2), ("gaudi2", 7200), ("ascend310p", 1120)],
)
def test_tpp_is_computed_from_dense_throughput(catalog, chip, expected_tpp):
    q = tpp(catalog.chip(chip))
    assert q.lo == pytest.approx(expected_tpp) and q.hi == pytest.approx(expected_tpp)


def test_disagreeing_sources_give_a_range(catalog):
    assert tpp(catalog.chip("ascend910b")) == Quantity(313 * 16, 376 * 16)
    assert round(performance_density(catalog.chip("h20")).lo, 2) == 2.91
    assert not performance_density(catalog.chip("b200")).known  # die area not published


# (chip, rule, status, clause) as the reference classifies them
REFERENCE = [
    ("a100-40gb", "us-2022-10", "controlled", "3A090"),
    ("a800", "us-2022-10", "not_controlled", "not-controlled"),  # interconnect 400 < 600
    ("h800", "us-2022-10", "not_controlled", "not-controlled"),
    ("h100-sxm", "us-2022-10", "controlled", "3A090"),
    ("rtx4090", "us-2022-10", "not_controlled", "not-controlled"),  # PCIe only
    ("a800", "us-2023-10", "controlled", "a.1"),
    ("h800", "us-2023-10", "controlled", "a.1"),
    ("h20", "us-2023-10", "not_controlled", "not-controlled"),
    ("l20", "us-2023-10", "not_controlled", "not-controlled"),
    ("l2", "us-2023-10", "not_controlled", "not-controlled"),
    ("l4", "us-2023-10", "controlled", "a.2"),  # low TPP, high density
    ("a40", "us-2023-10", "controlled", "b.2"),
    ("a30", "us-2023-10", "controlled", "b.1"),
    ("l40", "us-2023-10", "controlled", "b.1"),
    ("l40s", "us-2023-10", "controlled", "a.1"),
    ("a10", "us-2023-10", "not_controlled", "not-controlled"),
    ("v100", "us-2023-10", "not_controlled", "not-controlled"),
    ("rtx4090", "us-2023-10", "controlled", "a.1"),  # non-data-center, TPP >= 4800
    ("rtx3090", "us-2023-10", "not_controlled", "not-controlled"),
    ("mi250x", "us-2023-10", "controlled", "a.1"),
    ("h20", "us-2025-04", "controlled", "named-part measure"),
    ("mi308x", "us-2025-04", "controlled", "named-part measure"),
]


@pytest.mark.parametrize("chip, rule, expected, clause", REFERENCE)
def test_status_matches_the_reference(catalog, chip, rule, expected, clause):
    got = status(catalog, chip, rule)
    assert (got.status, got.clause) == (expected, clause), got.reason


def test_unknown_inputs_give_unknown_with_the_reason(catalog):
    got = status(catalog, "mlu370", "us-2023-10")  # TPP 2048, die area unknown
    assert got.status == "unknown"
    assert "performance_density unknown" in got.reason and "a.2" in got.reason
    assert status(catalog, "enflame-t20", "us-2023-10").status == "unknown"
    assert "tpp unknown" in status(catalog, "mi308x", "us-2023-10").reason


def test_a_range_straddling_a_threshold_is_unknown(catalog):
    got = status(catalog, "ascend910", "us-2023-10")  # TPP 4096-5120 straddles 4800
    assert got.status == "unknown" and "a.1 undetermined" in got.reason


def test_a_range_wholly_above_a_threshold_is_decided(catalog):
    assert status(catalog, "ascend910b", "us-2023-10").clause == "a.1"


def test_later_parts_are_classified_under_earlier_rules_and_say_so(catalog):
    got = status(catalog, "h20", "us-2022-10")
    assert got.status == "not_controlled"
    assert "after this rule" in got.note
    assert "after this rule" not in status(catalog, "a100-40gb", "us-2022-10").note
    assert "domestic" in status(catalog, "ascend910b", "us-2023-10").note


@pytest.mark.parametrize(
    "statuses, expected",
    [
        (["controlled", "controlled"], "all_controlled"),
        (["not_controlled"], "none_controlled"),
        (["controlled", "not_controlled"], "mixed"),
        (["controlled", "not_controlled", "unknown"], "mixed"),
        (["controlled", "unknown"], "unknown"),
        (["not_controlled", "unknown"], "unknown"),
        ([], "unknown"),
    ],
)
def test_set_status(statuses, expected):
    assert set_status(statuses) == expected


def test_a_new_rule_is_a_data_change(tmp_path):
    data = copy_data(tmp_path)
    (data / "export_rules" / "xx-2030-01.yaml").write_text(
        "id: xx-2030-01\ntitle: a stricter rule\ndate: '2030-01-01'\nextends: us-2023-10\n"
        "sources: [https://example.org/rule]\nclauses:\n"
        "  - {id: c.1, applies_to: any, all: [{metric: tpp, min: 2000}]}\n",
        "utf-8",
    )
    catalog = load_catalog(data)
    rule = catalog.export_rule("xx-2030-01")
    assert [r.id for r in catalog.export_rules][-1] == "xx-2030-01"
    assert classify(catalog.chip("h20"), rule).clause == "c.1"
    assert classify(catalog.chip("a100-40gb"), rule).clause == "a.1"  # inherited clauses first
    assert classify(catalog.chip("t4"), rule).status == "not_controlled"


def test_quantity_three_valued_comparisons():
    assert Quantity(5, 6).at_least(4.5) is True
    assert Quantity(3, 4).at_least(4.5) is False
    assert Quantity(4, 5).at_least(4.5) is None
    assert Quantity().at_least(1) is None
    assert Quantity(10, 20).divide(Quantity(2, 5)) == Quantity(2, 10)
    assert Quantity(1, 1).divide(Quantity()).known is False
