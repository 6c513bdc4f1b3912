r"""The checked entry points: ``bp.forward``, ``backward``, ``gradients``, ``loss``, ``predict``.

Each checks its arguments once (``bp._checks``) and then makes one call to the
formula function of ``bp.propagation`` that does the work; none holds any math.
``bp.train`` checks once too, and then calls the formula functions directly,
so that no check runs per batch.
"""

from __future__ import annotations

import numpy as np

from bp import _checks, propagation
from bp.network import Layers, Network

Array = np.ndarray


def forward(net: Network, X: Array) -> tuple[Layers, Layers]:
    r"""z^l and a^l for l = 2..L (a^1 = X) for the samples in the columns of X (n_in, m)."""
    _checks.check_network(net)
    return propagation.forward(net, _checks.check_data(net, X))


def predict(net: Network, X: Array) -> Array:
    r"""The network's output a^L for the samples in the columns of X, shape (n_out, m)."""
    _checks.check_network(net)
    _, a = propagation.forward(net, _checks.check_data(net, X))
    return a[net.L]


def backward(net: Network, z: dict[int, Array], a: dict[int, Array], Y: Array) -> Layers:
    r"""δ^l for l = L, ..., 2 from a forward pass (z, a) and the targets Y (n_out, m)."""
    _checks.check_network(net)
    _checks.forward_pass(net, z, a)
    Y = _checks.check_targets(net, _checks.as_samples("Y", Y, net.n(net.L), "n_out", net.dtype))
    if Y.shape != a[net.L].shape:
        raise ValueError(f"Y has shape {Y.shape}; expected {a[net.L].shape}, the shape of a^L")
    return propagation.backward(net, z, a, Y)


def gradients(
    net: Network,
    X: Array,
    Y: Array,
    reduction: str = "sum",
    l2: float = 0.0,
    weight_decay: float = 0.0,
) -> tuple[Layers, Layers]:
    r"""∂J/∂W^l and ∂J/∂b^l for l = 2..L (``bp.propagation.gradients``, checked)."""
    arguments = _checks.objective_arguments(net, X, Y, reduction, l2, weight_decay)
    return propagation.gradients(net, *arguments)


def loss(
    net: Network,
    X: Array,
    Y: Array,
    reduction: str = "sum",
    l2: float = 0.0,
    weight_decay: float = 0.0,
) -> float:
    r"""J over the m samples: Σ_i J_i + (λ/2) Σ_l ‖W^l‖² (``"sum"``), or that ÷ m (``"mean"``),
    + (λ_wd/2) Σ_l ‖W^l‖² with a ``weight_decay`` (``bp.losses.objective_of``)."""
    arguments = _checks.objective_arguments(net, X, Y, reduction, l2, weight_decay)
    return float(propagation.loss(net, *arguments))
