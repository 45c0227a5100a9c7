"""The error messages of `stargan_edu.data` (appendix 11): every bad file, folder, table or setting is refused with a
message that says what was expected. Moved here from the appendix, which keeps two illustrative ones (a misspelt
attribute gets a "did you mean"; a missing image is named). Offline, a few seconds."""
import os

os.environ["HF_DATASETS_OFFLINE"] = "1"   # before `datasets` is imported anywhere: never touch the network
os.environ["HF_HUB_OFFLINE"] = "1"

import io
from pathlib import Path

import pytest
import torch
from PIL import Image

from stargan_edu.data import (CELEBA_ATTRS, CelebA, FileImages, HFImages, ImageFolder, ImageTransform, celeba_split,
                              load_data, open_rgb)
from _helpers import fails, hf_cache


def write_tiny_celeba(root: Path, n: int = 12, size: int = 16) -> Path:
    "A CelebA-layout folder: `img_align_celeba/000001.jpg …` and `list_attr_celeba.txt` (±1 values)."
    (root / "img_align_celeba").mkdir(parents=True, exist_ok=True)
    names = ["Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Smiling", "Young"]
    lines = [str(n), " ".join(names)]
    for i in range(n):
        Image.new("RGB", (size, size), (20 * (i % 10), 100, 200)).save(root / "img_align_celeba" / f"{i + 1:06d}.jpg")
        v = [i % 3 == 0, i % 3 == 1, i % 3 == 2, i % 2 == 0, i % 4 == 0, i % 5 < 3]
        lines.append(f"{i + 1:06d}.jpg " + " ".join(" 1" if x else "-1" for x in v))
    (root / "list_attr_celeba.txt").write_text("\n".join(lines) + "\n")
    return root


def write_tiny_folders(root: Path, n: int = 2, split: str = "train") -> Path:
    "`root/split/{cat,dog,wild}/k.jpg`, each domain one colour."
    for name, colour in {"cat": (230, 140, 40), "dog": (90, 60, 30), "wild": (60, 150, 60)}.items():
        (root / split / name).mkdir(parents=True, exist_ok=True)
        for k in range(n):
            Image.new("RGB", (16, 16), colour).save(root / split / name / f"{k}.jpg")
    return root


def test_files_and_transforms():
    buf = io.BytesIO(); Image.new("RGB", (3, 3), (1, 2, 3)).save(buf, "PNG")
    fails(lambda: open_rgb(b"not an image", name="broken.jpg"), "cannot read image broken.jpg")
    fails(lambda: open_rgb(buf.getvalue()[:40], name="cut.png"), "cut.png")          # a truncated download
    fails(lambda: ImageTransform(50, randcrop_prob=1.5), "probability")
    fails(lambda: ImageTransform(16, load_size=8), "at least image_size")


def test_file_images(tmp_path):
    paths = []
    for k in range(3):
        paths.append(tmp_path / f"{k}.png"); Image.new("RGB", (8, 8), (80 * k, 0, 0)).save(paths[-1])
    ds = FileImages(paths, torch.eye(3), ["a", "b", "c"], "single", ImageTransform(4))
    fails(lambda: ds[3], "out of range")
    fails(lambda: FileImages(["a.png"], torch.zeros(2, 3), ["a", "b", "c"], "single", ImageTransform(4)), "[1, 3]")


def test_celeba(tmp_path):
    fails(lambda: celeba_split(10, "valid"), "train, test, all")
    root = write_tiny_celeba(tmp_path / "celeba")
    fails(lambda: CelebA(root, attrs=["Wings"]), "Black_Hair, Blond_Hair, Brown_Hair, Male, Smiling")
    fails(lambda: CelebA(tmp_path / "nowhere"), "list_attr_celeba.txt")
    table = root / "list_attr_celeba.txt"
    rows = table.read_text().splitlines(); rows[6] = rows[6].rsplit(" ", 1)[0]       # 000005.jpg loses its last value
    table.write_text("\n".join(rows) + "\n")
    fails(lambda: CelebA(root, missing="skip"), "line 7")


def test_image_folders(tmp_path):
    afhq = write_tiny_folders(tmp_path / "afhq")
    fails(lambda: ImageFolder(afhq, split="val"), "no 'val'")
    (afhq / "train" / "fox").mkdir()
    fails(lambda: ImageFolder(afhq), f"no images in the domain folder {afhq / 'train' / 'fox'} (looked for .jpg")
    (afhq / "train" / "fox").rmdir()
    fails(lambda: ImageFolder(afhq / "train" / "cat"), "holds images but no domain folders")
    fails(lambda: ImageFolder(tmp_path / "nowhere"), "no such folder")
    h2z = tmp_path / "horse2zebra"
    for folder in ("trainA", "trainB", "testA", "testB"):
        (h2z / folder).mkdir(parents=True); Image.new("RGB", (16, 16)).save(h2z / folder / "0.jpg")
    fails(lambda: ImageFolder(h2z, split="val"), "no valA/ and valB/")


def test_hugging_face_tables():
    import datasets
    from datasets import ClassLabel, Features, Image as HFImage
    pics = [Image.new("RGB", (16, 16), (40 * i, 0, 0)) for i in range(3)]
    afhq_like = datasets.Dataset.from_dict({"image": pics, "label": [0, 1, 2]},
                                           features=Features({"image": HFImage(), "label": ClassLabel(names=["cat", "dog", "wild"])}))
    celeba_like = datasets.Dataset.from_dict({"image": pics, "celeb_id": [0, 1, 2], **{a: [True, False, True] for a in CELEBA_ATTRS}})
    fails(lambda: HFImages(celeba_like, label_columns=["Blonde"]), "no column 'Blonde'")
    fails(lambda: HFImages(celeba_like, label_column="celeb_id"), "not a ClassLabel")
    fails(lambda: HFImages(afhq_like, image_column="img"), "pass image_column=, one of: image, label")


def test_load_data(tmp_path):
    fails(lambda: load_data(tmp_path / "nowhere", 16), "does not exist")
    fails(lambda: load_data("celeba", 16), "expected 'toyfaces', 'hf:<hub id>'")
    fails(lambda: load_data("hf:", 16), "needs a dataset id")
    (tmp_path / "empty").mkdir()
    fails(lambda: load_data(tmp_path / "empty", 16), "no domain folders")
