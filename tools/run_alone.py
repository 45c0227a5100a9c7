"""Run every notebook alone, next to nothing but a plain (non-editable) install of the package.

This is what a student gets on Colab or after `pip install stargan-edu`: no repository around the notebook, no
`tests/` folder, no `runs/` folder, no editable install. The script

1. builds the wheel of this repository (from a copy of the files git knows of) and installs it with `--no-deps`
   into a throw-away `--target` folder (the dependencies already installed in the running Python are reused);
2. copies each notebook alone into its own empty folder;
3. runs it top to bottom in test mode (nbdev's `test_nb`, the runner of `nbdev_test`, with the project's test flags
   skipped) with that folder as the working directory and `PYTHONPATH` set to the target folder (and the folders
   given with `--extra-path`, after it); a cell put in front of the copy checks that `stargan_edu` is imported from
   the target folder, not from the repository, and that the repository is not on the path.

It exits non-zero on the first notebook that fails (`--keep-going` runs them all and lists every failure).

    python tools/run_alone.py                       # every notebook in nbs/, two at a time
    python tools/run_alone.py nbs/09_pretrained.ipynb --keep-going
    python tools/run_alone.py --extra-path .venv/ipywidgets77     # as on Colab: with ipywidgets 7.7 (make test-alone)
"""
from __future__ import annotations

import argparse
import configparser
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_VAR = "STARGAN_EDU_ALONE_TARGET"

# put in front of every copy: the package must come from the target folder, and the repository must be out of reach
CHECK_CELL = f"""import os, sys, stargan_edu
_target = os.path.realpath(os.environ["{TARGET_VAR}"])
assert os.path.realpath(stargan_edu.__file__).startswith(_target + os.sep), \\
    f"stargan_edu was imported from {{stargan_edu.__file__}}, not from the installed wheel in {{_target}}"
assert not any(os.path.isfile(os.path.join(p or ".", "settings.ini")) for p in sys.path), "the repository is on sys.path"
del _target"""

RUNNER = """import sys
from pathlib import Path
from nbdev.test import test_nb
ok, secs = test_nb(Path(sys.argv[1]).absolute(), skip_flags=sys.argv[2].split())
sys.exit(0 if ok else 1)"""


def test_flags() -> list[str]:
    "The flags of cells `nbdev_test` skips (settings.ini's `tst_flags`)."
    cfg = configparser.ConfigParser(delimiters=["="])
    cfg.read(ROOT / "settings.ini", encoding="utf-8")
    return cfg["DEFAULT"].get("tst_flags", "").split()


def _pip(*args: str, cwd: Path) -> None:
    "Run pip with this Python; on failure stop with its output."
    p = subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args], cwd=cwd,
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"run_alone: `pip {' '.join(args)}` failed:\n{p.stdout}{p.stderr}")


def source_copy(dest: Path) -> Path:
    """Copy the files git knows of (tracked, or new and not ignored) to `dest`: the wheel is built from what would be
    committed, not from local runs, caches or data, and the build leaves nothing in the repository."""
    p = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"run_alone: `git ls-files` failed in {ROOT}: {p.stderr.strip()}")
    for rel in sorted(set(filter(None, p.stdout.split("\0")))):
        src = ROOT / rel
        if src.is_file():   # files deleted in the work tree are still listed by --cached
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    return dest


def build_and_install(work: Path) -> Path:
    "Build the wheel of the repository and install it, without its dependencies, into `work/target`."
    wheels, target = work / "wheel", work / "target"
    src = source_copy(work / "src")
    _pip("wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(src), cwd=work)
    wheel = next(wheels.glob("stargan_edu-*.whl"))
    _pip("install", "--no-deps", "--no-compile", "--target", str(target), str(wheel), cwd=work)
    if not (target / "stargan_edu" / "__init__.py").is_file():
        raise SystemExit(f"run_alone: the wheel {wheel.name} did not install a stargan_edu package into {target}")
    return target


def copy_alone(nb: Path, folder: Path) -> Path:
    "Copy notebook `nb` into the empty `folder`, with the import check as its first cell."
    folder.mkdir(parents=True)
    book = json.loads(nb.read_text(encoding="utf-8"))
    book["cells"].insert(0, {"cell_type": "code", "execution_count": None, "id": "run-alone-check", "metadata": {},
                             "outputs": [], "source": CHECK_CELL.splitlines(keepends=True)})
    dest = folder / nb.name
    dest.write_text(json.dumps(book, indent=1, ensure_ascii=False), encoding="utf-8")
    return dest


def run_one(nb: Path, work: Path, target: Path, flags: list[str], timeout: float,
            extra: list[str] = ()) -> tuple[Path, int, float, str]:
    "Run one notebook alone; return (notebook, exit status, seconds, the tail of its output)."
    copy = copy_alone(nb, work / "alone" / nb.stem)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "IN_TEST")}
    env.update(PYTHONPATH=os.pathsep.join([str(target), *extra]), **{TARGET_VAR: str(target)},
               PATH=os.pathsep.join([str(target / "bin"), str(Path(sys.executable).parent), env.get("PATH", "")]))
    t0 = time.perf_counter()
    try:
        p = subprocess.run([sys.executable, "-c", RUNNER, str(copy), " ".join(flags)], cwd=copy.parent, env=env,
                           capture_output=True, text=True, timeout=timeout)
        rc, out = p.returncode, p.stdout + p.stderr
    except subprocess.TimeoutExpired as e:
        rc, out = 124, f"timed out after {timeout:.0f} s\n" + (e.stdout or b"").decode(errors="replace")[-3000:]
    return nb, rc, time.perf_counter() - t0, out[-6000:]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="*", type=Path, help="notebooks to run (default: every nbs/*.ipynb)")
    ap.add_argument("--workers", type=int, default=2, help="notebooks run at the same time (default 2)")
    ap.add_argument("--timeout", type=float, default=900, help="seconds one notebook may take (default 900)")
    ap.add_argument("--keep-going", action="store_true", help="run every notebook, then list all failures")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (printed) for inspection")
    ap.add_argument("--extra-path", action="append", default=[], metavar="DIR",
                    help="a folder to put on the path after the package, e.g. Colab's ipywidgets 7.7 installed aside")
    args = ap.parse_args(argv)
    notebooks = [p.resolve() for p in args.notebooks] or sorted((ROOT / "nbs").glob("*.ipynb"))
    missing = [str(p) for p in notebooks if not p.is_file()]
    if missing:
        print(f"run_alone: no such notebook: {', '.join(missing)}", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="stargan_edu_alone_"))
    failed: list[str] = []
    try:
        t0 = time.perf_counter()
        target = build_and_install(work)
        print(f"run_alone: wheel installed into {target} ({time.perf_counter() - t0:.0f} s); "
              f"running {len(notebooks)} notebook(s) alone, {args.workers} at a time", flush=True)
        flags = test_flags()
        todo = list(notebooks)
        with ThreadPoolExecutor(max(1, args.workers)) as pool:
            running = set()
            while todo or running:
                while todo and len(running) < max(1, args.workers) and (args.keep_going or not failed):
                    running.add(pool.submit(run_one, todo.pop(0), work, target, flags, args.timeout,
                                             [str(Path(e).resolve()) for e in args.extra_path]))
                if not running: break
                done, running = wait(running, return_when=FIRST_COMPLETED)
                for fut in done:
                    nb, rc, secs, out = fut.result()
                    print(f"  {'ok  ' if rc == 0 else 'FAIL'} {nb.name} ({secs:.0f} s)", flush=True)
                    if rc != 0:
                        failed.append(nb.name)
                        print(f"---- {nb.name} failed when run alone (exit {rc}); the end of its output:\n{out}\n----",
                              flush=True)
        if failed:
            print(f"run_alone: FAILED, run alone: {', '.join(failed)}", file=sys.stderr)
            return 1
        print(f"run_alone: all {len(notebooks)} notebook(s) ran alone ({time.perf_counter() - t0:.0f} s)")
        return 0
    finally:
        if args.keep: print(f"run_alone: kept {work}")
        else: shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
