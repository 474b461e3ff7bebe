#!/usr/bin/env python3
"""Per-layer forward/backward milliseconds per batch of the reference PyTorch
model (seed_cnn.build_model), from torch.profiler, in the same Markdown form
as convscope's `LAYER_TIMES=... go test -run LayerTimes -v ./nn`.

    /usr/bin/python3 scripts/pytorch/layer_times.py [--threads 2] [--blas-threads 1] [--steps 50]

Training: batch 64, Adam, the training step of seed_cnn.py. Forward times come
from a record_function around each module's forward; backward times are the
autograd nodes each module created (ConvolutionBackward0, ...), matched to the
modules in reverse order. Inference: batch 100 under torch.inference_mode, in
the memory format given by --infer-format.
"""
import argparse
import os
import sys

p = argparse.ArgumentParser()
p.add_argument("--threads", type=int, default=2)
p.add_argument("--blas-threads", type=int, default=1)
p.add_argument("--steps", type=int, default=50)
p.add_argument("--infer-format", choices=["contiguous", "channels_last"], default="channels_last")
args = p.parse_args()
for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[k] = str(args.threads)
os.environ["OPENBLAS_NUM_THREADS"] = str(args.blas_threads)
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
sys.argv = [sys.argv[0]]  # seed_cnn parses its own flags at import
import seed_cnn as S  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch.autograd.profiler import record_function  # noqa: E402
from torch.profiler import ProfilerActivity, profile  # noqa: E402

torch.set_num_threads(args.threads)
torch.manual_seed(1)
Xtr, Ytr, Xte, Yte = S.load_mnist(S.find_data_dir(""))
model = S.build_model()
opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
mods = list(model)
names = []
count = {}
for m in mods:
    k = type(m).__name__
    count[k] = count.get(k, 0) + 1
    names.append(f"{k.lower()}_{count[k]}")

open_rf = {}


def pre(i):
    def h(m, inp):
        rf = record_function(f"layer{i}")
        rf.__enter__()
        open_rf[i] = rf
    return h


def post(i):
    def h(m, inp, out):
        open_rf.pop(i).__exit__(None, None, None)
    return h


for i, m in enumerate(mods):
    m.register_forward_pre_hook(pre(i))
    m.register_forward_hook(post(i))

# Which autograd nodes each module kind creates.
BWD = {"Conv2d": ("ConvolutionBackward",), "BatchNorm2d": ("NativeBatchNormBackward", "BatchNormBackward"),
       "ReLU": ("ReluBackward", "ThresholdBackward"), "MaxPool2d": ("MaxPool2DWithIndicesBackward",),
       "Flatten": ("ViewBackward", "ReshapeAliasBackward", "UnsafeViewBackward"),
       "Linear": ("AddmmBackward", "TBackward", "MmBackward")}
LOSS = ("NllLossBackward", "LogSoftmaxBackward")


def step(b):
    idx = torch.arange(b * 64, (b + 1) * 64) % Xtr.shape[0]
    xb, yb = Xtr[idx], Ytr[idx]
    with record_function("fwd_total"):
        out = model(xb)
    with record_function("loss"):
        loss = F.cross_entropy(out, yb)
    opt.zero_grad(set_to_none=True)
    with record_function("bwd_total"):
        loss.backward()
    with record_function("adam"):
        opt.step()


model.train()
for b in range(10):
    step(b)
with profile(activities=[ProfilerActivity.CPU]) as prof:
    for b in range(args.steps):
        step(10 + b)
fwd = [0.0] * len(mods)
bwd = [0.0] * len(mods)
other = {"loss": 0.0, "adam": 0.0, "loss bwd": 0.0}
evs = sorted(prof.events(), key=lambda e: e.time_range.start)
nodes = []
for e in evs:
    if e.name.startswith("layer") and e.name[5:].isdigit():
        fwd[int(e.name[5:])] += e.time_range.elapsed_us()
    elif e.name in ("loss", "adam"):
        other[e.name] += e.time_range.elapsed_us()
    elif e.name.startswith("autograd::engine::evaluate_function: "):
        n = e.name.split(": ", 1)[1]
        if "AccumulateGrad" not in n:
            nodes.append((n, e.time_range.elapsed_us()))
# Match nodes to modules: each backward pass visits the modules in reverse.
order = list(range(len(mods)))[::-1]
pos = 0
unmatched = 0
for n, us in nodes:
    if n.startswith(LOSS):
        other["loss bwd"] += us
        pos = 0
        continue
    if n.startswith("TBackward") and pos > 0 and type(mods[order[pos - 1]]).__name__ == "Linear":
        bwd[order[pos - 1]] += us
        continue
    while pos < len(order) and not n.startswith(BWD[type(mods[order[pos]]).__name__]):
        pos += 1
    if pos == len(order):
        unmatched += 1
        pos = 0
        continue
    bwd[order[pos]] += us
    pos += 1

# Inference, batch 100.
inf = [0.0] * len(mods)
im = model
Xi = Xte
if args.infer_format == "channels_last":
    im = model.to(memory_format=torch.channels_last)
    Xi = Xte.contiguous(memory_format=torch.channels_last)
im.eval()
with torch.inference_mode():
    for b in range(5):
        im(Xi[b * 100:(b + 1) * 100])
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for b in range(args.steps):
            j = (b * 100) % (Xi.shape[0] - 100)
            im(Xi[j:j + 100]).argmax(1)
for e in prof.events():
    if e.name.startswith("layer") and e.name[5:].isdigit():
        inf[int(e.name[5:])] += e.time_range.elapsed_us()

ms = lambda us: us / 1000 / args.steps  # noqa: E731
print(f"PyTorch {torch.__version__}, {args.threads} threads, OpenBLAS threads {args.blas_threads}, "
      f"inference {args.infer_format}, {args.steps} steps: ms per batch (profiler overhead included)\n")
print("| layer | train fwd (64) | train bwd (64) | infer fwd (100) |\n|---|--:|--:|--:|")
for i, m in enumerate(mods):
    print(f"| {names[i]} | {ms(fwd[i]):.2f} | {ms(bwd[i]):.2f} | {ms(inf[i]):.2f} |")
print(f"| loss | {ms(other['loss']):.2f} | {ms(other['loss bwd']):.2f} | |")
print(f"| optimizer (Adam) | | {ms(other['adam']):.2f} | |")
print(f"| **total** | {ms(sum(fwd) + other['loss']):.2f} | {ms(sum(bwd) + other['loss bwd'] + other['adam']):.2f} | {ms(sum(inf)):.2f} |")
if unmatched:
    print(f"\n({unmatched} autograd nodes not matched to a module)")
