"""The real-data loaders (`stargan_edu.data`) on small folders and tables made here: offline, a few seconds."""
import os

os.environ["HF_DATASETS_OFFLINE"] = "1"   # before `datasets` is imported anywhere: never touch the network
os.environ["HF_HUB_OFFLINE"] = "1"

import random
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from stargan_edu import data as D
from _helpers import hf_cache

ATTRS = ["Bald", "Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young"]   # Bald: a column that is not selected


def _picture(seed: int, size: int = 20, mode: str = "RGB") -> Image.Image:
    "A random-noise picture (so flips and crops change it) in `mode`."
    arr = np.random.default_rng(seed).integers(0, 256, (size, size + 4, 3), dtype=np.uint8)
    return Image.fromarray(arr).convert(mode)


def _celeba(root: Path, n: int = 20, image_folder: str = "img_align_celeba", csv: bool = False) -> tuple[Path, list]:
    "Write `n` pictures and an attribute table (±1 values); returns the root and the 0/1 rows."
    (root / image_folder).mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(n):
        _picture(i).save(root / image_folder / f"{i + 1:06d}.png")
        rows.append([int(v) for v in np.random.default_rng(100 + i).integers(0, 2, len(ATTRS))])
    if csv:
        text = ["image_id," + ",".join(ATTRS)] + [f"{i + 1:06d}.png," + ",".join("1" if v else "-1" for v in r)
                                                  for i, r in enumerate(rows)]
        (root / "list_attr_celeba.csv").write_text("\n".join(text) + "\n")
    else:
        text = [str(n), " ".join(ATTRS)] + [f"{i + 1:06d}.png " + " ".join(" 1" if v else "-1" for v in r)
                                            for i, r in enumerate(rows)]
        (root / "list_attr_celeba.txt").write_text("\n".join(text) + "\n")
    return root, rows


def _afhq(root: Path, domains=("wild", "cat", "dog"), n: int = 3, split: str | None = "train") -> Path:
    base = root / split if split else root
    for k, name in enumerate(domains):
        (base / name).mkdir(parents=True, exist_ok=True)
        for j in range(n):
            _picture(10 * k + j, size=16).save(base / name / f"{name}_{j}.jpg")
    return root


# ---------------------------------------------------------------- transform

def test_transform_is_the_official_pipeline():
    import torchvision.transforms as T
    img = Image.fromarray(np.random.default_rng(0).integers(0, 256, (218, 178, 3), dtype=np.uint8))
    official = T.Compose([T.RandomHorizontalFlip(), T.CenterCrop(178), T.Resize(64), T.ToTensor(),
                          T.Normalize((0.5,) * 3, (0.5,) * 3)])
    torch.manual_seed(3); want = torch.stack([official(img) for _ in range(8)])
    torch.manual_seed(3); got = torch.stack([D.ImageTransform(64, 178, flip=True)(img) for _ in range(8)])
    assert torch.allclose(got, want, atol=1e-5)
    assert D.ImageTransform(64)(img).shape == (3, 64, 64)


# ---------------------------------------------------------------- CelebA

def test_celeba_reads_selected_attributes_and_splits(tmp_path):
    root, rows = _celeba(tmp_path / "celeba", n=20)
    attrs = ["Male", "Blond_Hair"]
    full = D.CelebA(root, attrs=attrs, split="all", image_size=8, crop_size=None)
    assert (len(full), full.label_names, full.label_kind) == (20, attrs, "multi")
    want = torch.tensor([[r[ATTRS.index(a)] for a in attrs] for r in rows], dtype=torch.float32)
    assert torch.equal(full.labels, want)
    item = full[4]
    assert set(item) == {"image", "label"}
    assert item["image"].shape == (3, 8, 8) and item["image"].dtype == torch.float32
    assert -1 <= item["image"].min() and item["image"].max() <= 1
    assert torch.equal(item["label"], want[4])
    train = D.CelebA(root, attrs=attrs, image_size=8, crop_size=None)
    test = D.CelebA(root, attrs=attrs, split="test", image_size=8, crop_size=None)
    assert (len(train), len(test)) == (18, 2)                      # fewer than 19,990 rows: a tenth for test
    assert not set(train.files) & set(test.files)
    assert (train.transform.flip, test.transform.flip) == (True, False)


def test_celeba_split_is_the_official_one():
    names = [f"{i:06d}.jpg" for i in range(21_000)]
    shuffled = list(names)
    state = random.getstate()
    random.seed(1234); random.shuffle(shuffled)
    random.setstate(state)
    assert [names[i] for i in D.celeba_split(21_000, "test")] == [n for i, n in enumerate(shuffled) if i + 1 < 2000]
    assert len(D.celeba_split(21_000, "train")) == 21_000 - 1999
    with pytest.raises(ValueError, match="train, test, all"):
        D.celeba_split(5, "validation")


def test_celeba_kaggle_csv_and_nested_folder(tmp_path):
    root, rows = _celeba(tmp_path / "kaggle", n=6, image_folder="img_align_celeba/img_align_celeba", csv=True)
    ds = D.CelebA(root, attrs=["Young"], split="all", image_size=8, crop_size=None)
    assert ds.files[0].parent == root / "img_align_celeba" / "img_align_celeba"
    assert ds.labels[:, 0].tolist() == [float(r[ATTRS.index("Young")]) for r in rows]


def test_celeba_unknown_attribute_lists_the_available(tmp_path):
    root, _ = _celeba(tmp_path / "c", n=3)
    with pytest.raises(ValueError) as e:
        D.CelebA(root, attrs=["Male", "Blonde_Hair"])
    msg = str(e.value)
    assert "unknown CelebA attribute 'Blonde_Hair'" in msg and "did you mean 'Blond_Hair'" in msg
    assert ", ".join(ATTRS) in msg


def test_celeba_missing_table_images_and_values(tmp_path):
    with pytest.raises(FileNotFoundError, match="list_attr_celeba.txt"):
        D.CelebA(tmp_path)
    root, _ = _celeba(tmp_path / "c", n=8)
    (root / "img_align_celeba" / "000002.png").unlink()
    with pytest.raises(FileNotFoundError, match=r"1 of the 8 images .* \(e\.g\. 000002\.png\).*missing='skip'"):
        D.CelebA(root, split="all")
    with pytest.warns(UserWarning, match="000002.png"):
        assert len(D.CelebA(root, split="all", missing="skip", crop_size=None)) == 7
    table = root / "list_attr_celeba.txt"
    lines = table.read_text().splitlines()
    lines[4] = lines[4].rsplit(" ", 1)[0]                            # 000003.png loses a value
    table.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=r"line 5: expected a file name and 6 values, got 5"):
        D.CelebA(root, missing="skip")


def test_celeba_crop_larger_than_images_is_not_padded(tmp_path):
    root, _ = _celeba(tmp_path / "c", n=3)
    with pytest.warns(UserWarning, match="crop_size=178 is larger than the images"):
        assert D.CelebA(root, split="all").transform.crop_size is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert D.CelebA(root, split="all", crop_size="auto").transform.crop_size is None


# ---------------------------------------------------------------- image folders

def test_image_folder_domains_are_sorted_and_one_hot(tmp_path):
    root = _afhq(tmp_path / "afhq")
    ds = D.ImageFolder(root, image_size=8)
    assert (ds.label_names, ds.label_kind, len(ds)) == (["cat", "dog", "wild"], "single", 9)
    assert torch.equal(ds.labels.sum(0), torch.tensor([3.0, 3.0, 3.0]))
    assert torch.equal(ds.labels.sum(1), torch.ones(9))
    k = ds.files.index(root / "train" / "wild" / "wild_1.jpg")
    assert torch.equal(ds[k]["label"], torch.tensor([0.0, 0.0, 1.0]))
    assert ds[k]["image"].shape == (3, 8, 8)
    flat = D.ImageFolder(_afhq(tmp_path / "flat", split=None), split="val", image_size=8)   # root/<domain>/
    assert flat.label_names == ["cat", "dog", "wild"]
    with pytest.raises(FileNotFoundError, match="has the split folders train but no 'val'"):
        D.ImageFolder(root, split="val")


def test_empty_folders_say_where_and_what_was_looked_for(tmp_path):
    root = _afhq(tmp_path / "afhq")
    (root / "train" / "fox").mkdir()
    (root / "train" / "fox" / "readme.txt").write_text("no pictures here")
    with pytest.raises(FileNotFoundError) as e:
        D.ImageFolder(root)
    assert str(root / "train" / "fox") in str(e.value) and ".jpg, .jpeg, .png" in str(e.value)
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match=r"no domain folders in .*empty.*\.jpg"):
        D.ImageFolder(tmp_path / "empty")


def test_corrupt_file_is_skipped_with_a_warning(tmp_path):
    root = _afhq(tmp_path / "afhq", domains=("a", "b"), n=2)
    bad = root / "train" / "a" / "a_1.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 a download that stopped")
    ds = D.ImageFolder(root, image_size=8, flip=False)
    k = ds.files.index(bad)
    with pytest.warns(UserWarning, match=r"cannot read image .*a_1\.jpg.*skipped"):
        item = ds[k]
    assert torch.equal(item["image"], ds[k + 1]["image"])           # the next readable item stands in
    with warnings.catch_warnings():
        warnings.simplefilter("error")                               # remembered: no second attempt, no warning
        ds[k]
    batch = next(iter(torch.utils.data.DataLoader(ds, batch_size=4)))
    assert batch["image"].shape == (4, 3, 8, 8)


def test_grayscale_rgba_and_palette_become_rgb(tmp_path):
    base = tmp_path / "modes" / "train" / "x"
    base.mkdir(parents=True)
    Image.new("L", (10, 10), 60).save(base / "gray.png")
    Image.new("RGBA", (10, 10), (255, 0, 0, 0)).save(base / "rgba.png")       # transparent red
    Image.new("RGB", (10, 10), (0, 0, 200)).convert("P", palette=Image.Palette.ADAPTIVE).save(base / "pal.png")
    ds = D.ImageFolder(tmp_path / "modes", image_size=4, flip=False)
    got = {p.stem: ds[i]["image"] for i, p in enumerate(ds.files)}
    assert all(x.shape == (3, 4, 4) for x in got.values())
    assert torch.allclose(got["gray"], torch.full((3, 4, 4), 60 / 127.5 - 1))
    assert torch.allclose(got["rgba"], torch.ones(3, 4, 4))                   # laid over white
    assert torch.allclose(got["pal"][:, 0, 0], torch.tensor([-1.0, -1.0, 200 / 127.5 - 1]))


# ---------------------------------------------------------------- Hugging Face datasets

def _table(n: int = 6):
    import datasets
    pics = [_picture(i, size=12) for i in range(n)]
    with_classes = datasets.Dataset.from_dict(
        {"image": pics, "label": [i % 3 for i in range(n)]},
        features=datasets.Features({"image": datasets.Image(), "label": datasets.ClassLabel(names=["cat", "dog", "wild"])}))
    with_flags = datasets.Dataset.from_dict(
        {"image": pics, "Eyeglasses": [True] * n, **{a: [bool((i >> k) & 1) for i in range(n)] for k, a in enumerate(ATTRS)}})
    return with_classes, with_flags


def test_hf_class_label_column_is_one_hot():
    with_classes, _ = _table()
    ds = D.HFImages(with_classes, image_size=8)
    assert (ds.label_names, ds.label_kind, len(ds)) == (["cat", "dog", "wild"], "single", 6)
    assert torch.equal(ds[4]["label"], torch.tensor([0.0, 1.0, 0.0]))
    assert ds[4]["image"].shape == (3, 8, 8)


def test_hf_boolean_columns_are_multi_label():
    _, with_flags = _table()
    ds = D.HFImages(with_flags, image_size=8)                      # the five StarGAN attributes by default
    assert (ds.label_names, ds.label_kind) == (list(D.CELEBA_ATTRS), "multi")
    i = 5                                                           # 0b101: Bald, Blond_Hair
    want = [float((i >> ATTRS.index(a)) & 1) for a in D.CELEBA_ATTRS]
    assert ds[i]["label"].tolist() == want
    ds = D.HFImages(with_flags, label_columns=["Eyeglasses", "Bald"], image_size=8)
    assert ds[i]["label"].tolist() == [1.0, 1.0]
    with pytest.raises(KeyError, match="no column 'Glasses'"):
        D.HFImages(with_flags, label_columns=["Glasses"])
    with pytest.raises(TypeError, match="not a ClassLabel"):
        D.HFImages(with_flags, label_column="Male")


def test_hf_local_parquet_streamed(tmp_path, hf_cache):
    with_classes, _ = _table(7)
    parquet = tmp_path / "t.parquet"
    with_classes.to_parquet(str(parquet))
    stream = D.hf_images(parquet, streaming=True, image_size=8, cache_dir=str(hf_cache))
    assert isinstance(stream, D.HFImageStream) and isinstance(stream, torch.utils.data.IterableDataset)
    assert (stream.label_names, stream.label_kind) == (["cat", "dog", "wild"], "single")
    items = list(stream)
    assert len(items) == 7
    assert [int(x["label"].argmax()) for x in items] == [i % 3 for i in range(7)]
    assert all(x["image"].shape == (3, 8, 8) for x in items)
    batch = next(iter(torch.utils.data.DataLoader(stream, batch_size=4)))
    assert batch["image"].shape == (4, 3, 8, 8) and batch["label"].shape == (4, 3)
    assert type(D.load_data(parquet, 8, streaming=True, cache_dir=str(hf_cache))) is D.HFImageStream
    assert len(D.load_data(parquet, 8, cache_dir=str(hf_cache))) == 7


def test_hf_broken_image_is_skipped():
    import datasets
    good = _picture(0, size=6)
    import io
    buf = io.BytesIO(); good.save(buf, "PNG")
    blobs = [{"bytes": buf.getvalue(), "path": "ok0.png"}, {"bytes": b"nope", "path": "bad.png"},
             {"bytes": buf.getvalue(), "path": "ok2.png"}]
    t = datasets.Dataset.from_dict({"image": blobs, "label": [0, 1, 1]},
                                   features=datasets.Features({"image": datasets.Image(),
                                                               "label": datasets.ClassLabel(names=["a", "b"])}))
    with pytest.warns(UserWarning, match="bad.png"):
        assert len(list(D.HFImageStream(t, image_size=4))) == 2
    with pytest.warns(UserWarning, match="bad.png"):
        assert D.HFImages(t, image_size=4)[1]["label"].tolist() == [0.0, 1.0]


# ---------------------------------------------------------------- load_data and pictures

def test_load_data_picks_the_loader(tmp_path):
    celeba, _ = _celeba(tmp_path / "celeba", n=10)
    ds = D.load_data(celeba, 8, split="test")
    assert type(ds) is D.CelebA and len(ds) == 1 and ds.transform.crop_size is None
    assert D.load_data(str(celeba), 8, attrs=["Bald"]).label_names == ["Bald"]
    assert type(D.load_data(_afhq(tmp_path / "afhq"), 8)) is D.ImageFolder
    with pytest.raises(ValueError, match="expected 'toyfaces', 'hf:<hub id>'.*does not exist"):
        D.load_data(tmp_path / "not_there", 8)
    with pytest.raises(ValueError, match="needs a dataset id"):
        D.load_data("hf:", 8)


def test_load_data_toyfaces():
    pytest.importorskip("stargan_edu.toyfaces")
    ds = D.load_data("toyfaces", 16)
    x = ds[0]
    assert x["image"].shape == (3, 16, 16) and x["label"].shape == (len(ds.label_names),)
    assert ds.label_kind in ("multi", "single")


def test_label_text_and_show_batch(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    assert D.label_text(torch.tensor([1.0, 0.0, 1.0]), ["a", "b", "c"]) == "a\nc"
    assert D.label_text(torch.tensor([0.0, 1.0]), ["x", "y"], "single") == "y"
    ds = D.ImageFolder(_afhq(tmp_path / "afhq"), image_size=8)
    assert D.take(ds, 3)["label"].argmax(1).tolist() == [0, 1, 2]
    ax = D.show_batch(ds, 3)
    assert [t.get_text() for t in ax.texts] == ["cat", "dog", "wild"]
