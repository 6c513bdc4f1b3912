r"""Training: the document's algorithm, with its Max and ε rules, around ``bp.descent``.

    for iter = 1 to Max:
        one iteration: the ⌈m/k⌉ updates of one pass over the m samples
        stop if every element of every W^l and b^l changed by less than ε

``train`` checks its arguments once, then calls the formula functions of
``bp.propagation`` and ``bp.descent`` directly, with buffers allocated once.
Besides the document's rule it offers a relative-change rule, a loss-change
rule and early stopping on validation data.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from bp import _checks
from bp._checks import STOP_RULES
from bp.descent import Buffers, RunState, Settings, batch_gradients, data_loss, epoch
from bp.losses import objective_of
from bp.network import Layers, Network
from bp.optimizers import OPTIMIZERS, OptimizerState
from bp.propagation import forward, loss

Array = np.ndarray

__all__ = ["STOP_RULES", "History", "TrainingDiverged", "iterate", "max_change", "train"]


@dataclass
class History:
    """What happened during training.

    loss : J after each iteration, with the reduction used (see ``train``'s
        ``record_loss`` for what it measures with mini-batches).
    iterations : how many iterations (passes over the m samples) ran.
    converged : True when the stop rule ended training.
    interrupted : True when Ctrl-C (KeyboardInterrupt) stopped training; the
        network then holds the weights of the last completed iteration.
    max_change : the largest |change| of any W or b element in each iteration.
    validation_loss : J on the validation samples after each iteration (no L2
        term), when ``validation`` was given.
    best_iteration : the iteration with the lowest validation loss (0: none).
    stopped_early : True when early stopping ended training.
    stalled : True when training went wrong without a NaN: J rose above its
        start, or most output units sit saturated on the wrong side. Such a run
        is never ``converged``. With mini-batches J_start is not known for free:
        a rise is looked for only when J ends above J of the first 64 samples
        scaled to m, so a smaller rise can go unseen.
    reason : why training stopped, in one line (for a stalled run, what went
        wrong and what to try).
    optimizer_state : what the optimizer remembers (t, velocities, moments);
        pass it back as ``train(..., optimizer_state=...)`` to resume.
    """

    loss: list[float] = field(default_factory=list)
    iterations: int = 0
    converged: bool = False
    interrupted: bool = False
    max_change: list[float] = field(default_factory=list)
    validation_loss: list[float] = field(default_factory=list)
    best_iteration: int = 0
    stopped_early: bool = False
    stalled: bool = False
    reason: str = ""
    optimizer_state: OptimizerState | None = None


class TrainingDiverged(FloatingPointError):
    """Training produced NaN or inf: α is too large for this network and data.

    ``history`` holds what happened up to the last finite iteration; the network
    keeps that iteration's weights.
    """

    def __init__(self, message: str, history: History) -> None:
        super().__init__(message)
        self.history = history


def max_change(before: dict[int, Array], after: dict[int, Array]) -> float:
    r"""max over l and elements of |after^l − before^l|: the quantity the ε rule compares."""
    return max(float(np.max(np.abs(after[l] - before[l]))) for l in before)


def train(
    net: Network,
    X: Array,
    Y: Array,
    *,
    alpha: float,
    max_iter: int,
    epsilon: float,
    batch_size: int | None = None,
    shuffle: bool = True,
    seed: int | np.random.Generator | None = None,
    reduction: str = "sum",
    optimizer="gd",
    optimizer_state: OptimizerState | None = None,
    l2: float = 0.0,
    weight_decay: float = 0.0,
    dropout: float = 0.0,
    stop: str = "change",
    validation: tuple[Array, Array] | None = None,
    early_stopping: int | None = None,
    callback: Callable[[int, Network, History], bool | None] | None = None,
    verbose: bool = False,
    record_loss: bool | str = True,
) -> History:
    r"""Train ``net`` in place by gradient descent; return its History.

    X, Y : the m samples as columns, shapes (n_in, m) and (n_out, m).

    The document's inputs
        alpha : the step α > 0.
        max_iter : Max, the most iterations. One iteration is one pass over the
            m samples (an epoch).
        epsilon : ε ≥ 0; stop when every element of every W^l and b^l changed by
            less than ε during one iteration. ε = 0 never stops early.

    Batching
        batch_size : ``None`` is the document's batch gradient descent (one
            update per iteration over all m samples); ``1`` is stochastic and
            ``k`` mini-batch gradient descent, with ⌈m/k⌉ updates per iteration.
        shuffle, seed : with mini-batches, the samples are shuffled every
            iteration by ``np.random.default_rng(seed)`` unless ``shuffle=False``.
        reduction : ``"sum"`` (the document: Σ over the samples of a batch) or
            ``"mean"`` (divide by the batch's size, as PyTorch and scikit-learn):
            ``bp.losses.objective_gradient`` divides the summed gradient by k, and
            the optimizer gets the result.

    The update rule
        optimizer : ``"gd"`` (the document's W ← W − α ∂J/∂W, the default),
            ``"momentum"`` (β = 0.9), ``"nesterov"``, ``"adam"``, or an object of
            ``bp.optimizers`` (``Momentum(beta=...)``, ``Adam(beta1=..., ...)``).
            They follow ``torch.optim.SGD`` and ``torch.optim.Adam`` step by step.
        optimizer_state : what an earlier run's optimizer remembered
            (``History.optimizer_state``), to resume it exactly.

    Regularization
        l2 : λ ≥ 0: each batch's J gains (λ/2) Σ_l ‖W^l‖² (divided by the
            batch's size under ``"mean"``, as scikit-learn's ``alpha``), so every
            update also shrinks W by αλW (αλW/k under ``"mean"``).
        weight_decay : λ_wd ≥ 0, PyTorch's ``weight_decay``: λ_wd W is added to the
            gradient after the reduction, whatever the batch's size, so every update
            shrinks W by αλ_wd W. Nielsen's decay ηλ/n per step (n the training-set
            size) is ``reduction="mean", alpha=η, weight_decay=λ/n``, exact with a
            short last batch too. Both penalties count in J.
        dropout : the probability p of dropping each hidden unit for each sample
            during training (inverted dropout, fresh masks for every batch).

    Monitoring
        stop : which quantity ε bounds. ``"change"`` (the document, default):
            max |ΔW|, |Δb| over one iteration; ``"relative_change"``: that
            maximum divided by the largest |W|, |b|; ``"loss"``: |J_{k−1} − J_k|.
        validation : (X_val, Y_val), samples as columns: J on them (no L2 term)
            after each iteration, in ``History.validation_loss``.
        early_stopping : with ``validation``, stop when the validation loss has
            not improved for this many iterations, and restore the best weights.
        callback : ``callback(iteration, net, history)`` after every iteration;
            returning True stops training.
        verbose : print one updating progress line (iteration, J, largest change).
        record_loss : what ``History.loss`` records after each iteration. Full
            batch: J over all m (free: it is the next iteration's forward pass).
            Mini-batches, ``True``: the running loss, each batch's J from its own
            forward pass with the weights of that moment, summed over the epoch
            (÷ m under "mean"), plus the L2 term of the epoch's final weights,
            as scikit-learn's ``loss_curve_``; ``"exact"``: J over all m at the
            epoch's end (one more forward pass); ``False``: nothing.

    Raises ``TrainingDiverged`` (a FloatingPointError) when J or a weight becomes
    NaN or inf; the network is left with the weights of the last finite
    iteration, and the error's ``history`` holds the History up to it.
    """
    checked = _checks.training_arguments(
        net, X, Y, alpha, max_iter, epsilon, reduction, l2, weight_decay, stop
    )
    X, Y, alpha, max_iter, epsilon, reduction, l2, weight_decay, stop = checked
    m = X.shape[1]
    k = m if batch_size is None else _checks.batch_size(batch_size, m)
    dropout = _checks.dropout(dropout, net)
    record_loss = _checks.record_loss(record_loss, stop)
    optimizer = _checks.optimizer(optimizer, OPTIMIZERS)
    resumed = _checks.optimizer_state(optimizer_state, optimizer, net, OptimizerState)
    shuffle, verbose = _checks.flag("shuffle", shuffle), _checks.flag("verbose", verbose)
    watch = _Validation.of(net, validation, early_stopping, reduction)
    settings = Settings(alpha, k, reduction, l2, weight_decay, dropout, shuffle, optimizer)
    state = RunState.fresh(net, optimizer, _checks.seed(seed))
    state.optimizer = resumed or state.optimizer
    buffers = Buffers(net, X, Y, k)
    return iterate(
        net, X, Y, settings, _Epochs(net, X, Y, settings, state, buffers, record_loss),
        lambda n, X_, Y_: data_loss(n, X_, Y_, buffers), max_iter=max_iter, epsilon=epsilon,
        stop=stop, record_loss=record_loss, watch=watch, callback=callback, verbose=verbose,
        optimizer_state=state.optimizer,
    )  # fmt: skip


class Iteration(Protocol):
    """One iteration of a trainer, as ``iterate`` calls it.

    ``iteration(last)`` makes the updates of one pass over the m samples and returns J
    after it without the penalties (Σ_i J_i), or None when J is not recorded. ``exact``:
    that J is J over all m at the weights after the iteration (not a running loss).
    ``J_start``: Σ_i J_i at the starting weights, where the trainer had it for free (else
    None). ``weights_changed()``: someone else (a callback) changed the weights.
    """

    exact: bool
    J_start: Any

    def __call__(self, last: bool) -> Any: ...

    def weights_changed(self) -> None: ...


class _Epochs:
    """``bp.train``'s iteration: one ``epoch``, and J after it as ``record_loss`` asks.

    Full batch: J after an iteration is the forward pass of the next iteration's
    gradient, computed ahead into the buffers (``Buffers.ahead``), so it costs nothing.
    """

    def __init__(self, net, X, Y, settings: Settings, state: RunState, buffers: Buffers,
                 record_loss: bool | str) -> None:  # fmt: skip
        self.net, self.X, self.Y, self.record_loss = net, X, Y, record_loss
        self.settings, self.state, self.buffers = settings, state, buffers
        m = X.shape[1]
        mini_batches = (settings.batch_size or m) < m
        # full batch: J of the whole network after each iteration, free with the next
        # gradient unless dropout masks that gradient's forward pass
        self.full = not mini_batches and not settings.dropout
        self.running = record_loss is True and mini_batches
        self.exact = not self.running
        self.J_start: Any = None

    def __call__(self, last: bool) -> Any:
        net, X, Y, buffers, record_loss = self.net, self.X, self.Y, self.buffers, self.record_loss
        if self.full and record_loss and self.J_start is None and not buffers.ahead:
            self.J_start = self.ahead()  # J at the start, with the first gradient
        J = epoch(net, X, Y, self.settings, self.state, buffers, want_J=self.running)
        if self.running:
            return J
        if not record_loss:
            return None
        return data_loss(net, X, Y, buffers) if last or not self.full else self.ahead()

    def ahead(self) -> Any:
        """The full batch's gradient at today's weights, for the next epoch, and J with it."""
        J = batch_gradients(self.net, self.X, self.Y, slice(None), self.buffers, want_J=True)
        self.buffers.ahead = True
        return J

    def weights_changed(self) -> None:
        self.buffers.ahead = False


#: The samples whose J at the start weights bounds J_start from below (see ``_Start``).
_SAMPLE = 64


class _Start:
    """J at the starting weights (J_start), evaluated only when the run needs it.

    The starting weights are copied (small next to X). At the start, J of the first
    ``_SAMPLE`` samples is taken: every J_i ≥ 0, so its objective is a lower bound of
    J_start, and scaled to m samples an estimate. J_start itself (a forward pass over
    all m) is computed when ``stop="loss"`` needs it, when J exceeds 10⁶ × the lower
    bound (the divergence rule), or when the run ends above the estimate (the stall
    diagnosis); the full batch gets it for free from its first gradient.
    """

    def __init__(self, net: Network, X: Array, Y: Array, objective, data_loss,
                 floor: float) -> None:  # fmt: skip
        self.net, self.X, self.Y, self.objective, self.data_loss = net, X, Y, objective, data_loss
        #: J's rounding level: below it, J's changes are noise, not a rise or a divergence
        self.floor = floor
        self.W, self.b = _snapshot(net)
        m = X.shape[1]
        s = min(m, _SAMPLE)
        J_sample = data_loss(net, X[:, :s], Y[:, :s])
        self.lower = objective(J_sample, self.W)
        self.estimate = objective(J_sample * (m / s), self.W)
        self.J: float | None = None

    def exact(self, known: Any = None) -> float:
        """J_start (from ``known``, Σ_i J_i at the start, when the trainer has it)."""
        if self.J is None:
            if known is None:
                initial = self.net.copy()
                _restore(initial, self.W, self.b)
                known = self.data_loss(initial, self.X, self.Y)
            self.J = self.objective(known, self.W)
        return self.J

    def below(self, J: float, known: Any = None) -> bool:
        """J rose above J_start: J > J_start (1 + 10⁻³) + the floor, evaluating J_start only
        when J is above the estimate. A rise of less than 0.1 % (invisible in J's four printed
        digits: SGD's noise around a minimum) or within J's rounding is no rise."""
        if self.J is None and known is None and J <= self.estimate:
            return False
        return J > self.exact(known) * (1 + _RISE) + self.floor


def iterate(
    net: Network,
    X: Array,
    Y: Array,
    settings: Settings,
    iteration: Iteration,
    data_loss: Callable[[Network, Array, Array], Any],
    *,
    max_iter: int,
    epsilon: float,
    stop: str,
    record_loss: bool | str,
    watch: _Validation | None = None,
    callback: Callable[[int, Network, History], bool | None] | None = None,
    verbose: bool = False,
    optimizer_state: OptimizerState | None = None,
) -> History:
    """The outer loop of ``train`` and ``train_per_sample``: Max, the stop rule, progress,
    Ctrl-C, divergence, validation, and the stall diagnosis at the end.

    ``iteration`` makes one iteration's updates (see ``Iteration``); ``data_loss(net, X,
    Y)`` is Σ_i J_i at net's weights. ``settings`` gives the objective (reduction, λ,
    weight decay) and α for the messages.
    """
    m = X.shape[1]

    def objective(J_data: Any, W: dict[int, Array]) -> float:
        return float(objective_of(J_data, W, m, settings.reduction, settings.l2,
                                  settings.weight_decay))  # fmt: skip

    history = History(optimizer_state=optimizer_state)
    start = _Start(net, X, Y, objective, data_loss, _floor(Y, settings.reduction))
    largest_start = _largest(net)
    J_prev = start.exact(iteration.J_start) if stop == "loss" else None
    progress = _Progress(max_iter) if verbose else None
    W_prev, b_prev = _snapshot(net)
    history.reason = f"Max: {max_iter} iterations ran"
    try:
        for it in range(1, max_iter + 1):
            with np.errstate(over="ignore", invalid="ignore"):
                J_data = iteration(it == max_iter)
                J = None if J_data is None else objective(J_data, net.W)
            problem = _divergence(J, start, iteration.J_start, net, largest_start)
            if problem:
                _restore(net, W_prev, b_prev)
                history.reason = problem
                raise TrainingDiverged(
                    f"training diverged at iteration {it}: {problem}; "
                    f"alpha={settings.alpha} is too large for this network and data "
                    f"(try a smaller alpha"
                    f"{'' if settings.reduction == 'mean' else ', or reduction=' + repr('mean')})."
                    f" The network keeps the weights of iteration {it - 1}.",
                    history,
                )
            change = max(max_change(W_prev, net.W), max_change(b_prev, net.b))
            W_prev, b_prev = _snapshot(net)
            if J is not None:
                history.loss.append(J)
            history.max_change.append(change)
            history.iterations = it
            if progress:
                progress.show(it, J, change)
            if stop == "change":
                # The document: stop when every change of W and b is below ε.
                history.converged = change < epsilon
            elif stop == "relative_change":
                history.converged = change < epsilon * _largest(net)
            else:
                history.converged, J_prev = abs(J_prev - J) < epsilon, J  # type: ignore[operator]
            if history.converged:
                history.reason = _STOPPED_BY[stop].format(epsilon=epsilon)
            if watch is not None:
                watch.record(net, history)
                if history.stopped_early:
                    history.reason = (
                        f"early stopping: no better validation loss in {watch.early_stopping} "
                        f"iterations; the weights of iteration {history.best_iteration} kept"
                    )
            if callback is not None:
                iteration.weights_changed()  # the callback may change the weights
                if callback(it, net, history):
                    history.reason = "the callback returned True"
                    break
            if history.converged or history.stopped_early:
                break
    except KeyboardInterrupt:
        _restore(net, W_prev, b_prev)
        history.interrupted = True
        history.reason = "interrupted (Ctrl-C); the weights of the last completed iteration"
    else:
        # the run is judged as it ended, before early stopping puts its best weights back
        _diagnose(net, X, Y, history, start, iteration, objective, data_loss, stop)
        if watch is not None and watch.early_stopping and watch.best is not None:
            _restore(net, *watch.best)
    finally:
        if progress:
            progress.close(history)
    return history


def _stuck(net: Network, X: Array, Y: Array) -> str:
    """What sits stuck on the first 1024 samples, in words, or "": output units saturated
    on the wrong side (over a quarter of them), or a ReLU layer dead for every sample."""
    z, a = forward(net, X[:, :1024])
    stuck, total = _stuck_outputs(net, z[net.L], a[net.L], Y[:, :1024])
    if stuck > total / 4:
        return f"{stuck} of {total} output units saturated on the wrong side"
    dead = [l for l in range(2, net.L) if net.activation.name == "relu" and not a[l].any()]
    return f"hidden layer {dead[0]} is dead (every ReLU unit outputs 0)" if dead else ""


def _diagnose(net, X, Y, history: History, start: _Start, iteration: Iteration, objective,
              data_loss, stop: str) -> None:  # fmt: skip
    """Mark a run that went wrong as stalled, with its reason; it is then not converged."""
    signs = []
    J_end = history.loss[-1] if history.loss else None
    rose = J_end is not None and start.below(J_end, iteration.J_start)
    if rose and not iteration.exact:
        J_end = objective(data_loss(net, X, Y), net.W)  # the running loss is not J at the end
        rose = start.below(J_end)
    if rose:
        signs.append(f"J rose from {start.exact():.4g} to {J_end:.4g}")
    look = history.converged or J_end is None or net.activation.name == "relu"
    stuck = _stuck(net, X, Y) if look else ""
    from_start = False
    if stuck:
        initial = net.copy()
        _restore(initial, start.W, start.b)
        from_start = bool(_stuck(initial, X, Y))
        signs.append(stuck + (" (from the start)" if from_start else ""))
    if signs:
        history.stalled, history.converged = True, False
        advice = (
            "the initial weights are stuck already: try another init or seed"
            if from_start and not rose
            else "α is probably too large"
        )
        unrecorded = "" if J_end is not None else " (J was not recorded: judged by saturation)"
        history.reason = "; ".join(signs) + "; " + advice + unrecorded
    elif history.converged:
        idle = _learned_nothing(net, X, Y, history, start, iteration, objective, data_loss, stop)
        if idle:
            history.stalled, history.converged = True, False
            history.reason = idle


#: A stop rule that fires while J is above this fraction of both its start and J_const (the
#: J of the constant output ȳ) stopped a run that learned nothing (see ``_learned_nothing``).
_IDLE = 0.9
#: ... unless the last iteration still lowered J by more than this fraction of J_start.
_STEP = 0.01


def _learned_nothing(net, X, Y, history: History, start: _Start, iteration: Iteration,
                     objective, data_loss, stop: str) -> str:  # fmt: skip
    """Why a stop rule's verdict is no convergence, in words, or "".

    The ε rules stop when the weights barely move, and a step too small to move anything
    barely moves them too. So a run is not converged when the rule fired while J had
    fallen by less than 10 % of J_start, J is still within 10 % of J_const, the J of
    outputting the mean target ȳ for every sample (what a network learns first), and the
    last iteration lowered J by at most 1 % of J_start (the step moved nothing): it
    learned nothing. A run started near a good fit (J far below J_const) stays converged.
    """
    J_end = history.loss[-1] if history.loss and iteration.exact else None
    if J_end is not None and J_end <= _IDLE * max(start.lower, start.floor):
        return ""  # J fell by over 10 % of a lower bound of J_start: no pass needed
    J_data = data_loss(net, X, Y)
    J_end = objective(J_data, net.W)
    J_start = start.exact(iteration.J_start)
    J_const = _constant_loss(net.loss.name, Y)
    if J_end <= _IDLE * J_start + start.floor or float(J_data) <= _IDLE * J_const + start.floor:
        return ""
    exact_loss = iteration.exact and len(history.loss) == history.iterations
    J_before = history.loss[-2] if exact_loss and history.iterations > 1 else None
    if history.iterations == 1:
        J_before = J_start
    if J_before is not None and J_before - J_end > _STEP * J_start:
        return ""  # the last step still moved J: ε was large, not the step too small
    fall = J_start - J_end
    fell = f"J fell by only {fall:.3g} ({100 * fall / J_start:.2g} % of J at the start)"
    if fall <= 0:
        fell = f"J did not fall ({J_start:.4g} at the start, {J_end:.4g} at the end)"
    rule = _STOPPED_BY[stop].split(":")[0]
    symmetric = _symmetric_layer(net)
    cause = (
        f"hidden layer {symmetric}'s units are all alike (a symmetric start such as all-zero "
        "weights stays symmetric under gradient descent): initialise with random weights"
        if symmetric
        else "α is probably too small for this ε (try a larger alpha or a smaller epsilon)"
    )
    return (
        f"{rule} stopped a run that learned nothing: {fell}, no better than outputting the "
        f"mean target for every sample (J = {objective(J_const, net.W):.4g}); {cause}"
    )


def _constant_loss(loss: str, Y: Array) -> float:
    """Σ_i J_i of the constant output a = ȳ (the mean of Y's columns), for ``loss``."""
    y_bar = Y.mean(axis=1, keepdims=True)
    if loss == "mse":
        return 0.5 * float(np.sum(np.square(Y - y_bar)))
    tiny = np.finfo(Y.dtype).tiny
    log_p, log_q = np.log(np.maximum(y_bar, tiny)), np.log(np.maximum(1 - y_bar, tiny))
    if loss == "log_likelihood":
        return -float(np.sum(Y * log_p))
    return -float(np.sum(Y * log_p + (1 - Y) * log_q))  # cross_entropy


def _symmetric_layer(net: Network) -> int:
    """A hidden layer l whose n_l ≥ 2 units have equal incoming weights and biases, or 0."""
    for l in range(2, net.L):
        W, b = net.W[l], net.b[l]
        if W.shape[0] > 1 and bool((W == W[:1]).all() and (b == b[:1]).all()):
            return l
    return 0


_STOPPED_BY = {
    "change": "the ε rule: every element of every W and b changed by less than {epsilon:g}",
    "relative_change": "the relative ε rule: every change below {epsilon:g} × the largest weight",
    "loss": "the loss rule: J changed by less than {epsilon:g} in one iteration",
}
#: J this many times its start, or a weight this many times the largest start weight, diverged.
_J_GROWTH, _W_GROWTH = 1e6, 1e6
#: J rose when it ends more than this fraction above its start (plus the floor, ``_floor``).
_RISE = 1e-3


def _floor(Y: Array, reduction: str) -> float:
    """J's rounding level: eps × ½ Σ_i ‖y_i‖² (÷ m under "mean"), the size of J's rounding
    errors when the outputs carry relative errors of √eps; at least the smallest normal."""
    scale = 0.5 * float(np.sum(np.square(Y))) / (Y.shape[1] if reduction == "mean" else 1)
    info = np.finfo(Y.dtype)
    return max(float(info.eps) * scale, float(info.tiny))


def _divergence(
    J: float | None, start: _Start, J_start_data: Any, net: Network, largest_start: float
) -> str:
    """What went wrong, in words, or "" when J and the weights are fine."""
    if not _finite(net) or (J is not None and not np.isfinite(J)):
        return "J or a weight became NaN or inf"
    # only then can J exceed 10⁶ J_start (or 10⁶ × J's rounding level, when J_start is below it)
    if J is not None and J > _J_GROWTH * max(start.lower, start.floor):
        J_start = start.exact(J_start_data)
        if J > _J_GROWTH * max(J_start, start.floor):
            return f"J rose from {J_start:.4g} to {J:.4g}"
    largest = _largest(net)
    if largest > _W_GROWTH * max(largest_start, 1.0):
        return f"the largest weight grew from {largest_start:.3g} to {largest:.3g}"
    return ""


def _stuck_outputs(net: Network, z_L: Array, a_L: Array, Y: Array) -> tuple[int, int]:
    """How many output units (of all n_out · m) sit saturated, far from their target.

    Saturated: σ'(z^L) below a hundredth of its largest value (|z| > 6 for the sigmoid),
    or 0 (a ReLU below 0). There the gradient vanishes, and a unit more than ½ from its
    target stays wrong. Softmax, identity and leaky ReLU outputs never saturate so.
    """
    sigma_prime = net.output_activation.sigma_prime
    if sigma_prime is None:
        return 0, a_L.size
    largest = float(np.max(sigma_prime(np.array([[-1.0, 0.0, 1.0]], z_L.dtype))))
    flat = sigma_prime(z_L) < 1e-2 * largest
    return int(np.count_nonzero(flat & (np.abs(a_L - Y) > 0.5))), a_L.size


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
            early_stopping = _checks.check_integer("early_stopping", early_stopping, 1)
        X_val, Y_val = _checks.check_data(net, X_val, Y_val, names=("X_val", "Y_val"))
        return cls(X_val, Y_val, reduction, early_stopping)

    def record(self, net: Network, history: History) -> None:
        J_val = float(loss(net, self.X, self.Y, self.reduction))
        history.validation_loss.append(J_val)
        if J_val < self.best_loss:
            self.best_loss, self.best = J_val, _snapshot(net)
            history.best_iteration = history.iterations
        elif self.early_stopping:
            history.stopped_early = (
                history.iterations - history.best_iteration >= self.early_stopping
            )


def _snapshot(net: Network) -> tuple[Layers, Layers]:
    return Layers({l: W.copy() for l, W in net.W.items()}), Layers(
        {l: b.copy() for l, b in net.b.items()}
    )


def _restore(net: Network, W: dict[int, Array], b: dict[int, Array]) -> None:
    for l in W:
        net.W[l][...] = W[l]
        net.b[l][...] = b[l]


def _largest(net: Network) -> float:
    return max(max(float(np.abs(net.W[l]).max()), float(np.abs(net.b[l]).max())) for l in net.W)


def _finite(net: Network) -> bool:
    return all(bool(np.isfinite(net.W[l]).all() and np.isfinite(net.b[l]).all()) for l in net.W)


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
        how = "converged" if history.converged else "stalled" if history.stalled else "stopped"
        sys.stderr.write(f"{how} after {n} iteration(s): {history.reason}\n")
