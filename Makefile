# make run   - the bot: terminal chat without TELEGRAM_BOT_TOKEN, Telegram with it
# make test  - every check: ruff, content validation, matching evaluation, pytest
# make bench - benchmarks (printed as tables)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EVAL ?= ../shared/eval/dev.jsonl

.PHONY: run test bench lint validate eval clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev,postgres]"
	touch $(STAMP)

run: $(STAMP)
	@if [ -n "$$TELEGRAM_BOT_TOKEN$$TELEGRAM_BOT_TOKEN_FILE" ] && $(BIN)/hrbot run --help >/dev/null 2>&1; then \
		$(BIN)/hrbot run; \
	else \
		$(BIN)/hrbot chat; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

validate: $(STAMP)
	$(BIN)/hrbot validate

eval: $(STAMP)
	@if [ -f $(EVAL) ]; then \
		$(BIN)/hrbot eval $(EVAL) --min-emergency-recall 1.0 --max-false-emergency 0.02 > .eval.out; status=$$?; \
		grep -v '^  line ' .eval.out; rm -f .eval.out; exit $$status; \
	else echo "no $(EVAL): skipping the matching evaluation"; fi

test: lint validate eval
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/storage.py
	$(BIN)/python bench/telegram.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
