"""COURSE.md: no chapter's module imports the module of a later chapter (the appendix modules sit below every
chapter). Checked on the exported source with `ast`, so lazy imports inside functions count too."""
import ast
from pathlib import Path

import stargan_edu

PKG = Path(stargan_edu.__file__).parent
CHAPTERS = ["toyfaces", "cyclegan", "v1", "mask", "adain", "mapping", "style_encoder", "v2", "metrics", "pretrained"]


def imported_modules(path: Path) -> set[str]:
    "The `stargan_edu` modules `path` imports, relative (`from .v1 import …`) or absolute, anywhere in the file."
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if node.level == 1: found.add(mod.split(".")[0])
            elif mod.startswith("stargan_edu."): found.add(mod.split(".")[1])
            elif mod == "stargan_edu": found.update(a.name for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("stargan_edu."))
    return found


def test_no_chapter_module_imports_a_later_chapter():
    upward = {m: sorted(d for d in imported_modules(PKG / f"{m}.py") if d in CHAPTERS and CHAPTERS.index(d) > CHAPTERS.index(m))
              for m in CHAPTERS}
    assert {m: d for m, d in upward.items() if d} == {}


def test_the_check_sees_lazy_imports(tmp_path):
    f = tmp_path / "m.py"
    f.write_text("def f():\n    from stargan_edu.v2 import V2Task\n    from .mask import JointTask\n")
    assert imported_modules(f) == {"v2", "mask"}
