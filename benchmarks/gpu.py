r"""bp on a GPU (CuPy) against PyTorch on the same GPU, and bp on 1, 4 and all CPU threads.

    python benchmarks/gpu.py                 # everything, a few minutes on one GPU
    python benchmarks/gpu.py --quick         # fewer repeats

Runs only where CuPy and a CUDA GPU exist (it says so and exits 0 elsewhere). Every
implementation trains 784-512-512-10 (sigmoid hidden layers, identity output, the mean
squared error averaged over each batch, plain SGD, α = 0.01) on 60,000 random samples
of MNIST's shape, at batch 128 and full batch, in float32 and float64:

  bp cupy      bp.train on net.to("cupy") and CuPy arrays: the same formula functions
  PyTorch      nn.Sequential on the same GPU, torch.optim.SGD, same batches
  bp cpu T     bp.train on NumPy arrays with T BLAS threads (threadpoolctl), 20,000 samples

A time is the median of the repeats of one epoch (after one warm-up epoch), with the
GPU synchronised before the clock stops. The last lines compare bp on CuPy with bp on
NumPy after the same epochs from the same start (largest weight difference).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

import bp

SIZES, ALPHA = (784, 512, 512, 10), 0.01


def data(m: int, dtype) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((m, SIZES[0])).astype(dtype).T  # samples contiguous, as mnist()
    Y = rng.uniform(size=(m, SIZES[-1])).astype(dtype).T
    return X, Y


def time_bp(net, X, Y, k, repeats, sync=lambda: None) -> list[float]:
    kwargs = dict(alpha=ALPHA, max_iter=1, epsilon=0.0, batch_size=k, reduction="mean")
    bp.train(net, X, Y, seed=0, record_loss=False, **kwargs)  # warm-up
    times = []
    for r in range(repeats):
        sync()
        start = time.perf_counter()
        bp.train(net, X, Y, seed=r, record_loss=False, **kwargs)
        sync()
        times.append(time.perf_counter() - start)
    return times


def time_torch(X, Y, k, repeats, dtype) -> list[float]:
    import torch

    device = torch.device("cuda")
    tdtype = torch.float32 if dtype == np.float32 else torch.float64
    Xt = torch.tensor(np.ascontiguousarray(X.T), device=device, dtype=tdtype)
    Yt = torch.tensor(np.ascontiguousarray(Y.T), device=device, dtype=tdtype)
    model = bp.to_torch(bp.Network(SIZES, "sigmoid", "identity", seed=0, dtype=dtype)).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=ALPHA)
    m = Xt.shape[0]

    def epoch(seed: int) -> None:
        order = torch.randperm(
            m, device=device, generator=torch.Generator(device).manual_seed(seed)
        )
        for start in range(0, m, k):
            cols = order[start : start + k]
            opt.zero_grad()
            x, y = Xt[cols], Yt[cols]
            (0.5 * ((model(x) - y) ** 2).sum() / x.shape[0]).backward()
            opt.step()

    epoch(0)
    times = []
    for r in range(repeats):
        torch.cuda.synchronize()
        start = time.perf_counter()
        epoch(r)
        torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    try:
        import cupy
    except ImportError:
        print("benchmarks/gpu.py: CuPy is not installed; nothing to run here")
        return 0
    if cupy.cuda.runtime.getDeviceCount() == 0:
        print("benchmarks/gpu.py: no CUDA GPU; nothing to run here")
        return 0
    from threadpoolctl import threadpool_limits

    repeats = 3 if args.quick else 7
    name = cupy.cuda.runtime.getDeviceProperties(0)["name"].decode()
    print(f"GPU: {name}; CuPy {cupy.__version__}; NumPy {np.__version__}; CPUs {os.cpu_count()}")
    sync = cupy.cuda.Device().synchronize
    rows = []
    for dtype in (np.float32, np.float64):
        X, Y = data(60_000, dtype)
        Xg, Yg = cupy.asarray(X), cupy.asarray(Y)
        for k in (128, None):
            label = f"{np.dtype(dtype).name}, {'batch 128' if k else 'full batch'}"
            net = bp.Network(SIZES, "sigmoid", "identity", seed=0, dtype=dtype).to("cupy")
            t_bp = statistics.median(time_bp(net, Xg, Yg, k, repeats, sync))
            try:
                t_torch = statistics.median(time_torch(X, Y, k or 60_000, repeats, dtype))
            except Exception as err:  # no CUDA build of torch here
                print(f"PyTorch skipped: {err}")
                t_torch = float("nan")
            rows.append((label, t_bp, t_torch))
            print(f"{label:24} bp cupy {t_bp:8.4f} s/epoch  PyTorch {t_torch:8.4f}  "
                  f"ratio bp/PyTorch {t_bp / t_torch:.2f}", flush=True)  # fmt: skip
    X, Y = data(20_000, np.float64)
    for threads in sorted({1, 4, os.cpu_count()}):
        with threadpool_limits(threads):
            net = bp.Network(SIZES, "sigmoid", "identity", seed=0)
            t = statistics.median(time_bp(net, X, Y, 128, max(3, repeats // 2)))
        print(
            f"bp cpu, {threads:2} threads, 20,000 samples, batch 128: {t:.3f} s/epoch", flush=True
        )
    X, Y = data(2_000, np.float64)
    host = bp.Network(SIZES, "sigmoid", "identity", seed=0)
    gpu = host.to("cupy")
    kwargs = dict(alpha=ALPHA, max_iter=2, epsilon=0.0, batch_size=128, reduction="mean", seed=0)
    bp.train(host, X, Y, **kwargs)
    bp.train(gpu, cupy.asarray(X), cupy.asarray(Y), **kwargs)
    back = gpu.to("numpy")
    diff = max(float(np.abs(back.W[l] - host.W[l]).max()) for l in host.W)
    print(f"bp cupy vs bp numpy after 2 epochs (float64): largest weight difference {diff:.1e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
