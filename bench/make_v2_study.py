"""Assemble the StarGAN v2 CPU-recipe study shipped with the package (stargan_edu/assets/bench/v2_study.json), which
chapter 07 reads and checks its numbers against, from the latest `bench/v2_ablation.py` record of each named run
in bench/results.jsonl.

    PYTHONPATH=. .venv/bin/python bench/make_v2_study.py NAME=RUN[:KEY=VALUE,...] [NAME=RUN@BETA ...]
    PYTHONPATH=. .venv/bin/python bench/make_v2_study.py @bench/v2_study.args     # the shipped record (one pair a line)

NAME is what the chapter calls the recipe (e.g. `preset`, `residual`), RUN the run folder's name in the records.
A record's `settings` say how its run differed from the CPU preset *of its day*; when the preset has changed since,
`:KEY=VALUE,...` adds what the run had that today's preset does not (e.g. `lambda_cyc_1=final30:lambda_cyc=1.0` for a
run from before λ_cyc = 4 became the preset's). The shipped `settings` are then the differences from today's preset.
`NAME=RUN@BETA` takes one average of a `bench/v2_ema_study.py` record instead (BETA as the record names it, or `raw`
for the networks without an average): its row has the summary scores only, and `settings` {"ema_beta": BETA}.
"""
import argparse
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECORD = ROOT / "stargan_edu" / "assets" / "bench" / "v2_study.json"


def latest(rows: list[dict], bench: str, run: str) -> dict:
    "The latest record of `bench` for run `run` in bench/results.jsonl's `rows`."
    recs = [r for r in rows if r.get("bench") == bench and r["run"] == run]
    if not recs: raise SystemExit(f"no {bench} record of run {run!r} in bench/results.jsonl")
    return recs[-1]


def ema_row(rows: list[dict], run: str, beta: str) -> dict:
    "One average (`beta`, or 'raw') of the latest `v2_ema` record of `run`, in the shape of a study row (no per-factor scores)."
    rec = latest(rows, "v2_ema", run)
    by = rec["by_beta"]
    key = next((k for k in by if k.split()[0] == beta), None)
    if key is None: raise SystemExit(f"run {run!r} has no average {beta!r}; it has {list(by)}")
    b = by[key]
    return {"bench": "v2_ema", "date": rec["date"], "run": run, "steps": rec["steps"],
            "settings": {"ema_beta": beta if beta == "raw" else float(beta)},
            "latent": {k: b[k] for k in ("target", "content", "distinct_styles")},
            "reference": {"target": b["ref_target"], "style_from_reference": b["style_from_reference"],
                          "content_from_source": b["content_from_source"], "from_reference": {}}}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0], fromfile_prefix_chars="@")
    p.add_argument("runs", nargs="+", help="NAME=RUN pairs, in the order the chapter shows them")
    args = p.parse_args()
    rows = [json.loads(l) for l in (ROOT / "bench" / "results.jsonl").read_text().splitlines() if l.strip()]
    from stargan_edu.v2 import V2Config
    preset = V2Config.cpu().__dict__
    study = {}
    for pair in args.runs:
        name, run = pair.split("=", 1)
        if "@" in run:
            study[name] = ema_row(rows, *run.split("@", 1))
            continue
        run, _, extra = run.partition(":")
        rec = dict(latest(rows, "v2_ablation", run))
        then = {k: json.loads(v) for k, v in (kv.split("=", 1) for kv in extra.split(",") if kv)}
        rec["settings"] = {k: v for k, v in {**rec["settings"], **then}.items() if preset.get(k) != v}
        study[name] = rec
    RECORD.write_text(json.dumps(study, indent=1) + "\n")
    print(f"wrote {RECORD} ({', '.join(study)})")


if __name__ == "__main__":
    main()
