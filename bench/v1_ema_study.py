"""What a moving average of G's weights buys StarGAN v1's CPU preset (chapter 02, issue 9): train one run, keeping
averages of G at several β beside it, then score the raw G and every average with both readers.

    OMP_NUM_THREADS=1 PYTHONPATH=. .venv/bin/python bench/v1_ema_study.py train RUN [--steps 1500] [--seed 0] [--set k=v ...]
    OMP_NUM_THREADS=1 PYTHONPATH=. .venv/bin/python bench/v1_ema_study.py score RUN [RUN ...]
    PYTHONPATH=. .venv/bin/python bench/v1_ema_study.py demo RUN        # `stargan-edu demo`'s run (both cores), with the averages

`train` runs `stargan-edu train --model v1 --data toyfaces --preset cpu --steps N --out RUN --set ema_beta=0 ...` and,
after every G step, moves one copy of G per β in BETAS (`engine.moving_average`, as `V1Config.ema_beta` does); the
copies are saved as RUN/ema_<β>.pt. Training is the same as without them (the averages are only read). `score` reads
the raw G and each average on the demo's held-out faces (200 per attribute, seed 12345) with the shipped oracle and the
second reader, and appends one record per run to bench/results.jsonl.
"""
import argparse
import copy
import json
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
BETAS = (0.99, 0.995, 0.999)


def train(cmd: list[str], out: str) -> None:
    "Run the command line `cmd` with extra moving averages of G kept at every β of BETAS, saved into `out`."
    from stargan_edu import cli, v1
    from stargan_edu.engine import moving_average
    emas: dict[float, torch.nn.Module] = {}
    optimize = v1.V1Task.optimize

    def optimize_and_average(self, loss, *names):
        if not emas: emas.update({b: copy.deepcopy(self.G).requires_grad_(False) for b in BETAS})
        optimize(self, loss, *names)
        if "G" in names:
            for b, g in emas.items(): moving_average(self.G, g, b)
    v1.V1Task.optimize = optimize_and_average
    cli.main(cmd)
    for b, g in emas.items(): torch.save(g.state_dict(), Path(out) / f"ema_{b}.pt")


def score(run: Path) -> dict:
    "Both readers' scores of the raw G and of each saved average of run `run`."
    from stargan_edu.cli import load_run
    from stargan_edu.toyfaces import evaluate_attribute_translation, load_oracle
    task = load_run(run, "cpu")
    cfg = task.config()
    raw = {k: v.clone() for k, v in task.G.state_dict().items()}
    readers = {n: load_oracle(name=n) for n in ("oracle", "reader2")}
    rec = {"bench": "v1_ema", "date": time.strftime("%Y-%m-%d %H:%M"), "run": run.name, "seed": cfg["data"]["seed"],
           "g_lr": cfg["g_lr"], "d_lr": cfg["d_lr"], "steps": cfg["num_iters"], "by_beta": {}}
    for tag in ["raw"] + [str(b) for b in BETAS]:
        task.G.load_state_dict(raw if tag == "raw" else torch.load(run / f"ema_{tag}.pt"))
        task.G_ema = None                                          # translate with task.G, whichever weights it holds
        rec["by_beta"][tag] = {}
        for n, o in readers.items():
            m = evaluate_attribute_translation(task.translate, o, n=200, size=cfg["image_size"], seed=12345)
            rec["by_beta"][tag][n] = {"target": round(m["oracle_target_accuracy"], 3),
                                      "preservation": round(m["oracle_preservation"], 3),
                                      "per_attribute_target": {a: round(s["target_accuracy"], 3) for a, s in m["per_attribute"].items()}}
    return rec


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("what", choices=["train", "score", "demo"])
    p.add_argument("runs", nargs="+")
    p.add_argument("--steps", default="1500"); p.add_argument("--seed", default="0")
    p.add_argument("--set", action="append", default=[])
    args = p.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.what == "train":
        out = args.runs[0]
        train(["train", "--model", "v1", "--data", "toyfaces", "--labels", "celeba", "--preset", "cpu", "--out", out,
               "--steps", args.steps, "--seed", args.seed, "--quiet", "--device", "cpu", "--ckpt-every", "500",
               "--set", "ema_beta=0", *[a for s in args.set for a in ("--set", s)]], out)
    elif args.what == "demo":
        out = args.runs[0]
        train(["demo", "--out", out, "--quiet", "--device", "cpu"], out)
    else:
        for r in args.runs:
            rec = score(Path(r))
            with open(ROOT / "bench" / "results.jsonl", "a") as f:
                f.write(json.dumps(rec) + "\n")
            print(rec["run"], {t: {n: (v["target"], v["preservation"]) for n, v in d.items()} for t, d in rec["by_beta"].items()})


if __name__ == "__main__":
    main()
