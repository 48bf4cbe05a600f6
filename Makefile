# Quickstart targets. Each sets everything up (a .venv with Python >= 3.12) first.
.PHONY: run test bench docs lint clean

run:            ## set up, then run the built-in default scenario into results/default
	@scripts/bootstrap.sh
	.venv/bin/pcnsim run --out results/default

test:           ## set up with test dependencies, then run the whole test suite
	@scripts/bootstrap.sh test
	.venv/bin/python -m pytest

bench:          ## speed and memory figures
	@scripts/bootstrap.sh
	.venv/bin/python benchmarks/bench_model.py

docs:           ## regenerate the generated documentation (parameter table, evidence table)
	@scripts/bootstrap.sh
	.venv/bin/pcnsim params --format markdown > docs/parameters.md
	.venv/bin/python -m pcnsim.evidence > docs/evidence.md

lint:
	@scripts/bootstrap.sh test
	.venv/bin/ruff check pcnsim tests benchmarks experiments

clean:
	rm -rf .venv results .pytest_cache
