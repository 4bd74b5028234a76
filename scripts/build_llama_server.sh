#!/usr/bin/env bash
# Build llama.cpp's llama-server for this CPU, and nothing else of llama.cpp, for machines where
# the prebuilt one of the [llm] extra does not run (it needs AVX-512) or for a faster native one.
# The source is the llama.cpp that llama-cpp-python==0.3.36's sdist carries (from PyPI).
# Needs cmake and a C++17 compiler; ~200 compile steps (minutes on 2 cores, once).
#   scripts/build_llama_server.sh [DEST]      default: .venv/bin/llama-server
# then: export SQA_LLM_SERVER_BINARY=$PWD/.venv/bin/llama-server  (or put it in .env)
set -euo pipefail
dest=${1:-.venv/bin/llama-server}
python=${PYTHON:-.venv/bin/python}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$python" -m pip download --quiet --no-deps --no-binary=:all: --dest "$work" \
  llama-cpp-python==0.3.36
tar -xzf "$work"/llama_cpp_python-0.3.36.tar.gz -C "$work"
# Static, native (-march=native), no TLS, no web UI download, no tests/examples/other tools.
cmake -S "$work/llama_cpp_python-0.3.36/vendor/llama.cpp" -B "$work/build" \
  -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF -DGGML_NATIVE=ON \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_APP=OFF \
  -DLLAMA_BUILD_SERVER=ON -DLLAMA_OPENSSL=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_BUILD_UI=OFF
cmake --build "$work/build" --target llama-server -j "$(nproc)"
install -D -m 755 "$work/build/bin/llama-server" "$dest"
echo "Built $dest: set SQA_LLM_SERVER_BINARY=$(realpath "$dest") to use it."
