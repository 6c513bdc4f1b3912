"""PyTorch autograd as an independent oracle for bp's loss and gradients.

Every case builds a random network in bp, copies its weights into a float64
``torch.nn.Sequential`` built here by hand (Linear weight = W^l, bias = b^l,
samples as rows), writes the loss in torch, and compares J and every
∂J/∂W^l, ∂J/∂b^l that autograd finds with bp's.

The cases cover every combination, once each, of
  hidden σ (every activation of bp.ACTIVATIONS)
  × output head: (σ, "mse") for every σ of bp.ACTIVATIONS, plus
    ("sigmoid", "cross_entropy") and ("softmax", "log_likelihood")
  × reduction ("sum", "mean") × depth L = 2..7,
with random widths 1..6 (one layer of width 1 in every third case) and
batches m = 1..8.

To print the worst relative error over all cases:

    python -m pytest tests/test_oracle_torch.py -k worst -s -q
"""

from __future__ import annotations

import functools
import itertools

import numpy as np
import pytest

import bp

torch = pytest.importorskip(
    "torch", reason="PyTorch is not installed (optional oracle: pip install torch)"
)

ACTS = sorted(bp.ACTIVATIONS)
HEADS = [(act, "mse") for act in ACTS] + [
    ("sigmoid", "cross_entropy"),
    ("softmax", "log_likelihood"),
]
REDUCTIONS = ("sum", "mean")
DEPTHS = range(2, 8)  # L = 2..7 layers, input included
CASES = list(itertools.product(DEPTHS, REDUCTIONS, HEADS, ACTS))
N_CASES = len(CASES)
TOLERANCE = 1e-9

# σ in torch, written independently of bp (samples are rows, so softmax is over dim 1).
TORCH_MODULES = {
    "sigmoid": lambda: torch.nn.Sigmoid(),
    "tanh": lambda: torch.nn.Tanh(),
    "relu": lambda: torch.nn.ReLU(),
    "leaky_relu": lambda: torch.nn.LeakyReLU(negative_slope=0.01),
    "identity": lambda: torch.nn.Identity(),
    "softmax": lambda: torch.nn.Softmax(dim=1),
}


def torch_loss(name: str, a, y):
    """J summed over samples and outputs, in torch: a and y are (m, n_out)."""
    if name == "mse":
        return 0.5 * ((a - y) ** 2).sum()  # Σ_i ½‖a^{i,L} − y_i‖²
    if name == "cross_entropy":
        return torch.nn.functional.binary_cross_entropy(a, y, reduction="sum")
    if name == "log_likelihood":
        return -(y * torch.log(a)).sum()
    raise KeyError(f"the torch oracle does not know loss {name!r}: add it to torch_loss")


def case(i: int):
    """Case i of N_CASES: (net, X, Y, reduction)."""
    L, reduction, (output, loss), hidden = CASES[i]
    rng = np.random.default_rng(1000 + i)
    sizes = rng.integers(1, 7, size=L)
    if i % 3 == 0:
        sizes[rng.integers(0, L)] = 1  # a layer of width 1 in every third case
    if output == "softmax":
        sizes[-1] = max(sizes[-1], 2)  # a softmax of one output is the constant 1
    m = int(rng.integers(1, 9))
    net = bp.Network(tuple(int(n) for n in sizes), hidden, output, loss=loss, seed=i)
    X = rng.standard_normal((net.n(1), m))
    n_out = net.n(net.L)
    if loss == "mse":
        Y = rng.standard_normal((n_out, m))
    elif loss == "cross_entropy":
        Y = rng.uniform(0.0, 1.0, (n_out, m))
    else:  # one-hot columns
        Y = np.eye(n_out)[:, rng.integers(0, n_out, m)]
    return net, X, Y, reduction


def build_torch(net: bp.Network):
    """The same network in torch, built here by hand (not with bp.torch_bridge)."""
    modules = []
    for l in range(2, net.L + 1):
        linear = torch.nn.Linear(net.n(l - 1), net.n(l), dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor(net.W[l]))  # torch computes x A^T + b: A = W^l
            linear.bias.copy_(torch.tensor(net.b[l].ravel()))
        modules += [linear, TORCH_MODULES[net.activation_of(l).name]()]
    return torch.nn.Sequential(*modules)


def rel(x: np.ndarray, ref: np.ndarray) -> float:
    """‖x − ref‖ / ‖ref‖ (Frobenius), 0 when both are exactly zero."""
    num, den = np.linalg.norm(x - ref), np.linalg.norm(ref)
    if den == 0.0:
        return 0.0 if num == 0.0 else np.inf
    return float(num / den)


@functools.cache  # the worst-error test reuses the results of the per-case tests
def errors(i: int) -> dict[str, float]:
    """Relative errors of bp against torch autograd for case i: J, then every dW^l, db^l."""
    net, X, Y, reduction = case(i)
    model = build_torch(net)
    a = model(torch.tensor(X.T))  # samples as rows in torch
    J = torch_loss(net.loss.name, a, torch.tensor(Y.T))
    if reduction == "mean":
        J = J / X.shape[1]
    J.backward()

    dW, db = bp.gradients(net, X, Y, reduction=reduction)
    out = {"J": rel(np.array(bp.loss(net, X, Y, reduction=reduction)), J.detach().numpy())}
    for l in range(2, net.L + 1):
        linear = model[2 * (l - 2)]
        out[f"dW{l}"] = rel(dW[l], linear.weight.grad.numpy())
        out[f"db{l}"] = rel(db[l].ravel(), linear.bias.grad.numpy())
    return out


def test_cases_cover_every_activation_and_loss_of_bp():
    """A σ or a loss added to bp without a torch counterpart here fails this test."""
    missing = set(ACTS) - set(TORCH_MODULES)
    assert not missing, f"no torch counterpart for bp activation(s) {missing}: add to TORCH_MODULES"
    missing = set(bp.LOSSES) - {loss for _, loss in HEADS}
    assert not missing, f"no torch oracle case for bp loss(es) {missing}: add to HEADS, torch_loss"
    seen = set()
    for i in range(N_CASES):
        net, _, _, reduction = case(i)
        seen.add(
            (net.L, reduction, (net.output_activation.name, net.loss.name), net.activation.name)
        )
    assert seen == set(CASES)
    widths = {n for i in range(N_CASES) for n in case(i)[0].sizes}
    batches = {case(i)[1].shape[1] for i in range(N_CASES)}
    assert 1 in widths and 1 in batches and max(batches) == 8


def test_torch_relu_subgradient_at_zero_is_zero():
    """bp takes σ'(0) = 0 for relu; torch's autograd does the same."""
    z = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    torch.nn.ReLU()(z).sum().backward()
    assert z.grad.tolist() == [0.0, 0.0, 0.0]
    assert bp.activations.relu_prime(np.zeros(3)).tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("i", range(N_CASES))
def test_gradients_agree_with_torch_autograd(i):
    err = errors(i)
    net, X, _, reduction = case(i)
    worst = max(err, key=err.get)
    assert err[worst] < TOLERANCE, (
        f"{net}, m={X.shape[1]}, reduction={reduction!r}: {worst} off by {err[worst]:.2e}"
    )


def test_worst_error_over_all_cases():
    """The largest relative error over every case and every J, dW^l, db^l (printed with -s)."""
    worst, where = 0.0, None
    for i in range(N_CASES):
        for name, e in errors(i).items():
            if e > worst:
                worst, where = e, (CASES[i], name)
    print(
        f"\nbp vs torch autograd: worst relative error {worst:.2e} over {N_CASES} cases at {where}"
    )
    assert worst < TOLERANCE


def test_torch_forward_equals_bp_predict():
    for i in range(0, N_CASES, 7):
        net, X, _, _ = case(i)
        with torch.no_grad():
            a = build_torch(net)(torch.tensor(X.T)).numpy().T
        assert rel(bp.predict(net, X), a) < TOLERANCE
