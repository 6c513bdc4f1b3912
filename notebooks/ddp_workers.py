r"""DistributedDataParallel over CPU processes, for notebook 14 and tests/test_ddp.py.

A new process started by ``torch.multiprocessing`` imports the function it runs by
its module's name, so the workers live in this file rather than in a notebook cell.
PyTorch is imported when a function needs it: ``import ddp_workers`` works without it.

The data parallel picture, for one update on a global batch B of k samples (columns):
process r (the rank, 0..P−1) takes its own k/P columns B_r of B, in order, computes the
mean gradient of its part, and DDP averages those P gradients across the processes
(an all-reduce) before the optimizer steps. With parts of equal size,

    (1/P) Σ_r (1/|B_r|) Σ_{i∈B_r} g_i = (1/k) Σ_{i∈B} g_i,

the mean gradient over B: the step that ``bp.train(..., reduction="mean")`` takes on
one process. Every process then applies the same step to the same weights, so they
stay identical.
"""

from __future__ import annotations

import io
import socket
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bp.network import Layers
from bp.optimizers import OptimizerState


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now, for the processes to meet at."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parameters(model) -> list[tuple[str, int, object]]:
    """(``"W"`` or ``"b"``, the document's l, the torch parameter) for each Linear of
    ``model``."""
    import torch

    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    return [
        pair
        for l, lin in enumerate(linears, start=2)
        for pair in (("W", l, lin.weight), ("b", l, lin.bias))
    ]


def torch_optimizer(
    model, optimizer: str, alpha: float, state: OptimizerState | None = None
):
    """``torch.optim``'s optimizer for bp's ``optimizer``, resuming ``state``.

    Default settings otherwise. bp's velocity is SGD's ``momentum_buffer``; bp's Adam
    m, v and t are ``exp_avg``, ``exp_avg_sq`` and ``step``.
    """
    import torch

    params = [p for _, _, p in parameters(model)]
    if optimizer == "adam":
        opt = torch.optim.Adam(params, lr=alpha, betas=(0.9, 0.999), eps=1e-8)
    else:
        momentum = {"gd": 0.0, "momentum": 0.9, "nesterov": 0.9}[optimizer]
        opt = torch.optim.SGD(
            params, lr=alpha, momentum=momentum, nesterov=optimizer == "nesterov"
        )
    if state is None or state.step == 0 or optimizer == "gd":
        return opt
    for key, l, p in parameters(model):
        if optimizer == "adam":
            m, v = state.slots["m"][key][l].ravel(), state.slots["v"][key][l].ravel()
            opt.state[p]["step"] = torch.tensor(float(state.step))
            opt.state[p]["exp_avg"] = torch.tensor(m).view_as(p)
            opt.state[p]["exp_avg_sq"] = torch.tensor(v).view_as(p)
        else:
            velocity = state.slots["velocity"][key][l].ravel()
            opt.state[p]["momentum_buffer"] = torch.tensor(velocity).view_as(p)
    return opt


def bp_state(optimizer: str, steps: int, torch_state: dict, model) -> OptimizerState:
    """bp's OptimizerState from a torch optimizer's ``state_dict()["state"]``
    (keyed 0, 1, ...)."""
    names = {
        "gd": (),
        "momentum": ("velocity",),
        "nesterov": ("velocity",),
        "adam": ("m", "v"),
    }
    torch_names = {"velocity": "momentum_buffer", "m": "exp_avg", "v": "exp_avg_sq"}
    state = OptimizerState(optimizer, steps)
    for name in names[optimizer]:
        slot = {"W": Layers(), "b": Layers()}
        for i, (key, l, p) in enumerate(parameters(model)):
            value = torch_state[i][torch_names[name]].detach().numpy().copy()
            # a bias becomes a column (n_l, 1)
            slot[key][l] = value.reshape(p.shape[0], -1)
        state.slots[name] = slot
    return state


def mean_loss(output, y, loss: str):
    """bp's J of ``loss``, the mean over the rows (samples) of this process's part."""
    import torch

    if loss == "log_likelihood":  # output = the logits z^L: the softmax is in the loss
        return torch.nn.functional.cross_entropy(output, y)
    if loss == "mse":
        return 0.5 * ((output - y) ** 2).sum() / y.shape[0]
    raise ValueError(f"loss {loss!r}: these workers know 'log_likelihood' and 'mse'")


def worker(rank, world, port, saved_model, X, Y, settings, out) -> None:
    """Process ``rank`` of ``world``: DDP training on k/world columns of each batch."""
    import torch
    import torch.distributed as dist

    torch.set_num_threads(1)
    # this process's own copy
    model = torch.load(io.BytesIO(saved_model), weights_only=False)
    address = f"tcp://127.0.0.1:{port}"
    dist.init_process_group(
        "gloo",
        init_method=address,
        rank=rank,
        world_size=world,
        timeout=timedelta(seconds=settings["timeout"]),
    )
    # the softmax is in the loss
    net = model[:-1] if settings["loss"] == "log_likelihood" else model
    # the same weights in every process
    ddp = torch.nn.parallel.DistributedDataParallel(net)
    opt = torch_optimizer(
        model, settings["optimizer"], settings["alpha"], settings["state"]
    )
    m, k, losses = X.shape[1], settings["batch_size"], []
    for _ in range(settings["epochs"]):
        for start in range(0, m, k):  # the batches in order, no shuffling
            part = (min(start + k, m) - start) // world  # the last batch may be shorter
            # this process's part
            cols = slice(start + rank * part, start + (rank + 1) * part)
            x = torch.from_numpy(X[:, cols].T.copy())
            y = torch.from_numpy(Y[:, cols].T.copy())
            opt.zero_grad()
            J = mean_loss(ddp(x), y, settings["loss"])
            J.backward()  # DDP averages the gradients of the processes here
            opt.step()
            J_sum = J.detach().clone()  # for the record: the global batch's J
            dist.all_reduce(J_sum)
            losses.append(float(J_sum) / world)
    torch.save(
        {"model": model.state_dict(), "optimizer": opt.state_dict(), "loss": losses},
        Path(out) / f"rank{rank}.pt",
    )
    dist.barrier()  # no process leaves while the other still talks to it
    dist.destroy_process_group()


def train_ddp(
    model,
    X,
    Y,
    *,
    alpha: float,
    epochs: int,
    batch_size: int,
    optimizer: str = "gd",
    state: OptimizerState | None = None,
    loss: str = "log_likelihood",
    world: int = 2,
    timeout: float = 60.0,
) -> tuple[object, OptimizerState, list[float]]:
    """Train ``model`` (a ``bp.to_torch`` network) on ``world`` CPU processes with DDP.

    X, Y : bp's layout, samples as columns; the batches of ``batch_size`` columns are
    taken in order, and each process gets ``batch_size / world`` columns of each.
    ``optimizer`` and ``state`` are bp's (``History.optimizer_state``), so training
    resumes where bp stopped. Returns the trained model (``model`` itself, updated),
    bp's OptimizerState of the optimizer, and the global batch loss of every step.
    Raises TimeoutError when the processes have not finished within ``timeout`` seconds.
    """
    import torch
    import torch.multiprocessing as mp

    sizes = [min(batch_size, X.shape[1] - s) for s in range(0, X.shape[1], batch_size)]
    if any(size % world for size in sizes):
        raise ValueError(
            f"every batch must split into {world} equal parts; "
            f"with m = {X.shape[1]} and batch_size = {batch_size} "
            f"the batches have {sorted(set(sizes))} samples"
        )
    settings = dict(
        alpha=alpha,
        epochs=epochs,
        batch_size=batch_size,
        optimizer=optimizer,
        state=state,
        loss=loss,
        timeout=timeout,
    )
    with tempfile.TemporaryDirectory() as out:
        saved = io.BytesIO()
        # a copy for each process (a tensor sent as is would be shared)
        torch.save(model, saved)
        args = (world, free_port(), saved.getvalue(), X, Y, settings, out)
        context = mp.start_processes(
            worker, args, nprocs=world, join=False, start_method="spawn"
        )
        deadline = time.monotonic() + timeout
        while not context.join(timeout=max(deadline - time.monotonic(), 0.1)):
            if time.monotonic() > deadline:
                for process in context.processes:
                    process.terminate()
                raise TimeoutError(
                    f"the {world} DDP processes did not finish in {timeout:g} s"
                )
        results = [torch.load(Path(out) / f"rank{r}.pt") for r in range(world)]
    for r in range(1, world):  # every process must end with the same weights
        for name, value in results[r]["model"].items():
            if not torch.equal(value, results[0]["model"][name]):
                raise RuntimeError(
                    f"process {r} ended with another {name} than process 0"
                )
    model.load_state_dict(results[0]["model"])
    steps = (0 if state is None else state.step) + epochs * len(sizes)
    new_state = bp_state(optimizer, steps, results[0]["optimizer"]["state"], model)
    return model, new_state, results[0]["loss"]
