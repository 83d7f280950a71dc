# The two commands: `make run` and `make test`. Everything else is a helper for them.
SHELL := /bin/bash
PY := .venv/bin/python

.PHONY: run test bootstrap worker serve messages lint clean-pg bench

run: bootstrap
	@scripts/devenv.sh
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo_data
	$(PY) manage.py collectstatic --noinput -v 0
	@scripts/serve.sh

test: bootstrap
	@scripts/test.sh

bootstrap:
	@scripts/bootstrap.sh

# Not part of `make test`: the dataset and the load figures (docs/performance.md).
bench: bootstrap
	@scripts/bench.sh

messages: bootstrap
	cd src/inservice && ../../$(PY) ../../manage.py makemessages -l en --no-obsolete -e html,txt,py,subject -i "static/*"

lint: bootstrap
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

worker: bootstrap
	$(PY) manage.py run_huey

clean-pg:
	@scripts/pgcluster.sh stop || true
	rm -rf .pg
