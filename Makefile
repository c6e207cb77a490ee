# huibao — make targets. `make help` lists them.
# The kit runs in .venv (no JupyterLab: it makes every papermill import ~1.5 s slower);
# `make lab` uses a separate .venv-lab that adds JupyterLab.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
LAB    := .venv-lab
STAMP  := $(VENV)/.installed
LAB_STAMP := $(LAB)/.installed

.DEFAULT_GOAL := help
.PHONY: help demo test lint lab sample-data notebook-outputs render-deps clean bench lock

help: ## 列出可用命令
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

LOCK   := requirements.lock
LOCK_TOOLS := $(VENV)/lock-tools

# The kit and its test tools at the versions pinned (with hashes) in requirements.lock.
$(STAMP): pyproject.toml $(LOCK)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $@

PACKS = $(notdir $(patsubst %/,%,$(dir $(wildcard templates/*/indicators.yaml))))

demo: $(STAMP) ## 生成全部创建类别样例单位2025年的工作总结和汇报材料，以及文明城市的全市汇总和汇编（并行；未变化的跳过）
	@status=0; for c in $(PACKS); do \
	  $(BIN)/huibao run --all --campaign $$c --year 2025 --allow-missing \
	    --docs 工作总结,汇报材料 || status=1; \
	done; \
	$(BIN)/huibao rollup --campaign wenming_city --year 2025 --allow-missing || status=1; \
	exit $$status

test: $(STAMP) ## 运行全部测试（代码检查、分层导入约定、单元测试、文档审核、nbval）
	$(BIN)/ruff check src tests scripts benchmarks
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

lint: $(STAMP) ## 只运行代码检查（ruff）和分层导入约定（import-linter）
	$(BIN)/ruff check src tests scripts benchmarks
	$(BIN)/lint-imports

$(LAB_STAMP): pyproject.toml
	@test -x $(LAB)/bin/python || $(PYTHON) -m venv $(LAB)
	$(LAB)/bin/python -m pip install --quiet --upgrade pip
	$(LAB)/bin/python -m pip install --quiet -e '.[lab]'
	@touch $@

lab: $(LAB_STAMP) ## 打开 JupyterLab（独立环境 .venv-lab）
	$(LAB)/bin/jupyter lab notebooks

sample-data: $(STAMP) ## 由固定随机种子重新生成 data/ 中的样例工作簿
	$(BIN)/python scripts/make_sample_data.py --campaign all
	$(BIN)/python scripts/sample_texts.py --campaign all

notebook-outputs: $(STAMP) ## 重新执行 notebook 并记录 nbval 比对的输出（有意修改后使用）
	$(BIN)/python scripts/record_notebook_outputs.py

bench: $(STAMP) ## 性能基准：10、100 个单位（BENCH_ARGS="--sizes 10,100,1000" 加测 1000 个），写入 benchmarks/results.md
	$(BIN)/python benchmarks/bench.py --profile $(BENCH_ARGS)

lock: ## 按 pyproject.toml 重新解析依赖，写入 requirements.lock（需联网；之后运行 make test 并提交）
	@test -x $(LOCK_TOOLS)/bin/uv || { $(PYTHON) -m venv $(LOCK_TOOLS) && \
		$(LOCK_TOOLS)/bin/python -m pip install --quiet uv; }
	$(LOCK_TOOLS)/bin/uv pip compile pyproject.toml --extra test --universal \
		--python-version 3.11 --generate-hashes --custom-compile-command "make lock" -o $(LOCK)

render-deps: ## 安装 PDF 渲染检查所需的 LibreOffice 与 poppler（需要 root，可选）
	scripts/install-render-deps.sh

clean: ## 删除生成的文件和虚拟环境
	rm -rf $(VENV) $(LAB) outputs/[0-9]* .pytest_cache .ruff_cache
