# Everyday commands. Each target creates .venv/ first when needed (Python 3.11).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup run test bench bench-enhance train train-seed train-upscaler train-general report fuzz
ENCODER := model/clip/clip_vit_b16.w8.onnx
setup: $(VENV)/.installed $(ENCODER)

$(VENV)/.installed: requirements.txt requirements-train.txt requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

$(ENCODER): | $(VENV)/.installed  ## the CLIP encoder: downloaded, sha256-checked, rewritten
	$(BIN)/python -m ai_image_classifier.encoder_setup

run: setup  ## start the app
	$(BIN)/python app.py

test: setup  ## the whole test suite (GUI tests need Xvfb; .ci/run installs it)
	$(BIN)/python -m ruff check .
	$(BIN)/python -m pytest

bench: setup  ## speed benchmarks; ratios against baselines measured in the same run
	$(BIN)/python bench/bench_runtime.py

fuzz: setup  ## 100,000 mutated images through decoding, the metadata readers (XMP, EXIF, PNG text, C2PA) and saving; then 20,000 random EXIF/ICC/XMP/text combinations saved into every format
	$(BIN)/python -m tests.corpus.fuzz --inputs 100000 --seed 1
	$(BIN)/python -m tests.corpus.fuzz_save --inputs 20000 --seed 1

bench-enhance: setup  ## enhancement quality (Set5/Set14) and speed against bicubic and the seed's pipeline
	$(BIN)/python bench/bench_enhance.py

train: setup  ## retrain the default model from ../shared/data into runs/ (about 30 minutes on 2 CPUs)
	$(BIN)/python -m training.train --recipe default

train-seed: setup  ## retrain the seed model into runs/ (about 4 minutes)
	$(BIN)/python -m training.train --recipe seed --name seed_cnn

GENERAL_DATA := ../shared/data-modern ../shared/data-general ../shared/data
train-general: setup  ## the general detector into runs/ (CLIP features cached in runs/clip-features: about an hour the first time, then 6 minutes; the block choice on val adds about 20)
	$(BIN)/python -m training.general --data $(GENERAL_DATA)
	$(BIN)/python -m training.general_report --data $(GENERAL_DATA) --card runs/general_detector.card.json --out runs/general-detector.md

train-upscaler: setup  ## retrain the learned 2x upscaler into runs/upscaler (about 20 minutes)
	$(BIN)/python -m training.superres

report: setup  ## leave-one-source-out runs of both recipes (about 75 minutes), then docs/model-report.md
	$(BIN)/python -m training.report --run-loso seed default

DIST_VENV := build/dist-venv
.PHONY: dist
dist:  ## frozen one-folder app in dist/AIImageClassifier, built from a clean venv
	rm -rf $(DIST_VENV) build/app dist/AIImageClassifier
	$(PYTHON) -m venv $(DIST_VENV)
	$(DIST_VENV)/bin/python -m pip install --quiet -r requirements.txt -r requirements-dist.txt
	$(DIST_VENV)/bin/python -m ai_image_classifier.encoder_setup  # bundled by app.spec
	$(DIST_VENV)/bin/python -m PyInstaller --noconfirm --log-level WARN --workpath build/app app.spec
