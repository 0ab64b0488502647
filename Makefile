# Two targets do everything (README "Quick start"): `make demo` and `make test`.
# Both create .venv with the interpreter in PYTHON (Python 3.11 or newer) on first use.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= out/example

.PHONY: demo test lint bench clean

$(BIN)/shiftmix: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	touch $@

demo: $(BIN)/shiftmix
	$(BIN)/shiftmix plan --example --out $(OUT)

test: $(BIN)/shiftmix
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

lint: $(BIN)/shiftmix
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(BIN)/shiftmix
	failed=; for f in benchmarks/bench_*.py; do $(BIN)/python $$f || failed="$$failed $$f"; done; \
	if [ -n "$$failed" ]; then echo "missed a target or failed:$$failed"; exit 1; fi

clean:
	rm -rf $(VENV) out .pytest_cache .ruff_cache .mypy_cache .hypothesis
