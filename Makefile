# `make demo` and `make test` each do all set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install bytecode demo test lint bench clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[all,dev]'
	$(MAKE) -s bytecode
	touch $(STAMP)

install: $(STAMP)

# byte-compile classbench, as pip does for a regular install but not for an editable one: a process then
# loads its modules instead of compiling them (~0.04 s a process where PYTHONDONTWRITEBYTECODE is set)
bytecode:
	$(PY) -m compileall -q src/classbench >/dev/null

demo: $(STAMP)
	$(VENV)/bin/classbench run

test: $(STAMP)
	$(PY) -m pytest -q -n 2 --timeout 900

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks

bench: $(STAMP) bytecode
	$(PY) benchmarks/run_all.py $(ARGS)

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
	find src -name __pycache__ -prune -exec rm -rf {} +
