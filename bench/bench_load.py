"""Load benchmark (issue 14 point 4): peak memory of `stargan-edu eval` on a StarGAN v2 model running the full official
protocol on Toy Faces (every ordered domain pair, latent- and reference-guided, 10 outputs per source, 1000 real images
per domain), and of the chapter-07 widgets' functions on the same model.

Usage: .venv/bin/python bench/bench_load.py [--run v2-toyfaces] [--lpips alex-random]
Prints a record with the machine and appends it to bench/results.jsonl; nothing is asserted. Offline machines use
`--lpips alex-random` (a random AlexNet backbone: the memory is the same as with the real weights).
"""
import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def peak_rss_mib_of(cmd: list[str]) -> tuple[float, float, int]:
    "Run `cmd`; return (peak resident memory of the child in MiB, wall seconds, exit code)."
    t0 = time.perf_counter()
    rc = subprocess.run(cmd).returncode
    wall = time.perf_counter() - t0
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, wall, rc


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--run", default="v2-toyfaces", help="a v2 run folder or zoo name (default v2-toyfaces)")
    p.add_argument("--lpips", default="alex-random")
    args = p.parse_args()
    exe = str(Path(sys.executable).parent / "stargan-edu")
    cmd = [exe, "eval", "--run", args.run, "--protocol", "official", "--n-real", "1000", "--num-outs", "10",
           "--lpips", args.lpips, "--device", "cpu", "--quiet"]
    rss, wall, rc = peak_rss_mib_of(cmd)
    widgets = [sys.executable, "-c", (
        "import torch; from stargan_edu.zoo import load; from stargan_edu.v2 import latent_view, reference_view;"
        "from stargan_edu.toyfaces import ToyFaces; t = load(%r); d = ToyFaces(n=64, size=t.config()['image_size'], seed=1, labels='hair');"
        "x = d.images[:8]; [latent_view(t, x, y, torch.randn(t.config()['latent_dim'])) for y in range(3) for _ in range(20)];"
        "[reference_view(t, x, d.images[8 + k], y) for y in range(3) for k in range(20)]" % args.run)]
    rss_w, wall_w, rc_w = peak_rss_mib_of(widgets)
    rec = {"bench": "load", "date": time.strftime("%Y-%m-%d %H:%M"), "machine": platform.node(),
           "cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
           "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
           "run": args.run, "eval_command": " ".join(cmd[1:]), "eval_exit": rc, "eval_seconds": round(wall, 1),
           "eval_peak_rss_mib": round(rss, 1), "widgets_exit": rc_w, "widgets_seconds": round(wall_w, 1),
           "peak_rss_mib_all_children": round(rss_w, 1)}
    with open(ROOT / "bench" / "results.jsonl", "a") as f:
        f.write(json.dumps(rec) + "\n")
    print(json.dumps(rec, indent=2))


if __name__ == "__main__":
    main()
