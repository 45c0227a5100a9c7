"""The device-generic paths of GPU training, exercised on the CPU (no GPU in CI): preset choice, data held on the device."""
import torch

import stargan_edu.cli as cli
from stargan_edu.engine import InfiniteLoader
from stargan_edu.toyfaces import ToyFaces


def test_auto_preset_is_the_gpu_preset_on_an_accelerator(monkeypatch):
    assert cli.resolve_preset("v1", "auto", "cpu") == "cpu"
    assert cli.resolve_preset("v1", "paper", "cpu") == "paper"            # an explicit preset is kept
    monkeypatch.setattr(cli, "get_device", lambda d=None: torch.device("cuda"))
    for model in ("v1", "v2", "cyclegan"):
        assert cli.resolve_preset(model, "auto", "auto") == "gpu"
        gpu, cpu = cli.model_module(model).default_config("gpu"), cli.model_module(model).default_config("cpu")
        assert gpu["batch_size"] == 4 * cpu["batch_size"]                    # the same recipe, a larger batch
        assert {k: v for k, v in gpu.items() if k != "batch_size"} == {k: v for k, v in cpu.items() if k != "batch_size"}
    assert cli.resolve_preset("v1-joint", "auto", "auto") == "cpu"        # no GPU preset: the CPU one


def test_toyfaces_batches_are_gathered_where_the_data_lives():
    ds = ToyFaces(n=12, size=16, seed=3)
    b = ds.get_batch(torch.tensor([4, 1, 7]))
    assert torch.equal(b["image"], torch.stack([ds[i]["image"] for i in (4, 1, 7)]))
    assert torch.equal(b["label"], torch.stack([ds[i]["label"] for i in (4, 1, 7)]))
    assert ds.to("cpu") is ds and ds.images.device.type == "cpu"
    fast, slow = InfiniteLoader(ds, batch_size=4, seed=5), InfiniteLoader(torch.utils.data.Subset(ds, range(12)), batch_size=4, seed=5)
    for _ in range(5):                                                   # the same batches as through a DataLoader
        assert torch.equal(next(fast)["image"], next(slow)["image"])


def test_v1_gpu_preset_keeps_the_cpu_recipe():
    from stargan_edu.v1 import V1Config
    assert V1Config.gpu().batch_size == 64 and V1Config.gpu().g_down == V1Config.cpu().g_down
    assert V1Config.paper().g_down == 2                                  # the official generator
