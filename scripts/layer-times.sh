#!/usr/bin/env bash
# Per-layer forward and backward milliseconds per batch, convscope then PyTorch
# (torch.profiler), as Markdown tables: training batch 64, inference batch 100.
#   scripts/layer-times.sh [threads] [steps]
# Needs Debian's PyTorch (apt-get install -y python3-torch python3-numpy) for the
# second table. GEMM_KERNEL=avx2 times convscope's AVX2 kernels on an AVX-512 CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${1:-2}
steps=${2:-100}
GOMAXPROCS=$threads LAYER_TIMES=$steps go test -count=1 -run '^TestLayerTimes$' -v ./nn | sed -n '/^convscope/,/^| \*\*total/p'
echo
/usr/bin/python3 scripts/pytorch/layer_times.py --threads "$threads" --blas-threads 1 --steps "$steps"
