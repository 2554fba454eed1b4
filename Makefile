# Odoo Helpdesk: see README.md
.PHONY: run test test-scale bench clean help

help:
	@echo "make run    serve the helpdesk with demo data on http://localhost:8069"
	@echo "make test   install every addon in a throwaway database and run every test"
	@echo "make test-scale  two Odoo nodes on a PostgreSQL primary and streaming replica, under load"
	@echo "make bench  benchmarks (ratios against a baseline measured in the same run)"
	@echo "make clean  stop and remove the private cluster under .run/"

run:
	@scripts/run.sh

test:
	@scripts/test.sh

test-scale:
	@scripts/test_scale.sh

bench:
	@scripts/bench.sh

clean:
	@scripts/pgcluster.sh stop .run/pgdata || true
	rm -rf .run
