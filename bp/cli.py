r"""``python -m bp``: train a network on a built-in task, save it, plot it, evaluate it.

With no subcommand it runs the main job: the document's network (sigmoid in
every layer, J = Σ_i ½‖a^{i,L} − y_i‖², batch gradient descent with the summed
update and the Max and ε rules) on two interleaving moons.

Exit codes: 0 success; 1 training diverged or stalled, or a file could not be
read; 2 bad arguments; 130 interrupted by Ctrl-C (a model being saved is saved);
141 the reader of stdout went away before the end (``tasks | head -1`` still exits 0).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

import bp
from bp import data
from bp.network import INITS
from bp.optimizers import OPTIMIZERS

#: The share of a task's samples that train; the rest test.
TRAIN_FRACTION = 0.8
#: The most samples ``evaluate`` makes from a model file's recorded m (--m may ask for more).
MAX_M = 1_000_000


@dataclass(frozen=True)
class Task:
    """A built-in task and the network and training settings that suit it."""

    load: Callable[[int, int], tuple[np.ndarray, np.ndarray]]
    about: str
    sizes: tuple[int, ...]
    activation: str = "sigmoid"
    output_activation: str | None = None
    loss: str = "mse"
    alpha: float = 0.1
    max_iter: int = 5000
    epsilon: float = 1e-4
    batch_size: int | None = None
    reduction: str = "sum"
    classify: bool = True
    sized: bool = True  # False: a fixed data set, --m does not apply


def _sized(make):
    return lambda m, seed: make(m=m, seed=seed)


TASKS = {
    "moons": Task(
        _sized(data.moons),
        "two interleaving half circles (the default)",
        (2, 8, 8, 1),
        alpha=0.02,
        max_iter=10000,
    ),
    "xor": Task(
        lambda m, seed: data.xor(),
        "the four XOR samples (trained and tested on the same four)",
        (2, 4, 1),
        alpha=2.0,
        sized=False,
    ),
    "circles": Task(_sized(data.circles), "a circle inside a ring", (2, 8, 1), alpha=0.05),
    "spiral": Task(
        _sized(data.spiral),
        "three interleaved spiral arms (softmax output)",
        (2, 32, 32, 3),
        activation="tanh",
        output_activation="softmax",
        loss="log_likelihood",
        alpha=0.5,
        max_iter=5000,
        epsilon=1e-6,
        reduction="mean",
    ),
    "sine": Task(
        _sized(data.sine),
        "1-D regression of sin x (identity output)",
        (1, 16, 1),
        activation="tanh",
        output_activation="identity",
        alpha=0.05,
        max_iter=5000,
        epsilon=1e-6,
        reduction="mean",
        classify=False,
    ),
    "digits": Task(
        lambda m, seed: data.digits(),
        "scikit-learn's 8×8 handwritten digits (needs scikit-learn)",
        (64, 64, 10),
        output_activation="softmax",
        loss="log_likelihood",
        alpha=0.5,
        max_iter=40,
        epsilon=1e-6,
        batch_size=32,
        reduction="mean",
        sized=False,
    ),
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        argv = ["train", *argv]
    args = _parser().parse_args(argv)
    try:
        code = args.run(args)
        sys.stdout.flush()
        return code
    except BrokenPipeError:  # the reader has gone (`python -m bp tasks | head -1`)
        _drop_stdout()
        return 0 if args.run is _tasks else 141
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except bp.ModelFileError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except (ValueError, TypeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except (FloatingPointError, OSError, ImportError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bp",
        description="Back propagation, as the document derives it. With no subcommand, "
        "'train' runs the document's network on two moons and writes bp_moons.png.",
        epilog="examples:\n"
        "  python -m bp\n"
        "  python -m bp train --task spiral --save spiral.npz\n"
        "  python -m bp evaluate spiral.npz\n"
        "  python -m bp tasks",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"bp {bp.__version__}")
    commands = parser.add_subparsers(title="subcommands", metavar="{train,evaluate,tasks}")

    train = commands.add_parser(
        "train",
        help="train a network on a built-in task (the default)",
        description="Train a network on a built-in task. Unset options take the task's "
        f"defaults (see 'python -m bp tasks'). {TRAIN_FRACTION:.0%} of the samples train, "
        f"{1 - TRAIN_FRACTION:.0%} test (xor has four samples: it trains and tests on them all).",
    )
    train.add_argument("--task", choices=TASKS, default="moons", help="default: moons")
    _data_options(train)
    net = train.add_argument_group("network")
    net.add_argument("--sizes", type=int, nargs="+", metavar="N", help="n_1 ... n_L, input first")
    net.add_argument("--activation", help="σ of the hidden layers: " + ", ".join(bp.ACTIVATIONS))
    net.add_argument("--output-activation", help="σ of the output layer (also: softmax)")
    net.add_argument("--loss", choices=bp.LOSSES, help="the loss J")
    net.add_argument(
        "--init", choices=INITS, default="normal", help="how W and b are drawn (normal)"
    )
    fit = train.add_argument_group("gradient descent")
    fit.add_argument("--alpha", type=float, help="the step α")
    fit.add_argument("--max-iter", type=int, help="Max: the most iterations (epochs)")
    fit.add_argument("--epsilon", type=float, help="stop when every change of W, b is below ε")
    fit.add_argument("--batch-size", type=int, help="1: stochastic, k: mini-batch; unset: batch")
    fit.add_argument("--reduction", choices=("sum", "mean"), help="Σ (the document) or mean")
    fit.add_argument(
        "--optimizer", choices=OPTIMIZERS, default="gd", help="the update rule (gd: the document's)"
    )
    fit.add_argument("--l2", type=float, default=0.0, help="L2 regularization λ (0)")
    out = train.add_argument_group("output")
    out.add_argument("--save", metavar="PATH", help="write the trained model (.npz)")
    out.add_argument("--plot", metavar="PATH", help="the figure (default: bp_TASK.png)")
    out.add_argument("--no-plot", action="store_true", help="write no figure")
    out.add_argument("--quiet", action="store_true", help="no progress line")
    train.set_defaults(run=_train)

    evaluate = commands.add_parser(
        "evaluate",
        help="evaluate a saved model on its task",
        description="Print the loss and, for classification, the accuracy of a saved model "
        "on the training and test parts of the task it was trained on (its task, --m and "
        "--seed are stored in the model file; options given here override them).",
    )
    evaluate.add_argument("model", help="a model written by 'train --save'")
    evaluate.add_argument("--task", choices=TASKS, help="default: the model's own task")
    _data_options(evaluate, defaults=False)
    evaluate.set_defaults(run=_evaluate)

    tasks = commands.add_parser("tasks", help="list the built-in tasks and their defaults")
    tasks.set_defaults(run=_tasks)
    return parser


def _data_options(parser: argparse.ArgumentParser, defaults: bool = True) -> None:
    group = parser.add_argument_group("data")
    group.add_argument(
        "--m", type=int, default=200 if defaults else None, help="number of samples (200)"
    )
    group.add_argument(
        "--seed", type=int, default=0 if defaults else None, help="seed of data, split, weights (0)"
    )


def _split(task_name: str, m: int, seed: int):
    X, Y = TASKS[task_name].load(m, seed)
    if task_name == "xor":  # four samples: none to hold out
        return (X, Y), (X, Y)
    if X.shape[1] < 5:
        raise ValueError(f"--m {m} leaves no samples to test on; use --m 5 or more")
    return data.split(X, Y, (TRAIN_FRACTION, 1 - TRAIN_FRACTION), seed=seed)


def _drop_stdout() -> None:
    """Send what is left of stdout to the null device, so that exiting raises nothing more."""
    with contextlib.suppress(OSError, ValueError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)


def _figure_formats() -> dict[str, str]:
    from matplotlib.backend_bases import FigureCanvasBase

    return FigureCanvasBase.get_supported_filetypes()


def _output_paths(args) -> tuple[str | None, str | None]:
    """--save and --plot as the files they will write, checked before any training."""
    save, plot = args.save, None if args.no_plot else args.plot or f"bp_{args.task}.png"
    formats = _figure_formats() if save or plot else {}
    if plot:
        ext = os.path.splitext(plot)[1][1:].lower()
        if not ext:
            plot += ".png"  # what matplotlib writes for a name without extension
        elif ext not in formats:
            raise ValueError(
                f"--plot {plot!r}: matplotlib cannot write .{ext} figures; end the name with "
                f"one of {', '.join('.' + f for f in sorted(formats))}"
            )
    if save and plot and _same_file(save, plot):
        raise ValueError(
            f"--save and --plot name the same file {save!r}: the figure would overwrite the "
            f"model; give them different names (e.g. --save model.npz)"
        )
    if save and os.path.splitext(save)[1][1:].lower() in formats:
        raise ValueError(
            f"--save {save!r} names a figure file; the model is written as .npz "
            f"(e.g. --save model.npz), the figure by --plot"
        )
    for path, what in ((save, "--save"), (plot, "--plot")):
        if path:
            _check_writable(path, what)
    return save, plot


def _same_file(a: str, b: str) -> bool:
    real = [os.path.normcase(os.path.realpath(p)) for p in (a, b)]
    return real[0] == real[1]


def _check_writable(path: str, what: str) -> None:
    """Fail at once, before training, when ``path`` cannot be written."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ValueError(f"{what} {path!r}: the folder {folder!r} does not exist")
    if os.path.isdir(path):
        raise ValueError(f"{what} {path!r} is a folder; give a file name")
    if os.path.exists(path) and not os.path.isfile(path):
        raise ValueError(
            f"{what} {path!r} is not a regular file (a device or a pipe); give a file name"
        )
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as err:
        raise ValueError(f"{what} {path!r}: cannot write in {folder!r} ({err.strerror})") from None


@contextlib.contextmanager
def _no_interrupt() -> Iterator[None]:
    """Hold Ctrl-C back while a model is written; deliver it afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pressed = []
    previous = signal.signal(signal.SIGINT, lambda *_: pressed.append(True))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if pressed:
        raise KeyboardInterrupt


def _train(args) -> int:
    task = TASKS[args.task]
    _check_flag("--m", args.m, 1)
    _check_flag("--seed", args.seed, 0)
    if args.m != 200 and not task.sized:
        print(f"note: --m is ignored by the task {args.task}: its data set is fixed")
    save, plot = _output_paths(args)
    (X, Y), (X_test, Y_test) = _split(args.task, args.m, args.seed)
    sizes = tuple(args.sizes or task.sizes)
    if len(sizes) >= 2 and (sizes[0], sizes[-1]) != (X.shape[0], Y.shape[0]):
        fix = " ".join(map(str, (X.shape[0], *sizes[1:-1], Y.shape[0])))
        raise ValueError(
            f"--sizes {' '.join(map(str, sizes))}: the task {args.task} has {X.shape[0]} "
            f"inputs and {Y.shape[0]} output(s), so n_1 = {X.shape[0]} and n_L = "
            f"{Y.shape[0]}; e.g. --sizes {fix}"
        )
    net = bp.Network(
        sizes,
        args.activation or task.activation,
        args.output_activation or task.output_activation,
        args.loss or task.loss,
        seed=args.seed,
        init=args.init,
    )
    settings = {
        "alpha": task.alpha if args.alpha is None else args.alpha,
        "max_iter": task.max_iter if args.max_iter is None else args.max_iter,
        "epsilon": task.epsilon if args.epsilon is None else args.epsilon,
        "batch_size": task.batch_size if args.batch_size is None else args.batch_size,
        "reduction": args.reduction or task.reduction,
        "optimizer": args.optimizer,
        "l2": args.l2,
    }
    test = "the same four samples" if args.task == "xor" else f"{X_test.shape[1]} samples"
    print(f"task: {args.task}, {task.about}; X {X.shape}, Y {Y.shape}; test: {test}")
    print(f"network: {net}")
    print("training: " + ", ".join(f"{k} = {v}" for k, v in settings.items()))
    try:
        history = bp.train(net, X, Y, seed=args.seed, verbose=not args.quiet, **settings)
    except bp.TrainingDiverged as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    how = "converged" if history.converged else "stalled" if history.stalled else "stopped"
    print(f"{how} after {history.iterations} iteration(s): {history.reason}")
    _report(net, task, (X, Y), (X_test, Y_test), settings["reduction"])
    if save:
        with _no_interrupt():
            bp.save(net, save, task=args.task, seed=args.seed, m=args.m)
        print(f"model saved to {save}")
    if history.interrupted:
        return 130
    if plot and history.iterations:
        _plot(net, task, (X, Y), (X_test, Y_test), history, plot)
        print(f"figure written to {plot}")
    if history.stalled:
        print(f"error: training stalled: {history.reason}", file=sys.stderr)
        return 1
    return 0


def _check_flag(flag: str, value, minimum: int) -> None:
    if value is not None and value < minimum:
        raise ValueError(f"{flag} must be an integer >= {minimum}; got {value}")


def _recorded(model: str, info: dict, key: str, default, ok, expected: str):
    """A field of the model's info, or ``default``; a bad one is the file's fault (exit 1)."""
    value = info.get(key, default)
    if not ok(value):
        raise bp.ModelFileError(
            f"{model!r} records {key} = {value!r} in its info; expected {expected}: "
            f"give --{key} to choose it"
        )
    return value


def _whole(value, low: int, high: float = float("inf")) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _evaluate(args) -> int:
    _check_flag("--m", args.m, 1)
    _check_flag("--seed", args.seed, 0)
    net = bp.load(args.model)
    info = bp.load_info(args.model)
    recorded = info.get("task")
    if args.task is None:
        if recorded is None:
            raise ValueError(f"{args.model!r} does not record its task; give --task")
        task_name = _recorded(args.model, info, "task", None, lambda t: t in TASKS,
                              f"one of {', '.join(TASKS)}")  # fmt: skip
    else:
        task_name = args.task
        if recorded in TASKS and recorded != task_name:
            raise ValueError(
                f"{args.model!r} was trained on the task {recorded!r}, not {task_name!r}; "
                f"leave --task out to evaluate it on its own task"
            )
    m = args.m
    if m is None:
        m = _recorded(args.model, info, "m", 200, lambda v: _whole(v, 1, MAX_M),
                      f"an integer from 1 to {MAX_M:,}")  # fmt: skip
    seed = args.seed
    if seed is None:
        seed = _recorded(args.model, info, "seed", 0, lambda v: _whole(v, 0),
                         "an integer >= 0")  # fmt: skip
    print(f"model: {net}; task {task_name}, m = {m}, seed = {seed}")
    task = TASKS[task_name]
    train, test = _split(task_name, m, seed)
    X, Y = train
    if (net.sizes[0], net.sizes[-1]) != (X.shape[0], Y.shape[0]):
        raise ValueError(
            f"{args.model!r} has sizes {net.sizes}: {net.sizes[0]} inputs and {net.sizes[-1]} "
            f"output(s), but the task {task_name} has {X.shape[0]} and {Y.shape[0]}"
            + ("; leave --task out to evaluate it on its own task" if args.task else "")
        )
    _report(net, task, train, test, task.reduction)
    return 0


def _report(net, task: Task, train, test, reduction: str) -> None:
    for name, (X, Y) in (("training", train), ("test", test)):
        line = f"{name}: J ({reduction}) = {bp.loss(net, X, Y, reduction):.6g}"
        if task.classify:
            line += f", accuracy = {np.mean(_labels(net, X) == data.labels_of(Y)):.1%}"
        print(line)


def _labels(net, X) -> np.ndarray:
    return data.labels_of(bp.predict(net, X))


def _tasks(args) -> int:
    for name, task in TASKS.items():
        print(f"{name:8} {task.about}")
        print(
            f"{'':8} sizes {' '.join(map(str, task.sizes))}, {task.activation}/"
            f"{task.output_activation or task.activation}, {task.loss}, alpha {task.alpha}, "
            f"Max {task.max_iter}, epsilon {task.epsilon:g}, batch {task.batch_size or 'all'}, "
            f"{task.reduction}"
        )
    return 0


def _plot(net: bp.Network, task: Task, train, test, history: bp.History, path: str) -> None:
    """The loss curve, beside the decision regions (2-D inputs), the fitted curve (1-D
    regression) or the confusion matrix on the test samples (other classifiers)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from bp import plot

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    plot.loss_curve(history, ax=axes[0], log=bool(history.loss) and min(history.loss) > 0)
    (X, Y), (X_test, Y_test) = train, test
    if net.sizes[0] == 2 and task.classify:
        plot.decision_boundary(net, X, Y, ax=axes[1], X_test=X_test, Y_test=Y_test)
    elif net.sizes[0] == 1 and not task.classify:
        x = np.linspace(X.min(), X.max(), 400)[np.newaxis, :]
        axes[1].plot(X[0], Y[0], "o", ms=4, label="training samples")
        axes[1].plot(X_test[0], Y_test[0], "^", ms=5, label="test samples")
        axes[1].plot(x[0], bp.predict(net, x)[0], "k-", label="network $a^L(x)$")
        axes[1].set(xlabel="$x$", ylabel="$y$", title="Fitted curve")
        axes[1].legend(fontsize="small")
    elif task.classify:
        plot.confusion_matrix(data.labels_of(Y_test), _labels(net, X_test), ax=axes[1])
    else:
        axes[1].set_axis_off()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
