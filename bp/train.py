r"""Gradient descent: the document's algorithm, and its mini-batch and stochastic variants.

The update rule, for l = 2..L:

    W^l ← W^l − α Σ_i δ^{i,l} (a^{i,l-1})^T
    b^l ← b^l − α Σ_i δ^{i,l}

Iterations stop after Max of them, or as soon as every element of every W^l
and b^l changed by less than ε during one iteration (the document's rule, the
default; ``train`` also offers a relative-change rule, a loss-change rule and
early stopping on validation data).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from bp import fast
from bp._validate import check_data, check_integer, check_real, check_reduction
from bp.backward import _gradients, bias_gradient, hidden_delta, output_error, weight_gradient
from bp.dropout import dropout_gradients, dropout_masks
from bp.forward import _loss, layer_forward
from bp.network import Network
from bp.regularization import l2_gradient

Array = np.ndarray


@dataclass
class History:
    """What happened during training.

    loss : J over all m samples after each iteration (with the reduction used).
    iterations : how many iterations (passes over the m samples) ran.
    converged : True when the ε rule stopped training.
    interrupted : True when Ctrl-C (KeyboardInterrupt) stopped training; the
        network then holds the weights of the last completed iteration.
    max_change : the largest |change| of any W or b element in each iteration.
    validation_loss : J on the validation samples after each iteration (no L2
        term), when ``validation`` was given.
    best_iteration : the iteration with the lowest validation loss (0: none).
    stopped_early : True when early stopping ended training.
    """

    loss: list[float] = field(default_factory=list)
    iterations: int = 0
    converged: bool = False
    interrupted: bool = False
    max_change: list[float] = field(default_factory=list)
    validation_loss: list[float] = field(default_factory=list)
    best_iteration: int = 0
    stopped_early: bool = False


def update(net: Network, dW: dict[int, Array], db: dict[int, Array], alpha: float) -> None:
    r"""The update rule, in place: W^l ← W^l − α ∂J/∂W^l and b^l ← b^l − α ∂J/∂b^l.

    With the document's summed gradients, ∂J/∂W^l = Σ_i δ^{i,l} (a^{i,l-1})^T
    and ∂J/∂b^l = Σ_i δ^{i,l}.
    """
    for l in range(2, net.L + 1):
        # W^l ← W^l − α Σ_i δ^{i,l} (a^{i,l-1})^T
        net.W[l] -= alpha * dW[l]
        # b^l ← b^l − α Σ_i δ^{i,l}
        net.b[l] -= alpha * db[l]


def train(
    net: Network,
    X: Array,
    Y: Array,
    alpha: float,
    max_iter: int,
    epsilon: float,
    batch_size: int | None = None,
    reduction: str = "sum",
    seed: int | None = None,
    shuffle: bool = True,
    callback: Callable[[int, Network, History], bool | None] | None = None,
    verbose: bool = False,
    stop: str = "change",
    l2: float = 0.0,
    dropout: float = 0.0,
    validation: tuple[Array, Array] | None = None,
    early_stopping: int | None = None,
    record_loss: bool = True,
) -> History:
    r"""Train ``net`` in place by gradient descent; return its History.

    Parameters
    ----------
    X, Y : the m samples as columns, shapes (n_in, m) and (n_out, m).
    alpha : the step α > 0.
    max_iter : Max, the most iterations to run. One iteration is one pass over
        the m samples (an epoch).
    epsilon : ε ≥ 0; stop when every element of every W^l and b^l changed by
        less than ε during one iteration. ε = 0 never stops early.
    stop : which quantity ε bounds. ``"change"`` (the document, default):
        max |ΔW|, |Δb| over one iteration; ``"relative_change"``: that maximum
        divided by the largest |W|, |b|, so ε does not depend on the scale of
        the weights; ``"loss"``: the change of J over one iteration,
        |J_{k-1} − J_k| (as scikit-learn's ``tol``), which ignores weights that
        wander without changing the loss.
    l2 : λ ≥ 0 of L2 regularization: each batch's J gains (λ/2) Σ_l ‖W^l‖²
        (divided by the batch's size under ``"mean"``, as in scikit-learn), so
        every update also shrinks W by α λ W (α λ W / k under ``"mean"``).
    dropout : the probability p of dropping each hidden unit for each sample
        during training (inverted dropout, bp/dropout.py); 0 turns it off.
    validation : (X_val, Y_val), samples as columns: J on them is recorded
        after each iteration in ``History.validation_loss``.
    early_stopping : with ``validation``, stop when the validation loss has not
        improved for this many iterations; the network then ends with the
        weights of its best iteration (``History.best_iteration``).
    record_loss : False skips J over all m samples after each iteration
        (``History.loss`` stays empty). With mini-batches that pass is a third
        of an epoch's work, and the document's ε rule does not need it.
    batch_size : ``None`` is the document's batch gradient descent (one update
        per iteration, over all m samples); ``1`` is stochastic and ``k``
        mini-batch gradient descent, with ⌈m/k⌉ updates per iteration.
    reduction : ``"sum"`` (the document: Σ over the samples of a batch) or
        ``"mean"`` (divide by the batch's size, as PyTorch and scikit-learn do).
    seed, shuffle : with mini-batches, the samples are shuffled every
        iteration by ``np.random.default_rng(seed)`` unless ``shuffle=False``.
    callback : called as ``callback(iteration, net, history)`` after every
        iteration; returning True stops training.
    verbose : print one updating progress line (iteration, J, largest change).

    Raises FloatingPointError when J or a weight becomes NaN or inf (α too large);
    the network is then left with the weights of the last finite iteration, and
    the error's ``history`` attribute holds the History up to that iteration.
    """
    check_reduction(reduction)
    X, Y = check_data(net, X, Y)
    alpha = check_real("alpha", alpha, positive=True)
    l2 = check_real("l2", l2, positive=False)
    m = X.shape[1]
    if batch_size is not None:
        batch_size = check_integer("batch_size", batch_size, 1)
        if batch_size > m:
            raise ValueError(f"batch_size={batch_size} is larger than the m={m} samples")
    dropout = check_real("dropout", dropout, positive=False)
    if dropout >= 1:
        raise ValueError(f"dropout must be a probability in [0, 1); got {dropout}")
    if dropout and net.L < 3:
        raise ValueError(f"dropout acts on hidden layers; sizes={net.sizes} has none")
    rng = np.random.default_rng(seed)
    k = m if batch_size is None else batch_size

    def one_iteration() -> None:
        order = rng.permutation(m) if shuffle and k < m else np.arange(m)
        for start in range(0, m, k):
            cols = order[start : start + k]
            if dropout:
                masks = dropout_masks(net, cols.size, dropout, rng)
                dW, db = dropout_gradients(net, X[:, cols], Y[:, cols], masks, reduction, l2)
            else:
                dW, db = _gradients(net, X[:, cols], Y[:, cols], reduction, l2)
            update(net, dW, db, alpha)

    if fast.supports(net) and not dropout:
        # The same iterations computed into preallocated buffers (bp/fast.py), with the same
        # update rule; tests/test_fast.py checks that they equal the loop above.
        one_iteration = fast.trainer(
            net, X, Y, alpha, k, reduction, l2, rng, shuffle, update, max_iter
        )
    return _iterate(
        net,
        X,
        Y,
        alpha,
        max_iter,
        epsilon,
        reduction,
        one_iteration,
        callback,
        verbose,
        stop,
        l2,
        _Validation.of(net, validation, early_stopping, reduction),
        record_loss,
    )


def train_per_sample(
    net: Network,
    X: Array,
    Y: Array,
    alpha: float,
    max_iter: int,
    epsilon: float,
    reduction: str = "sum",
    callback: Callable[[int, Network, History], bool | None] | None = None,
    verbose: bool = False,
    stop: str = "change",
    l2: float = 0.0,
) -> History:
    r"""The document's batch gradient descent, line by line, one sample at a time.

    for iter = 1 to Max:
        for i = 1 to m:
            a^{i,1} = x_i
            for l = 2 to L: a^{i,l} = σ(z^{i,l}) = σ(W^l a^{i,l-1} + b^l)
            δ^{i,L} from the loss
            for l = L-1 down to 2: δ^{i,l} = (W^{l+1})^T δ^{i,l+1} ⊙ σ'(z^{i,l})
        for l = 2 to L:
            W^l = W^l − α Σ_i δ^{i,l} (a^{i,l-1})^T
            b^l = b^l − α Σ_i δ^{i,l}
        stop if every change of W and b is below ε

    It gives the same results as ``train`` with ``batch_size=None``, to
    rounding; ``train`` does the loop over i as matrix products. The other
    arguments mean what they mean for ``train``.
    """
    check_reduction(reduction)
    X, Y = check_data(net, X, Y)
    alpha = check_real("alpha", alpha, positive=True)
    l2 = check_real("l2", l2, positive=False)
    m, L = X.shape[1], net.L

    def one_iteration() -> None:
        sum_dW = {l: np.zeros_like(net.W[l]) for l in range(2, L + 1)}
        sum_db = {l: np.zeros_like(net.b[l]) for l in range(2, L + 1)}
        for i in range(m):
            a, z, delta = {1: X[:, [i]]}, {}, {}
            for l in range(2, L + 1):
                z[l], a[l] = layer_forward(net.W[l], a[l - 1], net.b[l], net.activation_of(l).sigma)
            # δ^{i,L} from the loss
            delta[L] = output_error(net, z[L], a[L], Y[:, [i]])
            # The document writes "for l = L to 2", but W^{L+1} does not exist: start at L-1.
            for l in range(L - 1, 1, -1):
                delta[l] = hidden_delta(net.W[l + 1], delta[l + 1], z[l], net.hidden.sigma_prime)
            for l in range(2, L + 1):
                sum_dW[l] += weight_gradient(delta[l], a[l - 1])
                sum_db[l] += bias_gradient(delta[l])
        scale = 1.0 / m if reduction == "mean" else 1.0
        dW = {l: scale * (sum_dW[l] + l2_gradient(net.W[l], l2)) for l in sum_dW}
        db = {l: scale * sum_db[l] for l in sum_db}
        update(net, dW, db, alpha)

    return _iterate(
        net, X, Y, alpha, max_iter, epsilon, reduction, one_iteration, callback, verbose, stop, l2
    )


def max_change(before: dict[int, Array], after: dict[int, Array]) -> float:
    r"""max over l and elements of |after^l − before^l|: the quantity the ε rule compares."""
    return max(float(np.max(np.abs(after[l] - before[l]))) for l in before)


STOP_RULES = ("change", "relative_change", "loss")


def _iterate(
    net,
    X,
    Y,
    alpha,
    max_iter,
    epsilon,
    reduction,
    one_iteration,
    callback,
    verbose,
    stop,
    l2,
    validation=None,
    record_loss=True,
):
    """The outer loop shared by both trainers: Max, the ε rule, progress, Ctrl-C, divergence.

    J after each iteration is ``bp.loss``, or ``one_iteration.loss()`` when the
    iteration brings its own (the fast path computes J with the next gradient).
    """
    max_iter = check_integer("max_iter", max_iter, 1)
    epsilon = check_real("epsilon", epsilon, positive=False)
    if stop not in STOP_RULES:
        raise ValueError(f"stop={stop!r}; expected one of {', '.join(map(repr, STOP_RULES))}")
    if stop == "loss" and not record_loss:
        raise ValueError("stop='loss' compares J between iterations: it needs record_loss=True")
    loss = getattr(one_iteration, "loss", None) or (lambda: _loss(net, X, Y, reduction, l2))
    history = History()
    J_prev = loss() if stop == "loss" else None
    progress = _Progress(max_iter) if verbose else None
    W_prev, b_prev = _snapshot(net)
    try:
        for iteration in range(1, max_iter + 1):
            with np.errstate(over="ignore", invalid="ignore"):
                one_iteration()
                J = loss() if record_loss else None
            if not ((J is None or np.isfinite(J)) and _finite(net)):
                _restore(net, W_prev, b_prev)
                diverged = FloatingPointError(
                    f"training diverged at iteration {iteration}: J or a weight became NaN or inf; "
                    f"alpha={alpha} is too large for this network and data (try a smaller alpha"
                    f"{', or reduction=' + repr('mean') if reduction == 'sum' else ''}). "
                    f"The network keeps the weights of iteration {iteration - 1}."
                )
                diverged.history = history  # what happened up to the last finite iteration
                raise diverged
            change = max(max_change(W_prev, net.W), max_change(b_prev, net.b))
            W_prev, b_prev = _snapshot(net)
            if J is not None:
                history.loss.append(J)
            history.max_change.append(change)
            history.iterations = iteration
            if progress:
                progress.show(iteration, J, change)
            if stop == "change":
                # The document: stop when every change of W and b is below ε.
                history.converged = change < epsilon
            elif stop == "relative_change":
                history.converged = change < epsilon * _largest(net)
            else:
                history.converged = abs(J_prev - J) < epsilon
                J_prev = J
            if validation is not None:
                validation.record(net, history)
            stopped_by_callback = callback is not None and callback(iteration, net, history)
            if history.converged or history.stopped_early or stopped_by_callback:
                break
    except KeyboardInterrupt:
        _restore(net, W_prev, b_prev)
        history.interrupted = True
    else:
        if validation is not None and validation.early_stopping:
            _restore(net, *validation.best)
    finally:
        if progress:
            progress.close(history)
    return history


@dataclass
class _Validation:
    """Validation loss after each iteration, and early stopping on it."""

    X: Array
    Y: Array
    reduction: str
    early_stopping: int | None
    best: tuple[dict[int, Array], dict[int, Array]] | None = None
    best_loss: float = np.inf

    @classmethod
    def of(cls, net, validation, early_stopping, reduction) -> _Validation | None:
        if validation is None:
            if early_stopping is not None:
                raise ValueError("early_stopping needs validation=(X_val, Y_val)")
            return None
        try:
            X_val, Y_val = validation
        except (TypeError, ValueError):
            raise TypeError("validation must be a pair (X_val, Y_val)") from None
        if early_stopping is not None:
            early_stopping = check_integer("early_stopping", early_stopping, 1)
        X_val, Y_val = check_data(net, X_val, Y_val)
        return cls(X_val, Y_val, reduction, early_stopping)

    def record(self, net: Network, history: History) -> None:
        J_val = _loss(net, self.X, self.Y, self.reduction)
        history.validation_loss.append(J_val)
        if J_val < self.best_loss:
            self.best_loss, self.best = J_val, _snapshot(net)
            history.best_iteration = history.iterations
        elif self.early_stopping:
            history.stopped_early = (
                history.iterations - history.best_iteration >= self.early_stopping
            )


def _snapshot(net: Network) -> tuple[dict[int, Array], dict[int, Array]]:
    return {l: W.copy() for l, W in net.W.items()}, {l: b.copy() for l, b in net.b.items()}


def _restore(net: Network, W: dict[int, Array], b: dict[int, Array]) -> None:
    for l in W:
        net.W[l][...] = W[l]
        net.b[l][...] = b[l]


def _largest(net: Network) -> float:
    return max(max(np.abs(net.W[l]).max(), np.abs(net.b[l]).max()) for l in net.W)


def _finite(net: Network) -> bool:
    return all(np.isfinite(net.W[l]).all() and np.isfinite(net.b[l]).all() for l in net.W)


class _Progress:
    """Training progress on stderr: one line rewritten at most ten times a second on a
    terminal, or a line per tenth of the run when stderr is a file or a pipe."""

    def __init__(self, max_iter: int) -> None:
        self.max_iter, self.every = max_iter, max(1, max_iter // 10)
        self.tty = sys.stderr.isatty()
        self.next_time, self.shown = 0.0, 0

    def show(self, iteration: int, J: float | None, change: float, final: bool = False) -> None:
        loss = "" if J is None else f"  J = {J:.6g}"
        line = f"iteration {iteration}/{self.max_iter}{loss}  max |ΔW|,|Δb| = {change:.3g}"
        if self.tty:
            now = time.monotonic()
            if not final and now < self.next_time:
                return
            self.next_time = now + 0.1
            sys.stderr.write("\r" + line)
        elif final or iteration == 1 or iteration % self.every == 0:
            sys.stderr.write(line + "\n")
        else:
            return
        self.shown = iteration
        sys.stderr.flush()

    def close(self, history: History) -> None:
        n = history.iterations
        if n and self.shown != n:
            J = history.loss[-1] if history.loss else None
            self.show(n, J, history.max_change[-1], final=True)
        if self.tty:
            sys.stderr.write("\n")
        if history.converged:
            how = "converged: the stop rule's quantity fell below epsilon"
        elif history.stopped_early:
            how = "stopped early: the validation loss stopped improving"
        elif history.interrupted:
            how = "interrupted (Ctrl-C); the weights of the last completed iteration are kept"
        else:
            how = "stopped"
        sys.stderr.write(f"{how}, after {n} iteration(s)\n")
