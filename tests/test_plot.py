import io
import re
import struct

import matplotlib
import matplotlib.colors
import matplotlib.text

matplotlib.use("Agg")  # headless; notebooks run in their own kernel and keep the inline backend

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.contour import ContourSet

import bp
from bp import data, plot


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def line_data(ax, i=0):
    line = ax.get_lines()[i]
    return np.asarray(line.get_xdata()), np.asarray(line.get_ydata())


def line_net(w1: float, w2: float, b: float, n_out: int = 1) -> bp.Network:
    """A network with no hidden layer and identity output: a^L = W x + b, easy to predict."""
    net = bp.Network((2, n_out), "identity", seed=0)
    net.W[2][:] = np.tile([w1, w2], (n_out, 1)) * np.arange(1, n_out + 1)[:, None]
    net.b[2][:] = b
    return net


def test_loss_curve_of_a_sequence():
    ax = plot.loss_curve([4.0, 2.0, 1.0])
    x, y = line_data(ax)
    np.testing.assert_array_equal(x, [1, 2, 3])
    np.testing.assert_array_equal(y, [4.0, 2.0, 1.0])
    assert ax.get_yscale() == "log"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("iteration", "$J$")
    assert "Loss" in ax.get_title()
    assert ax.get_legend() is None
    assert plt.get_fignums() == [ax.figure.number]


def test_loss_curve_of_a_history_with_validation_on_a_given_axes():
    X, Y = data.xor()
    history = bp.train(bp.Network((2, 3, 1), seed=0), X, Y, alpha=0.5, max_iter=5, epsilon=0.0)
    _, given = plt.subplots()
    ax = plot.loss_curve(history, validation=[3.0] * 5, ax=given, log=False)
    assert ax is given
    assert len(ax.get_lines()) == 2
    np.testing.assert_array_equal(line_data(ax, 0)[1], history.loss)
    np.testing.assert_array_equal(line_data(ax, 1)[1], [3.0] * 5)
    assert ax.get_yscale() == "linear"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["training", "validation"]
    assert len(plt.get_fignums()) == 1


@pytest.mark.parametrize(
    ("losses", "match"), [([1.0, 0.0], "log=False"), ([], "non-empty"), ([[1.0]], "1-D")]
)
def test_loss_curve_rejects_bad_losses(losses, match):
    with pytest.raises(ValueError, match=match):
        plot.loss_curve(losses)


def _assert_points_by_class(ax, X, labels):
    """Every sample is drawn once, in the scatter labelled with its class (one per class)."""
    scatters = {c.get_label(): c for c in ax.collections if c.get_label().startswith("class ")}
    assert sorted(scatters) == [f"class {k} (training)" for k in np.unique(labels)]
    for k in np.unique(labels):
        offsets = scatters[f"class {k} (training)"].get_offsets()
        np.testing.assert_array_equal(offsets, X[:, labels == k].T)


def test_decision_boundary_binary_is_the_line_where_a_equals_one_half():
    net = line_net(1.0, 0.0, -0.5)  # a^L = x_1 − 0.5 = 0.5 on the line x_1 = 1
    X = np.array([[0.0, 2.0, 1.0], [0.0, 1.0, 2.0]])
    Y = np.array([[0.0, 1.0, 1.0]])
    ax = plot.decision_boundary(net, X, Y, resolution=50)
    (boundary,) = [c for c in ax.collections if isinstance(c, ContourSet) and not c.filled]
    np.testing.assert_array_equal(boundary.levels, [0.5])
    np.testing.assert_allclose(boundary.get_paths()[0].vertices[:, 0], 1.0)
    _assert_points_by_class(ax, X, np.array([0, 1, 1]))
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("$x_1$", "$x_2$")
    assert "a^L = 0.5" in ax.get_title()
    x_low, x_high = ax.get_xlim()
    assert x_low < 0.0 and x_high > 2.0


def test_decision_boundary_multiclass_colours_argmax_regions():
    net = line_net(1.0, 0.0, 0.0, n_out=3)
    X, Y = data.spiral(30, K=3, seed=0)
    _, given = plt.subplots()
    ax = plot.decision_boundary(net, X, Y, ax=given, resolution=20)
    assert ax is given
    (regions,) = [c for c in ax.collections if isinstance(c, ContourSet)]
    assert regions.filled
    np.testing.assert_array_equal(regions.levels, [-0.5, 0.5, 1.5, 2.5])
    _assert_points_by_class(ax, X, data.labels_of(Y))
    assert "arg" in ax.get_title()


def test_decision_boundary_needs_two_inputs():
    net = bp.Network((3, 2, 1), seed=0)
    with pytest.raises(ValueError, match="n_in = 2 inputs; got n_in = 3"):
        plot.decision_boundary(net, np.zeros((3, 4)), np.zeros((1, 4)))
    assert plt.get_fignums() == []


@pytest.mark.parametrize(
    ("X", "Y", "match"),
    [
        (
            np.zeros((4, 2)),
            np.zeros((1, 4)),
            r"X must have shape \(2, m\), samples as columns; got \(4, 2\)",
        ),
        (np.zeros((2, 4)), np.zeros((2, 4)), r"Y must have shape \(n_out=1, m=4\)"),
        (np.zeros((2, 4)), np.zeros((1, 3)), r"Y must have shape \(n_out=1, m=4\)"),
    ],
)
def test_decision_boundary_rejects_bad_shapes(X, Y, match):
    with pytest.raises(ValueError, match=match):
        plot.decision_boundary(bp.Network((2, 1), seed=0), X, Y)


def test_confusion_matrix_shows_the_counts():
    true = [0, 0, 1, 2, 2, 2]
    pred = [0, 1, 1, 2, 0, 2]
    hand = np.array([[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    ax = plot.confusion_matrix(true, pred)
    np.testing.assert_array_equal(ax.get_images()[0].get_array(), hand)
    counts = {(t.get_position()[1], t.get_position()[0]): t.get_text() for t in ax.texts}
    assert counts == {(i, j): str(hand[i, j]) for i in range(3) for j in range(3)}
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("predicted class", "true class")
    assert ax.get_title() == "Confusion matrix, accuracy 66.7%"
    np.testing.assert_array_equal(ax.get_xticks(), [0, 1, 2])
    assert plot.confusion_matrix(true, pred, K=5).get_images()[0].get_array().shape == (5, 5)


def tiles(ax, shape):
    """Each caption and the tile under it, read back from the drawn picture."""
    grid = ax.get_images()[0].get_array()
    h, w = shape
    out = {}
    for text in ax.texts:
        x, y = text.get_position()
        top, left = int(y + 0.5), int(x + 0.5)
        out[text.get_text()] = grid[top : top + h, left : left + w]
    return out


def test_misclassified_shows_the_first_n_mistakes():
    X = np.arange(36.0).reshape(6, 6).T  # six 2×3 images, column i is image i
    true = np.array([0, 1, 2, 3, 4, 5])
    pred = np.array([0, 7, 2, 8, 9, 5])
    ax = plot.misclassified(X, true, pred, shape=(2, 3), n=2)
    shown = tiles(ax, (2, 3))
    assert list(shown) == ["1→7", "3→8"]
    np.testing.assert_array_equal(shown["1→7"], X[:, 1].reshape(2, 3))
    np.testing.assert_array_equal(shown["3→8"], X[:, 3].reshape(2, 3))
    assert ax.get_title().startswith("3 of 6 misclassified")
    assert len(ax.get_images()) == 1


def test_misclassified_with_no_mistakes_and_bad_shapes():
    X = np.ones((4, 3))
    ax = plot.misclassified(X, [0, 1, 2], [0, 1, 2], shape=(2, 2))
    assert len(ax.texts) == 0 and ax.get_title().startswith("0 of 3")
    with pytest.raises(ValueError, match=r"image of shape \(8, 8\)"):
        plot.misclassified(X, [0, 1, 2], [0, 1, 2])
    with pytest.raises(ValueError, match=r"shape \(m,\) = \(3,\)"):
        plot.misclassified(X, [0, 1], [0, 1], shape=(2, 2))


def test_first_layer_weights_are_the_rows_of_W2():
    net = bp.Network((6, 3, 2), seed=0)
    ax = plot.first_layer_weights(net, shape=(2, 3))
    shown = tiles(ax, (2, 3))
    assert list(shown) == ["1", "2", "3"]
    for j in range(3):
        np.testing.assert_array_equal(shown[str(j + 1)], net.W[2][j].reshape(2, 3))
    v = np.abs(net.W[2]).max()
    assert ax.get_images()[0].get_clim() == (-v, v)
    assert len(ax.figure.axes) == 2  # the image and its colour bar
    assert "W^2" in ax.get_title()
    assert len(plot.first_layer_weights(net, shape=(3, 2), n=2).texts) == 2


def test_first_layer_weights_need_images_of_the_input_size():
    with pytest.raises(ValueError, match=r"n_in = 6 inputs.*\(8, 8\)"):
        plot.first_layer_weights(bp.Network((6, 3, 2), seed=0))


def test_delta_norms_of_a_one_layer_network_by_hand():
    net = bp.Network((2, 3), seed=1)
    X, Y = np.array([[0.5, -1.0], [2.0, 0.0]]), np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    a = 1 / (1 + np.exp(-(net.W[2] @ X + net.b[2])))
    delta = (a - Y) * a * (1 - a)  # δ^L = (a^L − y) ⊙ σ'(z^L) with σ' = σ(1 − σ)
    norms = plot.delta_norms_of(net, X, Y)
    assert list(norms) == [2]
    assert norms[2] == pytest.approx(np.sqrt((delta**2).sum()), rel=1e-12)


def test_delta_norms_of_every_layer():
    X, Y = data.moons(20, seed=0)
    net = bp.Network((2, 4, 4, 1), seed=0)
    z, a = bp.forward(net, X)
    delta = bp.backward(net, z, a, Y)
    norms = plot.delta_norms_of(net, X, Y)
    assert norms == {l: pytest.approx(np.linalg.norm(delta[l])) for l in (2, 3, 4)}


def test_delta_norms_plots_one_line_per_call():
    ax = plot.delta_norms({2: 0.01, 3: 0.1, 4: 1.0}, label="sigmoid")
    plot.delta_norms({4: 2.0, 2: 1.0, 3: 1.5}, ax=ax, label="relu")
    np.testing.assert_array_equal(line_data(ax, 0)[0], [2, 3, 4])
    np.testing.assert_array_equal(line_data(ax, 0)[1], [0.01, 0.1, 1.0])
    np.testing.assert_array_equal(line_data(ax, 1)[1], [1.0, 1.5, 2.0])
    assert ax.get_yscale() == "log"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("layer $l$", r"$\|\delta^l\|$")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["sigmoid", "relu"]
    assert len(plt.get_fignums()) == 1


@pytest.mark.parametrize("norms", [{}, {2: 0.0, 3: 1.0}])
def test_delta_norms_rejects_empty_or_zero_norms(norms):
    with pytest.raises(ValueError, match="norms"):
        plot.delta_norms(norms)


def test_loss_curve_takes_the_validation_loss_of_a_history():
    history = bp.History(loss=[4.0, 2.0, 1.0], iterations=3, validation_loss=[5.0, 3.0, 3.5])
    for ax in (plot.loss_curve(history), plot.loss_curve([4.0, 2.0, 1.0], validation=history)):
        training, validation = ax.get_lines()
        np.testing.assert_array_equal(training.get_ydata(), [4.0, 2.0, 1.0])
        np.testing.assert_array_equal(validation.get_ydata(), [5.0, 3.0, 3.5])
    assert len(plot.loss_curve(bp.History(loss=[1.0], iterations=1)).get_lines()) == 1


def _png_width(fig) -> int:
    """The width in pixels of the PNG that a notebook stores for ``fig`` (tight bounding box)."""
    import io
    import struct

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    return struct.unpack(">I", buffer.getvalue()[16:20])[0]


@pytest.mark.parametrize(("n", "rows", "cols"), [(1, 1, 1), (2, 1, 2), (3, 2, 2), (4, 2, 2)])
def test_panels_puts_at_most_two_a_row_in_700_px(n, rows, cols):
    fig, axes = plot.panels(n, height=2.5)
    assert len(axes) == n and fig.axes == axes
    assert tuple(fig.get_size_inches()) == (6.7, 2.5 * rows)
    assert fig.dpi == 100
    geometry = {ax.get_subplotspec().get_geometry()[:2] for ax in axes}
    assert geometry == {(rows, cols)}
    for ax in axes:
        plot.curves({"J": [3.0, 2.0, 1.0]}, ax=ax)
    assert _png_width(fig) <= 700


def test_panels_rejects_bad_counts_and_heights():
    with pytest.raises(ValueError, match="n"):
        plot.panels(0)
    with pytest.raises(ValueError, match="height"):
        plot.panels(2, height=0)


def _legend_labels(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_curves_draws_each_series_with_its_x():
    ax = plot.curves({"one": [3.0, 2.0, 1.0], "two": ([10, 20], [5.0, 4.0])}, ylabel="$J$")
    np.testing.assert_array_equal(line_data(ax, 0)[0], [1, 2, 3])
    np.testing.assert_array_equal(line_data(ax, 0)[1], [3.0, 2.0, 1.0])
    np.testing.assert_array_equal(line_data(ax, 1)[0], [10, 20])
    assert _legend_labels(ax) == ["one", "two"]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("iteration", "$J$")
    assert (ax.get_xscale(), ax.get_yscale()) == ("linear", "linear")
    assert len(plt.get_fignums()) == 1


def test_curves_log_axes_styles_reference_lines_and_marks():
    _, given = plt.subplots()
    ax = plot.curves(
        {"a": [1.0, 0.1], "b": [2.0, 0.2]},
        ax=given,
        log="xy",
        marker="o",
        styles={"b": {"ls": "--", "color": "C3"}},
        hlines={"ε = 1e-3": 1e-3},
        vlines={"best": 2},
        marks={"stop fired": (2, 0.2)},
    )
    assert ax is given
    assert (ax.get_xscale(), ax.get_yscale()) == ("log", "log")
    a, b, eps, best, mark = ax.get_lines()
    assert a.get_marker() == "o" and b.get_linestyle() == "--" and b.get_color() == "C3"
    assert set(eps.get_ydata()) == {1e-3} and set(best.get_xdata()) == {2}
    assert (list(mark.get_xdata()), list(mark.get_ydata())) == ([2], [0.2])
    assert _legend_labels(ax) == ["a", "b", "ε = 1e-3", "best", "stop fired"]
    assert ax.get_legend()._loc == 0  # "best"
    assert plot.curves({"a": [1.0, 2.0]}, legend="lower left").get_legend()._loc == 3
    assert plot.curves({"a": [1.0, 2.0]}, legend=None).get_legend() is None


def test_curves_text_is_at_least_9_pt_and_the_legend_inside():
    ax = plot.curves({"a": [1.0, 2.0], "b": [2.0, 1.0]}, title="t", ylabel="y")
    ax.figure.canvas.draw()
    texts = [*ax.get_legend().get_texts(), ax.title, ax.xaxis.label, ax.yaxis.label]
    texts += ax.get_xticklabels() + ax.get_yticklabels()
    assert min(t.get_fontsize() for t in texts) >= 9
    box = ax.get_legend().get_window_extent()
    frame = ax.get_window_extent()
    assert frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1


@pytest.mark.parametrize(
    ("series", "log", "match"),
    [({}, "", "at least one"), ({"a": [1.0]}, "z", "log"), ({"a": ([1, 2], [1.0])}, "", "'a'")],
)
def test_curves_rejects_bad_input(series, log, match):
    with pytest.raises(ValueError, match=match):
        plot.curves(series, log=log)


def test_function_fit_draws_the_network_over_its_samples():
    net = bp.Network((1, 1), "identity", output_activation="identity", seed=0)
    net.W[2][:] = 2.0
    net.b[2][:] = 1.0  # a^L(x) = 2x + 1
    X, Y = np.array([[-1.0, 0.0, 3.0]]), np.array([[-1.0, 1.0, 7.0]])
    X_val, Y_val = np.array([[4.0]]), np.array([[9.0]])
    ax = plot.function_fit(net, X, Y, X_val=X_val, Y_val=Y_val, target=np.sin, ylim=(-2, 9))
    target, curve, training, validation = ax.get_lines()
    x, y = curve.get_xdata(), curve.get_ydata()
    assert (x.min(), x.max()) == (-1.0, 4.0)  # the range of all samples
    np.testing.assert_allclose(y, 2 * x + 1)
    np.testing.assert_allclose(target.get_ydata(), np.sin(target.get_xdata()))
    np.testing.assert_array_equal(training.get_xdata(), X[0])
    np.testing.assert_array_equal(validation.get_ydata(), Y_val[0])
    assert _legend_labels(ax) == ["target", "network", "training", "validation"]
    assert ax.get_ylim() == (-2, 9)
    assert plot.function_fit(net, X, Y, legend=False).get_legend() is None


def test_function_fit_needs_one_input_one_output_and_row_samples():
    with pytest.raises(ValueError, match="n_in = n_out = 1"):
        plot.function_fit(bp.Network((2, 1), seed=0), np.zeros((2, 3)), np.zeros((1, 3)))
    net = bp.Network((1, 1), seed=0)
    with pytest.raises(ValueError, match=r"\(1, m\)"):
        plot.function_fit(net, np.zeros((3, 1)), np.zeros((3, 1)))


# --- Drawings of the network (bp.diagrams, re-exported by bp.plot) -------------------------


def passes(sizes, m=3, seed=0):
    """A network and its forward and backward pass over m random samples."""
    rng = np.random.default_rng(seed)
    net = bp.Network(sizes, seed=seed)
    X, Y = rng.standard_normal((sizes[0], m)), rng.uniform(size=(sizes[-1], m))
    z, a = bp.forward(net, X)
    return net, X, Y, z, a, bp.backward(net, z, a, Y)


def by_gid(ax, prefix):
    """{gid: artist} of the texts, patches and collections whose gid starts with ``prefix``."""
    artists = [*ax.texts, *ax.patches, *ax.collections]
    return {x.get_gid(): x for x in artists if (x.get_gid() or "").startswith(prefix)}


def shown_units(n, max_units):
    """Which units (1-based) a layer of n shows: all, or the first and last around a ⋮."""
    if n <= max_units:
        return list(range(1, n + 1))
    head = max_units // 2
    return [*range(1, head + 1), *range(n - (max_units - 1 - head) + 1, n + 1)]


@pytest.mark.parametrize("sizes", [(2, 2, 1), (2, 3, 3, 1), (64, 64, 10)])
@pytest.mark.parametrize("direction", ["forward", "backward"])
def test_network_diagram_draws_every_layer_unit_and_connection(sizes, direction):
    net = bp.Network(sizes, seed=0)
    ax = plot.network_diagram(net, direction=direction)
    shown = {l: shown_units(net.n(l), 7) for l in range(1, net.L + 1)}
    circles = by_gid(ax, "unit ")
    assert sorted(circles) == sorted(f"unit {l} {j}" for l in shown for j in shown[l])
    assert len(by_gid(ax, "⋮")) == sum(net.n(l) > 7 for l in shown)
    for l in range(2, net.L + 1):
        (lines,) = by_gid(ax, f"W^{l}").values()
        assert len(lines.get_segments()) == len(shown[l]) * len(shown[l - 1])
    for l in shown:
        label = by_gid(ax, f"layer {l}")[f"layer {l}"].get_text()
        assert f"$l={l}$" in label and f"$n_{{{l}}}={net.n(l)}$" in label
    names = {t.get_text() for t in by_gid(ax, "name ").values()}
    symbol = "a" if direction == "forward" else r"\delta"
    assert f"${symbol}^{{2}}_{{1}}$" in names and "$a^{1}_{1}$" in names
    flows = by_gid(ax, "flow label ")
    assert len(flows) == net.L - 1
    if direction == "forward":
        assert flows["flow label 2"].get_text() == "$W^{2},\\ b^{2}$"
    else:
        assert "has no" in flows["flow label 2"].get_text()
        assert "(W^{3})^T \\delta^{3}" in flows["flow label 3"].get_text()
        assert "\\sigma'(z^{2})" in flows["flow label 3"].get_text()
    arrows = by_gid(ax, "flow ")
    arrows = [arrow for gid, arrow in arrows.items() if "label" not in gid]
    assert len(arrows) == net.L - 1 - (direction == "backward")  # no δ flows into the input
    assert all((x.xy[0] > x.xyann[0]) == (direction == "forward") for x in arrows)


def test_network_diagram_colours_and_thickens_the_connections_by_W():
    net = bp.Network((2, 2, 1), seed=0)
    net.W[2][:] = [[1.0, -0.5], [0.25, -2.0]]
    ax = plot.network_diagram(net)
    (lines,) = by_gid(ax, "W^2").values()
    W = net.W[2].ravel()  # segments run j by j, k by k: W[j, k] in order
    blue = matplotlib.colors.to_rgba(bp.diagrams.POSITIVE, 0.8)
    red = matplotlib.colors.to_rgba(bp.diagrams.NEGATIVE, 0.8)
    np.testing.assert_allclose(lines.get_colors(), [blue if w > 0 else red for w in W])
    np.testing.assert_allclose(lines.get_linewidths(), 0.4 + 2.6 * np.abs(W) / 2.0)
    (grey,) = by_gid(plot.network_diagram(net, weights=False), "W^2").values()
    assert len({tuple(c) for c in grey.get_colors()}) == 1
    assert plot.network_diagram(net, weights=False).get_legend() is None


@pytest.mark.parametrize("sizes", [(2, 2, 1), (2, 3, 3, 1), (64, 64, 10)])
def test_network_diagram_writes_the_values_of_one_sample(sizes):
    net, _, _, z, a, delta = passes(sizes)
    ax = plot.network_diagram(net, z=z, a=a, delta=delta, sample=1, direction="backward")
    symbols = {"z": "$z$", "a": "$a$", "delta": r"$\delta$"}
    written = by_gid(ax, "")
    count = 0
    for kind, values in (("z", z), ("a", a), ("delta", delta)):
        for l in values:
            for j in shown_units(net.n(l), 5):
                text = written[f"{kind} {l} {j}"].get_text()
                assert text == f"{symbols[kind]} {plot.number(values[l][j - 1, 1])}"
                count += 1
    assert count == len([g for g in written if g.split()[0] in symbols and len(g.split()) == 3])
    assert ax.get_title().endswith("sample 1")
    if net.n(1) > 5:  # elided layers name their units
        assert written["index 1 64"].get_text() == "64"


def test_number_writes_what_the_drawings_show():
    assert plot.number(0.5) == "0.5"
    assert plot.number(-0.123456) == "−0.12"
    assert plot.number(-0.00028) == "−2.8e−4"
    assert plot.number(6.6e-05, digits=3) == "6.60e−5"
    assert plot.number(0.0) == "0"


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"z": {3: np.zeros((1, 3))}}, ValueError, r"z has no layer 2"),
        ({"z": {2: np.zeros((3, 3)), 3: np.zeros((1, 3))}}, ValueError,
         r"z\[2\] must have shape \(n_2=2, m\)"),
        ({"a": {1: np.zeros(2), 2: np.zeros(2), 3: np.zeros(1)}}, ValueError,
         r"a\[1\] must have shape \(n_1=2, m\)"),
        ({"delta": [np.zeros((2, 3))]}, TypeError, r"delta must be a dict"),
        ({"delta": {2: np.zeros((2, 3)), 3: np.zeros((1, 4))}}, ValueError,
         r"delta\[3\] has m = 4 samples"),
        ({"delta": {2: np.zeros((2, 3)), 3: np.zeros((1, 3))}, "sample": 3}, ValueError,
         r"sample must be a column 0..2"),
        ({"sample": -1}, ValueError, "sample"),
        ({"direction": "sideways"}, ValueError, "direction"),
        ({"max_units": 2}, ValueError, "max_units"),
    ],
)  # fmt: skip
def test_network_diagram_names_the_argument_that_does_not_fit(kwargs, error, match):
    with pytest.raises(error, match=match):
        plot.network_diagram(bp.Network((2, 2, 1), seed=0), **kwargs)


def numbers_in(text):
    """The numbers a drawing wrote, in order, as it wrote them."""
    return re.findall(r"−?\d+(?:\.\d+)?(?:e−?\d+)?", text)


def written(array):
    return [plot.number(v) for v in np.ravel(array)]


@pytest.mark.parametrize(("sizes", "l"), [((2, 2, 1), 2), ((2, 3, 3, 1), 3), ((2, 2, 1), 3)])
def test_layer_graph_writes_values_above_and_gradients_below(sizes, l):
    net, _, Y, z, a, delta = passes(sizes, m=2)
    i = 1
    ax = plot.layer_graph(net, l, z=z, a=a, delta=delta, Y=Y, sample=i)
    text = {t.get_gid(): t.get_text() for t in ax.texts}
    W, d = net.W[l], delta[l][:, i]
    values = {"a_prev": a[l - 1][:, i], "W": W, "Wa": W @ a[l - 1][:, i], "b": net.b[l],
              "z": z[l][:, i], "a": a[l][:, i]}  # fmt: skip
    after = net.W[l + 1].T @ delta[l + 1][:, i] if l < net.L else a[l][:, i] - Y[:, i]
    gradients = {"a_prev": W.T @ d, "W": np.outer(d, a[l - 1][:, i]), "Wa": d, "b": d, "z": d,
                 "a": after}  # fmt: skip
    for key, value in values.items():
        assert numbers_in(text[f"value {key}"]) == written(value), key
        assert numbers_in(text[f"gradient {key}"]) == written(gradients[key]), key
        assert text[f"value {key}"].count("\n") == value.shape[0] - 1  # one row a line
    assert text["name z"] == f"$z^{{{l}}}$"
    assert text["gradient name z"] == f"$\\delta^{{{l}}} = \\partial J / \\partial z^{{{l}}}$"
    assert text["gradient name W"].endswith(f"\\delta^{{{l}}} (a^{{{l - 1}}})^T$")
    assert len(by_gid(ax, "node ")) == 3 and len(by_gid(ax, "edge ")) == 0  # edges are lines
    assert len([x for x in ax.get_lines() if (x.get_gid() or "").startswith("edge ")]) == 6


def test_layer_graph_of_a_wide_layer_shows_shapes():
    net, _, _, z, a, delta = passes((64, 64, 10))
    text = {t.get_gid(): t.get_text() for t in plot.layer_graph(net, 2, z=z, a=a).texts}
    assert text["value W"] == "(64, 64)" and text["value a_prev"] == "(64, 1)"
    assert text["gradient W"] == "(64, 64)"  # no delta given: its shape
    small = plot.layer_graph(bp.Network((2, 2, 1), seed=0), 2)  # no values at all
    assert by_gid(small, "value z")["value z"].get_text() == "(2, 1)"
    forced = plot.layer_graph(net, 3, a=a, delta=delta, numbers=True)
    assert len(numbers_in(by_gid(forced, "value W")["value W"].get_text())) == 640


@pytest.mark.parametrize(
    ("l", "kwargs", "match"),
    [(1, {}, "l must be an integer >= 2"), (4, {}, r"l must be a layer 2..L = 2..3"),
     (3, {"Y": np.zeros((2, 3)), "a": "passes"}, r"Y must have shape \(n_L=1, m\)"),
     (2, {"z": {2: np.zeros((2, 3))}}, r"z has no layer 3")],
)  # fmt: skip
def test_layer_graph_names_the_argument_that_does_not_fit(l, kwargs, match):
    net, _, _, _, a, _ = passes((2, 2, 1))
    if kwargs.get("a") == "passes":
        kwargs["a"] = a
    with pytest.raises(ValueError, match=match):
        plot.layer_graph(net, l, **kwargs)


def test_delta_norms_over_training_draws_one_line_per_layer():
    history = [{2: 0.01, 3: 0.1, 4: 1.0}, {2: 0.02, 3: 0.2, 4: 0.5}, {2: 0.04, 3: 0.1, 4: 0.25}]
    ax = plot.delta_norms(history)
    assert [line.get_label() for line in ax.get_lines()] == ["$l = 2$", "$l = 3$", "$l = 4$"]
    np.testing.assert_array_equal(line_data(ax, 0)[0], [1, 2, 3])
    np.testing.assert_array_equal(line_data(ax, 0)[1], [0.01, 0.02, 0.04])
    np.testing.assert_array_equal(line_data(ax, 2)[1], [1.0, 0.5, 0.25])
    assert (ax.get_xlabel(), ax.get_yscale()) == ("iteration", "log")
    assert ax.get_legend() is not None and "training" in ax.get_title()
    relative = plot.delta_norms(history, relative=True, label="sigmoid")
    np.testing.assert_allclose(line_data(relative, 0)[1], [0.01, 0.04, 0.16])
    np.testing.assert_array_equal(line_data(relative, 2)[1], [1.0, 1.0, 1.0])
    assert relative.get_lines()[0].get_label() == "sigmoid, $l = 2$"
    assert "\\|\\delta^L\\|" in relative.get_ylabel()
    one = plot.delta_norms({2: 0.5, 3: 1.0}, relative=True)
    np.testing.assert_array_equal(line_data(one)[1], [0.5, 1.0])


def test_delta_norms_over_training_collected_by_the_callback():
    X, Y = data.xor()
    net = bp.Network((2, 3, 3, 1), seed=0)
    norms = []
    bp.train(net, X, Y, alpha=0.5, max_iter=4, epsilon=0.0,
             callback=lambda i, net, h: norms.append(plot.delta_norms_of(net, X, Y)))  # fmt: skip
    ax = plot.delta_norms(norms)
    assert len(ax.get_lines()) == 3 and line_data(ax, 0)[0].size == 4
    np.testing.assert_array_equal(line_data(ax, 1)[1], [n[3] for n in norms])


@pytest.mark.parametrize(
    "norms", [[], [{2: 1.0}, {3: 1.0}], [{2: 1.0}, {2: np.nan}], [{2: 1.0}, [1.0]]]
)
def test_delta_norms_over_training_rejects_uneven_or_bad_norms(norms):
    with pytest.raises(ValueError, match="norms"):
        plot.delta_norms(norms)


# --- Legibility: every figure bp.plot makes ------------------------------------------------


def every_figure():
    """One figure of each public drawing function, on its own new figure."""
    net, X, Y, z, a, delta = passes((2, 3, 3, 1))
    digits = bp.Network((64, 8, 10), seed=0)
    Xd = np.random.default_rng(0).uniform(size=(64, 20))
    return {
        "loss_curve": lambda: plot.loss_curve([3.0, 2.0, 1.0], validation=[3.5, 2.5, 2.0]),
        "decision_boundary": lambda: plot.decision_boundary(
            net, X[:2], (Y > 0.5).astype(float), resolution=20
        ),
        "confusion_matrix": lambda: plot.confusion_matrix([0, 1, 2, 2], [0, 2, 2, 1]),
        "misclassified": lambda: plot.misclassified(Xd, np.zeros(20, int), np.arange(20) % 3),
        "first_layer_weights": lambda: plot.first_layer_weights(digits),
        "delta_norms": lambda: plot.delta_norms([{2: 1.0, 3: 2.0}, {2: 0.5, 3: 1.0}]),
        "network_diagram": lambda: plot.network_diagram(net, z=z, a=a, delta=delta),
        "network_diagram, wide": lambda: plot.network_diagram(bp.Network((64, 64, 10), seed=0)),
        "backward, deep": lambda: plot.network_diagram(
            bp.Network((2, 3, 3, 3, 1), seed=0), direction="backward"
        ),
        "layer_graph": lambda: plot.layer_graph(net, 3, z=z, a=a, delta=delta, Y=Y),
    }


@pytest.mark.parametrize("name", list(every_figure()))
def test_every_figure_is_legible_where_it_is_read(name):
    before = dict(plt.rcParams)
    ax = every_figure()[name]()
    fig = ax.figure
    assert dict(plt.rcParams) == before  # bp never changes the global style
    assert fig.get_size_inches()[0] <= plot.MAX_WIDTH and fig.dpi == 100
    axes = [a for a in fig.axes if a.get_label() != "<colorbar>"]
    assert len(axes) <= 2
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")  # as the notebook's inline backend
    width, _ = struct.unpack(">II", buffer.getvalue()[16:24])
    assert width <= 700, f"{name}: {width} px wide"
    small = [
        (t.get_text(), t.get_fontsize())
        for t in fig.findobj(matplotlib.text.Text)
        if t.get_visible() and t.get_text().strip() and t.get_fontsize() < plot.MIN_FONT
    ]
    assert small == []
    legend = ax.get_legend()
    if legend is not None:
        assert ax.bbox.contains(*legend.get_window_extent().p0)
        assert ax.bbox.contains(*legend.get_window_extent().p1)


def test_style_is_a_context_for_a_notebooks_own_figures():
    with plot.style():
        fig, _ = plt.subplots()
        assert plt.rcParams["legend.fontsize"] >= plot.MIN_FONT
    assert fig.get_size_inches()[0] <= plot.MAX_WIDTH and fig.dpi == 100
    assert all(
        size >= plot.MIN_FONT
        for key, size in plot.STYLE.items()
        if key.endswith("size") and key != "figure.figsize"
    )


def _font_sizes(fig) -> list[float]:
    return [t.get_fontsize() for t in fig.findobj(matplotlib.text.Text) if t.get_text()]


def test_activation_curves_two_panels_a_row_sigma_solid_and_sigma_prime_dashed():
    fig = plot.activation_curves()
    shown = fig.axes
    assert [ax.get_title() for ax in shown] == list(bp.ACTIVATIONS)
    assert max(ax.get_subplotspec().colspan.stop for ax in shown) == 2
    assert _png_width(fig) <= 700 and min(_font_sizes(fig)) >= plot.MIN_FONT
    z = np.linspace(-5, 5, 401)
    sigmoid = shown[0]
    np.testing.assert_allclose(line_data(sigmoid, 0)[1], bp.activations.sigmoid(z))
    np.testing.assert_allclose(line_data(sigmoid, 1)[1], bp.activations.sigmoid_prime(z))
    assert line_data(sigmoid, 1)[1].size == 401 and not np.isnan(line_data(sigmoid, 1)[1]).any()
    relu_prime = line_data(shown[2], 1)[1]
    assert np.isnan(relu_prime).sum() == 1 and line_data(shown[2], 1)[0][np.isnan(relu_prime)] > 0
    assert set(relu_prime[~np.isnan(relu_prime)]) == {0.0, 1.0}


def test_activation_curves_of_one_activation_and_bad_names():
    fig = plot.activation_curves(["tanh"], z=np.linspace(-1, 1, 5))
    assert len(fig.axes) == 1 and fig.axes[0].get_title() == "tanh"
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        plot.activation_curves(["sigmoid", "swish"])
    with pytest.raises(ValueError, match="at least one"):
        plot.activation_curves([])


def test_layer_histograms_one_panel_per_run_one_histogram_per_layer():
    a_one = {1: np.zeros((2, 3)), 2: np.full((4, 5), 0.25), 3: np.array([[0.1, 0.9, 0.9]])}
    a_two = {2: np.full((4, 5), 0.75), 3: np.full((1, 3), 0.5)}
    fig = plot.layer_histograms({"one": a_one, "two": a_two}, bins=4)
    assert [ax.get_title() for ax in fig.axes] == ["one", "two"]
    assert _png_width(fig) <= 700 and min(_font_sizes(fig)) >= plot.MIN_FONT
    first = fig.axes[0]
    assert [t.get_text() for t in first.get_yticklabels()] == ["$l = 3$", "$l = 2$"]
    layer2, layer3 = (p.get_data() for p in first.patches)
    # layer 2 (top row, base 1): every entry 0.25 falls in bin [0.25, 0.5), scaled to 0.85
    np.testing.assert_allclose(layer2.values, [1.0, 1.85, 1.0, 1.0])
    # layer 3 (bottom row, base 0): one entry in the first bin, two in the last
    np.testing.assert_allclose(layer3.values, [0.425, 0.0, 0.0, 0.85])
    np.testing.assert_allclose(layer3.edges, [0.0, 0.25, 0.5, 0.75, 1.0])


def test_layer_histograms_rejects_no_runs_and_missing_layers():
    with pytest.raises(ValueError, match="at least one run"):
        plot.layer_histograms({})
    with pytest.raises(ValueError, match="asked for"):
        plot.layer_histograms({"run": {2: np.ones((1, 1))}}, layers=[2, 3])


def test_images_shows_the_first_n_columns_with_their_captions():
    X = np.arange(36.0).reshape(6, 6).T  # six 2×3 images, column i is image i
    ax = plot.images(X, ["a", "b", "c", "d", "e", "f"], shape=(2, 3), n=4, title="four")
    shown = tiles(ax, (2, 3))
    assert list(shown) == ["a", "b", "c", "d"]
    for i, caption in enumerate("abcd"):
        np.testing.assert_array_equal(shown[caption], X[:, i].reshape(2, 3))
    assert ax.get_title() == "four" and len(ax.get_images()) == 1
    sizes = [t.get_fontsize() for t in ax.figure.findobj(matplotlib.text.Text) if t.get_text()]
    assert _png_width(ax.figure) <= 700 and min(sizes) >= plot.MIN_FONT
    assert len(plot.images(X, shape=(3, 2)).texts) == 6  # every column, blank captions
    assert all(t.get_text() == "" for t in plot.images(X, shape=(3, 2)).texts)


def test_images_rejects_short_captions_and_wrong_shapes():
    X = np.ones((4, 3))
    with pytest.raises(ValueError, match="one caption per image, 3; got 2"):
        plot.images(X, ["0", "1"], shape=(2, 2))
    with pytest.raises(ValueError, match=r"image of shape \(8, 8\)"):
        plot.images(X)
