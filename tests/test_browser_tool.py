"The parts of tools/browser_test.py that need no browser: the notebook copies it runs, and its refusals."
import importlib.util
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("browser_test", ROOT / "tools" / "browser_test.py")
bt = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bt)


def test_copy_is_cleared_and_skips_what_nbdev_test_skips(tmp_path):
    src = ROOT / "nbs" / "09_pretrained.ipynb"
    before = src.read_bytes()
    copy = bt.prepare("09_pretrained", tmp_path)
    assert copy.parent == tmp_path and src.read_bytes() == before          # nbs/ untouched
    nb, orig = json.loads(copy.read_text()), json.loads(before)
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code)
    no_eval = [c for c in orig["cells"] if re.search(r"^#\|\s*eval:\s*false", "".join(c["source"]), re.M)]
    assert no_eval, "09_pretrained should have `#| eval: false` cells (downloads): the test needs one"
    assert not any(re.search(r"^#\|\s*eval:\s*false", "".join(c["source"]), re.M) for c in nb["cells"])
    assert len(nb["cells"]) == len(orig["cells"]) - len(no_eval)


def test_default_chapters_exist_and_show_widgets():
    for ch in bt.DEFAULT_CHAPTERS:
        text = (ROOT / "nbs" / f"{ch}.ipynb").read_text()
        assert "ipywidgets" in text or "_explorer(" in text or "_viewer(" in text or "_picker(" in text, ch


def test_unknown_chapter_says_what_was_expected(tmp_path):
    with pytest.raises(FileNotFoundError, match="expected a notebook"):
        bt.prepare("99_nothing", tmp_path)


def test_missing_browser_is_a_clear_refusal(tmp_path, capsys):
    assert bt.main(["00_toyfaces", "--chromium", str(tmp_path / "no-chromium"), "--out", str(tmp_path / "out")]) == 2
    assert "chromium" in capsys.readouterr().out.lower()
    assert not (tmp_path / "out").exists()
