"""Momentum, Nesterov and Adam take torch.optim's steps exactly; a run resumes bit for bit.

PyTorch is the oracle: the same network (bp.to_torch), the same batches, PyTorch's own
SGD(momentum, nesterov, dampening=0) and Adam. bp's loss under reduction="mean" is
(1/k) Σ_i ½‖a^{i,L} − y_i‖² (+ (λ/2k) Σ‖W^l‖²), so PyTorch's weight_decay equals λ/k
for the weights of a batch of k, and 0 for the biases (bp does not regularize them).
Only that comparison needs PyTorch: the steps by hand and the resumed runs run without it.
"""

import numpy as np
import pytest

import bp
from bp import optimizers

CASES = [
    (name, k, l2)
    for name in ("momentum", "nesterov", "adam", "gd")
    for k in (None, 4)  # full batch (m = 12), and mini-batches of 4
    for l2 in (0.0, 0.3)
]


def _torch_optimizer(torch, name, weights, biases, alpha):
    groups = [{"params": weights, "weight_decay": 0.0}, {"params": biases, "weight_decay": 0.0}]
    if name == "adam":
        return torch.optim.Adam(groups, lr=alpha, betas=(0.9, 0.999), eps=1e-8)
    momentum = 0.0 if name == "gd" else 0.9
    return torch.optim.SGD(groups, lr=alpha, momentum=momentum, nesterov=name == "nesterov")


@pytest.mark.parametrize("name, k, l2", CASES)
def test_thirty_steps_equal_torch_optim(name, k, l2):
    # Only this test needs PyTorch: the others (by hand, resuming) run without it, in
    # mutation testing too.
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle for the optimizers")
    rng = np.random.default_rng(7)
    X, Y = rng.standard_normal((3, 12)), rng.uniform(size=(2, 12))
    net = bp.Network((3, 5, 4, 2), "tanh", "sigmoid", seed=1)
    model = bp.to_torch(net)
    weights = [model[i].weight for i in range(0, len(model), 2)]
    biases = [model[i].bias for i in range(0, len(model), 2)]
    alpha = 0.01 if name == "adam" else 0.3
    opt = _torch_optimizer(torch, name, weights, biases, alpha)
    batch = 12 if k is None else k
    steps, state = 0, None
    while steps < 30:
        h = bp.train(
            net, X, Y, alpha=alpha, max_iter=1, epsilon=0.0, batch_size=k, shuffle=False,
            reduction="mean", optimizer=name, l2=l2,
            optimizer_state=state,
        )  # fmt: skip
        state = h.optimizer_state
        for start in range(0, 12, batch):
            x = torch.tensor(X[:, start : start + batch].T)
            y = torch.tensor(Y[:, start : start + batch].T)
            opt.param_groups[0]["weight_decay"] = l2 / x.shape[0]
            opt.zero_grad()
            (0.5 * ((model(x) - y) ** 2).sum() / x.shape[0]).backward()
            opt.step()
            steps += 1
        assert h.optimizer_state.step == steps
        for i, l in enumerate(net.W):
            W_torch = model[2 * i].weight.detach().numpy()
            b_torch = model[2 * i].bias.detach().numpy()[:, None]
            scale = max(np.abs(W_torch).max(), 1.0)
            assert np.abs(net.W[l] - W_torch).max() <= 1e-10 * scale, (name, steps, l)
            assert np.abs(net.b[l] - b_torch).max() <= 1e-10 * scale, (name, steps, l)


@pytest.mark.parametrize("name", ["gd", "momentum", "nesterov", "adam"])
def test_resuming_from_a_saved_state_equals_an_uninterrupted_run(tmp_path, name):
    X, Y = bp.data.moons(30, seed=2)
    start = bp.Network((2, 6, 1), seed=0)
    settings = dict(alpha=0.05, epsilon=0.0, batch_size=7, optimizer=name, dropout=0.0)
    whole = start.copy()
    bp.train(whole, X, Y, max_iter=6, seed=np.random.default_rng(11), **settings)
    rng = np.random.default_rng(11)  # the random state carried from one call to the next
    half = start.copy()
    h = bp.train(half, X, Y, max_iter=3, seed=rng, **settings)
    bp.save(half, tmp_path / "half.npz", optimizer_state=h.optimizer_state)
    resumed = bp.load(tmp_path / "half.npz")
    state = bp.load_optimizer_state(tmp_path / "half.npz")
    bp.train(resumed, X, Y, max_iter=3, seed=rng, optimizer_state=state, **settings)
    for l in whole.W:
        np.testing.assert_array_equal(resumed.W[l], whole.W[l])
        np.testing.assert_array_equal(resumed.b[l], whole.b[l])


def test_an_optimizer_object_sets_other_hyperparameters():
    X, Y = bp.data.moons(20, seed=0)
    a, b = bp.Network((2, 4, 1), seed=0), bp.Network((2, 4, 1), seed=0)
    bp.train(a, X, Y, alpha=0.1, max_iter=3, epsilon=0.0, optimizer=bp.Momentum(beta=0.5))
    bp.train(b, X, Y, alpha=0.1, max_iter=3, epsilon=0.0, optimizer="momentum")
    assert not np.array_equal(a.W[2], b.W[2])
    assert bp.Adam(beta1=0.8) == bp.Adam(beta1=0.8)  # a configuration: compared by value


@pytest.mark.parametrize(
    "optimizer, state, error, match",
    [
        ("rmsprop", None, ValueError, "optimizer='rmsprop'; expected one of 'gd'"),
        (object(), None, TypeError, "optimizer must be one of"),
        (bp.Momentum(beta=1.0), None, ValueError, r"beta must be in \[0, 1\)"),
        (bp.Adam(eps=0.0), None, ValueError, "eps must be > 0"),
        ("adam", "velocity", TypeError, "optimizer_state must be"),
    ],
)
def test_bad_optimizers_are_named(optimizer, state, error, match):
    X, Y = bp.data.moons(10, seed=0)
    with pytest.raises(error, match=match):
        bp.train(
            bp.Network((2, 3, 1), seed=0), X, Y, alpha=0.1, max_iter=1, epsilon=0.0,
            optimizer=optimizer, optimizer_state=state,
        )  # fmt: skip


def test_a_state_of_another_optimizer_or_network_is_refused():
    X, Y = bp.data.moons(10, seed=0)
    h = bp.train(bp.Network((2, 3, 1), seed=0), X, Y, alpha=0.1, max_iter=1, epsilon=0.0,
                 optimizer="momentum")  # fmt: skip
    with pytest.raises(ValueError, match="belongs to optimizer 'momentum', not 'adam'"):
        bp.train(bp.Network((2, 3, 1), seed=0), X, Y, alpha=0.1, max_iter=1, epsilon=0.0,
                 optimizer="adam", optimizer_state=h.optimizer_state)  # fmt: skip
    with pytest.raises(ValueError, match="does not fit sizes"):
        bp.train(bp.Network((2, 5, 1), seed=0), X, Y, alpha=0.1, max_iter=1, epsilon=0.0,
                 optimizer="momentum", optimizer_state=h.optimizer_state)  # fmt: skip


# -- issue 22: each rule worked by hand, no PyTorch -----------------------------------------
#
# One weight w (W^2 of a 1-1 network) and its bias, from w = 1, b = 0, with the gradients
# g_t = 0.5, −0.25, 1.0 for w and half of them for b. The expected values are the rules'
# formulas evaluated by hand in plain Python floats: each is a few roundings of exact
# arithmetic on these numbers, so the tolerance is a few eps.

G = (0.5, -0.25, 1.0)


def _run(optimizer, alpha):
    net = bp.Network((1, 1), activation="identity", seed=0)
    net.W[2][...] = 1.0
    net.b[2][...] = 0.0
    state = bp.OptimizerState.zeros(optimizer.name, optimizer.slots, net)
    path = []
    for g in G:
        dW = {2: np.array([[g]])}
        db = {2: np.array([[g / 2]])}
        optimizer.step(net, dW, db, alpha, state)
        path.append((float(net.W[2][0, 0]), float(net.b[2][0, 0])))
    assert state.step == len(G)
    return path


def _expect(path, by_hand):
    for (w, b), (w_hand, b_hand) in zip(path, by_hand, strict=True):
        assert w == pytest.approx(w_hand, rel=4e-16, abs=4e-16)
        assert b == pytest.approx(b_hand, rel=4e-16, abs=4e-16)


def test_gd_by_hand():
    # w ← w − α g: 1 − 0.1·0.5 = 0.95, then 0.95 + 0.025 = 0.975, then 0.975 − 0.1 = 0.875
    _expect(_run(optimizers.GD(), 0.1), [(0.95, -0.025), (0.975, -0.0125), (0.875, -0.0625)])


def test_momentum_by_hand():
    # β = 0.5: v = 0.5 → w = 0.95; v = 0.25 − 0.25 = 0 → w = 0.95; v = 0 + 1 = 1 → w = 0.85
    # (b: v = 0.25, 0, 0.5 → b = −0.025, −0.025, −0.075)
    path = _run(optimizers.Momentum(beta=0.5), 0.1)
    _expect(path, [(0.95, -0.025), (0.95, -0.025), (0.85, -0.075)])


def test_nesterov_by_hand():
    # β = 0.5, w ← w − α (g + β v): v = 0.5 → w = 1 − 0.1·0.75 = 0.925;
    # v = 0 → w = 0.925 − 0.1·(−0.25) = 0.95; v = 1 → w = 0.95 − 0.1·1.5 = 0.8
    path = _run(optimizers.Momentum(beta=0.5, nesterov=True), 0.1)
    _expect(path, [(0.925, -0.0375), (0.95, -0.025), (0.8, -0.1)])


def test_adam_with_non_default_hyperparameters_by_hand():
    b1, b2, eps, alpha = 0.5, 0.75, 0.1, 0.2
    by_hand, w, b = [], 1.0, 0.0
    m = {"w": 0.0, "b": 0.0}
    v = {"w": 0.0, "b": 0.0}
    for t, g in enumerate(G, start=1):
        for key, grad in (("w", g), ("b", g / 2)):
            m[key] = b1 * m[key] + (1 - b1) * grad
            v[key] = b2 * v[key] + (1 - b2) * grad * grad
        steps = {
            key: alpha * (m[key] / (1 - b1**t)) / ((v[key] / (1 - b2**t)) ** 0.5 + eps) for key in m
        }
        w, b = w - steps["w"], b - steps["b"]
        by_hand.append((w, b))
    # t = 1 by hand: m̂ = g, √v̂ = |g| → w = 1 − 0.2 · 0.5/(0.5 + 0.1) = 0.8333…
    assert by_hand[0][0] == pytest.approx(1 - 0.2 * 0.5 / 0.6, rel=1e-15)
    path = _run(optimizers.Adam(beta1=b1, beta2=b2, eps=eps), alpha)
    for (w_bp, b_bp), (w_hand, b_hand) in zip(path, by_hand, strict=True):
        assert w_bp == pytest.approx(w_hand, rel=1e-15)
        assert b_bp == pytest.approx(b_hand, rel=1e-15)
    # ε matters here: with the default ε the first step is α itself
    assert _run(optimizers.Adam(beta1=b1, beta2=b2), alpha)[0][0] == pytest.approx(0.8)


# -- issue 23 ---------------------------------------------------------------------------------
def _resumable(optimizer="momentum"):
    X, Y = bp.data.moons(10, seed=0)
    net = bp.Network((2, 3, 1), seed=0)
    h = bp.train(net, X, Y, alpha=0.1, max_iter=2, epsilon=0.0, optimizer=optimizer)
    return net, X, Y, h.optimizer_state


# C22: Momentum(nesterov="no") became Nesterov.
def test_a_string_for_nesterov_is_refused():
    X, Y = bp.data.moons(10, seed=0)
    with pytest.raises(TypeError, match="Momentum's nesterov must be True or False; got 'no'"):
        bp.train(bp.Network((2, 3, 1), seed=0), X, Y, alpha=0.1, max_iter=1, epsilon=0.0,
                 optimizer=bp.Momentum(nesterov="no"))  # fmt: skip


# C23: non-finite or non-numeric settings.
@pytest.mark.parametrize(
    "optimizer, error, match",
    [(bp.Adam(eps=np.inf), ValueError, "Adam's eps must be > 0 and finite; got inf"),
     (bp.Momentum(beta=np.nan), ValueError, "Momentum's beta must be in"),
     (bp.Adam(beta1="0.9"), TypeError, "Adam's beta1 must be a real number")],
)  # fmt: skip
def test_non_finite_optimizer_settings_are_refused(optimizer, error, match):
    X, Y = bp.data.moons(10, seed=0)
    with pytest.raises(error, match=match):
        bp.train(bp.Network((2, 3, 1), seed=0), X, Y, alpha=0.1, max_iter=1, epsilon=0.0,
                 optimizer=optimizer)  # fmt: skip


def _corrupt(state, how):
    if how == "step":
        state.step = 2.5
    elif how == "float32":
        state.slots["velocity"]["W"][2] = state.slots["velocity"]["W"][2].astype(np.float32)
    elif how == "shape":
        state.slots["velocity"]["W"][2] = np.zeros((5, 2))
    elif how == "nan":  # C19
        state.slots["velocity"]["b"][3][0, 0] = np.nan
    return state


CORRUPT = [
    ("step", ValueError, r"optimizer_state.step .* integer >= 0; got 2.5"),
    ("float32", TypeError, r"velocity for W\[2\] has dtype float32; expected .* float64"),
    ("shape", ValueError, r"velocity for W\[2\] has shape \(5, 2\)"),
    ("nan", ValueError, r"velocity for b\[3\] holds NaN or inf: the state is corrupt"),
]


@pytest.mark.parametrize("how, error, match", CORRUPT)
def test_a_corrupt_state_is_refused_at_train_naming_it(how, error, match):
    net, X, Y, state = _resumable()
    with pytest.raises(error, match=match):
        bp.train(net, X, Y, alpha=0.1, max_iter=1, epsilon=0.0, optimizer="momentum",
                 optimizer_state=_corrupt(state, how))  # fmt: skip


@pytest.mark.parametrize("how, error, match", CORRUPT)
def test_a_corrupt_state_is_refused_at_save(how, error, match, tmp_path):
    net, _, _, state = _resumable()
    with pytest.raises(error, match=match):
        bp.save(net, tmp_path / "m.npz", optimizer_state=_corrupt(state, how))
    assert not (tmp_path / "m.npz").exists()


def test_adams_negative_v_is_named_not_blamed_on_alpha():  # C19
    net, X, Y, state = _resumable("adam")
    state.slots["v"]["W"][2][0, 0] = -1.0
    with pytest.raises(ValueError, match=r"v for W\[2\] holds negative values"):
        bp.train(net, X, Y, alpha=0.1, max_iter=1, epsilon=0.0, optimizer="adam",
                 optimizer_state=state)  # fmt: skip


def test_momentum_update_without_nesterov_is_plain_momentum():
    # Notebook 13 calls momentum_update without the nesterov argument: plain momentum.
    # g = 0.5 (0.25 for b), β = 0.5, α = 0.1: v = g, so w = 1 − 0.1·0.5 = 0.95 and
    # b = −0.025 (Nesterov would step by g + β v: w = 0.925).
    net = bp.Network((1, 1), activation="identity", seed=0)
    net.W[2][...], net.b[2][...] = 1.0, 0.0
    velocity = bp.OptimizerState.zeros("momentum", ("velocity",), net).slots["velocity"]
    optimizers.momentum_update(net, {2: np.array([[0.5]])}, {2: np.array([[0.25]])}, 0.1,
                               velocity, 0.5)  # fmt: skip
    assert (float(net.W[2][0, 0]), float(net.b[2][0, 0])) == (0.95, -0.025)
