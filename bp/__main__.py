r"""``python -m bp``: train the document's network on a built-in task and plot the result.

The document's algorithm exactly: sigmoid activations in every layer, the loss
J = Σ_i ½‖a^{i,L} − y_i‖², batch gradient descent with the summed update, the
Max and ε stopping rules.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

import bp
from bp import data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bp",
        description="Train the document's network (sigmoid, ½‖a^L − y‖², batch gradient descent "
        "with Σ over samples) on two interleaving moons, print progress and the result, "
        "and write a plot of the loss and the decision boundary.",
    )
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[2, 8, 8, 1],
        metavar="N",
        help="layer sizes n_1 ... n_L, input first (default: 2 8 8 1)",
    )
    parser.add_argument("--alpha", type=float, default=0.05, help="step α (default: 0.05)")
    parser.add_argument("--max-iter", type=int, default=3000, help="Max iterations (default: 3000)")
    parser.add_argument(
        "--epsilon", type=float, default=1e-6, help="stop threshold ε (default: 1e-6)"
    )
    parser.add_argument("--m", type=int, default=200, help="number of samples (default: 200)")
    parser.add_argument("--seed", type=int, default=0, help="seed of data and weights (default: 0)")
    parser.add_argument("--plot", default="bp_result.png", help="where to write the plot")
    args = parser.parse_args(argv)

    X, Y = data.moons(args.m, seed=args.seed)
    try:
        net = bp.Network(args.sizes, seed=args.seed)
        print(f"task: two moons, m = {args.m} samples, X {X.shape}, Y {Y.shape}")
        print(f"network: {net}")
        print(f"training: alpha = {args.alpha}, Max = {args.max_iter}, epsilon = {args.epsilon}")
        history = bp.train(net, X, Y, args.alpha, args.max_iter, args.epsilon, verbose=True)
    except (ValueError, TypeError, FloatingPointError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2

    accuracy = float(np.mean((bp.predict(net, X) > 0.5) == Y))
    print(f"iterations: {history.iterations}, converged (ε rule): {history.converged}")
    print(f"final loss J = {history.loss[-1]:.6g}, training accuracy = {accuracy:.1%}")
    _plot(net, X, Y, history, args.plot)
    print(f"plot written to {args.plot}")
    return 0


def _plot(net: bp.Network, X: np.ndarray, Y: np.ndarray, history: bp.History, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_loss, ax_data) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(np.arange(1, history.iterations + 1), history.loss)
    ax_loss.set(xlabel="iteration", ylabel="J (sum over samples)", yscale="log", title="Loss")
    x1, x2 = np.meshgrid(
        np.linspace(X[0].min() - 0.5, X[0].max() + 0.5, 200),
        np.linspace(X[1].min() - 0.5, X[1].max() + 0.5, 200),
    )
    a_L = bp.predict(net, np.vstack([x1.ravel(), x2.ravel()])).reshape(x1.shape)
    ax_data.contourf(x1, x2, a_L, levels=np.linspace(0, 1, 11), cmap="RdBu", alpha=0.6)
    ax_data.contour(x1, x2, a_L, levels=[0.5], colors="k")
    ax_data.scatter(X[0], X[1], c=Y[0], cmap="RdBu", edgecolors="k", s=15)
    ax_data.set(xlabel="$x_1$", ylabel="$x_2$", title="Decision boundary $a^L = 0.5$")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
