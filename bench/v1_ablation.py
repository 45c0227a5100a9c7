"""Score finished StarGAN v1 Toy Faces runs for the CPU-preset ablation of chapter 02 (issue 9) and record them.

    PYTHONPATH=. OMP_NUM_THREADS=1 .venv/bin/python bench/v1_ablation.py runs/e1 runs/e2 ...

Each run folder was trained with `stargan-edu train --model v1 --data toyfaces --preset cpu --steps N --out <run>
[--set k=v ...]`; its `config.json` says which settings differ from the CPU preset of this checkout. Every run is
scored from its last checkpoint on the same held-out faces as `stargan-edu eval` (200 per attribute, seed 12345) by
the shipped oracle and by the second reader (`load_oracle(name="reader2")`); one record per run is appended to
bench/results.jsonl with the per-factor preservation and the target accuracy per attribute and direction, and the
pixel scores against the exact translations (no reader; with chapter 02's long blond hair asked to turn black), and
what the run's D reads on long hair whose crown and strands differ in colour (chapter 02, `crown_and_strands`) and
on G's black hair (long blond faces, the others).
"""
import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def differs(config: dict) -> dict:
    "The settings of `config` that differ from this checkout's CPU preset (the run's `--set` values)."
    from stargan_edu.v1 import V1Config
    base = V1Config.cpu().__dict__
    return {k: v for k, v in config.items() if k in base and k not in ("label_names", "num_iters", "num_iters_decay")
            and base[k] != v}


def by_direction(task, oracle, n: int = 400, seed: int = 5) -> dict:
    "Target accuracy of flipping Male and Young, split by the direction of the flip (to 0 / to 1)."
    import torch
    from stargan_edu.toyfaces import attribute_targets, attrs_from_factors, render, sample_factors
    f = sample_factors(n, seed=seed)
    x, c = render(f, task.config()["image_size"]), attrs_from_factors(f)
    out = {}
    for j, name in ((3, "male"), (4, "young")):
        t = attribute_targets(c)[j]
        read = oracle.predict(task.translate(x, t))[name]
        out[name] = {f"to_{v}": round((read[t[:, j] == v] == v).float().mean().item(), 3) for v in (0, 1)}
    return out


def score(run: Path) -> dict:
    from stargan_edu.cli import load_run
    from stargan_edu.toyfaces import evaluate_attribute_translation, load_oracle
    task = load_run(run, "cpu")
    cfg = task.config()
    metrics = json.loads((run / "metrics.json").read_text()) if (run / "metrics.json").exists() else {}
    rec = {"bench": "v1_ablation", "date": time.strftime("%Y-%m-%d %H:%M"), "run": run.name,
           "settings": differs(cfg), "seed": (cfg.get("data") or {}).get("seed"), "g_residual": cfg.get("g_residual", False), "steps": metrics.get("steps"),
           "batch_size": cfg["batch_size"], "train_seconds": metrics.get("train_seconds")}
    for reader in ("oracle", "reader2"):
        o = load_oracle(name=reader)
        m = evaluate_attribute_translation(task.translate, o, n=200, size=cfg["image_size"], seed=12345)
        rec[reader] = {"target": round(m["oracle_target_accuracy"], 3), "preservation": round(m["oracle_preservation"], 3),
                       "per_factor": {k: round(v, 3) for k, v in m["preservation_per_factor"].items()},
                       "per_attribute_target": {a: round(s["target_accuracy"], 3) for a, s in m["per_attribute"].items()},
                       "by_direction": by_direction(task, o)}
        if reader == "oracle":        # no reader: the pixels against the exact translation (chapter 00), and chapter 02's long hair
            from stargan_edu.v1 import crown_and_strands, discriminator_reading, long_hair_recolour
            lh, lh_images = long_hair_recolour(task.translate, o, size=cfg["image_size"])
            rec["pixels"] = {"change": round(m["pixel_change"], 3), "kept_error": round(m["pixel_kept_error"], 4),
                             "per_attribute_change": {a: round(s["pixel_change"], 3) for a, s in m["per_attribute"].items()},
                             "long_blond_to_black_change": round(lh["long blond hair"]["pixel change"], 3),
                             "other_to_black_change": round(lh["every other face"]["pixel change"], 3),
                             "long_blond_way_back": round(lh["long blond hair"]["way back"], 3),
                             "other_way_back": round(lh["every other face"]["way back"], 3)}
            lb = lh_images["long_blond"]                                 # chapter 02: does D read the strands?
            reading = discriminator_reading(task.D.eval(), {**crown_and_strands(size=cfg["image_size"])[0],
                                                            "G: long blond to black": lh_images["fakes"][lb],
                                                            "G: other faces to black": lh_images["fakes"][~lb]})
            rec["d_reading"] = {k: {kk: round(vv, 3) for kk, vv in v.items()} for k, v in reading.items()}
    return rec


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("runs", nargs="+")
    args = p.parse_args()
    sys.path.insert(0, str(ROOT))
    for r in args.runs:
        rec = score(Path(r))
        with open(ROOT / "bench" / "results.jsonl", "a") as f:
            f.write(json.dumps(rec) + "\n")
        o, r2 = rec["oracle"], rec["reader2"]
        print(f"{rec['run']:<10} seed {rec['seed']} {json.dumps(rec['settings']):<40} target {o['target']:.3f} ({r2['target']:.3f})  "
              f"preservation {o['preservation']:.3f} ({r2['preservation']:.3f})  background {o['per_factor']['background']:.2f}  "
              f"male {o['by_direction']['male']}  young {o['by_direction']['young']}  pixels {rec['pixels']}  D {rec['d_reading']}")


if __name__ == "__main__":
    main()
