"""Chapter 03, the mask vector: unified labels, the joint data set, D's known-label classification, the joint iteration."""
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

import stargan_edu
from stargan_edu.core import seed_everything
from stargan_edu.engine import InfiniteLoader, fit
from stargan_edu.mask import (DATASETS, JointConfig, JointTask, JointToyFaces, KnownLabels, default_config,
                              known_slice, make_task, mask_choice_label, official_expression_label,
                              official_joint_dims, split_label, unified_label, unified_names)
from stargan_edu.pretrained import load_official_v1
from stargan_edu.v1 import Discriminator, discriminator_loss

FIX = Path(stargan_edu.__file__).parent / "assets" / "official"   # shipped with the package: the chapters read them too


def tiny(**kw):
    return JointConfig.cpu(image_size=16, conv_dim=8, g_repeat_num=1, d_conv_dim=8, d_repeat_num=3, **kw)


@pytest.fixture(scope="module")
def faces():
    return JointToyFaces(n=8, size=16, seed=0)


def test_unified_label_layout_and_errors():
    c = torch.tensor([[1., 0, 0, 1, 0]])
    assert unified_label(c, "celeba").tolist() == [[1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0]]
    e = F.one_hot(torch.tensor([2]), 5).float()
    assert unified_label(e, "RaFD").tolist() == [[0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1]]
    assert unified_label(e[0], 1).shape == (12,)
    (a, b), m = split_label(unified_label(c, 0))
    assert torch.equal(a, c) and b.abs().sum() == 0 and m.tolist() == [[1, 0]]
    assert known_slice("rafd", (5, 8)) == slice(5, 13)
    assert unified_names([["a"], ["b", "c"]]) == ["a", "b", "c", "mask:celeba", "mask:rafd"]
    with pytest.raises(ValueError, match="unknown dataset 'afhq'"):
        unified_label(c, "afhq")
    with pytest.raises(ValueError, match="a rafd label has 8 entries"):
        unified_label(e, "rafd", dims=(5, 8))
    with pytest.raises(ValueError, match=r"shaped \[B, 12\]"):
        split_label(torch.zeros(1, 13))


def test_joint_faces_items(faces):
    assert len(faces) == 16 and len(faces.label_names) == 12 and faces.label_kind == "joint"
    it = faces[10]
    assert it["image"].shape == (3, 16, 16) and int(it["dataset"]) == 1
    assert it["label"][:5].sum() == 0 and it["label"][5:10].sum() == 1 and it["label"][10:].tolist() == [0, 1]
    assert torch.equal(faces.labels[:, -2:], F.one_hot(faces.dataset, 2).float())
    studio = JointToyFaces(n=6, size=16, seed=0, studio=True)
    assert studio.factors[1]["tilt"].abs().max() == 0 and studio.factors[0]["tilt"].abs().max() > 0
    assert studio.factors[1]["background"].unique().numel() == 1 and faces.factors[1]["background"].unique().numel() > 1
    assert torch.equal(faces.view("celeba")[3]["image"], faces[3]["image"]) and faces.view("celeba")[3]["label"].shape == (5,)


def test_d_classifies_only_known_labels():
    seed_everything(0)
    D = Discriminator(16, 8, 10, 3)
    x = torch.rand(4, 3, 16, 16) * 2 - 1
    for k, (lab, kind) in enumerate([((torch.rand(4, 5) > 0.5).float(), "multi"), (torch.arange(4), "single")]):
        D.zero_grad()
        loss, _ = discriminator_loss(KnownLabels(D, known_slice(k)), x, x.flip(0), lab, label_kind=kind)
        loss.backward()
        g = D.conv2.weight.grad.flatten(1).abs().sum(1)
        assert (g[known_slice(k)] > 0).all() and g[known_slice(1 - k)].sum() == 0


def _batch(faces, idx):
    return {k: torch.stack([faces[i][k] for i in idx]) for k in ("image", "label", "dataset")}


def test_train_step_visits_celeba_then_rafd(faces):
    b = _batch(faces, [0, 8, 1, 9, 2, 10])

    def manual(order):
        seed_everything(5)
        t = JointTask(tiny())
        for k in order:
            i = (b["dataset"] == k).nonzero().flatten()
            t.dataset_step(b["image"][i], b["label"][i], k, 0)
        for s in t.scheds.values(): s.step()
        return t

    seed_everything(5)
    auto = JointTask(tiny())
    log = auto.train_step(b, 0)
    assert {"D/loss_cls:celeba", "D/loss_cls:rafd", "G/loss_rec:celeba", "G/loss_rec:rafd"} <= set(log)
    same, swapped = manual([0, 1]), manual([1, 0])
    sd = auto.G.state_dict()
    assert all(torch.equal(sd[k], v) for k, v in same.G.state_dict().items())
    assert not all(torch.equal(sd[k], v) for k, v in swapped.G.state_dict().items())
    assert (auto.G.c_dim, auto.D.c_dim) == (12, 10)
    with pytest.raises(ValueError, match="disagrees"):
        auto.train_step({**b, "dataset": 1 - b["dataset"]}, 1)
    assert auto.sample(b).shape == (6 * 11, 3, 16, 16)


def test_exact_resume(faces, tmp_path):
    def run(out, steps, resume=False):
        seed_everything(1)
        t = JointTask(tiny(n_critic=2, num_iters=6, num_iters_decay=6))
        fit(t, InfiniteLoader(faces, 8, seed=1), out, steps=steps, sample_every=100, ckpt_every=100, log_every=1,
            resume=resume, progress=False)
        return t
    a = run(tmp_path / "a", 6)
    run(tmp_path / "b", 3)
    b = run(tmp_path / "b", 6, resume=True)
    for name in ("G", "D"):
        for x, y in zip(a.nets[name].state_dict().values(), b.nets[name].state_dict().values()):
            assert torch.equal(x, y)


def test_cli_contract(faces):
    cfg = default_config("cpu")
    assert cfg["model"] == "v1-joint" and cfg["c_dim"] == 12
    cfg.update(image_size=16, conv_dim=8, g_repeat_num=1, d_conv_dim=8, d_repeat_num=3, data={"source": "toyfaces-joint"},
               label_names=faces.label_names, label_kind=faces.label_kind)
    t = make_task(cfg)
    assert t.config()["data"] == {"source": "toyfaces-joint"} and t.config()["label_names"] == faces.label_names
    assert make_task(t.config()).config() == t.config()
    with pytest.raises(ValueError, match="not 'v1-joint'"):
        make_task({**cfg, "model": "v1"})


def test_official_joint_generator():
    G = load_official_v1(FIX / "v1_official_both-G.pt")
    assert G.c_dim == 15 and official_joint_dims(G.c_dim) == (5, 8)
    c = official_expression_label("happy", n=2)
    assert c.shape == (2, 15) and c[0, 5 + 4] == 1 and c[0, -2:].tolist() == [0, 1]
    x = torch.load(FIX / "v1_official_both-io.pt", weights_only=True)["x"][:2]
    with torch.no_grad():
        assert G(x, c).shape == x.shape
    with pytest.raises(ValueError, match="single-data-set"):
        official_joint_dims(5)


def test_mask_choice_label():
    assert mask_choice_label("celeba", "Brown_Hair", True, True, "sad")[0].tolist() == [0, 0, 1, 1, 1] + [0] * 5 + [1, 0]
    assert mask_choice_label("rafd", expression="angry")[0].tolist() == [0] * 5 + [0, 0, 0, 1, 0] + [0, 1]
    with pytest.raises(ValueError, match="unknown expression"):
        mask_choice_label("rafd", expression="smiling")


def test_joint_task_refuses_data_parallelism_before_touching_files(faces, tmp_path):
    "A rank whose batch lacks a data set would skip a step: fit refuses the joint task under DDP, and says why."
    from stargan_edu.engine import Runtime
    out = tmp_path / "run"
    with pytest.raises(ValueError, match="JointTask trains in one process only.*skip a step"):
        fit(JointTask(tiny()), InfiniteLoader(faces, 8, seed=1, rank=0, world_size=2), out, steps=2,
            runtime=Runtime(rank=0, world_size=2), progress=False)
    assert not out.exists()
    assert JointTask.single_process and stargan_edu.v1.V1Task.single_process is None
