r"""Exercises: write each step of back propagation yourself, and be told which mistake you made.

    >>> import bp.exercises as ex
    >>> [step.name for step in ex.steps()]            # the steps, in the document's order
    >>> print(ex.check("hidden_delta", hidden_delta))  # your function, checked
    >>> ex.mistakes("hidden_delta")                   # the mistakes the checker recognises

``check(step, fn)`` runs ``fn`` on many cases: m = 1 and m > 1 samples, equal
layer sizes (where a missing transpose runs and gives wrong values) and unequal
ones, float64 and float32. It compares each result with bp's own function for
that step and, where the step is a derivative, with central differences. When
``fn`` is wrong and its results equal those of a known mistake on every case,
the verdict names that mistake in one sentence and points to the notebook
section that derives the right formula; otherwise it says what went wrong on
the first failing case (an exception with the line of your code, a wrong shape,
a wrong dtype, NaN, or wrong values). A function that still raises
``NotImplementedError`` is "not written yet".

Your function has the signature of bp's public function for the step, without
the optional ``out=`` buffers; ``check`` calls it with these positional
arguments only:

- ``layer_forward(W, a_prev, b, sigma) -> (z, a)``: bp.propagation.layer_forward
- ``loss(z, a, y) -> J``, summed over the samples: bp.losses.mse
- ``loss_gradient(a, y) -> ∂J/∂a^L``: bp.losses.mse_prime
- ``output_delta(dJ_da, z_L, sigma_prime) -> δ^L``: bp.propagation.output_delta
- ``weight_gradient(delta, a_prev) -> ∂J/∂W^l``: bp.propagation.weight_gradient
- ``bias_gradient(delta) -> ∂J/∂b^l``: bp.propagation.bias_gradient
- ``hidden_delta(W_next, delta_next, z, sigma_prime) -> δ^l``: bp.propagation.hidden_delta
- ``backward(net, z, a, Y) -> {l: δ^l}``: bp.propagation.backward
- ``layer_gradients(net, delta, a) -> (dW, db)``: bp.propagation.layer_gradients
- ``update(net, dW, db, alpha) -> None``, in place: bp.optimizers.update
- ``iteration(net, X, Y, alpha) -> None``, in place: ``iteration`` below
- ``should_stop(W_before, b_before, W_after, b_after, epsilon) -> bool``: ``should_stop`` below

``sigma`` is one of bp's σ (``sigma(z)`` returns σ(z)); ``sigma_prime`` one of
bp's σ', called as ``sigma_prime(z)`` (it also takes ``a`` = σ(z), optionally).
The last two steps have no bp function of their own, so this module defines
them: ``iteration`` and ``should_stop`` below.

The catalogue of wrong versions (``bp.exercises.catalogue``) and the solutions
(``exercises/solutions/``) are deliberate second copies of the formulas, kept
apart from the formula modules.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from bp.exercises import _cases
from bp.exercises._checker import Result, run
from bp.exercises._checker import language as _language
from bp.exercises.catalogue import CATALOGUE, Mistake
from bp.losses import mse, mse_prime
from bp.optimizers import update as _update
from bp.propagation import (
    backward,
    bias_gradient,
    gradients,
    hidden_delta,
    layer_forward,
    layer_gradients,
    output_delta,
    weight_gradient,
)
from bp.training import max_change

__all__ = ["Mistake", "Result", "Step", "check", "iteration", "mistakes", "should_stop", "steps"]


def iteration(net, X, Y, alpha: float) -> None:
    r"""One iteration of the document's batch gradient descent, in place, on the summed J.

    Every sample (a column of X (n_in, m) and Y (n_out, m)) goes forward and
    back with the same W and b; then, once, for l = 2..L,

        W^l ← W^l − α Σ_i δ^{i,l} (a^{i,l-1})^T,    b^l ← b^l − α Σ_i δ^{i,l}.

    The loss is the network's (the document's J = Σ_i ½‖a^{i,L} − y_i‖², summed,
    not averaged). Returns None: ``net.W`` and ``net.b`` change in place.
    """
    dW, db = gradients(net, X, Y)
    _update(net, dW, db, alpha)


def should_stop(W_before, b_before, W_after, b_after, epsilon: float) -> bool:
    r"""The document's ε test: True when every element of every W^l and b^l changed by less than ε.

    ``W_before``, ``W_after`` (and the b's) are dicts {l: array} for l = 2..L,
    before and after one iteration. The test is max over l, j, k of
    |W^l_jk(after) − W^l_jk(before)| < ε, and the same for b: the largest
    change, not their sum, and strictly less than ε.
    """
    return max(max_change(W_before, W_after), max_change(b_before, b_after)) < epsilon


def _returned(args, value):
    return value


def _net_after(args, value):
    net = args[0]
    return dict(net.W), dict(net.b)


@dataclass(frozen=True)
class Step:
    """One exercisable step: its function's signature, bp's function, and where it is derived."""

    name: str
    title: str
    signature: str
    reference: Callable
    notebook: str
    where: str
    exercise: str
    parts: tuple[str, ...] = ()
    result_path: str = "your result"
    mutates: tuple[int, ...] = ()
    observe: Callable = _returned

    @property
    def params(self) -> tuple[str, ...]:
        return tuple(
            p.strip().split("=")[0]
            for p in self.signature.split("(", 1)[1].split(")")[0].split(",")
        )

    @property
    def reference_name(self) -> str:
        return f"{self.reference.__module__}.{self.reference.__name__}"

    def cases(self) -> list[_cases.Case]:
        """The cases ``check`` runs, as new copies (changing them changes no later check)."""
        return copy.deepcopy(_cached_cases(self.name))

    def pristine_cases(self) -> list[_cases.Case]:
        """The cases themselves, made once; ``check`` hands out only copies of their arguments."""
        return _cached_cases(self.name)

    def __str__(self) -> str:
        return f"{self.name}: {self.title}, {self.signature}"


@cache
def _cached_cases(name: str) -> list[_cases.Case]:
    return _cases.CASES[name]()


_NB = "notebooks/"
_EX = "exercises/"
_STEPS = (
    Step("layer_forward", "one layer forward", "layer_forward(W, a_prev, b, sigma) -> (z, a)",
         layer_forward, _NB + "01_forward_propagation.ipynb",
         'notebooks/01_forward_propagation.ipynb, section "Derivation"',
         _EX + "01_forward_propagation.ipynb", parts=("your z", "your a")),
    Step("loss", "the loss J", "loss(z, a, y) -> J", mse, _NB + "02_loss.ipynb",
         'notebooks/02_loss.ipynb, section "Derivation" (m samples: the sum)',
         _EX + "02_loss.ipynb", result_path="your J"),
    Step("loss_gradient", "∂J/∂a^L", "loss_gradient(a, y) -> dJ_da", mse_prime,
         _NB + "02_loss.ipynb",
         'notebooks/02_loss.ipynb, section "Derivation" (the gradient with respect to the output)',
         _EX + "02_loss.ipynb"),
    Step("output_delta", "δ^L at the output", "output_delta(dJ_da, z_L, sigma_prime) -> delta_L",
         output_delta, _NB + "03_output_layer.ipynb",
         'notebooks/03_output_layer.ipynb, section "Derivation", step 2',
         _EX + "03_output_layer.ipynb"),
    Step("weight_gradient", "∂J/∂W^l", "weight_gradient(delta, a_prev) -> dW", weight_gradient,
         _NB + "03_output_layer.ipynb",
         'notebooks/03_output_layer.ipynb, section "Derivation", steps 3 and 4, and "m samples"',
         _EX + "03_output_layer.ipynb"),
    Step("bias_gradient", "∂J/∂b^l", "bias_gradient(delta) -> db", bias_gradient,
         _NB + "03_output_layer.ipynb",
         'notebooks/03_output_layer.ipynb, section "Derivation", step 5 and "m samples"',
         _EX + "03_output_layer.ipynb"),
    Step("hidden_delta", "δ^l, the recursion",
         "hidden_delta(W_next, delta_next, z, sigma_prime) -> delta", hidden_delta,
         _NB + "04_recursion.ipynb", 'notebooks/04_recursion.ipynb, section "Derivation", step 5',
         _EX + "04_recursion.ipynb"),
    Step("backward", "the backward pass, δ^L then δ^l for l = L−1, …, 2",
         "backward(net, z, a, Y) -> delta", backward, _NB + "04_recursion.ipynb",
         'notebooks/04_recursion.ipynb, section "Derivation", and notebooks/06_algorithm.ipynb, '
         'section "Derivation: the box, step by step", step 3',
         _EX + "04_recursion.ipynb", result_path="your delta"),
    Step("layer_gradients", "∂J/∂W^l and ∂J/∂b^l for every layer",
         "layer_gradients(net, delta, a) -> (dW, db)", layer_gradients,
         _NB + "05_update_rule.ipynb",
         'notebooks/04_recursion.ipynb, section "Derivation", step 6, and '
         'notebooks/05_update_rule.ipynb, section "Derivation", steps 3 and 4',
         _EX + "05_update_rule.ipynb", parts=("your dW", "your db")),
    Step("update", "the update rule", "update(net, dW, db, alpha) -> None", _update,
         _NB + "05_update_rule.ipynb",
         'notebooks/05_update_rule.ipynb, section "Derivation", step 2',
         _EX + "05_update_rule.ipynb", parts=("net.W", "net.b"),
         mutates=(0,), observe=_net_after),
    Step("iteration", "one iteration of batch gradient descent",
         "iteration(net, X, Y, alpha) -> None", iteration, _NB + "06_algorithm.ipynb",
         'notebooks/06_algorithm.ipynb, section "Derivation: the box, step by step", steps 3 and 4',
         _EX + "06_algorithm.ipynb", parts=("net.W", "net.b"),
         mutates=(0,), observe=_net_after),
    Step("should_stop", "the ε stop test",
         "should_stop(W_before, b_before, W_after, b_after, epsilon) -> bool", should_stop,
         _NB + "06_algorithm.ipynb",
         'notebooks/06_algorithm.ipynb, section "Derivation: the box, step by step", step 5',
         _EX + "06_algorithm.ipynb", result_path="your answer"),
)  # fmt: skip
_BY_NAME = {step.name: step for step in _STEPS}


def steps() -> tuple[Step, ...]:
    """The exercisable steps, in the document's order (each with ``.name``, ``.signature``, ...)."""
    return _STEPS


def _step(step: str | Step) -> Step:
    name = step.name if isinstance(step, Step) else step
    if name not in _BY_NAME:
        raise ValueError(f"no step {name!r}: the steps are {', '.join(_BY_NAME)}")
    return _BY_NAME[name]


def mistakes(step: str | Step) -> tuple[Mistake, ...]:
    """The known mistakes of a step: each with ``.name``, ``.explanation``, ``.wrong`` (a function
    that makes it, with the step's signature) and ``.where`` (the notebook section with the
    right formula)."""
    return CATALOGUE[_step(step).name]


def check(step: str | Step, fn: Callable, language: str | None = None) -> Result:
    """Check your function ``fn`` for ``step``; the result has ``.passed`` and ``.message``.

    ``print(check(...))`` shows the verdict as one paragraph. Your function's
    exceptions (``sys.exit`` included; Ctrl-C still stops the check), wrong shapes,
    dtypes and NaNs are reported, never raised; a call that runs past
    ``bp.exercises._checker.TIME_LIMIT`` seconds (10) is stopped and named.
    ``language`` ("en" or "zh") chooses the edition of the notebooks the verdict
    points to; by default "zh" when the kernel runs in a ``zh`` folder (the Chinese
    exercises), else "en".
    """
    s = _step(step)
    return run(s, fn, CATALOGUE[s.name], _language(language))
