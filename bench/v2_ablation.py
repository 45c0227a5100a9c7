"""Score finished StarGAN v2 Toy Faces runs for the CPU-recipe study of chapter 07 (issue 9, point 3) and record them.

    PYTHONPATH=. OMP_NUM_THREADS=1 .venv/bin/python bench/v2_ablation.py RUN [RUN ...] [--note TEXT]

RUN is a run folder or a model-zoo entry (e.g. `v2-toyfaces`). Each run folder was trained with `stargan-edu train
--model v2 --data toyfaces --labels hair --out <run> [--set k=v ...]`; its `config.json` says which settings differ
from the CPU preset of this checkout. Every run is scored from its last checkpoint on the faces of the zoo records
(100 sources, 30 references, 10 latent codes, seed 12345) by the shipped oracle; one record per run is appended to
bench/results.jsonl with the latent-guided scores (target, content kept, distinct styles, which style factors vary
with z, how far one code sets each of them across sources, how often they stay the source's, each code's target
accuracy), the reference-guided ones (which factors come from the reference and which from the source), and the
latent-guided scores' mean and spread over `--code-sets` sets of 10 codes (seeds 12345, 12346, ...; chapter 07,
"How precise is a score from ten codes?").
"""
import argparse
import json
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def differs(config: dict) -> dict:
    "The settings of `config` that differ from this checkout's CPU preset (the run's `--set` values)."
    from stargan_edu.v2 import V2Config
    base = V2Config.cpu().__dict__
    return {k: v for k, v in config.items() if k in base and k not in ("label_names", "num_iters") and base[k] != v}


def with_whole_image_masks(G):
    "Make `G` (w_hpf > 0) use masks of ones, as the runs trained with them did (the study's w_hpf experiment)."
    import torch
    forward = G.forward
    G.forward = lambda x, s, masks=None: forward(x, s, masks=(torch.ones_like(x[:, :1]),) * 2)


def score(run: Path, note: str = "", whole_image_masks: bool = False, code_sets: int = 10) -> dict:
    from stargan_edu.cli import load_run
    from stargan_edu.v2 import evaluate_toyfaces
    task = load_run(run, "cpu")
    if whole_image_masks: with_whole_image_masks(task.G_ema)
    cfg = task.config()
    metrics = json.loads((run / "metrics.json").read_text()) if (run / "metrics.json").exists() else {}
    if not run.is_dir():               # a model-zoo entry: its record says how far its run got
        metrics = {"steps": task.info["steps"], "train_seconds": task.info.get("train_seconds")}
    if metrics.get("steps") is None:   # a run stopped by hand: its last checkpoint says how far it got
        from stargan_edu.engine import load_checkpoint
        metrics["steps"] = load_checkpoint(run)["step"]
    m = evaluate_toyfaces(task, n=100, seed=12345, code_sets=code_sets)
    over = m["latent_over_codes"]
    r3 = lambda d: {k: round(float(v), 3) for k, v in d.items()}
    lat, ref = m["latent"], m["reference"]
    return {"bench": "v2_ablation", "date": time.strftime("%Y-%m-%d %H:%M"), "run": run.name, "note": note,
            "settings": differs(cfg), "steps": metrics.get("steps"), "train_seconds": metrics.get("train_seconds"),
            "latent": {"target": round(lat["target_accuracy"], 3), "content": round(lat["content_preservation"], 3),
                       "distinct_styles": round(lat["distinct_styles"], 2), "style_varies": r3(lat["style_varies"]),
                       "style_set_by_code": r3(lat["style_set_by_code"]), "style_from_source": r3(lat["style_from_source"]),
                       "target_per_code": [round(v, 3) for v in lat["target_per_code"]],
                       "over_codes": {"n_sets": over["n_sets"], "n_z": over["n_z"],
                                      **{short: r3({k: over[long][k] for k in ("mean", "sd")}) for short, long in
                                         (("target", "target_accuracy"), ("content", "content_preservation"),
                                          ("distinct_styles", "distinct_styles"))}}},
            "reference": {"target": round(ref["target_accuracy"], 3), "style_from_reference": round(ref["style_from_reference"], 3),
                          "content_from_source": round(ref["content_from_source"], 3),
                          "from_reference": r3(ref["from_reference"]), "from_source": r3(ref["from_source"])}}


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("runs", nargs="+", type=Path)
    p.add_argument("--note", default="", help="what the runs changed beyond their config (recorded)")
    p.add_argument("--whole-image-masks", action="store_true", help="the runs trained with w_hpf > 0 and masks of ones")
    p.add_argument("--dry", action="store_true", help="print, do not append to bench/results.jsonl")
    p.add_argument("--code-sets", type=int, default=10, help="sets of 10 latent codes for the spread of the latent-guided scores")
    a = p.parse_args()
    for run in a.runs:
        rec = score(run, a.note, a.whole_image_masks, a.code_sets)
        print(json.dumps(rec))
        if not a.dry:
            with open(ROOT / "bench" / "results.jsonl", "a") as f: f.write(json.dumps(rec) + "\n")
