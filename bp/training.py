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
from typing import Any

import numpy as np

from bp import _checks
from bp.descent import Workspace, batch_gradients, epoch
from bp.network import Layers, Network
from bp.optimizers import OptimizerState
from bp.propagation import forward, loss
from bp.regularization import l2_penalty

Array = np.ndarray

STOP_RULES = ("change", "relative_change", "loss")


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
        is never ``converged``.
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
            ``"mean"`` (divide by the batch's size, as PyTorch and scikit-learn);
            the step on the summed gradient is then α/k.

    The update rule
        optimizer : ``"gd"`` (the document's W ← W − α ∂J/∂W, the default),
            ``"momentum"`` (β = 0.9), ``"nesterov"``, ``"adam"``, or an object of
            ``bp.optimizers`` (``Momentum(beta=...)``, ``Adam(beta1=..., ...)``).
            They follow ``torch.optim.SGD`` and ``torch.optim.Adam`` step by step.
        optimizer_state : what an earlier run's optimizer remembered
            (``History.optimizer_state``), to resume it exactly.

    Regularization
        l2 : λ ≥ 0: each batch's J gains (λ/2) Σ_l ‖W^l‖² (divided by the
            batch's size under ``"mean"``), so every update also shrinks W by αλW.
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
    _checks.network(net, training=True)
    X, Y = _checks.check_data(net, X, Y)
    alpha = _checks.check_real("alpha", alpha, positive=True)
    max_iter = _checks.check_integer("max_iter", max_iter, 1)
    epsilon = _checks.check_real("epsilon", epsilon, positive=False)
    m = X.shape[1]
    k = m if batch_size is None else _checks.batch_size(batch_size, m)
    reduction = _checks.check_reduction(reduction)
    l2 = _checks.check_real("l2", l2, positive=False)
    dropout = _checks.dropout(dropout, net)
    stop = _checks.choice("stop", stop, STOP_RULES)
    record_loss = _checks.record_loss(record_loss, stop)
    optimizer = _checks.optimizer(optimizer)
    state = _checks.optimizer_state(optimizer_state, optimizer, net)
    watch = _Validation.of(net, validation, early_stopping, reduction)
    rng = np.random.default_rng(_checks.seed(seed))
    work = Workspace(
        net, X, Y, alpha=alpha, k=k, reduction=reduction, l2=l2, dropout=dropout, rng=rng,
        shuffle=bool(shuffle), optimizer=optimizer, state=state,
    )  # fmt: skip
    return _Run(work).iterate(max_iter, epsilon, stop, record_loss, watch, callback, verbose)


class _Run:
    """One call of ``train``: its Workspace (settings, buffers) and its loop over iterations."""

    def __init__(self, work: Workspace) -> None:
        self.work, self.net, self.X, self.Y = work, work.net, work.X, work.Y
        self.full = work.k >= work.X.shape[1] and not work.dropout
        self.pending = False  # full batch: work.dW, work.db hold the gradient at today's weights

    def iteration(self, last: bool, record_loss: bool | str) -> Array | None:
        """One pass over the m samples; returns J after it without the L2 term, if recorded."""
        work, m = self.work, self.X.shape[1]
        if not self.full:
            running = record_loss is True and work.k < m
            J = epoch(work, want_J=running)
            return J if running else self.data_loss() if record_loss else None
        if not self.pending:
            batch_gradients(work, slice(None), want_J=False)
        k = m if work.mean else 1  # the gradient of the mean is Σ/m
        work.optimizer.step(self.net, work.dW, work.db, work.alpha, work.state, k)
        # J after this iteration comes from the forward pass of the next one's gradient.
        self.pending = not last
        if last and not record_loss:
            return None
        J = batch_gradients(work, slice(None), grad=not last, want_J=bool(record_loss))
        return J if record_loss else None

    def data_loss(self) -> Any:
        """J over all m samples at the current weights, without the L2 term."""
        return batch_gradients(self.work, slice(None), grad=False)

    def objective(self, J_data: Array) -> float:
        """J with the L2 term of the current weights and the reduction."""
        J = J_data + (l2_penalty(self.net.W, self.work.l2) if self.work.l2 else 0.0)
        return float(J / self.X.shape[1] if self.work.mean else J)

    def iterate(self, max_iter, epsilon, stop, record_loss, watch, callback, verbose) -> History:
        """The outer loop: Max, the stop rule, progress, Ctrl-C, divergence, validation."""
        net, history = self.net, History(optimizer_state=self.work.state)
        J_start = self.objective(self.data_loss()) if record_loss else None
        start = _snapshot(net)
        J_prev, largest_start = J_start, _largest(net)
        progress = _Progress(max_iter) if verbose else None
        W_prev, b_prev = _snapshot(net)
        history.reason = f"Max: {max_iter} iterations ran"
        try:
            for iteration in range(1, max_iter + 1):
                with np.errstate(over="ignore", invalid="ignore"):
                    J_data = self.iteration(iteration == max_iter, record_loss)
                    J = None if J_data is None else self.objective(J_data)
                problem = _divergence(J, J_start, net, largest_start)
                if problem:
                    _restore(net, W_prev, b_prev)
                    history.reason = problem
                    raise TrainingDiverged(
                        f"training diverged at iteration {iteration}: {problem}; "
                        f"alpha={self.work.alpha} is too large for this network and data "
                        f"(try a smaller alpha"
                        f"{'' if self.work.mean else ', or reduction=' + repr('mean')})."
                        f" The network keeps the weights of iteration {iteration - 1}.",
                        history,
                    )
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
                    self.pending = False  # the callback may change the weights
                    if callback(iteration, net, history):
                        history.reason = "the callback returned True"
                        break
                if history.converged or history.stopped_early:
                    break
        except KeyboardInterrupt:
            _restore(net, W_prev, b_prev)
            history.interrupted = True
            history.reason = "interrupted (Ctrl-C); the weights of the last completed iteration"
        else:
            if watch is not None and watch.early_stopping:
                _restore(net, *watch.best)
            self.diagnose(history, J_start, start)
        finally:
            if progress:
                progress.close(history)
        return history

    def stuck(self, net: Network) -> str:
        """What sits stuck on the first 1024 samples, in words, or "": output units saturated
        on the wrong side (over a quarter of them), or a ReLU layer dead for every sample."""
        z, a = forward(net, self.X[:, :1024])
        stuck, total = _stuck_outputs(net, z[net.L], a[net.L], self.Y[:, :1024])
        if stuck > total / 4:
            return f"{stuck} of {total} output units saturated on the wrong side"
        dead = [l for l in range(2, net.L) if net.activation.name == "relu" and not a[l].any()]
        return f"hidden layer {dead[0]} is dead (every ReLU unit outputs 0)" if dead else ""

    def diagnose(self, history: History, J_start: float | None, start: tuple) -> None:
        """Mark a run that went wrong as stalled, with its reason; it is then not converged."""
        signs = []
        J_end = history.loss[-1] if history.loss else None
        rose = J_end is not None and J_start is not None and J_end > J_start
        if rose and not self.full:
            J_end = self.objective(self.data_loss())  # the running loss is not J at the end
            rose = J_end > J_start  # type: ignore[operator]
        if rose:
            signs.append(f"J rose from {J_start:.4g} to {J_end:.4g}")
        look = history.converged or J_end is None or self.net.activation.name == "relu"
        stuck = self.stuck(self.net) if look else ""
        from_start = False
        if stuck:
            initial = self.net.copy()
            _restore(initial, *start)
            from_start = bool(self.stuck(initial))
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


_STOPPED_BY = {
    "change": "the ε rule: every element of every W and b changed by less than {epsilon:g}",
    "relative_change": "the relative ε rule: every change below {epsilon:g} × the largest weight",
    "loss": "the loss rule: J changed by less than {epsilon:g} in one iteration",
}
#: J this many times its start, or a weight this many times the largest start weight, diverged.
_J_GROWTH, _W_GROWTH = 1e6, 1e6


def _divergence(J: float | None, J_start: float | None, net: Network, largest_start: float) -> str:
    """What went wrong, in words, or "" when J and the weights are fine."""
    if not _finite(net) or (J is not None and not np.isfinite(J)):
        return "J or a weight became NaN or inf"
    if J is not None and J_start and J > _J_GROWTH * J_start:
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
