"""Assemble the StarGAN v2 CPU-recipe study shipped with the package (stargan_edu/assets/bench/v2_study.json), which
chapter 07 reads and checks its numbers against, from the latest `bench/v2_ablation.py` record of each named run
in bench/results.jsonl.

    PYTHONPATH=. .venv/bin/python bench/make_v2_study.py NAME=RUN[:KEY=VALUE,...] [NAME=RUN ...]

NAME is what the chapter calls the recipe (e.g. `preset`, `residual`), RUN the run folder's name in the records.
A record's `settings` say how its run differed from the CPU preset *of its day*; when the preset has changed since,
`:KEY=VALUE,...` adds what the run had that today's preset does not (e.g. `lambda_cyc_1=final30:lambda_cyc=1.0` for a
run from before λ_cyc = 4 became the preset's). The shipped `settings` are then the differences from today's preset.
"""
import argparse
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECORD = ROOT / "stargan_edu" / "assets" / "bench" / "v2_study.json"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("runs", nargs="+", help="NAME=RUN pairs, in the order the chapter shows them")
    args = p.parse_args()
    rows = [json.loads(l) for l in (ROOT / "bench" / "results.jsonl").read_text().splitlines() if l.strip()]
    from stargan_edu.v2 import V2Config
    preset = V2Config.cpu().__dict__
    study = {}
    for pair in args.runs:
        name, run = pair.split("=", 1)
        run, _, extra = run.partition(":")
        recs = [r for r in rows if r.get("bench") == "v2_ablation" and r["run"] == run]
        if not recs: raise SystemExit(f"no v2_ablation record of run {run!r} in bench/results.jsonl")
        rec = dict(recs[-1])
        then = {k: json.loads(v) for k, v in (kv.split("=", 1) for kv in extra.split(",") if kv)}
        rec["settings"] = {k: v for k, v in {**rec["settings"], **then}.items() if preset.get(k) != v}
        study[name] = rec
    RECORD.write_text(json.dumps(study, indent=1) + "\n")
    print(f"wrote {RECORD} ({', '.join(study)})")


if __name__ == "__main__":
    main()
