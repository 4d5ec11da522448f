# Fuzzing (not part of CI; CI replays the corpora in fuzz/corpus). FUZZ_SECONDS per target.
# New interesting inputs go to fuzz/work (ignored); crashers go to fuzz/corpus, which CI replays.
FUZZ_SECONDS ?= 60
PYTHON := .venv/bin/python

.PHONY: fuzz fuzz-python fuzz-rust

fuzz: fuzz-python fuzz-rust

fuzz-python:
	mkdir -p fuzz/work/images fuzz/work/api
	$(PYTHON) fuzz/python/fuzz_images.py fuzz/work/images fuzz/corpus/images \
		-max_total_time=$(FUZZ_SECONDS) -artifact_prefix=fuzz/corpus/images/crash-
	$(PYTHON) fuzz/python/fuzz_api.py fuzz/work/api fuzz/corpus/api \
		-max_total_time=$(FUZZ_SECONDS) -artifact_prefix=fuzz/corpus/api/crash-

fuzz-rust:
	command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
	mkdir -p fuzz/work/open_sealed
	cargo fuzz run --fuzz-dir fuzz -s none open_sealed fuzz/work/open_sealed fuzz/corpus/open_sealed \
		-- -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=fuzz/corpus/open_sealed/crash-
