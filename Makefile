# facedemo: two commands for a fresh machine.
#   make app   — set everything up and start the app on the bundled gallery
#   make test  — set everything up and run the tests
#   make benchmark — set everything up and time it (benchmarks/run.py; table + benchmarks/results/latest.json)
#   make dev   — like make app, but reloads a page when its file is saved (the class server does not watch files)
# Everything lives inside this folder: .venv/ (packages), models/ and images/ (assets), .cache/.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501

.PHONY: app dev test benchmark setup venv browser nginx clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

# the test-only tools (hypothesis, playwright's Python client) on top
$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

setup: venv
	$(PY) -m facedemo setup --precompute

# Debian's Chromium (and an emoji font, used by the page icons) for the real-browser test;
# never a browser download of Playwright's own.
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null; \
	elif command -v sudo >/dev/null; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null; \
	else echo "note: /usr/bin/chromium is missing and cannot be installed here; the browser test will be skipped"; fi

# Debian's nginx for the load test of two app processes behind it (benchmarks/load.py --processes 2);
# only the binary is used, with a config of its own under a temporary folder (no system service).
nginx:
	@if [ -x /usr/sbin/nginx ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null; \
	elif command -v sudo >/dev/null; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null; \
	else echo "note: /usr/sbin/nginx is missing and cannot be installed here; the two-process load test will be skipped"; fi

app: setup
	$(PY) -m streamlit run streamlit_app.py --server.port $(PORT)

# .streamlit/config.toml turns the file watcher off for a class; development wants it back
dev: setup
	$(PY) -m streamlit run streamlit_app.py --server.port $(PORT) --server.fileWatcherType auto --server.runOnSave true

test: setup browser nginx $(VENV)/.installed-dev
	$(PY) -m pytest

benchmark: setup
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) .cache test-artifacts .pytest_cache
