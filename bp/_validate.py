"""Argument checks shared by the public functions.

Every message names the argument, what it got and what was expected. Nothing
is transposed or broadcast; data are converted to the network's dtype (so a
float32 network rounds float64 data to its precision, and refuses values beyond
its range).
"""

from __future__ import annotations

import numbers

import numpy as np

REDUCTIONS = ("sum", "mean")


def as_samples(name: str, value, rows: int, rows_name: str, dtype) -> np.ndarray:
    """Return ``value`` as a finite 2-D array of shape (rows, m), samples as columns."""
    arr = np.asarray(value)
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)
    ):
        raise TypeError(f"{name} must be a numeric array; got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real; got complex dtype {arr.dtype}")
    if arr.ndim != 2:
        hint = f" (one sample: {name}.reshape(-1, 1))" if arr.ndim == 1 else ""
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
    bad = ~np.isfinite(arr)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise ValueError(
            f"{name} must be finite; it has {int(bad.sum())} NaN or inf value(s), "
            f"the first at {name}[{r}, {c}] = {arr[r, c]}"
        )
    largest = np.finfo(dtype).max
    if np.abs(arr).max() > largest:
        raise ValueError(
            f"{name} has values up to {np.abs(arr).max():g}, beyond the {np.dtype(dtype).name} "
            f"range of the network (±{largest:g})"
        )
    return arr.astype(dtype, copy=False)


def check_data(net, X, Y=None):
    """Check X (n_in, m) and, if given, Y (n_out, m) against ``net`` and each other."""
    X = as_samples("X", X, net.sizes[0], "n_in", net.dtype)
    if Y is None:
        return X
    Y = check_targets(net, as_samples("Y", Y, net.sizes[-1], "n_out", net.dtype))
    if Y.shape[1] != X.shape[1]:
        raise ValueError(
            f"X and Y must hold the same number of samples (columns); "
            f"got X with m={X.shape[1]} and Y with m={Y.shape[1]}"
        )
    return X, Y


def check_targets(net, Y: np.ndarray) -> np.ndarray:
    """Targets the loss can take: in [0, 1] for the cross-entropies, columns summing to 1
    for the log-likelihood (its δ^L = a^L − y assumes Σ_k y_k = 1)."""
    loss = net.cost.name
    if loss in ("cross_entropy", "log_likelihood") and ((Y < 0) | (Y > 1)).any():
        raise ValueError(
            f"with loss={loss!r}, Y must lie in [0, 1]; got values from {Y.min()} to {Y.max()}"
        )
    if loss == "log_likelihood":
        sums = Y.sum(axis=0)
        bad = np.flatnonzero(np.abs(sums - 1) > 1e-6)
        if bad.size:
            i = int(bad[0])
            raise ValueError(
                f"with loss='log_likelihood', every column of Y must sum to 1 (one-hot labels "
                f"or probabilities); column {i} sums to {sums[i]:g}"
            )
    return Y


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
