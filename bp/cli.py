r"""``python -m bp``: train a network on a built-in task, save it, plot it, evaluate it.

With no subcommand it runs the main job: the document's network (sigmoid in
every layer, J = Σ_i ½‖a^{i,L} − y_i‖², batch gradient descent with the summed
update and the Max and ε rules) on two interleaving moons.

Exit codes: 0 success, 1 training diverged or a file could not be read,
2 bad arguments, 130 training interrupted by Ctrl-C (the model is still saved).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import bp
import bp.network
from bp import data


@dataclass(frozen=True)
class Task:
    """A built-in task and the network and training settings that suit it."""

    load: Callable[[int, int], tuple[np.ndarray, np.ndarray]]
    about: str
    sizes: tuple[int, ...]
    activation: str = "sigmoid"
    output_activation: str | None = None
    loss: str = "mse"
    alpha: float = 0.05
    max_iter: int = 3000
    batch_size: int | None = None
    reduction: str = "sum"
    classify: bool = True


def _sized(make):
    return lambda m, seed: make(m=m, seed=seed)


TASKS = {
    "moons": Task(_sized(data.moons), "two interleaving half circles (the default)", (2, 8, 8, 1)),
    "xor": Task(lambda m, seed: data.xor(), "the four XOR samples", (2, 4, 1), alpha=2.0),
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
        batch_size=32,
        reduction="mean",
    ),
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        argv = ["train", *argv]
    args = _parser().parse_args(argv)
    try:
        return args.run(args)
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
        "'train' runs the document's network on two moons and writes bp_result.png.",
        epilog="examples:\n"
        "  python -m bp\n"
        "  python -m bp train --task spiral --save spiral.npz\n"
        "  python -m bp evaluate spiral.npz --task spiral\n"
        "  python -m bp tasks",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(title="subcommands", metavar="{train,evaluate,tasks}")

    train = commands.add_parser(
        "train",
        help="train a network on a built-in task (the default)",
        description="Train a network on a built-in task. Unset options take the task's "
        "defaults (see 'python -m bp tasks'). 80%% of the samples train, 20%% test.",
    )
    train.add_argument("--task", choices=TASKS, default="moons", help="default: moons")
    _data_options(train)
    net = train.add_argument_group("network")
    net.add_argument("--sizes", type=int, nargs="+", metavar="N", help="n_1 ... n_L, input first")
    net.add_argument("--activation", help="σ of the hidden layers: " + ", ".join(bp.ACTIVATIONS))
    net.add_argument("--output-activation", help="σ of the output layer (also: softmax)")
    net.add_argument("--loss", choices=bp.LOSSES, help="the loss J")
    net.add_argument("--init", choices=bp.network.INITS, default="normal")
    fit = train.add_argument_group("gradient descent")
    fit.add_argument("--alpha", type=float, help="the step α")
    fit.add_argument("--max-iter", type=int, help="Max: the most iterations (epochs)")
    fit.add_argument("--epsilon", type=float, default=1e-6, help="stop threshold ε (1e-6)")
    fit.add_argument("--batch-size", type=int, help="1: stochastic, k: mini-batch; unset: batch")
    fit.add_argument("--reduction", choices=("sum", "mean"), help="Σ (the document) or mean")
    fit.add_argument("--l2", type=float, default=0.0, help="L2 regularization λ (0)")
    out = train.add_argument_group("output")
    out.add_argument("--save", metavar="PATH", help="write the trained model (.npz)")
    out.add_argument("--plot", metavar="PATH", default="bp_result.png", help="bp_result.png")
    out.add_argument("--no-plot", action="store_true", help="write no plot")
    out.add_argument("--quiet", action="store_true", help="no progress line")
    train.set_defaults(run=_train)

    evaluate = commands.add_parser(
        "evaluate",
        help="evaluate a saved model on a built-in task",
        description="Print the loss and, for classification, the accuracy of a saved model "
        "on the training and test parts of a task (same --m and --seed as when trained).",
    )
    evaluate.add_argument("model", help="a model written by 'train --save'")
    evaluate.add_argument("--task", choices=TASKS, default="moons", help="default: moons")
    _data_options(evaluate)
    evaluate.set_defaults(run=_evaluate)

    tasks = commands.add_parser("tasks", help="list the built-in tasks and their defaults")
    tasks.set_defaults(run=_tasks)
    return parser


def _data_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("data")
    group.add_argument("--m", type=int, default=200, help="number of samples (200)")
    group.add_argument("--seed", type=int, default=0, help="seed of data, split and weights (0)")


def _split(args):
    X, Y = TASKS[args.task].load(args.m, args.seed)
    if args.task == "xor":  # four samples: none to hold out
        return (X, Y), (X, Y)
    if X.shape[1] < 5:
        raise ValueError(f"--m {args.m} leaves no samples to test on; use --m 5 or more")
    return data.split(X, Y, (0.8, 0.2), seed=args.seed)


def _train(args) -> int:
    task = TASKS[args.task]
    (X, Y), (X_test, Y_test) = _split(args)
    activation = args.activation or task.activation
    net = bp.Network(
        args.sizes or task.sizes,
        activation,
        args.output_activation or task.output_activation,
        args.loss or task.loss,
        seed=args.seed,
        init=args.init,
    )
    settings = {
        "alpha": task.alpha if args.alpha is None else args.alpha,
        "max_iter": task.max_iter if args.max_iter is None else args.max_iter,
        "epsilon": args.epsilon,
        "batch_size": task.batch_size if args.batch_size is None else args.batch_size,
        "reduction": args.reduction or task.reduction,
        "l2": args.l2,
    }
    print(f"task: {args.task}, {task.about}; X {X.shape}, Y {Y.shape} (test: {X_test.shape[1]})")
    print(f"network: {net}")
    print("training: " + ", ".join(f"{k} = {v}" for k, v in settings.items()))
    history = bp.train(net, X, Y, seed=args.seed, verbose=not args.quiet, **settings)
    print(f"iterations: {history.iterations}, converged (ε rule): {history.converged}")
    _report(net, task, (X, Y), (X_test, Y_test), settings["reduction"])
    if args.save:
        bp.save(net, args.save)
        print(f"model saved to {args.save}")
    if not args.no_plot and history.iterations:
        _plot(net, X, Y, history, args.plot)
        print(f"plot written to {args.plot}")
    return 130 if history.interrupted else 0


def _evaluate(args) -> int:
    net = bp.load(args.model)
    print(f"model: {net}")
    task = TASKS[args.task]
    _report(net, task, *_split(args), task.reduction)
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
            f"Max {task.max_iter}, batch {task.batch_size or 'all'}, {task.reduction}"
        )
    return 0


def _plot(net: bp.Network, X: np.ndarray, Y: np.ndarray, history: bp.History, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from bp import plot

    two_d = net.sizes[0] == 2
    fig, axes = plt.subplots(1, 2 if two_d else 1, figsize=(10 if two_d else 5, 4), squeeze=False)
    plot.loss_curve(history, ax=axes[0, 0], log=min(history.loss) > 0)
    if two_d:
        plot.decision_boundary(net, X, Y, ax=axes[0, 1])
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
