r"""bp among scikit-learn's models: ``BPClassifier`` and ``BPRegressor``.

They train a ``bp.Network`` with ``bp.train`` and follow scikit-learn's
conventions, so cross-validation, pipelines, grid search, ``clone`` and pickling
work, and scikit-learn's own ``check_estimator`` passes. scikit-learn is
imported here only: ``import bp`` does not need it (``pip install
'literate-backprop[sklearn]'``).

Samples are rows here, and only here: scikit-learn passes X of shape
(n_samples, n_features), and the estimators transpose it once to bp's samples
as columns, X.T of shape (n_in, m).

Names: the estimators keep the document's. ``alpha`` is the step α (what
scikit-learn's MLP calls ``learning_rate_init``) and ``l2`` is the L2 penalty λ
(what scikit-learn's MLP calls ``alpha``). With ``reduction="mean"`` (the
default here) bp's ``l2=λ`` is exactly ``MLPClassifier(alpha=λ)``.
"""

from __future__ import annotations

import numbers
import warnings
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    InvalidParameterError,
    StrOptions,
)
from sklearn.utils.multiclass import _check_partial_fit_first_call, check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

import bp
from bp.data import one_hot
from bp.network import INITS
from bp.optimizers import OPTIMIZERS


class _BPEstimator(BaseEstimator):
    """What the classifier and the regressor share: the network, training, partial fits."""

    # Checked at every fit and partial_fit, with scikit-learn's errors and wording.
    _parameter_constraints: ClassVar[dict] = {
        "hidden_layer_sizes": ["array-like", Interval(numbers.Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(bp.ACTIVATIONS) - {"softmax"})],
        "init": [StrOptions(set(INITS))],
        "alpha": [Interval(numbers.Real, 0, None, closed="neither")],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "epsilon": [Interval(numbers.Real, 0, None, closed="left")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "reduction": [StrOptions({"sum", "mean"})],
        "l2": [Interval(numbers.Real, 0, None, closed="left")],
        "weight_decay": [Interval(numbers.Real, 0, None, closed="left")],
        "optimizer": [StrOptions(set(OPTIMIZERS)), HasMethods(["step"])],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        hidden_layer_sizes=(64,),
        activation="tanh",
        init="xavier",
        alpha=0.01,
        max_iter=200,
        epsilon=1e-7,
        batch_size=None,
        reduction="mean",
        l2=0.0,
        weight_decay=0.0,
        optimizer="adam",
        shuffle=True,
        random_state=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.init = init
        self.alpha = alpha
        self.max_iter = max_iter
        self.epsilon = epsilon
        self.batch_size = batch_size
        self.reduction = reduction
        self.l2 = l2
        self.weight_decay = weight_decay
        self.optimizer = optimizer
        self.shuffle = shuffle
        self.random_state = random_state

    def _check_params(self) -> None:
        self._validate_params()
        _sizes(self.hidden_layer_sizes, type(self).__name__)

    def _fit(self, X, Y, max_iter: int, first: bool):
        """Train on X (samples as rows) and Y (bp's targets, samples as columns).

        A fit that raises TrainingDiverged leaves the estimator unfitted: ``predict``
        raises NotFittedError saying so, rather than use the diverged weights.
        """
        if first:
            rng = check_random_state(self.random_state)
            self._rng = np.random.default_rng(rng.randint(2**31 - 1))
            sizes = (X.shape[1], *_sizes(self.hidden_layer_sizes), Y.shape[0])
            output, loss = self._output
            self.network_ = bp.Network(
                sizes, self.activation, output, loss, seed=self._rng, init=self.init
            )
            self.n_iter_, self._state = 0, None
        k = None if self.batch_size is None else min(self.batch_size, X.shape[0])
        try:
            history = bp.train(
                self.network_, X.T.copy(), Y, alpha=self.alpha, max_iter=max_iter,
                epsilon=self.epsilon, batch_size=k, shuffle=self.shuffle, seed=self._rng,
                reduction=self.reduction, l2=self.l2, weight_decay=self.weight_decay,
                optimizer=self.optimizer,
                optimizer_state=self._state,
            )  # fmt: skip
        except bp.TrainingDiverged as err:
            self._unfit(f"its last fit raised TrainingDiverged ({err})")
            raise
        self._failed = ""
        self.history_, self._state = history, history.optimizer_state
        self.n_iter_ += history.iterations
        if history.stalled:
            warnings.warn(f"training stalled: {history.reason}", ConvergenceWarning, stacklevel=3)
        return self

    def _unfit(self, why: str) -> None:
        for name in ("network_", "history_", "n_iter_", "classes_", "_state"):
            if hasattr(self, name):
                delattr(self, name)
        self._failed = why

    def _outputs(self, X) -> np.ndarray:
        if getattr(self, "_failed", ""):
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted: {self._failed}. Call "
                f"'fit' again (with a smaller alpha, for instance) before using this estimator."
            )
        check_is_fitted(self, "network_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return bp.predict(self.network_, X.T.copy()).T


def _sizes(hidden, owner: str = "the estimator") -> tuple[int, ...]:
    """The hidden sizes as a tuple of ints >= 1; refuses bools, fractions and strings."""
    sizes = hidden.tolist() if isinstance(hidden, np.ndarray) else hidden
    sizes = [sizes] if isinstance(sizes, numbers.Integral) else list(sizes)
    for n in sizes:
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, numbers.Integral) or n < 1:
            raise InvalidParameterError(
                f"The 'hidden_layer_sizes' parameter of {owner} must be an int in the "
                f"range [1, inf) or a sequence of them. Got {hidden!r} instead."
            )
    return tuple(int(n) for n in sizes)


class BPClassifier(ClassifierMixin, _BPEstimator):
    r"""A network of bp trained as a classifier: softmax output, the log-likelihood loss.

    Parameters (stored unchanged; the document's names)
    ----------
    hidden_layer_sizes : n_2, ..., n_{L-1}, the sizes of the hidden layers.
    activation : σ of the hidden layers (``"sigmoid"``, ``"tanh"``, ``"relu"``, ...).
    init : ``"normal"``, ``"xavier"`` or ``"he"`` (see ``bp.Network``).
    alpha : the step α (scikit-learn's MLP calls it ``learning_rate_init``).
    max_iter, epsilon : Max and ε of the document's stop rules.
    batch_size : None for the whole batch, k for mini-batches of k samples.
    reduction : ``"mean"`` (default here, as scikit-learn) or ``"sum"`` (the document).
    l2 : λ of L2 regularization (scikit-learn's MLP calls it ``alpha``).
    weight_decay : PyTorch's ``weight_decay``: λ W added to the reduced gradient.
    optimizer : ``"gd"``, ``"momentum"``, ``"nesterov"``, ``"adam"`` or a bp optimizer.
    shuffle, random_state : shuffling of mini-batches; the seed of weights and shuffles.

    Attributes: ``network_`` (the trained ``bp.Network``), ``history_`` (its
    ``bp.History``), ``classes_``, ``n_features_in_``, ``n_iter_``.

    X has samples as rows (scikit-learn's convention), transposed once for bp.
    """

    _output = ("softmax", "log_likelihood")

    def fit(self, X, y):
        """Train a new network on X (n_samples, n_features) and the labels y."""
        self._check_params()
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        self._classes(y)
        return self._fit(X, self._targets(y), self.max_iter, first=True)

    def partial_fit(self, X, y, classes=None):
        """One more iteration over X, y; the first call needs ``classes`` (all labels), and a
        later call that passes ``classes`` must pass the same (as MLPClassifier)."""
        self._check_params()
        first = not hasattr(self, "network_")
        X, y = validate_data(self, X, y, dtype=np.float64, reset=first)
        check_classification_targets(y)
        if _check_partial_fit_first_call(self, classes):
            self._classes(classes)
        return self._fit(X, self._targets(y), 1, first=first)

    def _classes(self, labels) -> None:
        """classes_ from the labels; one class is refused, and the classifier is left unfitted
        (a network trained for other classes must not answer for these)."""
        self._encoder = LabelEncoder().fit(labels)
        self.classes_ = self._encoder.classes_
        if self.classes_.size < 2:
            self._unfit("")
            raise ValueError("Classifier can't train when only one class is present.")

    def _targets(self, y) -> np.ndarray:
        if not np.isin(y, self.classes_).all():
            raise ValueError(f"y holds labels outside classes_={self.classes_.tolist()}")
        return one_hot(self._encoder.transform(y), self.classes_.size)

    def predict_proba(self, X) -> np.ndarray:
        """a^L: the probability of each class, (n_samples, n_classes)."""
        return self._outputs(X)

    def predict(self, X) -> np.ndarray:
        """The most probable class of each sample."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def decision_function(self, X) -> np.ndarray:
        """ln a^L: log-probabilities (n_samples, n_classes); for two classes their difference."""
        with np.errstate(divide="ignore"):
            scores = np.log(self.predict_proba(X))
        return scores[:, 1] - scores[:, 0] if self.classes_.size == 2 else scores


class BPRegressor(RegressorMixin, _BPEstimator):
    r"""A network of bp trained as a regressor: identity output, J = ½‖a^L − y‖².

    Parameters and attributes as ``BPClassifier`` (without ``classes_``); y may be
    1-D (one output) or 2-D (n_samples, n_outputs). With the same start and settings,
    a fit equals ``bp.train`` on the transposed data exactly.
    """

    _output = ("identity", "mse")

    def fit(self, X, y):
        """Train a new network on X (n_samples, n_features) and y."""
        self._check_params()
        X, y = validate_data(self, X, y, dtype=np.float64, multi_output=True, y_numeric=True)
        self._one_output = y.ndim == 1
        return self._fit(X, self._targets(y), self.max_iter, first=True)

    def partial_fit(self, X, y):
        """One more iteration over X, y."""
        self._check_params()
        first = not hasattr(self, "network_")
        X, y = validate_data(
            self, X, y, dtype=np.float64, multi_output=True, y_numeric=True, reset=first
        )
        if first:
            self._one_output = y.ndim == 1
        elif (y.ndim == 1) != self._one_output and y.reshape(len(y), -1).shape[1] != 1:
            raise ValueError("y has another number of outputs than in the first partial_fit")
        return self._fit(X, self._targets(y), 1, first=first)

    def _targets(self, y) -> np.ndarray:
        return np.atleast_2d(y) if y.ndim == 1 else y.T.copy()

    def predict(self, X) -> np.ndarray:
        """The network's output for each sample: (n_samples,) or (n_samples, n_outputs)."""
        out = self._outputs(X)
        return out[:, 0] if self._one_output else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
