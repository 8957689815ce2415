# Everyday commands. Each target creates .venv/ first when needed, with Python 3.11 exactly.
#   make run    the runtime only (requirements.txt, the package, the CLIP encoder), then the app
#   make test   adds the training and test requirements, then lint and the whole suite
# Separate stamps: `make run` then `make test` adds only what tests need; `make test` then
# `make run` installs nothing more.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup setup-runtime run test bench bench-enhance train train-seed train-upscaler train-general report fuzz
ENCODER := model/clip/clip_vit_b16.w8.onnx
setup-runtime: $(VENV)/.runtime $(ENCODER)  ## what the app needs, nothing for training or tests
setup: $(VENV)/.dev $(ENCODER)  ## everything: runtime, training, tests

# Every pin was checked with Python 3.11 only: any other version stops here, saying what to do.
CHECK_PYTHON = @$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null || { \
	  echo "make: this project needs Python 3.11, and '$(PYTHON)' is missing or another version." >&2; \
	  echo "      Install Python 3.11 (python.org, your package manager or pyenv), or name it:" >&2; \
	  echo "      make $(MAKECMDGOALS) PYTHON=/path/to/python3.11" >&2; exit 1; }

$(BIN)/python:
	$(CHECK_PYTHON)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# requirements-setup.txt: what the encoder's setup needs beyond the runtime (onnx), never bundled.
$(VENV)/.runtime: requirements.txt requirements-setup.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt -r requirements-setup.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

# requirements-dev.txt includes requirements-train.txt (TensorFlow, scikit-learn, Matplotlib).
$(VENV)/.dev: requirements-dev.txt requirements-train.txt $(VENV)/.runtime
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --no-deps invisible-watermark==0.2.0
	touch $@

$(ENCODER): | $(VENV)/.runtime  ## the CLIP encoder: downloaded, sha256-checked, rewritten
	$(BIN)/python -m ai_image_classifier.encoder_setup

run: setup-runtime  ## start the app
	$(BIN)/python app.py

# Two processes, one after the other: the window's tests never share one with TensorFlow and
# the training tests, so the suite's peak is the larger part's, not both together.
WINDOW_TESTS := tests/test_gui*.py
test: setup  ## the whole test suite (GUI tests need Xvfb; .ci/run installs it)
	$(BIN)/python -m ruff check .
	$(BIN)/python -m pytest $(foreach f,$(wildcard $(WINDOW_TESTS)),--ignore=$(f))
	$(if $(wildcard $(WINDOW_TESTS)),$(BIN)/python -m pytest $(wildcard $(WINDOW_TESTS)))

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

# The face set is sampled (training/face_sample.py); every other set is read whole.
GENERAL_DATA := ../shared/data-wild ../shared/data-modern ../shared/data-general runs/data-faces
FEATURES := $(BIN)/python -m training.clip_features
train-general: setup  ## the general detector into runs/ (CLIP features cached in runs/clip-features: about 80 minutes the first time on 2 CPUs, then 10 minutes)
	$(BIN)/python -m training.face_sample ../shared/data --out runs/data-faces
	$(FEATURES) --data $(GENERAL_DATA) --views clean
	$(FEATURES) --data ../shared/data-wild ../shared/data-modern ../shared/data-general --splits train --views augmented
	$(FEATURES) --data ../shared/data-wild --splits val test --views jpeg80 webp80 scale75 scale50
	$(FEATURES) --data ../shared/data-wild ../shared/data-modern ../shared/data-general --splits val test --views control
	$(BIN)/python -m training.general --data $(GENERAL_DATA) --blocks 3,5,7,9 --block-choice-from model/general_detector.card.json
	$(BIN)/python -m training.general_report --data $(GENERAL_DATA) --card runs/general_detector.card.json --out runs/general-detector.md

train-upscaler: setup  ## retrain the learned 2x and 4x upscalers into runs/upscaler (about 40 minutes)
	$(BIN)/python -m training.superres
	$(BIN)/python -m training.superres --scale 4 --patch 128 --epochs 12

report: setup  ## leave-one-source-out runs of both recipes (about 75 minutes), then docs/model-report.md
	$(BIN)/python -m training.report --run-loso seed default

DIST_VENV := build/dist-venv
.PHONY: dist
dist:  ## frozen one-folder app in dist/AIImageClassifier, built from a clean venv
	$(CHECK_PYTHON)
	rm -rf $(DIST_VENV) build/app dist/AIImageClassifier
	$(PYTHON) -m venv $(DIST_VENV)
	$(DIST_VENV)/bin/python -m pip install --quiet -r requirements.txt -r requirements-dist.txt
	$(DIST_VENV)/bin/python -m ai_image_classifier.encoder_setup  # bundled by app.spec
	$(DIST_VENV)/bin/python -m PyInstaller --noconfirm --log-level WARN --workpath build/app app.spec
