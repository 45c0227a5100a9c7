"""Training steps that never wait for the device (issue 13 point 1, issue 9 point 2; DESIGN point 2).

A GPU step stalls whenever Python reads a tensor value back (`.item()`, `.tolist()`, `int(t)`, `nonzero`). A tensor on
PyTorch's `meta` device has a shape but no values, so any such read raises: a training step that runs on the meta
device reads nothing back. `fit` turns the value checks off (`value_checks(False)`) on the steps it does not log, so
those steps of StarGAN v1 and v2 must run on meta; the control shows the same step with the checks on does read back.
CycleGAN and the joint v1 model split each batch by domain, so they read one mask per step by design (not tested here).
"""
import pytest
import torch
from torch.utils.data import default_collate

from stargan_edu import v1, v2
from stargan_edu.core import value_checks
from stargan_edu.toyfaces import ToyFaces

CASES = [(v1, "celeba"), (v2, "hair")]


def meta_task_and_batch(mod, labels: str, batch_size: int = 4):
    "A tiny task of `mod` on the meta device, its first steps already taken, and a Toy Faces batch there."
    cfg = {**mod.default_config("cpu"), "batch_size": batch_size}
    task = mod.make_task(cfg, device="meta")
    data = ToyFaces(n=16, size=cfg["image_size"], labels=labels, seed=0)
    batch = {k: v.to("meta") for k, v in default_collate([data[i] for i in range(batch_size)]).items()}
    task.train()
    with value_checks(True):
        with pytest.raises(NotImplementedError):     # the first step of a session checks values: it reads back
            task.train_step(batch, 0)
    if hasattr(task, "pool"):    # v2: the pool's first draws read back until every domain is in it (tested below)
        task.pool.all_seen = True
    return task, batch


@pytest.mark.parametrize("mod,labels", CASES, ids=["v1", "v2"])
def test_quiet_steps_read_nothing_back(mod, labels):
    task, batch = meta_task_and_batch(mod, labels)
    with value_checks(False):
        for step in range(3):
            log = task.train_step(batch, step)
    assert all(torch.is_tensor(v) or isinstance(v, float) for v in log.values())
    assert all(v.device.type == "meta" for v in log.values() if torch.is_tensor(v))   # the numbers stay on the device


def test_v2_pool_knows_its_domains_without_reading_back():
    "After its first draw has seen every domain, the pool draws with no device read (the counters stay on the device)."
    pool = v2.ReferencePool(3, capacity=4)
    pool.push(torch.zeros(6, 3, 2, 2), torch.tensor([0, 1, 2, 0, 1, 2]))
    pool.draw(2)
    assert pool.all_seen
    pool.count, pool.next = pool.count.to("meta"), pool.next.to("meta")
    pool.images = pool.images.to("meta")
    x_ref, x_ref2, y = pool.draw(5)
    assert x_ref.device.type == "meta" and x_ref.shape == (5, 3, 2, 2) and y.shape == (5,)
    with value_checks(False):
        pool.push(torch.zeros(2, 3, 2, 2, device="meta"), torch.tensor([0, 2], device="meta"))


def test_v2_networks_compile_without_graph_breaks_on_quiet_steps():
    """`torch.compile` (the `compile` speed setting) traces F, E and D whole when value checks are off; with them on,
    `pick_domain`'s range check reads values and breaks each into four graphs (the control)."""
    import torch._dynamo as dynamo
    task = v2.make_task(v2.default_config("cpu"))
    x, y, z = torch.rand(4, 3, 32, 32) * 2 - 1, torch.tensor([0, 1, 2, 0]), torch.randn(4, 16)
    try:
        for name, net, args in [("F", task.F, (z, y)), ("E", task.E, (x, y)), ("D", task.D, (x, y))]:
            with value_checks(False):
                quiet = dynamo.explain(net)(*args)
            with value_checks(True):
                checked = dynamo.explain(net)(*args)
            assert (quiet.graph_count, quiet.graph_break_count) == (1, 0), name
            assert checked.graph_break_count > 0, name
    finally:
        dynamo.reset()                               # leave no traced code behind for other tests
