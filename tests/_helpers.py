"""Helpers shared by the test modules (imported as `from _helpers import ...`: pytest puts tests/ on the path)."""
import pytest


def fails(f, contains: str, exc=Exception):
    "Like fastcore's `test_fail(f, contains=...)`: `f()` raises `exc` and its message contains `contains`."
    with pytest.raises(exc) as e:
        f()
    assert contains in str(e.value), f"{contains!r} not in {str(e.value)!r}"


@pytest.fixture(autouse=True)
def hf_cache(tmp_path, monkeypatch):
    "Keep every cache `datasets` writes inside the test's temp dir (autouse in the modules that import it)."
    import datasets
    cache = tmp_path / "hf_cache"
    monkeypatch.setenv("HF_DATASETS_CACHE", str(cache))
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", cache)
    return cache


def resumed_run(make, dataset, out, steps: int, stop: int, batch: int = 8, seed: int = 1):
    """Train a fresh `make()` task for `steps` iterations straight, and another one to `stop`, then resumed to `steps`
    (each in its own folder below `out`): returns (straight, resumed), for an exact-resume test."""
    from stargan_edu.core import seed_everything
    from stargan_edu.engine import InfiniteLoader, fit

    def run(path, n, resume=False):
        seed_everything(seed)
        task = make()
        fit(task, InfiniteLoader(dataset, batch, seed=seed), path, steps=n, sample_every=100, ckpt_every=100,
            log_every=1, resume=resume, progress=False)
        return task
    straight = run(out / "straight", steps)
    run(out / "resumed", stop)
    return straight, run(out / "resumed", steps, resume=True)


def same_weights(a, b, names) -> bool:
    "Whether tasks `a` and `b` hold bit-identical weights in the networks `names`."
    import torch
    return all(torch.equal(x, y) for k in names
               for x, y in zip(a.nets[k].state_dict().values(), b.nets[k].state_dict().values()))
