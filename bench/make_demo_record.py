"""Assemble the demo's record shipped with the package (stargan_edu/assets/bench/demo.json), which chapter 02 reads
and checks its numbers against, from measurements in bench/results.jsonl:

- the latest `bench_demo.py` record (the demo's time and scores, both readers);
- the CPU-preset ablations: `ablation_1000_iterations` (kept from the existing record: the direct generator's
  settings, bench/v1_cpu_ablation.md) and `ablation_residual` (the latest `v1_ablation.py` record of each run named
  with `--residual-runs`);
- the learning rate of G and the moving average of its weights: `ablation_g_lr_ema` (the latest `v1_ema_study.py`
  record of each run named with `--ema-runs`: the raw G and its averages at several β, read by both readers);
- long hair asked to turn black (chapter 02, "What the oracle does not see"): `long_hair` holds, for each run named
  with `--long-hair-runs`, its latest `v1_ablation.py` record's settings, iterations, oracle scores and pixel scores, and what its D reads
  on long hair whose crown and strands differ (where the record has it: runs scored since `crown_and_strands`);
- the background swap, counted now on the zoo entries `v1-toyfaces-direct` and `v1-toyfaces` (400 held-out faces,
  seed 999, Male flipped; rows: the source's background, columns: what the oracle reads).

    PYTHONPATH=. OMP_NUM_THREADS=1 .venv/bin/python bench/make_demo_record.py --residual-runs r1 r3 r4 r5 r7 r8 \
        s0_glr1e-4 s0_glr2e-4 --ema-runs demo_glr2e-4 s0_glr1e-4 s0_glr2e-4 s1_glr2e-4 s0_glr3e-4 \
        --long-hair-runs bench_demo v1_4000 v1_rec10 v1_rep5 v1_cls2 v1_d96 v1_nc2 v1_drep3 v1_cut375 v1_cut50 \
        v1_s1 v1_cut375_s1 v1_cut50_s1 v1_rec5 v1_rec2 v1_cls05 v1_cls025
"""
import argparse
import json
import sys
from pathlib import Path

from make_v2_study import latest          # the latest record of a bench and run in bench/results.jsonl

ROOT = Path(__file__).resolve().parents[1]
RECORD = ROOT / "stargan_edu" / "assets" / "bench" / "demo.json"


def swap_matrix(name: str, n: int = 400, seed: int = 999) -> dict:
    "The background confusion of zoo entry `name` when Male is flipped (`v1.background_swap`), as a record."
    from stargan_edu.toyfaces import FACTORS, load_oracle
    from stargan_edu.v1 import background_swap
    from stargan_edu.zoo import load
    m, round_trip = background_swap(load(name, "cpu").translate, load_oracle(), n, seed)
    return {"faces": n, "seed": seed, "change": "Male", "levels": list(FACTORS["background"].levels),
            "matrix": m.tolist(), "kept": round(m.diagonal().sum().item() / n, 3), "round_trip_kept": round(round_trip, 3)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--residual-runs", nargs="*", default=[])
    p.add_argument("--ema-runs", nargs="*", default=[])
    p.add_argument("--long-hair-runs", nargs="*", default=[])
    args = p.parse_args()
    sys.path.insert(0, str(ROOT))
    rows = [json.loads(l) for l in (ROOT / "bench" / "results.jsonl").read_text().splitlines() if l.strip()]
    old = json.loads(RECORD.read_text())
    demo = [r for r in rows if r.get("bench") == "demo"][-1]
    abl = {}
    for run in args.residual_runs:
        r = latest(rows, "v1_ablation", run)
        abl[run] = {"settings": r["settings"], "steps": r["steps"], "target": r["oracle"]["target"],
                    "preservation": r["oracle"]["preservation"], "reader2": [r["reader2"]["target"], r["reader2"]["preservation"]],
                    "background": r["oracle"]["per_factor"]["background"], "by_direction": r["oracle"]["by_direction"]}
    ema = {}
    for run in args.ema_runs:
        r = latest(rows, "v1_ema", run)
        ema[run] = {k: r[k] for k in ("seed", "g_lr", "steps", "by_beta")}
    long_hair = {}
    for run in args.long_hair_runs:
        r = latest(rows, "v1_ablation", run)
        long_hair[run] = {"settings": r["settings"], "steps": r["steps"], "target": r["oracle"]["target"],
                          "preservation": r["oracle"]["preservation"], "pixels": r["pixels"],
                          **({"d_reading": r["d_reading"]} if "d_reading" in r else {})}
    rec = {**demo, "ablation_1000_iterations": old["ablation_1000_iterations"], "ablation_residual": abl,
           "ablation_g_lr_ema": ema, **({"long_hair": long_hair} if long_hair else {}),
           "background_swap": swap_matrix("v1-toyfaces-direct"), "background_swap_residual": swap_matrix("v1-toyfaces")}
    RECORD.write_text(json.dumps(rec, indent=1) + "\n")
    print(json.dumps({k: v for k, v in rec.items() if k not in ("references",)}, indent=1)[:3000])


if __name__ == "__main__":
    main()
