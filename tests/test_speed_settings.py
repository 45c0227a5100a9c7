"""The engine's speed settings on this CPU: accepted or refused with a message, applied, recorded in config.json,
and read back by the command line on --resume. (Whether they pay is measured on GPUs with bench/bench_speed.py.)"""
import json

import pytest
import torch

from stargan_edu.cli import build_parser, run_settings
from stargan_edu.engine import InfiniteLoader, RunSettings, apply_settings, fit, read_log
from stargan_edu.toyfaces import ToyFaces
from stargan_edu.v1 import V1Config, V1Task


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def tiny_v1():
    torch.manual_seed(0)
    return V1Task(V1Config.cpu(image_size=16, conv_dim=8, g_repeat_num=1, d_conv_dim=8, d_repeat_num=2, n_critic=1))


def test_channels_last_and_fused_adam_train_on_cpu_and_are_recorded(tmp_path):
    s = RunSettings(channels_last=True, fused_adam=True)
    task = tiny_v1()
    fit(task, InfiniteLoader(ToyFaces(n=16, size=16), 4, seed=0), tmp_path, steps=3, log_every=1, sample_every=3,
        ckpt_every=3, progress=False, settings=s)
    assert json.loads((tmp_path / "config.json").read_text())["settings"] == vars(s)
    assert task.G.main[0].weight.is_contiguous(memory_format=torch.channels_last)
    assert all(g["fused"] for o in task.opts.values() for g in o.param_groups)
    assert len(read_log(tmp_path)) == 3                     # trained, every loss finite (fit checks)
    # a resumed run gets its fused flags back although the checkpoint's optimiser state carries its own
    task = tiny_v1()
    fit(task, InfiniteLoader(ToyFaces(n=16, size=16), 4, seed=0), tmp_path, steps=4, log_every=1, sample_every=4,
        ckpt_every=4, progress=False, settings=s, resume=True)
    assert all(g["fused"] for o in task.opts.values() for g in o.param_groups)


def test_compile_leaves_the_twice_differentiated_discriminator_eager():
    task = apply_settings(tiny_v1(), RunSettings(compile=True))    # nn.Module.compile is lazy: nothing compiles yet
    assert task.G._compiled_call_impl is not None and task.D._compiled_call_impl is None
    assert set(task.G.state_dict()) == set(tiny_v1().G.state_dict())   # checkpoints keep their keys


def test_settings_the_device_cannot_run_are_refused():
    with pytest.raises(ValueError, match="CUDA only"):
        apply_settings(tiny_v1(), RunSettings(precision="bf16"))
    with pytest.raises(ValueError, match="needs a CUDA device"):
        apply_settings(tiny_v1(), RunSettings(cudnn_benchmark=True))
    with pytest.raises(ValueError, match="precision must be"):
        RunSettings(precision="fp16")


def test_command_line_flags_and_resume():
    parse = lambda *a: build_parser().parse_args(["train", "--model", "v1", "--out", "x", *a])
    assert run_settings(parse()) == RunSettings()                              # exact fp32 unless asked
    assert run_settings(parse("--channels-last", "--precision", "bf16")) == RunSettings(precision="bf16", channels_last=True)
    recorded = {**vars(RunSettings()), "fused_adam": True}
    assert run_settings(parse(), recorded) == RunSettings(fused_adam=True)     # --resume keeps the run's settings
    assert run_settings(parse("--compile"), recorded) == RunSettings(fused_adam=True, compile=True)
