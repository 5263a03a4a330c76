# vAccel in Rust: build, install and test.
#
#   make                 build libvaccel.so, the plugins and the examples into build/
#   make install PREFIX=<dir>
#                        install <dir>/{lib,include,lib/pkgconfig,bin,share/vaccel}
#   make test            the whole test suite (cargo tests, C ABI test, examples vs the spec,
#                        valgrind); needs ../shared beside the checkout for the spec data
#   make run             the reference scenario end to end: vaccel-rpc-agent with the CPU plugin,
#                        classify through libvaccel-rpc.so

PREFIX  ?= /usr/local
CARGO   ?= cargo
VERSION := 0.8.0
BUILD   := $(CURDIR)/build
STAGE   := $(BUILD)/stage
RELEASE := $(CURDIR)/target/release

PLUGINS := noop exec mbench rpc cpu

# The framework runtimes built into libvaccel-cpu.so (cargo features of vaccel-cpu): any of
# torch tensorflow tflite; FRAMEWORKS= builds none (their ops then answer VACCEL_ENOTSUP).
# torch links Debian's libtorch-dev (LIBTORCH=/usr); the others are loaded at run time.
FRAMEWORKS ?= torch tensorflow tflite
has = $(filter $(1),$(FRAMEWORKS))
FEATURES := $(if $(strip $(FRAMEWORKS)),--features "$(addprefix vaccel-cpu/,$(FRAMEWORKS))")
export LIBTORCH ?= /usr

# Run-time libraries of libvaccel-cpu.so, taken from PyPI wheels (loaded at run time, not
# linked): ONNX Runtime, TensorFlow's C API, LiteRT.
PYTHON      ?= python3
WHEELS      := $(BUILD)/wheels
ORT_VERSION := 1.32.0
ORT_DIR     := $(BUILD)/onnxruntime
ORT_LIB     := $(ORT_DIR)/libonnxruntime.so.$(ORT_VERSION)
TF_VERSION  := 2.21.0
TF_DIR      := $(BUILD)/tensorflow
TF_LIB      := $(TF_DIR)/libtensorflow_cc.so.2
LITERT_VERSION := 2.3.0
LITERT_DIR  := $(BUILD)/litert
LITERT_LIB  := $(LITERT_DIR)/libLiteRt.so
RUNTIMES    := $(ORT_LIB) $(if $(call has,tensorflow),$(TF_LIB)) $(if $(call has,tflite),$(LITERT_LIB))
PIP_DOWNLOAD = $(PYTHON) -m pip download -q --no-deps --only-binary=:all: --dest $(WHEELS)

.PHONY: all rust runtimes examples stage install lint test run bench fuzz fuzz-smoke soak clean

all: stage

rust:
	$(if $(call has,torch),@[ -f "$(LIBTORCH)/include/torch/script.h" ] || { echo \
	  "libtorch not found under LIBTORCH=$(LIBTORCH): apt-get install libtorch-dev (or build without it: FRAMEWORKS=\"tensorflow tflite\")" >&2; exit 1; })
	$(CARGO) build --release --workspace $(FEATURES)

runtimes: $(RUNTIMES)

$(ORT_LIB):
	$(PIP_DOWNLOAD) onnxruntime==$(ORT_VERSION)
	$(PYTHON) scripts/unpack-wheel.py $(WHEELS) onnxruntime-$(ORT_VERSION) $(ORT_DIR) \
	  onnxruntime/LICENSE onnxruntime/ThirdPartyNotices.txt \
	  onnxruntime/capi/libonnxruntime.so.$(ORT_VERSION)

$(TF_LIB):
	$(PIP_DOWNLOAD) tensorflow-cpu==$(TF_VERSION)
	$(PYTHON) scripts/unpack-wheel.py $(WHEELS) tensorflow_cpu-$(TF_VERSION) $(TF_DIR) \
	  tensorflow/include/LICENSE tensorflow/libtensorflow_framework.so.2 \
	  tensorflow/libtensorflow_cc.so.2

$(LITERT_LIB):
	$(PIP_DOWNLOAD) ai-edge-litert==$(LITERT_VERSION)
	$(PYTHON) scripts/unpack-wheel.py $(WHEELS) ai_edge_litert-$(LITERT_VERSION) $(LITERT_DIR) \
	  ai_edge_litert-$(LITERT_VERSION).dist-info/licenses/LICENSE ai_edge_litert/libLiteRt.so

# The install tree, assembled under build/stage, also used by the tests.
stage: rust $(RUNTIMES)
	mkdir -p $(STAGE)/lib/pkgconfig $(STAGE)/bin $(STAGE)/include $(STAGE)/share/vaccel
	install -m 0755 $(RELEASE)/libvaccel.so $(STAGE)/lib/libvaccel.so.$(VERSION)
	ln -sf libvaccel.so.$(VERSION) $(STAGE)/lib/libvaccel.so.0
	ln -sf libvaccel.so.0 $(STAGE)/lib/libvaccel.so
	for p in $(PLUGINS); do install -m 0755 $(RELEASE)/libvaccel_$$p.so $(STAGE)/lib/libvaccel-$$p.so; done
	install -m 0755 $(RELEASE)/vaccel-rpc-agent $(STAGE)/bin/vaccel-rpc-agent
	install -m 0755 $(ORT_LIB) $(STAGE)/lib/
	ln -sf libonnxruntime.so.$(ORT_VERSION) $(STAGE)/lib/libonnxruntime.so.1
	ln -sf libonnxruntime.so.1 $(STAGE)/lib/libonnxruntime.so
	mkdir -p $(STAGE)/share/doc/onnxruntime
	cp $(ORT_DIR)/LICENSE $(ORT_DIR)/ThirdPartyNotices.txt $(STAGE)/share/doc/onnxruntime/
	# TensorFlow (~850 MB) and LiteRT: hard links where the filesystem allows, not copies.
	$(if $(call has,tensorflow),for f in libtensorflow_cc.so.2 libtensorflow_framework.so.2; do \
	  ln -f $(TF_DIR)/$$f $(STAGE)/lib/$$f 2>/dev/null || cp $(TF_DIR)/$$f $(STAGE)/lib/$$f; done; \
	  mkdir -p $(STAGE)/share/doc/tensorflow && cp $(TF_DIR)/LICENSE $(STAGE)/share/doc/tensorflow/)
	$(if $(call has,tflite),install -m 0755 $(LITERT_LIB) $(STAGE)/lib/; \
	  mkdir -p $(STAGE)/share/doc/litert && cp $(LITERT_DIR)/LICENSE $(STAGE)/share/doc/litert/)
	cp -r include/. $(STAGE)/include/
	cp -r data/images data/labels data/input data/models $(STAGE)/share/vaccel/
	$(MAKE) -C examples LIBDIR=$(STAGE)/lib OUT=$(BUILD)/examples all
	for f in $(BUILD)/examples/*; do [ -f "$$f" ] && [ -x "$$f" ] || continue; \
	  case "$$f" in *.so) install -m 0755 "$$f" $(STAGE)/lib/ ;; *) install -m 0755 "$$f" $(STAGE)/bin/ ;; esac; done
	for pc in vaccel vaccel-rpc; do \
	  sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' $$pc.pc.in > $(STAGE)/lib/pkgconfig/$$pc.pc; done

install: stage
	mkdir -p $(PREFIX)
	cp -a $(STAGE)/. $(PREFIX)/
	for pc in vaccel vaccel-rpc; do \
	  sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' $$pc.pc.in > $(PREFIX)/lib/pkgconfig/$$pc.pc; done

run: stage
	bash scripts/scenario.sh $(STAGE)

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets $(FEATURES) -- -D warnings

test: stage lint
	$(CARGO) build --workspace $(FEATURES)
	VACCEL_STAGE=$(STAGE) $(CARGO) test --workspace $(FEATURES)
	# ... and the CPU plugin without its runtimes: their ops must answer ENOTSUP.
	$(CARGO) test -p vaccel-cpu --lib
	bash tests/c/run-abi-test.sh
	bash tests/c/api/run.sh $(STAGE)
	TEST_WRAPPER="valgrind -q --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all --error-exitcode=1 --child-silent-after-fork=yes" \
	  bash tests/c/api/run.sh $(STAGE)
	bash tests/run-examples.sh $(STAGE)
	bash tests/run-examples-rpc.sh $(STAGE) $(STAGE)/bin/vaccel-rpc-agent $(STAGE)/lib/libvaccel-rpc.so
	FRAMEWORKS="$(FRAMEWORKS)" bash tests/run-cpu-plugin.sh $(STAGE)
	$(CARGO) run --release -q -p vaccel-bench -- --quick --stage $(STAGE) > $(BUILD)/bench-smoke.md
	$(CARGO) run --release -q -p vaccel-cpu-kernels --bin sgemm-bench -- --quick > $(BUILD)/sgemm-smoke.md
	$(MAKE) fuzz-smoke

# Fuzzing (fuzz/, cargo-fuzz with libFuzzer): every target for FUZZ_SECONDS on the kept corpus
# (fuzz/corpus, read-only here; new inputs go to build/fuzz/corpus). `make test` runs a short
# smoke; `make fuzz` the long run (FUZZ_SECONDS=600). cargo-fuzz's sanitizer flags need
# RUSTC_BOOTSTRAP=1 on the stable toolchain.
FUZZ_TARGETS := frames messages address vaccel_config genop_args
FUZZ_SECONDS ?= 15
fuzz-smoke:
	command -v cargo-fuzz > /dev/null || $(CARGO) install --locked cargo-fuzz@0.13.2
	cd fuzz && RUSTC_BOOTSTRAP=1 $(CARGO) fuzz build
	for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(BUILD)/fuzz/corpus/$$t $(BUILD)/fuzz/artifacts/$$t && \
	  (cd fuzz && RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run $$t $(BUILD)/fuzz/corpus/$$t corpus/$$t -- \
	    -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix=$(BUILD)/fuzz/artifacts/$$t/) || exit 1; done

fuzz:
	$(MAKE) fuzz-smoke FUZZ_SECONDS=600

# The soak test (not in `make test`): 16 clients for 10 minutes through the agent.
soak: stage
	bash scripts/soak.sh $(STAGE) 600 16

bench: stage
	$(CARGO) run --release -p vaccel-bench -- --stage $(STAGE)
	$(CARGO) run --release -p vaccel-cpu-kernels --bin sgemm-bench

clean:
	$(CARGO) clean
	rm -rf $(BUILD)
