"""The error messages of `stargan_edu.core` (appendix 10): every bad device name, image batch, label batch, weights
file or diagram is refused with a message that says what was expected. Moved here from the appendix, which keeps
the illustrative ones (a device asked for but missing; uint8 pixels and pixels in [0, 255] get a hint how to convert;
a file that is not PyTorch weights). Offline, a second."""
import pytest
import torch

from stargan_edu.core import check_images, check_labels, diagram, get_device, image_grid, load_weights, to_uint8
from _helpers import fails


def test_device_and_image_helpers():
    fails(lambda: get_device("tpu"), "expected")
    fails(lambda: to_uint8(torch.zeros(2, 5, 4, 4)), "expected images")
    fails(lambda: image_grid(torch.zeros(3, 4, 4)), "[N, 3, H, W]")


def test_check_images_and_labels():
    x = torch.zeros(2, 3, 8, 8)
    fails(lambda: check_images(x * float("nan"), "G", values=True), "NaN")
    fails(lambda: check_images(x[:, :1], "G"), "[B, 3, H, W]")
    fails(lambda: check_images(x, "D", size=16), "16×16")
    fails(lambda: check_labels(torch.tensor([[0., 7.]]), 2, names=["a", "b"]), "values 0 or 1")
    fails(lambda: check_labels(torch.tensor([[0., float("nan")]]), 2), "values 0 or 1")
    fails(lambda: check_labels(torch.ones(1, 3), 2), "[B, 2]")


def test_load_weights(tmp_path):
    (tmp_path / "e.ckpt").write_bytes(b"")
    fails(lambda: load_weights(tmp_path / "e.ckpt"), "empty")
    fails(lambda: load_weights(tmp_path / "missing.ckpt"), "no file at", FileNotFoundError)


def test_diagram():
    fails(lambda: diagram({"x": (0, 0)}, [("x", "D")]), "no box named 'D'")
    fails(lambda: diagram({"x": (0,)}), "expected (x, y)")
    fails(lambda: diagram({"x": (0, 0)}, [("x", "x", "", {"width": 2})]), "unknown style")
