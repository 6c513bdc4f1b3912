"""The code the notebooks print is the code that runs (issue 10, item 6).

A notebook shows bp's formulas by printing their source with
``bp.show.source(bp.<module>.<function>, ...)`` (issue 25: the source highlighted as
Python). That is only honest if the printed function is the one ``bp.train``
executes: a learner who edits ``bp.propagation.hidden_delta`` must see training
change. These tests read every argument of ``bp.show.source(...)`` (and every
``inspect.getsource(...)`` target) out of the notebooks' code cells and fail,
naming the notebook and the target, when a target

- is not a dotted name reached from the notebook's own imports (a variable,
  an expression): the reader cannot tell what was printed;
- is private (a path component, or the object's module or qualified name,
  starts with ``_``; a class's ``__init__`` is its public constructor);
- is not bp code, or is a whole module;
- is longer than ``MAX_LINES`` lines;
- is a formula function that ``bp.train`` never calls.

A cell that prints source the old way, ``print(inspect.getsource(...))``, fails too:
its output is plain text, not highlighted.

"Called by bp.train" is measured, not declared: ``sys.setprofile`` records
every Python code object entered while ``bp.train`` trains small networks over
``CONFIGURATIONS`` (every hidden σ; MSE with several outputs, cross-entropy with
a sigmoid, log-likelihood with a softmax; full batch, mini-batch, stochastic;
L2; dropout; validation with early stopping; both reductions; every
``record_loss``; every stop rule; a batch wider than one chunk). A printed
class counts as run when ``bp.train`` constructs it (its own ``__init__`` ran).

``TEACHING`` is the short list of reference and teaching code that may be
printed although training does not run it. Length rule: everything printed is at
most ``MAX_LINES`` lines, except the classes in ``LONG_CLASSES``: ``History``
is a dataclass whose body is its fields and their documentation (no formula, no
control flow), so it is printed whole. ``Network.__init__`` is a function and is
held to the limit.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import pkgutil
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import bp
from bp.activations import ACTIVATIONS, SOFTMAX

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = [
    *sorted(ROOT.glob("notebooks/*.ipynb")),
    *sorted(ROOT.glob("notebooks/zh/*.ipynb")),
    *sorted(ROOT.glob("exercises/*.ipynb")),
    *sorted(ROOT.glob("exercises/zh/*.ipynb")),
]

#: The most lines a printed function (or class) may have.
MAX_LINES = 25

#: Reference and teaching code that may be printed though bp.train does not run it.
TEACHING = (
    "bp.reference.per_sample_iteration",
    "bp.gradcheck.numerical_gradients",
    "bp.gradcheck.relative_error",
    "bp.gradcheck.gradient_check",
    "bp.torch_bridge.to_torch",
    "bp.torch_bridge.from_torch",
    "bp.History",
    "bp.Network.__init__",
)

#: Classes that may be printed whole though longer than MAX_LINES (see the module docstring).
LONG_CLASSES = ("bp.History",)

#: The formula functions that bp.train must run, whether or not a notebook prints them yet.
CORE = (
    "bp.propagation.layer_forward",
    "bp.propagation.forward",
    "bp.propagation.backward",
    "bp.propagation.hidden_delta",
    "bp.propagation.output_error",
    "bp.propagation.output_delta",
    "bp.propagation.weight_gradient",
    "bp.propagation.bias_gradient",
    "bp.propagation.layer_gradients",
    "bp.optimizers.update",
    "bp.descent.epoch",
    "bp.descent.batch_gradients",
    "bp.losses.objective",
    "bp.losses.mse",
    "bp.losses.mse_prime",
    "bp.losses.cross_entropy",
    "bp.losses.log_likelihood",
    "bp.losses.output_minus_target",
    "bp.regularization.l2_penalty",
    "bp.regularization.l2_gradient",
    "bp.regularization.dropout_masks",
)

#: (Network arguments, train arguments, data kind): what bp.train runs over.
#: Small networks and few iterations: the whole set trains in well under a second.
CONFIGURATIONS = [
    # The document: sigmoid everywhere, MSE, full batch, sum, J recorded for free.
    (dict(sizes=(3, 4, 2)), dict(max_iter=3), "unit"),
    # tanh, mini-batch with a short last batch, mean, L2, exact J, relative ε rule.
    (
        dict(sizes=(3, 4, 3, 2), activation="tanh"),
        dict(
            max_iter=3,
            batch_size=4,
            reduction="mean",
            l2=0.1,
            record_loss="exact",
            stop="relative_change",
        ),
        "signed",
    ),
    # relu hidden and output, stochastic, no J recorded.
    (
        dict(sizes=(3, 5, 2), activation="relu", init="he"),
        dict(max_iter=2, batch_size=1, record_loss=False, shuffle=False),
        "unit",
    ),
    # leaky ReLU hidden, linear output (regression), dropout, validation, early stopping.
    (
        dict(sizes=(3, 6, 5, 2), activation="leaky_relu", output_activation="identity"),
        dict(max_iter=4, batch_size=5, dropout=0.2, validation=True, early_stopping=1),
        "signed",
    ),
    # Linear hidden layer, sigmoid output with cross-entropy, full batch, mean, L2, loss rule.
    (
        dict(
            sizes=(3, 4, 2),
            activation="identity",
            output_activation="sigmoid",
            loss="cross_entropy",
        ),
        dict(max_iter=3, reduction="mean", l2=0.01, stop="loss", epsilon=1e-12),
        "unit",
    ),
    # Softmax output with the log-likelihood, mini-batch, dropout, validation, a callback.
    (
        dict(
            sizes=(3, 5, 3),
            activation="relu",
            output_activation="softmax",
            loss="log_likelihood",
            init="xavier",
        ),
        dict(max_iter=3, batch_size=6, dropout=0.3, validation=True, callback=True),
        "one_hot",
    ),
    # MSE with tanh (full batch + dropout), relu (mini-batch) and leaky ReLU (float32) outputs.
    (dict(sizes=(3, 4, 2), output_activation="tanh"), dict(max_iter=2, dropout=0.1), "signed"),
    (dict(sizes=(3, 4, 2), output_activation="relu"), dict(max_iter=2, batch_size=7), "unit"),
    (
        dict(sizes=(3, 4, 2), activation="tanh", output_activation="leaky_relu", dtype=np.float32),
        dict(max_iter=2, batch_size=3, reduction="mean"),
        "signed",
    ),
    # The optimizers beyond the document's rule.
    (dict(sizes=(3, 4, 2)), dict(max_iter=2, batch_size=5, optimizer="momentum"), "unit"),
    (dict(sizes=(3, 4, 2)), dict(max_iter=2, optimizer="nesterov", reduction="mean"), "unit"),
    (dict(sizes=(3, 4, 2)), dict(max_iter=2, batch_size=4, optimizer="adam", l2=0.1), "unit"),
    # A full batch wider than one chunk: the gradient is summed over chunks.
    (dict(sizes=(2, 3, 1)), dict(max_iter=2, m=1100), "unit"),
]


def resolve(dotted: str):
    """The object a dotted name such as ``bp.propagation.forward`` names, importing as needed."""
    parts = dotted.split(".")
    if "__main__" in parts:
        raise ImportError(f"{dotted} names a __main__ module")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for j in range(i, len(parts)):
            if not hasattr(obj, parts[j]):
                owner = ".".join(parts[:j])
                raise AttributeError(f"{owner} (a {type(obj).__name__}) has no {parts[j]!r}")
            obj = getattr(obj, parts[j])
        return obj
    raise ImportError(f"no module {parts[0]!r}")


def code_of(obj) -> types.CodeType | None:
    """The code object that runs when ``obj`` is called (a class: its own ``__init__``)."""
    if isinstance(obj, property):
        obj = obj.fget
    if inspect.isclass(obj):
        obj = obj.__dict__.get("__init__")
    obj = inspect.unwrap(getattr(obj, "__func__", obj)) if obj is not None else None
    return getattr(obj, "__code__", None)


def _data(kind: str, n_in: int, n_out: int, m: int, rng: np.random.Generator):
    X = rng.standard_normal((n_in, m))
    if kind == "one_hot":
        Y = np.eye(n_out)[:, rng.integers(0, n_out, m)]
    elif kind == "signed":
        Y = rng.uniform(-0.9, 0.9, (n_out, m))
    else:
        Y = rng.uniform(0.1, 0.9, (n_out, m))
    return X, Y


def _cases() -> list[tuple[bp.Network, np.ndarray, np.ndarray, dict]]:
    """(net, X, Y, train's keyword arguments) for each of CONFIGURATIONS."""
    rng, cases = np.random.default_rng(0), []
    for seed, (net_args, train_args, kind) in enumerate(CONFIGURATIONS):
        net, train_args = bp.Network(seed=seed, **net_args), dict(train_args)
        n_in, n_out = net.sizes[0], net.sizes[-1]
        X, Y = _data(kind, n_in, n_out, train_args.pop("m", 13), rng)
        if train_args.pop("validation", False):
            train_args["validation"] = _data(kind, n_in, n_out, 5, rng)
        if train_args.pop("callback", False):
            train_args["callback"] = lambda iteration, net, history: None
        train_args = {"alpha": 0.05, "epsilon": 0.0, "seed": seed, **train_args}
        cases.append((net, X.astype(net.dtype), Y.astype(net.dtype), train_args))
    return cases


class CodeSet(frozenset):
    """A set of code objects that pytest shows by its size, not its thousand members."""

    def __repr__(self) -> str:
        return f"<{len(self)} code objects>"


@pytest.fixture(scope="module")
def ran() -> CodeSet:
    """Every Python code object entered during the bp.train calls (and nothing before them)."""
    cases, codes = _cases(), set()

    def profile(frame, event, arg):
        if event == "call":
            codes.add(frame.f_code)

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        for net, X, Y, train_args in cases:
            bp.train(net, X, Y, **train_args)
    finally:
        sys.setprofile(previous)
    return CodeSet(codes)


# --- reading the notebooks ------------------------------------------------------------------


def _cell_tree(source: str) -> ast.Module:
    """A code cell as Python, with IPython's %magic and !shell lines blanked."""
    lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()]
    return ast.parse("\n".join(lines))


def _dotted(node: ast.expr) -> str | None:
    """``a.b.c`` for a chain of attribute accesses on a name, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _expand(dotted: str, imports: dict[str, str]) -> str | None:
    """Replace the first component by what the notebook's imports bound it to."""
    head, _, rest = dotted.partition(".")
    if head not in imports:
        return None
    return imports[head] + ("." + rest if rest else "")


#: The functions whose arguments a notebook prints the source of.
SHOWING = ("bp.show.source", "inspect.getsource", "inspect.getsourcelines")


def printed_targets(path: Path) -> list[tuple[int, str, str | None]]:
    """(cell index, the argument as written, its dotted name via the imports or None) per
    positional argument of every call of one of ``SHOWING``."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    imports: dict[str, str] = {}
    found = []
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        try:
            tree = _cell_tree(source)
        except SyntaxError as error:
            found.append((index, f"<cell does not parse: {error.msg}>", None))
            continue
        for statement in tree.body:
            for node in ast.walk(statement):
                if isinstance(node, ast.Import):
                    for alias in node.names:
                        if alias.asname:
                            imports[alias.asname] = alias.name
                        else:
                            top = alias.name.partition(".")[0]
                            imports[top] = top
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    for alias in node.names:
                        imports[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            for node in ast.walk(statement):
                if not (isinstance(node, ast.Call) and node.args):
                    continue
                called = _dotted(node.func)
                called = called and _expand(called, imports)
                if called not in SHOWING:
                    continue
                arguments = node.args if called == "bp.show.source" else node.args[:1]
                for argument in arguments:
                    dotted = _dotted(argument)
                    found.append(
                        (index, ast.unparse(argument), dotted and _expand(dotted, imports))
                    )
    return found


def printed_plainly(path: Path) -> list[int]:
    """The code cells that print source the old way, with ``inspect.getsource(...)`` or
    ``getsourcelines`` (plain, uncoloured text), by index."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    found = []
    for index, cell in enumerate(cells):
        source = "".join(cell["source"])
        if cell["cell_type"] != "code" or "getsource" not in source:
            continue
        try:
            tree = _cell_tree(source)
        except SyntaxError:
            continue  # printed_targets reports it
        for node in ast.walk(tree):
            called = isinstance(node, ast.Call) and _dotted(node.func)
            if called and called.rpartition(".")[2] in ("getsource", "getsourcelines"):
                found.append(index)
                break
    return found


def _private(parts: list[str]) -> list[str]:
    """The components that start with "_" (a final ``__init__``, a constructor, is public)."""
    last = len(parts) - 1
    return [p for i, p in enumerate(parts) if p.startswith("_") and (p, i) != ("__init__", last)]


def _private_parts(dotted: str, obj) -> list[str]:
    """The private components of a target's module and qualified name (where it is defined)."""
    module = getattr(obj, "__module__", None) or ""
    qualname = getattr(obj, "__qualname__", None) or ""
    return _private(module.split(".") + qualname.split("."))


def problems_with(written: str, dotted: str | None, ran: frozenset, teaching: set) -> list[str]:
    """What is wrong with printing this target, in words (empty: nothing)."""
    hint = "print a public bp function by its dotted name, e.g. bp.propagation.forward"
    if dotted is None:
        return [f"{written!r} is not a dotted name reached from the notebook's imports: {hint}"]
    found = []
    private = _private(dotted.split("."))
    if private:
        found.append(f"{dotted} is private ({', '.join(private)}): {hint}")
    try:
        obj = resolve(dotted)
    except (ImportError, AttributeError) as error:
        return [*found, f"{dotted} does not resolve ({error}): {hint}"]
    private = [p for p in _private_parts(dotted, obj) if p not in private]
    if private:
        found.append(f"{dotted} is defined under a private name ({', '.join(private)}): {hint}")
    module = getattr(obj, "__module__", None) or getattr(obj, "__name__", "")
    if inspect.ismodule(obj):
        return [*found, f"{dotted} is a whole module: print its functions one by one"]
    if not (module == "bp" or module.startswith("bp.")):
        return [*found, f"{dotted} is not bp code (module {module!r})"]
    function = inspect.isfunction(inspect.unwrap(getattr(obj, "__func__", obj)))
    if not (function or inspect.isclass(obj) or isinstance(obj, property)):
        return [*found, f"{dotted} is a {type(obj).__name__}, not a function or class: {hint}"]
    long_ok = inspect.isclass(obj) and any(obj is resolve(name) for name in LONG_CLASSES)
    lines = len(inspect.getsource(obj).splitlines())
    if lines > MAX_LINES and not long_ok:
        found.append(
            f"{dotted} is {lines} lines (at most {MAX_LINES}): print a shorter formula "
            "function, or shorten it in bp/"
        )
    if code_of(obj) not in teaching and code_of(obj) not in ran:
        found.append(
            f"{dotted} never runs in bp.train: print the function that training calls "
            "(or, for reference code, add it to TEACHING in tests/test_printed_code.py)"
        )
    return found


@pytest.fixture(scope="module")
def teaching() -> CodeSet:
    return CodeSet(code_of(resolve(name)) for name in TEACHING)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_prints_only_code_that_runs(path, ran, teaching):
    failures = []
    for index, written, dotted in printed_targets(path):
        for problem in problems_with(written, dotted, ran, teaching):
            failures.append(f"cell {index}: {problem}")
    if failures:
        pytest.fail(
            f"{path.relative_to(ROOT)} prints code it should not:\n" + "\n".join(failures),
            pytrace=False,
        )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_shows_source_highlighted(path):
    """Source is shown with ``bp.show.source`` (highlighted as Python in Jupyter and on the
    site), not printed as plain text."""
    cells = printed_plainly(path)
    assert not cells, (
        f"{path.relative_to(ROOT)} prints source as plain text in cells {cells}: "
        "end the cell with bp.show.source(f, ...) instead of print(inspect.getsource(f)) "
        "(start= shows a part of f)"
    )


def test_printing_source_plainly_is_found(tmp_path):
    cells = [
        "import inspect\nimport bp",
        "x = 1\nprint(inspect.getsource(bp.train))",
        "bp.show.source(bp.train)",
        "from inspect import getsource\nsrc = getsource(bp.train)\nprint(src[10:])",
    ]
    nb = {"cells": [{"cell_type": "code", "source": c} for c in cells]}
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    assert printed_plainly(path) == [1, 3]


def test_teaching_list_names_public_code():
    for name in TEACHING:
        obj = resolve(name)
        assert code_of(obj) is not None, name
        assert not _private(name.split(".")) and not _private_parts(name, obj), name


def test_training_runs_every_core_formula(ran):
    """One implementation: bp.train runs the public formula functions, every σ and σ' included."""
    expected = {name: resolve(name) for name in CORE}
    for activation in [*ACTIVATIONS.values(), SOFTMAX]:
        for f in (activation.sigma, activation.sigma_prime):
            if f is not None:
                expected[f"bp.activations.{f.__name__}"] = f
    missing = sorted(name for name, f in expected.items() if code_of(f) not in ran)
    assert not missing, f"bp.train never calls: {', '.join(missing)}"


def test_profile_sees_only_what_runs(ran):
    """The recording is not everything: code that training never calls stays out of it."""
    for name in ("bp.gradcheck.numerical_gradients", "bp.reference.per_sample_iteration",
                 "bp.checked.gradients", "bp.propagation.gradients"):  # fmt: skip
        assert code_of(resolve(name)) not in ran, name


def test_a_never_run_or_private_target_is_reported(ran, teaching):
    """The checker itself can fail: a private, unrun, long or unresolvable target is named."""
    unrun = problems_with("x", "bp.propagation.gradients", ran, teaching)
    assert any("never runs" in p for p in unrun)
    assert any("private" in p for p in problems_with("x", "bp._checks.sizes", ran, teaching))
    assert any("lines" in p for p in problems_with("x", "bp.train", ran, teaching))
    assert problems_with("act.sigma", None, ran, teaching)
    assert any("resolve" in p for p in problems_with("x", "bp.fast._sigmoid", ran, teaching))
    assert problems_with("x", "bp.propagation.hidden_delta", ran, teaching) == []
    assert problems_with("x", "bp.History", ran, teaching) == []


def test_targets_are_read_through_the_notebook_imports(tmp_path):
    cells = [
        "import bp\nimport bp.descent as d\nfrom bp.propagation import forward as f",
        "bp.show.source(d.epoch, f, start='def')",
        "import bp.show as sh\nfrom bp.show import source\nsh.source(g.x)\nsource(*fs, bp.train)",
        "import inspect as ins\nprint(ins.getsource(d.epoch))\nins.getsourcelines(f)",
    ]
    nb = {"cells": [{"cell_type": "code", "source": c} for c in cells]}
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    assert printed_targets(path) == [
        (1, "d.epoch", "bp.descent.epoch"),
        (1, "f", "bp.propagation.forward"),
        (2, "g.x", None),
        (2, "*fs", None),
        (2, "bp.train", "bp.train"),
        (3, "d.epoch", "bp.descent.epoch"),
        (3, "f", "bp.propagation.forward"),
    ]


def test_no_module_is_shadowed_by_a_function():
    """``import bp.<module>`` and ``bp.<name>`` agree: the name is that module or absent."""
    names = [m.name for m in pkgutil.iter_modules(bp.__path__)]
    assert "training" in names and "propagation" in names
    before = {name: getattr(bp, name, None) for name in names}
    for name in names:
        if name != "__main__":
            importlib.import_module(f"bp.{name}")
    clashes = []
    for name in names:
        module = sys.modules.get(f"bp.{name}")
        for when, value in (("after import bp", before[name]), ("now", getattr(bp, name, None))):
            if value is not None and value is not module:
                clashes.append(f"bp.{name} is {value!r} {when}, not the module bp/{name}.py")
        if name in getattr(bp, "__all__", ()) and not inspect.ismodule(getattr(bp, name)):
            clashes.append(f"bp.__all__ exports {name}, which is also a module")
    assert not clashes, "\n".join(clashes)
