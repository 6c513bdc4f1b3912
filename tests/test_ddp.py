"""Two processes of PyTorch's DistributedDataParallel take the steps bp takes on one (issue 15).

A network trained in bp is handed to PyTorch (``bp.to_torch``) with its optimizer's state,
trained on over 2 CPU processes (gloo, 127.0.0.1), each taking half of every batch in
order, and brought back (``bp.from_torch``). bp continues the same steps on one process
with the whole batch and ``reduction="mean"``. DDP averages the two halves' mean
gradients, which is the mean over the batch, so both end with the same weights and the
same optimizer state, to rounding. The workers live in notebooks/ddp_workers.py (notebook
14 runs them too).
"""

import copy
from pathlib import Path

import numpy as np
import pytest

import bp

torch = pytest.importorskip("torch", reason="the data parallel run needs PyTorch")

ROOT = Path(__file__).resolve().parents[1]

#: How long the two processes may take, start-up included (importing torch and DDP's
#: own imports take most of it: a few seconds on an idle machine).
TIMEOUT = 120.0


@pytest.fixture
def workers(monkeypatch):
    """The module notebooks/ddp_workers.py (the spawned processes find it on sys.path too)."""
    monkeypatch.syspath_prepend(str(ROOT / "notebooks"))
    import ddp_workers

    return ddp_workers


def _start(seed=0):
    X, Y = bp.data.spiral(48, seed=seed)
    net = bp.Network((2, 8, 6, 3), "relu", "softmax", "log_likelihood", init="he", seed=seed)
    return net, X, Y


def _assert_close(a, b, what):
    scale = max(float(np.abs(b).max()), 1e-300)
    assert np.abs(a - b).max() <= 1e-10 * scale, (what, float(np.abs(a - b).max()), scale)


def _assert_same_state(state, expected):
    assert state.optimizer == expected.optimizer and state.step == expected.step
    assert set(state.slots) == set(expected.slots)
    for name, pair in expected.slots.items():
        for key in ("W", "b"):
            for l, value in pair[key].items():
                assert state.slots[name][key][l].shape == value.shape
                _assert_close(state.slots[name][key][l], value, (name, key, l))


def test_two_ddp_processes_equal_one_bp_process(workers):
    dist = torch.distributed
    if not dist.is_available() or not dist.is_gloo_available():
        pytest.skip("torch.distributed with the gloo backend is not available in this build")
    net, X, Y = _start()
    # batches of 10, 10, 10, 10 and 8: a short last batch, still split into equal halves
    settings = dict(alpha=0.01, epsilon=0.0, batch_size=10, shuffle=False, reduction="mean")
    h = bp.train(net, X, Y, max_iter=2, optimizer="adam", **settings)  # 10 steps in bp first
    single = net.copy()
    state = copy.deepcopy(h.optimizer_state)
    h_single = bp.train(single, X, Y, max_iter=3, optimizer="adam", optimizer_state=state,
                        **settings)  # fmt: skip
    model, ddp_state, losses = workers.train_ddp(
        bp.to_torch(net), X, Y, alpha=0.01, epochs=3, batch_size=10, optimizer="adam",
        state=h.optimizer_state, timeout=TIMEOUT,
    )  # fmt: skip
    back = bp.from_torch(model, loss="log_likelihood")
    assert back.sizes == net.sizes and back.activation.name == "relu"
    for l in net.W:
        _assert_close(back.W[l], single.W[l], f"W[{l}]")
        _assert_close(back.b[l], single.b[l], f"b[{l}]")
        assert not np.allclose(back.W[l], net.W[l])  # it did train
    _assert_same_state(ddp_state, h_single.optimizer_state)
    assert ddp_state.step == 10 + 15 and len(losses) == 15
    # DDP recorded each global batch's mean J; weighted by the batch sizes over an epoch,
    # they give bp's running loss (the batches' summed J over the epoch, divided by m)
    per_epoch = np.reshape(losses, (3, 5)) @ np.array([10, 10, 10, 10, 8]) / 48
    np.testing.assert_allclose(per_epoch, h_single.loss, rtol=1e-10)


@pytest.mark.parametrize("name", ["gd", "momentum", "nesterov", "adam"])
def test_a_bp_state_resumes_in_torch_optim_and_comes_back(workers, name):
    """The handover without processes: bp's state loaded into torch.optim, stepped, read back."""
    net, X, Y = _start(seed=1)
    settings = dict(alpha=0.01, epsilon=0.0, batch_size=12, shuffle=False, reduction="mean")
    h = bp.train(net, X, Y, max_iter=2, optimizer=name, **settings)
    model = bp.to_torch(net)
    opt = workers.torch_optimizer(model, name, 0.01, h.optimizer_state)
    single = net.copy()
    h_single = bp.train(single, X, Y, max_iter=1, optimizer=name,
                        optimizer_state=copy.deepcopy(h.optimizer_state), **settings)  # fmt: skip
    for start in range(0, X.shape[1], 12):
        x, y = (
            torch.from_numpy(X[:, start : start + 12].T),
            torch.from_numpy(Y[:, start : start + 12].T),
        )
        opt.zero_grad()
        workers.mean_loss(model[:-1](x), y, "log_likelihood").backward()
        opt.step()
    back = bp.from_torch(model, loss="log_likelihood")
    for l in net.W:
        _assert_close(back.W[l], single.W[l], f"W[{l}]")
        _assert_close(back.b[l], single.b[l], f"b[{l}]")
    steps = h.optimizer_state.step + X.shape[1] // 12
    state = workers.bp_state(name, steps, opt.state_dict()["state"], model)
    _assert_same_state(state, h_single.optimizer_state)


def test_a_batch_that_does_not_split_evenly_is_refused(workers):
    net, X, Y = _start()
    with pytest.raises(ValueError, match=r"must split into 2 equal parts.*\[3, 5\]"):
        workers.train_ddp(bp.to_torch(net), X, Y, alpha=0.1, epochs=1, batch_size=5)
