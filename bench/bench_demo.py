"""Benchmark of the main job: time `stargan-edu demo` end to end and report its oracle scores.

Usage: .venv/bin/python bench/bench_demo.py [--out runs/bench_demo]
Goal (issue 2): at most 10 minutes on the 2-core CI machine (after .venv exists) with
oracle_target_accuracy >= 0.90 and oracle_preservation >= 0.90. The numbers are printed and appended
to bench/results.jsonl with the machine's core count and torch's thread count; they are not asserted.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=str(ROOT / "runs" / "bench_demo"))
    args = p.parse_args()
    exe = Path(sys.executable).parent / "stargan-edu"
    t0 = time.perf_counter()
    subprocess.run([str(exe), "demo", "--out", args.out, "--quiet"], check=True)
    wall = time.perf_counter() - t0
    m = json.loads((Path(args.out) / "metrics.json").read_text())
    import torch
    rec = {"bench": "demo", "date": time.strftime("%Y-%m-%d %H:%M"), "wall_seconds": round(wall, 1),
           "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(), "torch": torch.__version__,
           "python": platform.python_version(), "steps": m["steps"], "train_seconds": m["train_seconds"],
           "images_per_second": m["images_per_second"],
           "oracle_target_accuracy": m.get("oracle_target_accuracy"), "oracle_preservation": m.get("oracle_preservation"),
           "goal_met": wall <= 600 and m.get("oracle_target_accuracy", 0) >= 0.9 and m.get("oracle_preservation", 0) >= 0.9}
    with open(ROOT / "bench" / "results.jsonl", "a") as f:
        f.write(json.dumps(rec) + "\n")
    print(json.dumps(rec, indent=2))


if __name__ == "__main__":
    main()
