"""The widgets in a real browser: JupyterLab + headless Chromium, every widget changed the way a user would.

`nbdev_test` runs the widget callbacks in the kernel only; this script checks what a student sees. It

1. copies the chosen chapters of `nbs/` into a temporary folder (outputs cleared; cells `nbdev_test` skips, i.e.
   `#| eval: false` and the `tst_flags` of settings.ini, left out), never writing into `nbs/`;
2. starts the project's JupyterLab on 127.0.0.1 (a free port, a random token, `--no-browser`) with `IN_TEST=1`,
   so the notebooks run in test mode, and `PYTHONPATH` set to this repository;
3. opens each chapter in headless Chromium (Debian's `chromium`, driven by Playwright, no browser download),
   runs all cells and waits until the kernel is idle; a cell that fails is a failure;
4. for every widget view in the outputs, changes each of its controls as a user would (picks another option of a
   dropdown, presses the arrow keys on a slider, clicks a toggle button, a checkbox, a button), waits, and checks that
   the images of that view changed and that nothing shows an error ("Error displaying widget", a traceback in an
   output area, an error message from the kernel);
5. shuts the kernel down before the next chapter, saves a screenshot per chapter and per widget change under
   `runs/browser/<chapter>/`, and exits non-zero with the list of failures.

    python tools/browser_test.py                                  # the default chapters
    python tools/browser_test.py 00_toyfaces 13_cli --out runs/browser
    make browser-test                                            # installs Playwright aside first

Playwright is imported from wherever Python finds it (the Makefile installs it into `.venv/playwright` and puts that
folder on `PYTHONPATH`); the browser is `--chromium` (default: `chromium` on the `PATH`).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# every chapter that shows a widget
DEFAULT_CHAPTERS = ["00_toyfaces", "01_cyclegan", "02_v1_losses", "03_mask_vector", "04_adain", "05_mapping",
                    "06_style_encoder", "07_diversity_loss", "08_evaluation", "09_pretrained", "13_cli"]

# JavaScript run in the page. `window.jupyterapp` is there because the server runs with `expose_app_in_browser`.
JS_HELPERS = r"""
window.__bt = window.__bt || {errors: []};
window.__bt.nb = () => {                 // the notebook panel of the chapter under test (not whatever tab has focus)
  for (const w of window.jupyterapp.shell.widgets('main'))
    if (w.context && w.context.path === window.__bt.path && w.content && w.content.widgets) return w;
  return null;
};
window.__bt.ready = () => {
  const nb = window.__bt.nb(), k = nb && nb.sessionContext && nb.sessionContext.session && nb.sessionContext.session.kernel;
  return !!(k && k.status === 'idle' && nb.context.isReady);
};
window.__bt.listen = () => {             // every error message and traceback the kernel sends, callbacks included
  const ctx = window.__bt.nb().sessionContext;
  ctx.iopubMessage.connect((_, msg) => {
    const t = msg.header.msg_type, c = msg.content;
    if (t === 'error') window.__bt.errors.push(c.ename + ': ' + c.evalue);
    if (t === 'stream' && c.name === 'stderr' && /Traceback|Error\b/.test(c.text)) window.__bt.errors.push(c.text.slice(-600));
  });
};
window.__bt.state = () => {
  const nb = window.__bt.nb(), ctx = nb.sessionContext;
  const cells = nb.content.widgets.filter(c => c.model.type === 'code');
  const errs = [];
  cells.forEach((c, i) => { const o = c.model.outputs.toJSON();
    o.filter(x => x.output_type === 'error').forEach(x => errs.push(`code cell ${i + 1}: ${x.ename}: ${x.evalue}`)); });
  return {status: ctx.session && ctx.session.kernel ? ctx.session.kernel.status : 'none',
          pending: cells.filter(c => c.promptNode && /\*/.test(c.promptNode.textContent)).length,
          run: cells.filter(c => c.model.executionCount !== null).length, n: cells.length, errors: errs};
};
true;    // the value of the script (Playwright would call a function given back)
"""

VIEW = "[data-bt-view]"
# the outermost widget of each cell output (a widget inside an Output widget belongs to the view around it)
MARK_VIEWS_JS = r"""() => {
  let n = 0;
  window.__bt.nb().node.querySelectorAll('.jp-OutputArea-output > .jupyter-widgets').forEach(e => {
    if (!e.parentElement.closest('.jupyter-widgets')) e.setAttribute('data-bt-view', String(n++)); });
  return n;
}"""
# what a view shows: its images (PNG data), canvases and HTML/label texts
SIGNATURE_JS = r"""root => {
  const parts = [];
  root.querySelectorAll('img').forEach(i => parts.push('img:' + i.src.length + ':' + i.src.slice(-200)));
  root.querySelectorAll('canvas').forEach(c => { try { parts.push('canvas:' + c.toDataURL().slice(-200)); } catch (e) {} });
  return parts.join('|');
}"""
ERROR_JS = r"""root => {
  const bad = [];
  const text = root.innerText || '';
  if (/Error displaying widget|Error rendering/.test(text)) bad.push('the view says: ' + text.match(/Error (displaying|rendering)[^\n]*/)[0]);
  root.querySelectorAll('[data-mime-type="application/vnd.jupyter.stderr"]').forEach(e => {
    if (/Traceback|Error\b/.test(e.innerText)) bad.push('an error in the view: ' + e.innerText.trim().split('\n').slice(-1)[0]); });
  return bad;
}"""


sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_alone import test_flags as skip_flags   # the flags of cells nbdev_test skips (settings.ini's tst_flags)


def prepare(chapter: str, dest: Path) -> Path:
    "A copy of `nbs/<chapter>.ipynb` in `dest`: outputs cleared, the cells nbdev_test skips left out."
    src = ROOT / "nbs" / f"{chapter}.ipynb"
    if not src.exists():
        raise FileNotFoundError(f"expected a notebook {src}, found none (chapters are named like 00_toyfaces)")
    nb = json.loads(src.read_text(encoding="utf-8"))
    flags = skip_flags()
    cells = []
    for c in nb["cells"]:
        s = "".join(c["source"])
        if c["cell_type"] == "code":
            if re.search(r"^#\|\s*eval:\s*false", s, re.M) or any(re.search(rf"^#\|\s*{f}\b", s, re.M) for f in flags):
                continue
            c["outputs"], c["execution_count"] = [], None
        cells.append(c)
    nb["cells"] = cells
    nb.setdefault("metadata", {})["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    out = dest / src.name
    out.write_text(json.dumps(nb), encoding="utf-8")
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_lab(root: Path, work: Path) -> tuple[subprocess.Popen, str, str]:
    "JupyterLab serving `root` on loopback; returns (process, base url, token)."
    port, token = free_port(), secrets.token_hex(16)
    cfg, settings = work / "config", work / "settings"
    (cfg / "labconfig").mkdir(parents=True)
    # no news pop-up over the notebook
    (cfg / "labconfig" / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
    tracker = settings / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))  # every cell in the DOM
    env = dict(os.environ, IN_TEST="1", OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"),
               PYTHONPATH=os.pathsep.join([str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep)
                                                         if p and "playwright" not in p]),
               JUPYTER_CONFIG_DIR=str(cfg), JUPYTERLAB_SETTINGS_DIR=str(settings),
               JUPYTERLAB_WORKSPACES_DIR=str(work / "workspaces"), JUPYTER_RUNTIME_DIR=str(work / "runtime"),
               HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    env.pop("MPLBACKEND", None)                   # the kernel needs its inline backend to show figures
    jupyter = Path(sys.executable).parent / "jupyter"
    cmd = [str(jupyter) if jupyter.exists() else "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           "--port-retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           "--LabApp.expose_app_in_browser=True", "--ServerApp.open_browser=False"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")                 # CI containers run as root
    log = open(work / "jupyter.log", "w")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        if proc.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with {proc.returncode}: see {work / 'jupyter.log'}")
        try:
            urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
            return proc, url, token
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"JupyterLab did not answer on {url} within 60 s: see {work / 'jupyter.log'}")


def shutdown_kernels(url: str, token: str) -> None:
    "Shut down every session and kernel of the server (one chapter's kernel at a time on a small machine)."
    def call(method, path):
        req = urllib.request.Request(f"{url}{path}", method=method, headers={"Authorization": f"token {token}"})
        with urllib.request.urlopen(req, timeout=20) as r:
            return json.loads(r.read() or b"null")
    for s in call("GET", "/api/sessions") or []:
        call("DELETE", f"/api/sessions/{s['id']}")
    for k in call("GET", "/api/kernels") or []:
        call("DELETE", f"/api/kernels/{k['id']}")


def controls_of(view):
    "The controls of one widget view, as (kind, locator) pairs, in document order."
    found = []
    for kind, sel in [("dropdown", ".widget-dropdown select"), ("slider", ".widget-slider .noUi-handle, .widget-slider .ui-slider-handle"),
                      ("toggle buttons", ".widget-toggle-buttons"), ("checkbox", ".widget-checkbox input"),
                      ("button", "button.widget-button")]:
        loc = view.locator(sel)
        for i in range(loc.count()):
            found.append((kind, loc.nth(i)))
    return found


def describe(kind: str, el) -> str:
    "A short name for a control: its kind and description."
    try:
        name = el.evaluate("""e => { const w = e.closest('.widget-inline-hbox, .widget-toggle-buttons, .widget-checkbox') || e;
            const d = w.querySelector('.widget-label, label'); return (d && d.innerText.trim()) || e.innerText || ''; }""")
    except Exception:
        name = ""
    return f"{kind} '{name.strip()[:40]}'" if name.strip() else kind


def change(kind: str, el, page) -> str | None:
    "Change one control as a user would; returns a description, or None if it cannot be changed (disabled, one option)."
    if kind == "dropdown":
        if el.is_disabled():
            return None
        opts = el.evaluate("s => [Array.from(s.options).map(o => o.value), s.selectedIndex]")
        values, cur = opts
        if len(values) < 2:
            return None
        nxt = (cur + 1) % len(values)
        el.select_option(index=nxt)
        return f"picked option {nxt + 1} of {len(values)}"
    if kind == "slider":
        if el.evaluate("h => !!h.closest('[disabled]')"):
            return None
        now, top = el.evaluate("h => [parseFloat(h.getAttribute('aria-valuenow')), parseFloat(h.getAttribute('aria-valuemax'))]")
        key = "ArrowLeft" if now >= top else "ArrowRight"   # a slider at its end moves back
        el.click()                                  # focus the handle
        for _ in range(5):
            el.press(key)
        return f"pressed {'←' if key == 'ArrowLeft' else '→'} five times on the handle"
    if kind == "toggle buttons":
        buttons = el.locator("button")
        n = buttons.count()
        for i in range(n):
            b = buttons.nth(i)
            if "mod-active" not in (b.get_attribute("class") or "") and not b.is_disabled():
                b.click()
                return f"clicked button {i + 1} of {n} ('{b.inner_text().strip()[:30]}')"
        return None
    if kind == "checkbox":
        if el.is_disabled():
            return None
        el.click()
        return "clicked"
    if kind == "button":
        if el.is_disabled():
            return None
        el.click()
        return "clicked"
    raise ValueError(f"unknown control kind {kind!r}")


def wait_idle(page, timeout: float) -> dict:
    "Wait until the kernel is idle with no cell queued; returns the notebook state."
    t0, idle_since = time.time(), None
    while time.time() - t0 < timeout:
        st = page.evaluate("window.__bt.state()")
        if st["status"] == "idle" and st["pending"] == 0:
            idle_since = idle_since or time.time()
            if time.time() - idle_since > 0.5:
                return st
        else:
            idle_since = None
        time.sleep(0.25)
    st = page.evaluate("window.__bt.state()")
    st["timed_out"] = True
    return st


def test_chapter(page, url: str, token: str, chapter: str, art: Path, timeout: float) -> tuple[list[str], dict]:
    "Open one chapter, run it, change every widget; returns (failures, numbers)."
    fails, info = [], {"chapter": chapter, "widgets": 0, "changes": 0}
    art.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    # a new workspace per chapter: no tab of the chapter before comes back
    page.goto(f"{url}/lab/workspaces/bt-{secrets.token_hex(4)}/tree/{chapter}.ipynb?token={token}")
    page.wait_for_function("window.jupyterapp && window.jupyterapp.shell", timeout=120_000)
    page.evaluate("async () => { await window.jupyterapp.restored; }")
    page.evaluate(JS_HELPERS)
    page.evaluate(f"window.__bt.path = {json.dumps(chapter + '.ipynb')}")
    page.wait_for_function("window.__bt.ready()", timeout=120_000)
    page.evaluate("window.__bt.errors = []; window.__bt.listen()")
    page.evaluate("window.jupyterapp.shell.activateById(window.__bt.nb().id);"
                  "window.jupyterapp.commands.execute('notebook:run-all-cells')")
    time.sleep(1.0)
    st = wait_idle(page, timeout)
    info["run_seconds"] = round(time.time() - t0, 1)
    page.screenshot(path=str(art / "chapter.png"))
    if st.get("timed_out"):
        fails.append(f"{chapter}: the cells were still running after {timeout:.0f} s")
        return fails, info
    fails += [f"{chapter}: {e}" for e in st["errors"]]
    if st["run"] < st["n"]:
        fails.append(f"{chapter}: only {st['run']} of {st['n']} code cells ran")
    if fails:
        return fails, info
    page.evaluate("window.__bt.errors = []")
    page.evaluate(MARK_VIEWS_JS)
    views = page.locator(VIEW)
    n_views = views.count()
    info["widgets"] = n_views
    for v in range(n_views):
        view = views.nth(v)
        view.scroll_into_view_if_needed()
        name = f"widget {v + 1}"
        bad = view.evaluate(ERROR_JS)
        fails += [f"{chapter}, {name}: {b}" for b in bad]
        view.screenshot(path=str(art / f"w{v + 1:02d}_0_start.png"))
        ctrls = controls_of(view)
        if not ctrls:
            continue                            # a view without controls (a progress bar, a label) has nothing to change
        queue, retried = list(enumerate(ctrls)), set()
        while queue:
            j, (kind, el) = queue.pop(0)
            what = describe(kind, el)
            before = view.evaluate(SIGNATURE_JS)
            done = change(kind, el, page)
            if done is None:                    # disabled now (the mask's hair menu): once more after the others
                if j not in retried:
                    retried.add(j); queue.append((j, (kind, el)))
                else:
                    info.setdefault("skipped", []).append(f"{name} {what}")
                continue
            info["changes"] += 1
            after, t1 = before, time.time()
            while time.time() - t1 < 30:        # the redraw: a round trip to the kernel and back
                time.sleep(0.3)
                after = view.evaluate(SIGNATURE_JS)
                if after != before and page.evaluate("window.__bt.state()")["status"] == "idle":
                    time.sleep(0.3)
                    after = view.evaluate(SIGNATURE_JS)
                    break
            wait_idle(page, 60)
            after = view.evaluate(SIGNATURE_JS)
            view.screenshot(path=str(art / f"w{v + 1:02d}_{j + 1}_{kind.replace(' ', '-')}.png"))
            if not before:
                fails.append(f"{chapter}, {name}, {what}: the view shows no image")
            elif after == before:
                fails.append(f"{chapter}, {name}, {what} ({done}): the image did not change within 30 s")
            bad = view.evaluate(ERROR_JS)
            fails += [f"{chapter}, {name}, {what}: {b}" for b in bad]
            errs = page.evaluate("window.__bt.errors.splice(0)")
            fails += [f"{chapter}, {name}, {what}: the kernel reported {e}" for e in errs]
    info["seconds"] = round(time.time() - t0, 1)
    return fails, info


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("chapters", nargs="*", default=DEFAULT_CHAPTERS, help="notebook names without .ipynb")
    ap.add_argument("--out", default=str(ROOT / "runs" / "browser"), help="folder for the screenshots")
    ap.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium", help="the browser binary")
    ap.add_argument("--timeout", type=float, default=240, help="seconds a chapter's cells may run")
    args = ap.parse_args(argv)
    if not Path(args.chromium).exists():
        print(f"browser test: expected a Chromium binary at {args.chromium}, found none (apt-get install chromium)")
        return 2
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("browser test: Playwright is not importable (make browser-test installs it into .venv/playwright)")
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for ch in args.chapters:                  # only this script's own files go: a chapter's screenshots of the last run
        shutil.rmtree(out / ch, ignore_errors=True)
    failures, infos = [], []
    t_all = time.time()
    with tempfile.TemporaryDirectory(prefix="stargan_edu_browser_") as tmp:
        tmp = Path(tmp)
        nbs, work = tmp / "nbs", tmp / "work"
        nbs.mkdir(); work.mkdir()
        for ch in args.chapters:
            prepare(ch, nbs)
        try:
            proc, url, token = start_lab(nbs, work)
        except RuntimeError:
            shutil.copy(work / "jupyter.log", out / "jupyter.log")
            raise
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=args.chromium, headless=True)
                for ch in args.chapters:
                    page = browser.new_page(viewport={"width": 1400, "height": 1000})
                    page.set_default_timeout(30_000)
                    try:
                        fails, info = test_chapter(page, url, token, ch, out / ch, args.timeout)
                    except Exception as e:          # a broken page is a failure of this chapter, not of the run
                        fails, info = [f"{ch}: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"], {"chapter": ch}
                        try:
                            page.screenshot(path=str(out / ch / "failure.png"))
                        except Exception:
                            pass
                    failures += fails
                    infos.append(info)
                    print(f"{ch}: {info.get('widgets', 0)} widget views, {info.get('changes', 0)} changes, "
                          f"{info.get('seconds', info.get('run_seconds', '?'))} s, "
                          f"{'ok' if not fails else f'{len(fails)} failure(s)'}", flush=True)
                    page.close()
                    shutdown_kernels(url, token)
                browser.close()
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
            shutil.copy(work / "jupyter.log", out / "jupyter.log")
    (out / "summary.json").write_text(json.dumps({"chapters": infos, "failures": failures,
                                                  "seconds": round(time.time() - t_all, 1)}, indent=1))
    print(f"browser test: {len(args.chapters)} chapters in {time.time() - t_all:.0f} s; screenshots in {out}")
    if failures:
        print(f"{len(failures)} failure(s):")
        for f in failures:
            print("  -", f)
        return 1
    print("every widget redrew its image, no errors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
