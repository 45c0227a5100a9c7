"""Trust (issue 14): bad input across the Python API and the command line, and faults during training.

Every case asserts a clear message naming what was expected (or a documented recovery), and that nothing the user
already had is deleted or overwritten. The command line is called in-process (`cli.main([...])`) with tiny settings.
"""
import errno
import hashlib
import json
import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import stargan_edu

from stargan_edu import cli, engine
from stargan_edu.cli import main
from stargan_edu.engine import TrainingStopped, load_checkpoint

FIXTURES = Path(stargan_edu.__file__).parent / "assets" / "official"   # the official-format fixtures ship in the package
TINY = ["--size", "16", "--batch", "4", "--n-train", "32", "--quiet", "--device", "cpu", "--no-eval",
        "--sample-every", "100", "--log-every", "1"]


def run(capsys, *argv) -> tuple[int, str]:
    "`main(argv)`: its exit code and what it printed on stderr."
    code = main([str(a) for a in argv])
    return code, capsys.readouterr().err


def digest(folder: Path) -> dict[str, str]:
    "A fingerprint of every file under `folder`, to prove that nothing was changed or deleted."
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def one_line_error(code: int, err: str, *needles: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err and err.strip().count("\n") == 0, err
    for n in needles:
        assert n in err, (n, err)


@pytest.fixture(scope="module")
def v1_run(tmp_path_factory) -> Path:
    "A 2-step StarGAN v1 run at 16 px (checkpoint at step 2)."
    out = tmp_path_factory.mktemp("runs") / "v1"
    assert main(["train", "--model", "v1", "--out", str(out), "--steps", "2", *TINY]) == 0
    return out


@pytest.fixture()
def face(tmp_path) -> Path:
    p = tmp_path / "face.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (20, 20, 3), dtype=np.uint8)).save(p)
    return p


# ---------------------------------------------------------------- folders: nothing of the user's is lost

def test_demo_never_deletes_a_folder_with_its_own_config_json(tmp_path, capsys):
    proj = tmp_path / "project"; (proj / "src").mkdir(parents=True)
    (proj / "config.json").write_text('{"name": "my project"}'); (proj / "src" / "main.py").write_text("print(1)")
    before = digest(proj)
    code, err = run(capsys, "demo", "--out", proj, "--steps", "1", "--n-train", "16", "--quiet")
    one_line_error(code, err, "not a run folder")
    assert digest(proj) == before


def test_demo_replaces_only_a_run_folders_own_files(tmp_path):
    run_dir = tmp_path / "run"
    engine.prepare_run_folder(run_dir)
    (run_dir / "config.json").write_text(json.dumps({"run_folder": engine.RUN_MARKER}))
    (run_dir / "samples").mkdir(); (run_dir / "samples" / "step_000002.png").write_bytes(b"png")
    (run_dir / "samples" / "my_drawing.png").write_bytes(b"mine"); (run_dir / "notes.txt").write_text("mine")
    engine.prepare_run_folder(run_dir, clear=True)
    assert sorted(str(p.relative_to(run_dir)) for p in run_dir.rglob("*") if p.is_file()) == ["notes.txt", "samples/my_drawing.png"]


@pytest.mark.parametrize("name", ["config.json", "log.jsonl", "metrics.json"])
def test_train_refuses_a_folder_with_unrelated_run_files(tmp_path, capsys, name):
    mine = tmp_path / "mine"; mine.mkdir()
    (mine / name).write_text('{"step": 1, "mine": true}\n')
    before = digest(mine)
    code, err = run(capsys, "train", "--model", "v1", "--out", mine, "--steps", "2", *TINY)
    one_line_error(code, err, "not a run folder", name, "refusing to overwrite")
    assert digest(mine) == before


def test_train_refuses_to_overwrite_a_trained_run_without_resume(v1_run, capsys):
    before = digest(v1_run)
    code, err = run(capsys, "train", "--model", "v1", "--out", v1_run, "--steps", "2", *TINY)
    one_line_error(code, err, "already holds a trained run", "--resume")
    assert digest(v1_run) == before


def test_train_out_is_a_file(tmp_path, capsys):
    f = tmp_path / "notes.txt"; f.write_text("mine")
    code, err = run(capsys, "train", "--model", "v1", "--out", f, "--steps", "2", *TINY)
    one_line_error(code, err, "is a file")
    assert f.read_text() == "mine"


def test_translate_out_equal_to_input_is_refused(v1_run, face, capsys):
    before = face.read_bytes()
    code, err = run(capsys, "translate", "--run", v1_run, "--input", face, "--target", "Male", "--out", face, "--device", "cpu")
    one_line_error(code, err, "is one of the input images")
    assert face.read_bytes() == before


def test_translate_out_is_a_folder_or_not_an_image_name(v1_run, face, tmp_path, capsys):
    code, err = run(capsys, "translate", "--run", v1_run, "--input", face, "--target", "Male", "--out", tmp_path, "--device", "cpu")
    one_line_error(code, err, "is a folder")
    code, err = run(capsys, "translate", "--run", v1_run, "--input", face, "--target", "Male", "--out", tmp_path / "x.txt", "--device", "cpu")
    one_line_error(code, err, ".png")


def test_read_only_folder(tmp_path, capsys, monkeypatch):
    "A folder that cannot be written: one line naming the path (simulated when running as root, who may write anywhere)."
    ro = tmp_path / "ro"; ro.mkdir()
    if os.geteuid() != 0:
        ro.chmod(0o500)
    else:
        real = Path.write_text
        def deny(self, *a, **k):
            if ro in self.parents: raise PermissionError(errno.EACCES, "Permission denied", str(self))
            return real(self, *a, **k)
        monkeypatch.setattr(Path, "write_text", deny)
    try:
        code, err = run(capsys, "train", "--model", "v1", "--out", ro / "run", "--steps", "2", *TINY)
    finally:
        ro.chmod(0o700)
    one_line_error(code, err, "Permission denied", str(ro))


# ---------------------------------------------------------------- faults: NaN, a full disk, out of memory, a kill

def _nan_from(at: int, monkeypatch):
    "Make StarGAN v1's loss (and D's weights) NaN from iteration `at` on, as a learning rate of 1e10 does."
    from stargan_edu.v1 import V1Task
    original = V1Task.train_step
    def exploding(self, batch, step):
        log = original(self, batch, step)
        if step + 1 >= at:
            with torch.no_grad(): self.D.conv1.weight.fill_(float("nan"))
            log["D/loss_gp"] = float("nan")
        return log
    monkeypatch.setattr(V1Task, "train_step", exploding)


def test_nan_loss_stops_training_keeps_the_last_good_checkpoint_and_resumes(tmp_path, capsys, monkeypatch):
    out = tmp_path / "run"
    assert main(["train", "--model", "v1", "--out", str(out), "--steps", "2", "--ckpt-every", "2", *TINY]) == 0
    good = (out / "checkpoints" / "last.pt").read_bytes()
    _nan_from(4, monkeypatch)
    code, err = run(capsys, "train", "--model", "v1", "--out", out, "--steps", "6", "--ckpt-every", "2", "--resume", *TINY)
    one_line_error(code, err, "step 4", "D/loss_gp = nan", "not finite", "step 2")
    assert (out / "checkpoints" / "last.pt").read_bytes() == good      # never overwritten with NaN weights
    for line in (out / "log.jsonl").read_text().splitlines():          # strict JSON: no bare NaN token
        json.loads(line, parse_constant=lambda t: pytest.fail(f"bare {t} in log.jsonl"))
    monkeypatch.undo()
    assert main(["train", "--model", "v1", "--out", str(out), "--steps", "6", "--resume", *TINY]) == 0
    assert load_checkpoint(out)["step"] == 6


def test_real_divergence_exits_nonzero_without_a_checkpoint(tmp_path, capsys):
    "The settings of the issue diverge at once: exit 2, the loss named, no NaN checkpoint on disk."
    out = tmp_path / "run"
    code, err = run(capsys, "train", "--model", "v1", "--out", out, "--steps", "4", "--set", "lambda_gp=1e30",
                    "--set", "d_lr=1e10", "--set", "g_lr=1e10", *TINY)
    one_line_error(code, err, "not finite", "Lower the learning rates")
    assert not (out / "checkpoints" / "last.pt").exists()


def test_eval_refuses_a_model_with_nan_weights(v1_run, tmp_path, capsys):
    run_dir = tmp_path / "nan_run"
    (run_dir / "checkpoints").mkdir(parents=True)
    (run_dir / "config.json").write_text((v1_run / "config.json").read_text())
    ck = load_checkpoint(v1_run)
    next(iter(ck["task"]["nets"]["G"].values())).fill_(float("nan"))
    torch.save(ck, run_dir / "checkpoints" / "last.pt")
    code, err = run(capsys, "eval", "--run", run_dir, "--device", "cpu", "--eval-n", "4")
    one_line_error(code, err, "NaN or infinite weights")
    assert not (run_dir / "metrics.json").exists()


def test_nan_scores_are_never_written(tmp_path):
    with pytest.raises(ValueError, match="NaN or infinite"):
        cli.write_metrics(tmp_path, {"oracle_target_accuracy": float("nan")})
    assert not (tmp_path / "metrics.json").exists()


def test_a_stale_temporary_checkpoint_is_removed_on_the_next_start(v1_run, tmp_path):
    out = tmp_path / "run"
    assert main(["train", "--model", "v1", "--out", str(out), "--steps", "2", *TINY]) == 0
    stale = out / "checkpoints" / "last.pt.k1ll3d.tmp"
    stale.write_bytes(b"half a checkpoint")
    assert main(["train", "--model", "v1", "--out", str(out), "--steps", "3", "--resume", *TINY]) == 0
    assert not stale.exists() and load_checkpoint(out)["step"] == 3


def test_a_full_disk_during_a_checkpoint_write_loses_nothing(v1_run, tmp_path, capsys, monkeypatch):
    out = tmp_path / "run"
    assert main(["train", "--model", "v1", "--out", str(out), "--steps", "2", *TINY]) == 0
    good = (out / "checkpoints" / "last.pt").read_bytes()
    def full_disk(obj, f, *a, **k):
        f.write(b"x" * 1000)                           # half-way through the write …
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(engine.torch, "save", full_disk)
    code, err = run(capsys, "train", "--model", "v1", "--out", out, "--steps", "4", "--resume", *TINY)
    one_line_error(code, err, "could not write the checkpoint of step 4", "No space left", "(step 2) is kept")
    assert (out / "checkpoints" / "last.pt").read_bytes() == good
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == ["last.pt"]


def test_out_of_memory_names_the_setting_to_lower(tmp_path, capsys, monkeypatch):
    from stargan_edu.v1 import V1Task
    def oom(self, batch, step): raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")
    monkeypatch.setattr(V1Task, "train_step", oom)
    code, err = run(capsys, "train", "--model", "v1", "--out", tmp_path / "r", "--steps", "2", *TINY)
    one_line_error(code, err, "out of memory", "--batch, now 4", "--size")


def test_nan_images_are_refused_before_training(capsys):
    from stargan_edu.v1 import V1Config, V1Task
    task = V1Task(V1Config.cpu(image_size=16, d_repeat_num=2, conv_dim=8, d_conv_dim=8, g_repeat_num=1))
    before = [p.clone() for p in task.G.parameters()]
    x = torch.zeros(4, 3, 16, 16); x[0, 0, 0, 0] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        task.train_step({"image": x, "label": torch.zeros(4, 5)}, 0)
    assert all(torch.equal(a, b) for a, b in zip(before, task.G.parameters()))   # nothing was trained on


# ---------------------------------------------------------------- command-line values

@pytest.mark.parametrize("flag,value,needle", [
    ("--batch", "-4", "--batch: expected a whole number >= 1, got -4"),     # used to hang forever
    ("--batch", "0", "--batch: expected a whole number >= 1, got 0"),       # used to fall back to the preset
    ("--steps", "0", "--steps: expected a whole number >= 1, got 0"),
    ("--size", "0", "--size: expected a whole number >= 1, got 0"),
    ("--minutes", "-1", "--minutes: expected a number > 0"),                # used to write an untrained checkpoint
    ("--log-every", "0", "--log-every: expected a whole number >= 1"),     # used to divide by zero
    ("--steps", "ten", "expected a whole number, got 'ten'"),
])
def test_bad_training_flags(tmp_path, capsys, flag, value, needle):
    code, err = run(capsys, "train", "--model", "v1", "--out", tmp_path / "r", "--steps", "2", "--quiet", "--device", "cpu",
                    flag, value)                    # given last, the bad value is the one argparse keeps
    assert code == 2 and needle in err, err
    assert not (tmp_path / "r").exists()            # nothing was written


def test_eval_n_zero_is_refused(v1_run, capsys):
    before = digest(v1_run)
    assert main(["eval", "--run", str(v1_run), "--eval-n", "0"]) == 2
    assert "--eval-n: expected a whole number >= 1, got 0" in capsys.readouterr().err
    assert digest(v1_run) == before


@pytest.mark.parametrize("setting,needle", [
    ("lambda_ds=abc", "KEY one of the v1 settings"),          # not a v1 setting
    ("lambda_gp=abc", "--set lambda_gp expects a number, like the preset's 10.0; got 'abc'"),
    ("n_critic=0", "setting n_critic must be a whole number >= 1, got 0"),
    ("n_critic=1.5", "--set n_critic expects a whole number"),
    ("lambda_gp=NaN", "setting lambda_gp must be a finite number"),
    ("g_lr=-1", "learning rate g_lr must be > 0"),
    ("lambda_rec=-10", "loss weight lambda_rec must be >= 0"),
    ("lr_decay=3", "--set lr_decay expects text"),
    ("noequals", "--set expects KEY=VALUE"),
])
def test_bad_settings(tmp_path, capsys, setting, needle):
    code, err = run(capsys, "train", "--model", "v1", "--out", tmp_path / "r", "--steps", "2", "--set", setting, *TINY)
    one_line_error(code, err, needle)
    assert not (tmp_path / "r").exists()


def test_v2_lambda_ds_abc(tmp_path, capsys):
    code, err = run(capsys, "train", "--model", "v2", "--out", tmp_path / "r", "--steps", "2", "--set", "lambda_ds=abc", *TINY)
    one_line_error(code, err, "--set lambda_ds expects a number")


def test_resume_with_another_model_is_refused(v1_run, capsys):
    before = digest(v1_run)
    code, err = run(capsys, "train", "--model", "v2", "--out", v1_run, "--steps", "4", "--resume", *TINY)
    one_line_error(code, err, "holds a v1 run, but --model v2 was given", "--model v1")
    assert digest(v1_run) == before


def test_resume_says_which_flags_it_ignores(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--model", "v1", "--out", str(out), "--steps", "2", *TINY]) == 0
    capsys.readouterr()
    assert main(["train", "--model", "v1", "--out", str(out), "--steps", "3", "--resume", "--set", "g_lr=1e-3",
                 *TINY[:2], "--batch", "8", *TINY[4:]]) == 0
    err = capsys.readouterr().err
    assert "ignored: --batch 8, --set g_lr=1e-3" in err, err
    assert json.loads((out / "config.json").read_text())["task"]["batch_size"] == 4


@pytest.mark.parametrize("device,needle", [("cuda", "CUDA is not available"), ("tpu", "unknown device 'tpu'")])
def test_nonsense_devices(tmp_path, capsys, device, needle):
    if device == "cuda" and torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    code, err = run(capsys, "train", "--model", "v1", "--out", tmp_path / "r", "--steps", "2", "--quiet", "--device", device)
    one_line_error(code, err, needle)


def test_data_folders(tmp_path, capsys):
    empty = tmp_path / "empty"; empty.mkdir()
    code, err = run(capsys, "train", "--model", "v1", "--data", empty, "--out", tmp_path / "r", "--steps", "1", "--quiet")
    one_line_error(code, err)
    code, err = run(capsys, "train", "--model", "v1", "--data", tmp_path / "missing", "--out", tmp_path / "r", "--steps", "1", "--quiet")
    one_line_error(code, err, "does not exist")


def test_debug_shows_the_traceback(tmp_path):
    with pytest.raises(ValueError, match="unknown device"):
        main(["train", "--model", "v1", "--out", str(tmp_path / "r"), "--device", "tpu", "--debug"])


# ---------------------------------------------------------------- checkpoints that are not checkpoints

def _ckpt_cases(tmp_path: Path, good: Path) -> dict[str, Path]:
    cases = {}
    (tmp_path / "text.pt").write_text("this is not a checkpoint\n" * 10); cases["text"] = tmp_path / "text.pt"
    (tmp_path / "random.pt").write_bytes(np.random.default_rng(0).bytes(4096)); cases["random"] = tmp_path / "random.pt"
    (tmp_path / "empty.pt").write_bytes(b""); cases["empty"] = tmp_path / "empty.pt"
    data = good.read_bytes(); (tmp_path / "half.pt").write_bytes(data[: len(data) // 2]); cases["truncated"] = tmp_path / "half.pt"
    return cases


class _Evil:
    "Unpickling this would create a file: a checkpoint that runs code."
    def __init__(self, marker): self.marker = marker
    def __reduce__(self): return (Path.touch, (Path(self.marker),))


@pytest.mark.parametrize("case", ["text", "random", "empty", "truncated"])
def test_broken_checkpoints_get_a_message(v1_run, tmp_path, case):
    path = _ckpt_cases(tmp_path, v1_run / "checkpoints" / "last.pt")[case]
    with pytest.raises(ValueError) as e:
        load_checkpoint(path)
    msg = str(e.value)
    assert "weights_only=False" not in msg and ("cannot be loaded" in msg or "empty" in msg), msg


def test_a_checkpoint_that_would_run_code_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    torch.save({"format": "stargan_edu/1", "x": _Evil(str(marker))}, tmp_path / "evil.pt")
    with pytest.raises(ValueError, match="refused because unpickling them could run code"):
        load_checkpoint(tmp_path / "evil.pt")
    assert not marker.exists()


def test_a_random_file_as_the_runs_checkpoint_via_the_cli(v1_run, tmp_path, capsys):
    run_dir = tmp_path / "run"; (run_dir / "checkpoints").mkdir(parents=True)
    (run_dir / "config.json").write_text((v1_run / "config.json").read_text())
    (run_dir / "checkpoints" / "last.pt").write_bytes(np.random.default_rng(1).bytes(2048))
    code, err = run(capsys, "eval", "--run", run_dir, "--device", "cpu")
    one_line_error(code, err, "cannot be loaded as a stargan_edu checkpoint")
    assert "weights_only=False" not in err


def test_a_foreign_checkpoint(tmp_path):
    torch.save(torch.load(FIXTURES / "v1_official_celeba-G.pt", weights_only=True), tmp_path / "200000-G.ckpt")
    with pytest.raises(ValueError, match="not a stargan_edu checkpoint"):
        load_checkpoint(tmp_path / "200000-G.ckpt")


def test_official_loaders_on_a_text_file(tmp_path):
    from stargan_edu.pretrained import load_official_v1, load_official_v2
    (tmp_path / "x.ckpt").write_text("hello")
    with pytest.raises(ValueError, match="cannot be loaded as an official StarGAN v2"):
        load_official_v2(tmp_path / "x.ckpt")
    with pytest.raises(ValueError, match="cannot be loaded as an official StarGAN v1"):
        load_official_v1(tmp_path / "x.ckpt")


# ---------------------------------------------------------------- images given to translate

def _bad_image(tmp_path: Path, kind: str) -> Path:
    p = tmp_path / f"{kind}.png"
    if kind == "text": p.write_text("not an image")
    elif kind == "empty": p.write_bytes(b"")
    elif kind == "truncated":
        Image.new("RGB", (40, 40), (200, 10, 10)).save(tmp_path / "full.png")
        p.write_bytes((tmp_path / "full.png").read_bytes()[:60])
    return p


@pytest.mark.parametrize("kind", ["text", "empty", "truncated"])
def test_unreadable_images(v1_run, tmp_path, capsys, kind):
    code, err = run(capsys, "translate", "--run", v1_run, "--input", _bad_image(tmp_path, kind), "--target", "Male",
                    "--out", tmp_path / "o.png", "--device", "cpu")
    one_line_error(code, err, "is not a readable image")
    assert not (tmp_path / "o.png").exists()


@pytest.mark.parametrize("mode,size", [("L", (20, 20)), ("RGBA", (20, 20)), ("RGB", (1, 1)), ("RGB", (30, 17))])
def test_odd_images_are_converted(v1_run, tmp_path, capsys, mode, size):
    "Documented recovery: grayscale and RGBA become RGB (transparency over white), any size is centre-cropped and resized."
    p = tmp_path / "odd.png"
    Image.new(mode, size, 128 if mode == "L" else (10, 200, 30, 0) if mode == "RGBA" else (10, 200, 30)).save(p)
    code, err = run(capsys, "translate", "--run", v1_run, "--input", p, "--target", "Male", "--out", tmp_path / "o.png", "--device", "cpu")
    assert code == 0, err
    assert Image.open(tmp_path / "o.png").size == (2 * 16 + 6, 16 + 4)
    if mode == "RGBA":   # fully transparent pixels are laid over white
        _, x = cli.read_images(p, 16)
        assert torch.allclose(x, torch.ones_like(x))


def test_missing_empty_and_unknown_inputs(v1_run, face, tmp_path, capsys):
    base = ["translate", "--run", v1_run, "--out", tmp_path / "o.png", "--device", "cpu"]
    code, err = run(capsys, *base, "--input", tmp_path / "nowhere.png", "--target", "Male")
    one_line_error(code, err, "no image or folder at")
    (tmp_path / "empty").mkdir()
    code, err = run(capsys, *base, "--input", tmp_path / "empty", "--target", "Male")
    one_line_error(code, err, "no images in")
    code, err = run(capsys, *base, "--input", face, "--target", "Red_Hair")
    one_line_error(code, err, "unknown label 'Red_Hair'", "Black_Hair")
    code, err = run(capsys, *base, "--input", face, "--target", "Black_Hair,Blond_Hair")
    one_line_error(code, err, "hair colours are exclusive")
    code, err = run(capsys, "translate", "--run", tmp_path, "--input", face, "--target", "Male", "--out", tmp_path / "o.png")
    one_line_error(code, err, "not a run folder")


# ---------------------------------------------------------------- the Python API

@pytest.fixture(scope="module")
def v1_task():
    from stargan_edu.v1 import V1Config, V1Task
    return V1Task(V1Config.cpu(image_size=16, d_repeat_num=2, conv_dim=8, d_conv_dim=8, g_repeat_num=1, g_down=2))


@pytest.mark.parametrize("x,c,needle", [
    (torch.zeros(2, 3, 16, 16, dtype=torch.uint8), torch.zeros(2, 5), "float images in [-1, 1], got dtype torch.uint8"),
    (torch.full((2, 3, 16, 16), 200.0), torch.zeros(2, 5), "[0, 255]"),
    (torch.full((2, 3, 16, 16), float("nan")), torch.zeros(2, 5), "NaN"),
    (torch.zeros(2, 1, 16, 16), torch.zeros(2, 5), "[B, 3, H, W]"),
    (torch.zeros(3, 16, 16), torch.zeros(2, 5), "[B, 3, H, W]"),
    (torch.zeros(2, 3, 18, 18), torch.zeros(2, 5), "multiples of 4"),
    (torch.zeros(2, 3, 16, 16), torch.zeros(2, 4), "[B, 5]"),
    (torch.zeros(2, 3, 16, 16), torch.full((2, 5), 7.0), "values 0 or 1"),
    (torch.zeros(2, 3, 16, 16), torch.full((2, 5), float("nan")), "values 0 or 1"),
])
def test_v1_translate_rejects_bad_input(v1_task, x, c, needle):
    with pytest.raises(ValueError) as e:
        v1_task.translate(x, c)
    assert needle in str(e.value), str(e.value)


def test_v1_train_step_rejects_pixels_in_0_255(v1_task):
    with pytest.raises(ValueError, match=r"\[0, 255\]"):
        v1_task.train_step({"image": torch.full((4, 3, 16, 16), 128.0), "label": torch.zeros(4, 5)}, 0)
    with pytest.raises(ValueError, match="values 0 or 1"):
        v1_task.train_step({"image": torch.zeros(4, 3, 16, 16), "label": torch.full((4, 5), 7.0)}, 0)


def test_v2_and_cyclegan_reject_bad_images():
    from stargan_edu.cyclegan import default_config as cg_default, make_task as cg_make
    from stargan_edu.pretrained import load_official_v2
    blob = torch.load(FIXTURES / "v2_official_hpf0.pt", weights_only=True)
    v2 = load_official_v2(blob["nets_ema"])
    x = torch.zeros(2, 3, 32, 32)
    with pytest.raises(ValueError, match="dtype torch.uint8"):
        v2.translate_latent(x.to(torch.uint8), 0)
    with pytest.raises(ValueError, match="NaN"):
        v2.translate_reference(x, x * float("nan"), 1)
    with pytest.raises(ValueError, match="values 0 or 1"):
        v2.translate(x, torch.tensor([[7.0, 0, 0], [0, 1.0, 0]]))
    with pytest.raises(ValueError, match="domain"):
        v2.translate_latent(x, 5)
    hair = ["Black_Hair", "Blond_Hair", "Brown_Hair"]
    cg = cg_make({**cg_default("cpu"), "image_size": 16, "ngf": 4, "n_blocks": 1, "ndf": 4, "n_layers": 1,
                  "data": {"source": "toyfaces", "labels": "hair"}, "label_names": hair, "label_kind": "single"})
    with pytest.raises(ValueError, match=r"\[0, 255\]"):
        cg.translate(torch.full((1, 3, 16, 16), 255.0), torch.tensor([[0.0, 1, 0]]))


def test_fid_on_nan_features():
    from stargan_edu.metrics import fid_from_features
    f = np.random.default_rng(0).normal(size=(20, 4)); g = f.copy(); g[3, 1] = np.nan
    with pytest.raises(ValueError, match="1 of 20 feature rows hold NaN"):
        fid_from_features(f, g)


# ---------------------------------------------------------------- translate: the model's own preprocessing (issue 11.6)

def test_translate_uses_the_official_v1_preprocessing(tmp_path, capsys):
    "A 178×218 CelebA photo: centre crop 178 then bilinear resize to 128, not a squash (which would distort by 1.22)."
    from stargan_edu.pretrained import load_official_v1
    rng = np.random.default_rng(0)
    photo = Image.fromarray(rng.integers(0, 255, (218, 178, 3), dtype=np.uint8)); photo.save(tmp_path / "photo.png")
    expected = torch.from_numpy(np.asarray(photo.crop((0, 20, 178, 198)).resize((128, 128), Image.Resampling.BILINEAR),
                                           dtype=np.float32)).permute(2, 0, 1) / 127.5 - 1
    x = cli._official_transform("v1", 128)(photo)
    assert torch.allclose(x, expected, atol=1e-6)
    torch.save(torch.load(FIXTURES / "v1_official_celeba-G.pt", weights_only=True), tmp_path / "200000-G.ckpt")
    c_dim = load_official_v1(tmp_path / "200000-G.ckpt").c_dim
    names = ["Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young"][:c_dim]
    code, err = run(capsys, "translate", "--official-v1", tmp_path / "200000-G.ckpt", "--names", ",".join(names),
                    "--input", tmp_path / "photo.png", "--target", "Male", "--out", tmp_path / "o.png", "--device", "cpu")
    assert code == 0, err
    assert Image.open(tmp_path / "o.png").size == (2 * 128 + 6, 128 + 4)


def test_translate_with_an_official_v2_checkpoint(tmp_path, face, capsys):
    blob = torch.load(FIXTURES / "v2_official_hpf0.pt", weights_only=True)
    torch.save(blob["nets_ema"], tmp_path / "100000_nets_ema.ckpt")
    base = ["translate", "--official-v2", tmp_path / "100000_nets_ema.ckpt", "--input", face, "--device", "cpu"]
    code, err = run(capsys, *base, "--target", "domain2", "--out", tmp_path / "latent.png", "--seed", "3")
    assert code == 0, err
    code, err = run(capsys, *base, "--names", "cat,dog,wild", "--target", "dog", "--ref", face, "--out", tmp_path / "ref.png")
    assert code == 0, err
    assert Image.open(tmp_path / "ref.png").size == (2 * 32 + 6, 32 + 4)
    code, err = run(capsys, *base, "--target", "cat", "--out", tmp_path / "x.png")
    one_line_error(code, err, "unknown label 'cat'", "domain0")


# ---------------------------------------------------------------- a few more

def test_a_batch_size_below_one_never_reaches_the_loader():
    from stargan_edu.engine import InfiniteLoader
    for b in (0, -4):
        with pytest.raises(ValueError, match="batch_size must be a whole number >= 1"):
            InfiniteLoader(list(range(10)), batch_size=b)


def test_an_unknown_celeba_attribute(tmp_path, capsys):
    from stargan_edu.toyfaces import write_celeba_layout
    root = write_celeba_layout(tmp_path / "celeba", n=8, size=16)
    code, err = run(capsys, "train", "--model", "v1", "--data", root, "--labels", "Blonde_Hair,Male", "--out", tmp_path / "r",
                    "--steps", "1", "--quiet", "--device", "cpu")
    one_line_error(code, err, "unknown CelebA attribute 'Blonde_Hair'", "did you mean 'Blond_Hair'")


def test_resume_with_the_same_settings_says_nothing(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--model", "v1", "--out", str(out), "--steps", "2", "--set", "g_lr=0.0002", *TINY]) == 0
    capsys.readouterr()
    assert main(["train", "--model", "v1", "--out", str(out), "--steps", "3", "--resume", "--set", "g_lr=0.0002", *TINY]) == 0
    assert "ignored" not in capsys.readouterr().err


def test_metrics_json_stays_strict_json(tmp_path):
    (tmp_path / "metrics.json").write_text('{"fid": NaN, "steps": 2}')      # as an earlier version could write it
    cli.write_metrics(tmp_path, {"oracle_preservation": 0.5})
    assert json.loads((tmp_path / "metrics.json").read_text(), parse_constant=lambda t: pytest.fail(t)) == \
        {"steps": 2, "oracle_preservation": 0.5}
