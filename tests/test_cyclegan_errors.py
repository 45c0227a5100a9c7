"""The error messages of `stargan_edu.cyclegan` (chapter 01): every bad input is refused with a message that says what
was expected. Moved here from the chapter, which keeps two illustrative ones (a PatchGAN needs images at least as
large as its receptive field allows; a CycleGAN translates only between its two domains)."""
import pytest
import torch
from torch import nn

from stargan_edu.core import seed_everything
from stargan_edu.cyclegan import (CycleGANConfig, ImagePool, ResnetBlock, ResnetGenerator, cycle_view, default_config,
                                  hair_level, lsgan_loss, make_task, scaling_table, split_domains)
from _helpers import fails

HAIR = ["Black_Hair", "Blond_Hair", "Brown_Hair"]


def test_networks_and_losses():
    fails(lambda: ResnetBlock(4, padding="mirror"), "'reflect' or 'zero'")
    seed_everything(0)
    G = ResnetGenerator(ngf=8, n_blocks=2)
    fails(lambda: G(torch.zeros(1, 3, 18, 18)), "multiples of 4")
    fails(lambda: G(torch.zeros(1, 1, 16, 16)), "[B, 3, H, W]")
    fails(lambda: lsgan_loss(torch.zeros(0, 1, 2, 2), True), "empty")
    fails(lambda: cycle_view(nn.Identity(), nn.Identity(), torch.zeros(3, 8, 8)), "[B, 3, H, W]")


def test_image_pool_state():
    pool = ImagePool(50)
    pool.query(torch.zeros(50, 3, 2, 2))
    fails(lambda: ImagePool(3).load_state_dict(pool.state_dict()), "holds 3 images")


def test_config():
    fails(lambda: CycleGANConfig(load_size=200), "at least image_size")
    fails(lambda: CycleGANConfig(domains=["black", "gray"]), "not among the data set's labels")
    fails(lambda: CycleGANConfig(domains=["black"]), "exactly two")
    fails(lambda: CycleGANConfig(label_names=["cat"]), "at least two domains")
    fails(lambda: CycleGANConfig.cpu(image_size=8), "too small")


def test_split_domains():
    imgs, labs = torch.zeros(5, 3, 2, 2), torch.eye(3)[[0, 1, 2, 1, 0]]
    fails(lambda: split_domains({"image": imgs, "label": labs[:, :2]}, HAIR, HAIR[:2]), "[B, 3]")
    fails(lambda: split_domains({"image": imgs, "label": labs[:4]}, HAIR, HAIR[:2]), "5 images but 4 labels")


def test_cli_contract_and_translate():
    fails(lambda: default_config("tpu"), "expected one of")
    cli_cfg = {**default_config("cpu"), "image_size": 16, "ngf": 4, "n_blocks": 1, "ndf": 4, "n_layers": 1,
               "label_names": HAIR, "label_kind": "single"}
    fails(lambda: make_task({**cli_cfg, "model": "v1"}), "not 'cyclegan'")
    task = make_task(cli_cfg)
    fails(lambda: task.translate(torch.zeros(2, 3, 16, 16), torch.ones(2, 5)), "[B, 3]")


def test_toy_faces_helpers():
    fails(lambda: hair_level("Male"), "not a Toy Faces hair colour")
    fails(lambda: scaling_table(lambda k: None, [1]), "at least 2 domains")
