r"""Convert a bp network to a PyTorch ``nn.Sequential`` and back.

PyTorch is optional: bp never imports it at module level, only inside these
two functions, so ``import bp`` works without it.

The correspondence, layer by layer (l = 2..L in the document's numbering):

    bp, samples as columns:     z^l = W^l a^{l-1} + b^l          a^{l-1}: (n_{l-1}, m)
    torch, samples as rows:     Z   = X A^T + c                  X:       (m, n_{l-1})

``torch.nn.Linear(n_{l-1}, n_l)`` computes x A^T + c with ``A = weight`` of
shape (out_features, in_features) = (n_l, n_{l-1}) and ``c = bias`` of shape
(n_l,). Transposing the torch formula gives Z^T = A X^T + c, the bp formula
with X^T = a^{l-1}, so A = W^l (no transpose, same shape) and c = b^l.ravel().
Inputs and outputs are transposed instead: torch's ``model(X.T)`` is bp's
``predict(net, X).T``.

Each layer l becomes two modules, the Linear and then its activation, so
``model[2 * (l - 2)]`` is the Linear of layer l and ``model[2 * (l - 2) + 1]``
is σ of layer l:

    bp            torch
    "sigmoid"     nn.Sigmoid()
    "tanh"        nn.Tanh()
    "relu"        nn.ReLU()
    "leaky_relu"  nn.LeakyReLU(negative_slope=0.01)
    "identity"    nn.Identity()
    "softmax"     nn.Softmax(dim=1)   (output only; dim 1 is the features, samples being rows)

A torch model carries no loss: pass bp's ``loss`` to ``from_torch``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from bp.activations import LEAKY_SLOPE
from bp.network import Network

if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    import torch

_MODULE_NAMES: dict[str, str] = {
    "sigmoid": "Sigmoid",
    "tanh": "Tanh",
    "relu": "ReLU",
    "leaky_relu": "LeakyReLU",
    "identity": "Identity",
    "softmax": "Softmax",
}


def _import_torch() -> Any:
    try:
        import torch
    except ImportError as e:
        raise ImportError(
            "bp.torch_bridge needs PyTorch, which bp itself does not require; "
            "install it with: pip install torch"
        ) from e
    return torch


def _torch_module(torch: Any, name: str, l: int) -> Any:
    """The torch module that computes bp's σ called ``name`` (of layer l)."""
    nn = torch.nn
    if name == "leaky_relu":
        return nn.LeakyReLU(negative_slope=LEAKY_SLOPE)
    if name == "softmax":
        return nn.Softmax(dim=1)
    if name not in _MODULE_NAMES:
        raise ValueError(
            f"layer {l} uses activation {name!r}, which to_torch cannot convert; "
            f"it converts {', '.join(repr(k) for k in _MODULE_NAMES)}"
        )
    return getattr(nn, _MODULE_NAMES[name])()


def to_torch(net: Network, dtype: Any = None) -> torch.nn.Sequential:
    r"""A ``torch.nn.Sequential`` that computes the same function as ``net``.

    For l = 2..L it appends ``nn.Linear(n_{l-1}, n_l)`` with ``weight = W^l``
    (shape (n_l, n_{l-1}), not transposed: torch's Linear computes x A^T + b
    with samples as rows, bp computes W a + b with samples as columns, so
    A = W^l) and ``bias = b^l.ravel()``, then the module for σ of layer l
    (``nn.Sigmoid``, ``nn.Tanh``, ``nn.ReLU``, ``nn.LeakyReLU(0.01)``,
    ``nn.Identity``, or ``nn.Softmax(dim=1)`` for a softmax output).

    dtype : the torch dtype of the parameters; ``None`` (default) takes the
        net's dtype, float64 or float32.

    The parameters are copies: training the torch model leaves ``net`` as it
    was. ``to_torch(net)(torch.from_numpy(X.T))`` equals ``bp.predict(net, X).T``.
    The loss is not converted (a ``Sequential`` has none).
    """
    torch = _import_torch()
    if not isinstance(net, Network):
        raise TypeError(f"to_torch expects a bp.Network; got {type(net).__name__}")
    if dtype is None:
        dtype = torch.float64 if net.dtype == np.float64 else torch.float32
    modules = []
    for l in range(2, net.L + 1):
        activation = _torch_module(torch, net.activation_of(l).name, l)
        linear = torch.nn.Linear(net.n(l - 1), net.n(l), dtype=dtype)
        with torch.no_grad():
            # torch's A is bp's W^l as it is: both are (n_l, n_{l-1}).
            linear.weight.copy_(torch.from_numpy(np.array(net.W[l])))
            linear.bias.copy_(torch.from_numpy(np.array(net.b[l]).ravel()))
        modules += [linear, activation]
    return torch.nn.Sequential(*modules)


def from_torch(model: torch.nn.Sequential, loss: str | None = None, dtype: Any = None) -> Network:
    r"""The ``bp.Network`` that computes the same function as a torch ``nn.Sequential``.

    ``model`` must be a sequence of ``nn.Linear`` layers, each followed by at
    most one activation module: ``nn.Sigmoid``, ``nn.Tanh``, ``nn.ReLU``,
    ``nn.LeakyReLU`` with slope 0.01 (bp's), ``nn.Identity``, or, after the
    last Linear only, ``nn.Softmax(dim=1)``. A Linear with no activation after
    it is linear (σ = identity). Layer l's ``W^l`` is the l-th Linear's
    ``weight`` as it is, shape (out_features, in_features) = (n_l, n_{l-1})
    (torch computes x A^T + b with samples as rows, bp W a + b with samples
    as columns, so W^l = A), and ``b^l`` is its ``bias`` as a column (zeros
    for ``bias=False``). bp has one hidden σ and one output σ, so every hidden
    layer must use the same activation; the last layer's is the output σ
    (with a single Linear, L = 2, there is no hidden layer and the hidden σ is
    set to the output σ, bp's default, or to sigmoid after a softmax).

    loss : the bp loss of the new network (a torch model carries none);
        ``None`` (default) is ``"log_likelihood"`` after a softmax and
        ``"mse"`` otherwise.
    dtype : float64 or float32; ``None`` (default) takes the dtype of the
        first Linear's weight.

    Anything else (a Dropout, a BatchNorm, a nested Sequential, a softmax
    over samples...) raises a ValueError that names the module and its position.
    """
    torch = _import_torch()
    nn = torch.nn
    if isinstance(model, nn.Linear):
        model = nn.Sequential(model)
    if not isinstance(model, nn.Sequential):
        raise TypeError(
            f"from_torch expects a torch.nn.Sequential of Linear and activation modules; "
            f"got {type(model).__name__}"
        )
    names = {getattr(nn, v): k for k, v in _MODULE_NAMES.items()}
    known = "nn.Linear, " + ", ".join(f"nn.{v}" for v in _MODULE_NAMES.values())
    modules = list(model)
    linears: list[Any] = []
    activations: list[str | None] = []
    for i, module in enumerate(modules):
        kind = type(module).__name__
        if isinstance(module, nn.Linear):
            if linears and module.in_features != linears[-1].out_features:
                raise ValueError(
                    f"model[{i}] is Linear({module.in_features}, {module.out_features}) but the "
                    f"Linear before it has {linears[-1].out_features} outputs"
                )
            linears.append(module)
            activations.append(None)
            continue
        if type(module) not in names:
            raise ValueError(
                f"model[{i}] is {kind}, which bp cannot represent; from_torch reads {known}"
            )
        if not linears:
            raise ValueError(
                f"model[{i}] is {kind} before any Linear; bp's layer 1 is the input and has no σ"
            )
        if activations[-1] is not None:
            raise ValueError(
                f"model[{i}] is a second activation ({kind}) after the same Linear; "
                f"bp has one σ per layer"
            )
        name = names[type(module)]
        if name == "leaky_relu" and module.negative_slope != LEAKY_SLOPE:
            raise ValueError(
                f"model[{i}] is LeakyReLU(negative_slope={module.negative_slope}); "
                f"bp's leaky_relu has slope {LEAKY_SLOPE}"
            )
        if name == "softmax":
            if i != len(modules) - 1:
                raise ValueError(
                    f"model[{i}] is Softmax before the end; bp uses softmax only as the output σ"
                )
            if module.dim not in (1, -1):
                raise ValueError(
                    f"model[{i}] is Softmax(dim={module.dim}); with samples as rows bp's softmax "
                    f"is over the features, dim=1"
                )
        activations[-1] = name
    if not linears:
        raise ValueError("the model has no nn.Linear layer; bp needs at least one (L >= 2)")
    acts = [a or "identity" for a in activations]
    hidden = set(acts[:-1])
    if len(hidden) > 1:
        raise ValueError(
            f"the hidden layers use different activations {acts[:-1]}; "
            f"bp uses one σ for every hidden layer"
        )
    if dtype is None:
        dtype = {torch.float64: np.float64, torch.float32: np.float32}.get(linears[0].weight.dtype)
        if dtype is None:
            raise ValueError(
                f"the model's weights are {linears[0].weight.dtype}; bp works in float64 or "
                f"float32 (pass dtype=np.float64 to convert)"
            )
    if loss is None:
        loss = "log_likelihood" if acts[-1] == "softmax" else "mse"
    sizes = [linears[0].in_features] + [lin.out_features for lin in linears]
    net = Network(
        sizes,
        activation=hidden.pop() if hidden else ("sigmoid" if acts[-1] == "softmax" else acts[-1]),
        output_activation=acts[-1],
        loss=loss,
        seed=0,
        dtype=dtype,
    )
    for l, linear in enumerate(linears, start=2):
        weight = linear.weight.detach().cpu().double().numpy()
        bias = (
            np.zeros(linear.out_features)
            if linear.bias is None
            else linear.bias.detach().cpu().double().numpy()
        )
        net.W[l] = weight.astype(net.dtype, copy=True)
        net.b[l] = bias.reshape(-1, 1).astype(net.dtype, copy=True)
    return net
