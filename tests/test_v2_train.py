"""StarGAN v2 training (`stargan_edu.v2`): losses, the official iteration, the diversity-weight decay, exact resume,
the CLI contract. Tiny networks, a few seconds in all."""
import json
import math

import pytest
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from stargan_edu.core import seed_everything
from stargan_edu.engine import InfiniteLoader, fit, read_log
from stargan_edu.v2 import (ClassBalanced, Discriminator, Generator, MappingNetwork, ReferencePool, StyleEncoder, V2Config,
                            V2Task, adv_loss, compute_g_loss, default_config, diversity_sensitive_loss, make_task,
                            moving_average, r1_reg)


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)      # tiny networks: threads only add overhead
    yield
    torch.set_num_threads(n)


def tiny_cfg(**kw) -> V2Config:
    base = dict(image_size=16, dim_in=8, max_conv_dim=16, hidden_dim=16, style_dim=8, latent_dim=4, batch_size=4,
                ref_pool=4, num_iters=20, ds_iter=4, lambda_ds=2.0, lr=1e-3)
    return V2Config.cpu(**{**base, **kw})


class RandomFaces(Dataset):
    def __init__(self, n=12, size=16, k=3):
        g = torch.Generator().manual_seed(0)
        self.x, self.y, self.k = torch.rand(n, 3, size, size, generator=g) * 2 - 1, torch.arange(n) % k, k

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return {"image": self.x[i], "label": F.one_hot(self.y[i], self.k).float()}


def batch_of(n=4):
    ds = RandomFaces()
    return {"image": torch.stack([ds[i]["image"] for i in range(n)]), "label": torch.stack([ds[i]["label"] for i in range(n)])}


def test_networks_are_reexported():
    from stargan_edu import adain, mapping, style_encoder
    assert (Generator, MappingNetwork, StyleEncoder, Discriminator) == (
        adain.Generator, mapping.MappingNetwork, style_encoder.StyleEncoder, style_encoder.Discriminator)


def test_adv_loss_and_r1():
    logits = torch.tensor([1.5, -0.5])
    assert torch.isclose(adv_loss(logits, 1), -F.logsigmoid(logits).mean())
    assert torch.isclose(adv_loss(logits, 0), -F.logsigmoid(-logits).mean())
    w = torch.randn(3, 4, 4)
    x = torch.randn(6, 3, 4, 4).requires_grad_()
    assert math.isclose(r1_reg((x * w).flatten(1).sum(1), x).item(), 0.5 * w.pow(2).sum().item(), rel_tol=1e-5)


def test_diversity_loss_is_subtracted_and_detached():
    a = torch.zeros(1, 3, 2, 2, requires_grad=True)
    b = torch.ones(1, 3, 2, 2, requires_grad=True)
    diversity_sensitive_loss(a, b).backward()
    assert b.grad is None and (a.grad < 0).all()
    seed_everything(0)
    nets = {"G": Generator(16, 8, 16, 0, 8), "F": MappingNetwork(4, 8, 3, 16), "E": StyleEncoder(16, 8, 3, 16, 8),
            "D": Discriminator(16, 3, 16, 8)}
    b = batch_of()
    y = b["label"].argmax(1)
    z = (torch.randn(4, 4), torch.randn(4, 4))
    loss, parts = compute_g_loss(nets, b["image"], y, y.flip(0), z_trgs=z, lambda_sty=1, lambda_ds=3, lambda_cyc=2)
    assert math.isclose(loss.item(), parts["adv"] + parts["sty"] - 3 * parts["ds"] + 2 * parts["cyc"], rel_tol=1e-5, abs_tol=1e-6)


def test_one_iteration_makes_the_official_updates():
    seed_everything(0)
    task = V2Task(tiny_cfg())
    ema0 = [p.clone() for p in task.E_ema.parameters()]
    log = task.train_step(batch_of(), 0)
    steps = {k: int(next(iter(o.state.values()))["step"]) for k, o in task.opts.items()}
    assert steps == {"D": 2, "G": 2, "F": 1, "E": 1}
    for p, e0, e in zip(task.E.parameters(), ema0, task.E_ema.parameters()):
        assert torch.allclose(e, torch.lerp(p, e0, task.cfg.ema_beta), atol=1e-7)
    assert log["G/lambda_ds"] == 2.0 and math.isclose(task.lambda_ds, 1.5)
    assert all(math.isfinite(v) for v in log.values())


def test_lambda_ds_decays_linearly_to_zero():
    seed_everything(0)
    task = V2Task(tiny_cfg(ds_iter=3, lambda_ds=1.0))
    b = batch_of()
    used = [task.train_step(b, i)["G/lambda_ds"] for i in range(5)]
    assert used[:3] == pytest.approx([1.0, 2 / 3, 1 / 3]) and used[3:] == [0.0, 0.0]


def run(out, steps, resume=False):
    seed_everything(0)
    task = V2Task(tiny_cfg())
    fit(task, InfiniteLoader(RandomFaces(), 4, seed=0), out, steps=steps, sample_every=100, ckpt_every=100,
        log_every=1, resume=resume, progress=False)
    return task


def test_resume_is_bit_identical(tmp_path):
    straight = run(tmp_path / "a", 5)
    run(tmp_path / "b", 2)
    resumed = run(tmp_path / "b", 5, resume=True)
    for k in straight.nets:
        for a, b in zip(straight.nets[k].state_dict().values(), resumed.nets[k].state_dict().values()):
            assert torch.equal(a, b), k
    assert resumed.lambda_ds == straight.lambda_ds == 0.0
    assert [r["G/lambda_ds"] for r in read_log(tmp_path / "b")] == [2.0, 1.5, 1.0, 0.5, 0.0]
    assert json.loads((tmp_path / "b" / "config.json").read_text())["task"]["model"] == "v2"
    assert (tmp_path / "b" / "samples" / "step_000005.png").exists()


def test_cli_contract():
    for preset in ("cpu", "paper_afhq"):
        cfg = default_config(preset)
        assert json.loads(json.dumps(cfg)) == cfg
        assert {"image_size", "batch_size", "num_iters"} <= set(cfg) and cfg["model"] == "v2"
    cfg = {**default_config("cpu"), **{k: v for k, v in vars(tiny_cfg()).items()}, "data": "toyfaces",
           "label_names": ["x", "y"], "label_kind": "single"}
    task = make_task(cfg, "cpu")
    assert task.cfg.num_domains == 2 and task.config() == {**cfg, "model": "v2"}
    with pytest.raises(ValueError, match="single-domain"):
        make_task({**cfg, "label_kind": "multi"}, "cpu")
    with pytest.raises(ValueError, match="unknown preset"):
        default_config("huge")


def test_paper_presets():
    a, c = V2Config.paper_afhq(), V2Config.paper_celebahq()
    assert (a.num_domains, a.w_hpf, a.lambda_ds, a.ds_iter, a.num_iters, a.batch_size) == (3, 0.0, 2.0, 100_000, 100_000, 8)
    assert (c.num_domains, c.w_hpf, c.lambda_ds) == (2, 1.0, 1.0)
    assert (a.lr, a.f_lr, a.beta1, a.beta2, a.weight_decay, a.ema_beta) == (1e-4, 1e-6, 0.0, 0.99, 1e-4, 0.999)


def test_reference_pool_and_class_balance():
    pool = ReferencePool(3, capacity=2)
    x = torch.arange(6.).view(6, 1, 1, 1).expand(6, 3, 2, 2).clone()
    y = torch.tensor([0, 0, 0, 1, 1, 2])
    pool.push(x, y)
    seed_everything(0)
    r1, r2, yt = pool.draw(500)
    dom = y[r1[:, 0, 0, 0].long()]
    assert torch.equal(dom, yt) and torch.equal(y[r2[:, 0, 0, 0].long()], yt)
    assert 0 not in r1[:, 0, 0, 0].tolist()                       # the oldest image of domain 0 was overwritten
    assert torch.bincount(yt, minlength=3).min() > 120            # ~1/3 each
    cb = ClassBalanced(RandomFaces(n=7))
    assert torch.bincount(torch.stack([cb[i]["label"] for i in range(len(cb))]).argmax(1)).tolist() == [3, 3, 3]


def test_moving_average():
    a, b = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)
    expected = [torch.lerp(p, q, 0.9) for p, q in zip(a.parameters(), b.parameters())]
    moving_average(a, b, 0.9)
    assert all(torch.allclose(e, q) for e, q in zip(expected, b.parameters()))


def test_translate_and_toyfaces_scores():
    from stargan_edu.v2 import evaluate_toyfaces
    seed_everything(0)
    task = V2Task(tiny_cfg(image_size=32))
    x = torch.rand(3, 3, 32, 32) * 2 - 1
    z = torch.randn(1, 4)
    c = F.one_hot(torch.tensor([2, 2, 2]), 3).float()
    assert torch.equal(task.translate(x, c, z), task.translate_latent(x, 2, z))
    scores = evaluate_toyfaces(task, n=6, n_ref=2, n_z=2)
    assert all(0 <= scores[k] <= 1 for k in ("oracle_target_accuracy", "oracle_preservation", "oracle_style_from_reference"))
    assert 1 <= scores["oracle_distinct_styles"] <= 2


def test_translators_pass_the_training_masks():
    "A w_hpf > 0 task with `masks_fn` translates (latent, reference, sample grid) with the same masks it trains with."
    seed_everything(0)
    task = V2Task(tiny_cfg(image_size=32, w_hpf=1.0), "cpu")
    seen = []
    task.masks_fn = lambda x: (seen.append(x.shape[0]), (torch.ones_like(x[:, :1]),) * 2)[1]
    x, z = torch.rand(2, 3, 32, 32) * 2 - 1, torch.randn(2, 4)
    out = task.translate_latent(x, 1, z)
    s = task.F_ema(z, torch.tensor([1, 1]))
    assert torch.allclose(out, task.G_ema(x, s, masks=(torch.ones_like(x[:, :1]),) * 2))
    assert not torch.allclose(out, task.G_ema(x, s))                 # the skip path changes the image
    ref = task.translate_reference(x, x[:1], 0)
    assert torch.allclose(ref, task.G_ema(x, task.E_ema(x[:1], torch.tensor([0])).expand(2, -1),
                                          masks=(torch.ones_like(x[:, :1]),) * 2))
    n_before = len(seen)
    task.sample({"image": torch.rand(4, 3, 32, 32) * 2 - 1, "label": F.one_hot(torch.arange(4) % 3, 3).float()})
    assert len(seen) > n_before
    task.masks_fn = None
    assert torch.allclose(task.translate_latent(x, 1, z), task.G_ema(x, s))


def test_deeper_bottleneck_setting():
    "`g_bottleneck` (default 16, the official rule) sets the size of G's bottleneck; a resumed run rebuilds the same G."
    assert V2Config().g_bottleneck == 16
    task = V2Task(tiny_cfg(image_size=32, g_bottleneck=8), "cpu")
    assert sum(b.downsample for b in task.G.encode) == 2
    assert sum(b.downsample for b in V2Task(tiny_cfg(image_size=32), "cpu").G.encode) == 1
