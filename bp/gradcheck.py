r"""The finite-difference oracle: central differences of J, element by element.

For every parameter θ (each element of each W^l and b^l),

    ∂J/∂θ ≈ (J(θ + h) − J(θ − h)) / (2h),

with an error of order h² (the one-sided difference has order h). It needs two
evaluations of J per parameter, so it is for checking, not for training.
"""

from __future__ import annotations

import numpy as np

from bp import _checks
from bp.network import Layers, Network
from bp.propagation import gradients, loss

Array = np.ndarray


def numerical_gradients(
    net: Network, X: Array, Y: Array, reduction: str = "sum", h: float = 1e-5, l2: float = 0.0
) -> tuple[dict[int, Array], dict[int, Array]]:
    r"""∂J/∂W^l and ∂J/∂b^l by central differences, (J(θ+h) − J(θ−h)) / 2h.

    Each parameter is nudged in place and restored exactly afterwards.
    """
    X, Y, reduction, l2, _ = _checks.objective_arguments(net, X, Y, reduction, l2)
    h = _checks.check_real("h", h, positive=True)
    dW, db = Layers(), Layers()
    for params, grads in ((net.W, dW), (net.b, db)):
        for l, theta in params.items():
            grads[l] = np.zeros_like(theta)
            for idx in np.ndindex(theta.shape):
                saved = theta[idx]
                theta[idx] = saved + h
                J_plus = float(loss(net, X, Y, reduction, l2))
                theta[idx] = saved - h
                J_minus = float(loss(net, X, Y, reduction, l2))
                theta[idx] = saved
                # ∂J/∂θ ≈ (J(θ + h) − J(θ − h)) / 2h
                grads[l][idx] = (J_plus - J_minus) / (2 * h)
    return dW, db


def relative_error(
    dW: dict[int, Array], db: dict[int, Array], dW_ref: dict[int, Array], db_ref: dict[int, Array]
) -> float:
    r"""‖g − g_ref‖ / (‖g‖ + ‖g_ref‖) over all parameters stacked into one vector g.

    0 means equal; about 1e-10 is what central differences reach in float64; 1
    means unrelated. Two zero gradients compare as 0.
    """
    g = np.concatenate([x.ravel() for x in (*dW.values(), *db.values())])
    g_ref = np.concatenate([x.ravel() for x in (*dW_ref.values(), *db_ref.values())])
    denom = np.linalg.norm(g) + np.linalg.norm(g_ref)
    return 0.0 if denom == 0 else float(np.linalg.norm(g - g_ref) / denom)


def gradient_check(
    net: Network, X: Array, Y: Array, reduction: str = "sum", h: float = 1e-5, l2: float = 0.0
) -> float:
    r"""The relative error between back propagation and central differences.

    Use it in float64: in float32 the rounding error of J swamps the difference.
    """
    X, Y, reduction, l2, _ = _checks.objective_arguments(net, X, Y, reduction, l2)
    backprop = gradients(net, X, Y, reduction, l2)
    return relative_error(*backprop, *numerical_gradients(net, X, Y, reduction, h, l2))
