"""The notebooks are committed executed (issue 10, point 4): their pictures show on GitHub and in Colab before anything
runs. Pure file inspection, no execution: `make execute` (tools/execute_notebooks.py) is what re-executes them.

`EXECUTED` lists the notebooks committed executed so far; the final integration extends it to index and every chapter
00–09 (`CHAPTERS`) once they have all been executed with `make execute`."""
import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("execute_notebooks", ROOT / "tools" / "execute_notebooks.py")
ex = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ex)

CHAPTERS = ["index.ipynb"] + sorted(p.name for p in (ROOT / "nbs").glob("0[0-9]_*.ipynb"))
EXECUTED = CHAPTERS                                  # index and chapters 00–09: committed executed (make execute)


def _nb(name: str) -> dict:
    return json.loads((ROOT / "nbs" / name).read_text(encoding="utf-8"))


def test_executed_are_chapters():
    assert set(EXECUTED) <= set(CHAPTERS), f"EXECUTED names notebooks that are not chapters: {set(EXECUTED) - set(CHAPTERS)}"


@pytest.mark.parametrize("name", EXECUTED)
def test_committed_executed(name):
    nb = _nb(name)
    assert ex.count_images(nb) >= 1, f"{name} has no image output: run `make execute` (tools/execute_notebooks.py) on it"
    assert "widgets" not in nb.get("metadata", {}), f"{name} saves widget state in its metadata"
    problems = ex.notebook_problems(nb, name)      # errors, non-PNG or oversized images, long texts, local paths
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", EXECUTED)
def test_executed_outputs_follow_their_code(name):
    "Outputs come from a run of the committed code: every code cell that has outputs ran, and cells nbdev_test skips have none."
    nb = _nb(name)
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert any(c.get("outputs") for c in code), f"{name}: no outputs at all"
    flags = ex.skip_flags()
    for i, c in enumerate(nb["cells"]):
        if c["cell_type"] == "code" and ex.skipped(c, flags):
            assert not c.get("outputs"), f"{ex.cell_name(name, i, c)}: a cell full mode skips has outputs"


def test_no_notebook_saves_widget_state_or_errors():
    "Every notebook, executed or not: no saved widget state, no error outputs."
    for p in sorted((ROOT / "nbs").glob("*.ipynb")):
        nb = json.loads(p.read_text(encoding="utf-8"))
        assert "widgets" not in nb.get("metadata", {}), f"{p.name} saves widget state in its metadata"
        errs = [i for i, c in enumerate(nb["cells"]) for o in c.get("outputs", []) if o.get("output_type") == "error"]
        assert not errs, f"{p.name}: error outputs in cells {errs}"


def test_total_size():
    mb = ex.total_mb()
    assert mb <= ex.MAX_TOTAL_MB, f"the notebooks in nbs/ hold {mb:.1f} MB together, more than {ex.MAX_TOTAL_MB} MB"


# the tool's own rules, on made-up notebooks
def _book(*outputs, source="x = 1"):
    return {"metadata": {}, "cells": [{"cell_type": "code", "source": source, "metadata": {}, "outputs": list(outputs)}]}


def test_tidy_keeps_the_last_state_of_a_progress_bar_and_drops_colours():
    t = ex.tidy_stream(" 10%|#  | 1/10\r 50%|#####  | 5/10\r100%|##########| 10/10\n\x1b[31mred\x1b[0m done\n")
    assert t == "100%|##########| 10/10\nred done\n"


def test_tidy_shortens_site_packages_paths_and_replaces_widget_views():
    w = {"output_type": "display_data", "metadata": {}, "data": {ex.WIDGET_MIME: {"model_id": "abc"}, "text/plain": "VBox(…)"}}
    s = {"output_type": "stream", "name": "stderr",
         "text": "/home/me/env/lib/python3.11/site-packages/torch/nn/x.py:5: UserWarning: hm\n"}
    nb = _book(w, s)
    nb["metadata"]["widgets"] = {"state": {}}
    ex.tidy_outputs(nb)
    out = nb["cells"][0]["outputs"]
    assert "widgets" not in nb["metadata"]
    assert out[0]["data"] == {"text/plain": ex.WIDGET_NOTE}
    assert out[1]["text"] == ".../site-packages/torch/nn/x.py:5: UserWarning: hm\n"
    assert ex.notebook_problems(nb, "t.ipynb") == []


def test_problems_name_the_cell():
    leak = {"output_type": "stream", "name": "stdout", "text": "saved to /work/main/runs/x\n"}
    err = {"output_type": "error", "ename": "ValueError", "evalue": "no", "traceback": []}
    jpeg = {"output_type": "display_data", "metadata": {}, "data": {"image/jpeg": "AAAA"}}
    bad = ex.notebook_problems(_book(leak, err, jpeg, source="save_it()"), "t.ipynb")
    assert len(bad) == 3 and all("t.ipynb, cell 0 ('save_it()')" in b for b in bad)
    assert "local path" in bad[0] and "error output" in bad[1] and "image/jpeg" in bad[2]
    tmp = {"output_type": "stream", "name": "stdout", "text": "wrote /tmp/tmpab12/run/config.json\n"}
    assert ex.notebook_problems(_book(tmp), "t.ipynb") == []          # temporary folders are fine


def test_oversized_png_is_refused():
    import base64
    import struct
    import zlib
    def png(w, h):
        chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
        raw = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IEND", b"")
        return base64.b64encode(raw).decode()
    ok = {"output_type": "display_data", "metadata": {}, "data": {"image/png": png(800, 300)}}
    big = {"output_type": "display_data", "metadata": {}, "data": {"image/png": png(5000, 300)}}
    assert ex.notebook_problems(_book(ok), "t.ipynb") == []
    bad = ex.notebook_problems(_book(big), "t.ipynb")
    assert len(bad) == 1 and "5000×300 px" in bad[0]
