"""CycleGAN (chapter 01): network sizes against the official ones, the losses, the image pool, the task and exact resume."""
import json

import pytest
import torch
from torch import nn
from torch.utils.data import Dataset

from stargan_edu.cyclegan import (CycleGANConfig, CycleGANTask, DomainPairs, ImagePool, PatchDiscriminator,
                                  ResnetGenerator, count_params, cycle_view, default_config, discriminator_loss,
                                  generator_loss, lsgan_loss, make_task, patch_receptive_field, scaling_table,
                                  split_domains)
from stargan_edu.engine import InfiniteLoader, fit, read_log
from stargan_edu.v1 import Generator

HAIR = ["Black_Hair", "Blond_Hair", "Brown_Hair"]


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    "Tiny networks: one thread is faster, and much faster on a busy machine (no waiting on a second core)."
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def test_paper_network_sizes():
    "The official code prints 11.378 M parameters for each generator and 2.765 M for each discriminator."
    with torch.device("meta"):
        assert count_params(ResnetGenerator(64, 9)) == 11_378_179
        D = PatchDiscriminator(64, 3)
        assert count_params(D) == 2_764_737
        assert D(torch.zeros(1, 3, 256, 256)).shape == (1, 1, 30, 30)
    assert patch_receptive_field(3) == 70


def test_generator_shapes_and_errors():
    G = ResnetGenerator(4, 1)
    y = G(torch.rand(2, 3, 12, 20) * 2 - 1)
    assert y.shape == (2, 3, 12, 20) and y.abs().max() <= 1
    with pytest.raises(ValueError, match="multiples of 4"):
        G(torch.zeros(1, 3, 10, 12))
    with pytest.raises(ValueError, match="at least 24 px"):
        PatchDiscriminator(4, 3)(torch.zeros(1, 3, 16, 16))


class _Scale(nn.Module):
    def __init__(self, s):
        super().__init__()
        self.s = nn.Parameter(torch.tensor(float(s)))

    def forward(self, x):
        return x * self.s


class _MeanD(nn.Module):
    def forward(self, x):
        return x.mean((1, 2, 3), keepdim=True)


def test_losses_weights():
    torch.manual_seed(0)
    x, y = torch.rand(3, 3, 4, 4), torch.rand(2, 3, 4, 4)
    loss, log, fake_y, fake_x = generator_loss(_Scale(1), _Scale(0.5), _MeanD(), _MeanD(), x, y, 10.0, 0.5)
    assert abs(log["cyc/x"] - 0.5 * x.abs().mean().item()) < 1e-6       # F(G(x)) = x / 2
    assert abs(log["cyc/y"] - 0.5 * y.abs().mean().item()) < 1e-6       # G(F(y)) = y / 2
    assert log["idt/y"] == 0.0 and abs(log["idt/x"] - 0.5 * x.abs().mean().item()) < 1e-6
    expected = log["G/adv"] + log["F/adv"] + 10 * (log["cyc/x"] + log["cyc/y"]) + 5 * (log["idt/x"] + log["idt/y"])
    assert abs(loss.item() - expected) < 1e-5
    assert lsgan_loss(torch.tensor([0.5, 1.5]), True).item() == pytest.approx(0.25)
    assert discriminator_loss(_MeanD(), torch.ones(2, 3, 2, 2), torch.full((1, 3, 2, 2), 0.4)).item() == pytest.approx(0.08)


def _tagged(a, b):
    return torch.arange(a, b, dtype=torch.float32).view(-1, 1, 1, 1).expand(-1, 3, 2, 2)


def test_image_pool_rule_and_resume():
    torch.manual_seed(0)
    pool = ImagePool(10)
    assert pool.query(_tagged(0, 10))[:, 0, 0, 0].tolist() == list(range(10))      # filling: the images themselves
    held = sorted(t[0, 0, 0].item() for t in pool.images)
    out = pool.query(_tagged(10, 410))[:, 0, 0, 0].tolist()
    now = sorted(t[0, 0, 0].item() for t in pool.images)
    assert sorted(held + list(range(10, 410))) == sorted(now + out)                 # nothing lost or duplicated
    assert 150 < sum(o != i + 10 for i, o in enumerate(out)) < 250                   # about half from the history
    state, rng = pool.state_dict(), torch.get_rng_state()
    a = pool.query(_tagged(500, 540))
    again = ImagePool(10)
    again.load_state_dict(state)
    torch.set_rng_state(rng)
    assert torch.equal(again.query(_tagged(500, 540)), a)


def test_split_domains_and_pairs():
    imgs, labs = _tagged(0, 5), torch.eye(3)[[0, 1, 2, 1, 0]]
    x, y = split_domains({"image": imgs, "label": labs}, HAIR, HAIR[:2])
    assert x[:, 0, 0, 0].tolist() == [0, 4] and y[:, 0, 0, 0].tolist() == [1, 3]

    class Items(Dataset):
        label_names, label_kind = HAIR, "single"
        def __len__(self): return 5
        def __getitem__(self, i): return {"image": imgs[i], "label": labs[i]}
    pairs = DomainPairs(Items())
    item = pairs[1]
    assert item["image"].shape == (2, 3, 2, 2) and item["image"][0, 0, 0, 0] == 4
    assert item["image"][1, 0, 0, 0].item() in (1, 3)


def test_config_contract_and_translate():
    cfg = {**default_config("cpu"), "image_size": 16, "ngf": 4, "n_blocks": 1, "ndf": 4, "n_layers": 1,
           "data": {"source": "toyfaces", "labels": "hair"}, "label_names": HAIR, "label_kind": "single"}
    task = make_task(cfg)
    out = task.config()
    assert out["model"] == "cyclegan" and out["data"] == cfg["data"] and out["domains"] == HAIR[:2]
    assert json.loads(json.dumps(out)) == out and make_task(out).config() == out
    assert {"image_size", "batch_size", "num_iters"} <= set(default_config("paper"))
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    y = task.translate(x, torch.tensor([[0.0, 1, 0], [1.0, 0, 0]]))
    with torch.no_grad():
        assert torch.equal(y[:1], task.G(x[:1])) and torch.equal(y[1:], task.F(x[1:]))
    with pytest.raises(ValueError, match="only translates between its two domains"):
        task.translate(x, torch.tensor([[0.0, 0, 1], [1.0, 0, 0]]))
    with pytest.raises(ValueError, match="not 'cyclegan'"):
        make_task({**cfg, "model": "v1"})


class _Faces(Dataset):
    "Random images, hair colour cycling black, blond, brown, with random flips (randomness inside data loading)."
    label_names, label_kind = HAIR, "single"

    def __init__(self, n=24, size=16):
        self.x = torch.rand(n, 3, size, size, generator=torch.Generator().manual_seed(0)) * 2 - 1

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        x = self.x[i].flip(-1) if torch.rand(()) < 0.5 else self.x[i]
        return {"image": x, "label": torch.eye(3)[i % 3]}


def _run(out, steps, resume=False):
    torch.manual_seed(0)
    cfg = CycleGANConfig.cpu(image_size=16, ngf=4, n_blocks=1, ndf=4, n_layers=1, batch_size=6, num_iters=8,
                             num_iters_decay=6, pool_size=3)
    task = CycleGANTask(cfg)
    fit(task, InfiniteLoader(_Faces(), 6, seed=2), out, steps=steps, sample_every=100, ckpt_every=100, log_every=1,
        resume=resume, progress=False)
    return task


def test_exact_resume_with_pools(tmp_path):
    straight = _run(tmp_path / "a", 8)
    _run(tmp_path / "b", 5)
    resumed = _run(tmp_path / "b", 8, resume=True)
    for name in straight.nets:
        for p, q in zip(straight.nets[name].state_dict().values(), resumed.nets[name].state_dict().values()):
            assert torch.equal(p, q), name
    assert len(straight.pools["fake_x"]) == 3
    assert all(torch.equal(p, q) for p, q in zip(straight.pools["fake_x"].images, resumed.pools["fake_x"].images))
    strip = lambda recs: [{k: v for k, v in r.items() if k != "seconds"} for r in recs]
    assert strip(read_log(tmp_path / "a")) == strip(read_log(tmp_path / "b"))
    assert resumed.opts["G"].param_groups[0]["lr"] == 0.0


def test_cycle_view_and_scaling():
    x = torch.rand(2, 3, 4, 4) * 2 - 1
    v = cycle_view(nn.Identity(), _Scale(0.5), x)
    assert torch.allclose(v["error"], 0.5 * x.abs().mean(1), atol=1e-6)
    rows = scaling_table(lambda k: Generator(64, k, 6), [2, 5])
    assert [r["cyclegan_generators"] for r in rows] == [2, 20]
    assert rows[1]["stargan_params"] == 8_430_528
