"""Training speed of StarGAN v1 and v2: iterations/s, images/s and peak memory per configuration, device and speed
setting, on random data (the data loader is left out). Writes one JSON record with the machine to bench/speed/.

usage: python bench/bench_speed.py [--configs v1-toyfaces,v2-toyfaces,v1-toyfaces-gpu,v2-toyfaces-gpu,cyclegan-toyfaces,
                                               cyclegan-toyfaces-gpu,v1-joint-toyfaces,v1-paper,v2-afhq] [--devices cpu,cuda]
                                   [--settings fp32,bf16,channels_last,compile,fused_adam,all] [--iters 40] [--warmup 10]
       python bench/bench_speed.py --table bench/speed/*.json     # the README's table from the records
Paper configurations: StarGAN v1 CelebA (128 px, batch 16, n_critic 5), StarGAN v2 AFHQ (256 px, batch 8, 3 domains).
Toy Faces presets: V1Config.cpu() and V2Config.cpu() (32 px); `-gpu`: their GPU presets (V1Config.gpu(), V2Config.gpu());
CycleGAN's (cyclegan-toyfaces[-gpu]) and the joint v1 model's (v1-joint-toyfaces) on one fixed Toy Faces batch. By default the paper configurations run on GPUs only
(on a CPU one v2 iteration at 256 px takes minutes); a device that is not there is reported and skipped.
"""
import argparse
import json
import os
import platform
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import torch

from stargan_edu.engine import RunSettings, apply_settings

SETTINGS = {"fp32": {}, "bf16": {"precision": "bf16"}, "channels_last": {"channels_last": True},
            "compile": {"compile": True}, "fused_adam": {"fused_adam": True}, "cudnn_benchmark": {"cudnn_benchmark": True},
            "all": {"precision": "bf16", "channels_last": True, "compile": True, "fused_adam": True, "cudnn_benchmark": True}}
GPU_ONLY = {"bf16", "cudnn_benchmark", "all"}
PAPER = {"v1-paper", "v2-afhq"}


def make(config: str, device: torch.device):
    "A task and a function that returns one batch for configuration `config` (random images; Toy Faces for CycleGAN and the joint model)."
    if config.startswith(("cyclegan", "v1-joint")):   # batches whose labels split by domain or data set: real Toy Faces
        from torch.utils.data import default_collate
        from stargan_edu import cyclegan, mask
        from stargan_edu.toyfaces import ToyFaces
        mod = cyclegan if config.startswith("cyclegan") else mask
        cfg = mod.default_config("gpu" if config.endswith("-gpu") else "cpu")
        task = mod.make_task(cfg, device)
        data = mask.JointToyFaces(n=256, size=cfg["image_size"]) if mod is mask else ToyFaces(n=256, size=cfg["image_size"], labels="hair")
        data = task.training_stream(data)          # as `stargan-edu train` feeds it (CycleGAN: its two domains only)
        items = [data[i] for i in range(cfg["batch_size"])]
        fixed = {k: v.to(device) if torch.is_tensor(v) else v for k, v in default_collate(items).items()}
        return task, lambda: fixed, cfg["batch_size"]
    if config.startswith("v1"):
        from stargan_edu.v1 import V1Config, V1Task
        cfg = {"v1-paper": V1Config.paper, "v1-toyfaces-gpu": V1Config.gpu}.get(config, V1Config.cpu)()
        task = V1Task(cfg, device)
        def batch():
            return {"image": torch.rand(cfg.batch_size, 3, cfg.image_size, cfg.image_size, device=device) * 2 - 1,
                    "label": torch.randint(0, 2, (cfg.batch_size, cfg.c_dim), device=device).float()}
    else:
        from stargan_edu.v2 import V2Config, V2Task
        cfg = {"v2-afhq": V2Config.paper_afhq, "v2-toyfaces-gpu": V2Config.gpu}.get(config, V2Config.cpu)()
        task = V2Task(cfg, device)
        def batch():
            y = torch.randint(0, cfg.num_domains, (cfg.batch_size,), device=device)
            return {"image": torch.rand(cfg.batch_size, 3, cfg.image_size, cfg.image_size, device=device) * 2 - 1,
                    "label": torch.nn.functional.one_hot(y, cfg.num_domains).float()}
    return task, batch, cfg.batch_size


def sync(device: torch.device) -> None:
    if device.type == "cuda": torch.cuda.synchronize(device)
    elif device.type == "mps": torch.mps.synchronize()


def measure(config: str, device: torch.device, setting: str, iters: int, warmup: int) -> dict:
    "Median seconds per iteration over `iters` timed iterations after `warmup`, images/s and peak memory."
    from stargan_edu.engine import channels_last
    torch.manual_seed(0)
    task, batch, bs = make(config, device)
    settings = RunSettings(**SETTINGS[setting])
    apply_settings(task, settings)
    task.train()
    if device.type == "cuda": torch.cuda.reset_peak_memory_stats(device)
    times = []
    for i in range(warmup + iters):
        b = batch()
        if settings.channels_last: b = channels_last(b)
        sync(device); t0 = time.perf_counter()
        task.train_step(b, i)
        sync(device); times.append(time.perf_counter() - t0)
    med = statistics.median(times[warmup:])
    rec = {"config": config, "device": str(device), "setting": setting, "settings": vars(settings), "batch_size": bs,
           "iters": iters, "warmup": warmup, "ms_per_iter": round(med * 1000, 2), "iters_per_second": round(1 / med, 3),
           "images_per_second": round(bs / med, 2)}
    if device.type == "cuda":
        rec["peak_memory_gib"] = round(torch.cuda.max_memory_allocated(device) / 2**30, 2)
    torch.backends.cudnn.benchmark = False
    return rec


def machine() -> dict:
    m = {"host": platform.node(), "platform": platform.platform(), "python": platform.python_version(),
         "torch": torch.__version__, "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
         "load_average_1min": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
         "cuda": torch.cuda.is_available(), "mps": bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())}
    if m["cuda"]:
        m["gpus"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    return m


def table(paths: list[str]) -> str:
    "Markdown: for each speed record of `paths`, a line naming its date and machine, then a table of its rows."
    out = []
    for p in paths:
        rec = json.loads(Path(p).read_text())
        m = rec["machine"]
        cpu = f"{m['platform'].split('-')[0]} CPU, {m['cpu_count']} cores, {m['torch_threads']} threads"
        out += [f"*{rec['date']}: {(m.get('gpus') or [cpu])[0]}, torch {m['torch']} (`{Path(p).name}`)*", "",
                "| configuration | device | setting | batch | ms / iteration | iterations / s | images / s | peak memory |",
                "|---|---|---|---|---|---|---|---|"]
        for r in rec["rows"]:
            if "error" in r: continue
            mem = f"{r['peak_memory_gib']} GiB" if "peak_memory_gib" in r else "–"
            out.append(f"| {r['config']} | {r['device']} | {r['setting']} | {r['batch_size']} | {r['ms_per_iter']:.0f} | "
                       f"{r['iters_per_second']:.2f} | {r['images_per_second']:.1f} | {mem} |")
        out += [f"| *not measured* | {s} |||||||" for s in rec.get("skipped", [])[-2:]] + [""]
    return "\n".join(out)


def main() -> int:
    if sys.argv[1:2] == ["--table"]:            # python bench/bench_speed.py --table bench/speed/*.json
        print(table(sys.argv[2:]))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--configs", default="v1-toyfaces,v2-toyfaces,v1-paper,v2-afhq")
    ap.add_argument("--devices", default="cpu,cuda,mps")
    ap.add_argument("--settings", default="fp32,bf16,channels_last,fused_adam,compile,all")
    ap.add_argument("--iters", type=int, default=40)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--paper-on-cpu", action="store_true", help="also time the paper configurations on the CPU (slow)")
    ap.add_argument("--out", default=None, help="JSON file (default bench/speed/<host>-<date>.json)")
    args = ap.parse_args()
    record = {"bench": "speed", "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine(),
              "rows": [], "skipped": []}
    out = Path(args.out or Path(__file__).parent / "speed" / f"{platform.node()}-{datetime.now():%Y%m%d-%H%M}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    save = lambda: out.write_text(json.dumps(record, indent=1) + "\n")   # after every row: a run cut short keeps its rows
    for dev_name in args.devices.split(","):
        available = {"cpu": True, "cuda": record["machine"]["cuda"], "mps": record["machine"]["mps"]}.get(dev_name, False)
        if not available:
            record["skipped"].append(f"{dev_name}: not available on this machine")
            print(f"{dev_name}: not available on this machine, skipped", flush=True)
            continue
        device = torch.device(dev_name)
        for config in args.configs.split(","):
            if config in PAPER and dev_name == "cpu" and not args.paper_on_cpu:
                record["skipped"].append(f"{config} on cpu: paper configurations are timed on GPUs (--paper-on-cpu to force)")
                continue
            for setting in args.settings.split(","):
                if setting in GPU_ONLY and dev_name != "cuda":
                    record["skipped"].append(f"{config} {setting} on {dev_name}: CUDA only")
                    continue
                try:
                    row = measure(config, device, setting, args.iters, args.warmup)
                except Exception as e:       # a setting this machine cannot run (no compiler for compile, …)
                    row = {"config": config, "device": dev_name, "setting": setting, "error": f"{type(e).__name__}: {str(e)[:300]}"}
                record["rows"].append(row)
                print(json.dumps(row), flush=True)
                save()
    if not record["machine"]["cuda"]:
        print("no CUDA GPU on this machine: the GPU rows (paper configurations, bf16, cudnn_benchmark) were not measured")
    save()
    print(f"written: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
