"""The project's own contracts: the two requirement lists agree, the console script exists, notebooks are in order."""
import configparser
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _name(req: str) -> str:
    return re.split(r"[<>=!~\[ ]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _settings() -> dict[str, list[str]]:
    cfg = configparser.ConfigParser(delimiters=["="])
    cfg.read(ROOT / "settings.ini")
    return {k: cfg["DEFAULT"][k].split() for k in ("requirements", "dev_requirements")}


def _environment_pip() -> list[str]:
    lines = (ROOT / "environment.yml").read_text().splitlines()
    start = next(i for i, l in enumerate(lines) if l.strip() == "- pip:")
    return [l.strip()[2:].strip() for l in lines[start + 1:] if l.strip().startswith("- ")]


def test_environment_matches_settings():
    s = _settings()
    want = sorted(s["requirements"] + s["dev_requirements"])
    got = sorted(_environment_pip())
    assert got == want, f"environment.yml and settings.ini disagree:\n only in settings.ini: {sorted(set(want) - set(got))}\n only in environment.yml: {sorted(set(got) - set(want))}"


def test_runtime_requirements_cover_the_course():
    names = {_name(r) for r in _settings()["requirements"]}
    for pkg in ("torch", "torchvision", "ipywidgets", "matplotlib", "torchinfo", "datasets", "lpips", "tqdm"):
        assert pkg in names, pkg
    # ipywidgets 7.7 (Colab) and 8.x must both be allowed
    spec = next(r for r in _settings()["requirements"] if _name(r) == "ipywidgets")
    assert "7.7" in spec and "<9" in spec
    # every notebook imports fastcore.test, so a plain `pip install` must bring fastcore; but only with a lower
    # bound: nbdev's fastcore<2 pin stays in the dev requirements (an upper bound would fight Colab's fastai)
    fastcore = [r for r in _settings()["requirements"] if _name(r) == "fastcore"]
    assert len(fastcore) == 1 and ">=" in fastcore[0] and "<" not in fastcore[0], fastcore
    assert not any(_name(r) in ("nbdev", "execnb", "ghapi") for r in _settings()["requirements"])


def test_python_versions():
    cfg = configparser.ConfigParser(delimiters=["="]); cfg.read(ROOT / "settings.ini")
    assert cfg["DEFAULT"]["min_python"] == "3.10"
    assert '"<3.14"' in (ROOT / "setup.py").read_text() or "<3.14" in (ROOT / "setup.py").read_text()


def test_console_script_help():
    exe = Path(sys.executable).parent / "stargan-edu"
    out = subprocess.run([str(exe), "--help"], capture_output=True, text=True, check=True).stdout
    for cmd in ("demo", "train", "eval", "translate"):
        assert cmd in out
    train = subprocess.run([str(exe), "train", "--help"], capture_output=True, text=True, check=True).stdout
    for model in ("cyclegan", "v1", "v2"):
        assert model in train


def test_notebooks_follow_the_course_map():
    names = sorted(p.name for p in (ROOT / "nbs").glob("*.ipynb"))
    assert "index.ipynb" in names
    numbered = [n for n in names if re.match(r"\d\d", n)]
    assert numbered == sorted(numbered)
    assert any(n.startswith("00_") for n in numbered) and any(n.startswith("02_") for n in numbered)


def test_package_data_ships_the_course_assets():
    """The oracle, chapter 08's comparison records and the official-format fixtures are read from the installed package
    (Colab has no bench/ or tests/ folder): setup.py must declare the folders, and every record must come with its log
    and sample grid."""
    setup = (ROOT / "setup.py").read_text()
    assert '"assets/*"' in setup and '"assets/compare/*"' in setup and '"assets/official/*"' in setup
    # the official-format fixtures chapters 03, 06 and 09 (and tests/) check the loaders against
    official = ROOT / "stargan_edu" / "assets" / "official"
    for tag in ("celeba-G", "celeba-io", "celeba-D", "celeba-D-io", "both-G", "both-io"):
        assert (official / f"v1_official_{tag}.pt").is_file(), tag
    assert {p.name for p in official.glob("v2_official_*.pt")} == {"v2_official_hpf0.pt", "v2_official_hpf1.pt"}
    compare = ROOT / "stargan_edu" / "assets" / "compare"
    names = sorted(p.stem for p in compare.glob("*.json"))
    assert {"cyclegan", "v1", "v2", "v2-no-ds", "v2-no-ref", "v2-no-r1"} <= set(names)
    for n in names:
        assert (compare / f"{n}.log.jsonl").exists() and (compare / f"{n}.png").exists(), n


def _notebook_imports() -> dict[str, set[str]]:
    "Top-level modules imported by the code cells of every notebook: {module: {notebook, …}}."
    import json
    found: dict[str, set[str]] = {}
    for nb in sorted((ROOT / "nbs").glob("*.ipynb")):
        for cell in json.loads(nb.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] != "code": continue
            for line in "".join(cell["source"]).splitlines():
                m = re.match(r"\s*(?:from\s+([\w.]+)\s+import|import\s+([\w., ]+))", line)
                if not m: continue
                mods = [m.group(1)] if m.group(1) else [x.split(" as ")[0] for x in m.group(2).split(",")]
                for mod in mods:
                    top = mod.strip().split(".")[0]
                    if top: found.setdefault(top, set()).add(nb.name)
    return found


def test_notebook_imports_are_runtime_requirements():
    """What a notebook imports must come with `pip install stargan-edu` (the standard library, the package itself, or a
    distribution in the runtime requirements): after a plain install every chapter must run, on Colab and on a laptop."""
    from importlib.metadata import packages_distributions
    dists = packages_distributions()
    runtime = {_name(r) for r in _settings()["requirements"]}
    runtime |= {"ipython"}          # ipywidgets depends on IPython
    missing = {}
    for mod, nbs in _notebook_imports().items():
        if mod in sys.stdlib_module_names or mod in ("stargan_edu", "__future__"): continue
        names = {d.lower().replace("_", "-") for d in dists.get(mod, [])} or {mod.lower()}
        if not names & runtime:
            missing[mod] = sorted(nbs)
    assert not missing, f"notebooks import modules that `pip install stargan-edu` does not bring (add them to settings.ini's requirements): {missing}"


COLAB = "https://colab.research.google.com/github/stargan-edu/stargan_edu/blob/main/nbs/"


def test_every_notebook_opens_on_colab():
    """The first code cell of every notebook installs the package on Colab and does nothing elsewhere (not exported,
    guarded by `google.colab`); every chapter has a Colab badge in its title cell that opens that very notebook."""
    import json
    for nb in sorted((ROOT / "nbs").glob("*.ipynb")):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        first = "".join(next(c for c in cells if c["cell_type"] == "code")["source"])
        assert "pip install" in first and '"google.colab" in sys.modules' in first and "#| export" not in first, (nb.name, first)
        assert all(l.startswith((" ", "#", "import sys", "if ")) or not l.strip() for l in first.splitlines()), (nb.name, first)
        if nb.name == "index.ipynb": continue
        title = "".join(cells[0]["source"])
        assert title.startswith("# ") and f"]({COLAB}{nb.name})" in title and "colab-badge.svg" in title, nb.name
