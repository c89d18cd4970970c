# The two commands a newcomer needs: `make demo` and `make test`. See README.md.
.PHONY: demo test check stop status install lint load

demo:            ## install what is missing, start every service and the portal, seed demo content
	scripts/stack.sh demo

test:            ## install what is missing, start the services, run the whole test suite
	scripts/stack.sh test

check:           ## the quick tier for the edit loop: every test not marked slow (no browser, matrix, fuzz, faults, load)
	scripts/stack.sh check

stop:            ## stop everything `make demo` or `make test` started (nginx, gunicorn, workers, consumers, services)
	scripts/stack.sh stop

status:          ## what runs (supervised processes: their pid and restarts), and where its log is
	scripts/stack.sh status

install:         ## only install (Debian packages, virtualenv, Solr jars)
	scripts/stack.sh install

load:            ## the load test (benchmarks/load.py) on the benchmark database var/bench.ini, nginx in front
	.venv/bin/python benchmarks/load.py --ini var/bench.ini --warmup 60 --report benchmarks/results/load-$$(date -u +%F).txt

lint:
	.venv/bin/ruff check ckanext benchmarks
