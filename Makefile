# Quickstart targets. Each sets everything up (a .venv with Python >= 3.12) first.
.PHONY: run test bench docs lint clean

run:            ## set up, then run the built-in default scenario into results/default
	@scripts/bootstrap.sh
	.venv/bin/pcnsim run --out results/default

test:           ## set up with test dependencies, then run the whole test suite (a worker per core, a file per worker)
	@scripts/bootstrap.sh test
	.venv/bin/python -m pytest -n auto --dist loadfile

bench:          ## speed and memory figures
	@scripts/bootstrap.sh
	.venv/bin/python benchmarks/bench_model.py

docs:           ## regenerate the parameter and evidence tables, then build the site into docs/_build/html
	@scripts/bootstrap.sh docs
	.venv/bin/pcnsim params --format markdown > docs/parameters.md
	.venv/bin/python -m pcnsim.evidence > docs/evidence.md
	.venv/bin/python -m sphinx -E -W --keep-going -b html docs docs/_build/html
	@echo "docs: open docs/_build/html/index.html"

lint:
	@scripts/bootstrap.sh test
	.venv/bin/ruff check pcnsim tests benchmarks experiments

clean:
	rm -rf .venv results .pytest_cache docs/_build docs/notebooks
