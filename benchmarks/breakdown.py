r"""Where one epoch of bp.train's fast path goes, piece by piece.

    python benchmarks/breakdown.py medium            # 1 BLAS thread, process CPU time
    python benchmarks/breakdown.py large --threads 2 --clock wall

Times, in ms per epoch (median of 5), on the configs of run.py:

  iteration       the ⌈m/k⌉ updates of one epoch (bp.fast.trainer's call)
  J pass          J over all m samples after it (its .loss())
  gradients       the gradients of the epoch's batches alone, no update
  gather          copying the shuffled batches' columns of X and Y
  update, in place / bp.update    applying ⌈m/k⌉ updates in place (what the fast
                  path does) or with bp.update and its temporaries
  floor, floor + J                 run.py's matmul floors

With a full batch the J pass also computes the next iteration's gradient, which
bp.train's next iteration reuses; here each piece runs on its own, so both the
iteration and the J pass include one forward and backward pass.
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
    args = parser.parse_args(argv)
    import threadpoolctl

    threadpoolctl.threadpool_limits(args.threads)
    import bp

    config = R.CONFIGS[args.config]
    rows_X, rows_Y = R.make_data(config)
    X, Y = rows_X.T, rows_Y.T
    net = R.make_net(config)
    m, k = config.m, config.k
    step = bp.fast.trainer(net, X, Y, R.ALPHA, k, "mean", 0.0, np.random.default_rng(0), True,
                           bp.update, 10**9)  # fmt: skip
    engine = step.engine
    order = np.random.default_rng(0).permutation(m)
    batches = [order[s : s + k] if k < m else slice(None) for s in range(0, m, k)]
    zero = ({l: np.zeros_like(W) for l, W in net.W.items()},
            {l: np.zeros_like(b) for l, b in net.b.items()})  # fmt: skip

    def gradients():
        for cols in batches:
            engine.run(X, Y, cols, True, False, 0.0, 1e-9)

    def gather():
        for cols in batches:
            if not isinstance(cols, slice):
                engine._gather(X, cols, "x")
                engine._gather(Y, cols, "y")

    def in_place():
        for _ in batches:
            engine.apply()

    def readable_update():
        for _ in batches:
            bp.update(net, *zero, 1.0)

    floor, floor_J = R.floor(config, np.float64, False), R.floor(config, np.float64, True)
    pieces = {
        "iteration": step,
        "J pass": step.loss,
        "gradients": gradients,
        "gather": gather,
        "update, in place": in_place,
        "update, bp.update": readable_update,
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
    print(f"{config.label()}, {args.threads} thread(s), {args.clock} time, ms per epoch")
    for name, t in times.items():
        print(f"  {name:20s} {statistics.median(t):9.2f}")


if __name__ == "__main__":
    main()
