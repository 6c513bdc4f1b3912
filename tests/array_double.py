"""A stand-in for CuPy on a machine without a GPU: NumPy arrays that refuse to become NumPy.

``DeviceArray`` wraps a NumPy array and behaves as a CuPy array does towards NumPy:
NumPy's functions and ufuncs dispatch to it (``__array_ufunc__``, ``__array_function__``),
their results stay on the "device", and

- ``np.asarray(x)`` / ``np.array(x)`` raise TypeError ("Implicit conversion to a NumPy
  array is not allowed"), as CuPy's ``__array__`` does;
- a ufunc given a NumPy array (other than a 0-d one) beside a DeviceArray raises
  TypeError, as CuPy does: data must be moved explicitly;
- ``x.get()`` returns the NumPy array (CuPy's explicit copy to the host), ``asarray(a)``
  moves one to the device; ``float(x)``, ``int(x)``, ``bool(x)`` work on 0-d arrays only.

The arithmetic is NumPy's, so a computation on DeviceArrays must give the NumPy result
bit for bit.
"""

from __future__ import annotations

import numpy as np

MESSAGE = "Implicit conversion to a NumPy array is not allowed. Please use `.get()`"


def _unwrap(value, strict: bool):
    if isinstance(value, DeviceArray):
        return value._data
    if isinstance(value, tuple | list):
        return type(value)(_unwrap(v, strict) for v in value)
    if isinstance(value, dict):
        return {k: _unwrap(v, strict) for k, v in value.items()}
    if strict and isinstance(value, np.ndarray) and value.ndim > 0:
        raise TypeError(f"Unsupported type {type(value)} beside a device array (use asarray)")
    return value


def _wrap(value):
    if isinstance(value, np.ndarray):
        return DeviceArray(value)
    if isinstance(value, tuple | list):
        return type(value)(_wrap(v) for v in value)
    return value


class DeviceArray(np.lib.mixins.NDArrayOperatorsMixin):
    """A NumPy array seen as a GPU array (see the module docstring)."""

    __array_priority__ = 1000

    def __init__(self, data: np.ndarray) -> None:
        self._data = data

    def __array__(self, dtype=None, copy=None):
        raise TypeError(MESSAGE)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        inputs = _unwrap(inputs, strict=True)
        out = kwargs.get("out")
        if out is not None:
            kwargs["out"] = _unwrap(out, strict=True)
        result = getattr(ufunc, method)(*inputs, **kwargs)
        if out is not None:
            return out[0] if isinstance(out, tuple) and len(out) == 1 else out
        return _wrap(result)

    def __array_function__(self, func, types, args, kwargs):
        out = kwargs.get("out")
        args, kwargs = _unwrap(args, strict=False), _unwrap(kwargs, strict=False)
        result = func(*args, **kwargs)
        if out is not None:
            return out
        return _wrap(result)

    # -- what CuPy arrays offer -------------------------------------------------------------
    def get(self) -> np.ndarray:
        return self._data.copy()

    @property
    def shape(self):
        return self._data.shape

    @property
    def dtype(self):
        return self._data.dtype

    @property
    def ndim(self):
        return self._data.ndim

    @property
    def size(self):
        return self._data.size

    @property
    def flags(self):
        return self._data.flags

    @property
    def T(self):
        return DeviceArray(self._data.T)

    def __len__(self):
        return len(self._data)

    def __getitem__(self, key):
        return _wrap(self._data[_unwrap(key, strict=False)])

    def __setitem__(self, key, value):
        self._data[_unwrap(key, strict=False)] = _unwrap(value, strict=True)

    def __float__(self):
        return float(self._scalar())

    def __int__(self):
        return int(self._scalar())

    def __bool__(self):
        return bool(self._scalar())

    def __index__(self):
        return int(self._scalar())

    def __format__(self, spec):
        return format(self._scalar(), spec)

    def _scalar(self):
        if self._data.ndim != 0 and self._data.size != 1:
            raise TypeError("only a one-element device array converts to a Python scalar")
        return self._data.reshape(()).item()

    def __repr__(self):
        return f"DeviceArray({self._data!r})"

    def __getattr__(self, name):
        if name.startswith("__"):  # no __array_interface__ and the like: no way to NumPy
            raise AttributeError(name)
        method = getattr(self._data, name)
        if not callable(method):
            return _wrap(method)

        def call(*args, **kwargs):
            out = kwargs.get("out")
            result = method(*_unwrap(args, strict=True), **_unwrap(kwargs, strict=True))
            return out if out is not None else _wrap(result)

        return call


def asarray(value, dtype=None) -> DeviceArray:
    """Move a NumPy array (or anything array-like on the host) to the device."""
    if isinstance(value, DeviceArray):
        return value if dtype is None else DeviceArray(value._data.astype(dtype))
    return DeviceArray(np.array(value, dtype=dtype, copy=True))


def asnumpy(value) -> np.ndarray:
    return value.get() if isinstance(value, DeviceArray) else np.asarray(value)
