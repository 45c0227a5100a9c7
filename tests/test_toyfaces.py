"""Fast checks of the Toy Faces contract (stargan_edu.toyfaces); the notebook 00_toyfaces holds the full tests."""
import warnings

import pytest
import torch
from PIL import Image

from stargan_edu.toyfaces import (ATTRS, CATEGORICAL, EXPRESSIONS, FACTOR_NAMES, RENDERER_VERSION, ToyFaces,
                                  attrs_from_factors, evaluate_attribute_translation, evaluate_oracle,
                                  expression_onehot, factors_with_attrs, factors_with_expression, load_oracle,
                                  oracle_asset_path, render, sample_factors, score_translation, write_celeba_layout,
                                  write_folder_layout)


def test_sample_and_render_are_deterministic():
    f = sample_factors(16, seed=3)
    assert set(f) == set(FACTOR_NAMES)
    assert all(v.shape == (16,) for v in f.values())
    x = render(f, 48)
    assert x.shape == (16, 3, 48, 48) and x.min() >= -1 and x.max() <= 1
    assert torch.equal(x, render(sample_factors(16, seed=3), 48))
    assert not torch.equal(f["pos_x"], sample_factors(16, seed=4)["pos_x"])


def test_label_round_trips_and_errors():
    f = sample_factors(8, seed=1)
    a = attrs_from_factors(f)
    assert a.shape == (8, len(ATTRS)) and torch.equal(a[:, :3].sum(1), torch.ones(8))
    b = a.clone(); b[:, 3] = 1 - b[:, 3]
    g = factors_with_attrs(f, b)
    assert torch.equal(g["male"], 1 - f["male"]) and torch.equal(g["skin"], f["skin"])
    with pytest.raises(ValueError, match="exactly one"):
        factors_with_attrs(f, torch.zeros(8, 5))
    with pytest.raises(ValueError, match=r"\[8, 5\]"):
        factors_with_attrs(f, torch.zeros(8, 3))
    assert torch.equal(expression_onehot(factors_with_expression(f, 4)).argmax(1), torch.full((8,), 4))


@pytest.mark.parametrize("labels,names,kind", [("celeba", ATTRS, "multi"), ("rafd", EXPRESSIONS, "single"),
                                               ("hair", ["black", "blond", "brown"], "single")])
def test_dataset(labels, names, kind):
    ds = ToyFaces(12, size=32, seed=2, labels=labels)
    item = ds[5]
    assert item["image"].shape == (3, 32, 32) and item["label"].shape == (len(names),)
    assert ds.label_names == names and ds.label_kind == kind
    assert ds.images.shape == (12, 3, 32, 32)
    if kind == "single":
        assert torch.equal(ds.labels.sum(1), torch.ones(12))


def test_dataset_rejects_unknown_label_set():
    with pytest.raises(ValueError, match="expected one of"):
        ToyFaces(4, labels="afhq")


def test_writers(tmp_path):
    root = write_celeba_layout(tmp_path / "celeba", n=5, size=32, seed=0)
    lines = (root / "list_attr_celeba.txt").read_text().splitlines()
    assert lines[0] == "5" and set(ATTRS) <= set(lines[1].split())
    assert lines[2].split()[0] == "000001.jpg" and set(lines[2].split()[1:]) <= {"1", "-1"}
    assert Image.open(root / "images" / "000005.jpg").size == (32, 32)
    root = write_folder_layout(tmp_path / "afhq", n_per_domain=3, size=32, by="hair")
    assert sorted(p.name for p in (root / "val").iterdir()) == ["black", "blond", "brown"]
    assert len(list((root / "train" / "brown").glob("*.png"))) == 3


def test_shipped_oracle_reads_every_factor():
    assert oracle_asset_path().is_file(), "stargan_edu/assets/oracle.pt should ship with the package"
    with warnings.catch_warnings():
        warnings.simplefilter("error")      # no silent retraining: the shipped file must match the renderer
        oracle = load_oracle()
    assert oracle.version == RENDERER_VERSION
    m = evaluate_oracle(oracle, n=400, size=64, seed=99)
    assert set(m["accuracy"]) == set(CATEGORICAL)
    assert min(m["accuracy"].values()) >= 0.98, m["accuracy"]
    assert m["mae"]["pos_x"] < 0.01 and m["mae"]["pos_y"] < 0.01


def test_scores_of_known_translators():
    oracle = load_oracle()
    ident = evaluate_attribute_translation(lambda x, c: x, oracle, n=40, size=32)
    assert ident["oracle_target_accuracy"] <= 0.05 and ident["oracle_preservation"] >= 0.97
    assert set(ident["per_attribute"]) == set(ATTRS)
    f = sample_factors(40, seed=5)
    t = factors_with_attrs(f, torch.cat([torch.tensor([[0.0, 0, 1]]).expand(40, 3), attrs_from_factors(f)[:, 3:]], 1))
    s = score_translation(oracle, f, render(t, 64), t, ["hair"])
    assert s["target_accuracy"] >= 0.97 and s["preservation"] >= 0.97
