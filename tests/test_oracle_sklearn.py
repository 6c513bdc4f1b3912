r"""scikit-learn's MLPRegressor and MLPClassifier as independent oracles for bp's training.

Both start from bp's weights and train with plain SGD, and after every epoch
their weights must agree to rounding. scikit-learn stores layer l's weights as
``coefs_[l - 2]`` = (W^l)^T, shape (n_{l-1}, n_l), because its samples are
rows (it computes X @ coefs_ + intercepts_), and ``intercepts_[l - 2]`` =
b^l.ravel().

Why the comparison needs bp's ``reduction="mean"`` and, for the regressor,
an identity output layer (read in sklearn/neural_network/_multilayer_perceptron.py
and _base.py, scikit-learn 1.9):

- ``_backprop`` sets ``deltas[last] = activations[-1] - y`` and
  ``_compute_loss_grad`` divides ``X_batch.T @ delta`` by ``sw_sum``, the
  number of samples in the batch: the gradient of (1/k) Σ_i J_i, i.e. bp's
  ``reduction="mean"``. The document's sum would be k times larger.
- ``deltas[last]`` has no σ'(z^L): MLPRegressor's output activation with the
  squared error is always the identity (``out_activation_ == "identity"``),
  and bp's δ^L = (a^L − y) ⊙ σ'(z^L) is the same only when σ' = 1, so bp's
  net needs ``output_activation="identity"``. MLPClassifier pairs a logistic
  output with the cross-entropy and a softmax output with the log-likelihood,
  the two pairs for which bp too has δ^L = a^L − y.
- The squared loss it reports, ``0.5 * np.average((y - a)**2, axis=0).mean()``,
  averages over the outputs too, but its gradient does not divide by n_out:
  the gradient is that of bp's mean loss, n_out times the gradient of the
  reported loss (``test_reported_loss_averages_over_outputs``).

The running loss: bp's default ``History.loss`` with mini-batches sums each
batch's J from the epoch's own forward passes and divides by m, as
``_fit_stochastic`` builds ``loss_curve_``; for MLPRegressor it is n_out times
``loss_curve_`` (``test_running_loss_is_sklearn_loss_curve``).

Mini-batch order: with ``shuffle=False`` scikit-learn takes
``gen_batches(m, k)``, rows 0..k-1, k..2k-1, ..., the rest last; bp's ``train``
with ``shuffle=False`` takes columns in the same chunks.

SGD with momentum=0, nesterovs_momentum=False, learning_rate="constant":
update = 0·velocity − α·grad, so W ← W − α ∂J/∂W, bp's update rule.

scikit-learn has no leaky ReLU, so bp's ``"leaky_relu"`` is checked only
against PyTorch (tests/test_oracle_torch.py).

To print the worst relative error over all cases:

    python -m pytest tests/test_oracle_sklearn.py -k worst -s -q
"""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pytest

import bp

neural_network = pytest.importorskip(
    "sklearn.neural_network", reason="scikit-learn is not installed (pip install scikit-learn)"
)
exceptions = pytest.importorskip("sklearn.exceptions")

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SKLEARN_ACTIVATION = {"sigmoid": "logistic", "tanh": "tanh", "relu": "relu", "identity": "identity"}
SKLEARN_OUTPUT = {"identity": "identity", "sigmoid": "logistic", "softmax": "softmax"}
M = 12
ALPHA = 0.05
EPOCHS = 30
TOLERANCE = 1e-10

# Regression: architectures × hidden σ × batch size, identity output, loss "mse".
ARCHITECTURES = [(3, 1), (3, 5, 2), (2, 4, 3, 1), (4, 6, 5, 3, 3)]
BATCHES = [None, 4, 5, 1]  # full batch, k divides m, k does not (5, 5, 2), stochastic
REGRESSION = [
    ("regression", sizes, act, k)
    for sizes in ARCHITECTURES
    for act in sorted(SKLEARN_ACTIVATION)
    for k in BATCHES
    if len(sizes) > 2 or act == "sigmoid"  # with L = 2 there is no hidden σ to vary
]
# Classification: the three kinds of targets MLPClassifier knows × hidden σ × batch size.
#   kind: (n_out, bp output σ, bp loss)
CLASSIFIERS = {
    "binary": (1, "sigmoid", "cross_entropy"),  # labels 0/1, one logistic output
    "multilabel": (3, "sigmoid", "cross_entropy"),  # 0/1 indicator matrix, logistic outputs
    "multiclass": (3, "softmax", "log_likelihood"),  # labels 0..2, softmax outputs
}
CLASSIFICATION = [
    (kind, (3, 5, 4, CLASSIFIERS[kind][0]), act, k)
    for kind in CLASSIFIERS
    for act in sorted(SKLEARN_ACTIVATION)
    for k in (None, 5)
]
CASES = REGRESSION + CLASSIFICATION


def make_problem(kind: str, sizes: tuple[int, ...], act: str, seed: int = 0):
    """(net, X, Y) for bp, samples as columns, and (targets, classes) for scikit-learn."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((sizes[0], M))
    n_out = sizes[-1]
    if kind == "regression":
        net = bp.Network(sizes, act, "identity", seed=len(sizes))
        Y = np.tanh(rng.standard_normal((n_out, sizes[0])) @ X)
        Y += 0.1 * rng.standard_normal((n_out, M))
        return net, X, Y, (Y[0] if n_out == 1 else Y.T), None
    _, output, loss = CLASSIFIERS[kind]
    net = bp.Network(sizes, act, output, loss=loss, seed=len(sizes))
    if kind == "multiclass":
        labels = np.arange(M) % n_out  # every class present
        Y = np.eye(n_out)[:, labels]  # one-hot columns
        return net, X, Y, labels, np.arange(n_out)
    Y = rng.integers(0, 2, (n_out, M)).astype(float)
    Y[:, :2] = [[0, 1]] * n_out  # both values in every output
    targets = Y[0].astype(int) if kind == "binary" else Y.T.astype(int)
    return net, X, Y, targets, np.array([0, 1]) if kind == "binary" else np.arange(n_out)


def sklearn_twin(
    net: bp.Network, X: np.ndarray, targets, classes, batch_size: int | None, l2: float = 0.0
):
    """An MLPRegressor (classes None) or MLPClassifier with plain SGD and net's weights.

    scikit-learn has no public way to set initial weights: a first
    ``partial_fit`` creates ``coefs_`` and ``intercepts_`` (and trains them one
    epoch), and their contents are then overwritten in place with bp's.
    """
    estimator = neural_network.MLPRegressor if classes is None else neural_network.MLPClassifier
    model = estimator(
        hidden_layer_sizes=net.sizes[1:-1],
        activation=SKLEARN_ACTIVATION[net.activation.name],
        solver="sgd",
        alpha=l2,  # scikit-learn's L2 penalty λ: (λ/2) Σ‖W‖² / k, like bp's l2 with "mean"
        batch_size=X.shape[1] if batch_size is None else batch_size,
        learning_rate="constant",
        learning_rate_init=ALPHA,
        momentum=0.0,
        nesterovs_momentum=False,
        shuffle=False,
        random_state=0,
    )
    if classes is None:
        model.partial_fit(X.T, targets)
    else:
        model.partial_fit(X.T, targets, classes=classes)
    assert model.out_activation_ == SKLEARN_OUTPUT[net.output_activation.name]
    for l in range(2, net.L + 1):
        model.coefs_[l - 2][...] = net.W[l].T  # (n_{l-1}, n_l): samples are rows in sklearn
        model.intercepts_[l - 2][...] = net.b[l].ravel()
    return model


def rel(x: np.ndarray, ref: np.ndarray) -> float:
    return float(np.linalg.norm(x - ref) / np.linalg.norm(ref))


def weight_error(net: bp.Network, model) -> float:
    """The largest relative difference between bp's and sklearn's W^l, b^l over all l."""
    return max(
        max(rel(net.W[l].T, model.coefs_[l - 2]), rel(net.b[l].ravel(), model.intercepts_[l - 2]))
        for l in range(2, net.L + 1)
    )


@functools.cache  # the worst-error test reuses the results of the per-case tests
def train_both(kind, sizes, act, k, l2=0.0) -> tuple[float, float]:
    """Train bp and sklearn side by side for EPOCHS epochs from the same weights.

    Returns (worst relative weight difference over the epochs, how far the
    weights moved from the start) so a test can also check that they moved.
    """
    net, X, Y, targets, classes = make_problem(kind, sizes, act)
    model = sklearn_twin(net, X, targets, classes, k, l2)
    start = {l: net.W[l].copy() for l in net.W}
    worst = weight_error(net, model)
    for _ in range(EPOCHS):
        bp.train(
            net,
            X,
            Y,
            alpha=ALPHA,
            max_iter=1,
            epsilon=0,
            batch_size=k,
            reduction="mean",
            shuffle=False,
            l2=l2,
        )
        model.partial_fit(X.T, targets)  # one epoch, batches in order
        worst = max(worst, weight_error(net, model))
    moved = max(rel(net.W[l], start[l]) for l in net.W)
    return worst, moved


@pytest.mark.parametrize(("kind", "sizes", "act", "k"), CASES)
def test_sgd_epochs_agree_with_sklearn(kind, sizes, act, k):
    worst, moved = train_both(kind, sizes, act, k)
    assert moved > 1e-2, "the weights hardly moved: the comparison would prove nothing"
    assert worst < TOLERANCE, f"{kind} {sizes} {act} batch_size={k}: weights differ by {worst:.2e}"


def test_worst_error_over_all_cases():
    """The largest relative weight difference over every case and epoch (printed with -s)."""
    # (equal errors must not fall through to comparing the cases, which hold None)
    worst, where = max(((train_both(*c)[0], c) for c in CASES), key=lambda pair: pair[0])
    print(
        f"\nbp vs scikit-learn SGD: worst relative weight error {worst:.2e} over "
        f"{len(CASES)} cases ({len(REGRESSION)} regression, {len(CLASSIFICATION)} "
        f"classification) x {EPOCHS} epochs at {where}"
    )
    assert worst < TOLERANCE


def test_sum_reduction_differs_but_alpha_over_m_matches():
    """The document's sum takes m times sklearn's step; α/m undoes it (full batch)."""
    net, X, Y, targets, _ = make_problem("regression", (3, 5, 2), "tanh")
    model = sklearn_twin(net, X, targets, None, None)
    summed, scaled = net.copy(), net.copy()
    bp.train(summed, X, Y, alpha=ALPHA, max_iter=1, epsilon=0, reduction="sum")
    bp.train(scaled, X, Y, alpha=ALPHA / M, max_iter=1, epsilon=0, reduction="sum")
    model.partial_fit(X.T, targets)
    assert weight_error(summed, model) > 1e-2
    assert weight_error(scaled, model) < TOLERANCE


def test_reported_loss_averages_over_outputs():
    """MLPRegressor's loss_ is bp's mean J divided by n_out; its gradient is not (see above).

    With a full batch, ``loss_`` after ``partial_fit`` is the loss at the
    weights before that epoch's single update.
    """
    net, X, Y, targets, _ = make_problem("regression", (3, 5, 4), "sigmoid")
    model = sklearn_twin(net, X, targets, None, None)
    J_mean = bp.loss(net, X, Y, reduction="mean")
    model.partial_fit(X.T, targets)
    assert model.loss_ == pytest.approx(J_mean / 4, rel=1e-12)
    bp.train(net, X, Y, alpha=ALPHA, max_iter=1, epsilon=0, reduction="mean")
    assert weight_error(net, model) < TOLERANCE  # the step is bp's mean gradient, not / n_out


@pytest.mark.parametrize("kind", sorted(CLASSIFIERS))
def test_classifier_loss_is_bp_mean_loss(kind):
    """MLPClassifier's log losses are bp's cross-entropy and log-likelihood over m, not n_out."""
    net, X, Y, targets, classes = make_problem(kind, (3, 5, 4, CLASSIFIERS[kind][0]), "tanh")
    model = sklearn_twin(net, X, targets, classes, None)
    J_mean = bp.loss(net, X, Y, reduction="mean")
    model.partial_fit(X.T, targets)
    assert model.loss_ == pytest.approx(J_mean, rel=1e-12)


def test_setup_raises_no_warnings():
    """The setup itself warns about nothing (a DataConversionWarning would mean a bad y)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", exceptions.ConvergenceWarning)
        for kind, sizes, act, k in [REGRESSION[-1], *CLASSIFICATION[::8]]:
            net, X, _, targets, classes = make_problem(kind, sizes, act)
            model = sklearn_twin(net, X, targets, classes, k)
            model.partial_fit(X.T, targets)


L2_CASES = [("regression", (3, 5, 2), "tanh", None), ("regression", (4, 6, 5, 3, 3), "relu", 5)]
L2_CASES += [("multiclass", (3, 5, 4, 3), "sigmoid", 4), ("binary", (3, 5, 4, 1), "tanh", None)]


@pytest.mark.parametrize("lam", [0.1, 1.0])
@pytest.mark.parametrize(("kind", "sizes", "act", "k"), L2_CASES)
def test_l2_equals_sklearn_alpha(kind, sizes, act, k, lam):
    """bp's l2=λ with reduction="mean" is scikit-learn's alpha=λ, batch by batch."""
    worst, moved = train_both(kind, sizes, act, k, lam)
    assert moved > 1e-2
    assert worst < TOLERANCE, f"{kind} {sizes} λ={lam}: weights differ by {worst:.2e}"


def test_l2_changes_the_result():
    """The penalty is not a no-op: without it bp's weights leave scikit-learn's."""
    net, X, Y, targets, _ = make_problem("regression", (3, 5, 2), "tanh")
    model = sklearn_twin(net, X, targets, None, None, l2=1.0)
    bp.train(net, X, Y, alpha=ALPHA, max_iter=5, epsilon=0, reduction="mean")
    for _ in range(5):
        model.partial_fit(X.T, targets)
    assert weight_error(net, model) > 1e-3


@pytest.mark.parametrize("kind", sorted(CLASSIFIERS))
def test_classifier_loss_with_l2_is_bp_mean_loss(kind):
    """scikit-learn's loss_ adds (λ/2) Σ‖W‖² / m, exactly bp's J_mean with l2=λ."""
    net, X, Y, targets, classes = make_problem(kind, (3, 5, 4, CLASSIFIERS[kind][0]), "tanh")
    model = sklearn_twin(net, X, targets, classes, None, l2=0.7)
    J_mean = bp.loss(net, X, Y, reduction="mean", l2=0.7)
    model.partial_fit(X.T, targets)
    assert model.loss_ == pytest.approx(J_mean, rel=1e-12)


LOSS_CURVE_CASES = [
    ("regression", (3, 5, 2), "tanh", 4),
    ("regression", (4, 6, 5, 3, 3), "relu", 5),  # batches of 5, 5 and 2
    ("regression", (2, 4, 3, 1), "sigmoid", 1),  # stochastic
    ("multiclass", (3, 5, 4, 3), "tanh", 5),
    ("binary", (3, 5, 4, 1), "relu", 4),
]


@pytest.mark.parametrize(("kind", "sizes", "act", "k"), LOSS_CURVE_CASES)
def test_running_loss_is_sklearn_loss_curve(kind, sizes, act, k):
    """bp's default mini-batch History.loss is scikit-learn's loss_curve_ (l2 = 0).

    Both sum each batch's loss, taken during the epoch with the weights of that
    moment, weighted by the batch's size, and divide by m. MLPRegressor's squared
    loss also averages over the n_out outputs, so there bp's value is n_out times
    scikit-learn's; the classifiers' log losses are bp's as they are.
    """
    net, X, Y, targets, classes = make_problem(kind, sizes, act)
    model = sklearn_twin(net, X, targets, classes, k)
    h = bp.train(
        net, X, Y, alpha=ALPHA, max_iter=EPOCHS, epsilon=0.0, batch_size=k, reduction="mean",
        shuffle=False,
    )  # fmt: skip
    for _ in range(EPOCHS):
        model.partial_fit(X.T, targets)
    curve = np.array(model.loss_curve_[1:])  # [0]: the epoch before bp's weights were set
    n_out = sizes[-1] if kind == "regression" else 1
    assert len(h.loss) == len(curve) == EPOCHS
    np.testing.assert_allclose(np.array(h.loss) / n_out, curve, rtol=1e-10)
    assert curve[-1] < 0.9 * curve[0]  # it trained: the comparison covers a moving curve
    assert weight_error(net, model) < TOLERANCE


def test_full_batch_loss_is_sklearn_loss_curve_one_epoch_later():
    """Full batch: bp records J after each iteration, scikit-learn J before each epoch's step."""
    net, X, Y, targets, _ = make_problem("regression", (3, 5, 2), "tanh")
    model = sklearn_twin(net, X, targets, None, None)
    h = bp.train(net, X, Y, alpha=ALPHA, max_iter=EPOCHS, epsilon=0.0, reduction="mean")
    for _ in range(EPOCHS):
        model.partial_fit(X.T, targets)
    curve = np.array(model.loss_curve_[1:])
    np.testing.assert_allclose(np.array(h.loss[:-1]) / 2, curve[1:], rtol=1e-10)


@pytest.mark.parametrize("record_loss", ["exact", False])
def test_other_record_loss_choices_are_not_the_running_loss(record_loss):
    """record_loss="exact": J over all m after each epoch, not sklearn's; False: nothing."""
    kind, sizes, act, k = LOSS_CURVE_CASES[1]
    net, X, Y, targets, classes = make_problem(kind, sizes, act)
    model = sklearn_twin(net, X, targets, classes, k)
    after = []
    h = bp.train(
        net, X, Y, alpha=ALPHA, max_iter=EPOCHS, epsilon=0.0, batch_size=k, reduction="mean",
        shuffle=False, record_loss=record_loss,
        callback=lambda i, net_, history: after.append(bp.loss(net_, X, Y, "mean")),
    )  # fmt: skip
    for _ in range(EPOCHS):
        model.partial_fit(X.T, targets)
    assert weight_error(net, model) < TOLERANCE  # the same training either way
    if record_loss is False:
        assert h.loss == []
        return
    np.testing.assert_allclose(h.loss, after, rtol=1e-12)
    running = np.array(model.loss_curve_[1:]) * sizes[-1]
    assert np.max(np.abs(np.array(h.loss) - running) / running) > 1e-3
