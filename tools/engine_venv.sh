#!/bin/bash
# A throwaway venv with an engine's pinned release, for `make engine-facts` (never the
# project's .venv, never committed): the release's pure-Python requirements, the GPU stack
# left out, and this machine's CPU build of torch, enough to import the engine's argument
# parser. Usage: tools/engine_venv.sh NAME VERSION DIR_WITH_THE_WHEEL  (e.g. vllm 0.34.0 dl/)
# vllm-tpu publishes a cp312 wheel only: its venv is a Python 3.11 venv with the wheel's
# files unzipped into site-packages and a .pth to vllm-<gpu version>'s site-packages, plus
# PyPI tpu-inference (the same version, --no-deps) for the VLLM_* names it reads.
set -e
name=$1; ver=$2; dir=$3
venv=${ENGINES:-/tmp/engines}/$name-$ver
python3 -m venv "$venv"
"$venv/bin/pip" install -q --upgrade pip
"$venv/bin/pip" install -q /opt/wheels/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl
whl=$(ls "$dir"/*.whl | head -1)
"$venv/bin/pip" install -q --no-deps "$whl"
unzip -p "$whl" '*.dist-info/METADATA' | sed -n 's/^Requires-Dist: //p' | grep -v 'extra ==' \
  | grep -viE '^(torch|torchaudio|torchvision|torchcodec|PyNvVideoCodec|flashinfer|apache-tvm|tilelang|nvidia|nvtx|fastsafetensors|instanttensor|quack|tokenspeed|humming|xformers|triton|cuda|sgl-kernel|sglang-kernel|flash|deep|mooncake|cupy|decord|torch_memory|torchao|kt-kernel|nixl)' \
  | sed 's/ *;.*$//' > "$venv/reqs.txt"
"$venv/bin/pip" install -q -r "$venv/reqs.txt"
echo "DONE $name $ver"
