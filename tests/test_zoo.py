"""The model zoo (appendix 14, issue 10): the shipped entries load by name, translate, and reproduce their recorded
oracle scores from a plain (non-editable) install of the package; its errors say what is wrong."""
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from stargan_edu import zoo
from stargan_edu.cli import load_run, main

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ["cyclegan-toyfaces", "v1-joint-toyfaces", "v1-toyfaces", "v1-toyfaces-direct", "v2-toyfaces"]


def _target(t) -> torch.Tensor:
    "One-hot targets `[3, K]`: blond hair (CycleGAN's Y domain, v2's and v1's second label)."
    c = torch.zeros(3, len(t.label_names))
    c[:, t.label_names.index(t.config()["domains"][1]) if t.config()["model"] == "cyclegan" else 1] = 1
    return c


def test_the_entries_ship_within_15_mb():
    assert zoo.names() == SHIPPED
    total = sum((zoo.zoo_dir() / f"{n}.pt").stat().st_size for n in SHIPPED)
    assert total <= 15 * 2**20, f"the zoo holds {total / 2**20:.1f} MiB, more than 15 MiB"


@pytest.mark.parametrize("name", SHIPPED)
def test_entry_loads_by_name_and_translates(name):
    entry = torch.load(zoo.entry_path(name), map_location="cpu", weights_only=True)   # plain data only
    t = zoo.load(name, "cpu")
    assert entry["format"] == zoo.FORMAT and set(entry["nets"]) == set(t.inference_nets)
    size = t.config()["image_size"]
    from stargan_edu.toyfaces import ToyFaces
    x = ToyFaces(n=3, size=size, seed=5).images
    y = t.translate(x, _target(t))
    assert y.shape == x.shape and y.dtype == torch.float32 and torch.isfinite(y).all()
    assert t.command.startswith(("stargan-edu train", "stargan-edu demo")) and t.label_names == entry["label_names"]
    assert {"oracle_target_accuracy", "oracle_preservation"} <= set(t.scores)
    assert t.info["score_n"] and t.info["score_seed"] is not None and t.info["steps"] and t.info["machine"]
    if entry["model"] == "v2":
        assert t.translate_latent(x, 1).shape == x.shape and t.translate_reference(x, x[:1], 2).shape == x.shape


_REPRODUCE = textwrap.dedent("""
    import json, sys, torch
    import stargan_edu
    from stargan_edu import zoo
    assert stargan_edu.__file__.startswith(sys.argv[1]), stargan_edu.__file__   # the installed copy, not the checkout
    out = {}
    for name in zoo.names():
        t = zoo.load(name, "cpu")
        out[name] = {"recorded": t.scores, "now": zoo.score(t), "n": t.info["score_n"], "seed": t.info["score_seed"]}
    print(json.dumps(out))
""")


def test_plain_install_reproduces_recorded_scores(tmp_path):
    "`pip wheel` + `pip install --target` of the checkout; a script outside the repository re-scores every entry."
    # build from a copy of the checkout's files (tracked, and new ones git does not ignore): no build/ left behind,
    # and nothing stale from an earlier build/ in the wheel
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           check=True, capture_output=True).stdout.decode().split("\0")
    src = tmp_path / "src"
    for f in filter(None, files):
        if (ROOT / f).is_file():
            (src / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / f, src / f)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(pip + ["wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "whl"), str(src)],
                   check=True, capture_output=True, cwd=tmp_path)
    wheel = next((tmp_path / "whl").glob("stargan_edu-*.whl"))
    site = tmp_path / "site"
    subprocess.run(pip + ["install", "--no-deps", "--target", str(site), str(wheel)], check=True, capture_output=True)
    assert sorted(p.stem for p in (site / "stargan_edu" / "assets" / "zoo").glob("*.pt")) == SHIPPED
    env = {**os.environ, "PYTHONPATH": str(site), "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    r = subprocess.run([sys.executable, "-c", _REPRODUCE, str(site)], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads(r.stdout.strip().splitlines()[-1])
    assert sorted(res) == SHIPPED
    for name, d in res.items():
        changes = zoo.score_changes(d["recorded"], d["now"])
        assert changes and set(changes) == {k for k, v in d["recorded"].items() if not isinstance(v, dict)}, (name, d)
        bad = {k: v for k, v in changes.items() if abs(v) > 0.01}
        assert not bad, f"{name} (n={d['n']}, seed={d['seed']}) no longer reaches its recorded scores: {bad}"


def test_errors_say_what_is_wrong(tmp_path):
    with pytest.raises(ValueError, match="the shipped entries are .*v2-toyfaces"):
        zoo.load("v3-toyfaces")
    with pytest.raises(FileNotFoundError, match="no zoo entry file"):
        zoo.load(tmp_path / "nothing.pt")
    (tmp_path / "text.pt").write_text("not torch")
    with pytest.raises(ValueError, match="is not a model-zoo entry"):
        zoo.load(tmp_path / "text.pt")
    torch.save({"task": {"nets": {}}, "step": 3}, tmp_path / "last.pt")    # a training checkpoint's layout
    with pytest.raises(ValueError, match="expected format 'stargan_edu.zoo/1'.*cli.load_run"):
        zoo.load(tmp_path / "last.pt")
    e = zoo.read_entry("cyclegan-toyfaces")
    e["config"]["ngf"] *= 2                        # weights of another width than the configuration says
    torch.save(e, tmp_path / "wide.pt")
    with pytest.raises(ValueError, match="does not fit network 'G'.*expected"):
        zoo.load(tmp_path / "wide.pt")
    e = zoo.read_entry("cyclegan-toyfaces")
    del e["nets"]["F"]
    torch.save(e, tmp_path / "half.pt")
    with pytest.raises(ValueError, match=r"no weights for \['F'\]"):
        zoo.load(tmp_path / "half.pt")
    with pytest.raises(FileNotFoundError, match="nor a model-zoo entry"):
        load_run(tmp_path / "no-run")


def test_cli_accepts_a_zoo_name(tmp_path, capsys):
    "`stargan-edu eval --run NAME` prints the recorded scores (same faces); `translate --run NAME` writes its grid."
    t = zoo.load("cyclegan-toyfaces", "cpu")
    assert main(["eval", "--run", "cyclegan-toyfaces", "--protocol", "oracle", "--device", "cpu", "--eval-n",
                 str(t.info["score_n"])]) == 0
    out = capsys.readouterr().out
    printed = json.loads(out[out.index("{"):])
    for k in ("oracle_target_accuracy", "oracle_preservation"):
        assert abs(printed[k] - t.scores[k]) <= 0.01, (k, printed[k], t.scores[k])
    assert not Path("cyclegan-toyfaces").exists()                                # nothing written for a zoo name
    from stargan_edu.core import save_grid
    from stargan_edu.toyfaces import ToyFaces
    save_grid(ToyFaces(n=1, size=32, seed=1).images, tmp_path / "face.png", ncol=1)
    assert main(["translate", "--run", "v1-toyfaces", "--input", str(tmp_path / "face.png"), "--target", "Blond_Hair",
                 "--out", str(tmp_path / "out.png"), "--device", "cpu"]) == 0
    assert (tmp_path / "out.png").exists()
