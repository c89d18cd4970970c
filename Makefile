# The two commands a newcomer needs: `make demo` and `make test`. See README.md.
.PHONY: demo test stop status install lint

demo:            ## install what is missing, start every service and the portal, seed demo content
	scripts/stack.sh demo

test:            ## install what is missing, start the services, run the whole test suite
	scripts/stack.sh test

stop:            ## stop everything `make demo` or `make test` started
	scripts/stack.sh stop

status:          ## what runs, and where its log is
	scripts/stack.sh status

install:         ## only install (Debian packages, virtualenv, Solr jars)
	scripts/stack.sh install

lint:
	.venv/bin/ruff check ckanext benchmarks
