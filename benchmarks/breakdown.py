r"""Where one epoch of bp.train goes, piece by piece, with the functions it runs.

    python benchmarks/breakdown.py medium            # 1 BLAS thread, process CPU time
    python benchmarks/breakdown.py large --threads 2 --clock wall
    python benchmarks/breakdown.py small --bp HEAD   # bp/ as committed, not as on disk

Times in ms per epoch (and μs per batch), median of 5, on the configs of run.py,
for the bp given by ``--bp`` (copied first, as run.py does):

  epoch, no J        bp.descent.epoch(..., want_J=False): the ⌈m/k⌉ updates of one
                     iteration, what bp.train(record_loss=False) runs per iteration
  epoch, running J   the same with want_J=True: each batch's J from its own forward
                     pass (bp.train's default History.loss with mini-batches)
  exact J pass       J over all m after the epoch, forward only
                     (record_loss="exact"; with a full batch J is free)
  batch_gradients    the gradients of the epoch's batches alone, no update, of which:
    gather             copying the shuffled batches' columns of X and Y
    forward            bp.propagation.forward into the workspace's buffers
    backward           bp.propagation.backward (δ^L, then δ^l for l = L-1..2)
    layer_gradients    bp.propagation.layer_gradients (δ^l (a^{l-1})^T and Σ_i δ^{i,l})
    objective          bp.losses.objective of each batch (the running J)
  update             work.optimizer.step (plain GD: bp.optimizers.update), per batch
  floor, floor + J   run.py's matmul floors

Then the cost of a bp.train call that does not depend on the number of epochs
(argument checks, buffers, J at the start, the stall diagnosis at the end): the
intercept of bp.train's time against max_iter, from calls of 1 and 3 epochs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import run as R


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("config", choices=list(R.CONFIGS))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--clock", choices=("wall", "cpu"), default="cpu")
    parser.add_argument("--bp", default="worktree", help="a git revision, or 'worktree'")
    args = parser.parse_args(argv)
    import threadpoolctl

    threadpoolctl.threadpool_limits(args.threads)
    R.prepare(args.bp)
    bp = R.import_bp("bp")
    from bp import descent, losses, propagation

    config = R.CONFIGS[args.config]
    rows_X, rows_Y = R.make_data(config)
    X, Y = rows_X.T, rows_Y.T
    net = R.make_net(bp, config)
    m, k = config.m, config.k
    rng = np.random.default_rng(0)
    work = descent.Workspace(net, X, Y, alpha=0.0, k=k, reduction="mean", rng=rng)
    order = np.random.default_rng(0).permutation(m)
    batches = [order[s : s + k] if k < m else slice(None) for s in range(0, m, k)]
    zero = ({l: np.zeros_like(W) for l, W in net.W.items()},
            {l: np.zeros_like(b) for l, b in net.b.items()})  # fmt: skip

    def epoch(want_J):
        return lambda: descent.epoch(work, want_J=want_J)

    def per_batch(step):
        def run():
            for i in range(len(batches)):
                step(i)

        return run

    # Each piece on its own, over one batch's buffers (full batch: its first chunk), with
    # the batch's columns of X and Y gathered beforehand.
    parts = [cols if k <= work.chunk else slice(0, work.chunk) for cols in batches]
    xs = [np.asfortranarray(X[:, part]) for part in parts]
    ys = [np.asfortranarray(Y[:, part]) for part in parts]
    bufs = [work.layers(x.shape[1]) for x in xs]  # z, a, δ, x, y for that width

    def gather(i):
        *_, xb, yb = bufs[i]
        descent._columns(X, parts[i], xb), descent._columns(Y, parts[i], yb)

    def forward(i):
        z, a, *_ = bufs[i]
        propagation.forward(net, xs[i], z, a)

    def backward(i):
        z, a, delta, *_ = bufs[i]
        propagation.backward(net, z, a, ys[i], delta)

    def gradients(i):
        _, a, delta, *_ = bufs[i]
        propagation.layer_gradients(net, delta, a, 0.0, work.dW, work.db)

    def objective(i):
        z, a, *_ = bufs[i]
        losses.objective(net, z[net.L], a[net.L], ys[i])

    def update(i):
        work.optimizer.step(net, *zero, 0.0, work.state, k)

    scale = -(-k // work.chunk)  # chunks per batch: more than 1 only for a full batch
    floor, floor_J = R.floor(config, np.float64, False), R.floor(config, np.float64, True)
    pieces = {
        "epoch, no J": epoch(False),
        "epoch, running J": epoch(True),
        "exact J pass": lambda: descent.batch_gradients(work, slice(None), grad=False),
        "batch_gradients": per_batch(
            lambda i: descent.batch_gradients(work, batches[i], want_J=False)
        ),
        "  gather": per_batch(gather),
        "  forward": per_batch(forward),
        "  backward": per_batch(backward),
        "  layer_gradients": per_batch(gradients),
        "  objective": per_batch(objective),
        "update": per_batch(update),
        "floor": lambda: floor(1),
        "floor + J": lambda: floor_J(1),
    }
    now = time.process_time if args.clock == "cpu" else time.perf_counter
    times = {name: [] for name in pieces}
    for run in pieces.values():
        run()
    for _ in range(5):
        for name, run in pieces.items():
            t0 = now()
            run()
            times[name].append(1000 * (now() - t0))
    n_batches = len(batches)
    print(f"{config.label()}, {args.threads} thread(s), {args.clock} time, bp {args.bp}")
    print(f"{'':24s} {'ms/epoch':>9s} {'μs/batch':>9s}")
    for name, t in times.items():
        ms = statistics.median(t)
        if name.startswith("  "):
            ms *= scale  # pieces run on one chunk: × the chunks of a full batch
        print(f"  {name:22s} {ms:9.2f} {1000 * ms / n_batches:9.1f}")

    # The fixed cost of one bp.train call: intercept of time against max_iter.
    start = net.copy()
    for record in (True, False):
        t = {1: [], 3: []}
        for _ in range(3):
            for E in t:
                copy = start.copy()
                t0 = now()
                bp.train(copy, X, Y, alpha=R.ALPHA, max_iter=E, epsilon=0.0,
                         batch_size=config.batch, reduction="mean", seed=0,
                         record_loss=record)  # fmt: skip
                t[E].append(1000 * (now() - t0))
        t1, t3 = statistics.median(t[1]), statistics.median(t[3])
        print(
            f"  bp.train(record_loss={record}): {(t3 - t1) / 2:.2f} ms per epoch, "
            f"{t1 - (t3 - t1) / 2:.2f} ms per call"
        )


if __name__ == "__main__":
    main()
