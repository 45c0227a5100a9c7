"""Data parallelism on this CPU (`gloo`): 2 processes against one process with the same global batch and data
order, rank 0 alone writing files, `--resume` under torchrun, StarGAN v2's EMA networks equal on every rank.
Tiny networks on 16-px Toy Faces."""
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
import torch
import torch.multiprocessing as mp

from stargan_edu.engine import InfiniteLoader, Runtime, fit, init_distributed, load_checkpoint, read_log
from stargan_edu.toyfaces import ToyFaces
from stargan_edu.v1 import V1Config, V1Task

pytestmark = pytest.mark.skipif(not torch.distributed.is_available(), reason="this PyTorch has no torch.distributed")

B, K, K1 = 4, 4, 2        # per-rank batch, steps, the step a run is interrupted at before resuming


class PairedV1(V1Task):
    """`V1Task` whose two random draws follow per-image rules: each image's target is its pair neighbour's label
    (images 0↔1, 2↔3, …: a pair never straddles two ranks' slices) and the gradient penalty's α is 0.3. Each rank
    draws from its own random stream, so only with rules like these can 2 ranks × B images be compared with one
    process × 2B images; the engine's part (slicing, gradient averaging, steps) is what the comparison checks."""
    def train_step(self, batch, step):
        pairs = lambda n, **kw: torch.arange(n).view(-1, 2).flip(1).flatten()
        alpha = lambda *size, device=None, **kw: torch.full(size, 0.3, device=device)
        with mock.patch.object(torch, "randperm", pairs), mock.patch.object(torch, "rand", alpha):
            return super().train_step(batch, step)


def v1_setup(batch, rank=0, world_size=1):
    torch.manual_seed(0)                     # the same initial weights on every rank (fit also broadcasts rank 0's)
    cfg = V1Config.cpu(image_size=16, conv_dim=8, g_repeat_num=1, d_conv_dim=8, d_repeat_num=2, n_critic=2,
                       num_iters=8, num_iters_decay=4, g_lr=1e-3, d_lr=1e-3)
    data = ToyFaces(n=40, size=16, seed=0)
    task = PairedV1(cfg)
    # Adam divides each gradient by its running RMS, so a gradient that is zero up to rounding becomes a full step
    # (lr) of either sign, and the two runs round differently. Here: the centre taps of G's first convolution on the
    # label channels (a constant map that instance normalisation removes again), |grad| ~ 1e-9 to 1e-6, against
    # ~1e-2 to 1 for the other weights. With eps = 1e-3 (not 1e-8) such a step is about lr * grad / eps <= 1e-6,
    # while the steps of real gradients stay within ~10% of Adam's usual ones: the test is about the engine.
    for o in task.opts.values():
        for g in o.param_groups: g["eps"] = 1e-3
    return task, InfiniteLoader(data, batch, seed=5, rank=rank, world_size=world_size)


def params(task):
    return {f"{k}.{n}": p.detach().clone() for k, net in task.nets.items() for n, p in net.named_parameters()}


def v2_setup(rank, world_size):
    from stargan_edu.v2 import V2Config, V2Task
    torch.manual_seed(0)
    cfg = V2Config.cpu(image_size=16, dim_in=8, max_conv_dim=16, hidden_dim=16, style_dim=8, latent_dim=4, batch_size=2,
                       ref_pool=4, num_iters=8, ds_iter=4, lambda_ds=2.0)
    data = ToyFaces(n=24, size=16, seed=0, labels="hair")
    return V2Task(cfg), InfiniteLoader(data, 2, seed=1, rank=rank, world_size=world_size)


def worker(rank, world_size, port, tmp):
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(world_size),
                      LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    import torch.distributed as dist
    rt, _ = init_distributed("cpu")
    assert rt == Runtime(rank, world_size, rank)
    tmp = Path(tmp)
    kw = dict(sample_every=K, ckpt_every=K1, log_every=1, progress=False)
    # 1. straight to step K; rank 1 is given its own folder, which must stay unwritten
    task, loader = v1_setup(B, rank, world_size)
    fit(task, loader, tmp / ("ddp" if rank == 0 else "rank1"), steps=K, **kw)
    if rank == 0: torch.save(params(task), tmp / "ddp_params.pt")
    mine = params(task)
    theirs = [None] * world_size
    dist.all_gather_object(theirs, mine)
    assert all(torch.equal(mine[k], t[k]) for t in theirs for k in mine), "the ranks' weights differ"
    # 2. interrupted at K1, then resumed to K (both ranks in one folder, as torchrun runs them)
    task, loader = v1_setup(B, rank, world_size)
    fit(task, loader, tmp / "resumed", steps=K1, **kw)
    task, loader = v1_setup(B, rank, world_size)
    fit(task, loader, tmp / "resumed", steps=K, resume=True, **kw)
    if rank == 0: torch.save(params(task), tmp / "resumed_params.pt")
    # 3. StarGAN v2: two steps; the EMA networks and the diversity weight agree on every rank
    task, loader = v2_setup(rank, world_size)
    fit(task, loader, tmp / "v2", steps=2, sample_every=2, ckpt_every=2, log_every=1, progress=False)
    ema = {k: v for k, v in params(task).items() if "_ema" in k}
    ema[" lambda_ds"] = torch.tensor(task.lambda_ds)
    got = [None] * world_size
    dist.all_gather_object(got, ema)
    assert all(torch.equal(ema[k], g[k]) for g in got for k in ema), "the v2 EMA networks differ between ranks"
    # 4. CycleGAN: rank 1's batch holds no image of either domain, yet it takes part in both steps (no hang)
    from stargan_edu.cyclegan import CycleGANConfig, CycleGANTask
    torch.manual_seed(0)
    task = CycleGANTask(CycleGANConfig.cpu(image_size=16, ngf=4, n_blocks=1, ndf=4, n_layers=1, pool_size=0))
    task.runtime = rt
    data = ToyFaces(n=24, size=16, seed=0, labels="hair")
    items = [data[i] for i in range(len(data))]
    pick = lambda keep: [it for it in items if keep(data.label_names[int(it["label"].argmax())])][:2]
    chosen = pick(lambda n: n in task.cfg.domains) if rank == 0 else pick(lambda n: n not in task.cfg.domains)
    batch = {k: torch.stack([it[k] for it in chosen]) for k in ("image", "label")}
    for step in range(2): task.train_step(batch, step)
    mine = params(task)
    got = [None] * world_size
    dist.all_gather_object(got, mine)
    assert all(torch.equal(mine[k], g[k]) for g in got for k in mine), "the CycleGAN weights differ between ranks"
    dist.destroy_process_group()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ddp")
    mp.spawn(worker, args=(2, free_port(), str(tmp)), nprocs=2, join=True)
    return tmp


def test_two_ranks_match_one_process_with_the_global_batch(runs):
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        task, loader = v1_setup(2 * B)
        fit(task, loader, runs / "single", steps=K, sample_every=K, ckpt_every=K, log_every=1, progress=False)
    finally:
        torch.set_num_threads(n)
    one, two, start = params(task), torch.load(runs / "ddp_params.pt"), params(v1_setup(B)[0])
    # The two runs compute the same sums in another order: the 2 ranks average two means over B images, one process
    # takes one mean over 2B, and gloo adds in its own order, so gradients agree to float32 rounding (~1e-7
    # relative). Adam's step is about lr = 1e-3 per weight whatever the gradient's size; with the larger eps of
    # v1_setup, rounding moves a step by about 1e-6 at most, so after K = 4 steps the weights agree within 1e-5
    # (1% of one step; measured: ~1e-6). The weights moved by ~2e-3 or more from their start, so a missing, doubled or unaveraged
    # gradient, a wrong slice of the batch or an extra step would show as a difference of the order of 1e-3.
    # (Instance normalisation is per image, so it is the same whatever the batch is cut into; the running-stat
    # buffers of InstanceNorm2dIS are updated per rank and are not compared: the forward pass never reads them.)
    moved = max((one[k] - start[k]).abs().max().item() for k in one)
    diff = max((one[k] - two[k]).abs().max().item() for k in one)
    print(f"max |w_2 ranks - w_1 process| = {diff:.2e}; the weights moved up to {moved:.2e}")
    assert moved > 1e-3, f"the single run barely trained (moved {moved})"
    assert diff < 1e-5, f"2 ranks × {B} differ from 1 process × {2 * B} by {diff} (weights moved {moved})"
    # the logged losses are the ranks' averages: the same numbers as the single process's
    for a, b in zip(read_log(runs / "single"), read_log(runs / "ddp")):
        assert a["step"] == b["step"] and a.keys() == b.keys()
        for k in a:
            if k not in ("step", "seconds"): assert abs(a[k] - b[k]) < 1e-4 * max(1, abs(a[k])), (k, a[k], b[k])


def test_rank0_alone_writes_and_records_the_run(runs):
    assert not (runs / "rank1").exists()
    cfg = json.loads((runs / "ddp" / "config.json").read_text())
    assert (cfg["world_size"], cfg["batch_size"], cfg["global_batch_size"]) == (2, B, 2 * B)
    assert cfg["settings"] == {"precision": "fp32", "channels_last": False, "compile": False, "fused_adam": False,
                               "cudnn_benchmark": False}
    assert [r["step"] for r in read_log(runs / "ddp")] == list(range(1, K + 1))
    ck = load_checkpoint(runs / "ddp")
    assert len(ck["other_ranks"]) == 1 and ck["loader"]["pos"] == (K + 1) * 2 * B   # + the sample batch
    assert sorted(p.name for p in (runs / "ddp" / "samples").iterdir()) == [f"step_{K:06d}.png"]


def test_resume_under_ddp_is_exact(runs):
    straight, resumed = torch.load(runs / "ddp_params.pt"), torch.load(runs / "resumed_params.pt")
    assert all(torch.equal(straight[k], resumed[k]) for k in straight)
    strip = lambda recs: [{k: v for k, v in r.items() if k != "seconds"} for r in recs]
    assert strip(read_log(runs / "ddp")) == strip(read_log(runs / "resumed"))


def test_v2_trains_on_two_ranks(runs):
    assert [r["step"] for r in read_log(runs / "v2")] == [1, 2]
    assert len(load_checkpoint(runs / "v2")["other_ranks"]) == 1     # rank 1's reference pool and random state


def test_torchrun_cli_trains_and_resumes(tmp_path):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", "-m", "stargan_edu.cli",
           "train", "--model", "v1", "--out", str(out), "--size", "16", "--batch", "2", "--n-train", "32", "--no-eval",
           "--quiet", "--device", "cpu", "--log-every", "1", "--ckpt-every", "2", "--set", "conv_dim=8", "--set", "d_conv_dim=8",
           "--set", "g_repeat_num=1"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    r = subprocess.run(cmd + ["--steps", "4", "--stop-at", "2"], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    r = subprocess.run(cmd + ["--steps", "4", "--resume"], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    cfg = json.loads((out / "config.json").read_text())
    assert (cfg["world_size"], cfg["global_batch_size"]) == (2, 4)
    assert [r["step"] for r in read_log(out)] == [1, 2, 3, 4]
    assert json.loads((out / "metrics.json").read_text())["steps"] == 4
