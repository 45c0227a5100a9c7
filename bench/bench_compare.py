"""Chapter 08's comparison: CycleGAN, StarGAN v1, StarGAN v2 and three StarGAN v2 ablations on one Toy Faces task.

Every model trains on 32 px Toy Faces with hair-colour labels for the same CPU time on one thread (`--minutes`),
through `stargan-edu train` itself, in `--segments` sessions (`--stop-at` then `--resume`). After each session the
run is scored by `metrics.hair_scorecard` (black <-> blond hair, both directions); at the end with more faces, plus
the v2 reference-guided scores of `v2.evaluate_toyfaces`.

Usage: .venv/bin/python bench/bench_compare.py [--minutes 10] [--segments 5] [--jobs 2] [--only v2 v2-no-ds]
Writes the run folders to runs/compare/<name>/, and stargan_edu/assets/compare/<name>.json (scores, curve, timings, parameter
counts, machine), <name>.log.jsonl (the training log, every 50th step) and <name>.png (sample grid) for the chapter.
"""
import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "stargan_edu" / "assets" / "compare"   # shipped with the package: chapter 08 reads it anywhere
MODELS = {   # name: (model, --set overrides)
    "cyclegan": ("cyclegan", []),
    "v1": ("v1", []),
    "v2": ("v2", []),
    "v2-no-ds": ("v2", ["lambda_ds=0"]),
    "v2-no-ref": ("v2", ["train_reference=false"]),
    "v2-no-r1": ("v2", ["lambda_reg=0"]),
}


def seconds_per_step(model: str, sets: list[str], n_steps: int = 12) -> float:
    "Time a few training iterations of the preset (after two warm-up ones), on the current thread settings."
    import torch
    from stargan_edu.cli import build_parser, make_data, model_module, run_config
    args = build_parser().parse_args(["train", "--model", model, "--labels", "hair", "--out", "unused", "--n-train", "512",
                                      *sum((["--set", s] for s in sets), [])])
    cfg = run_config(args)
    data = make_data(cfg["data"], cfg["image_size"])
    cfg["label_names"], cfg["label_kind"] = list(data.label_names), data.label_kind
    task = model_module(model).make_task(cfg, "cpu")
    from stargan_edu.engine import InfiniteLoader
    loader = InfiniteLoader(data, batch_size=cfg["batch_size"], seed=0)
    for i in range(2): task.train_step(next(loader), i)
    t0 = time.perf_counter()
    for i in range(n_steps): task.train_step(next(loader), i)
    return (time.perf_counter() - t0) / n_steps


def param_counts(task) -> dict:
    "Trainable parameters of the translator side (G, and F, E for v2) and of the discriminator(s); EMA copies not counted."
    from stargan_edu.cyclegan import count_params
    gen = sum(count_params(m) for k, m in task.nets.items() if not k.startswith("D") and not k.endswith("_ema"))
    dis = sum(count_params(m) for k, m in task.nets.items() if k.startswith("D"))
    return {"params_translator": gen, "params_discriminator": dis}


def worker(name: str, minutes: float, segments: int, n_eval: int, n_final: int, suffix: str = "") -> dict:
    import torch
    torch.set_num_threads(1)
    from stargan_edu.cli import load_run, main as cli
    from stargan_edu.metrics import hair_scorecard
    from stargan_edu.toyfaces import load_oracle
    model, sets = MODELS[name]
    run = ROOT / "runs" / "compare" / (name + suffix)
    if run.exists(): shutil.rmtree(run)
    load0 = os.getloadavg()[0]
    sps = seconds_per_step(model, sets)
    steps = max(segments, round(minutes * 60 / sps))
    oracle = load_oracle()
    base = ["train", "--model", model, "--labels", "hair", "--out", str(run), "--steps", str(steps), "--quiet",
            "--device", "cpu", "--no-eval", "--ckpt-every", str(10**9), "--sample-every", str(max(1, steps // segments)),
            *sum((["--set", s] for s in sets), [])]
    curve = []
    for k in range(1, segments + 1):
        stop = round(steps * k / segments)
        code = cli(base + ["--stop-at", str(stop)] + (["--resume"] if k > 1 else []))
        if code: raise SystemExit(f"{name}: stargan-edu train failed at segment {k}")
        m = json.loads((run / "metrics.json").read_text())
        task = load_run(run).eval()
        sc = hair_scorecard(task.translate, oracle, size=task.config()["image_size"], n=n_eval)
        curve.append({"step": m["steps"], "train_seconds": m["train_seconds"],
                      **{key: v for key, v in sc.items() if isinstance(v, float)}})
        print(f"[{name}] step {m['steps']}/{steps}  {m['train_seconds']:.0f} s  "
              + "  ".join(f"{key} {v:.3f}" for key, v in curve[-1].items() if key not in ("step", "train_seconds")), flush=True)
    final = hair_scorecard(task.translate, oracle, size=task.config()["image_size"], n=n_final)
    extra = {}
    if model == "v2":
        from stargan_edu.v2 import evaluate_toyfaces
        ev = evaluate_toyfaces(task, oracle, n=n_final)
        extra = {k: v for k, v in ev.items() if isinstance(v, float)}
    m = json.loads((run / "metrics.json").read_text())
    rec = {"name": name + suffix, "model": model, "set": sets, "date": time.strftime("%Y-%m-%d %H:%M"), "minutes_budget": minutes,
           "seconds_per_step_probe": round(sps, 4), "steps": m["steps"], "train_seconds": m["train_seconds"],
           "images_per_second": m["images_per_second"], **param_counts(task), "final": final, "v2_scores": extra,
           "curve": curve, "machine": {"cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                                       "loadavg_start": round(load0, 2), "loadavg_end": round(os.getloadavg()[0], 2),
                                       "torch": torch.__version__, "python": platform.python_version()}}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name}{suffix}.json").write_text(json.dumps(rec, indent=1))
    logs = [l for l in (run / "log.jsonl").read_text().splitlines() if l.strip()]   # every 50th step is plenty to plot
    (OUT / f"{name}{suffix}.log.jsonl").write_text("".join(l + "\n" for l in logs if json.loads(l)["step"] % 50 == 0 or l == logs[-1]))
    write_grid(name + suffix)
    return rec


def write_grid(name: str, n: int = 4, calls: int = 3) -> Path:
    "stargan_edu/assets/compare/<name>.png: `n` black- and `n` blond-haired held-out faces, each followed by `calls` translations to the other colour."
    import torch
    from stargan_edu.cli import load_run
    from stargan_edu.core import save_grid
    from stargan_edu.toyfaces import HAIR_COLORS, render, sample_factors
    task = load_run(ROOT / "runs" / "compare" / name).eval()
    size, rows = task.config()["image_size"], []
    for src, trg in (("black", "blond"), ("blond", "black")):
        x = render(sample_factors(n, 777, hair=HAIR_COLORS.index(src)), size)
        c = torch.zeros(n, len(HAIR_COLORS)); c[:, HAIR_COLORS.index(trg)] = 1
        outs = []
        for k in range(calls):
            torch.manual_seed(k)
            with torch.no_grad(): outs.append(task.translate(x, c).cpu())
        rows.append(torch.stack([x, *outs], 1).flatten(0, 1))
    return save_grid(torch.cat(rows), OUT / f"{name}.png", ncol=1 + calls)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=10.0, help="training time per model (default 10)")
    p.add_argument("--segments", type=int, default=5, help="scored sessions per model (default 5)")
    p.add_argument("--jobs", type=int, default=2, help="models trained at once, one thread each (default 2)")
    p.add_argument("--n-eval", type=int, default=100, help="faces per direction for the curve's scores (default 100)")
    p.add_argument("--n-final", type=int, default=200, help="faces per direction for the final scores (default 200)")
    p.add_argument("--only", nargs="*", default=list(MODELS), choices=list(MODELS))
    p.add_argument("--suffix", default="", help="appended to the names of the run folders and records (e.g. -25min)")
    p.add_argument("--grids", action="store_true", help="only redraw the sample grids <name>.png from the run folders")
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.grids:
        for name in a.only:
            if (ROOT / "runs" / "compare" / (name + a.suffix) / "checkpoints" / "last.pt").exists(): print(write_grid(name + a.suffix))
        return
    if a.worker:
        worker(a.worker, a.minutes, a.segments, a.n_eval, a.n_final, a.suffix)
        return
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    todo, running = list(a.only), []
    while todo or running:
        while todo and len(running) < a.jobs:
            name = todo.pop(0)
            cmd = [sys.executable, __file__, "--worker", name, "--minutes", str(a.minutes), "--segments", str(a.segments),
                   "--n-eval", str(a.n_eval), "--n-final", str(a.n_final), f"--suffix={a.suffix}"]
            running.append((name, subprocess.Popen(cmd, env=env)))
        time.sleep(5)
        for item in list(running):
            if item[1].poll() is not None:
                running.remove(item)
                if item[1].returncode: print(f"{item[0]} failed with exit code {item[1].returncode}", file=sys.stderr)
    for name in a.only:
        f = OUT / f"{name}{a.suffix}.json"
        if f.exists():
            r = json.loads(f.read_text())
            print(f"{name + a.suffix:14s} {r['steps']:6d} steps {r['train_seconds']:7.0f} s  " +
                  "  ".join(f"{k} {v:.3f}" for k, v in r["final"].items() if isinstance(v, float)))


if __name__ == "__main__":
    main()
