"""Turn finished zoo runs (runs/zoo-<name>/, trained by bench/train_zoo.sh) into model-zoo entries
(stargan_edu/assets/zoo/<name>.pt), or re-score the shipped entries, recording every result in bench/zoo.jsonl.

    PYTHONPATH=. OMP_NUM_THREADS=1 .venv/bin/python bench/make_zoo.py                 # every run folder that exists
    PYTHONPATH=. OMP_NUM_THREADS=1 .venv/bin/python bench/make_zoo.py v2-toyfaces     # one entry
    PYTHONPATH=. OMP_NUM_THREADS=1 .venv/bin/python bench/make_zoo.py --rescore       # the shipped entries, new oracle

Building an entry scores the run's networks twice on the same held-out Toy Faces (`cli.evaluate_task`, `--n` faces per
attribute, `--seed`): with full-precision weights and with the weights rounded to float16. The entry stores float16
weights when no score moves by more than `--half-tolerance` (else float32), and records both the scores of what it
stores and the change. `--rescore` measures the shipped entries again (after the oracle is retrained, say) and
replaces their recorded scores, keeping their weights.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAMES = ["cyclegan-toyfaces", "v1-toyfaces", "v1-toyfaces-direct", "v1-joint-toyfaces", "v2-toyfaces"]
CONDITIONS = "one thread (OMP_NUM_THREADS=1, nice 10), two trainings at a time on a 2-core CPU shared with other jobs"
CONDITIONS_OF = {"v2-toyfaces": "both cores of a 2-core CPU (OMP_NUM_THREADS=2), other jobs at the lowest priority",
                 "v1-toyfaces": "`make demo`'s run: both cores of a 2-core CPU, nothing else running",
                 "v1-toyfaces-direct": "trained as `make demo` (both cores of a 2-core CPU, nothing else running) "
                                       "when the CPU preset's generator was the direct one"}


def train_command(name: str, script: Path = ROOT / "bench" / "train_zoo.sh") -> str:
    "The `stargan-edu train …` line of entry `name` in bench/train_zoo.sh, as a user would type it."
    m = re.search(rf"^{re.escape(name)}\(\)\s*\{{\s*(.*?);\s*\}}", script.read_text(), re.M)
    if not m:
        raise ValueError(f"bench/train_zoo.sh has no function {name}(): expected one of {NAMES}")
    cmd = m.group(1).replace("nice -n 10 ", "").replace("$SE", "stargan-edu").replace(" $RES", "")
    cmd = re.sub(r"^OMP_NUM_THREADS=\d+\s+", "", cmd)   # the thread count is part of the machine's conditions
    return re.sub(r"\s+", " ", cmd).strip()


def record(rec: dict, path: Path = ROOT / "bench" / "zoo.jsonl") -> None:
    with open(path, "a") as f:
        f.write(json.dumps(rec) + "\n")


def build(name: str, run: Path, n: int, seed: int, tol: float, device: str = "cpu") -> dict:
    "Make the entry `name` from run folder `run`; returns its bench/zoo.jsonl record."
    from stargan_edu import zoo
    from stargan_edu.cli import load_run
    task = load_run(run, device)
    metrics = json.loads((run / "metrics.json").read_text()) if (run / "metrics.json").exists() else {}
    t0 = time.perf_counter()
    full = zoo.score(task, n, seed)
    with tempfile.TemporaryDirectory() as tmp:
        half = zoo.score(zoo.load(zoo.save_entry(task, Path(tmp) / f"{name}.pt", command="", half=True), device), n, seed)
    change = zoo.score_changes(full, half)
    use_half = max(map(abs, change.values()), default=0.0) <= tol
    out = zoo.zoo_dir() / f"{name}.pt"
    command = train_command(name)
    machine = f"{zoo.machine_description(device)}; {CONDITIONS_OF.get(name, CONDITIONS)}"
    zoo.save_entry(task, out, command=command, scores=half if use_half else full, half=use_half,
                   score_n=n, score_seed=seed, steps=metrics.get("steps"), train_seconds=metrics.get("train_seconds"),
                   machine=machine, info={"half_precision_change": change, "scores_float32": full,
                                          "targets": [list(r) for r in zoo.check_targets(half if use_half else full,
                                                                                        zoo.TARGETS.get(name, {}))],
                                          "images_per_second": metrics.get("images_per_second"),
                                          "made": time.strftime("%Y-%m-%d %H:%M")})
    rec = {"bench": "zoo", "name": name, "date": time.strftime("%Y-%m-%d %H:%M"), "model": task.config()["model"],
           "command": command, "machine": machine, "steps": metrics.get("steps"),
           "train_seconds": metrics.get("train_seconds"), "dtype": "float16" if use_half else "float32",
           "bytes": out.stat().st_size, "score_n": n, "score_seed": seed, "scores": half if use_half else full,
           "scores_float32": full, "half_precision_change": change,
           "targets_met": {k: ok for k, _, _, ok in zoo.check_targets(half if use_half else full, zoo.TARGETS.get(name, {}))},
           "score_seconds": round(time.perf_counter() - t0, 1)}
    record(rec)
    return rec


def rescore(name: str, n: int | None, seed: int | None) -> dict:
    "Measure the shipped entry `name` again and replace its recorded scores (weights unchanged)."
    from stargan_edu import zoo
    from stargan_edu.engine import atomic_save
    entry, t = zoo.read_entry(name), zoo.load(name, "cpu")
    n = n or entry["info"]["score_n"]
    seed = entry["info"]["score_seed"] if seed is None else seed
    old, new = entry["scores"], zoo.score(t, n, seed)
    entry["scores"] = new
    entry["info"].update(score_n=n, score_seed=seed, rescored=time.strftime("%Y-%m-%d %H:%M"),
                         targets=[list(r) for r in zoo.check_targets(new, zoo.TARGETS.get(name, {}))])
    atomic_save(entry, zoo.entry_path(name))
    zoo.entry_path(name).chmod(0o644)        # readable by everyone, as package data must be (as save_entry does)
    rec = {"bench": "zoo-rescore", "name": name, "date": time.strftime("%Y-%m-%d %H:%M"), "score_n": n, "score_seed": seed,
           "scores": new, "change": zoo.score_changes(old, new)}
    record(rec)
    return rec


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("names", nargs="*", help=f"entries to make (default: those of {NAMES} whose run folder exists)")
    p.add_argument("--runs", default=str(ROOT / "runs"), help="folder holding the zoo-<name> run folders")
    p.add_argument("--n", type=int, default=None, help="held-out faces per attribute for the scores (default 100; "
                   "--rescore: the entry's own)")
    p.add_argument("--seed", type=int, default=None, help="seed of the held-out faces (default 12345, as stargan-edu eval)")
    p.add_argument("--half-tolerance", type=float, default=0.01, help="largest score change float16 may cause (default 0.01)")
    p.add_argument("--rescore", action="store_true", help="re-score the shipped entries instead of building them")
    args = p.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    import torch
    torch.set_num_threads(1)
    if args.rescore:
        from stargan_edu import zoo
        for name in args.names or zoo.names():
            print(json.dumps(rescore(name, args.n, args.seed)))
        return 0
    names = args.names or [m for m in NAMES if (Path(args.runs) / f"zoo-{m}" / "checkpoints" / "last.pt").exists()]
    for name in names:
        run = Path(args.runs) / f"zoo-{name}"
        rec = build(name, run, args.n or 100, 12345 if args.seed is None else args.seed, args.half_tolerance)
        top = lambda d: {k: round(v, 4) for k, v in d.items() if isinstance(v, (int, float))}
        print(json.dumps({"name": name, "steps": rec["steps"], "dtype": rec["dtype"], "bytes": rec["bytes"],
                          "scores": top(rec["scores"]), "half_precision_change": top(rec["half_precision_change"])}))
    from stargan_edu import zoo
    total = sum(f.stat().st_size for f in zoo.zoo_dir().glob("*.pt"))
    print(f"zoo: {len(zoo.names())} entries, {total / 2**20:.2f} MiB in {zoo.zoo_dir()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
