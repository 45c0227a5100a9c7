"""StarGAN v2 networks: official parameter counts, parity with the official code, checkpoint loading (chapter 09),
and the loader's error messages (moved here from the chapters).

The fixtures `stargan_edu/assets/official/v2_official_*.pt` were generated once by running the network classes of the official
clovaai/stargan-v2 `core/model.py` at small sizes (base width `dim_in` and the mapping network's hidden width made
arguments; forward passes unchanged), with perturbed random weights. Each holds `nets_ema` (the official checkpoint
format), fixed `inputs`, the official `outputs` and the `config` used.
"""
from pathlib import Path

import pytest
import torch

import stargan_edu
from stargan_edu.adain import Generator
from stargan_edu.mapping import MappingNetwork, pick_domain
from stargan_edu.pretrained import load_official_v2, nets_from_official_v2
from stargan_edu.style_encoder import Discriminator, StyleEncoder

FIXTURES = Path(stargan_edu.__file__).parent / "assets" / "official"   # shipped with the package: the chapters read them too


def load_fixture(name: str) -> dict:
    return torch.load(FIXTURES / f"v2_official_{name}.pt", map_location="cpu", weights_only=True)


def n_params(m: torch.nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


@pytest.mark.parametrize("num_domains,w_hpf,counts", [
    (3, 0, (33_892_995, 3_259_072, 20_949_760, 20_852_803)),   # AFHQ
    (2, 1, (43_467_395, 2_438_272, 20_916_928, 20_852_290)),   # CelebA-HQ
])
def test_official_parameter_counts(num_domains, w_hpf, counts):
    with torch.device("meta"):   # shapes only: no allocation, no initialisation
        nets = (Generator(256, 64, 512, w_hpf=w_hpf), MappingNetwork(16, 64, num_domains),
                StyleEncoder(256, 64, num_domains), Discriminator(256, num_domains))
    assert tuple(n_params(m) for m in nets) == counts


def test_fixture_sizes():
    assert sum(p.stat().st_size for p in FIXTURES.glob("v2_*.pt")) < 2 * 2**20


def test_parity_hpf0_module_prefix_and_discriminator():
    blob = load_fixture("hpf0")
    assert all(k.startswith("module.") for k in blob["nets_ema"]["generator"])
    nets = nets_from_official_v2({**blob["nets_ema"], "discriminator": blob["discriminator"]})
    cfg = blob["config"]
    assert nets.config == {**cfg, "w_hpf": 0.0}
    i, o = blob["inputs"], blob["outputs"]
    with torch.no_grad():
        torch.testing.assert_close(nets.generator(i["x"], i["s"]), o["G"], atol=1e-4, rtol=0)
        torch.testing.assert_close(nets.mapping_network(i["z"], i["y"]), o["F"], atol=1e-4, rtol=0)
        torch.testing.assert_close(nets.style_encoder(i["x"], i["y"]), o["E"], atol=1e-4, rtol=0)
        torch.testing.assert_close(nets.discriminator(i["x"], i["y"]), o["D"], atol=1e-4, rtol=0)
        s_lat = nets.mapping_network(i["z"], i["y"])
        torch.testing.assert_close(nets.generator(i["x"], s_lat), o["G_F"], atol=1e-4, rtol=0)
        s_ref = nets.style_encoder(i["x"].flip(0), i["y"])
        torch.testing.assert_close(nets.generator(i["x"], s_ref), o["G_E"], atol=1e-4, rtol=0)


def test_parity_hpf1_without_filter_and_with_masks():
    blob = load_fixture("hpf1")
    assert "hpf.filter" not in blob["nets_ema"]["generator"]   # like the released CelebA-HQ checkpoint
    nets = nets_from_official_v2(blob["nets_ema"])
    assert nets.config == {**blob["config"], "w_hpf": 1.0}
    assert nets.discriminator is None
    i, o = blob["inputs"], blob["outputs"]
    with torch.no_grad():
        torch.testing.assert_close(nets.generator(i["x"], i["s"]), o["G"], atol=1e-4, rtol=0)
        torch.testing.assert_close(nets.generator(i["x"], i["s"], masks=(i["mask0"], i["mask1"])), o["G_masks"],
                                   atol=1e-4, rtol=0)
        torch.testing.assert_close(nets.mapping_network(i["z"], i["y"]), o["F"], atol=1e-4, rtol=0)
        torch.testing.assert_close(nets.style_encoder(i["x"], i["y"]), o["E"], atol=1e-4, rtol=0)
        torch.testing.assert_close(nets.generator(i["x"], nets.mapping_network(i["z"], i["y"])), o["G_F"],
                                   atol=1e-4, rtol=0)


def test_filter_present_gives_w_hpf_and_same_outputs():
    blob = load_fixture("hpf1")
    sd = blob["nets_ema"]
    kernel = torch.tensor([[-1.0, -1.0, -1.0], [-1.0, 8.0, -1.0], [-1.0, -1.0, -1.0]])
    with_filter = {**sd, "generator": {**sd["generator"], "hpf.filter": kernel.clone()}}
    nets = nets_from_official_v2(with_filter)
    i = blob["inputs"]
    with torch.no_grad():
        out = nets.generator(i["x"], i["s"], masks=(i["mask0"], i["mask1"]))
    torch.testing.assert_close(out, blob["outputs"]["G_masks"], atol=1e-4, rtol=0)
    half = {**sd, "generator": {**sd["generator"], "hpf.filter": kernel / 2}}
    assert nets_from_official_v2(half).config["w_hpf"] == pytest.approx(2.0)
    assert nets_from_official_v2(sd, w_hpf=2).config["w_hpf"] == 2.0        # no filter: the argument decides
    with pytest.raises(ValueError, match="hpf.filter says"):
        nets_from_official_v2(half, w_hpf=1)


def test_load_from_path_weights_only(tmp_path):
    blob = load_fixture("hpf1")
    path = tmp_path / "100000_nets_ema.ckpt"
    torch.save(blob["nets_ema"], path)
    nets = nets_from_official_v2(path)
    nets2 = nets_from_official_v2(str(path))
    assert nets.config == nets2.config
    with torch.no_grad():
        torch.testing.assert_close(nets.style_encoder(blob["inputs"]["x"], 1), nets2.style_encoder(blob["inputs"]["x"], 1))


def test_arbitrary_pickles_are_refused(tmp_path):
    path = tmp_path / "evil.ckpt"
    torch.save({"generator": {}, "mapping_network": {}, "style_encoder": {}, "obj": Path("x")}, path)
    with pytest.raises(Exception):
        nets_from_official_v2(path)


def test_other_architectures_fail_clearly():
    sd = load_fixture("hpf0")["nets_ema"]
    with pytest.raises(ValueError, match="load_official_v1"):
        nets_from_official_v2(sd["generator"])                       # a single state_dict
    with pytest.raises(ValueError, match="expected an official StarGAN v2 checkpoint"):
        nets_from_official_v2({"generator": sd["generator"]})
    g = {k: v for k, v in sd["generator"].items() if "encode.1." not in k}
    with pytest.raises(ValueError, match="encoder blocks"):
        nets_from_official_v2({**sd, "generator": g})
    f = dict(sd["mapping_network"]); f["module.unshared.0.6.weight"] = torch.zeros(7, 32)
    with pytest.raises(ValueError, match="style_dim disagrees"):
        nets_from_official_v2({**sd, "mapping_network": f})
    e = dict(sd["style_encoder"]); e["module.shared.2.conv1.weight"] = torch.zeros(16, 16, 5, 5)
    with pytest.raises(ValueError, match="shape mismatch"):
        nets_from_official_v2({**sd, "style_encoder": e})
    e = dict(sd["style_encoder"]); e["module.extra.weight"] = torch.zeros(1)
    with pytest.raises(ValueError, match="unexpected"):
        nets_from_official_v2({**sd, "style_encoder": e})
    g = {k: v for k, v in sd["generator"].items() if not k.startswith("module.decode.1.")}
    with pytest.raises(ValueError, match=r"missing \['decode.1.conv1.bias'"):
        nets_from_official_v2({**sd, "generator": g})
    sd1 = load_fixture("hpf1")["nets_ema"]
    with pytest.raises(ValueError, match="not the StarGAN v2 high-pass kernel"):
        nets_from_official_v2({**sd1, "generator": {**sd1["generator"], "hpf.filter": torch.ones(3, 3)}})


def test_load_official_v2_errors():
    with pytest.raises(FileNotFoundError, match="download.sh"):
        load_official_v2("no/such/100000_nets_ema.ckpt")
    v1_g = torch.load(FIXTURES / "v1_official_celeba-G.pt", map_location="cpu", weights_only=True)
    with pytest.raises(ValueError, match="load_official_v1"):      # a v1 generator is refused with a hint
        load_official_v2(v1_g)


def test_domain_index_errors():
    F = MappingNetwork(8, 4, num_domains=2, hidden_dim=16)
    with pytest.raises(ValueError, match="num_domains=2"):
        F(torch.randn(3, 8), torch.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match=r"\[N, 8\]"):
        F(torch.randn(3, 5), 0)
    out = torch.arange(2 * 3 * 4).view(2, 3, 4)
    with pytest.raises(ValueError, match="out of range"):
        pick_domain(out, torch.tensor([-1, 0]))
    with pytest.raises(ValueError, match="integer tensor"):
        pick_domain(out, torch.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"shape \[2\]"):
        pick_domain(out, torch.tensor([0, 1, 2]))
    E = StyleEncoder(16, 4, num_domains=2, max_conv_dim=16, dim_in=8)
    with pytest.raises(ValueError, match="num_domains=2"):
        E(torch.randn(1, 3, 16, 16), 2)
    assert E(torch.randn(2, 3, 16, 16), 1).shape == (2, 4)


def test_explicit_dim_in_cpu_configuration():
    G = Generator(img_size=64, style_dim=16, max_conv_dim=64, w_hpf=0, dim_in=16)
    assert G.from_rgb.out_channels == 16
    with torch.no_grad():
        assert G(torch.zeros(2, 3, 64, 64), torch.zeros(2, 16)).shape == (2, 3, 64, 64)
