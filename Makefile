# Xiaoke: `make run` sets up and runs the assistant; `make test` sets up and runs every check.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
STAMP := $(VENV)/.installed
# Schemathesis (contract fuzzing of the backends) pins what Rasa pins differently.
CONTRACT_VENV := .venv-contract
CONTRACT_STAMP := $(CONTRACT_VENV)/.installed
SPACY_MODEL := build/spacy_zh/meta.json
SHARED := ../shared

# Ports and addresses (override on the command line or in the environment).
export RASA_PORT ?= 5005
export ACTION_PORT ?= 5055
export RASA_INTERFACE ?= 127.0.0.1
export ACTION_ENDPOINT_URL ?= http://127.0.0.1:$(ACTION_PORT)/webhook
export CONSOLE_PORT ?= 8080
# embedded (SQLite, in-memory lock store) or production (PostgreSQL, Redis, RabbitMQ): README.
export XIAOKE_PROFILE ?= embedded
# The embedded profile's conversation store (endpoints.yml), a SQLite file.
export RASA_TRACKER_DB ?= var/tracker.db
export RASA_URL ?= http://127.0.0.1:$(RASA_PORT)
# No network at run time: no telemetry, quiet TensorFlow.
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL ?= 3
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help setup nlu-build model run chat wechat-sim test lint typecheck validate \
        eval-overlap unit story-test nlu-regression eval-nlu nlu-data review-export lock clean \
        contract-venv contract-fuzz

help:
	@echo "The two commands:"
	@echo "  make run            set up, train if needed, start the assistant (XIAOKE_PROFILE=production: docs/production.md)"
	@echo "  make test           set up, then run every check and test (what CI runs)"
	@echo "While it runs:"
	@echo "  make chat           chat with the running assistant in this terminal"
	@echo "  make wechat-sim     send TEXT=... to the running assistant as WeChat would"
	@echo "Parts of make test:"
	@echo "  make lint           ruff check and ruff format --check"
	@echo "  make typecheck      mypy bot actions"
	@echo "  make validate       rasa data validate --fail-on-warnings"
	@echo "  make eval-overlap   check no training example copies ../shared/eval"
	@echo "  make unit           pytest (unit, integration, end-to-end, contract fuzzing)"
	@echo "  make story-test     rasa test core on tests/stories"
	@echo "  make nlu-regression rasa test nlu on tests/nlu/regression.yml, fail under tests/nlu/floors.yml"
	@echo "  make contract-fuzz  only the Schemathesis contract fuzzing of the backends"
	@echo "Setup and build:"
	@echo "  make setup          create .venv from requirements.lock"
	@echo "  make contract-venv  create .venv-contract for Schemathesis"
	@echo "  make nlu-build      build the spaCy zh pipeline into build/spacy_zh"
	@echo "  make model          train the model if its inputs changed"
	@echo "  make lock           re-resolve the dependencies and rewrite requirements.lock"
	@echo "  make clean          remove build/, results/ and the tool caches"
	@echo "Quality:"
	@echo "  make eval-nlu       score the NLU on ../shared/eval/dev.tsv (figures, confusion PNG, errors)"
	@echo "  make nlu-data       regenerate data/nlu/generated/ from scripts/paraphrase_templates.yml"
	@echo "  make review-export  write the console's reviewed messages to data/nlu/reviewed/ (masked)"
	@echo "  make help           this list"

# --- setup -----------------------------------------------------------------
$(STAMP): requirements.lock pyproject.toml scripts/find_python310.sh
	@py=$$(scripts/find_python310.sh); \
	if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))'; then \
	  rm -rf $(VENV); echo "creating $(VENV) with $$py"; "$$py" -m venv $(VENV); fi
	$(PY) -m pip install --quiet --upgrade "pip<25" wheel
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	$(PY) -m pip check
	@touch $@

setup: $(STAMP)

# Used by tests/integration/backends/test_schemathesis.py (part of `make unit`).
$(CONTRACT_STAMP): requirements-contract.txt scripts/find_python310.sh
	@py=$$(scripts/find_python310.sh); \
	if [ ! -x $(CONTRACT_VENV)/bin/python ] || \
	   ! $(CONTRACT_VENV)/bin/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))'; then \
	  rm -rf $(CONTRACT_VENV); echo "creating $(CONTRACT_VENV) with $$py"; "$$py" -m venv $(CONTRACT_VENV); fi
	$(CONTRACT_VENV)/bin/python -m pip install --quiet --upgrade "pip<25"
	$(CONTRACT_VENV)/bin/python -m pip install --quiet -r requirements-contract.txt
	$(CONTRACT_VENV)/bin/python -m pip check
	@touch $@

contract-venv: $(CONTRACT_STAMP)

# Only the contract fuzzing (make test runs it within `unit`).
contract-fuzz: $(STAMP) contract-venv
	$(PY) -m pytest -q tests/integration/backends/test_schemathesis.py

# spaCy zh pipeline (jieba + user dictionary + EntityRuler), built from the repo.
$(SPACY_MODEL): $(STAMP) bot/rasa_server/nlu/build_spacy_model.py bot/rasa_server/nlu/spacy_tokenizer.py \
                $(wildcard bot/rasa_server/nlu/resources/*)
	$(PY) -m bot.rasa_server.nlu.build_spacy_model --out build/spacy_zh

nlu-build: $(SPACY_MODEL)

# Trains only when config, domain, data or the NLU code changed (see bot/model_cache.py).
model: $(SPACY_MODEL)
	$(PY) -m bot.model_cache

# --- run -------------------------------------------------------------------
run: model
ifeq ($(XIAOKE_PROFILE),production)
	$(PY) profiles/launch.py
else
	@scripts/dev_env.sh
	@set -a; . var/dev.env; set +a; \
	if [ -n "$${CONSOLE_DEMO_PASSWORD:-}" ]; then \
	  $(PY) -m bot.console.users add demo --password "$$CONSOLE_DEMO_PASSWORD"; fi
	@echo ""
	@echo "Starting Xiaoke: Rasa server on http://$(RASA_INTERFACE):$(RASA_PORT), action server on port $(ACTION_PORT)."
	@echo "Chat with it as soon as the Rasa server logs 'Rasa server is up and running':"
	@echo "  make chat                     (in another terminal)"
	@echo "  curl -s localhost:$(RASA_PORT)/webhooks/rest/webhook -d '{\"sender\":\"me\",\"message\":\"你好\"}'"
	@echo "Agent console: http://127.0.0.1:$(CONSOLE_PORT)   shopper web chat: http://127.0.0.1:$(CONSOLE_PORT)/chat"
	@set -a; . var/dev.env; set +a; \
	if [ -n "$${CONSOLE_DEMO_PASSWORD:-}" ]; then echo "  console login: demo / $$CONSOLE_DEMO_PASSWORD (from var/dev.env)"; fi
	@echo "Ctrl-C stops everything."
	@if [ -n "$${WECHAT_TOKEN:-}" ] || grep -q '^WECHAT_TOKEN=.' var/dev.env 2>/dev/null; then \
	  echo "WeChat channel on: server URL https://<public host>/webhooks/wechat/webhook (Rasa port $(RASA_PORT))"; fi
	@echo ""
	$(VENV)/bin/honcho --env var/dev.env start orders crm actions rasa console
endif

chat: $(STAMP)
	$(PY) -m bot.devtools.chat --url http://127.0.0.1:$(RASA_PORT)

# Talk to the running assistant as the WeChat platform would (see README).
wechat-sim: $(STAMP)
	$(PY) -m bot.devtools.wechat_simulator --url http://127.0.0.1:$(RASA_PORT) $(or $(TEXT),你好)

# --- tests -----------------------------------------------------------------
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy bot actions

validate: $(STAMP)
	$(RASA) data validate --fail-on-warnings

# The training data and the NLU regression set are our own text, not ../shared/eval's.
eval-overlap:
	python3 $(SHARED)/tools/check_eval_overlap.py data
	python3 $(SHARED)/tools/check_eval_overlap.py tests/nlu

# pytest's exit status alone misses a test process that left early with status 0
# (os._exit): its JUnit report, written when the session ends, must be there.
unit: model contract-venv
	@mkdir -p results && rm -f results/pytest.xml
	$(PY) -m pytest -q --durations=25 --junitxml=results/pytest.xml
	$(PY) -m tests.support.session_report results/pytest.xml

story-test: model
	$(RASA) test core --model models --stories tests/stories --fail-on-prediction-errors \
	  --out results/stories

# Hard cases per class must stay right: rasa test nlu, then the floors.
nlu-regression: model
	$(RASA) test nlu --model models --nlu tests/nlu/regression.yml --successes --no-plot \
	  --out results/nlu-regression
	$(PY) -m tests.nlu.floor results/nlu-regression tests/nlu/floors.yml

test: lint typecheck validate eval-overlap contract-venv unit story-test nlu-regression
	@echo "all checks passed"

# Scores ../shared/eval/dev.tsv; another labelled set in its format (a private held-out
# set, say): make eval-nlu EVAL_DATA=path/to/set.tsv → benchmarks/results/nlu_<set>.*
EVAL_DATA ?= $(SHARED)/eval/dev.tsv
EVAL_NAME = $(if $(filter $(SHARED)/eval/dev.tsv,$(EVAL_DATA)),dev,$(basename $(notdir $(EVAL_DATA))))
eval-nlu: model
	@mkdir -p benchmarks/results
	$(PY) $(SHARED)/tools/nlu_eval.py --data $(EVAL_DATA) --show-errors \
	  --json benchmarks/results/nlu_$(EVAL_NAME).json | tee benchmarks/results/nlu_$(EVAL_NAME).txt
	$(PY) -m benchmarks.nlu_report benchmarks/results/nlu_$(EVAL_NAME).txt

# Generated training examples (read and prune them after a change: see the script).
nlu-data: $(STAMP)
	$(PY) scripts/nlu_paraphrase.py

# The console's 待标注 verdicts as training data (masked), then the overlap check.
review-export: $(STAMP)
	$(PY) -m bot.console.review_export
	python3 $(SHARED)/tools/check_eval_overlap.py data

# Re-resolve every dependency together with Rasa's pins and write the lock file.
lock: $(STAMP)
	$(PY) -m pip install --quiet -r requirements.in
	$(PY) -m pip check
	$(PY) -m pip freeze --exclude-editable | grep -v '^-e ' > requirements.lock

clean:
	rm -rf build results .pytest_cache .mypy_cache .ruff_cache
