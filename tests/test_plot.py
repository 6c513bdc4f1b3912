import matplotlib

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
