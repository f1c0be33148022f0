"""Adding a data set is one data.registry entry plus its reader (docs/architecture.md): a stand-in entry (the toy data
under another name, with named classes) is accepted by the training config, summarised by ``tradeoff data info``'s
generic summary and numbered by its own classes, with no other edit."""

import dataclasses

import pytest

from tradeoff.data import registry
from tradeoff.data.pairs import check_classes, class_number
from tradeoff.data.summary import split_summary
from tradeoff.deep.config import TrainConfig


@pytest.fixture
def new_dataset(monkeypatch):
    toy = registry.DATASETS["toy"]
    entry = dataclasses.replace(toy, name="shapes", title="shapes (a stand-in)", label="shapes",
                                names=lambda: ("circle", "square", "star", "cross"))
    monkeypatch.setitem(registry.DATASETS, "shapes", entry)
    return entry


def test_a_new_registry_entry_needs_no_other_edit(new_dataset):
    assert TrainConfig(dataset="shapes", model="tiny_cnn").validate().dataset == "shapes"
    info = split_summary("shapes")
    assert info["complete"] and info["splits"]["train"]["n"] == 2000
    test = info["splits"]["test"]["class_counts"]
    assert sum(test.values()) == 1000 and "star" in test
    from tradeoff.reports.cli.data import _render

    assert "shapes (a stand-in)" in _render(info) and "total" in _render(info)
    assert check_classes("shapes", ["all"]) == [0, 1, 2, 3] and class_number("shapes", "Star") == 2
    with pytest.raises(ValueError, match=r"give a number 0-3 or a name \(circle, square, star, cross\)"):
        class_number("shapes", "hexagon")


def test_classes_of_the_registered_sets_read_as_before():
    assert check_classes("mnist", ["all"]) == list(range(10)) and check_classes("cifar10", ["cat", 5]) == [3, 5]
    with pytest.raises(ValueError, match="class 'cat' of mnist: give a number 0-9$"):
        class_number("mnist", "cat")
    with pytest.raises(ValueError, match="class 12 of mnist: classes are 0-9"):
        class_number("mnist", 12)
