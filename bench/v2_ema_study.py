"""What the moving average's β does for StarGAN v2's CPU preset (chapter 07, issue 9 point 3): train one run of the
preset, keeping extra averages of G, F and E at other β beside the preset's own (`ema_beta`, 0.99), then score the
raw networks and every average on the faces of the zoo records.

    OMP_NUM_THREADS=2 PYTHONPATH=. .venv/bin/python bench/v2_ema_study.py train RUN [--minutes 30]
    PYTHONPATH=. .venv/bin/python bench/v2_ema_study.py score RUN

`train` runs `stargan-edu train --model v2 --data toyfaces --out RUN --minutes M --no-eval` (the preset's training is
unchanged: the extra averages are only read) and saves the extra averages as RUN/ema_<β>.pt. `score` scores the raw
G, F, E, the preset's average and each extra average with `v2.evaluate_toyfaces` (100 sources, seed 12345) and appends
one record to bench/results.jsonl.
"""
import argparse
import copy
import json
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
BETAS = (0.995, 0.999)


def train(run: str, minutes: str) -> None:
    from stargan_edu import cli, v2
    from stargan_edu.engine import moving_average
    emas: dict[float, dict] = {}
    step = v2.V2Task.train_step

    def step_and_average(self, batch, i):
        if not emas: emas.update({b: {k: copy.deepcopy(self.nets[k]).requires_grad_(False) for k in "GFE"} for b in BETAS})
        log = step(self, batch, i)
        for b, nets in emas.items():
            for k in "GFE": moving_average(self.nets[k], nets[k], b)
        return log
    v2.V2Task.train_step = step_and_average
    cli.main(["train", "--model", "v2", "--data", "toyfaces", "--out", run, "--minutes", minutes, "--quiet", "--no-eval",
              "--ckpt-every", "500"])
    for b, nets in emas.items():
        torch.save({k: m.state_dict() for k, m in nets.items()}, Path(run) / f"ema_{b}.pt")


def score(run: Path) -> dict:
    from stargan_edu.cli import load_run
    from stargan_edu.engine import load_checkpoint
    from stargan_edu.v2 import evaluate_toyfaces
    task = load_run(run, "cpu")
    steps = load_checkpoint(run / "checkpoints" / "last.pt")["step"]
    variants = {f"{task.cfg.ema_beta} (the preset's)": {k: task.nets[k + "_ema"].state_dict() for k in "GFE"},
                "raw": {k: task.nets[k].state_dict() for k in "GFE"}}
    variants.update({str(b): torch.load(run / f"ema_{b}.pt") for b in BETAS if (run / f"ema_{b}.pt").exists()})
    variants = {name: {k: {n: v.clone() for n, v in sd.items()} for k, sd in st.items()} for name, st in variants.items()}
    rec = {"bench": "v2_ema", "date": time.strftime("%Y-%m-%d %H:%M"), "run": run.name, "steps": steps, "by_beta": {}}
    for name, states in variants.items():
        for k in "GFE": task.nets[k + "_ema"].load_state_dict(states[k])
        m = evaluate_toyfaces(task, n=100, seed=12345)
        lat, ref = m["latent"], m["reference"]
        rec["by_beta"][name] = {k: round(float(v), 3) for k, v in {
            "target": lat["target_accuracy"], "content": lat["content_preservation"], "distinct_styles": lat["distinct_styles"],
            "ref_target": ref["target_accuracy"], "style_from_reference": ref["style_from_reference"],
            "content_from_source": ref["content_from_source"]}.items()}
        print(name, rec["by_beta"][name], flush=True)
    return rec


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("what", choices=["train", "score"]); p.add_argument("run"); p.add_argument("--minutes", default="30")
    args = p.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.what == "train":
        train(args.run, args.minutes)
    else:
        rec = score(Path(args.run))
        with open(ROOT / "bench" / "results.jsonl", "a") as f:
            f.write(json.dumps(rec) + "\n")


if __name__ == "__main__":
    main()
