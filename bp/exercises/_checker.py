"""How ``bp.exercises.check`` runs a learner's function, compares it, and words its verdict."""

from __future__ import annotations

import contextlib
import linecache
import os
import re
import signal
import textwrap
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from bp.exercises._cases import Case
from bp.network import Network

#: How close a result must be to the right one, by dtype (relative, and absolute on the
#: scale of the largest entry).
TOL = {np.dtype(np.float64): 1e-8, np.dtype(np.float32): 2e-4}
#: The largest relative error from central differences that still counts as agreement.
FD_TOL = 1e-6
#: Seconds one call of a function on one case may take (bp's own take milliseconds). The limit
#: is kept where signals can stop Python code: on the main thread (a notebook's cells, pytest)
#: of a system with ``signal.setitimer``; elsewhere calls run unlimited.
TIME_LIMIT = 10.0
LANGUAGES = ("en", "zh")


@dataclass(frozen=True)
class Result:
    """The verdict of ``check``: ``passed``, and a ``message`` of one paragraph.

    ``status`` is "passed", "not written", "mistake" (a catalogued one, named in
    ``mistakes``), or what went wrong on the first failing case: "exception", "type",
    "keys", "shape", "nan", "dtype", "values", "modified" or "timeout" (the function did
    not finish within ``TIME_LIMIT`` seconds). ``case`` describes that case.
    """

    step: str
    passed: bool
    message: str
    status: str
    mistakes: tuple[str, ...] = ()
    case: str = ""

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return self.message

    def __bool__(self) -> bool:
        return self.passed


@dataclass
class Outcome:
    """What one call did: the value it left (or the exception it raised)."""

    value: Any = None
    error: BaseException | None = None
    timeout: bool = False
    line: str = ""  # where the learner's code raised
    modified: str = ""  # an argument the call changed, which it should not


# ---------------------------------------------------------------- calling


def fresh(x):
    """A deep copy of arrays, dicts of arrays and networks; anything else as it is."""
    if isinstance(x, np.ndarray):
        return x.copy()
    if isinstance(x, Network):
        return x.copy()
    if isinstance(x, dict):
        return type(x)((k, fresh(v)) for k, v in x.items())
    if isinstance(x, tuple):
        return tuple(fresh(v) for v in x)
    return x


def _unchanged(before, after) -> bool:
    if isinstance(before, np.ndarray):
        return (
            isinstance(after, np.ndarray)
            and before.shape == after.shape
            and bool(np.array_equal(before, after, equal_nan=True))
        )
    if isinstance(before, Network):
        return _unchanged(dict(before.W), dict(after.W)) and _unchanged(
            dict(before.b), dict(after.b)
        )
    if isinstance(before, dict):
        return (
            isinstance(after, dict)
            and sorted(before) == sorted(after)
            and all(_unchanged(before[k], after[k]) for k in before)
        )
    return True


def _safe_line(exc: BaseException, fn: Callable) -> str:
    try:
        return learner_line(exc, fn)
    except Exception:
        return ""


def learner_line(exc: BaseException, fn: Callable) -> str:
    """'line 3 of `f`: `source`' for the learner's frame nearest to where ``exc`` was raised."""
    code = getattr(fn, "__code__", None)
    filename = code.co_filename if code is not None else None
    tb, chosen = exc.__traceback__, None
    first = tb.tb_next if tb is not None else None  # the frame of fn itself
    while tb is not None:
        if filename is not None and tb.tb_frame.f_code.co_filename == filename:
            chosen = tb
        tb = tb.tb_next
    chosen = chosen or first
    if chosen is None:
        return ""
    f_code, lineno = chosen.tb_frame.f_code, chosen.tb_lineno
    where = f"line {lineno - f_code.co_firstlineno + 1} of `{f_code.co_name}`"
    source = linecache.getline(f_code.co_filename, lineno).strip()
    return f"{where}: `{source}`" if source else where


class _Timeout(BaseException):
    """Raised into a call that ran past TIME_LIMIT (a BaseException: `except Exception` in the
    learner's code does not swallow it)."""


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Raise _Timeout in the code of the with-block once it has run ``seconds`` (see TIME_LIMIT)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "setitimer"
    ):
        yield
        return

    def expired(signum, frame):
        raise _Timeout

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def call(fn: Callable, step, case: Case) -> Outcome:
    """Run ``fn`` on fresh copies of the case's arguments, within TIME_LIMIT; never let what it
    raises escape (``sys.exit`` and other BaseExceptions included), except KeyboardInterrupt."""
    args = fresh(case.args)
    kept = fresh(args)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            with _time_limit(TIME_LIMIT):
                returned = fn(*args)
                value = step.observe(args, returned)
        except _Timeout:
            return Outcome(timeout=True)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:
            return Outcome(error=exc, line=_safe_line(exc, fn))
    for i, name in enumerate(step.params):
        if i not in step.mutates and not _unchanged(kept[i], args[i]):
            return Outcome(value=value, modified=name)
    return Outcome(value=value)


# ---------------------------------------------------------------- comparing


def _is_bool(x) -> bool:
    return isinstance(x, (bool, np.bool_)) or (
        isinstance(x, np.ndarray) and x.shape == () and x.dtype == np.bool_
    )


def _real(dtype) -> bool:
    return np.issubdtype(dtype, np.floating) or np.issubdtype(dtype, np.integer)


def _is_scalar(x) -> bool:
    if isinstance(x, (bool, np.bool_)):
        return False
    if isinstance(x, np.ndarray):
        return x.ndim == 0 and _real(x.dtype)
    return isinstance(x, (int, float, np.integer, np.floating))


def _describe(x) -> str:
    if isinstance(x, np.ndarray):
        return f"a NumPy array of shape {x.shape}"
    if x is None:
        return "None"
    if isinstance(x, (tuple, list)):
        return f"a {type(x).__name__} of {len(x)} items"
    name = type(x).__name__
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name}"


def _scale(want: np.ndarray) -> float:
    return max(1.0, float(np.max(np.abs(want)))) if want.size else 1.0


def _close(got, want, tol: float) -> bool:
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    return bool(np.allclose(got, want, rtol=tol, atol=tol * _scale(want), equal_nan=True))


def _float_dtype(x) -> np.dtype | None:
    """The floating dtype of a NumPy number (a Python float counts as float64), else None."""
    if isinstance(x, float):
        return np.dtype(np.float64)
    if isinstance(x, (np.generic, np.ndarray)) and np.issubdtype(x.dtype, np.floating):
        return np.dtype(x.dtype)
    return None


def _digits(g: float, w: float) -> tuple[str, str]:
    """Two numbers, with as many digits as it takes to see that they differ."""
    for digits in (6, 9, 12, 17):
        a, b = f"{g:.{digits}g}", f"{w:.{digits}g}"
        if a != b:
            return a, b
    return repr(g), repr(w)


def _numeric(x) -> bool:
    return isinstance(x, np.ndarray) and _real(x.dtype)


def _index(i) -> str:
    return str(tuple(int(k) for k in i))


def problem(
    got, want, tol: float, path: str, parts: tuple[str, ...] = ()
) -> tuple[str, str] | None:
    """(kind, words) for the first way ``got`` differs from the right result ``want``, or None."""
    if _is_bool(want):
        if not _is_bool(got):
            return "type", f"{path} should be True or False, not {_describe(got)}"
        if bool(got) != bool(want):
            return "values", f"{path} is {bool(got)}, but should be {bool(want)}"
        return None
    if isinstance(want, tuple):
        names = parts or tuple(f"item {k}" for k in range(len(want)))
        if not isinstance(got, (tuple, list)) or len(got) != len(want):
            return "type", f"{path} should be a pair ({', '.join(names)}), not {_describe(got)}"
        for name, g, w in zip(names, got, want, strict=True):
            found = problem(g, w, tol, name)
            if found:
                return found
        return None
    if isinstance(want, dict):
        if not isinstance(got, Mapping):
            return (
                "type",
                f"{path} should be a dict of the layers l = {sorted(want)}, not {_describe(got)}",
            )
        if sorted(got, key=str) != sorted(want, key=str):
            return (
                "keys",
                f"{path} has the layers {sorted(got, key=str)}, but should have l = {sorted(want)}",
            )
        for l in sorted(want):
            found = problem(got[l], want[l], tol, f"{path}[{l}]")
            if found:
                return found
        return None
    if _is_scalar(want):
        if isinstance(got, np.ndarray) and got.ndim > 0:
            return "shape", f"{path} should be one number, not an array of shape {got.shape}"
        if not _is_scalar(got):
            return "type", f"{path} should be a number, not {_describe(got)}"
        g, w = float(got), float(want)
        if not np.isfinite(g):
            return "nan", f"{path} is {g}"
        if not _close(g, w, tol):
            kind, want_kind = _float_dtype(got), _float_dtype(want)
            if kind is not None and want_kind is not None and kind != want_kind:
                return "dtype", (
                    f"{path} is a {kind.name} number, {_digits(g, w)[0]}, but should be a "
                    f"{want_kind.name}, {_digits(g, w)[1]}: compute it in the dtype of the inputs "
                    f"(a {kind.name} result has only {np.finfo(kind).precision} digits)"
                )
            shown_g, shown_w = _digits(g, w)
            return "values", f"{path} is {shown_g}, but should be {shown_w}"
        return None
    if not isinstance(got, np.ndarray):
        return "type", f"{path} should be a NumPy array of shape {want.shape}, not {_describe(got)}"
    if got.shape != want.shape:
        return "shape", f"{path} has shape {got.shape}, but should have shape {want.shape}"
    if not _numeric(got):
        return "type", f"{path} has dtype {got.dtype}, not a real floating-point dtype"
    bad = ~np.isfinite(got) & np.isfinite(want)
    if bad.any():
        i = tuple(np.argwhere(bad)[0])
        return "nan", f"{path} holds {got[i]} at index {_index(i)}"
    if got.dtype != want.dtype:
        return "dtype", (
            f"{path} has dtype {got.dtype}, but should have dtype {want.dtype}, the dtype of the "
            f"inputs (make new arrays with the inputs' dtype, e.g. np.zeros_like or dtype=x.dtype)"
        )
    if not _close(got, want, tol):
        diff = np.abs(got.astype(np.float64) - want)
        i = np.unravel_index(int(np.argmax(diff)), diff.shape)
        return "values", (
            f"{path} is wrong: at index {_index(i)} it is {float(got[i]):.6g}, but should be "
            f"{float(want[i]):.6g}"
        )
    return None


def same(x, y, tol: float) -> bool:
    """True when two results are the same: structure, shapes and values (dtypes aside)."""
    if _is_bool(x) or _is_bool(y):
        return _is_bool(x) and _is_bool(y) and bool(x) == bool(y)
    if isinstance(x, (tuple, list)) or isinstance(y, (tuple, list)):
        return (
            isinstance(x, (tuple, list))
            and isinstance(y, (tuple, list))
            and len(x) == len(y)
            and all(same(a, b, tol) for a, b in zip(x, y, strict=True))
        )
    if isinstance(x, Mapping) or isinstance(y, Mapping):
        return (
            isinstance(x, Mapping)
            and isinstance(y, Mapping)
            and sorted(x, key=str) == sorted(y, key=str)
            and all(same(x[k], y[k], tol) for k in x)
        )
    if _is_scalar(x) and _is_scalar(y):
        return _close(float(x), float(y), tol)
    if _numeric(x) and _numeric(y):
        return x.shape == y.shape and _close(x, y, tol)
    return False


def _missing_layer(exc: KeyError):
    key = exc.args[0] if exc.args else None
    if isinstance(key, str):
        found = re.match(r"no layer (\S+) here", key)
        return found.group(1) if found else key
    return repr(key)


def same_error(e1: BaseException, e2: BaseException) -> bool:
    """The same failure: the same exception type (and, for a KeyError, the same missing key)."""
    if type(e1) is not type(e2):
        return False
    if isinstance(e1, KeyError) and isinstance(e2, KeyError):  # the same type, so both or neither
        return _missing_layer(e1) == _missing_layer(e2)
    return True


def equivalent(o1: Outcome, o2: Outcome, tol: float) -> bool:
    if o1.error is not None or o2.error is not None:
        return o1.error is not None and o2.error is not None and same_error(o1.error, o2.error)
    return same(o1.value, o2.value, tol)


def _flat(x) -> np.ndarray:
    if isinstance(x, Mapping):
        return np.concatenate([_flat(x[k]) for k in sorted(x)])
    if isinstance(x, (tuple, list)):
        return np.concatenate([_flat(v) for v in x])
    return np.ravel(np.asarray(x, np.float64))


def fd_error(value, case: Case) -> float:
    """The relative error between a result and the case's central differences."""
    got, want = _flat(value), _flat(case.fd_value())
    if case.fd_base is not None:
        base = _flat(case.fd_base)
        got, want = got - base, want - base
    size = np.linalg.norm(got) + np.linalg.norm(want)
    return float(np.linalg.norm(got - want) / size) if size else 0.0


# ---------------------------------------------------------------- the verdict


def _short(exc: BaseException) -> str:
    try:
        text = " ".join(str(exc).split())
    except Exception as err:
        text = f"(its message cannot be shown: its __str__ raised {type(err).__name__})"
    text = text if len(text) <= 80 else text[:77] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def case_problem(out: Outcome, want: Outcome, case: Case, step) -> tuple[str, str] | None:
    if out.error is not None:
        where = f" at {out.line}" if out.line else ""
        hint = (
            " (sys.exit ends the whole program; return the result instead)"
            if isinstance(out.error, SystemExit)
            else ""
        )
        return "exception", f"your function raised {_short(out.error)}{where}{hint}"
    found = problem(out.value, want.value, TOL[case.dtype], step.result_path, step.parts)
    if found and step.mutates:
        return found[0], f"after the call {found[1]}"
    if found:
        return found
    if out.modified:
        return "modified", (
            f"your function changed its argument `{out.modified}`, which belongs to the caller; "
            f"compute into new arrays instead"
        )
    if case.fd is not None:
        err = fd_error(out.value, case)
        if err > FD_TOL:
            return (
                "values",
                f"your result differs from central differences (relative error {err:.1e})",
            )
    return None


def _paragraph(text: str) -> str:
    return textwrap.fill(text, width=100, break_long_words=False, break_on_hyphens=False)


def _coverage(cases: list[Case]) -> str:
    ms = {c.m for c in cases if c.m is not None}
    parts = []
    if ms:
        parts.append(
            "m = 1 and m > 1"
            if 1 in ms and len(ms) > 1
            else f"m = {', '.join(map(str, sorted(ms)))}"
        )
    if any(c.equal for c in cases) and not all(c.equal for c in cases):
        parts.append("unequal and equal layer sizes")
    dtypes = sorted({c.dtype.name for c in cases}, reverse=True)
    parts.append(" and ".join(dtypes))
    return ", ".join(parts)


def language(value: str | None) -> str:
    """``value`` checked, or (None) the language of the folder Jupyter started the kernel in:
    "zh" in the Chinese edition (exercises/zh/, notebooks/zh/), else "en"."""
    if value is None:
        here = os.path.normpath(os.getcwd()).split(os.sep)
        return "zh" if here[-1:] == ["zh"] else "en"
    if value not in LANGUAGES:
        raise ValueError(f"language={value!r} is not one of {', '.join(map(repr, LANGUAGES))}")
    return value


#: The notebooks' section names and the words of the pointers, in the Chinese edition.
_ZH = (
    ('section "Derivation: the box, step by step"', "的“推导：逐步解读算法框”一节"),
    ('section "Derivation"', "的“推导”一节"),
    ('section "In bp"', "的“在 `bp` 中”一节"),
    ('section "From the document"', "的“原文”一节"),
    ('"m samples"', "“$m$ 个样本”"),
    ("(m samples: the sum)", "（$m$ 个样本：求和）"),
    ("(one sample)", "（一个样本）"),
    ("(one layer, one sample)", "（一层，一个样本）"),
    ("(one neuron)", "（一个神经元）"),
    ("(the bias)", "（偏置）"),
    ("(the L2 norm)", "（L2 范数）"),
    ("(the gradient with respect to the output)", "（对输出的梯度）"),
    ("(the Hadamard product)", "（Hadamard 积）"),
    ("(the outer product)", "（外积）"),
)


def place(where: str, lang: str) -> str:
    """A pointer to a notebook section (``where``), in the edition of ``lang``."""
    if lang != "zh":
        return where
    text = re.sub(r"notebooks/(\w+\.ipynb)", r"notebooks/zh/\1", where)
    for en, zh in _ZH:
        text = text.replace(en, zh)
    text = re.sub(r",? steps (\d+) and (\d+)", r"，第 \1 和第 \2 步", text)
    text = re.sub(r",? step (\d+)", r"，第 \1 步", text)
    text = re.sub(r", and (“)", r"，以及\1", text)
    text = re.sub(r" and (“)", r"和\1", text)
    text = re.sub(r",? and ", "；以及 ", text)
    return text.replace(".ipynb, 的", ".ipynb 的").replace(" （", "（")


def run(step, fn: Callable, catalogue, lang: str = "en") -> Result:
    """Check ``fn`` for ``step`` against bp, central differences and the catalogue of mistakes."""
    cases = step.pristine_cases()  # never handed out: each call gets copies of their arguments
    head = f"{step.name} ({step.title})"
    name = getattr(fn, "__name__", "your function")
    outs = []
    for case in cases:
        outs.append(call(fn, step, case))
        if outs[-1].timeout:
            message = (
                f"✗ {head}: not correct. Your function did not finish within {TIME_LIMIT:g} s "
                f"on the case {case.label}, and was stopped there (an endless loop? a loop whose "
                f"condition never becomes false?); the other cases were not run."
            )
            return Result(step.name, False, _paragraph(message), "timeout", (), case.label)
    if any(isinstance(o.error, NotImplementedError) for o in outs):
        message = (
            f"○ {head}: not written yet. Your `{name}` raises NotImplementedError: replace "
            f"`raise NotImplementedError` with your code, run that cell, then run this check again."
        )
        return Result(step.name, False, _paragraph(message), "not written")
    wants = [call(step.reference, step, c) for c in cases]
    for want, case in zip(wants, cases, strict=True):
        if want.timeout:
            raise RuntimeError(
                f"bp's {step.reference_name} ran past {TIME_LIMIT:g} s on {case.label}"
            )
        if want.error is not None:  # a defect of bp or of its cases, not the learner's
            raise RuntimeError(f"bp's {step.reference_name} failed on {case.label}") from want.error
    problems = [case_problem(o, w, c, step) for o, w, c in zip(outs, wants, cases, strict=True)]
    failing = [i for i, p in enumerate(problems) if p]
    n = len(cases)
    if not failing:
        fd = (
            ", and agrees with central differences on the float64 ones"
            if any(c.fd for c in cases)
            else ""
        )
        message = (
            f"✓ {head}: correct. On all {n} cases ({_coverage(cases)}) your function gives what "
            f"{step.reference_name} gives{fd}."
        )
        return Result(step.name, True, _paragraph(message), "passed")

    first = failing[0]
    found = problems[first]
    assert found is not None  # failing holds the indices of the cases with a problem
    kind, words = found
    label = cases[first].label
    tried = {mk.name: [call(mk.wrong, step, c) for c in cases] for mk in catalogue}
    tols = [TOL[c.dtype] for c in cases]
    matched = [
        mk for mk in catalogue
        if all(equivalent(o, mo, t) for o, mo, t in zip(outs, tried[mk.name], tols, strict=True))
    ]  # fmt: skip
    if len(matched) == 1:
        mk = matched[0]
        message = (
            f"✗ {head}: not correct. Your function makes a known mistake, {mk.name}: "
            f"{mk.explanation} The right formula is derived in {place(mk.where, lang)}. (Your "
            f"results equal that mistake's on all {n} cases; the first that is wrong is {label}: "
            f"{words}.)"
        )
        return Result(step.name, False, _paragraph(message), "mistake", (mk.name,), label)
    if matched:
        names = "; ".join(f"{mk.name} ({mk.explanation})" for mk in matched)
        message = (
            f"✗ {head}: not correct. Your results equal those of {len(matched)} known mistakes on "
            f"all {n} cases, which these cases cannot tell apart: {names} The right formula is "
            f"derived in {place(matched[0].where, lang)}."
        )
        names_only = tuple(mk.name for mk in matched)
        return Result(step.name, False, _paragraph(message), "mistake", names_only, label)

    hint, where = "", f" The formula is derived in {place(step.where, lang)}."
    if kind in ("values", "shape", "keys", "type"):
        near = [
            mk for mk in catalogue
            if tried[mk.name][first].error is None
            and equivalent(outs[first], tried[mk.name][first], tols[first])
            and not equivalent(wants[first], tried[mk.name][first], tols[first])
        ]  # fmt: skip
        if len(near) == 1:
            mk = near[0]
            hint = f" On that case your result equals that of a known mistake, {mk.name}:"
            hint += f" {mk.explanation}"
            where = f" See {place(mk.where, lang)}."
    k = len(failing)
    verb = "fails" if k == 1 else "fail"
    failed = f"all {n} cases fail" if k == n else f"{k} of {n} cases {verb}"
    message = f"✗ {head}: not correct ({failed}). On the case {label}, {words}.{hint}{where}"
    return Result(step.name, False, _paragraph(message), kind, (), label)
