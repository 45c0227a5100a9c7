"""The `stargan-edu` command end to end, with tiny settings (the real demo is timed in bench/bench_demo.py)."""
import json
import subprocess
import sys
from pathlib import Path

from PIL import Image

EXE = str(Path(sys.executable).parent / "stargan-edu")


def test_demo_writes_the_run_folder(tmp_path):
    out = tmp_path / "demo"
    r = subprocess.run([EXE, "demo", "--out", str(out), "--steps", "4", "--n-train", "64", "--eval-n", "10",
                        "--sample-every", "2", "--quiet"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    for name in ("config.json", "log.jsonl", "metrics.json", "checkpoints/last.pt", "samples/translations.png"):
        assert (out / name).exists(), name
    assert sorted(p.name for p in (out / "samples").glob("step_*.png")) == ["step_000002.png", "step_000004.png"]
    m = json.loads((out / "metrics.json").read_text())
    for k in ("oracle_target_accuracy", "oracle_preservation", "steps", "train_seconds", "images_per_second"):
        assert k in m, k
    assert m["steps"] == 4 and 0 <= m["oracle_target_accuracy"] <= 1 and 0 <= m["oracle_preservation"] <= 1
    assert set(m["per_attribute"]) == {"Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young"}
    assert "oracle target accuracy" in r.stdout and "translations.png" in r.stdout
    # 8 held-out faces, each a row: the input and its 5 attribute changes, 32 px with a 2 px border
    assert Image.open(out / "samples" / "translations.png").size == (6 * 34 + 2, 8 * 34 + 2)
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["task"]["model"] == "v1" and cfg["task"]["data"]["source"] == "toyfaces"
    # a second demo replaces the first run folder
    r = subprocess.run([EXE, "demo", "--out", str(out), "--steps", "2", "--n-train", "64", "--eval-n", "10", "--quiet"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert json.loads((out / "metrics.json").read_text())["steps"] == 2
    assert not (out / "samples" / "step_000004.png").exists()


def test_demo_refuses_a_foreign_folder(tmp_path):
    (tmp_path / "mine.txt").write_text("precious")
    r = subprocess.run([EXE, "demo", "--out", str(tmp_path), "--steps", "1", "--quiet"], capture_output=True, text=True)
    assert r.returncode == 2 and "not a run folder" in r.stderr
    assert (tmp_path / "mine.txt").exists()


def test_train_rejects_bad_input(tmp_path):
    empty = tmp_path / "empty"; empty.mkdir()
    r = subprocess.run([EXE, "train", "--model", "v1", "--data", str(empty), "--out", str(tmp_path / "r"), "--steps", "1", "--quiet"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "error" in r.stderr
    r = subprocess.run([EXE, "train", "--model", "v1", "--out", str(tmp_path / "r"), "--preset", "fast"], capture_output=True, text=True)
    assert r.returncode == 2 and "invalid choice" in r.stderr


def test_eval_runs_the_official_protocol(tmp_path):
    """`stargan-edu eval --run DIR` adds FID/LPIPS (latent and reference) to metrics.json, offline on Toy Faces."""
    run = tmp_path / "v2"
    r = subprocess.run([EXE, "train", "--model", "v2", "--out", str(run), "--steps", "2", "--batch", "4", "--n-train", "64",
                        "--no-eval", "--quiet", "--device", "cpu", "--set", "lambda_ds=0.5"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert json.loads((run / "config.json").read_text())["task"]["lambda_ds"] == 0.5
    r = subprocess.run([EXE, "eval", "--run", str(run), "--fast", "--n-src", "3", "--n-real", "9", "--num-outs", "2",
                        "--lpips", "alex-random", "--eval-n", "6", "--device", "cpu"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "eval" in r.stderr                       # the progress bar (tqdm writes to stderr)
    m = json.loads((run / "metrics.json").read_text())
    for k in ("fid", "lpips", "fid_latent", "fid_reference", "lpips_latent", "lpips_reference", "oracle_target_accuracy"):
        assert k in m, k
    assert m["fid"] == m["fid_latent"] and m["fid_latent"] > 0 and m["lpips_latent"] >= 0
    p = m["protocol"]
    assert (p["extractor"], p["num_outs"], p["sources"], p["real"]) == ("oracle", 2, 9, 27)
    assert set(p["per_pair"]["latent"]["fid"]) == {f"{a}2{b}" for a in ("black", "blond", "brown")
                                                   for b in ("black", "blond", "brown") if a != b}
    # an unknown setting and an unknown extractor are refused with a message
    r = subprocess.run([EXE, "train", "--model", "v2", "--out", str(tmp_path / "x"), "--set", "lambda_dz=1", "--quiet"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "KEY one of the v2 settings" in r.stderr
    r = subprocess.run([EXE, "eval", "--run", str(run), "--extractor", "clip"], capture_output=True, text=True)
    assert r.returncode == 2 and "invalid choice" in r.stderr


def test_eval_protocol_on_a_domain_folder(tmp_path):
    """The protocol on data read from disk (AFHQ layout: train|val/<domain>/): every val image a source, features from
    a fixed random network (offline), no LPIPS; the per-pair FIDs use the folder names."""
    from stargan_edu.toyfaces import write_folder_layout
    data = write_folder_layout(tmp_path / "afhq_like", n_per_domain=12, size=32, by="glasses", n_val_per_domain=3)
    run = tmp_path / "v2"
    r = subprocess.run([EXE, "train", "--model", "v2", "--data", str(data), "--out", str(run), "--steps", "2", "--batch", "4",
                        "--no-eval", "--quiet", "--device", "cpu"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([EXE, "eval", "--run", str(run), "--extractor", "random", "--lpips", "none", "--num-outs", "2",
                        "--quiet", "--device", "cpu"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    m = json.loads((run / "metrics.json").read_text())
    assert "lpips" not in m and m["fid_latent"] > 0 and m["fid_reference"] > 0
    assert (m["protocol"]["sources"], m["protocol"]["real"], m["protocol"]["extractor"]) == (6, 24, "random")
    assert set(m["protocol"]["per_pair"]["latent"]["fid"]) == {"glasses2none", "none2glasses"}
    assert "oracle_target_accuracy" not in m          # the oracle scores Toy Faces runs only
    (data / "val").rename(data / "test")            # a data set with train/test only: the test images are the sources
    r = subprocess.run([EXE, "eval", "--run", str(run), "--extractor", "random", "--lpips", "none", "--num-outs", "2",
                        "--protocol", "official", "--quiet", "--device", "cpu"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    p = json.loads((run / "metrics.json").read_text())["protocol"]
    assert (p["source_split"], p["sources"]) == ("test", 6)
    (data / "test").rename(data / "held_out")       # neither: a message, not a traceback
    r = subprocess.run([EXE, "eval", "--run", str(run), "--extractor", "random", "--lpips", "none", "--protocol", "official",
                        "--quiet", "--device", "cpu"], capture_output=True, text=True)
    assert r.returncode == 2 and "no 'val' or 'test' split" in r.stderr, r.stderr
