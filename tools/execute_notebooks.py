"""Re-execute notebooks in place, in full mode, so that they are committed with their outputs (`make execute`).

Full mode is what a student gets by running a notebook top to bottom: `IN_TEST` is not set, so the chapters load the
trained zoo models instead of training tiny ones (each chapter's `TRAIN = False`), and take minutes, not hours. For
each notebook the script

1. runs it top to bottom in a fresh Jupyter kernel (nbclient) with the notebook's folder as the working directory,
   the repository first on `PYTHONPATH` (the checkout's `stargan_edu`, not another install) and `OMP_NUM_THREADS`
   set; cells `nbdev_test` never runs (`#| eval: false`: downloads and real training, and cells carrying one of
   settings.ini's `tst_flags`, unless `--flags` names it) are skipped and keep no outputs;
2. tidies what the outputs carry, without changing what they say: ANSI colour codes and the carriage-return redraws
   of progress bars are removed (only the last state of a line is kept), a widget's view is replaced by one line
   saying it is interactive (widget state is never saved: it would be megabytes, and stale), and the absolute
   path of a `site-packages` folder or of the repository in a warning is shortened (`.../site-packages/torch/...`);
3. checks the result and refuses to write it, naming the notebook and the cell, when a cell fails, an image is not a
   PNG or is too big (bytes or pixels), a text output is too long, or an output still shows a local path (`/work/`,
   the home folder, the repository, the Python environment; temporary folders are allowed);
4. writes the notebook and runs `nbdev_clean` on it (stable ids, no execution counts, outputs kept:
   settings.ini's `clear_all = False`), so that `make test`'s check "nbdev_clean and nbdev_export change nothing"
   holds for the committed, executed notebooks.

At the end it prints each notebook's time and checks that all notebooks in `nbs/` together stay within
`--max-total-mb` (25 MB).

    python tools/execute_notebooks.py                          # every notebook in nbs/, one at a time
    python tools/execute_notebooks.py nbs/00_toyfaces.ipynb nbs/index.ipynb
    python tools/execute_notebooks.py --workers 2 --threads 1  # two kernels side by side, one thread each
    python tools/execute_notebooks.py --check                  # run nothing: check the committed notebooks
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import re
import signal
import struct
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / "nbs"

MAX_TOTAL_MB = 25.0      # all notebooks of nbs/ together (issue 10, point 4)
MAX_IMAGE_KB = 400       # one PNG output
MAX_IMAGE_PX = 2400      # the longer side of one PNG output
MAX_TEXT_KB = 20         # one text output (stream, text/plain, text/html, text/markdown) after tidying
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = "[interactive ipywidgets view: run the notebook to use it]"
IMAGE_MIMES = ("image/png", "image/jpeg", "image/gif", "image/svg+xml", "application/pdf")
TEXT_MIMES = ("text/plain", "text/html", "text/markdown", "text/latex")

ANSI_RE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")
# an absolute path into a site-packages folder (a warning's file name): shortened to .../site-packages/<rest>
SITE_RE = re.compile(r"(?:[A-Za-z]:)?[/\\][^\s'\"<>()]*?[/\\](site-packages|dist-packages)(?=[/\\])")


def leak_patterns() -> list[str]:
    """Absolute paths an output must not show: they describe the machine that ran it, not the course. Temporary
    folders (`/tmp/...`, a chapter's `tempfile` work) are allowed."""
    pats = {"/work/", "/home/", "/Users/", "/root/", str(ROOT), str(Path.home()), sys.prefix, os.path.realpath(sys.prefix)}
    return sorted(p for p in pats if p and p not in ("/", ""))


sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_alone import test_flags as skip_flags   # the flags of cells nbdev_test skips (settings.ini's tst_flags)


def _src(cell) -> str:
    s = cell.get("source", "")
    return s if isinstance(s, str) else "".join(s)


def skipped(cell, flags: list[str]) -> bool:
    "Does full mode skip this code cell? `#| eval: false`, or a `#| <flag>` directive for one of `flags`."
    s = _src(cell)
    return bool(re.search(r"^#\|\s*eval:\s*false\b", s, re.M)
                or any(re.search(rf"^#\|\s*{re.escape(f)}\b", s, re.M) for f in flags))


def cell_name(nb_name: str, i: int, cell) -> str:
    "How a message names a cell: the notebook, the cell's index among all cells, and its first line of code."
    first = next((ln for ln in _src(cell).splitlines() if ln.strip() and not ln.startswith("#|")), "").strip()
    return f"{nb_name}, cell {i} ({first[:70]!r})"


def _text(v) -> str:
    return v if isinstance(v, str) else "".join(v)


def tidy_stream(text: str) -> str:
    """ANSI codes removed, and of every line redrawn with carriage returns (a progress bar) only its last state."""
    text = ANSI_RE.sub("", text)
    lines = []
    for ln in text.split("\n"):
        parts = [p for p in ln.split("\r") if p.strip()]
        lines.append(parts[-1] if parts else ln.replace("\r", ""))
    return "\n".join(lines)


def tidy_paths(text: str) -> str:
    "An absolute site-packages path shortened to `.../site-packages/...`; the repository's path made relative."
    text = SITE_RE.sub(lambda m: f".../{m.group(1)}", text)
    for root in {str(ROOT), os.path.realpath(ROOT)}:
        text = text.replace(root + os.sep, "").replace(root, ".")
    return text


def png_size(data: str) -> tuple[int, int, int]:
    "`(bytes, width, height)` of a base64 PNG (width and height from its header)."
    raw = base64.b64decode(data)
    if raw[:8] != b"\x89PNG\r\n\x1a\n" or len(raw) < 24:
        raise ValueError("not a PNG")
    w, h = struct.unpack(">II", raw[16:24])
    return len(raw), w, h


def tidy_outputs(nb: dict) -> None:
    "Tidy every output of `nb` in place (see the module's docstring, point 2) and drop saved widget state."
    nb.get("metadata", {}).pop("widgets", None)
    for cell in nb["cells"]:
        for o in cell.get("outputs", []):
            if o.get("output_type") == "stream":
                o["text"] = tidy_paths(tidy_stream(_text(o["text"])))
            elif o.get("output_type") == "error":
                o["traceback"] = [tidy_paths(ANSI_RE.sub("", t)) for t in o.get("traceback", [])]
            data = o.get("data")
            if data is None:
                continue
            if WIDGET_MIME in data:          # the view of a widget whose state is not saved: say what it is
                o["data"] = data = {"text/plain": WIDGET_NOTE}
                o["metadata"] = {}
            for k in TEXT_MIMES:
                if k in data:
                    data[k] = tidy_paths(ANSI_RE.sub("", _text(data[k])))


def notebook_problems(nb: dict, name: str, max_image_kb: float = MAX_IMAGE_KB, max_image_px: int = MAX_IMAGE_PX,
                      max_text_kb: float = MAX_TEXT_KB) -> list[str]:
    """What keeps an executed notebook from being committed, one line per problem, each naming the cell: saved widget
    state, an error output, an image that is not a PNG or is too big, a text output that is too long, a local path."""
    bad = []
    if "widgets" in nb.get("metadata", {}):
        bad.append(f"{name}: the notebook's metadata saves widget state ('widgets'); it must not")
    leaks = leak_patterns()
    for i, cell in enumerate(nb["cells"]):
        for o in cell.get("outputs", []):
            where = cell_name(name, i, cell)
            if o.get("output_type") == "error":
                bad.append(f"{where}: an error output ({o.get('ename')}: {str(o.get('evalue'))[:100]})")
            texts = []
            if o.get("output_type") == "stream":
                texts.append(_text(o.get("text", "")))
            data = o.get("data", {})
            if WIDGET_MIME in data:
                bad.append(f"{where}: a widget view (its state is not saved: it shows nothing)")
            for k in data:
                if k in IMAGE_MIMES and k != "image/png":
                    bad.append(f"{where}: a {k} image; only PNG images are kept")
            if "image/png" in data:
                try:
                    nbytes, w, h = png_size(_text(data["image/png"]))
                except ValueError:
                    bad.append(f"{where}: an image/png output that is not a PNG")
                else:
                    if nbytes > max_image_kb * 1024:
                        bad.append(f"{where}: a PNG of {nbytes / 1024:.0f} KB (at most {max_image_kb} KB): "
                                   f"make the figure smaller (figsize, dpi) or show fewer images")
                    if max(w, h) > max_image_px:
                        bad.append(f"{where}: a PNG of {w}×{h} px (at most {max_image_px} px a side): "
                                   f"make the figure smaller (figsize, dpi)")
            texts += [_text(data[k]) for k in TEXT_MIMES if k in data]
            for t in texts:
                if len(t.encode()) > max_text_kb * 1024:
                    bad.append(f"{where}: a text output of {len(t.encode()) / 1024:.0f} KB (at most {max_text_kb} KB): "
                               f"print less (a progress bar or a log that should be quiet?)")
                hits = [p for p in leaks if p in t]
                if hits:
                    line = next(ln for ln in t.splitlines() if any(p in ln for p in hits))
                    bad.append(f"{where}: an output shows a local path ({hits[0]!r}): {line.strip()[:160]!r}")
    return bad


def count_images(nb: dict) -> int:
    "How many PNG outputs `nb` has."
    return sum("image/png" in o.get("data", {}) for c in nb["cells"] for o in c.get("outputs", []))


def total_mb(paths=None) -> float:
    "Size of the notebooks (default: every `.ipynb` under nbs/) in MB (10⁶ bytes)."
    paths = sorted(NBS.rglob("*.ipynb")) if paths is None else paths
    return sum(Path(p).stat().st_size for p in paths if ".ipynb_checkpoints" not in str(p)) / 1e6


# ---------------------------------------------------------------------------------------------- one notebook
def execute_one(path: Path, timeout: int, flags_run: list[str], args) -> int:
    """Run one notebook (in this process's environment, which the parent prepared), tidy, check, write, clean.
    Returns 0 on success; prints one line per problem otherwise."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    name = path.name
    nb = nbformat.read(path, as_version=4)
    flags = [f for f in skip_flags() if f not in flags_run]
    skip_tag = "stargan-edu-skip-execution"
    for c in nb.cells:
        if c.cell_type == "code":
            c.outputs, c.execution_count = [], None
            if skipped(c, flags):
                c.metadata.setdefault("tags", []).append(skip_tag)
    state = {"i": 0, "t": time.time(), "cpu": 0.0, "cpu_total": 0.0}

    def kernel_cpu() -> float:
        "CPU seconds the kernel process has used so far (all its threads): on a shared machine, a fairer clock."
        try:
            import psutil
            t = psutil.Process(client.km.provisioner.pid).cpu_times()
            return t.user + t.system
        except Exception:
            return float("nan")

    def on_start(cell, cell_index):
        state["i"], state["t"], state["cpu"] = cell_index, time.time(), kernel_cpu()

    def on_done(cell, cell_index, execute_reply):
        dt, cpu = time.time() - state["t"], kernel_cpu() - state["cpu"]
        state["cpu_total"] = kernel_cpu()
        if dt >= args.report_s or cpu >= args.report_s:
            print(f"  {cell_name(name, cell_index, cell)}: {dt:.1f} s ({cpu:.1f} s CPU)", flush=True)

    client = NotebookClient(nb, timeout=timeout, kernel_name=args.kernel, allow_errors=False,
                            skip_cells_with_tag=skip_tag, record_timing=False,
                            # widget state is dropped below; nbclient (0.11) fails on an Output widget's
                            # messages when it does not track that state (store_widget_state=False)
                            store_widget_state=True,
                            resources={"metadata": {"path": str(path.parent)}},
                            on_cell_start=on_start, on_cell_executed=on_done)
    try:
        client.execute()
    except CellTimeoutError:
        i = state["i"]
        print(f"FAILED {cell_name(name, i, nb.cells[i])}: still running after {timeout} s (--timeout)", flush=True)
        return 1
    except DeadKernelError as e:
        i = state["i"]
        print(f"FAILED {cell_name(name, i, nb.cells[i])}: the kernel died ({e})", flush=True)
        return 1
    except CellExecutionError as e:
        i = state["i"]
        msg = ANSI_RE.sub("", str(e)).strip().splitlines()
        tail = "\n    ".join(msg[-12:])
        print(f"FAILED {cell_name(name, i, nb.cells[i])}: {e.ename}: {e.evalue}\n    {tail}", flush=True)
        return 1
    for c in nb.cells:
        tags = c.metadata.get("tags", [])
        if skip_tag in tags:
            tags.remove(skip_tag)
            if not tags:
                del c.metadata["tags"]
    nb.metadata.pop("widgets", None)
    book = json.loads(nbformat.writes(nb))
    tidy_outputs(book)
    bad = notebook_problems(book, name, args.max_image_kb, args.max_image_px, args.max_text_kb)
    if bad:
        print(f"FAILED {name}: not written, because\n  " + "\n  ".join(bad), flush=True)
        return 1
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(book, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    clean = [str(Path(sys.executable).parent / "nbdev_clean"), "--fname", str(path)]
    p = subprocess.run(clean, cwd=ROOT, capture_output=True, text=True)
    if p.returncode != 0 or "Traceback" in p.stderr:
        print(f"FAILED {name}: nbdev_clean failed:\n{p.stdout}{p.stderr}", flush=True)
        return 1
    print(f"  {name}: {count_images(book)} images, {path.stat().st_size / 1e6:.2f} MB, "
          f"kernel CPU time {state['cpu_total']:.0f} s", flush=True)
    return 0


# ---------------------------------------------------------------------------------------------- many notebooks
def kernel_env(threads: int) -> dict:
    "The environment of a notebook's kernel: full mode (no IN_TEST), inline figures, the checkout first on the path."
    env = dict(os.environ)
    env.pop("IN_TEST", None)
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"   # CI sets Agg, which would show no figures
    for v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[v] = str(threads)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("TQDM_DISABLE", "")       # leave tqdm alone; its redraws are tidied afterwards
    return env


_print_lock = threading.Lock()
_children: list[subprocess.Popen] = []


def _stop_children(*_):
    "Stop the notebooks still running (each child stops its kernel on SIGTERM), then leave."
    for p in _children:
        if p.poll() is None:
            p.terminate()
    raise KeyboardInterrupt


def run_child(path: Path, args, threads: int) -> tuple[Path, int, float, list[str]]:
    "Run `execute_one` for `path` in a child process (its own environment and kernel); stream its lines, prefixed."
    cmd = [sys.executable, str(Path(__file__).resolve()), "--one", str(path), "--timeout", str(args.timeout),
           "--kernel", args.kernel, "--report-s", str(args.report_s), "--max-image-kb", str(args.max_image_kb),
           "--max-image-px", str(args.max_image_px), "--max-text-kb", str(args.max_text_kb)]
    if args.flags:
        cmd += ["--flags", *args.flags]
    t0 = time.time()
    lines = []
    with subprocess.Popen(cmd, cwd=ROOT, env=kernel_env(threads), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, bufsize=1) as p:
        _children.append(p)
        for ln in p.stdout:
            if "Kernel is running over TCP without encryption" in ln:    # jupyter_client's notice, every kernel
                continue
            lines.append(ln.rstrip("\n"))
            with _print_lock:
                print(f"[{path.stem}] {ln}", end="", flush=True)
        rc = p.wait()
    return path, rc, time.time() - t0, lines


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("notebooks", nargs="*", help="notebooks to execute (default: every notebook in nbs/)")
    ap.add_argument("--workers", type=int, default=1, help="notebooks run side by side (default 1)")
    ap.add_argument("--threads", type=int, default=None,
                    help="OMP_NUM_THREADS of each kernel (default: the CPU count divided by --workers)")
    ap.add_argument("--timeout", type=int, default=120, help="seconds one cell may run (default 120: with TRAIN = False no "
                    "cell needs 30 s; nbclient also waits this long for the outputs of a cell that builds chapter 07's "
                    "interpolation explorer, and then goes on)")
    ap.add_argument("--flags", nargs="*", default=[], help="tst_flags whose cells run too (e.g. slow)")
    ap.add_argument("--kernel", default="python3", help="Jupyter kernel (default python3: this Python)")
    ap.add_argument("--report-s", type=float, default=10.0, help="print every cell that takes at least this long")
    ap.add_argument("--max-image-kb", type=float, default=MAX_IMAGE_KB)
    ap.add_argument("--max-image-px", type=int, default=MAX_IMAGE_PX)
    ap.add_argument("--max-text-kb", type=float, default=MAX_TEXT_KB)
    ap.add_argument("--max-total-mb", type=float, default=MAX_TOTAL_MB)
    ap.add_argument("--check", action="store_true", help="execute nothing: check the notebooks as they are")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        return execute_one(Path(args.one), args.timeout, args.flags, args)

    paths = [Path(p).resolve() for p in args.notebooks] or sorted(NBS.glob("*.ipynb"))
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        print(f"execute_notebooks: no such notebook: {', '.join(missing)}")
        return 2
    failed = []
    if args.check:
        for p in paths:
            bad = notebook_problems(json.loads(p.read_text(encoding="utf-8")), p.name, args.max_image_kb,
                                    args.max_image_px, args.max_text_kb)
            failed += bad
            print(f"{p.name}: {count_images(json.loads(p.read_text(encoding='utf-8')))} images, "
                  f"{p.stat().st_size / 1e6:.2f} MB{'' if not bad else ', ' + str(len(bad)) + ' problems'}")
    else:
        workers = max(1, args.workers)
        threads = args.threads or max(1, (os.cpu_count() or 1) // workers)
        print(f"executing {len(paths)} notebooks in full mode, {workers} at a time, OMP_NUM_THREADS={threads}",
              flush=True)
        t0 = time.time()
        signal.signal(signal.SIGTERM, _stop_children)
        try:
            with ThreadPoolExecutor(workers) as pool:
                results = list(pool.map(lambda p: run_child(p, args, threads), paths))
        except KeyboardInterrupt:
            for p in _children:
                if p.poll() is None:
                    p.terminate()
            print("execute_notebooks: interrupted; the notebooks not finished are left as they were")
            return 130
        print("\ntime per notebook (full mode):")
        for p, rc, secs, _ in results:
            print(f"  {p.name:28s} {secs:7.1f} s  {'ok' if rc == 0 else 'FAILED'}")
            if rc:
                failed.append(p.name)
        print(f"  {'all':28s} {time.time() - t0:7.1f} s (wall clock)")
    size = total_mb()
    print(f"all notebooks in nbs/ together: {size:.2f} MB (at most {args.max_total_mb} MB)")
    if size > args.max_total_mb:
        failed.append(f"nbs/ holds {size:.2f} MB of notebooks, more than {args.max_total_mb} MB: make figures smaller")
    if failed:
        print("\nFAILED:\n  " + "\n  ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
