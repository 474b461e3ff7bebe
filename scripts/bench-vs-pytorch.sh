#!/usr/bin/env bash
# Times convscope and the reference PyTorch script on this machine, one after
# the other, with the same thread count, and prints both figures and the ratio.
# Needs Debian's PyTorch: apt-get install -y python3-torch python3-numpy
#   scripts/bench-vs-pytorch.sh [threads] [batches]
# The reference is scripts/pytorch/seed_cnn.py, a copy of ../shared/bench/seed_cnn.py
# whose inference figure is PyTorch's best setting (inference_mode, batch 100 or
# 1000, NCHW or channels_last) instead of batch 1000 in NCHW only; PYTORCH_REF
# picks another script. Set GEMM_KERNEL=avx2 to time convscope's AVX2 kernels on
# an AVX-512 CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${1:-2}
batches=${2:-300}
ref=${PYTORCH_REF:-scripts/pytorch/seed_cnn.py}
go build -o /tmp/convscope-bench .
run_cs() { GOMAXPROCS=$threads /tmp/convscope-bench bench --threads "$threads" --batches "$batches" --json; }
run_pt() { /usr/bin/python3 "$ref" --threads "$threads" --blas-threads "$1" --epochs 1 --limit-batches "$batches" --log-every 0 --infer-reps 3 | sed -n 's/^JSON //p'; }
cs1=$(run_cs)
pt1=$(run_pt 1)
pt2=$(run_pt "$threads")
cs2=$(run_cs)
python3 - "$cs1" "$cs2" "$pt1" "$pt2" <<'PY'
import json, sys
cs = [json.loads(a) for a in sys.argv[1:3]]
pt = [json.loads(a) for a in sys.argv[3:5]]
def pt_train(j): return j["epochs"][-1]["train"]["steady"]["ips"]
def pt_infer(j): return j["epochs"][-1]["eval"]["infer_best_ips"]
ct = max(c["train_images_per_second"] for c in cs)
ci = max(c["infer_images_per_second"] for c in cs)
pt_t = max(pt_train(p) for p in pt)
pt_i = max(pt_infer(p) for p in pt)
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
fam = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("cpu family")), "?")
mod = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model\t")), "?")
print(f"CPU {cpu} (family {fam} model {mod}), kernel {cs[0]['kernel']}, {cs[0]['threads']} threads")
print(f"{'':12}{'convscope':>12}{'PyTorch':>12}{'ratio':>8}")
print(f"{'train img/s':12}{ct:12.0f}{pt_t:12.0f}{ct/pt_t:8.2f}")
print(f"{'infer img/s':12}{ci:12.0f}{pt_i:12.0f}{(ci/pt_i if pt_i else float('nan')):8.2f}")
best = max(pt, key=pt_infer)["epochs"][-1]["eval"]
if "infer_best_config" in best:
    print(f"PyTorch inference: best setting {best['infer_best_config']}; the shared reference's setting (batch 1000, NCHW, no_grad) gave", [round(p["epochs"][-1]["eval"]["infer_ref_ips"]) for p in pt])
print("convscope runs:", [round(c["train_images_per_second"]) for c in cs], "PyTorch runs (blas 1, blas N):", [round(pt_train(p)) for p in pt], [round(pt_infer(p)) for p in pt])
PY
