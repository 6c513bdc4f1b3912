r"""Drawings of a network and of its computation, from the objects a notebook holds.

``network_diagram`` draws a ``bp.Network``: layers l = 1..L from left to
right, units as circles, the connections coloured by the sign of W^l_jk and
as thick as |W^l_jk|, and, when given, the values z^l_j, a^l_j and δ^l_j of
one sample inside the units; ``direction="backward"`` shows δ flowing from
right to left. ``layer_graph`` draws one layer as a computational graph,
forward values above its edges and gradients below. Both take z and a from
``bp.forward(net, X)`` and δ from ``bp.backward``: dicts keyed by the
document's l, each array (n_l, m) with the samples as columns.

``bp.plot`` re-exports both; like every function there they draw in
``bp.plot.style()``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle

from bp import _checks
from bp._style import MAX_WIDTH, MIN_FONT, styled
from bp.network import Network

Array = np.ndarray
Values = Mapping[int, Array]

#: The width of a drawing's content, in inches: a PNG saved with bbox_inches="tight" (as
#: Jupyter's inline backend does) adds 0.1 in on each side, up to MAX_WIDTH.
WIDTH = MAX_WIDTH - 0.2
#: Room for the title above a drawing, in inches.
TITLE = 0.4

#: The colours of positive and negative weights, of gradients and of the flow arrows.
POSITIVE, NEGATIVE, GRADIENT, FLOW = "#2166ac", "#b2182b", "#b2182b", "#555555"
#: The symbol each kind of value is written with, in a unit.
SYMBOLS = {"z": "$z$", "a": "$a$", "delta": r"$\delta$"}


def number(value: float, digits: int = 2) -> str:
    """``value`` with ``digits`` significant digits, as bp's drawings write it.

    A minus is written −; below 10^−3 in size, as mantissa e exponent (−2.8e−4).
    """
    text = f"{value:.{digits}g}"
    if 0 < abs(value) < 1e-3:  # 2.8e-04 -> 2.8e−4: short enough to fit in a unit
        mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text.replace("-", "−")


@styled
def network_diagram(
    net: Network,
    ax: Axes | None = None,
    *,
    z: Values | None = None,
    a: Values | None = None,
    delta: Values | None = None,
    sample: int = 0,
    direction: str = "forward",
    weights: bool = True,
    max_units: int | None = None,
    digits: int = 2,
) -> Axes:
    r"""Draw the network: its layers, units and connections, and the values of one sample.

    Layer l = 1 (the input) is on the left, layer L (the output) on the right;
    each unit j of layer l is a circle. The line from unit k of layer l-1 to
    unit j of layer l stands for the weight W^l_jk: blue when positive, red
    when negative, thicker the larger |W^l_jk| (``weights=False``: all grey).
    A layer wider than ``max_units`` (default 7, or 5 with values) shows its
    first and last units, a ⋮ between them and each unit's index j.

    Without values each circle names its unit (a^l_j, or δ^l_j going
    backward). Given ``z`` and ``a`` (from ``bp.forward``) and ``delta``
    (from ``bp.backward``), each circle shows z^l_j, a^l_j and δ^l_j of the
    column ``sample``, rounded to ``digits`` significant digits (``number``).
    Three values fit in the units of up to five layers; for deeper networks
    pass fewer.

    ``direction="forward"`` labels the arrow between layers l-1 and l with
    W^l and b^l; ``"backward"`` turns the arrows right to left and labels
    them with the recursion δ^{l-1} = (W^l)^T δ^l ⊙ σ'(z^{l-1}), from δ^L
    at the output to δ^2 (the input layer has no δ).
    """
    direction = _checks.choice("direction", direction, ("forward", "backward"))
    digits = _checks.check_integer("digits", digits, 1)
    values = _sample_values(net, sample, z=z, a=a, delta=delta)
    if max_units is None:
        max_units = 5 if values else 7
    max_units = _checks.check_integer("max_units", max_units, 3)
    L = net.L
    slots = {l: _slots(net.n(l), max_units) for l in range(1, L + 1)}
    lines = len(values)
    r = 0.3 if lines == 0 else 0.26 + 0.08 * lines  # the circles' radius
    pitch = 2 * r + 0.35  # from one unit's centre to the next
    dx = 2.0 if lines == 0 else 2 * r + 0.9  # from one layer to the next
    tallest = max(len(s) for s in slots.values())
    left, right = -0.9, (L - 1) * dx + (r + 1.4 if direction == "backward" else 0.9)
    top, bottom = (tallest - 1) / 2 * pitch + r + 1.1, -(tallest - 1) / 2 * pitch - r - 1.5
    if ax is None:
        inches = min(0.95 if lines else 0.6, WIDTH / (right - left))
        ax = _canvas((right - left) * inches, (top - bottom) * inches)
    ax.set_xlim(left, right)
    ax.set_ylim(bottom, top)
    ax.set_aspect("equal")
    ax.set_axis_off()
    centres = {
        l: {j: (x, y) for j, (x, y) in _column(slots[l], (l - 1) * dx, pitch).items()}
        for l in slots
    }
    _connections(ax, net, slots, centres, r, weights)
    for l in range(1, L + 1):
        x = (l - 1) * dx
        for j, (cx, cy) in centres[l].items():
            if j is None:
                ax.text(cx, cy, r"$\vdots$", ha="center", va="center", fontsize=14, gid=f"⋮{l}")
                continue
            ax.add_patch(
                Circle(
                    (cx, cy),
                    r,
                    facecolor="white",
                    edgecolor="#333333",
                    lw=1.2,
                    zorder=3,
                    gid=f"unit {l} {j}",
                )
            )
            _unit_text(ax, (l, j), (cx, cy), r, values, direction, digits, None in slots[l])
        role = "input" if l == 1 else "output" if l == L else "hidden"
        ax.text(
            x,
            bottom + 1.15,
            f"$l={l}$ ({role})\n$n_{{{l}}}={net.n(l)}$",
            ha="center",
            va="top",
            gid=f"layer {l}",
        )
    y_flow = top - 0.75
    for l in range(2, L + 1):
        _flow(ax, (l - 2) * dx + r + 0.15, (l - 1) * dx - r - 0.15, y_flow, l, direction)
    if direction == "backward":
        ax.text(
            (L - 1) * dx + r + 0.2,
            0.0,
            rf"$\delta^{{{L}}} = \partial J / \partial a^{{{L}}}$"
            "\n"
            rf"$\quad\odot\ \sigma'(z^{{{L}}})$",
            ha="left",
            va="center",
            color=GRADIENT,
            gid="delta L",
        )
    if weights:
        handles = [Line2D([], [], color=POSITIVE, lw=2.5), Line2D([], [], color=NEGATIVE, lw=2.5)]
        ax.legend(
            handles,
            [r"$W^l_{jk} > 0$", r"$W^l_{jk} < 0$"],
            loc="lower center",
            ncols=2,
            frameon=False,
            handlelength=1.5,
            columnspacing=1.0,
        )
    what = (
        "Forward pass" if direction == "forward" else r"Backward pass: $\delta$ from right to left"
    )
    ax.set_title(what + (f", sample {sample}" if values else ""))
    return ax


def _canvas(width: float, height: float) -> Axes:
    """A new figure whose axes span width × height inches below the title, one data unit an
    inch: the layout is computed here, not by constrained layout."""
    fig = plt.figure(figsize=(width, height + TITLE), layout="none")
    return fig.add_axes((0.0, 0.0, 1.0, height / (height + TITLE)))


def _slots(n: int, max_units: int) -> list[int | None]:
    """The units of a layer of n that are drawn (1-based), None standing for the ⋮ between."""
    if n <= max_units:
        return list(range(1, n + 1))
    head = max_units // 2
    tail = max_units - 1 - head
    return [*range(1, head + 1), None, *range(n - tail + 1, n + 1)]


def _column(slots: list[int | None], x: float, pitch: float) -> dict[int | None, tuple]:
    """Where each slot's centre is: the column centred on y = 0, unit 1 at the top."""
    top = (len(slots) - 1) / 2 * pitch
    return {j: (x, top - i * pitch) for i, j in enumerate(slots)}


def _connections(ax: Axes, net: Network, slots, centres, r: float, weights: bool) -> None:
    """One line per drawn pair of units, coloured and thickened by W^l_jk; one LineCollection
    per layer l, its gid "W^l"."""
    drawn = {
        l: np.abs(_host(net.W[l])[np.ix_(_units(slots[l]), _units(slots[l - 1]))])
        for l in range(2, net.L + 1)
    }
    largest = max(max(float(w.max()) for w in drawn.values()), 1e-12)
    for l in range(2, net.L + 1):
        W = _host(net.W[l])
        segments, colours, widths = [], [], []
        for j in _units(slots[l]):
            for k in _units(slots[l - 1]):
                (x0, y0), (x1, y1) = centres[l - 1][k + 1], centres[l][j + 1]
                u = np.array([x1 - x0, y1 - y0]) / np.hypot(x1 - x0, y1 - y0)
                segments.append([(x0 + r * u[0], y0 + r * u[1]), (x1 - r * u[0], y1 - r * u[1])])
                w = float(W[j, k])
                colours.append((POSITIVE if w >= 0 else NEGATIVE) if weights else "#888888")
                widths.append(0.4 + 2.6 * abs(w) / largest if weights else 1.0)
        ax.add_collection(
            LineCollection(
                segments, colors=colours, linewidths=widths, alpha=0.8, zorder=1, gid=f"W^{l}"
            )
        )


def _units(slots: list[int | None]) -> list[int]:
    """The 0-based indices of the drawn units."""
    return [j - 1 for j in slots if j is not None]


def _unit_text(ax, unit, centre, r, values, direction, digits, elided) -> None:
    """The values of unit j of layer l inside its circle, one line each, or its name; the
    index j beside it where the layer is ``elided``."""
    (l, j), (cx, cy) = unit, centre
    if not values:
        name = "a" if direction == "forward" or l == 1 else r"\delta"
        ax.text(
            cx,
            cy,
            f"${name}^{{{l}}}_{{{j}}}$",
            ha="center",
            va="center",
            zorder=4,
            gid=f"name {l} {j}",
        )
        return
    shown = [kind for kind in values if l in values[kind]]
    line = MIN_FONT * 1.3 / 72 / _inches_per_unit(ax)
    for i, kind in enumerate(shown):
        y = cy + ((len(shown) - 1) / 2 - i) * line
        ax.text(
            cx,
            y,
            f"{SYMBOLS[kind]} {number(values[kind][l][j - 1], digits)}",
            ha="center",
            va="center",
            zorder=4,
            gid=f"{kind} {l} {j}",
            color=GRADIENT if kind == "delta" else "black",
        )
    if elided:
        ax.text(
            cx - 0.75 * r,
            cy + 0.75 * r,
            str(j),
            ha="right",
            va="bottom",
            color="#555555",
            zorder=4,
            gid=f"index {l} {j}",
            bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none"},
        )


def _inches_per_unit(ax: Axes) -> float:
    """How many inches one data unit spans (the axes keep an equal aspect)."""
    fig = cast(Figure, ax.figure)
    box = ax.get_position()
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    width, height = box.width * fig.get_figwidth(), box.height * fig.get_figheight()
    return min(width / (x1 - x0), height / (y1 - y0))


def _flow(ax: Axes, x_from: float, x_to: float, y: float, l: int, direction: str) -> None:
    """The arrow between layers l-1 and l, with what crosses it written above."""
    if direction == "forward":
        label, start, end = f"$W^{{{l}}},\\ b^{{{l}}}$", x_from, x_to
    elif l == 2:
        ax.text(
            (x_from + x_to) / 2,
            y,
            "the input\nhas no $\\delta$",
            ha="center",
            va="center",
            color=FLOW,
            gid=f"flow label {l}",
        )
        return
    else:
        label = (
            f"$\\delta^{{{l - 1}}} = (W^{{{l}}})^T \\delta^{{{l}}}$\n"
            f"$\\odot\\ \\sigma'(z^{{{l - 1}}})$"
        )
        start, end = x_to, x_from
    colour = FLOW if direction == "forward" else GRADIENT
    arrow = {"arrowstyle": "-|>", "mutation_scale": 14, "lw": 1.5, "color": colour}
    ax.annotate("", (end, y), (start, y), arrowprops=arrow, gid=f"flow {l}")
    ax.text(
        (x_from + x_to) / 2,
        y + 0.12,
        label,
        ha="center",
        va="bottom",
        color=colour,
        gid=f"flow label {l}",
    )


def _host(value) -> Array:
    """``value`` as a NumPy array of floats, copied from the GPU if it lives there."""
    if not isinstance(value, np.ndarray) and hasattr(value, "__cuda_array_interface__"):
        value = value.get()
    return np.asarray(value, dtype=float)


def _sample_values(net: Network, sample: int, **given: Values | None) -> dict[str, dict]:
    """{kind: {l: the column ``sample`` of given[kind][l]}}, each array checked against net.

    z and δ have layers 2..L, a has 1..L; every array is (n_l, m) with one m.
    """
    layers = {"z": range(2, net.L + 1), "a": range(1, net.L + 1), "delta": range(2, net.L + 1)}
    source = {"z": "bp.forward", "a": "bp.forward", "delta": "bp.backward"}
    sample = _checks.check_integer("sample", sample, 0)
    out: dict[str, dict] = {}
    m = None
    for kind, value in given.items():
        if value is None:
            continue
        if not isinstance(value, Mapping):
            raise TypeError(
                f"{kind} must be a dict of arrays keyed by the layer l, as {source[kind]} "
                f"returns; got {type(value).__name__}"
            )
        out[kind] = {}
        for l in layers[kind]:
            if l not in value:
                raise ValueError(
                    f"{kind} has no layer {l}: it needs l = {layers[kind].start}..{net.L}, as "
                    f"{source[kind]} returns"
                )
            arr = _host(value[l])
            if arr.ndim != 2 or arr.shape[0] != net.n(l):
                raise ValueError(
                    f"{kind}[{l}] must have shape (n_{l}={net.n(l)}, m), samples as columns; "
                    f"got {arr.shape}"
                )
            if m is not None and arr.shape[1] != m:
                raise ValueError(
                    f"{kind}[{l}] has m = {arr.shape[1]} samples, the other values m = {m}; pass "
                    "z, a and delta of the same samples"
                )
            m = arr.shape[1]
            if sample >= m:
                raise ValueError(f"sample must be a column 0..{m - 1} of the values; got {sample}")
            out[kind][l] = arr[:, sample]
    return out


@styled
def layer_graph(
    net: Network,
    l: int,
    ax: Axes | None = None,
    *,
    z: Values | None = None,
    a: Values | None = None,
    delta: Values | None = None,
    Y: Array | None = None,
    sample: int = 0,
    numbers: bool | None = None,
    digits: int = 2,
) -> Axes:
    r"""Layer l as a computational graph: forward values above the edges, gradients below.

    a^{l-1} and W^l meet in a matrix product (×), b^l is added (+) to give
    z^l, and σ turns z^l into a^l, which goes on to J. Above each edge, in
    black: its quantity and value for the column ``sample`` of ``a`` and
    ``z`` (from ``bp.forward``). Below, in red: the gradient of J_i (the
    loss of that sample) with respect to it, from ``delta`` (``bp.backward``):
    ∂J/∂a^l = (W^{l+1})^T δ^{l+1} (for l = L, from ``Y`` and the loss's
    ∂J/∂a^L), δ^l = ∂J/∂z^l, which the + passes unchanged to W^l a^{l-1} and
    to b^l, ∂J/∂W^l = δ^l (a^{l-1})^T and ∂J/∂a^{l-1} = (W^l)^T δ^l.

    ``numbers`` (default: when n_l and n_{l-1} are at most 3) writes the
    values, rounded to ``digits`` significant digits; otherwise, or where
    no values are given, each edge shows the shape of its quantity.
    """
    l = _checks.check_integer("l", l, 2)
    if l > net.L:
        raise ValueError(f"l must be a layer 2..L = 2..{net.L} of the network; got {l}")
    digits = _checks.check_integer("digits", digits, 1)
    values = _sample_values(net, sample, z=z, a=a, delta=delta)
    if numbers is None:
        numbers = max(net.n(l), net.n(l - 1)) <= 3
    forward_values, gradients = _layer_quantities(net, l, values, Y, sample)
    shapes = {
        "a_prev": (net.n(l - 1), 1),
        "W": (net.n(l), net.n(l - 1)),
        "Wa": (net.n(l), 1),
        "b": (net.n(l), 1),
        "z": (net.n(l), 1),
        "a": (net.n(l), 1),
    }
    names, gradient_names = _layer_names(l, net.L)

    def text(key: str, of: dict) -> str:
        if numbers and key in of:
            return _matrix(of[key], digits)
        return str(shapes[key])

    line = MIN_FONT * 1.4 / 72  # inches: the axes' data units are inches
    rows = max(net.n(l), net.n(l - 1)) if numbers else 1
    block = (rows + 1) * line + 0.1
    y_W, y_b = 2 * block + 0.1, -(2 * block + 0.1)
    height = y_W + block + 0.35 - (y_b - block) + 0.1
    if ax is None:
        ax = _canvas(WIDTH, height)
    ax.set_xlim(0, WIDTH)
    ax.set_ylim(y_b - block - 0.2, y_W + block + 0.25)
    ax.set_aspect("equal")
    ax.set_axis_off()
    x = {"×": 2.5, "+": 4.1, "σ": 5.35}
    symbols = {"×": r"$\times$", "+": "$+$", "σ": r"$\sigma$"}
    for symbol, cx in x.items():
        ax.add_patch(
            Circle(
                (cx, 0),
                0.2,
                facecolor="#f2f2f2",
                edgecolor="#333333",
                lw=1.2,
                zorder=3,
                gid=f"node {symbol}",
            )
        )
        ax.text(cx, 0, symbols[symbol], ha="center", va="center", zorder=4, fontsize=12)
    Point = tuple[float, float]
    edges: dict[str, tuple[list[Point], Point]] = {  # key: (path, where its labels go)
        "W": ([(0.3, y_W), (x["×"], y_W), (x["×"], 0.2)], (1.35, y_W)),
        "a_prev": ([(0.3, 0), (x["×"] - 0.2, 0)], (1.35, 0)),
        "Wa": ([(x["×"] + 0.2, 0), (x["+"] - 0.2, 0)], ((x["×"] + x["+"]) / 2, 0)),
        "b": ([(0.3 + x["×"], y_b), (x["+"], y_b), (x["+"], -0.2)], (x["×"] + 0.5, y_b)),
        "z": ([(x["+"] + 0.2, 0), (x["σ"] - 0.2, 0)], ((x["+"] + x["σ"]) / 2, 0)),
        "a": ([(x["σ"] + 0.2, 0), (6.45, 0)], (5.95, 0)),
    }
    for key, (path, (lx, ly)) in edges.items():
        xs, ys = zip(*path, strict=True)
        ax.plot(xs, ys, color="#333333", lw=1.3, zorder=1, gid=f"edge {key}")
        ax.annotate(
            "",
            path[-1],
            path[-2],
            arrowprops={
                "arrowstyle": "-|>",
                "color": "#333333",
                "lw": 1.3,
                "shrinkA": 0,
                "shrinkB": 0,
            },
        )
        ax.text(
            lx,
            ly + 0.06,
            text(key, forward_values),
            ha="center",
            va="bottom",
            family="monospace",
            gid=f"value {key}",
        )
        ax.text(
            lx, ly + 0.06 + rows * line, names[key], ha="center", va="bottom", gid=f"name {key}"
        )
        ax.text(
            lx,
            ly - 0.06,
            text(key, gradients),
            ha="center",
            va="top",
            color=GRADIENT,
            family="monospace",
            gid=f"gradient {key}",
        )
        ax.text(
            lx,
            ly - 0.06 - rows * line,
            gradient_names[key],
            ha="center",
            va="top",
            color=GRADIENT,
            gid=f"gradient name {key}",
        )
    ax.text(6.5, 0, r"$\cdots J$" if l < net.L else "$J$", ha="left", va="center")
    what = f", sample {sample}" if values else ""
    ax.set_title(f"Layer $l = {l}$: values above the edges, gradients (red) below{what}")
    return ax


def _layer_quantities(net: Network, l: int, values: dict, Y, sample: int) -> tuple[dict, dict]:
    """The forward values and the gradients of one sample at layer l that ``values`` allow."""
    W = _host(net.W[l])
    forward_values: dict[str, Array] = {"W": W, "b": _host(net.b[l])[:, 0]}
    gradients: dict[str, Array] = {}
    if "a" in values:
        a_prev = values["a"][l - 1]
        forward_values.update(a_prev=a_prev, Wa=W @ a_prev, a=values["a"][l])
    if "z" in values:
        forward_values["z"] = values["z"][l]
    if "delta" in values:
        d = values["delta"][l]
        gradients.update(Wa=d, b=d, z=d, a_prev=W.T @ d)
        if "a" in values:
            gradients["W"] = np.outer(d, values["a"][l - 1])
        if l < net.L:
            gradients["a"] = _host(net.W[l + 1]).T @ values["delta"][l + 1]
    if l == net.L and Y is not None and net.loss.dJ_da is not None and "a" in values:
        Y = _host(Y)
        if Y.ndim != 2 or Y.shape[0] != net.n(l) or Y.shape[1] <= sample:
            raise ValueError(
                f"Y must have shape (n_L={net.n(l)}, m) with a column {sample}; got {Y.shape}"
            )
        gradients["a"] = _host(net.loss.dJ_da(values["a"][l][:, None], Y[:, sample : sample + 1]))
        gradients["a"] = gradients["a"][:, 0]
    return forward_values, gradients


def _layer_names(l: int, L: int) -> tuple[dict[str, str], dict[str, str]]:
    """What each edge of layer l's graph carries, and its gradient, as the document writes them."""
    p = l - 1
    names = {
        "W": f"$W^{{{l}}}$",
        "a_prev": f"$a^{{{p}}}$",
        "Wa": f"$W^{{{l}}} a^{{{p}}}$",
        "b": f"$b^{{{l}}}$",
        "z": f"$z^{{{l}}}$",
        "a": f"$a^{{{l}}}$",
    }
    after = f" = (W^{{{l + 1}}})^T \\delta^{{{l + 1}}}" if l < L else ""
    gradients = {
        "W": f"$\\partial J / \\partial W^{{{l}}} = \\delta^{{{l}}} (a^{{{p}}})^T$",
        "a_prev": f"$\\partial J / \\partial a^{{{p}}} = (W^{{{l}}})^T \\delta^{{{l}}}$",
        "Wa": f"$\\delta^{{{l}}}$",
        "b": f"$\\partial J / \\partial b^{{{l}}} = \\delta^{{{l}}}$",
        "z": f"$\\delta^{{{l}}} = \\partial J / \\partial z^{{{l}}}$",
        "a": f"$\\partial J / \\partial a^{{{l}}}{after}$",
    }
    return names, gradients


def _matrix(value: Array, digits: int) -> str:
    """A vector (as a column) or a matrix, written as NumPy prints it, one row a line."""
    rows = np.atleast_2d(value.reshape(-1, 1) if value.ndim == 1 else value)
    cells = [[number(v, digits) for v in row] for row in rows]
    width = max(len(c) for row in cells for c in row)
    lines = [" ".join(c.rjust(width) for c in row) for row in cells]
    last = len(lines) - 1
    return "\n".join(
        ("[[" if i == 0 else " [") + text + ("]]" if i == last else "]")
        for i, text in enumerate(lines)
    )
