"""The error messages of `stargan_edu.engine` (appendix 12): a bad setting, rank, loader, checkpoint path or stopping
rule is refused with a message that says what was expected. Moved here from the appendix, which keeps the illustrative
ones (a network of another shape, an interrupted checkpoint write, a foreign checkpoint, a NaN loss, running out of
memory). Offline, a second."""
import torch
from torch.utils.data import Dataset

from stargan_edu.engine import InfiniteLoader, RunSettings, Runtime, Task, fit, load_checkpoint
from _helpers import fails


class _Numbers(Dataset):
    def __len__(self): return 10
    def __getitem__(self, i): return {"image": torch.tensor([float(i)])}


def test_settings_and_ranks():
    fails(lambda: RunSettings(precision="fp16"), "precision must be 'fp32' or 'bf16'")
    fails(lambda: Runtime(2, 2), "0 <= rank < world_size")
    fails(lambda: InfiniteLoader(_Numbers(), batch_size=6, world_size=2), "fewer than one batch of 12 (2 ranks × 6)")


def test_load_checkpoint(tmp_path):
    fails(lambda: load_checkpoint(tmp_path / "nowhere"), "no checkpoint")


def test_fit_arguments(tmp_path):
    loader = InfiniteLoader(_Numbers(), 2)
    fails(lambda: fit(Task("cpu"), loader, tmp_path / "a", progress=False), "needs `steps`")
    fails(lambda: fit(Task("cpu"), loader, tmp_path / "a", steps=0, progress=False), "steps > 0")
    fails(lambda: fit(Task("cpu"), loader, tmp_path / "a", steps=2, log_every=0.5, progress=False), "log_every to be a whole number")
    other_rank = InfiniteLoader(_Numbers(), 2, rank=1, world_size=2)
    fails(lambda: fit(Task("cpu"), other_rank, tmp_path / "a", steps=2, progress=False), "InfiniteLoader(..., rank=0, world_size=1)")
    assert not (tmp_path / "a").exists()          # refused before anything was written
