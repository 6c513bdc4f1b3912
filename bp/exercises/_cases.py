"""The cases on which ``bp.exercises.check`` runs a learner's function: fixed seeds, small sizes.

Each step gets m = 1 and m > 1, unequal layer sizes (where a missing transpose
fails on shapes) and equal ones (where it runs and gives wrong values),
float64 and float32. Where the step's result is a derivative, a float64 case
also carries central differences of the function it differentiates: an oracle
that does not use back propagation at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from bp.activations import ACTIVATIONS
from bp.gradcheck import numerical_gradients
from bp.losses import mse
from bp.network import Network
from bp.propagation import backward, forward

# annotated as np.dtype, so that lists mixing the two hold np.dtype (not their join, object)
F64: np.dtype = np.dtype(np.float64)
F32: np.dtype = np.dtype(np.float32)


@dataclass
class Case:
    """One call of the step's function: its arguments, and how to describe it to the learner."""

    label: str
    args: tuple
    dtype: np.dtype
    m: int | None = None
    equal: bool = False  # equal layer sizes, where a missing transpose runs
    #: the expected outcome by central differences (float64 cases of derivative steps)
    fd: Callable[[], Any] | None = None
    #: for an in-place step, the state before the call: the fd comparison is on the change
    fd_base: Any = None
    _fd_value: Any = None

    def fd_value(self) -> Any:
        """The central differences, computed once."""
        if self._fd_value is None:
            assert self.fd is not None, "only a case with fd has central differences"
            self._fd_value = self.fd()
        return self._fd_value


def _central(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """∂f/∂x by central differences, entry by entry (x is changed and restored)."""
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        f_plus = f(x)
        x[idx] = old - h
        f_minus = f(x)
        x[idx] = old
        g[idx] = (f_plus - f_minus) / (2 * h)
    return g


def _tag(dtype: np.dtype) -> str:
    return dtype.name


def _layer(rng, n: int, n_prev: int, dtype) -> tuple[np.ndarray, np.ndarray]:
    W = rng.standard_normal((n, n_prev)) / np.sqrt(n_prev)
    return W.astype(dtype), rng.standard_normal((n, 1)).astype(dtype)


def layer_forward() -> list[Case]:
    rng = np.random.default_rng(1401)
    cases = []
    for n, n_prev, m, act, dtype in [
        (3, 4, 1, "sigmoid", F64), (3, 4, 5, "sigmoid", F64), (4, 4, 6, "tanh", F64),
        (4, 4, 4, "sigmoid", F64), (2, 5, 3, "identity", F64), (3, 4, 5, "sigmoid", F32),
        (4, 4, 6, "tanh", F32),
    ]:  # fmt: skip
        W, b = _layer(rng, n, n_prev, dtype)
        a_prev = rng.uniform(0, 1, (n_prev, m)).astype(dtype)
        label = f"n_l = {n}, n_(l-1) = {n_prev}, m = {m}, {act}, {_tag(dtype)}"
        sigma = ACTIVATIONS[act].sigma
        cases.append(Case(label, (W, a_prev, b, sigma), dtype, m, n == n_prev))
    return cases


def _outputs(rng, n: int, m: int, act: str, dtype):
    z = (2 * rng.standard_normal((n, m))).astype(dtype)
    a = ACTIVATIONS[act].sigma(z)
    y = rng.uniform(0, 1, (n, m)).astype(dtype)
    return z, a, y


def loss() -> list[Case]:
    rng = np.random.default_rng(1402)
    cases = []
    for n, m, dtype in [(2, 1, F64), (3, 5, F64), (1, 4, F64), (4, 4, F64), (3, 5, F32)]:
        z, a, y = _outputs(rng, n, m, "sigmoid", dtype)
        label = f"n_L = {n}, m = {m}, sigmoid output, {_tag(dtype)}"
        cases.append(Case(label, (z, a, y), dtype, m))
    return cases


def loss_gradient() -> list[Case]:
    rng = np.random.default_rng(1403)
    cases = []
    for n, m, dtype in [(2, 1, F64), (3, 5, F64), (1, 4, F64), (4, 4, F64), (3, 5, F32)]:
        z, a, y = _outputs(rng, n, m, "sigmoid", dtype)
        label = f"n_L = {n}, m = {m}, {_tag(dtype)}"
        fd = None
        if dtype == F64:

            def fd(z=z, a=a, y=y):
                return _central(lambda a_: float(mse(z, a_, y)), a.copy())

        cases.append(Case(label, (a, y), dtype, m, fd=fd))
    return cases


def output_delta() -> list[Case]:
    rng = np.random.default_rng(1404)
    cases = []
    for n, m, act, dtype in [
        (2, 1, "sigmoid", F64), (3, 5, "sigmoid", F64), (3, 3, "tanh", F64),
        (2, 4, "identity", F64), (3, 5, "sigmoid", F32), (3, 3, "tanh", F32),
    ]:  # fmt: skip
        z, a, y = _outputs(rng, n, m, act, dtype)
        sigma, sigma_prime = ACTIVATIONS[act].sigma, ACTIVATIONS[act].sigma_prime
        label = f"n_L = {n}, m = {m}, {act} output, {_tag(dtype)}"
        fd = None
        if dtype == F64:

            def fd(z=z, y=y, sigma=sigma):
                # δ^L = ∂J/∂z^L with J = Σ ½ (σ(z) − y)²
                return _central(lambda z_: float(mse(z_, sigma(z_), y)), z.copy())

        cases.append(Case(label, (a - y, z, sigma_prime), dtype, m, n == m, fd=fd))
    return cases


def weight_gradient() -> list[Case]:
    rng = np.random.default_rng(1405)
    cases = []
    for n, n_prev, m, dtype in [
        (3, 4, 1, F64), (3, 4, 5, F64), (4, 4, 6, F64), (3, 5, 5, F64), (3, 4, 5, F32),
        (4, 4, 6, F32),
    ]:  # fmt: skip
        delta = rng.standard_normal((n, m)).astype(dtype)
        a_prev = rng.uniform(0, 1, (n_prev, m)).astype(dtype)
        label = f"n_l = {n}, n_(l-1) = {n_prev}, m = {m}, {_tag(dtype)}"
        fd = None
        if dtype == F64:

            def fd(delta=delta, a_prev=a_prev, n=n, n_prev=n_prev):
                # ∂/∂W of Σ δ ⊙ z with z = W a^{l-1} (+ b): δ reaches W through z alone
                W = np.zeros((n, n_prev))
                return _central(lambda W_: float(np.sum(delta * (W_ @ a_prev))), W)

        cases.append(Case(label, (delta, a_prev), dtype, m, n == n_prev, fd=fd))
    return cases


def bias_gradient() -> list[Case]:
    rng = np.random.default_rng(1406)
    cases = []
    for n, m, dtype in [(3, 1, F64), (3, 5, F64), (4, 4, F64), (1, 3, F64), (3, 5, F32)]:
        delta = rng.standard_normal((n, m)).astype(dtype)
        label = f"n_l = {n}, m = {m}, {_tag(dtype)}"
        fd = None
        if dtype == F64:

            def fd(delta=delta, n=n, m=m):
                # ∂/∂b of Σ δ ⊙ z with z = W a^{l-1} + b 1_m^T
                b = np.zeros((n, 1))
                return _central(lambda b_: float(np.sum(delta * (b_ @ np.ones((1, m))))), b)

        cases.append(Case(label, (delta,), dtype, m, fd=fd))
    return cases


def hidden_delta() -> list[Case]:
    rng = np.random.default_rng(1407)
    cases = []
    for n_next, n, m, act, dtype in [
        (2, 3, 1, "sigmoid", F64), (2, 3, 5, "sigmoid", F64), (4, 4, 5, "sigmoid", F64),
        (4, 4, 1, "tanh", F64), (3, 5, 4, "tanh", F64), (2, 3, 5, "sigmoid", F32),
        (4, 4, 5, "tanh", F32),
    ]:  # fmt: skip
        W_next = (rng.standard_normal((n_next, n)) / np.sqrt(n)).astype(dtype)
        delta_next = rng.standard_normal((n_next, m)).astype(dtype)
        z = rng.standard_normal((n, m)).astype(dtype)
        sigma, sigma_prime = ACTIVATIONS[act].sigma, ACTIVATIONS[act].sigma_prime
        label = f"n_(l+1) = {n_next}, n_l = {n}, m = {m}, {act}, {_tag(dtype)}"
        fd = None
        if dtype == F64:

            def fd(W_next=W_next, delta_next=delta_next, z=z, sigma=sigma):
                # ∂/∂z^l of Σ δ^{l+1} ⊙ z^{l+1}, z^{l+1} = W^{l+1} σ(z^l) + b^{l+1}
                return _central(
                    lambda z_: float(np.sum(delta_next * (W_next @ sigma(z_)))), z.copy()
                )

        cases.append(
            Case(label, (W_next, delta_next, z, sigma_prime), dtype, m, n == n_next, fd=fd)
        )
    return cases


_NETS = [  # sizes, hidden σ, output σ, m, dtype
    ((3, 4, 2), "sigmoid", "sigmoid", 1, F64),
    ((3, 5, 4, 2), "sigmoid", "identity", 5, F64),
    ((4, 4, 4, 4), "tanh", "sigmoid", 4, F64),
    ((2, 3, 3, 1), "sigmoid", "sigmoid", 6, F64),
    ((3, 5, 4, 2), "sigmoid", "identity", 5, F32),
    ((4, 4, 4, 4), "tanh", "sigmoid", 4, F32),
]


def _nets(seed: int):
    rng = np.random.default_rng(seed)
    for k, (sizes, act, out, m, dtype) in enumerate(_NETS):
        net = Network(sizes, act, out, seed=seed + k, dtype=dtype)
        X = rng.standard_normal((sizes[0], m)).astype(dtype)
        Y = rng.uniform(0, 1, (sizes[-1], m)).astype(dtype)
        label = f"sizes {sizes}, {act} hidden, {out} output, m = {m}, {_tag(dtype)}"
        yield label, net, X, Y, m, dtype, len(set(sizes)) == 1


def _delta_by_differences(net: Network, z, Y) -> dict[int, np.ndarray]:
    """δ^l = ∂J/∂z^l for every l, by central differences of J computed forward from z^l."""

    def J_from(l: int, z_l: np.ndarray) -> float:
        a_l = net.activation_of(l).sigma(z_l)
        for k in range(l + 1, net.L + 1):
            z_k = net.W[k] @ a_l + net.b[k]
            a_l = net.activation_of(k).sigma(z_k)
        return float(mse(None, a_l, Y))  # type: ignore[arg-type]  # mse does not use z

    return {l: _central(partial(J_from, l), z[l].copy()) for l in range(2, net.L + 1)}


def backward_cases() -> list[Case]:
    cases = []
    for label, net, X, Y, m, dtype, equal in _nets(1408):
        z, a = forward(net, X)
        fd = None
        if dtype == F64:

            def fd(net=net, z=z, Y=Y):
                return _delta_by_differences(net, z, Y)

        cases.append(Case(label, (net, z, a, Y), dtype, m, equal, fd=fd))
    return cases


def layer_gradients() -> list[Case]:
    cases = []
    for label, net, X, Y, m, dtype, equal in _nets(1409):
        z, a = forward(net, X)
        delta = backward(net, z, a, Y)
        fd = None
        if dtype == F64:

            def fd(net=net, X=X, Y=Y):
                return numerical_gradients(net, X, Y)

        cases.append(Case(label, (net, delta, a), dtype, m, equal, fd=fd))
    return cases


def update() -> list[Case]:
    rng = np.random.default_rng(1410)
    cases = []
    for sizes, alpha, dtype in [
        ((3, 4, 2), 0.5, F64),
        ((4, 4, 4, 4), 0.1, F64),
        ((3, 5, 4, 2), 0.5, F32),
    ]:
        net = Network(sizes, seed=1410, dtype=dtype)
        dW = {l: rng.standard_normal(W.shape).astype(dtype) for l, W in net.W.items()}
        db = {l: rng.standard_normal(b.shape).astype(dtype) for l, b in net.b.items()}
        label = f"sizes {sizes}, α = {alpha}, {_tag(dtype)}"
        cases.append(Case(label, (net, dW, db, alpha), dtype, None, len(set(sizes)) == 1))
    return cases


def iteration() -> list[Case]:
    cases = []
    for (label, net, X, Y, m, dtype, equal), alpha in zip(
        _nets(1411), (0.5, 0.5, 0.3, 0.5, 0.3, 0.5), strict=True
    ):
        fd = base = None
        if dtype == F64:
            base = (
                {l: W.copy() for l, W in net.W.items()},
                {l: b.copy() for l, b in net.b.items()},
            )

            def fd(net=net, X=X, Y=Y, alpha=alpha):
                # W^l − α ∂J/∂W^l and b^l − α ∂J/∂b^l, with the gradients by central differences
                dW, db = numerical_gradients(net, X, Y)
                return (
                    {l: W - alpha * dW[l] for l, W in net.W.items()},
                    {l: b - alpha * db[l] for l, b in net.b.items()},
                )

        cases.append(Case(f"{label}, α = {alpha}", (net, X, Y, alpha), dtype, m, equal, fd, base))
    return cases


EPSILON = 0.0625  # 2^-4: a change of exactly ε is exact in float32 and float64


def should_stop() -> list[Case]:
    rng = np.random.default_rng(1412)
    cases = []
    for dtype in (F64, F32):
        for kind, what in [
            ("small", "every change below ε (their sum above ε)"),
            ("grow", "one weight grows by 2ε"),
            ("shrink", "one weight shrinks by 2ε"),
            ("bias", "one bias changes by 2ε"),
            ("equal", "the largest change exactly ε"),
        ]:
            net = Network((3, 4, 2), seed=1412)
            W0 = {l: W.astype(dtype) for l, W in net.W.items()}
            b0 = {l: b.astype(dtype) for l, b in net.b.items()}
            W1 = {
                l: (W + rng.uniform(-0.3, 0.3, W.shape) * EPSILON).astype(dtype)
                for l, W in W0.items()
            }
            b1 = {
                l: (b + rng.uniform(-0.3, 0.3, b.shape) * EPSILON).astype(dtype)
                for l, b in b0.items()
            }
            if kind == "grow":
                W1[2][1, 2] = W0[2][1, 2] + 2 * EPSILON
            elif kind == "shrink":
                W1[3][0, 1] = W0[3][0, 1] - 2 * EPSILON
            elif kind == "bias":
                b1[3][1, 0] = b0[3][1, 0] + 2 * EPSILON
            elif kind == "equal":
                W0[3][1, 2], W1[3][1, 2] = 0.0, EPSILON
            label = f"{what}, ε = {EPSILON}, {_tag(dtype)}"
            cases.append(Case(label, (W0, b0, W1, b1, EPSILON), dtype))
    return cases


CASES: dict[str, Callable[[], list[Case]]] = {
    "layer_forward": layer_forward,
    "loss": loss,
    "loss_gradient": loss_gradient,
    "output_delta": output_delta,
    "weight_gradient": weight_gradient,
    "bias_gradient": bias_gradient,
    "hidden_delta": hidden_delta,
    "backward": backward_cases,
    "layer_gradients": layer_gradients,
    "update": update,
    "iteration": iteration,
    "should_stop": should_stop,
}
