r"""The update rule: the document's, and beyond it momentum, Nesterov and Adam.

The document's rule is plain gradient descent, W^l ← W^l − α ∂J/∂W^l
(``bp.optimizers.update``). The others remember something between updates:

    momentum:  v ← β v + g,               W ← W − α v
    Nesterov:  v ← β v + g,               W ← W − α (g + β v)
    Adam:      m ← β₁ m + (1 − β₁) g,     v ← β₂ v + (1 − β₂) g²,
               W ← W − α m̂ / (√v̂ + ε),    m̂ = m / (1 − β₁^t),  v̂ = v / (1 − β₂^t)

with g = ∂J/∂W^l (the same for b^l). These are PyTorch's ``torch.optim.SGD``
(``momentum=β``, ``dampening=0``, ``nesterov``) and ``torch.optim.Adam``, so that
bp and PyTorch, from the same start, take the same steps.

An optimizer object holds hyperparameters only (it can be copied and compared);
what it remembers lives in an ``OptimizerState``, which ``bp.train`` returns in
``History.optimizer_state`` and takes back (``optimizer_state=``) to resume.

Every rule gets g, the gradient of the objective (``bp.losses.objective_gradient``:
the reduction, L2 and weight decay already applied), and never a batch size.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bp.network import Layers, Network

Array = np.ndarray


def update(net: Network, dW: Layers, db: Layers, alpha: float) -> None:
    r"""The update rule, in place: W^l ← W^l − α ∂J/∂W^l and b^l ← b^l − α ∂J/∂b^l.

    With the document's summed gradients, ∂J/∂W^l = Σ_i δ^{i,l} (a^{i,l-1})^T
    and ∂J/∂b^l = Σ_i δ^{i,l}.
    """
    for l in range(2, net.L + 1):
        # W^l ← W^l − α Σ_i δ^{i,l} (a^{i,l-1})^T
        net.W[l] -= alpha * dW[l]
        # b^l ← b^l − α Σ_i δ^{i,l}
        net.b[l] -= alpha * db[l]


@dataclass
class OptimizerState:
    """What an optimizer remembers, per layer: ``slots[name]["W"][l]`` (and ``["b"]``).

    step : t, the number of updates made so far.
    slots : the optimizer's arrays by name ("velocity"; Adam's "m" and "v"),
        each a pair of Layers dicts shaped like W^l and b^l.
    """

    optimizer: str
    step: int = 0
    slots: dict[str, dict[str, Layers]] = field(default_factory=dict)

    @classmethod
    def zeros(cls, optimizer: str, names: tuple[str, ...], net: Network) -> OptimizerState:
        """A fresh state: every slot zero, t = 0."""
        slots = {
            name: {
                "W": Layers({l: np.zeros_like(W) for l, W in net.W.items()}),
                "b": Layers({l: np.zeros_like(b) for l, b in net.b.items()}),
            }
            for name in names
        }
        return cls(optimizer, 0, slots)


def momentum_update(
    net: Network,
    dW: Layers,
    db: Layers,
    alpha: float,
    velocity: dict[str, Layers],
    beta: float,
    nesterov: bool = False,
) -> None:
    r"""v ← β v + g, then W ← W − α v, or with Nesterov W ← W − α (g + β v), in place."""
    for l in range(2, net.L + 1):
        for P, g, v in ((net.W[l], dW[l], velocity["W"][l]), (net.b[l], db[l], velocity["b"][l])):
            # v ← β v + g
            v *= beta
            v += g
            # W ← W − α v, or W ← W − α (g + β v)
            P -= alpha * (g + beta * v) if nesterov else alpha * v


def adam_update(
    net: Network,
    dW: Layers,
    db: Layers,
    alpha: float,
    state: OptimizerState,
    beta1: float,
    beta2: float,
    eps: float,
) -> None:
    r"""Adam, in place: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², W ← W − α m̂/(√v̂ + ε)."""
    t = state.step
    m, v = state.slots["m"], state.slots["v"]
    for l in range(2, net.L + 1):
        for key, P, g in (("W", net.W[l], dW[l]), ("b", net.b[l], db[l])):
            # m ← β₁ m + (1 − β₁) g ;  v ← β₂ v + (1 − β₂) g²
            m[key][l] += (1 - beta1) * (g - m[key][l])
            v[key][l] *= beta2
            v[key][l] += (1 - beta2) * g * g
            # W ← W − α m̂ / (√v̂ + ε), with m̂ = m / (1 − β₁^t) and v̂ = v / (1 − β₂^t)
            v_hat_sqrt = np.sqrt(v[key][l]) / np.sqrt(1 - beta2**t)
            P -= (alpha / (1 - beta1**t)) * m[key][l] / (v_hat_sqrt + eps)


@dataclass(frozen=True)
class GD:
    """The document's rule: W ← W − α g."""

    name = "gd"
    slots = ()

    def step(
        self, net: Network, dW: Layers, db: Layers, alpha: float, state: OptimizerState
    ) -> None:
        """One update with the gradient (dW, db) of the objective."""
        state.step += 1
        update(net, dW, db, alpha)


@dataclass(frozen=True)
class Momentum:
    """Heavy-ball momentum (PyTorch's SGD with momentum=β, dampening=0), or Nesterov's."""

    beta: float = 0.9
    nesterov: bool = False
    slots = ("velocity",)

    @property
    def name(self) -> str:
        return "nesterov" if self.nesterov else "momentum"

    def step(
        self, net: Network, dW: Layers, db: Layers, alpha: float, state: OptimizerState
    ) -> None:
        """One update with the gradient (dW, db) of the objective."""
        state.step += 1
        momentum_update(net, dW, db, alpha, state.slots["velocity"], self.beta, self.nesterov)


@dataclass(frozen=True)
class Adam:
    """Adam with bias correction (PyTorch's torch.optim.Adam, not AdamW)."""

    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    name = "adam"
    slots = ("m", "v")

    def step(
        self, net: Network, dW: Layers, db: Layers, alpha: float, state: OptimizerState
    ) -> None:
        """One update with the gradient (dW, db) of the objective."""
        state.step += 1
        adam_update(net, dW, db, alpha, state, self.beta1, self.beta2, self.eps)


#: Any of the update rules.
Optimizer = GD | Momentum | Adam

#: The optimizers by name, with their default hyperparameters.
OPTIMIZERS: dict[str, Optimizer] = {
    "gd": GD(),
    "momentum": Momentum(),
    "nesterov": Momentum(nesterov=True),
    "adam": Adam(),
}
