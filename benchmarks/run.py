r"""Time bp's trainer against its peers, side by side, and measure its peak memory.

    python benchmarks/run.py                  # every config, about 10 minutes
    python benchmarks/run.py --quick          # fewer repeats, a smoke test
    python benchmarks/run.py --configs small,medium --repeats 9
    python benchmarks/run.py --threads 1 --clock cpu   # on a shared, busy machine
    python benchmarks/run.py --bp HEAD        # time bp/ as committed (default: as on disk)
    python benchmarks/run.py --only-memory    # peak memory only
    python benchmarks/run.py --epochs-per-call 1 --only bp,scikit-learn   # many short calls

Every implementation trains the same sigmoid network (sigmoid hidden layers and a
linear output, as scikit-learn's MLPRegressor has) on the same data with plain
SGD, the mean squared error averaged over each batch (reduction="mean"), the same
batch size and the same step, in float64 unless the name says float32:

  bp             bp.train(..., reduction="mean", seed=0) with its default
                 record_loss=True: with mini-batches History.loss is the running
                 loss (each batch's J from its own forward pass, as scikit-learn's
                 loss_curve_); with a full batch, J over all m after each
                 iteration (the next iteration's forward pass). X is passed as
                 rows.T, the layout bp.data's loaders return (each sample contiguous)
  bp without J   bp.train(..., record_loss=False): the same updates, no J at all
  bp exact J     bp.train(..., record_loss="exact"): J over all m after every
                 iteration, one more forward pass per mini-batch epoch (what the
                 0.1 engine's default recorded)
  bp 0.1 engine  bp 0.1's bp.train (commit 88430b6, its bp/fast.py engine),
                 extracted with `git archive` into a temporary folder that only its
                 worker imports, with record_loss=False: the baseline of the
                 "within 1.10×" target
  bp 0.1 engine + J   the same with its default record_loss=True: J over all m
                 after every iteration
  bp C-order X   bp with a C-ordered X (each feature contiguous), whose shuffled
                 batches are slower to gather
  gradients loop the loop a user writes from bp's public, checked functions:
                 per batch, dW, db = bp.gradients(net, X[:, cols], Y[:, cols],
                 "mean") then bp.update(net, dW, db, α); no J, no buffers (every
                 array is allocated afresh)
  per-sample     bp.train_per_sample, the document's loop over i (full batch)
  scikit-learn   MLPRegressor(solver="sgd", momentum=0, alpha=0, activation="logistic")
  PyTorch        torch.nn.Sequential in float64, torch.optim.SGD, same thread count
  bp per call    with --epochs-per-call N: the same E epochs as N-epoch calls of bp.train
                 on one network (seed: one generator passed to every call), the way
                 BPClassifier.partial_fit and epoch-by-epoch user loops call it;
                 "bp without J per call" likewise with record_loss=False
  scikit-learn partial_fit   with --epochs-per-call: MLPRegressor.partial_fit once per
                 epoch, scikit-learn's peer for one epoch per call
  floor          the matrix products of one epoch alone, into preallocated buffers:
                 W a per layer forward, δ a^T per layer and W^T δ for all but the
                 first layer backward; no σ, no update, no gather
  floor + J      the floor plus one forward product per layer over all m samples
                 (the extra work of an exact J after every mini-batch epoch; with
                 a full batch J comes from the next gradient's forward pass, so
                 there floor + J = floor)

Each implementation lives in its own worker process (so that BLAS and OpenMP
thread pools, and the two versions of bp, do not disturb each other), set up
once; the parent asks the workers in turn, repeat after repeat, to train a fresh
copy of the network for E epochs, so all implementations see the same machine
load. A time is the time of one whole call divided by E (setup such as input
checks included, amortized over E); the table gives the median over the
repeats, the min–max, and ratios of medians.

On a machine shared with other busy processes, multithreaded BLAS is at the mercy
of the scheduler (a GEMM waits for its slowest thread), and wall times scatter by
10× and more. ``--threads 1 --clock cpu`` limits every implementation to one
thread (threadpoolctl for BLAS and OpenMP, torch.set_num_threads) and measures
the CPU time of the worker process instead, which other processes barely change.

Memory: each figure comes from a fresh process that creates the data and the
network under tracemalloc (NumPy reports its allocations to it), trains for two
epochs and reports the peak of traced memory, next to what the parameters, one
batch's activations a^1..a^L and the data (X, Y) need.
"""

from __future__ import annotations

import argparse
import atexit
import dataclasses
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
#: bp 0.1, the release before the "one implementation" redesign (its bp/fast.py engine).
OLD_COMMIT = "88430b6"
OLD = "bp 0.1 engine"


@dataclass(frozen=True)
class Config:
    name: str
    sizes: tuple[int, ...]
    m: int
    batch: int | None  # None: full batch
    epochs: int  # per timed call
    repeats: int
    impls: tuple[str, ...]

    @property
    def k(self) -> int:
        return self.m if self.batch is None else self.batch

    def label(self) -> str:
        net = "-".join(map(str, self.sizes))
        batch = "full batch" if self.batch is None else f"batch {self.batch}"
        return f"{net}, m={self.m}, {batch}"


PEERS = (
    "bp",
    "bp without J",
    "bp exact J",
    OLD,
    OLD + " + J",
    "gradients loop",
    "scikit-learn",
    "PyTorch",
    "floor",
    "floor + J",
)
CONFIGS = {
    c.name: c
    for c in (
        Config("small", (2, 16, 16, 1), 1000, 32, 40, 15, (*PEERS, "bp C-order X", "per-sample")),
        Config(
            "medium", (64, 128, 128, 10), 10000, 64, 8, 7, (*PEERS, "bp C-order X", "per-sample")
        ),
        Config("medium-full", (64, 128, 128, 10), 10000, None, 20, 7, (*PEERS, "per-sample")),
        Config(
            "large",
            (784, 512, 512, 10),
            20000,
            128,
            2,
            5,
            (*PEERS, "bp C-order X", "bp float32", "floor float32"),
        ),
    )
}
#: With --epochs-per-call: the rows of bp called N epochs at a time, and scikit-learn's peer.
PER_CALL = " per call"
PARTIAL_FIT = "scikit-learn partial_fit"
# The per-sample loop is slow: one epoch per call, few repeats.
SLOW = {"per-sample": (1, 3)}
ALPHA = 0.01


# -- the workers ---------------------------------------------------------------------------


def snapshot(rev: str, folder: str) -> str:
    """Put bp/ as of ``rev`` (a git revision, or "worktree": as it is on disk) into ``folder``.

    Each worker then imports that copy, so that edits made to bp/ while the
    benchmark runs do not reach it, and the two versions of bp never meet.
    """
    os.makedirs(folder)
    if rev == "worktree":
        shutil.copytree(os.path.join(REPO, "bp"), os.path.join(folder, "bp"),
                        ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    else:
        archive = subprocess.run(
            ["git", "-C", REPO, "archive", rev, "bp"], capture_output=True, check=True
        )
        subprocess.run(["tar", "-x", "-C", folder], input=archive.stdout, check=True)
    return folder


def prepare(rev: str) -> None:
    """Snapshot today's bp (``rev``) and bp 0.1 for the workers; removed at exit."""
    if "BENCH_BP_NEW" in os.environ:
        return
    root = tempfile.mkdtemp(prefix="bp-bench-")
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    os.environ["BENCH_BP_NEW"] = snapshot(rev, os.path.join(root, "new"))
    os.environ["BENCH_BP_OLD"] = snapshot(OLD_COMMIT, os.path.join(root, "old"))
    os.environ["BENCH_BP_REV"] = describe(rev)


def describe(rev: str) -> str:
    """Which bp ``rev`` is, in words, resolved now (commits may land while the benchmark runs)."""

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", REPO, *args], capture_output=True, text=True).stdout

    if rev != "worktree":
        return f"commit {git('rev-parse', '--short', rev).strip()} ({rev})"
    changed = [line for line in git("status", "--short", "bp").splitlines() if line.strip()]
    head = git("rev-parse", "--short", "HEAD").strip()
    return f"bp/ as on disk at commit {head}, {len(changed)} changed file(s) in bp/"


def import_bp(impl: str):
    """Import bp from the snapshot the parent made: bp 0.1 for the OLD rows, else today's."""
    if "bp" in sys.modules:
        raise RuntimeError("bp was imported before its snapshot was put on sys.path")
    folder = os.environ["BENCH_BP_OLD" if impl.startswith(OLD) else "BENCH_BP_NEW"]
    sys.path.insert(0, folder)
    import bp

    where = os.path.dirname(os.path.dirname(os.path.abspath(bp.__file__)))
    if where != os.path.abspath(folder):
        raise RuntimeError(f"{impl}: imported bp from {where}, not from {folder}")
    return bp


def make_data(config: Config, dtype=np.float64):
    """Rows-as-samples data (m, n), the layout scikit-learn and PyTorch take."""
    rng = np.random.default_rng(0)
    rows_X = rng.standard_normal((config.m, config.sizes[0])).astype(dtype)
    rows_Y = rng.uniform(0.0, 1.0, (config.m, config.sizes[-1])).astype(dtype)
    return rows_X, rows_Y


def make_net(bp, config: Config, dtype=np.float64):
    return bp.Network(config.sizes, "sigmoid", output_activation="identity", seed=0, dtype=dtype)


def bp_trainer(impl: str, config: Config):
    """run(net, X, Y, epochs) for the rows that run some version of bp."""
    bp = import_bp(impl)
    batch = config.batch
    if impl.startswith(OLD):  # bp 0.1: positional arguments

        def run(net, X, Y, epochs):
            bp.train(net, X, Y, ALPHA, epochs, 0.0, batch, "mean", seed=0,
                     record_loss=impl.endswith("+ J"))  # fmt: skip

    elif impl == "per-sample":

        def run(net, X, Y, epochs):
            bp.train_per_sample(net, X, Y, alpha=ALPHA, max_iter=epochs, epsilon=0.0,
                                reduction="mean")  # fmt: skip

    elif impl == "gradients loop":

        def run(net, X, Y, epochs):
            rng, m = np.random.default_rng(0), X.shape[1]
            k = config.k
            for _ in range(epochs):
                order = rng.permutation(m) if k < m else None
                for s in range(0, m, k):
                    cols = slice(None) if order is None else order[s : s + k]
                    dW, db = bp.gradients(net, X[:, cols], Y[:, cols], "mean")
                    bp.update(net, dW, db, ALPHA)

    elif impl.endswith(PER_CALL):
        record = impl != "bp without J" + PER_CALL
        per_call = int(os.environ["BENCH_EPOCHS_PER_CALL"])

        def run(net, X, Y, epochs):
            rng = np.random.default_rng(0)  # one stream of shuffles across the calls
            for done in range(0, epochs, per_call):
                bp.train(net, X, Y, alpha=ALPHA, max_iter=min(per_call, epochs - done),
                         epsilon=0.0, batch_size=batch, reduction="mean", seed=rng,
                         record_loss=record)  # fmt: skip

    else:
        record = {"bp without J": False, "bp exact J": "exact"}.get(impl, True)

        def run(net, X, Y, epochs):
            bp.train(net, X, Y, alpha=ALPHA, max_iter=epochs, epsilon=0.0, batch_size=batch,
                     reduction="mean", seed=0, record_loss=record)  # fmt: skip

    return bp, run


def setup(impl: str, config: Config):
    """Return run(epochs) for one implementation; everything else is done here, untimed."""
    dtype = np.float32 if "float32" in impl else np.float64
    rows_X, rows_Y = make_data(config, dtype)
    k, m = config.k, config.m

    if impl.startswith(("bp", "gradients")) or impl == "per-sample":
        bp, train = bp_trainer(impl, config)
        X, Y = rows_X.T, rows_Y.T  # views: each sample contiguous
        if impl == "bp C-order X":
            X, Y = np.ascontiguousarray(X), np.ascontiguousarray(Y)
        start = make_net(bp, config, dtype)

        def run(epochs: int) -> None:
            train(start.copy(), X, Y, epochs)

        return run

    if impl.startswith("scikit-learn"):
        import warnings

        from sklearn.exceptions import ConvergenceWarning
        from sklearn.neural_network import MLPRegressor

        y = rows_Y.ravel() if rows_Y.shape[1] == 1 else rows_Y

        def run(epochs: int) -> None:
            model = MLPRegressor(
                hidden_layer_sizes=config.sizes[1:-1],
                activation="logistic",
                solver="sgd",
                alpha=0.0,
                batch_size=k,
                learning_rate="constant",
                learning_rate_init=ALPHA,
                momentum=0.0,
                nesterovs_momentum=False,
                max_iter=epochs,
                shuffle=True,
                random_state=0,
                tol=0.0,
                n_iter_no_change=epochs + 1,
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                if impl == PARTIAL_FIT:
                    for _ in range(epochs):
                        model.partial_fit(rows_X, y)
                else:
                    model.fit(rows_X, y)

        return run

    if impl == "PyTorch":
        import threadpoolctl
        import torch

        blas = [p for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]
        torch.set_num_threads(blas[0]["num_threads"] if blas else os.cpu_count())
        Xt, Yt = torch.from_numpy(rows_X), torch.from_numpy(rows_Y)
        layers = []
        for i in range(len(config.sizes) - 1):
            layers.append(torch.nn.Linear(config.sizes[i], config.sizes[i + 1]))
            if i < len(config.sizes) - 2:
                layers.append(torch.nn.Sigmoid())
        start = torch.nn.Sequential(*layers).double()
        state = {key: v.clone() for key, v in start.state_dict().items()}
        generator = torch.Generator().manual_seed(0)

        def run(epochs: int) -> None:
            start.load_state_dict(state)
            opt = torch.optim.SGD(start.parameters(), lr=ALPHA, momentum=0.0)
            for _ in range(epochs):
                order = torch.randperm(m, generator=generator) if k < m else None
                for s in range(0, m, k):
                    if order is None:
                        xb, yb = Xt, Yt
                    else:
                        idx = order[s : s + k]
                        xb, yb = Xt[idx], Yt[idx]
                    opt.zero_grad(set_to_none=True)
                    loss = 0.5 * torch.nn.functional.mse_loss(start(xb), yb)
                    loss.backward()
                    opt.step()

        return run

    if impl.startswith("floor"):
        return floor(config, dtype, with_J=impl == "floor + J")

    raise ValueError(f"unknown implementation {impl!r}")


def floor(config: Config, dtype, with_J: bool):
    """The matrix products of one epoch and nothing else, into preallocated buffers."""
    rng = np.random.default_rng(0)
    sizes, m, k = config.sizes, config.m, config.k
    L = len(sizes)
    W = {
        l: rng.standard_normal((sizes[l - 1], sizes[l - 2])).astype(dtype) for l in range(2, L + 1)
    }
    for l in W:
        W[l] /= np.sqrt(sizes[l - 2])
    dW = {l: np.empty_like(W[l]) for l in W}
    X = rng.standard_normal((sizes[0], m)).astype(dtype)

    def buffers(w):
        a = {1: np.ascontiguousarray(X[:, :w])}
        a.update({l: np.empty((sizes[l - 1], w), dtype) for l in range(2, L + 1)})
        g = {l: np.empty((sizes[l - 1], w), dtype) for l in range(2, L)}
        return a, g

    widths = [min(k, m - s) for s in range(0, m, k)]
    bufs = {w: buffers(w) for w in set(widths)}
    chunk = min(m, 4096)
    J_bufs = {l: np.empty((sizes[l - 1], chunk), dtype) for l in range(2, L + 1)}

    def batch(a, g):
        for l in range(2, L + 1):
            np.matmul(W[l], a[l - 1], out=a[l])  # z^l = W^l a^{l-1}
        delta = a[L]
        for l in range(L, 1, -1):
            np.matmul(delta, a[l - 1].T, out=dW[l])  # δ^l (a^{l-1})^T
            if l > 2:
                np.matmul(W[l].T, delta, out=g[l - 1])  # (W^l)^T δ^l
                delta = g[l - 1]

    def run(epochs: int) -> None:
        for _ in range(epochs):
            for w in widths:
                batch(*bufs[w])
            if with_J and k < m:  # full batch: J comes from the next gradient's forward pass
                for s in range(0, m, chunk):
                    a = X[:, s : s + chunk]
                    for l in range(2, L + 1):
                        out = J_bufs[l][:, : a.shape[1]]
                        np.matmul(W[l], a, out=out)
                        a = out

    return run


def worker(impl: str, config_name: str, threads: int | None, clock: str) -> None:
    """Serve "run" requests on stdin: answer the time of one call on stdout."""
    import threadpoolctl

    if threads:
        threadpoolctl.threadpool_limits(threads)
    config = CONFIGS[config_name]
    epochs, _ = SLOW.get(impl, (config.epochs, config.repeats))
    run = setup(impl, config)
    run(1)  # warm up: buffers, BLAS threads, caches
    info = {"threads": threadpoolctl.threadpool_info(), "epochs": epochs}
    if "bp" in sys.modules:
        info["bp"] = os.path.dirname(sys.modules["bp"].__file__)
    if impl == "PyTorch":
        import torch

        info["torch_threads"] = torch.get_num_threads()
        info["torch"] = torch.__version__
    print(json.dumps(info), flush=True)
    now = time.process_time if clock == "cpu" else time.perf_counter
    for line in sys.stdin:
        if line.strip() != "run":
            break
        t0 = now()
        run(epochs)
        print(json.dumps({"seconds": now() - t0}), flush=True)


# -- memory --------------------------------------------------------------------------------


def memory(impl: str, config_name: str) -> None:
    """Peak traced memory while training two epochs, in a fresh process; print JSON."""
    import resource
    import tracemalloc

    tracemalloc.start()
    config = CONFIGS[config_name]
    dtype = np.float32 if "float32" in impl else np.float64
    bp, train = bp_trainer(impl, config)
    rows_X, rows_Y = make_data(config, dtype)
    X, Y = rows_X.T, rows_Y.T
    net = make_net(bp, config, dtype)
    itemsize = np.dtype(dtype).itemsize
    params = sum(W.nbytes + net.b[l].nbytes for l, W in net.W.items())
    batch = config.k * sum(config.sizes) * itemsize  # a^1..a^L of one batch
    data = X.nbytes + Y.nbytes
    base, _ = tracemalloc.get_traced_memory()
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.reset_peak()
    train(net, X, Y, 2)
    _, peak = tracemalloc.get_traced_memory()
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "before": base,
                "peak": peak,
                "params": params,
                "batch": batch,
                "data": data,
                "need": params + batch + data,
                "maxrss_growth": (rss1 - rss0) * 1024,
            }
        )
    )


# -- the parent ----------------------------------------------------------------------------


class Worker:
    def __init__(self, impl: str, config: str, threads: int | None, clock: str) -> None:
        self.impl = impl
        command = [sys.executable, __file__, "--worker", impl, config, "--clock", clock]
        if threads:
            command += ["--threads", str(threads)]
        self.stderr = tempfile.TemporaryFile("w+")
        self.proc = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr, text=True
        )
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait()
            self.stderr.seek(0)
            last = [x for x in self.stderr.read().splitlines() if x.strip()][-1:]
            raise RuntimeError(last[0] if last else f"exit status {self.proc.returncode}")
        self.info = json.loads(line)
        self.times: list[float] = []

    def run(self) -> None:
        self.proc.stdin.write("run\n")
        self.proc.stdin.flush()
        seconds = json.loads(self.proc.stdout.readline())["seconds"]
        self.times.append(1000.0 * seconds / self.info["epochs"])

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait()
        self.stderr.seek(0)
        sys.stderr.write(self.stderr.read())


def bench(config: Config, repeats: int, threads: int | None, clock: str):
    """Time every implementation of ``config``; return its workers, and those that failed."""
    workers, failed = {}, {}
    for impl in config.impls:
        try:
            workers[impl] = Worker(impl, config.name, threads, clock)
        except RuntimeError as error:  # e.g. an API that the bp under test no longer has
            failed[impl] = str(error)
            print(f"{config.name}: {impl} failed to start: {error}", file=sys.stderr)
    for rep in range(repeats):
        names = list(workers)
        names = names[rep % len(names) :] + names[: rep % len(names)]  # rotate the order
        for impl in names:
            if impl in SLOW and rep >= SLOW[impl][1]:
                continue
            time.sleep(0.2)  # let the last worker's BLAS threads stop spinning
            workers[impl].run()
    for w in workers.values():
        w.close()
    return workers, failed


#: (config, ceiling, (numerator, denominator), what): issue 10's speed targets.
TARGETS = [
    *((c, 1.10, ("bp without J", OLD), "bp without J ÷ bp 0.1 engine without J") for c in CONFIGS),
    ("medium", 0.6, ("bp", "scikit-learn"), "bp (running loss) ÷ scikit-learn"),
    ("large", 1.10, ("bp", "floor"), "bp (running loss) ÷ floor"),
]


def pair_ratio(workers: dict[str, Worker], a: str, b: str) -> float:
    """The median over repeats of a's time ÷ b's time in the same repeat."""
    return statistics.median(x / y for x, y in zip(workers[a].times, workers[b].times, strict=True))


def fmt(x: float) -> str:
    return f"{x:.3g}" if x < 100 else f"{x:.0f}"


def report_config(config: Config, workers: dict[str, Worker], failed: dict[str, str]):
    med = {impl: statistics.median(w.times) for impl, w in workers.items()}
    lines = [
        f"### {config.label()}",
        "",
        f"{config.epochs} epochs per call (per-sample: 1), ms per epoch.",
        "",
        "| implementation | median | min–max | ÷ bp | bp ÷ it | repeats |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for impl, w in workers.items():
        lo, hi = min(w.times), max(w.times)
        lines.append(
            f"| {impl} | {fmt(med[impl])} | {fmt(lo)}–{fmt(hi)} | "
            f"{med[impl] / med['bp']:.2f} | {med['bp'] / med[impl]:.2f} | {len(w.times)} |"
        )
    for impl, error in failed.items():
        lines.append(f"| {impl} | failed: {error} | | | | |")
    lines.append("")
    return "\n".join(lines), med


def environment(workers: dict[str, Worker], args) -> str:
    import numpy
    import sklearn

    blas = workers["bp"].info["threads"]
    torch_info = workers["PyTorch"].info if "PyTorch" in workers else {}
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        cpu = f"{names[0]} × {len(names)} logical CPUs" if names else cpu
    except OSError:
        pass
    lines = [
        f"- command: python benchmarks/run.py {' '.join(sys.argv[1:])}".rstrip(),
        f"- clock: {'process CPU time' if args.clock == 'cpu' else 'wall time'}",
        f"- date: {datetime.date.today().isoformat()}",
        f"- machine: {cpu}, {platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}, NumPy {numpy.__version__}, "
        f"scikit-learn {sklearn.__version__}, PyTorch {torch_info.get('torch')} "
        f"({torch_info.get('torch_threads')} threads)",
    ]
    for pool in blas:
        lines.append(
            f"- BLAS (threadpoolctl): {pool.get('internal_api')} {pool.get('version')}, "
            f"{pool.get('num_threads')} threads, architecture {pool.get('architecture')}, "
            f"{os.path.basename(pool.get('filepath', ''))}"
        )
    rev = os.environ["BENCH_BP_REV"]
    lines.append(f"- bp: {rev}, copied to {workers['bp'].info.get('bp')}")
    if OLD in workers:
        where = workers[OLD].info.get("bp")
        lines.append(f"- {OLD}: commit {OLD_COMMIT}, copied by `git archive` to {where}")
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        lines.append(f"- {var}={os.environ.get(var, '(unset)')}")
    return "\n".join(lines) + "\n"


def report_summary(summary: dict, paired: dict) -> None:
    """The summary table of ratios, and the verdict on each target."""
    print("## Summary: ratios of medians. no-J: bp without J; 0.1: the bp 0.1 engine without J;")
    print("0.1 + J: the bp 0.1 engine with its default J over all m after each iteration.\n")
    print(
        "| config | bp ms | bp/sklearn | bp/PyTorch | bp/floor | bp/(floor + J) | no-J/0.1 "
        "| exact J/(0.1 + J) | no-J/sklearn | no-J/floor | gradients loop/no-J |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, med in summary.items():
        bp_ms, noJ = med["bp"], med["bp without J"]
        print(
            f"| {CONFIGS[name].label()} | {fmt(bp_ms)} | {bp_ms / med['scikit-learn']:.2f} "
            f"| {bp_ms / med['PyTorch']:.2f} | {bp_ms / med['floor']:.2f} "
            f"| {bp_ms / med['floor + J']:.2f} | {noJ / med[OLD]:.2f} "
            f"| {med['bp exact J'] / med[OLD + ' + J']:.2f} "
            f"| {noJ / med['scikit-learn']:.2f} | {noJ / med['floor']:.2f} "
            f"| {med['gradients loop'] / noJ:.2f} |"
        )
        if "bp float32" in med:
            print(
                f"| {CONFIGS[name].label()}: float64 bp ÷ float32 bp = "
                f"{bp_ms / med['bp float32']:.2f}; float64 floor ÷ float32 floor = "
                f"{med['floor'] / med['floor float32']:.2f} | | | | | | | | | | |"
            )
    print()
    print("## Targets (issue 10, Speed)\n")
    print("Ratio of medians (the verdict); then the median of the ratios paired within each")
    print(
        "repeat, and the ratio of the minimums (the least disturbed repeats on a busy machine).\n"
    )
    print("| target | config | ratio of medians | paired | of minimums | met? |")
    print("|---|---|---:|---:|---:|---|")
    for name, ceiling, (a, b), what in TARGETS:
        if name not in summary:
            continue
        ratio = summary[name][a] / summary[name][b]
        verdict = "met" if ratio <= ceiling else f"missed by {100 * (ratio / ceiling - 1):.0f}%"
        pair, low = paired[name][(a, b)]
        print(
            f"| {what} ≤ {ceiling:g} | {CONFIGS[name].label()} | {ratio:.3f} "
            f"| {pair:.3f} | {low:.3f} | {verdict} |"
        )
    print()


def repeats_of(option: str | None, name: str) -> int | None:
    """The --repeats option for one config: "7" for all, or "small=9,large=3"."""
    if not option:
        return None
    if "=" not in option:
        return int(option)
    given = dict(part.split("=") for part in option.split(","))
    return int(given[name]) if name in given else None


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument(
        "--repeats", default=None, help="N for every config, or per config: small=9,large=3"
    )
    parser.add_argument("--quick", action="store_true", help="3 repeats")
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--only-memory", action="store_true", help="no timing, memory only")
    parser.add_argument(
        "--bp",
        default="worktree",
        help="the bp to time: a git revision, or 'worktree' (bp/ as on disk, copied at the start)",
    )
    parser.add_argument("--threads", type=int, default=None, help="limit BLAS/OpenMP/torch threads")
    parser.add_argument(
        "--clock", choices=("wall", "cpu"), default="wall", help="cpu: process CPU time"
    )
    parser.add_argument(
        "--epochs-per-call",
        type=int,
        default=None,
        help="also time bp called N epochs at a time ('bp per call', 'bp without J per call') "
        "and scikit-learn's partial_fit, one epoch per call",
    )
    parser.add_argument(
        "--only", default=None, help="time only these implementations (comma-separated)"
    )
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--memory", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.epochs_per_call:
        os.environ["BENCH_EPOCHS_PER_CALL"] = str(args.epochs_per_call)
    prepare(args.bp)
    if args.worker:
        return worker(*args.worker, args.threads, args.clock)
    if args.memory:
        return memory(*args.memory)

    out, summary, paired, env = [], {}, {}, None
    for name in [] if args.only_memory else args.configs.split(","):
        config = CONFIGS[name]
        impls = config.impls
        if args.epochs_per_call:
            impls = (*impls, "bp" + PER_CALL, "bp without J" + PER_CALL, PARTIAL_FIT)
        if args.only:
            impls = tuple(i for i in impls if i in args.only.split(","))
        config = dataclasses.replace(config, impls=impls)
        repeats = repeats_of(args.repeats, name) or (3 if args.quick else config.repeats)
        workers, failed = bench(config, repeats, args.threads, args.clock)
        env = env or environment(workers, args)
        text, med = report_config(config, workers, failed)
        summary[name] = med
        pairs = [("bp without J", OLD), ("bp", "scikit-learn"), ("bp", "floor")]
        if args.epochs_per_call:
            for base in ("bp", "bp without J"):
                pairs += [(base + PER_CALL, base), (base + PER_CALL, PARTIAL_FIT)]
        paired[name] = {
            (a, b): (pair_ratio(workers, a, b), min(workers[a].times) / min(workers[b].times))
            for a, b in pairs
            if a in workers and b in workers
        }
        text += "\n".join(
            f"- paired median {a} ÷ {b}: {r:.3f} (of minimums {rm:.3f})"
            for (a, b), (r, rm) in paired[name].items()
        )
        print(text + "\n", flush=True)
        out.append(text)

    if summary and all(set(PEERS) <= set(med) for med in summary.values()):
        report_summary(summary, paired)

    if args.only_memory or (not args.no_memory and "large" in args.configs.split(",")):
        print("## Peak memory, large net (two epochs, tracemalloc)\n")
        print("| trainer | peak MB | need MB (params + batch a^1..a^L + data) | peak ÷ need |")
        print("|---|---:|---:|---:|")
        for impl in ("bp", "bp exact J", "bp without J", OLD, OLD + " + J", "gradients loop"):
            res = subprocess.run(
                [sys.executable, __file__, "--memory", impl, "large"],
                capture_output=True,
                text=True,
                check=True,
            )
            mem = json.loads(res.stdout)
            print(
                f"| {impl} | {mem['peak'] / 1e6:.1f} | {mem['need'] / 1e6:.1f} "
                f"(= {mem['params'] / 1e6:.1f} + {mem['batch'] / 1e6:.1f} + "
                f"{mem['data'] / 1e6:.1f}) | {mem['peak'] / mem['need']:.2f} |"
            )
        print()
    if env:
        print("## Environment\n")
        print(env)


if __name__ == "__main__":
    main()
