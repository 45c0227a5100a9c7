"""The error messages of `stargan_edu.v2` (chapter 07): every bad input is refused with a message that says what was
expected. Moved here from the chapter, which keeps two illustrative ones (R1 needs gradients with respect to the
images; a loss takes exactly one source of style)."""
import pytest
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from stargan_edu.core import seed_everything
from stargan_edu.v2 import (ClassBalanced, ReferencePool, V2Config, V2Task, adv_loss, compute_g_loss, cycle_loss,
                            default_config, distinct_per_group, evaluate_toyfaces, factor_matches, interpolate_styles,
                            make_task, pick_references, style_reconstruction_loss)
from _helpers import fails


def tiny_cfg(**kw) -> V2Config:
    return V2Config.cpu(**{**dict(image_size=16, dim_in=8, max_conv_dim=16, hidden_dim=16, style_dim=8, latent_dim=4,
                                  batch_size=4, ref_pool=4, num_iters=20, ds_iter=10, lambda_ds=2.0, lr=1e-3), **kw})


@pytest.fixture(scope="module")
def task():
    seed_everything(0)
    return V2Task(tiny_cfg())


def test_losses():
    fails(lambda: adv_loss(torch.tensor([2.0, -1.0, 0.0]), 0.5), "1 (real) or 0 (fake)")
    fails(lambda: style_reconstruction_loss(torch.zeros(2, 4), torch.zeros(2, 5)), "same shape")
    fails(lambda: cycle_loss(torch.ones(1, 3, 2, 2), torch.ones(1, 3, 4, 4)), "same shape")


def test_g_loss_takes_one_source_of_style(task):
    x, y = torch.rand(4, 3, 16, 16) * 2 - 1, torch.tensor([0, 1, 2, 0])
    z = torch.randn(4, 4)
    fails(lambda: compute_g_loss(task.nets, x, y, y.flip(0), z_trgs=(z, z), x_refs=(x, x)), "exactly one")


def test_reference_pool_and_class_balance():
    fails(lambda: ReferencePool(3).draw(2), "empty")
    pool = ReferencePool(3, capacity=4)
    pool.push(torch.zeros(2, 3, 2, 2), torch.tensor([0, 1]))
    fails(lambda: pool.push(torch.zeros(1, 3, 2, 2), torch.tensor([3])), "out of range")

    class Labelled(Dataset):
        def __init__(self, ys): self.labels = F.one_hot(torch.tensor(ys), 3).float()
        def __len__(self): return len(self.labels)
        def __getitem__(self, i): return {"image": torch.zeros(3, 2, 2), "label": self.labels[i]}
    fails(lambda: ClassBalanced(Labelled([0, 0, 2])), "[1] have no images")


def test_config():
    fails(lambda: V2Config(label_kind="multi"), "single-domain labels")
    fails(lambda: V2Config(image_size=48), "power of two")
    fails(lambda: V2Config(randcrop_prob=2), "probability")


def test_train_step_checks_the_labels(task):
    batch = {"image": torch.rand(4, 3, 16, 16) * 2 - 1, "label": F.one_hot(torch.tensor([0, 1, 2, 1]), 3).float()[:, :2]}
    fails(lambda: task.train_step(batch, 1), "one-hot [N, 3]")


def test_cli_contract():
    fails(lambda: default_config("big"), "unknown preset")
    cli_cfg = {**default_config("cpu"), **vars(tiny_cfg()), "data": "toyfaces", "label_names": ["a", "b"], "seed": 3}
    fails(lambda: make_task({**cli_cfg, "model": "v1"}), "not 'v2'")
    fails(lambda: make_task({**cli_cfg, "label_kind": "multi"}), "single-domain labels")
    two = make_task(cli_cfg, "cpu")
    fails(lambda: evaluate_toyfaces(two, None, n=4), "hair colours")        # domains 'a', 'b': not Toy Faces' hair


def test_oracle_counting():
    pred = {"a": torch.tensor([0, 0, 1, 1, 2, 2]), "c": torch.tensor([0.0, 0.1, 0.5, 0.2, 0.0, 0.0])}
    fails(lambda: factor_matches(pred, {"a": torch.zeros(6), "c": torch.zeros(6)}, ["c"]), "give its tolerance")
    fails(lambda: distinct_per_group(pred, ["a"], 4), "groups of 4")


def test_style_views():
    fails(lambda: interpolate_styles(torch.zeros(4), torch.ones(4), 1), "n >= 2")
    fails(lambda: pick_references(torch.tensor([0, 1, 2, 1, 1]), 2, domain=7), "no image of domain 7")
