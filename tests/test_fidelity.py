"""Issue 11, "faithful to the official protocol": each test would have caught one difference from the official code
(clovaai/stargan-v2, yunjey/stargan, junyanz/pytorch-CycleGAN-and-pix2pix)."""
import argparse
import json
import warnings

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

from stargan_edu import cli, data as D, metrics as M


def _folder(root, domains: dict, size: int = 20):
    "Write `root/<folder>/k.png` for each `{folder: (n, colour)}`; the left half of every image is darker (not mirror-symmetric)."
    for folder, (n, colour) in domains.items():
        (root / folder).mkdir(parents=True, exist_ok=True)
        for k in range(n):
            a = np.full((size, size, 3), colour, dtype=np.uint8)
            a[:, : size // 2] //= 2
            a[0, 0] = (k * 9) % 256                              # every image a little different
            Image.fromarray(a).save(root / folder / f"{k}.png")
    return root


def _train_args(*argv):
    return cli.build_parser().parse_args(["train", "--out", "unused", *argv])


# 1. FID features: the official block path, also for the network the pretrained constructor builds

def test_inception_features_skip_transform_input():
    from torchvision.models import inception_v3
    torch.manual_seed(0)
    net = inception_v3(weights=None, transform_input=True, aux_logits=True, init_weights=False)   # as weights="DEFAULT"
    net.load_state_dict(inception_v3(weights=None, aux_logits=True, init_weights=True).state_dict())
    net.fc = nn.Identity()
    inc = M.InceptionFeatures(resize=75).build(net)
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    xn = (F.interpolate((x + 1) / 2, size=(75, 75), mode="bilinear", align_corners=False) - inc.mean) / inc.std
    with torch.no_grad():
        h = xn
        for name in M.OFFICIAL_INCEPTION_BLOCKS: h = getattr(net.eval(), name)(h)
        official, whole = h.flatten(1), net.eval()(xn)
        ours = inc(x)
    assert torch.allclose(ours, official, atol=1e-5)
    assert ((whole - official).norm() / official.norm()) > 0.05          # the whole module applies transform_input


# 2. StarGAN v2's random resized crop

def test_randcrop_statistics_and_presets():
    from stargan_edu.v2 import default_config
    img = Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8))
    whole = D.ImageTransform(32)(img)
    torch.manual_seed(1)
    outs = torch.stack([D.ImageTransform(32, randcrop_prob=0.5)(img) for _ in range(300)])
    cropped = (outs - whole).abs().flatten(1).amax(1) > 1e-6
    assert abs(cropped.float().mean().item() - 0.5) < 0.1
    seen = []
    orig = D.TF.resized_crop
    def spy(im, i, j, h, w, *a, **k):
        seen.append((h, w)); return orig(im, i, j, h, w, *a, **k)
    D.TF.resized_crop = spy
    try:
        for _ in range(200): D.ImageTransform(32, randcrop_prob=1.0)(img)
    finally:
        D.TF.resized_crop = orig
    hw = torch.tensor(seen, dtype=torch.float)
    area, ratio = hw.prod(1) / 64**2, hw[:, 1] / hw[:, 0]
    assert len(seen) == 200 and area.min() >= 0.8 - 0.03 and area.max() <= 1.0 and ratio.min() >= 0.9 - 0.05 and ratio.max() <= 1.1 + 0.05
    assert D.make_transform(32, None, None, "val", randcrop_prob=0.5).randcrop_prob == 0.0
    for preset, want in (("paper_afhq", 0.5), ("paper_celebahq", 0.5), ("cpu", 0.0)):
        assert default_config(preset)["randcrop_prob"] == want


# 3. v2 through the command line: presets, class balance, w_hpf without masks

def test_v2_presets_on_the_command_line():
    afhq, celebahq = cli.run_config(_train_args("--model", "v2", "--preset", "paper_afhq")), \
        cli.run_config(_train_args("--model", "v2", "--preset", "paper_celebahq"))
    assert (afhq["lambda_ds"], afhq["w_hpf"], celebahq["lambda_ds"], celebahq["w_hpf"]) == (2.0, 0.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="paper_afhq.*paper_celebahq"):
        cli.run_config(_train_args("--model", "v2", "--preset", "paper"))
    with pytest.raises(ValueError, match="unknown preset"):
        cli.run_config(_train_args("--model", "v1", "--preset", "paper_afhq"))


def test_v2_sources_are_class_balanced(tmp_path):
    from stargan_edu.v2 import ClassBalanced, make_task
    root = _folder(tmp_path / "afhq", {"train/cat": (6, (200, 120, 40)), "train/dog": (2, (90, 60, 30))}, size=16)
    cfg = cli.run_config(_train_args("--model", "v2", "--data", str(root), "--size", "16", "--set", "randcrop_prob=0.5"))
    ds = cli.make_data(cfg["data"], 16, randcrop_prob=cfg["randcrop_prob"])
    assert ds.transform.randcrop_prob == 0.5
    cfg.update(label_names=ds.label_names, label_kind=ds.label_kind)
    task = make_task(cfg)
    stream = task.training_stream(ds)
    assert isinstance(stream, ClassBalanced)
    doms = torch.stack([stream[i]["label"] for i in range(len(stream))]).argmax(1)
    assert torch.bincount(doms).tolist() == [6, 6]                         # 6 cats, 2 dogs → equal shares
    with pytest.warns(UserWarning, match="FAN"):
        make_task({**cfg, "w_hpf": 1.0}).training_stream(ds)


# 4. CycleGAN through the command line: two domains A and B, one of each per iteration, resize 286 / crop 256

def test_cyclegan_layout_pairs_and_crops(tmp_path):
    from stargan_edu.cyclegan import DomainPairs, make_task
    from stargan_edu.engine import InfiniteLoader
    root = _folder(tmp_path / "h2z", {"trainA": (3, (140, 90, 40)), "trainB": (5, (240, 240, 240)),
                                      "testA": (1, (140, 90, 40)), "testB": (2, (240, 240, 240))})
    cfg = cli.run_config(_train_args("--model", "cyclegan", "--data", str(root), "--preset", "paper", "--size", "16"))
    assert (cfg["load_size"], cfg["pairs"], cfg["batch_size"]) == (18, True, 1)          # 286 / 256 of 16
    ds = cli.make_data(cfg["data"], 16, load_size=cfg["load_size"])
    assert ds.label_names == ["A", "B"] and {f.parent.name for f in ds.files} == {"trainA", "trainB"}
    assert ds.transform.load_size == 18
    assert {f.parent.name for f in cli.make_data(cfg["data"], 16, split="test").files} == {"testA", "testB"}
    cfg.update(label_names=ds.label_names, label_kind=ds.label_kind, ngf=4, n_blocks=1, ndf=4, n_layers=1)
    task = make_task(cfg)
    stream = task.training_stream(ds)
    assert isinstance(stream, DomainPairs)
    for batch in [next(iter(InfiniteLoader(stream, batch_size=1)))]:
        x, y = task.split(batch)
        assert (len(x), len(y)) == (1, 1)                                  # one image of A and one of B
    assert cli.run_config(_train_args("--model", "cyclegan"))["pairs"] is False      # the CPU preset keeps its mixed batches


# 5. The evaluation protocol's images

class _Rec:
    cfg = argparse.Namespace(latent_dim=2, label_names=["a", "b"])
    def __init__(self): self.refs = []
    def translate_latent(self, x, y, z): return x * 3 + 1e-3
    def translate_reference(self, x, x_ref, y): self.refs.append((y, x_ref.clone())); return x * 3 + 1e-3


class _Seen(nn.Module):
    def __init__(self): super().__init__(); self.inputs = []
    def forward(self, x): self.inputs.append(x.clone()); return x.mean((2, 3))


def test_official_protocol_references_and_quantisation():
    g = torch.Generator().manual_seed(0)
    src, src_y = torch.rand(8, 3, 4, 4, generator=g) * 2 - 1, torch.tensor([0, 0, 0, 1, 1, 1, 1, 1])
    real, real_y = torch.rand(10, 3, 4, 4, generator=g) * 2 - 1, torch.tensor([0, 1] * 5)
    rec, seen = _Rec(), _Seen()
    M.official_protocol(rec, src, src_y, seen, real, real_y, num_outs=4, modes=("reference", "latent"), batch_size=2)
    same = lambda a, b: (a.flatten(1)[:, None] == b.flatten(1)[None]).all(-1)
    for t in (0, 1):
        used = torch.cat([r for y, r in rec.refs if y == t])
        hits = same(used, src[src_y == t])
        assert hits.any(1).all() and not same(used, real).any()          # validation images of the target, not training ones
        assert int(hits.sum(0).max() - hits.sum(0).min()) <= 1           # without replacement
    fed = torch.cat(seen.inputs)
    assert fed.min() >= -1 and fed.max() <= 1
    assert torch.allclose((fed + 1) * 127.5, ((fed + 1) * 127.5).round(), atol=1e-3)   # 8-bit levels


def test_protocol_scores_reads_real_images_without_flips(tmp_path, monkeypatch):
    root = _folder(tmp_path / "afhq", {"train/cat": (4, (200, 120, 40)), "train/dog": (4, (90, 60, 30)),
                                       "val/cat": (2, (200, 120, 40)), "val/dog": (2, (90, 60, 30))}, size=16)
    got = {}
    def fake_protocol(task, images, domains, extractor, real_images, real_domains, **kw):
        got.update(real=real_images, src=images)
        return {"label": {"fid": {"cat2dog": 1.0}, "fid_mean": 1.0}}
    monkeypatch.setattr(M, "official_protocol", fake_protocol)
    cfg = {"model": "v1", "label_kind": "single", "label_names": ["cat", "dog"], "image_size": 16,
           "data": {"source": str(root), "labels": None, "n": 10, "seed": 0}}
    args = argparse.Namespace(n_src=None, n_real=None, fast=False, extractor="random", lpips="none", num_outs=2,
                              eval_batch=8, seed=0, quiet=True)
    torch.manual_seed(0)
    out = cli.protocol_scores(argparse.Namespace(device=torch.device("cpu")), cfg, args)
    plain = D.ImageFolder(root, image_size=16, flip=False)
    assert torch.equal(got["real"], torch.stack([plain[i]["image"] for i in range(len(plain))]))   # no random flips
    assert out["protocol"]["reference_split"] == "val"
