r"""L2 regularization (weight decay).

L2 adds (λ/2) Σ_l ‖W^l‖² to the summed loss, where ‖W^l‖² is the sum of the
squares of W^l's entries (the Frobenius norm squared). The biases are left
out, as in Nielsen's book and scikit-learn. bp defines

    J_sum = Σ_i J_i + (λ/2) Σ_l ‖W^l‖²,    J_mean = J_sum / m,

so that with ``reduction="mean"`` λ is exactly scikit-learn's ``alpha``.
"""

from __future__ import annotations

import numpy as np

Array = np.ndarray


def l2_penalty(W: dict[int, Array], lam: float) -> float:
    r"""(λ/2) Σ_l ‖W^l‖², summed over the layers l = 2..L."""
    return 0.5 * lam * sum(float(np.sum(W_l * W_l)) for W_l in W.values())


def l2_gradient(W_l: Array, lam: float) -> Array:
    r"""∂/∂W^l of (λ/2) Σ_l ‖W^l‖²: λ W^l, so each step also shrinks W^l ("weight decay")."""
    return lam * W_l
