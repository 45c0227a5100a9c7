"""Speed of the Toy Faces renderer: images per second at 64 px on ONE CPU thread (target: >= 2,000).

usage: python bench/bench_toyfaces.py [--n 4096] [--size 64] [--repeats 3] [--check]
`--check` exits with status 1 when the best run is below 2,000 images/s.
"""
import argparse
import os
import sys
import time

import torch

from stargan_edu.toyfaces import render, sample_factors

TARGET = 2000.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=4096, help="images per timed run")
    ap.add_argument("--size", type=int, default=64, help="image size in pixels")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs; the best one is reported")
    ap.add_argument("--check", action="store_true", help=f"exit 1 below {TARGET:.0f} images/s")
    args = ap.parse_args()

    torch.set_num_threads(1)
    factors = sample_factors(args.n, seed=0)
    render({k: v[:256] for k, v in factors.items()}, args.size)  # warm-up
    rates = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        render(factors, args.size)
        rates.append(args.n / (time.perf_counter() - t0))
    best = max(rates)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"toyfaces render: {best:,.0f} images/s at {args.size} px on 1 thread "
          f"(runs: {', '.join(f'{r:,.0f}' for r in rates)}; n={args.n}; load average {load:.2f}; target {TARGET:,.0f})")
    return 1 if args.check and best < TARGET else 0


if __name__ == "__main__":
    sys.exit(main())
