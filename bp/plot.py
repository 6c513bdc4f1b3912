r"""Figures for training and for what a network learned, drawn with matplotlib.

Every function draws on the Axes ``ax`` if one is given, else on a new
figure, and returns that Axes (``ax.figure`` is its Figure). None calls
``plt.show()``: a notebook cell ends with it, a script saves the figure.
Images are the columns of X (n_in, m), read row by row.

Drawings of the network and of its computation (``network_diagram``,
``layer_graph``) live in ``bp.diagrams`` and are re-exported here.

Legible where they are read: every function here draws inside ``style()``
(the rcParams ``STYLE``), so the figures it makes are at most ``MAX_WIDTH`` =
7 in wide at 100 dpi (700 px: shown at natural size on the site's column),
with text of at least ``MIN_FONT`` = 9 pt, one or two panels a row and
legends inside the axes. bp never changes the global rcParams; a notebook
gives its own figures the same look with ``with bp.plot.style():`` or
``plt.rcParams.update(bp.plot.STYLE)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.image import AxesImage

from bp import _checks
from bp._style import MAX_WIDTH, MIN_FONT, STYLE, style, styled
from bp.checked import backward, forward, predict
from bp.data import _labels, confusion, labels_of
from bp.diagrams import layer_graph, network_diagram, number
from bp.network import Network

Array = np.ndarray

__all__ = [
    "MAX_WIDTH",
    "MIN_FONT",
    "STYLE",
    "confusion_matrix",
    "curves",
    "decision_boundary",
    "delta_norms",
    "delta_norms_of",
    "first_layer_weights",
    "function_fit",
    "layer_graph",
    "loss_curve",
    "misclassified",
    "network_diagram",
    "number",
    "panels",
    "style",
]


def _axes(ax: Axes | None) -> Axes:
    return plt.subplots()[1] if ax is None else ax


@styled
def loss_curve(
    history_or_losses, validation=None, ax: Axes | None = None, log: bool = True
) -> Axes:
    r"""J after each iteration: a bp.History (its ``.loss``) or a sequence of losses.

    ``validation`` (a History, whose ``.validation_loss`` is taken, or a
    sequence, one value per iteration) is drawn as a second line; a History
    trained with ``validation=`` brings its own. ``log=True`` uses a log scale
    for J, where both fast and slow phases of training show.
    """
    curves = {"training": _losses("history_or_losses", history_or_losses, "loss")}
    if validation is None and getattr(history_or_losses, "validation_loss", None):
        validation = history_or_losses
    if validation is not None:
        curves["validation"] = _losses("validation", validation, "validation_loss")
    if log and min(c.min() for c in curves.values()) <= 0:
        raise ValueError("a log scale needs losses > 0; pass log=False")
    ax = _axes(ax)
    for name, J in curves.items():
        ax.plot(np.arange(1, J.size + 1), J, label=name)
    if log:
        ax.set_yscale("log")
    if validation is not None:
        ax.legend()
    ax.set(xlabel="iteration", ylabel="$J$", title="Loss $J$ after each iteration")
    return ax


def _losses(name: str, value, attribute: str) -> Array:
    J = np.asarray(getattr(value, attribute, value), dtype=float)
    if J.ndim != 1 or J.size == 0:
        raise ValueError(f"{name} must be a History or a non-empty 1-D sequence of losses")
    return J


@styled
def decision_boundary(
    net: Network,
    X: Array,
    Y: Array,
    ax: Axes | None = None,
    resolution: int = 200,
    X_test: Array | None = None,
    Y_test: Array | None = None,
) -> Axes:
    r"""The network's answer over the plane, with the samples X (2, m) coloured by Y on top.

    For one output (n_out = 1) it shades a^L and draws the boundary a^L = 0.5;
    for K ≥ 2 outputs it colours each point by its class argmax_k a^L_k.
    Y is (n_out, m): labels 0/1 for one output, one-hot for K. Test samples
    ``X_test``, ``Y_test``, if given, are drawn as triangles beside the training
    circles; a legend says which colour is which class.
    """
    n_in, n_out = net.sizes[0], net.sizes[-1]
    if n_in != 2:
        raise ValueError(
            f"decision_boundary needs a network with n_in = 2 inputs; got n_in = {n_in}"
        )
    resolution = _checks.check_integer("resolution", resolution, 2)
    sets = [("training", *_points("X", "Y", X, Y, n_out))]
    if X_test is not None or Y_test is not None:
        sets.append(("test", *_points("X_test", "Y_test", X_test, Y_test, n_out)))
    x1, x2 = _grid(np.hstack([points for _, points, _ in sets]), resolution)
    a_L = predict(net, np.vstack([x1.ravel(), x2.ravel()]))
    ax = _axes(ax)
    K = max(n_out, 2)
    colours = plt.get_cmap("RdBu")(np.array([0.1, 0.9])) if n_out == 1 else None
    colours = plt.get_cmap("tab10")(np.arange(K) % 10) if colours is None else colours
    if n_out == 1:
        a_L = a_L.reshape(x1.shape)
        ax.contourf(x1, x2, a_L, levels=np.linspace(0, 1, 11), cmap="RdBu", alpha=0.5)
        ax.contour(x1, x2, a_L, levels=[0.5], colors="k")
        title = "Decision boundary $a^L = 0.5$"
    else:
        regions = labels_of(a_L).reshape(x1.shape)
        ax.contourf(
            x1, x2, regions, levels=np.arange(K + 1) - 0.5, cmap=ListedColormap(colours), alpha=0.35
        )
        title = r"Decision regions $\arg\max_k a^L_k$"
    for (name, points, labels), marker in zip(sets, ("o", "^"), strict=False):
        for k in range(K):
            mine = labels == k
            if mine.any():
                ax.scatter(
                    points[0, mine], points[1, mine], color=colours[k], marker=marker,
                    edgecolors="k", linewidths=0.8, s=28, label=f"class {k} ({name})",
                )  # fmt: skip
    ax.legend()
    ax.set(xlabel="$x_1$", ylabel="$x_2$", title=title)
    return ax


def _points(x_name: str, y_name: str, X, Y, n_out: int) -> tuple[Array, Array]:
    """Checked plot data: X (2, m) finite, Y (n_out, m); returns X and the labels."""
    X, Y = np.asarray(X, dtype=float), np.asarray(Y, dtype=float)
    if X.ndim != 2 or X.shape[0] != 2:
        raise ValueError(f"{x_name} must have shape (2, m), samples as columns; got {X.shape}")
    if Y.shape != (n_out, X.shape[1]):
        raise ValueError(f"{y_name} must have shape (n_out={n_out}, m={X.shape[1]}); got {Y.shape}")
    for name, value in ((x_name, X), (y_name, Y)):
        if not np.isfinite(value).all():
            raise ValueError(f"{name} holds NaN or inf; the plot needs finite values")
    return X, labels_of(Y)


def _grid(X: Array, resolution: int) -> tuple[Array, Array]:
    """A resolution × resolution grid over the samples' range, widened by 10% on each side."""
    low, high = X.min(axis=1), X.max(axis=1)
    pad = 0.1 * np.maximum(high - low, 1e-3)
    axes = [
        np.linspace(lo - p, hi + p, resolution) for lo, hi, p in zip(low, high, pad, strict=True)
    ]
    x1, x2 = np.meshgrid(*axes)
    return x1, x2


@styled
def confusion_matrix(
    labels_true: Sequence[int] | Array,
    labels_pred: Sequence[int] | Array,
    K: int | None = None,
    ax: Axes | None = None,
) -> Axes:
    r"""The confusion matrix C (K, K) drawn with its counts: row i true class, column j predicted.

    C is ``bp.data.confusion(labels_true, labels_pred, K)``; the title gives
    the accuracy trace(C) / m.
    """
    C = confusion(labels_true, labels_pred, K)
    K = C.shape[0]
    ax = _axes(ax)
    ax.imshow(C, cmap="Blues")
    for (i, j), count in np.ndenumerate(C):
        colour = "white" if count > C.max() / 2 else "black"
        ax.text(j, i, str(count), ha="center", va="center", color=colour)
    ax.set_xticks(range(K))
    ax.set_yticks(range(K))
    accuracy = np.trace(C) / max(C.sum(), 1)
    ax.set(
        xlabel="predicted class",
        ylabel="true class",
        title=f"Confusion matrix, accuracy {accuracy:.1%}",
    )
    return ax


@styled
def misclassified(
    X: Array,
    labels_true: Sequence[int] | Array,
    labels_pred: Sequence[int] | Array,
    shape: tuple[int, int] = (8, 8),
    n: int = 16,
    ax: Axes | None = None,
) -> Axes:
    r"""The first ``n`` wrongly classified images among the columns of X (n_in, m), in a grid.

    Each image is a column of X reshaped to ``shape``; the label above it
    reads "true→predicted".
    """
    X = _images("X", X, shape)
    n = _checks.check_integer("n", n, 1)
    true, pred = _labels("labels_true", labels_true), _labels("labels_pred", labels_pred)
    if true.shape != (X.shape[1],) or pred.shape != (X.shape[1],):
        raise ValueError(
            f"labels_true and labels_pred must have shape (m,) = ({X.shape[1]},); "
            f"got {true.shape} and {pred.shape}"
        )
    wrong = np.flatnonzero(true != pred)
    shown = wrong[:n]
    ax = _axes(ax)
    captions = [f"{true[i]}→{pred[i]}" for i in shown]
    _tile(ax, X[:, shown], shape, captions, cmap="gray_r")
    ax.set_title(f"{wrong.size} of {X.shape[1]} misclassified (true→predicted)")
    return ax


@styled
def first_layer_weights(
    net: Network, shape: tuple[int, int] = (8, 8), n: int | None = None, ax: Axes | None = None
) -> Axes:
    r"""Rows of W^2 (n_2, n_1) as images of ``shape``: what each neuron of layer 2 looks for.

    Row j holds the weights from the n_1 input pixels to neuron j, so it has
    the shape of an input image. ``n`` limits how many rows are shown (all by
    default). One colour scale, symmetric about 0, serves every image.
    """
    W = net.W[2]
    if n is not None:
        n = _checks.check_integer("n", n, 1)
    if W.shape[1] != shape[0] * shape[1]:
        raise ValueError(
            f"the network has n_in = {W.shape[1]} inputs, which do not make images of shape {shape}"
        )
    rows = W[: W.shape[0] if n is None else n]
    ax = _axes(ax)
    v = max(float(np.abs(rows).max()), 1e-12)
    image = _tile(ax, rows.T, shape, [str(j) for j in range(1, rows.shape[0] + 1)], "RdBu", v)
    ax.figure.colorbar(image, ax=ax, label="$W^2_{jk}$")
    ax.set_title("Rows $j$ of $W^2$ as images")
    return ax


def _images(name: str, X: Array, shape: tuple[int, int]) -> Array:
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[0] != shape[0] * shape[1]:
        raise ValueError(
            f"{name} must have shape (n_in, m) with n_in = {shape[0]}·{shape[1]} pixels of an "
            f"image of shape {shape}, samples as columns; got {X.shape}"
        )
    if not np.isfinite(X).all():
        raise ValueError(f"{name} holds NaN or inf; images need finite pixel values")
    return X


def _tile(
    ax: Axes,
    images: Array,
    shape: tuple[int, int],
    captions: Sequence[str],
    cmap: str,
    v: float | None = None,
) -> AxesImage:
    r"""Draw the columns of ``images`` (n_in, k) as a grid of images of ``shape``.

    All k images make one picture (masked between tiles) with one colour
    scale, ``[−v, v]`` if ``v`` is given. Each caption sits in a band above
    its tile, whose top-left pixel is at the caption's position + (½, ½).
    """
    h, w = shape
    band = max(2, h // 3)
    k = images.shape[1]
    cols = max(int(np.ceil(np.sqrt(k))), 1)
    rows = max(int(np.ceil(k / cols)), 1)
    grid = np.ma.masked_array(np.zeros((rows * (band + h), cols * (w + 1) - 1)), mask=True)
    for t in range(k):
        top, left = (t // cols) * (band + h) + band, (t % cols) * (w + 1)
        grid[top : top + h, left : left + w] = images[:, t].reshape(shape)
        ax.text(left - 0.5, top - 0.5, captions[t], fontsize=MIN_FONT, va="bottom")
    image = ax.imshow(grid, cmap=cmap, vmin=None if v is None else -v, vmax=v)
    ax.set_xticks([])
    ax.set_yticks([])
    return image


def delta_norms_of(net: Network, X: Array, Y: Array) -> dict[int, float]:
    r"""‖δ^l‖ for l = 2..L: the Frobenius norm of δ^l (n_l, m) over the m samples.

    δ^l comes from one forward pass and ``bp.backward``. Small norms in the
    first layers mean their W^l barely move: the vanishing gradient.
    """
    z, a = forward(net, X)
    delta = backward(net, z, a, Y)
    return {l: float(np.linalg.norm(delta[l])) for l in sorted(delta)}


@styled
def delta_norms(
    norms: Mapping[int, float] | Sequence[Mapping[int, float]],
    ax: Axes | None = None,
    label: str | None = None,
    relative: bool = False,
) -> Axes:
    r"""‖δ^l‖ on a log scale: by layer at one moment, or per layer over training.

    ``norms`` is either one dict {l: ‖δ^l‖} (from ``delta_norms_of``), drawn
    against the layer l, or a sequence of such dicts, one per iteration
    (e.g. collected by ``train``'s callback), drawn as one line per layer
    against the iteration. ``relative=True`` divides each ‖δ^l‖ by ‖δ^L‖ of
    the same moment, so the lines show how the error shrinks (or grows)
    going back from the output. Call it again on the same ``ax`` with another
    ``label`` to compare networks, e.g. sigmoid against relu.
    """
    if isinstance(norms, Mapping):
        layers, sizes = _norms_table("norms", [norms], relative)
        ax = _axes(ax)
        ax.plot(layers, sizes[0], marker="o", label=label)
        ax.set_xticks(layers)
        if label is not None:
            ax.legend()
        x_label, title = "layer $l$", r"Size of $\delta^l$ by layer"
    else:
        layers, sizes = _norms_table("norms", list(norms), relative)
        ax = _axes(ax)
        colours = plt.get_cmap("viridis")(np.linspace(0, 0.9, layers.size))
        iterations = np.arange(1, sizes.shape[0] + 1)
        for l, column, colour in zip(layers, sizes.T, colours, strict=True):
            name = f"$l = {l}$" if label is None else f"{label}, $l = {l}$"
            ax.plot(iterations, column, color=colour, label=name)
        ax.legend(ncols=1 if layers.size <= 4 else 2)
        x_label, title = "iteration", r"Size of $\delta^l$ during training"
    ax.set_yscale("log")
    y_label = r"$\|\delta^l\| \,/\, \|\delta^L\|$" if relative else r"$\|\delta^l\|$"
    ax.set(xlabel=x_label, ylabel=y_label, title=title)
    return ax


def _norms_table(name: str, moments: list, relative: bool) -> tuple[Array, Array]:
    """The layers (k,) and the norms (moments, k) of dicts {l: ‖δ^l‖} with the same layers,
    each divided by its last layer's norm if ``relative``."""
    layers = np.array(sorted(moments[0])) if moments else np.array([])
    if layers.size == 0 or any(not isinstance(m, Mapping) or sorted(m) != list(layers)
                               for m in moments):  # fmt: skip
        raise ValueError(
            f"{name} must be a dict {{l: ‖δ^l‖}}, or a non-empty sequence of such dicts with "
            f"the same layers l; got {moments[:2]}{' ...' if len(moments) > 2 else ''}"
        )
    sizes = np.array([[m[l] for l in layers] for m in moments], dtype=float)
    if not np.all(np.isfinite(sizes) & (sizes > 0)):
        raise ValueError(f"{name} must hold finite norms ‖δ^l‖ > 0 for a log scale; got {sizes}")
    return layers, sizes / sizes[:, -1:] if relative else sizes


@styled
def panels(
    n: int, height: float = 3.0, sharex: bool = False, sharey: bool = False
) -> tuple[plt.Figure, list[Axes]]:
    r"""A figure of ``n`` panels, two to a row, that a notebook stores at most 700 px wide.

    It is ``MAX_WIDTH`` − 0.3 = 6.7 in wide at 100 dpi: Jupyter saves a figure
    with a tight bounding box and 0.1 in of padding on each side, so the PNG
    stays within 700 px even when a label reaches the figure's edge.
    ``height`` is the height of one row in inches. With an odd ``n`` the last
    row holds one panel and no empty frame. Returns the figure and its ``n``
    Axes in reading order. Draw on them with this module's functions (or
    inside ``style()``), so that text keeps at least 9 pt.
    """
    n = _checks.check_integer("n", n, 1)
    if not height > 0:
        raise ValueError(f"height must be > 0 inches; got {height}")
    rows, cols = -(-n // 2), min(n, 2)
    fig, grid = plt.subplots(
        rows, cols, figsize=(MAX_WIDTH - 0.3, height * rows), squeeze=False,
        sharex=sharex, sharey=sharey, layout="constrained",
    )  # fmt: skip
    axes = list(grid.ravel())
    for extra in axes[n:]:
        fig.delaxes(extra)
    return fig, axes[:n]


@styled
def curves(
    series: Mapping[str, object],
    ax: Axes | None = None,
    *,
    xlabel: str = "iteration",
    ylabel: str = "",
    title: str | None = None,
    log: str = "",
    marker: str | None = None,
    styles: Mapping[str, Mapping[str, object]] | None = None,
    hlines: Mapping[str, float] | None = None,
    vlines: Mapping[str, float] | None = None,
    marks: Mapping[str, tuple[float, float]] | None = None,
    legend: str | None = "best",
) -> Axes:
    r"""Named curves on one Axes, with a legend inside it: losses, steps, norms, outputs.

    ``series`` maps a label to the values y (drawn at x = 1, 2, …, one per
    iteration) or to a pair (x, y). ``log`` is "", "x", "y" or "xy": the axes
    drawn on a log scale. ``marker`` marks every point; ``styles`` gives
    matplotlib line options per label (colour, line style, width). ``hlines``
    and ``vlines`` draw labelled reference lines at the given y or x (a
    threshold ε, a best iteration); ``marks`` draws labelled single points
    (x, y), such as where a stopping rule fired. ``legend`` places the legend
    inside the Axes ("best", "lower left", …); ``None`` draws none.
    """
    if not series:
        raise ValueError("series must map at least one label to its values")
    if log not in ("", "x", "y", "xy"):
        raise ValueError(f'log must be "", "x", "y" or "xy"; got {log!r}')
    ax = _axes(ax)
    for label, values in series.items():
        x, y = _xy(label, values)
        look: dict[str, Any] = dict((styles or {}).get(label, {}))
        ax.plot(x, y, marker=marker, label=label, **look)
    for dashes, lines, draw in (("--", hlines, ax.axhline), (":", vlines, ax.axvline)):
        for i, (label, at) in enumerate((lines or {}).items()):
            draw(at, color=f"{0.25 + 0.2 * i:.2f}", lw=1.2, ls=dashes, label=label)
    for i, (label, point) in enumerate((marks or {}).items()):
        ax.plot([point[0]], [point[1]], "osD^v<>"[i % 7], ms=8, mec="k", ls="none", label=label)
    ax.set(xscale="log" if "x" in log else "linear", yscale="log" if "y" in log else "linear")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title or "")
    ax.grid(True, alpha=0.3)
    if legend is not None:
        ax.legend(loc=legend)  # type: ignore[call-overload]  # any of matplotlib's places
    return ax


def _xy(label: str, values) -> tuple[Array, Array]:
    """The (x, y) of one curve: y alone is drawn at x = 1..len(y)."""
    if isinstance(values, tuple) and len(values) == 2:
        x, y = (np.asarray(v, dtype=float).ravel() for v in values)
    else:
        y = np.asarray(values, dtype=float).ravel()
        x = np.arange(1, y.size + 1, dtype=float)
    if y.size == 0 or x.shape != y.shape:
        raise ValueError(
            f"the curve {label!r} needs non-empty y and an x of the same length; "
            f"got {x.size} x and {y.size} y"
        )
    return x, y


@styled
def function_fit(
    net: Network,
    X: Array,
    Y: Array,
    ax: Axes | None = None,
    *,
    X_val: Array | None = None,
    Y_val: Array | None = None,
    target: Callable[[Array], Array] | None = None,
    title: str | None = None,
    ylim: tuple[float, float] | None = None,
    legend: bool = True,
) -> Axes:
    r"""A network with one input and one output drawn as the curve y = a^L(x), over its samples.

    X, Y (1, m) are the training samples (dots); ``X_val``, ``Y_val`` other
    samples (crosses); ``target`` the function the samples come from (dashed),
    if known. The curve spans the samples' range of x.
    """
    if net.sizes[0] != 1 or net.sizes[-1] != 1:
        raise ValueError(f"function_fit needs n_in = n_out = 1; got sizes {net.sizes}")
    sets = [("training", X, Y)] + ([] if X_val is None else [("validation", X_val, Y_val)])
    points = []
    for name, Xs, Ys in sets:
        Xs, Ys = np.asarray(Xs, dtype=float), np.asarray(Ys, dtype=float)
        if Xs.ndim != 2 or Xs.shape[0] != 1 or Ys.shape != Xs.shape:
            raise ValueError(
                f"the {name} samples X and Y must both have shape (1, m); "
                f"got {Xs.shape} and {Ys.shape}"
            )
        points.append((name, Xs[0], Ys[0]))
    xs = np.concatenate([x for _, x, _ in points])
    grid = np.linspace(xs.min(), xs.max(), 400)
    ax = _axes(ax)
    if target is not None:
        ax.plot(grid, target(grid), "k--", label="target")
    ax.plot(grid, predict(net, grid[np.newaxis, :])[0], color="C0", lw=2, label="network")
    looks: tuple[dict[str, Any], ...] = (
        {"color": "C3", "marker": "o"},
        {"color": "0.55", "marker": "x"},
    )
    for (name, x, y), look in zip(points, looks, strict=False):
        ax.plot(x, y, ls="none", label=name, **look)
    ax.set(xlabel="$x$", ylabel="$y$", title=title or "")
    if ylim is not None:
        ax.set_ylim(ylim)
    if legend:
        ax.legend()
    return ax


@styled
def activation_curves(
    names: Sequence[str] | None = None,
    z: Array | None = None,
    *,
    ylim: tuple[float, float] = (-1.2, 2.2),
) -> plt.Figure:
    r"""σ(z) and σ'(z) of bp's activations, one panel each, two panels a row.

    ``names``: keys of ``bp.ACTIVATIONS`` (default: all of them, in its order);
    ``z``: the grid (default 401 points from −5 to 5). σ is the solid line, σ'
    the dashed one; where σ' jumps (relu's step at 0) the dashed line is broken
    there instead of drawn as a vertical stroke. A jump is a step between
    neighbouring grid points larger than 0.05 and than 20 times the median step.
    Returns the Figure (``panels``: at most 700 px wide); its panels are ``fig.axes``.
    """
    from bp.activations import ACTIVATIONS

    names = list(ACTIVATIONS) if names is None else list(names)
    if not names:
        raise ValueError("activation_curves needs at least one activation name")
    unknown = [n for n in names if n not in ACTIVATIONS]
    if unknown:
        raise ValueError(f"unknown activation {unknown[0]!r}; bp has {sorted(ACTIVATIONS)}")
    z = np.linspace(-5.0, 5.0, 401) if z is None else np.asarray(z, dtype=float).ravel()
    if z.size < 2:
        raise ValueError(f"z must hold at least two points; got {z.size}")
    fig, axes = panels(len(names), 2.3)
    for i, (ax, name) in enumerate(zip(axes, names, strict=True)):
        act = ACTIVATIONS[name]
        ax.plot(z, act.sigma(z), label="σ(z)")
        slope = np.array(act.sigma_prime(z), dtype=float)
        steps = np.abs(np.diff(slope))
        slope[1:][steps > max(0.05, 20 * float(np.median(steps)))] = np.nan
        ax.plot(z, slope, "--", label="σ'(z)")
        ax.axhline(0, color="grey", lw=0.5)
        ax.axvline(0, color="grey", lw=0.5)
        ax.set(title=name, ylim=ylim)
        if i >= len(names) - 2:
            ax.set_xlabel("$z$")
    axes[0].legend(loc="upper left")
    return fig


@styled
def layer_histograms(
    values: Mapping[str, Mapping[int, Array]],
    layers: Sequence[int] | None = None,
    *,
    bins: int = 40,
    value_range: tuple[float, float] = (0.0, 1.0),
    xlabel: str = r"activation $a = \sigma(z)$",
) -> plt.Figure:
    r"""Histograms of a quantity per layer (a^l, z^l, δ^l) for one or more runs.

    ``values`` maps a run's label to its arrays by layer, e.g. ``{"bp": a}``
    with ``z, a = bp.forward(net, X)``: one panel per run, two panels a row.
    In a panel each layer of ``layers`` (default: all the run's layers but 1,
    the input) is one histogram of all its entries, every sample and unit
    pooled, over ``value_range`` in ``bins`` bins; the layers are stacked from
    the first at the top, each scaled to its own tallest bar, so their shapes
    compare and their counts do not. Returns the Figure (``panels``: at most 700 px wide).
    """
    if not values:
        raise ValueError("layer_histograms needs at least one run of values")
    bins = _checks.check_integer("bins", bins, 1)
    fig, axes = panels(len(values), 2.8)
    edges = np.linspace(value_range[0], value_range[1], bins + 1)
    for i, (ax, (label, run)) in enumerate(zip(axes, values.items(), strict=True)):
        shown = [l for l in sorted(run) if l != 1] if layers is None else list(layers)
        missing = [l for l in shown if l not in run]
        if not shown or missing:
            raise ValueError(f"run {label!r} has layers {sorted(run)}; asked for {shown}")
        for row, l in enumerate(shown):
            counts, _ = np.histogram(np.asarray(run[l], dtype=float).ravel(), bins=edges)
            base = len(shown) - 1 - row
            height = 0.85 * counts / max(int(counts.max()), 1)
            ax.stairs(base + height, edges, baseline=base, fill=True, color=f"C{i}", alpha=0.8)
        ax.set_yticks(range(len(shown)), [f"$l = {l}$" for l in reversed(shown)])
        ax.set(title=label, xlabel=xlabel, ylim=(-0.1, len(shown)))
    return fig


__all__ += ["activation_curves", "layer_histograms"]


@styled
def images(
    X: Array,
    captions: Sequence[str] | None = None,
    shape: tuple[int, int] = (8, 8),
    n: int | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    r"""The first ``n`` columns of X (n_in, m) as a grid of images, ink dark on white.

    Each image is a column of X reshaped to ``shape``, read row by row. One
    caption per image (its label, say) is written above it; ``captions`` may
    be longer than ``n``, and ``None`` writes none. All images share one grey
    scale.
    """
    X = _images("X", X, shape)
    count = X.shape[1] if n is None else min(_checks.check_integer("n", n, 1), X.shape[1])
    words = [""] * count if captions is None else [str(c) for c in captions]
    if len(words) < count:
        raise ValueError(f"captions must give one caption per image, {count}; got {len(words)}")
    ax = _axes(ax)
    _tile(ax, X[:, :count], shape, words[:count], cmap="gray_r")
    ax.set_title(title or "")
    return ax


__all__ += ["images"]
