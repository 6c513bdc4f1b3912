"""bp.torch_bridge: bp → torch.nn.Sequential → bp, and its errors."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import bp
from bp.torch_bridge import from_torch, to_torch
from conftest import assert_close_normwise

ACTS = sorted(bp.ACTIVATIONS)
HEADS = [(act, "mse") for act in ACTS] + [
    ("sigmoid", "cross_entropy"),
    ("softmax", "log_likelihood"),
]
N_NETS = len(HEADS) * len(ACTS)  # every (hidden σ, output head) pair once


@pytest.fixture
def torch():
    return pytest.importorskip(
        "torch", reason="PyTorch is not installed (optional bridge: pip install torch)"
    )


def random_net(i: int, dtype=np.float64):
    """Net i: every hidden σ with every (output σ, loss) pair, random sizes and depth 2..5."""
    rng = np.random.default_rng(i)
    L = int(rng.integers(2, 6))
    sizes = [int(n) for n in rng.integers(1, 6, size=L)]
    hidden = ACTS[i % len(ACTS)]
    output, loss = HEADS[(i // len(ACTS)) % len(HEADS)]
    net = bp.Network(sizes, hidden, output, loss=loss, seed=i, dtype=dtype)
    X = rng.standard_normal((sizes[0], int(rng.integers(1, 7)))).astype(dtype)
    return net, X


@pytest.mark.parametrize("i", range(N_NETS))
def test_round_trip_is_exact(torch, i):
    net, X = random_net(i)
    model = to_torch(net)
    back = from_torch(model, loss=net.loss.name)
    assert back.sizes == net.sizes
    assert (back.output_activation.name, back.loss.name) == (
        net.output_activation.name,
        net.loss.name,
    )
    if net.L > 2:  # with L = 2 there is no hidden layer, and torch has no hidden σ to keep
        assert back.activation.name == net.activation.name
    assert back.dtype == net.dtype
    for l in range(2, net.L + 1):
        assert back.W[l].dtype == net.dtype and back.W[l].shape == net.W[l].shape
        assert np.array_equal(back.W[l], net.W[l])
        assert np.array_equal(back.b[l], net.b[l])
    assert np.array_equal(bp.predict(back, X), bp.predict(net, X))


@pytest.mark.parametrize("i", range(N_NETS))
def test_torch_forward_equals_predict(torch, i):
    net, X = random_net(i)
    model = to_torch(net)
    assert len(model) == 2 * (net.L - 1)
    for l in range(2, net.L + 1):
        assert tuple(model[2 * (l - 2)].weight.shape) == net.W[l].shape  # A = W^l, not W^T
    with torch.no_grad():
        out = model(torch.from_numpy(X.T)).numpy().T  # torch: samples as rows
    # torch's and NumPy's sums of ≤ 6 terms per layer, ≤ 4 layers: ~100 eps, normwise (an
    # identity or relu output may cancel to near 0)
    assert_close_normwise(out, bp.predict(net, X), 1e-12)


def test_float32_net_gives_float32_model_and_back(torch):
    net, X = random_net(3, dtype=np.float32)
    model = to_torch(net)
    assert model[0].weight.dtype == torch.float32
    back = from_torch(model)
    assert back.dtype == np.float32
    assert all(np.array_equal(back.W[l], net.W[l]) for l in net.W)
    with torch.no_grad():
        out = model(torch.from_numpy(X.T)).numpy().T
    # the same in float32 (eps 1.2e-7): 1e-5 ≈ 80 eps, normwise
    assert_close_normwise(out, bp.predict(net, X), 1e-5)


def test_to_torch_copies_the_parameters(torch):
    net, _ = random_net(5)
    W2 = net.W[2].copy()
    model = to_torch(net)
    with torch.no_grad():
        model[0].weight.add_(1.0)
    assert np.array_equal(net.W[2], W2)
    back = from_torch(model)
    back.W[2] += 1.0
    assert np.array_equal(model[0].weight.detach().numpy(), W2 + 1.0)


def test_from_torch_reads_a_hand_built_model(torch):
    """Linear without an activation is linear; bias=False gives b = 0."""
    nn = torch.nn
    model = nn.Sequential(
        nn.Linear(3, 4, dtype=torch.float64),
        nn.Tanh(),
        nn.Linear(4, 2, bias=False, dtype=torch.float64),
        nn.Tanh(),
        nn.Linear(2, 1, dtype=torch.float64),
    )
    net = from_torch(model)
    assert net.sizes == (3, 4, 2, 1)
    assert (net.activation.name, net.output_activation.name) == ("tanh", "identity")
    assert np.array_equal(net.b[3], np.zeros((2, 1)))
    X = np.random.default_rng(0).standard_normal((3, 5))
    with torch.no_grad():
        out = model(torch.from_numpy(X.T)).numpy().T
    assert_close_normwise(bp.predict(net, X), out, 1e-12)  # 3 layers of ≤ 4 terms: normwise


def test_from_torch_default_loss(torch):
    nn = torch.nn
    assert from_torch(nn.Sequential(nn.Linear(2, 3), nn.Sigmoid())).loss.name == "mse"
    net = from_torch(nn.Sequential(nn.Linear(2, 3), nn.Softmax(dim=1)))
    assert (net.output_activation.name, net.loss.name) == ("softmax", "log_likelihood")
    net = from_torch(nn.Sequential(nn.Linear(2, 3), nn.Sigmoid()), loss="cross_entropy")
    assert net.loss.name == "cross_entropy"


def test_from_torch_single_linear(torch):
    net = from_torch(torch.nn.Linear(2, 3, dtype=torch.float64))
    assert net.sizes == (2, 3) and net.output_activation.name == "identity"


def test_from_torch_float16_needs_a_dtype(torch):
    model = torch.nn.Sequential(torch.nn.Linear(2, 1, dtype=torch.float16))
    with pytest.raises(ValueError, match="float64 or float32"):
        from_torch(model)
    assert from_torch(model, dtype=np.float64).dtype == np.float64


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda nn: nn.Sequential(nn.Linear(2, 3), nn.Dropout(), nn.Linear(3, 1)), "Dropout"),
        (lambda nn: nn.Sequential(nn.Linear(2, 3), nn.LogSoftmax(dim=1)), "LogSoftmax"),
        (lambda nn: nn.Sequential(nn.Sequential(nn.Linear(2, 3))), "Sequential"),
        (lambda nn: nn.Sequential(nn.ReLU(), nn.Linear(2, 3)), "before any Linear"),
        (lambda nn: nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Tanh()), "second activation"),
        (lambda nn: nn.Sequential(nn.Linear(2, 3), nn.Linear(4, 1)), "has 3 outputs"),
        (
            lambda nn: nn.Sequential(
                nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 3), nn.Tanh(), nn.Linear(3, 1)
            ),
            "one σ for every hidden layer",
        ),
        (lambda nn: nn.Sequential(), "no nn.Linear"),
        (lambda nn: nn.Sequential(nn.Linear(2, 3), nn.LeakyReLU(0.2)), "slope 0.01"),
        (lambda nn: nn.Sequential(nn.Linear(2, 3), nn.Softmax(dim=0)), "dim=1"),
        (
            lambda nn: nn.Sequential(nn.Linear(2, 3), nn.Softmax(dim=1), nn.Linear(3, 1)),
            "only as the output",
        ),
    ],
)
def test_from_torch_refuses_what_bp_cannot_represent(torch, build, match):
    with pytest.raises(ValueError, match=match):
        from_torch(build(torch.nn))


def test_from_torch_refuses_a_non_sequential(torch):
    with pytest.raises(TypeError, match=r"nn\.Sequential"):
        from_torch(torch.nn.ReLU())


def test_to_torch_refuses_a_non_network(torch):
    with pytest.raises(TypeError, match=r"bp\.Network"):
        to_torch(torch.nn.Linear(2, 3))


def test_without_torch_the_error_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` raise ImportError
    net = bp.Network((2, 1), seed=0)
    with pytest.raises(ImportError, match="pip install torch"):
        to_torch(net)
    with pytest.raises(ImportError, match="pip install torch"):
        from_torch(None)


def test_bp_does_not_import_torch():
    import subprocess

    code = "import sys, bp, bp.torch_bridge; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
