"""bp.exercises: bp's own functions pass, every catalogued mistake is named, solutions pass."""

from __future__ import annotations

import importlib.util
import json
import pathlib
import re

import numpy as np
import pytest

import bp
import bp.exercises as ex
from bp.exercises._checker import fd_error, run
from conftest import GRADCHECK_TOL

ROOT = pathlib.Path(__file__).resolve().parent.parent
ORDER = [
    "layer_forward", "loss", "loss_gradient", "output_delta", "weight_gradient", "bias_gradient",
    "hidden_delta", "backward", "layer_gradients", "update", "iteration", "should_stop",
]  # fmt: skip
BP_FUNCTIONS = {
    "layer_forward": bp.propagation.layer_forward,
    "loss": bp.losses.mse,
    "loss_gradient": bp.losses.mse_prime,
    "output_delta": bp.propagation.output_delta,
    "weight_gradient": bp.propagation.weight_gradient,
    "bias_gradient": bp.propagation.bias_gradient,
    "hidden_delta": bp.propagation.hidden_delta,
    "backward": bp.propagation.backward,
    "layer_gradients": bp.propagation.layer_gradients,
    "update": bp.optimizers.update,
    "iteration": ex.iteration,
    "should_stop": ex.should_stop,
}
DERIVATIVES = {
    "loss_gradient", "output_delta", "weight_gradient", "bias_gradient", "hidden_delta",
    "backward", "layer_gradients", "iteration",
}  # fmt: skip


def _load(path: pathlib.Path):
    spec = importlib.util.spec_from_file_location(f"solutions_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SOLUTION_FILES = sorted((ROOT / "exercises" / "solutions").glob("[0-9][0-9]_*.py"))
SOLUTIONS = [
    (step, fn)
    for path in SOLUTION_FILES
    for step, fns in _load(path).SOLUTIONS.items()
    for fn in fns
]
MISTAKES = [(step, mk) for step in ORDER for mk in ex.mistakes(step)]


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_steps_in_the_documents_order():
    assert [s.name for s in ex.steps()] == ORDER
    for s in ex.steps():
        assert s.signature.startswith(s.name + "(")
        assert (ROOT / s.notebook).exists(), s.notebook
        assert (ROOT / s.exercise).exists(), s.exercise


@pytest.mark.parametrize("step", ORDER)
def test_bp_function_passes(step):
    result = ex.check(step, BP_FUNCTIONS[step])
    assert result.passed and result.status == "passed", result.message
    assert result.message.startswith("✓")


@pytest.mark.parametrize("step", ORDER)
def test_a_step_object_and_the_top_level_names_work(step):
    s = next(s for s in ex.steps() if s.name == step)
    top = getattr(bp, step, None)
    fn = top if callable(top) and step not in ("loss",) else BP_FUNCTIONS[step]
    assert ex.check(s, fn).passed


@pytest.mark.parametrize("step", ORDER)
def test_at_least_three_distinct_mistakes_each_pointing_to_a_notebook(step):
    catalogue = ex.mistakes(step)
    assert len(catalogue) >= 3
    assert len({mk.name for mk in catalogue}) == len(catalogue)
    for mk in catalogue:
        assert "\n" not in mk.explanation and mk.explanation.endswith(".")
        assert callable(mk.wrong)
        notebook = mk.where.split(",")[0]
        assert (ROOT / notebook).exists(), mk.where
        assert str(mk).startswith(mk.name)


def _headings(notebook: str) -> set[str]:
    cells = json.loads((ROOT / notebook).read_text(encoding="utf-8"))["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return {line.lstrip("#").strip() for line in text.splitlines() if line.startswith("#")}


def test_every_pointer_names_a_section_that_exists():
    wheres = [s.where for s in ex.steps()] + [mk.where for _, mk in MISTAKES]
    for where in wheres:
        pointers = re.findall(r'(notebooks/\w+\.ipynb), section "([^"]+)"', where)
        assert pointers, where
        for notebook, section in pointers:
            assert section in _headings(notebook), (notebook, section)


@pytest.mark.parametrize(("step", "mistake"), MISTAKES, ids=[f"{s}: {m.name}" for s, m in MISTAKES])
def test_each_mistake_is_named_and_no_other(step, mistake):
    result = ex.check(step, mistake.wrong)
    assert not result.passed
    assert result.status == "mistake", result.message
    assert result.mistakes == (mistake.name,), result.message
    message = _flat(result.message)
    assert mistake.name in message and mistake.where in message
    others = [mk.name for mk in ex.mistakes(step) if mk.name != mistake.name]
    assert not any(f"known mistake, {name}:" in message for name in others)


@pytest.mark.parametrize(
    ("step", "fn"), SOLUTIONS, ids=[f"{s}: {fn.__name__}" for s, fn in SOLUTIONS]
)
def test_solutions_pass(step, fn):
    result = ex.check(step, fn)
    assert result.passed, result.message


def test_two_solutions_per_step_written_differently():
    for step in ORDER:
        functions = [fn for s, fn in SOLUTIONS if s == step]
        assert len(functions) >= 2, step
        assert all(fn is not BP_FUNCTIONS[step] for fn in functions)
        assert len({fn.__code__.co_code for fn in functions}) == len(functions)


def test_solution_files_match_the_exercise_notebooks():
    exercises = {p.stem for p in (ROOT / "exercises").glob("[0-9][0-9]_*.ipynb")}
    assert {p.stem for p in SOLUTION_FILES} == exercises
    assert {s.exercise for s in ex.steps()} == {f"exercises/{stem}.ipynb" for stem in exercises}


@pytest.mark.parametrize("step", ORDER)
def test_exercise_notebook_has_a_stub_and_a_check(step):
    s = next(s for s in ex.steps() if s.name == step)
    notebook = json.loads((ROOT / s.exercise).read_text(encoding="utf-8"))
    code = ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]
    stub = next(c for c in code if c.startswith(f"def {step}("))
    assert "raise NotImplementedError" in stub
    check = next(c for c in code if f'check("{step}", {step})' in c)
    cell = next(c for c in notebook["cells"] if "".join(c["source"]) == check)
    printed = "".join("".join(o.get("text", "")) for o in cell["outputs"])
    assert "not written yet" in printed


@pytest.mark.parametrize("step", ORDER)
def test_a_stub_is_not_written_yet(step):
    def stub(*args):
        raise NotImplementedError

    result = ex.check(step, stub)
    assert not result.passed and result.status == "not written"
    assert "not written yet" in result.message


def test_an_exception_is_reported_with_the_learners_line():
    def layer_forward(W, a_prev, b, sigma):
        W = W + 0.0
        raise ValueError("boom")

    result = ex.check("layer_forward", layer_forward)
    message = _flat(result.message)
    assert result.status == "exception"
    assert "ValueError: boom" in message
    assert 'line 3 of `layer_forward`: `raise ValueError("boom")`' in message


def test_an_exception_inside_a_helper_names_the_helper():
    def helper(delta):
        return delta.sum(axis=3)

    def bias_gradient(delta):
        return helper(delta)

    result = ex.check("bias_gradient", bias_gradient)
    assert result.status == "exception"
    assert "line 2 of `helper`: `return delta.sum(axis=3)`" in _flat(result.message)


def test_wrong_dtype_nan_shape_type_and_a_changed_argument_are_reported():
    def db_float64(delta):
        return np.array(delta.sum(axis=1, keepdims=True), dtype=np.float64)

    def db_nan(delta):
        return np.sqrt(delta).sum(axis=1, keepdims=True)

    def db_list(delta):
        return delta.sum(axis=1).tolist()

    def dW_changes_delta(delta, a_prev):
        dW = delta @ a_prev.T
        delta[...] = 0.0
        return dW

    def stop_int(W_before, b_before, W_after, b_after, epsilon):
        return 1

    assert ex.check("bias_gradient", db_float64).status == "dtype"
    assert "dtype float64, but should have dtype float32" in _flat(
        ex.check("bias_gradient", db_float64).message
    )
    assert ex.check("bias_gradient", db_nan).status == "nan"
    assert ex.check("bias_gradient", db_list).status == "type"
    changed = ex.check("weight_gradient", dW_changes_delta)
    assert changed.status == "modified" and "`delta`" in changed.message
    assert ex.check("should_stop", stop_int).status == "type"
    assert ex.check("weight_gradient", lambda delta, a_prev: delta).status == "shape"


def test_a_wrong_signature_and_odd_results_are_reported_not_raised():
    def layer_forward(W, a_prev, b):
        return W @ a_prev + b

    result = ex.check("layer_forward", layer_forward)
    assert result.status == "exception" and "TypeError" in result.message
    assert (
        ex.check("bias_gradient", lambda delta: delta.sum(axis=1, keepdims=True) + 0j).status
        == "type"
    )
    assert ex.check("loss", lambda z, a, y: "J").status == "type"
    assert ex.check("backward", lambda net, z, a, Y: {"2": 0}).status == "keys"
    assert ex.check("layer_gradients", lambda net, delta, a: None).status == "type"


def test_two_mistakes_that_no_case_tells_apart_are_both_named():
    step = next(s for s in ex.steps() if s.name == "bias_gradient")
    mean = next(mk for mk in ex.mistakes(step) if mk.name == "the mean instead of the sum")
    twin = ex.Mistake(
        "the average of the columns", "the same slip in other words.", mean.wrong, mean.where
    )
    result = run(step, mean.wrong, (*ex.mistakes(step), twin))
    assert result.status == "mistake"
    assert result.mistakes == (mean.name, twin.name)
    assert "2 known mistakes" in _flat(result.message)


def test_no_warning_of_the_learners_code_escapes():
    # pyproject turns RuntimeWarning into an error; the learner's overflow must not become one
    def loss(z, a, y):
        return np.sum(np.exp(1000.0 * (a + 1.0)))

    result = ex.check("loss", loss)
    assert result.status == "nan"


def test_a_half_right_function_gets_a_hint_but_no_verdict_of_mistake():
    def hidden_delta(W_next, delta_next, z, sigma_prime):
        W = W_next if W_next.shape[0] == W_next.shape[1] else W_next.T  # W^T dropped when square
        return (W @ delta_next) * sigma_prime(z)

    result = ex.check("hidden_delta", hidden_delta)
    assert result.status == "values" and result.mistakes == ()
    assert "known mistake, W instead of W^T" in _flat(result.message)


def test_sum_and_mean_are_told_apart_though_equal_at_m_1():
    mean = next(
        mk for mk in ex.mistakes("bias_gradient") if mk.name == "the mean instead of the sum"
    )
    cases = next(s for s in ex.steps() if s.name == "bias_gradient").cases()
    assert any(c.m == 1 for c in cases) and any(c.m > 1 for c in cases)
    assert ex.check("bias_gradient", mean.wrong).mistakes == (mean.name,)


def test_the_result_prints_as_one_paragraph():
    result = ex.check("update", bp.optimizers.update)
    assert str(result) == repr(result) == result.message
    assert "\n\n" not in result.message and bool(result)
    assert not bool(ex.check("update", ex.mistakes("update")[0].wrong))


def test_an_unknown_step_is_refused():
    with pytest.raises(ValueError, match="no step 'forward'"):
        ex.check("forward", bp.propagation.layer_forward)


@pytest.mark.parametrize("step", ORDER)
def test_cases_cover_the_hard_spots(step):
    cases = next(s for s in ex.steps() if s.name == step).cases()
    assert {c.dtype.name for c in cases} == {"float64", "float32"}
    if step not in ("update", "should_stop"):
        assert {1} < {c.m for c in cases} | {1} and any(c.m == 1 for c in cases)
    if step in ("layer_forward", "output_delta", "weight_gradient", "hidden_delta", "backward",
                "layer_gradients", "update", "iteration"):  # fmt: skip
        assert any(c.equal for c in cases) and not all(c.equal for c in cases)
    if step in DERIVATIVES:
        checked = [c for c in cases if c.fd is not None]
        assert checked and all(c.dtype.name == "float64" for c in checked)


@pytest.mark.parametrize("step", sorted(DERIVATIVES))
def test_bp_agrees_with_central_differences_on_every_case(step):
    s = next(s for s in ex.steps() if s.name == step)
    for case in s.cases():
        if case.fd is not None:
            from bp.exercises._checker import call

            assert fd_error(call(s.reference, s, case).value, case) < GRADCHECK_TOL, case.label


def test_iteration_is_the_documents_per_sample_loop():
    net = bp.Network((3, 5, 4, 2), seed=3)
    rng = np.random.default_rng(4)
    X, Y = rng.standard_normal((3, 7)), rng.uniform(size=(2, 7))
    ours, theirs = net.copy(), net.copy()
    ex.iteration(ours, X, Y, 0.2)
    bp.reference.per_sample_iteration(theirs, X, Y, 0.2)
    for l in net.W:
        assert np.allclose(ours.W[l], theirs.W[l], rtol=1e-12, atol=1e-12)
        assert np.allclose(ours.b[l], theirs.b[l], rtol=1e-12, atol=1e-12)


def test_should_stop_is_trains_epsilon_rule():
    before = {2: np.zeros((2, 2))}
    after = {2: np.array([[0.0, 0.1], [0.0, -0.05]])}
    zero = {2: np.zeros((2, 1))}
    assert ex.should_stop(before, zero, after, zero, 0.11) is True
    assert ex.should_stop(before, zero, after, zero, 0.1) is False
    assert bp.max_change(before, after) == pytest.approx(0.1)


# -- issue 22: slips written here, not taken from the catalogue ------------------------------


def _forward_without_bias(W, a_prev, b, sigma):
    z = W @ a_prev
    return z, sigma(z)


#: (step, a slip as a learner writes it, the name the checker must give it). Each slip is
#: written independently of bp.exercises.catalogue, so swapping two entries' wrong
#: functions there (or their names) fails here.
SLIPS = [
    ("weight_gradient", lambda delta, a_prev: a_prev @ delta.T, "transposed: a^{l-1} (δ^l)^T"),
    ("weight_gradient", lambda delta, a_prev: -(delta @ a_prev.T), "a sign error"),
    ("weight_gradient", lambda d, a: d @ a.T / d.shape[1], "the mean instead of the sum"),
    ("bias_gradient", lambda delta: delta.sum(axis=1), "shape (n,) instead of (n, 1)"),
    ("bias_gradient", lambda d: d.mean(axis=1, keepdims=True), "the mean instead of the sum"),
    ("loss_gradient", lambda a, y: y - a, "a sign error"),
    ("loss_gradient", lambda a, y: 2 * (a - y), "a factor 2"),
    ("layer_forward", _forward_without_bias, "the bias left out"),
]


@pytest.mark.parametrize(("step", "slip", "name"), SLIPS, ids=[f"{s}: {n}" for s, _, n in SLIPS])
def test_a_hand_written_slip_gets_its_name(step, slip, name):
    result = ex.check(step, slip)
    assert result.status == "mistake", result.message
    assert result.mistakes == (name,), result.message


def test_changing_the_callers_biases_is_reported():
    def changes_b(net, delta, a):
        dW, db = bp.propagation.layer_gradients(net, delta, a)
        for l in net.b:
            net.b[l] += 1.0  # the right gradients, but the caller's b^l changed
        return dW, db

    def changes_W(net, delta, a):
        dW, db = bp.propagation.layer_gradients(net, delta, a)
        for l in net.W:
            net.W[l] += 1.0
        return dW, db

    for fn in (changes_b, changes_W):
        result = ex.check("layer_gradients", fn)
        assert result.status == "modified" and "`net`" in result.message, result.message


# -- issue 23: the checker survives the learner -------------------------------------------


def test_c10_an_endless_loop_is_stopped_and_the_case_named(monkeypatch):
    import time

    import bp.exercises._checker as checker

    monkeypatch.setattr(checker, "TIME_LIMIT", 0.3)

    def loss(z, a, y):
        while True:
            pass

    start = time.perf_counter()
    result = ex.check("loss", loss)
    assert time.perf_counter() - start < 10
    assert not result.passed and result.status == "timeout"
    assert "0.3 s" in result.message and result.case and result.case in _flat(result.message)


@pytest.mark.parametrize("code", [0, 3, None])
def test_c11_sys_exit_inside_the_function_gets_a_verdict(code):
    import sys

    def loss(z, a, y):
        sys.exit(code)

    result = ex.check("loss", loss)
    assert not result.passed and result.status == "exception"
    assert "SystemExit" in result.message


class _Weird(BaseException):
    pass


class _Unprintable(Exception):
    def __str__(self):
        raise RuntimeError("no words")


@pytest.mark.parametrize("exc", [_Unprintable(), GeneratorExit(), _Weird("odd")])
def test_c12_odd_exceptions_are_reported_not_raised(exc):
    def loss(z, a, y):
        raise exc

    result = ex.check("loss", loss)
    assert not result.passed and result.status == "exception"
    assert type(exc).__name__ in result.message


def test_c12_keyboard_interrupt_still_stops_the_check():
    def loss(z, a, y):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ex.check("loss", loss)


def test_c13_spoiled_cases_do_not_make_a_wrong_function_pass():
    step = next(s for s in ex.steps() if s.name == "loss")
    for case in step.cases():
        for arg in case.args:
            if isinstance(arg, np.ndarray):
                arg[...] = np.nan
    assert not ex.check("loss", lambda z, a, y: 2 * bp.losses.mse(z, a, y)).passed
    assert ex.check("loss", bp.losses.mse).passed


def test_c14_a_float32_number_for_a_float64_case_names_the_dtype():
    result = ex.check("loss", lambda z, a, y: np.float32(bp.losses.mse(z, a, y)))
    assert not result.passed and result.status == "dtype", result.message
    assert "float32" in result.message and "float64" in result.message


def test_c15_the_chinese_exercises_point_to_the_chinese_notebook(monkeypatch):
    mistake = ex.mistakes("loss")[0]
    result = ex.check("loss", mistake.wrong, language="zh")
    assert "notebooks/zh/02_loss.ipynb" in result.message and "“推导”" in result.message
    assert 'section "Derivation"' not in result.message
    monkeypatch.chdir(ROOT / "exercises" / "zh")  # where Jupyter starts the kernel
    assert "notebooks/zh/02_loss.ipynb" in ex.check("loss", mistake.wrong).message
    monkeypatch.chdir(ROOT / "exercises")
    assert (
        'notebooks/02_loss.ipynb, section "Derivation"' in ex.check("loss", mistake.wrong).message
    )
    with pytest.raises(ValueError, match="language='fr'"):
        ex.check("loss", mistake.wrong, language="fr")


def test_c15_every_chinese_pointer_names_a_chinese_section_that_exists():
    from bp.exercises._checker import place

    wheres = [s.where for s in ex.steps()] + [mk.where for _, mk in MISTAKES]
    for where in wheres:
        zh = place(where, "zh")
        pointers = re.findall(r"(notebooks/zh/\w+\.ipynb) 的“([^”]+)”一节", zh)
        assert pointers and not re.search("section|step|Derivation", zh), zh
        for notebook, section in pointers:
            assert section in _headings(notebook), (notebook, section)


# -- survivors of mutation testing (tests/README.md, "Mutation testing") -----------------
# The learner reads these texts: what their function returned, the exception it raised,
# and which cases a pass covered. Each is checked here word for word.


def test_what_a_result_is_called_in_a_message():
    from bp.exercises._checker import _describe

    assert _describe(np.zeros((2, 3))) == "a NumPy array of shape (2, 3)"
    assert _describe(None) == "None"
    assert _describe([1, 2]) == "a list of 2 items"
    assert _describe((1, 2, 3)) == "a tuple of 3 items"
    assert _describe(1) == "an int"  # a vowel: "an"
    assert _describe(1.5) == "a float"
    assert _describe({}) == "a dict"


def test_a_type_named_with_a_consonant_takes_a():
    from bp.exercises._checker import _describe

    class Xylophone:
        pass

    assert _describe(Xylophone()) == "a Xylophone"  # a consonant, even a rare one: "a"


def test_an_exception_is_shown_on_one_line_of_at_most_80_characters():
    from bp.exercises._checker import _short

    class Unprintable(Exception):
        def __str__(self):
            raise RuntimeError

    assert _short(ValueError("a  b\n   c")) == "ValueError: a b c"  # whitespace collapsed
    assert _short(ValueError()) == "ValueError"  # no message: the type alone
    assert _short(KeyError("k" * 78)) == f"KeyError: '{'k' * 78}'"  # quotes and 78: 80 kept
    assert _short(ValueError("v" * 80)) == f"ValueError: {'v' * 80}"
    assert _short(ValueError("v" * 81)) == f"ValueError: {'v' * 77}..."  # 81: cut to 80
    assert _short(Unprintable()) == (
        "Unprintable: (its message cannot be shown: its __str__ raised RuntimeError)"
    )


def test_two_errors_are_the_same_when_their_type_and_missing_layer_are():
    from bp.exercises._checker import same_error

    assert same_error(ValueError("a"), ValueError("b"))
    assert not same_error(ValueError("a"), TypeError("a"))
    assert not same_error(KeyError(2), KeyError(3))
    assert same_error(KeyError(3), KeyError(3))
    assert same_error(KeyError(), KeyError())  # no key at all, on both sides
    assert same_error(KeyError("W"), KeyError("W"))
    assert not same_error(KeyError("W"), KeyError("b"))
    # bp's Layers say "no layer 3 here: ...": the same missing layer as a plain dict's 3
    assert same_error(KeyError("no layer 3 here: the layers are l = [2]"), KeyError(3))
    assert not same_error(KeyError("no layer 3 here: the layers are l = [2]"), KeyError(4))


def test_a_pass_says_which_cases_it_covered():
    from bp.exercises._cases import F32, F64, Case
    from bp.exercises._checker import _coverage

    def cases(*specs):
        return [Case("case", (), dtype, m, equal) for m, equal, dtype in specs]

    assert _coverage(cases((1, False, F64), (3, True, F32))) == (
        "m = 1 and m > 1, unequal and equal layer sizes, float64 and float32"
    )
    assert _coverage(cases((5, False, F64), (2, False, F64))) == "m = 2, 5, float64"
    assert _coverage(cases((1, True, F32), (1, True, F32))) == "m = 1, float32"
    assert _coverage(cases((None, False, F64))) == "float64"
