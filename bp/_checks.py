"""Argument checks, called once by each public entry point (never per batch).

Every message names the argument, what it got and what was expected. Nothing
is transposed or broadcast; data are converted to the network's dtype (so a
float32 network rounds float64 data to its precision, and refuses values beyond
its range).
"""

from __future__ import annotations

import numbers
from typing import Any, cast

import numpy as np

from bp.activations import ACTIVATIONS, SOFTMAX, Activation
from bp.losses import LOSSES, Loss

REDUCTIONS = ("sum", "mean")

#: The quantities that ε can bound (``bp.train``'s ``stop``).
STOP_RULES = ("change", "relative_change", "loss")


def as_array(value):
    """``value`` as an array, where it is: lists and NumPy arrays as NumPy arrays; an array
    of another library that NumPy dispatches to (a CuPy array on a GPU) stays as it is."""
    if isinstance(value, np.ndarray) or not hasattr(value, "__array_function__"):
        return np.asarray(value)
    return value


def as_samples(name: str, value, rows: int, rows_name: str, dtype, m: int | None = None):
    """Return ``value`` as a finite 2-D array of shape (rows, m), samples as columns.

    ``m``: the number of samples expected (X's, when Y is checked), for the hints."""
    if isinstance(value, np.ma.MaskedArray) and np.ma.count_masked(value):
        raise TypeError(
            f"{name} is a masked array (numpy.ma) with {int(np.ma.count_masked(value))} masked "
            f"value(s); bp would use the values under the mask: pass {name}.filled(...) with the "
            f"value you mean, or leave out the samples that have masked values"
        )
    arr = as_array(value)
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)
    ):
        raise TypeError(f"{name} must be a numeric array; got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real; got complex dtype {arr.dtype}")
    if arr.ndim != 2:
        hint = ""
        if arr.ndim == 1 and rows == 1 and arr.size > 1 and m in (None, arr.size):
            unit = {"n_in": "input", "n_out": "output"}.get(rows_name, rows_name)
            hint = f" ({arr.size} samples of one {unit} unit: {name}.reshape(1, -1))"
        elif arr.ndim == 1:
            hint = f" (one sample: {name}.reshape(-1, 1))"
        raise ValueError(
            f"{name} must be 2-D with shape ({rows_name}={rows}, m), samples as columns; "
            f"got {arr.ndim}-D shape {arr.shape}{hint}"
        )
    if arr.shape[0] != rows:
        if arr.shape[1] == rows:
            raise ValueError(
                f"{name} has shape {arr.shape}: samples look like rows, but bp takes samples "
                f"as columns, shape ({rows_name}={rows}, m); pass {name}.T"
            )
        raise ValueError(
            f"{name} has shape {arr.shape}; "
            f"expected ({rows_name}={rows}, m) with samples as columns"
        )
    if arr.shape[1] == 0:
        raise ValueError(f"{name} has shape {arr.shape}: it holds no samples (m = 0)")
    low, high = arr.min(), arr.max()  # NaN and ±inf reach these: no temporary of X's size
    if not (np.isfinite(low) and np.isfinite(high)):
        bad = ~np.isfinite(arr)
        r, c = np.argwhere(bad)[0]
        raise ValueError(
            f"{name} must be finite; it has {int(bad.sum())} NaN or inf value(s), "
            f"the first at {name}[{r}, {c}] = {arr[r, c]}"
        )
    # Beyond this, squares (as in J = ½‖a − y‖²) and products overflow to inf.
    largest = float(np.sqrt(np.finfo(dtype).max)) / 1e4
    biggest = max(float(high), -float(low))
    if biggest > largest:
        raise ValueError(
            f"{name} has values up to {biggest:g}; a {np.dtype(dtype).name} network takes "
            f"|{name}| <= {largest:.3g}, beyond which J and its gradients overflow: rescale {name}"
        )
    return arr.astype(dtype, copy=False)


def check_data(net, X, Y=None, names=("X", "Y")):
    """Check X (n_in, m) and, if given, Y (n_out, m) against ``net`` and each other."""
    X = same_device(net, names[0], as_samples(names[0], X, net.sizes[0], "n_in", net.dtype))
    if Y is None:
        return X
    class_indices(net, names[1], Y, X.shape[1])
    Y = as_samples(names[1], Y, net.sizes[-1], "n_out", net.dtype, m=X.shape[1])
    Y = check_targets(net, same_device(net, names[1], Y), names[1])
    if Y.shape[1] != X.shape[1]:
        raise ValueError(
            f"{names[0]} and {names[1]} must hold the same number of samples (columns); "
            f"got {names[0]} with m={X.shape[1]} and {names[1]} with m={Y.shape[1]}"
        )
    return X, Y


def same_device(net, name: str, arr):
    """Data and weights of one array library (NumPy, or CuPy on a GPU): nothing is moved."""
    kind, weights = type(arr), type(net.W[2])
    if kind is not weights and not (
        isinstance(arr, np.ndarray) and issubclass(weights, np.ndarray)
    ):
        raise TypeError(
            f"{name} is a {kind.__module__}.{kind.__name__} but the network's weights are "
            f"{weights.__module__}.{weights.__name__} arrays: move one of them, e.g. "
            f"net = net.to('cupy') or net.to('numpy')"
        )
    return arr


def class_indices(net, name: str, Y, m: int) -> None:
    """Refuse m class indices 0..K−1 (shape (m,) or (1, m)) for K ≥ 2 output units, pointing
    to ``bp.data.one_hot``; other shapes are left to ``as_samples``."""
    K = net.sizes[-1]
    if K < 2 or isinstance(Y, np.ma.MaskedArray):
        return
    arr = as_array(Y)
    if arr.shape not in ((m,), (1, m)) or not (
        np.issubdtype(arr.dtype, np.number) and not np.iscomplexobj(arr)
    ):
        return
    if bool(np.isfinite(arr).all() and (arr == np.round(arr)).all()) and (
        0 <= arr.min() and arr.max() < K
    ):
        raise ValueError(
            f"{name} has shape {arr.shape} and holds class indices from {int(arr.min())} to "
            f"{int(arr.max())}, but the network has n_out={K} output units, which need one-hot "
            f"targets of shape ({K}, m): pass bp.data.one_hot({name}.ravel(), {K})"
        )


#: The values each output activation can reach: a target outside them can never be fitted.
OUTPUT_RANGES = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0), "relu": (0.0, np.inf),
                 "softmax": (0.0, 1.0)}  # fmt: skip


def reachable_targets(net, Y: np.ndarray, name: str = "Y") -> None:
    """Before training: targets the output activation can reach (``OUTPUT_RANGES``). An
    error, not a warning: training towards them can never fit and drives the output units
    into saturation, and warnings are easy to miss in a notebook. (J and its gradients
    themselves are defined for any Y, so ``bp.loss`` and ``bp.gradients`` take them.)"""
    output = net.output_activation.name
    if output in OUTPUT_RANGES:
        low, high = OUTPUT_RANGES[output]
        y_low, y_high = float(Y.min()), float(Y.max())
        if y_low < low or y_high > high:
            reach = f"[{low:g}, {high:g}]" if high < np.inf else f"[{low:g}, ∞)"
            hint = f" (labels -1 and 1: pass ({name} + 1) / 2)" if output == "sigmoid" else ""
            raise ValueError(
                f"{name} has values from {y_low:g} to {y_high:g}, outside {reach}, the range of "
                f"the output activation {output!r}: those targets can never be reached{hint}; "
                f"rescale {name} or choose another output_activation (e.g. 'identity')"
            )


def check_targets(net, Y: np.ndarray, name: str = "Y") -> np.ndarray:
    """Targets the loss can take: in [0, 1] for the cross-entropies, columns summing to 1
    for the log-likelihood (its δ^L = a^L − y assumes Σ_k y_k = 1)."""
    loss = net.loss.name
    if loss in ("cross_entropy", "log_likelihood") and ((Y < 0) | (Y > 1)).any():
        raise ValueError(
            f"with loss={loss!r}, Y must lie in [0, 1]; got values from {Y.min()} to {Y.max()}"
        )
    if loss == "log_likelihood":
        sums = Y.sum(axis=0)
        # the sums of K numbers carry K roundings of the dtype
        tolerance = max(1e-6, 4 * Y.shape[0] * float(np.finfo(Y.dtype).eps))
        bad = np.flatnonzero(np.abs(sums - 1) > tolerance)
        if bad.size:
            i = int(bad[0])
            raise ValueError(
                f"with loss='log_likelihood', every column of Y must sum to 1 (one-hot labels "
                f"or probabilities); column {i} sums to {sums[i]:g}"
            )
    return Y


def flag(name: str, value) -> bool:
    """A bool (Python's or NumPy's): a string such as "False" or None means something else."""
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be True or False; got {value!r}")
    return bool(value)


def check_reduction(reduction: str) -> str:
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction={reduction!r}; expected 'sum' (the document) or 'mean'")
    return reduction


def check_integer(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= {minimum}; got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value}")
    return int(value)


def check_real(name: str, value, *, positive: bool) -> float:
    """A finite real number, > 0 if ``positive`` else >= 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {value!r}")
    value = float(value)
    if not np.isfinite(value) or value < 0 or (positive and value == 0):
        expected = "> 0" if positive else ">= 0"
        raise ValueError(f"{name} must be finite and {expected}; got {value}")
    return value


def choice(name: str, value, options) -> str:
    """One of the names in ``options``."""
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name}={value!r}; expected one of {', '.join(map(repr, options))}")
    return value


def activation(name, argument: str = "activation") -> Activation:
    """Look an activation up by name; ``"softmax"`` only as ``output_activation``."""
    if name == "softmax":
        if argument == "output_activation":
            return SOFTMAX
        raise ValueError(
            f"{argument}='softmax' is not allowed: softmax is not elementwise, so bp uses it "
            "only as output_activation, with loss='log_likelihood'"
        )
    if not isinstance(name, str) or name not in ACTIVATIONS:
        known = ", ".join(repr(k) for k in ACTIVATIONS)
        raise ValueError(f"{argument}={name!r} is not a known activation; expected one of {known}")
    return ACTIVATIONS[name]


def loss_pair(name, output: Activation) -> Loss:
    """The loss by name, checked against the output activation it needs."""
    if not isinstance(name, str) or name not in LOSSES:
        known = ", ".join(repr(k) for k in LOSSES)
        raise ValueError(f"loss={name!r} is not a known loss; expected one of {known}")
    loss = LOSSES[name]
    if loss.output is not None and output.name != loss.output:
        raise ValueError(
            f"loss={loss.name!r} needs output_activation={loss.output!r} "
            f"(δ^L = a^L − y holds only for that pair); got output_activation={output.name!r}"
        )
    if output.sigma_prime is None and loss.output != output.name:
        raise ValueError(
            f"output_activation={output.name!r} needs loss='log_likelihood'; got loss={loss.name!r}"
        )
    return loss


def sizes(value) -> tuple[int, ...]:
    """Layer sizes n_1, ..., n_L: at least two positive integers."""
    try:
        value = tuple(value)
    except TypeError:
        raise TypeError(
            f"sizes must be a sequence of layer sizes like (2, 3, 1); got {value!r}"
        ) from None
    if len(value) < 2:
        raise ValueError(f"sizes must list at least two layers (input and output); got {value!r}")
    for l, n in enumerate(value, start=1):
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
            raise ValueError(
                f"sizes[{l - 1}] (layer {l}) must be an integer >= 1; got {n!r} in sizes={value!r}"
            )
    return tuple(int(n) for n in value)


def dtype(value) -> np.dtype:
    """float64 or float32."""
    try:
        result = np.dtype(value)
    except TypeError:
        result = None
    if result not in (np.float32, np.float64):
        raise ValueError(f"dtype={value!r}; expected float64 or float32")
    return result


def seed(value):
    """A seed for ``np.random.default_rng``: None or an integer >= 0."""
    if value is None or isinstance(value, np.random.Generator | np.random.SeedSequence):
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"seed must be None or an integer >= 0; got {value!r}")
    if value < 0:
        raise ValueError(f"seed must be None or an integer >= 0; got {value}")
    return int(value)


#: What ``check_network`` looks for on a network (``bp.Network``'s attributes).
_NETWORK_ATTRIBUTES = ("W", "b", "L", "sizes", "dtype", "activation", "output_activation", "loss")


def check_network(net, training: bool = False) -> None:
    """The weights as ``Network`` made them: every W^l and b^l of its shape and dtype, finite.

    Weights can be set by hand after construction; a wrong one is named here, not
    reported later as a matrix-product error or a diverging α. (``net`` is recognised
    by its attributes, so that this module imports neither ``bp.network`` nor anything
    that imports it.)
    """
    if not all(hasattr(net, name) for name in _NETWORK_ATTRIBUTES):
        raise TypeError(f"net must be a bp.Network; got {type(net).__name__}")
    for l in range(2, net.L + 1):
        for name, params, shape in (
            ("W", net.W, (net.n(l), net.n(l - 1))),
            ("b", net.b, (net.n(l), 1)),
        ):
            p = params.get(l)
            if p is None or not hasattr(p, "shape"):
                raise TypeError(f"net.{name}[{l}] must be an array of shape {shape}; got {p!r}")
            if p.shape != shape:
                raise ValueError(
                    f"net.{name}[{l}] has shape {p.shape}; expected {shape} for sizes={net.sizes}"
                )
            if p.dtype != net.dtype:
                raise TypeError(
                    f"net.{name}[{l}] has dtype {p.dtype}; expected the network's {net.dtype}"
                )
            if training and not p.flags.writeable:
                raise ValueError(f"net.{name}[{l}] is read-only; training updates it in place")
            if not bool(np.isfinite(p).all()):
                raise ValueError(
                    f"net.{name}[{l}] holds NaN or inf before training or prediction: "
                    "set it to finite values (or build a new Network)"
                )
    shared_parameters(net)


def shared_parameters(net) -> None:
    """Refuse two of W^2..W^L, b^2..b^L that are one array, or views of one memory: an
    update of one would change the other (and training would update it twice)."""
    params = [(f"net.{name}[{l}]", p) for name, ps in (("W", net.W), ("b", net.b))
              for l, p in ps.items()]  # fmt: skip
    for i, (name, p) in enumerate(params):
        for other, q in params[:i]:
            if (
                isinstance(p, np.ndarray)
                and isinstance(q, np.ndarray)
                and (p is q or np.shares_memory(p, q))
            ):
                raise ValueError(
                    f"{name} and {other} share their memory (one array, or views of one): an "
                    f"update of one would change the other; give each its own array, e.g. "
                    f"{name} = {name}.copy()"
                )


def forward_pass(net, z, a) -> None:
    """z^l and a^l (l = 2..L) as ``bp.forward`` returns them: arrays of shape (n_l, m), with
    one m, of the network's dtype, finite (a NaN would turn every δ^l into NaN, silently)."""
    for name, values in (("z", z), ("a", a)):
        if not hasattr(values, "get"):
            raise TypeError(f"{name} must be the dict of bp.forward(net, X); got {values!r}")
        for l in range(2, net.L + 1):
            v = values.get(l)
            if not hasattr(v, "shape") or v.ndim != 2 or v.shape[0] != net.n(l):
                raise ValueError(f"{name}[{l}] must be an array of shape (n_{l}={net.n(l)}, m) "
                                 f"from bp.forward; got {getattr(v, 'shape', v)!r}")  # fmt: skip
            if not bool(np.isfinite(v).all()):
                bad = ~np.isfinite(v)
                r, c = np.argwhere(bad)[0]
                raise ValueError(
                    f"{name}[{l}] (layer {l}) holds {int(bad.sum())} NaN or inf value(s), the "
                    f"first at {name}[{l}][{r}, {c}] = {v[r, c]}: δ would be NaN; compute z and "
                    f"a with bp.forward(net, X) from finite X and weights"
                )


def batch_size(value, m: int) -> int:
    """k: an integer from 1 to m."""
    k = check_integer("batch_size", value, 1)
    if k > m:
        raise ValueError(f"batch_size={k} is larger than the m={m} samples")
    return k


def dropout(p, net) -> float:
    """A probability in [0, 1), for a network with hidden layers when p > 0."""
    p = check_real("dropout", p, positive=False)
    if p >= 1:
        raise ValueError(f"dropout must be a probability in [0, 1); got {p}")
    if p and net.L < 3:
        raise ValueError(f"dropout acts on hidden layers; sizes={net.sizes} has none")
    return p


def record_loss(value, stop: str) -> bool | str:
    """True, False or "exact"; stop="loss" needs a recorded loss."""
    if value not in (True, False, "exact") or (
        isinstance(value, int | float) and not isinstance(value, bool)
    ):
        raise ValueError(f"record_loss={value!r}; expected True, False or 'exact'")
    if stop == "loss" and not value:
        raise ValueError("stop='loss' compares J between iterations: it needs record_loss")
    return value


def objective_arguments(net, X, Y, reduction, l2, weight_decay=0.0):
    """The arguments of J and its gradients: net, data, reduction, λ and the weight decay."""
    check_network(net)
    X, Y = check_data(net, X, Y)
    return (
        X,
        Y,
        check_reduction(reduction),
        check_real("l2", l2, positive=False),
        check_real("weight_decay", weight_decay, positive=False),
    )


def training_arguments(net, X, Y, alpha, max_iter, epsilon, reduction, l2, weight_decay, stop):
    """What ``bp.train`` and ``bp.train_per_sample`` share: the network (writable), the data,
    α, Max, ε, the reduction, λ, the weight decay and the stop rule (``STOP_RULES``)."""
    check_network(net, training=True)
    X, Y = check_data(net, X, Y)
    reachable_targets(net, Y)
    return (
        X,
        Y,
        check_real("alpha", alpha, positive=True),
        check_integer("max_iter", max_iter, 1),
        check_real("epsilon", epsilon, positive=False),
        check_reduction(reduction),
        check_real("l2", l2, positive=False),
        check_real("weight_decay", weight_decay, positive=False),
        choice("stop", stop, STOP_RULES),
    )


def optimizer(value, known: dict):
    """An optimizer by name (a key of ``known``, ``bp.optimizers.OPTIMIZERS``) or an object
    of one of the classes of ``known``'s values (passed in: this module imports no optimizer)."""
    if isinstance(value, str):
        return known[choice("optimizer", value, tuple(known))]
    if not isinstance(value, tuple({type(o) for o in known.values()})):
        raise TypeError(
            f"optimizer must be one of {', '.join(map(repr, known))} or an object of "
            f"bp.optimizers (GD, Momentum, Adam); got {value!r}"
        )
    return optimizer_settings(value)


def optimizer_settings(value):
    """An optimizer's hyperparameters (``train`` checks them): β, β₁, β₂
    real numbers in [0, 1), ε finite and > 0, ``nesterov`` a bool."""
    kind = type(value).__name__
    for name in ("beta", "beta1", "beta2"):
        if hasattr(value, name):
            beta = getattr(value, name)
            if isinstance(beta, bool) or not isinstance(beta, numbers.Real):
                raise TypeError(f"{kind}'s {name} must be a real number in [0, 1); got {beta!r}")
            if not 0 <= beta < 1:
                raise ValueError(f"{kind}'s {name} must be in [0, 1); got {beta!r}")
    if hasattr(value, "eps"):
        eps = value.eps
        if isinstance(eps, bool) or not isinstance(eps, numbers.Real):
            raise TypeError(f"{kind}'s eps must be a real number > 0; got {eps!r}")
        if not (np.isfinite(eps) and eps > 0):
            raise ValueError(f"{kind}'s eps must be > 0 and finite; got {eps!r}")
    if hasattr(value, "nesterov"):
        flag(f"{kind}'s nesterov", value.nesterov)
    return value


def optimizer_state(state, optimizer, net, state_type: type) -> Any:
    """``state`` (an object of ``state_type``, ``bp.OptimizerState``) checked against the
    optimizer and the network; None stays None (the caller makes a fresh state)."""
    if state is None:
        return None
    if not isinstance(state, state_type):
        raise TypeError(f"optimizer_state must be a History.optimizer_state; got {state!r}")
    state = cast(Any, state)
    if state.optimizer != optimizer.name or set(state.slots) != set(optimizer.slots):
        raise ValueError(
            f"optimizer_state belongs to optimizer {state.optimizer!r}, not {optimizer.name!r}"
        )
    step = state.step
    if isinstance(step, bool) or not isinstance(step, numbers.Integral) or step < 0:
        raise ValueError(f"optimizer_state.step (t, the updates made) must be an integer >= 0; "
                         f"got {step!r}")  # fmt: skip
    for name, pair in state.slots.items():
        if not isinstance(pair, dict) or set(pair) != {"W", "b"}:
            raise ValueError(f"optimizer_state's {name} must hold 'W' and 'b'; got {pair!r}")
        for key, params in (("W", net.W), ("b", net.b)):
            if set(pair[key]) != set(params):
                raise ValueError(
                    f"optimizer_state's {name} for {key} has layers {sorted(pair[key])}; "
                    f"expected {sorted(params)} for sizes={net.sizes}"
                )
            for l in params:
                s, where = pair[key][l], f"optimizer_state's {name} for {key}[{l}]"
                if not hasattr(s, "shape") or s.shape != params[l].shape:
                    raise ValueError(
                        f"{where} has shape {getattr(s, 'shape', None)}; expected "
                        f"{params[l].shape}: it does not fit sizes={net.sizes} (another network's)"
                    )
                if s.dtype != net.dtype:
                    raise TypeError(f"{where} has dtype {s.dtype}; expected the network's "
                                    f"{net.dtype}")  # fmt: skip
                if not bool(np.isfinite(s).all()):
                    raise ValueError(
                        f"{where} holds NaN or inf: the state is corrupt (it is not α that is "
                        "too large); resume without optimizer_state, or from a sound one"
                    )
                if name == "v" and bool((s < 0).any()):
                    raise ValueError(f"{where} holds negative values; Adam's v (a mean of g²) "
                                     f"is >= 0: the state is corrupt")  # fmt: skip
    return state


def host(a):
    """A NumPy array with a's values (a GPU array is copied by its ``get``)."""
    return a if isinstance(a, np.ndarray) else a.get()


def array_module(xp):
    """The array library ``xp`` names ("cupy"), or ``xp`` itself if it has ``asarray``."""
    if isinstance(xp, str):
        if xp != "cupy":
            raise ValueError(f"xp={xp!r}; expected 'numpy', 'cupy' or an array module")
        try:
            import cupy
        except ImportError:
            raise ImportError(
                "net.to('cupy') needs CuPy, which bp does not require: "
                "pip install 'literate-backprop[gpu]' (or the cupy wheel for your CUDA)"
            ) from None
        return cupy
    if not callable(getattr(xp, "asarray", None)):
        raise TypeError(f"xp must be 'numpy', 'cupy' or a module with asarray; got {xp!r}")
    return xp
