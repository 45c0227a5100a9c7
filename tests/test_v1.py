"""StarGAN v1: parity with the official networks (fixtures made once from yunjey/stargan's model.py), the official
loader's messages, losses, schedule, the command line's config round trip and exact resume (moved here from chapter 02)."""
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

import stargan_edu
from stargan_edu.pretrained import load_official_v1, official_v1_config
from stargan_edu.engine import LinearDecay
from stargan_edu.v1 import (CELEBA_ATTRS, Discriminator, Generator, V1Config, V1Task, classification_loss,
                            create_test_labels, discriminator_loss, generator_loss, gradient_penalty, reconstruction_loss)

from _helpers import resumed_run, same_weights

FIX = Path(stargan_edu.__file__).parent / "assets" / "official"   # shipped with the package: the chapters read them too


def _load(name):
    return torch.load(FIX / name, weights_only=True)


@pytest.mark.parametrize("tag", ["celeba", "both"])
def test_official_generator_parity(tag):
    io = _load(f"v1_official_{tag}-io.pt")
    G = load_official_v1(FIX / f"v1_official_{tag}-G.pt")
    assert (G.conv_dim, G.c_dim, G.repeat_num) == (io["conv_dim"], io["c_dim"], io["repeat_num"])
    with torch.no_grad():
        assert torch.allclose(G(io["x"], io["c"]), io["y"], atol=1e-4)        # eval mode: instance statistics
        assert torch.allclose(G.train()(io["x"], io["c"]), io["y"], atol=1e-4)


@pytest.mark.parametrize("tag", ["celeba", "both"])
def test_state_dict_keys_match_official(tag):
    io = _load(f"v1_official_{tag}-io.pt")
    G = Generator(io["conv_dim"], io["c_dim"], io["repeat_num"])
    assert list(G.state_dict()) == io["keys"]
    sd = _load(f"v1_official_{tag}-G.pt")
    assert {k: tuple(v.shape) for k, v in G.state_dict().items()} == {k: tuple(v.shape) for k, v in sd.items()}


def test_official_discriminator_parity():
    io = _load("v1_official_celeba-D-io.pt")
    D = Discriminator(io["image_size"], io["conv_dim"], io["c_dim"], io["repeat_num"])
    D.load_state_dict(_load("v1_official_celeba-D.pt"))
    assert list(D.state_dict()) == io["keys"]
    with torch.no_grad():
        src, cls = D(io["x"])
    assert torch.allclose(src, io["src"], atol=1e-4) and torch.allclose(cls, io["cls"], atol=1e-4)


def test_loader_errors_and_variants(tmp_path):
    sd = _load("v1_official_celeba-G.pt")
    assert official_v1_config({"module." + k: v for k, v in sd.items()}) == {"conv_dim": 8, "c_dim": 5, "repeat_num": 2}
    with pytest.raises(ValueError, match="discriminator"):
        load_official_v1(FIX / "v1_official_celeba-D.pt")
    with pytest.raises(ValueError, match="expected a StarGAN v1 generator state_dict"):
        load_official_v1({"main.0.weight": torch.zeros(8, 8, 3, 3)})
    with pytest.raises(ValueError, match="load_official_v2"):
        load_official_v1({"generator": torch.zeros(1), "mapping_network": torch.zeros(1)})
    with pytest.raises(FileNotFoundError, match="download.sh"):
        load_official_v1(tmp_path / "missing-G.ckpt")
    torch.save({"G": sd, "note": "a wrapped state_dict"}, tmp_path / "wrapped.ckpt")
    with pytest.raises(ValueError, match="expected a StarGAN v1 generator state_dict"):
        load_official_v1(tmp_path / "wrapped.ckpt")
    with pytest.raises(ValueError, match=r"found \[10\]"):
        load_official_v1({k: v for k, v in sd.items() if not k.startswith("main.9.")})
    with pytest.raises(ValueError, match=r"missing \['main.17.weight'\]"):
        load_official_v1({k: v for k, v in sd.items() if k != "main.17.weight"})


def test_generator_shape_errors():
    G = Generator(4, 5, 1)
    x = torch.zeros(2, 3, 8, 8)
    with pytest.raises(ValueError, match=r"\[B, c_dim\] = \[2, 5\]"):
        G(x, torch.zeros(2, 4))
    with pytest.raises(ValueError, match="multiples of 4"):
        G(torch.zeros(2, 3, 10, 10), torch.zeros(2, 5))
    with pytest.raises(ValueError, match="built for 32"):
        Discriminator(32, 4, 5, 3)(torch.zeros(1, 3, 16, 16))


def test_losses():
    logits, t = torch.tensor([[2.0, -1.0], [0.5, 0.0]]), torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    assert torch.isclose(classification_loss(logits, t), 2 * F.binary_cross_entropy_with_logits(logits, t))
    assert torch.isclose(classification_loss(logits, t, "single"), F.cross_entropy(logits, torch.tensor([0, 1])))
    assert reconstruction_loss(torch.zeros(1, 3, 2, 2), torch.ones(1, 3, 2, 2)).item() == 1.0

    class Lin(torch.nn.Module):
        def __init__(self, w): super().__init__(); self.w = torch.nn.Parameter(w)
        def forward(self, x): return (x * self.w).flatten(1).sum(1)[:, None, None, None], None
    w = torch.randn(3, 2, 2); w = 2 * w / w.norm()
    assert abs(gradient_penalty(Lin(w), torch.randn(4, 3, 2, 2), torch.randn(4, 3, 2, 2)).item() - 1.0) < 1e-5

    torch.manual_seed(0)
    G, D = Generator(4, 5, 1), Discriminator(16, 4, 5, 3)
    x, c_org = torch.rand(2, 3, 16, 16) * 2 - 1, torch.tensor([[1., 0, 0, 1, 0], [0, 1, 0, 0, 1]])
    ld, p = discriminator_loss(D, x, G(x, c_org.flip(0)), c_org, alpha=torch.full((2,), 0.5))
    assert abs(ld.item() - (p["D/loss_real"] + p["D/loss_fake"] + p["D/loss_cls"] + 10 * p["D/loss_gp"])) < 1e-4
    lg, p = generator_loss(G, D, x, c_org, c_org.flip(0))
    assert abs(lg.item() - (p["G/loss_fake"] + 10 * p["G/loss_rec"] + p["G/loss_cls"])) < 1e-4


def test_lr_decay_matches_official_loop():
    f = LinearDecay(num_iters=50, num_iters_decay=20, lr_update_step=4, mode="official")
    lr, lrs = 1.0, []
    for i in range(50):
        if (i + 1) % 4 == 0 and (i + 1) > 50 - 20:
            lr -= 1.0 / 20
        lrs.append(lr)
    assert all(abs(f(i + 1) - v) < 1e-12 for i, v in enumerate(lrs))
    assert LinearDecay(10, 5, 1, "linear")(10) == 0.0


def test_test_labels_and_config():
    ts = create_test_labels(torch.tensor([[0., 1, 0, 0, 1]]), CELEBA_ATTRS)
    assert [t.tolist()[0] for t in ts] == [[1, 0, 0, 0, 1], [0, 1, 0, 0, 1], [0, 0, 1, 0, 1], [0, 1, 0, 1, 1], [0, 1, 0, 0, 0]]
    cfg = V1Config.paper()
    assert (cfg.image_size, cfg.conv_dim, cfg.g_repeat_num, cfg.batch_size, cfg.num_iters, cfg.num_iters_decay, cfg.n_critic) \
        == (128, 64, 6, 16, 200_000, 100_000, 5)


def test_task_step_updates_g_every_n_critic():
    torch.manual_seed(0)
    task = V1Task(V1Config.cpu(image_size=16, conv_dim=4, g_repeat_num=1, d_conv_dim=4, d_repeat_num=3, n_critic=3))
    batch = {"image": torch.rand(4, 3, 16, 16) * 2 - 1, "label": torch.tensor([[1., 0, 0, 1, 0], [0, 1, 0, 0, 1]] * 2)}
    g0 = [p.clone() for p in task.G.parameters()]
    assert "G/loss_rec" not in task.train_step(batch, 0)
    assert all(torch.equal(a, b) for a, b in zip(g0, task.G.parameters()))   # G untouched by a D-only step
    task.train_step(batch, 1)
    assert "G/loss_rec" in task.train_step(batch, 2)
    assert not all(torch.equal(a, b) for a, b in zip(g0, task.G.parameters()))


def test_default_config_and_make_task():
    from stargan_edu.v1 import default_config, make_task
    cfg = default_config("cpu")
    assert cfg["image_size"] == V1Config.cpu().image_size
    t = make_task({**cfg, "image_size": 16, "d_repeat_num": 3, "label_names": ["a", "b"], "label_kind": "single",
                   "data": {"source": "x"}})
    assert (t.cfg.c_dim, t.config()["data"], t.config()["model"]) == (2, {"source": "x"}, "v1")
    assert make_task(t.config()).config() == t.config()     # config.json round trip
    with pytest.raises(ValueError, match="expected one of"):
        default_config("fast")


def test_exact_resume(tmp_path):
    """A run interrupted after 4 iterations and resumed to 8 ends bit for bit like an uninterrupted one (n_critic=2,
    a learning rate decaying from the first iteration to zero)."""
    from dataclasses import replace
    from stargan_edu.toyfaces import ToyFaces
    faces = ToyFaces(16, size=32, seed=0, labels="celeba")
    cfg = replace(V1Config.cpu(conv_dim=8, g_repeat_num=1, d_conv_dim=16, g_lr=1e-3, d_lr=1e-3, n_critic=2,
                               num_iters=8, num_iters_decay=8), label_names=list(faces.label_names),
                  label_kind=faces.label_kind)
    straight, resumed = resumed_run(lambda: V1Task(cfg), faces, tmp_path, steps=8, stop=4)
    assert same_weights(straight, resumed, ("G", "D"))
    assert resumed.opts["G"].param_groups[0]["lr"] == pytest.approx(0.0, abs=1e-12)   # decayed to zero


def test_d_cutout_reaches_d_in_both_steps_and_resumes_exactly(tmp_path, monkeypatch):
    """`d_cutout` (chapter 02): every image D sees in a training step, in D's step and G's, has a grey square cut out
    (and no image does without it); the draws come from the checkpointed random stream, so a resumed run is exact."""
    from dataclasses import replace
    from stargan_edu.toyfaces import ToyFaces
    faces = ToyFaces(16, size=32, seed=0, labels="celeba")
    cfg = replace(V1Config.cpu(conv_dim=8, g_repeat_num=1, d_conv_dim=16, num_iters=6, num_iters_decay=6, d_cutout=0.5),
                  label_names=list(faces.label_names), label_kind=faces.label_kind)
    for cut in (0.5, 0.0):
        task, seen = V1Task(replace(cfg, d_cutout=cut)), []
        forward = task.D.forward
        monkeypatch.setattr(task.D, "forward", lambda x: (seen.append(x.detach()), forward(x))[1])
        task.train_step({k: torch.stack([faces[i][k] for i in range(4)]) for k in ("image", "label")}, 0)
        grey_square = [bool(((x == 0).all(1).flatten(1).sum(1) >= 4).all()) for x in seen]   # D's step: real, fake, GP; G's step: fake
        assert len(seen) == 4 and grey_square == [cut > 0] * 4
    straight, resumed = resumed_run(lambda: V1Task(cfg), faces, tmp_path, steps=6, stop=3)
    assert same_weights(straight, resumed, ("G", "D"))
