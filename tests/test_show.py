"""bp.show: a function's source, as the text print(inspect.getsource(f)) printed and as a
fenced Python block in Markdown (highlighted in Jupyter and on the site), issue 25 item 3."""

from __future__ import annotations

import inspect

import pytest

import bp
from bp.show import Source, source


def test_text_is_the_source():
    shown = source(bp.propagation.output_delta)
    assert isinstance(shown, Source)
    assert repr(shown) == str(shown) == inspect.getsource(bp.propagation.output_delta)


def test_several_functions_one_after_another_as_print_showed_them(capsys):
    functions = (bp.propagation.weight_gradient, bp.propagation.bias_gradient, bp.History)
    for f in functions:
        print(inspect.getsource(f))
    printed = capsys.readouterr().out
    shown = source(*functions)
    assert repr(shown) + "\n" == printed  # print's own newline aside, the same text
    assert repr(shown).count("\ndef ") == 1 and "\nclass History" in repr(shown)


def test_markdown_is_the_same_text_in_a_python_fence():
    shown = source(bp.activations.sigmoid, bp.activations.sigmoid_prime)
    markdown = shown._repr_markdown_()
    assert markdown == f"```python\n{shown!r}```\n"
    assert not hasattr(shown, "_repr_html_")  # no highlighter's HTML: it changes by version


def test_a_fence_is_longer_than_any_backtick_run_in_the_text():
    markdown = Source("def f():\n    return '````'\n")._repr_markdown_()
    assert markdown.startswith("`````python\n") and markdown.endswith("\n`````\n")
    assert Source("x = 1")._repr_markdown_() == "```python\nx = 1\n```\n"


def test_methods_properties_and_classes():
    assert repr(source(bp.Network.n)).startswith("    def n(self, l: int) -> int:")
    assert repr(source(bp.Network.__init__)) == inspect.getsource(bp.Network.__init__)
    assert repr(source(bp.History)).startswith("@dataclass")
    prop = property(bp.Network.n)
    assert repr(source(prop)) == inspect.getsource(bp.Network.n)


def test_start_shows_a_part():
    whole = inspect.getsource(bp.Network.__init__)
    part = source(bp.Network.__init__, start="rng = ")
    assert repr(part) == whole[whole.index("        rng = ") :]
    with pytest.raises(ValueError, match="no line starts with start='nowhere'"):
        source(bp.Network.__init__, start="nowhere")


@pytest.mark.parametrize(
    ("arguments", "index", "what"),
    [
        ((bp.propagation.forward, 3), 2, "3, of type int"),
        ((bp.activations,), 1, "of type module"),
        ((len,), 1, "<built-in function len>, of type builtin_function_or_method"),
        (("bp.propagation.forward",), 1, "'bp.propagation.forward', of type str"),
    ],
)
def test_anything_else_is_refused_by_name(arguments, index, what):
    with pytest.raises(TypeError) as error:
        source(*arguments)
    message = str(error.value)
    assert f"argument {index} is" in message and what in message
    assert "expected a function, method or class" in message


def test_nothing_to_show_is_refused():
    with pytest.raises(TypeError, match="at least one function"):
        source()
    namespace: dict = {}
    exec("def made(): pass", namespace)  # no file behind it: no source
    with pytest.raises(TypeError, match=r"argument 1, <function made .*has no source"):
        source(namespace["made"])


def test_jupyter_displays_text_and_markdown_only():
    """IPython's formatters give exactly these two: what nbval stores and compares."""
    formatters = pytest.importorskip("IPython.core.formatters")
    shown = source(bp.propagation.output_delta, bp.propagation.output_error)
    data, _ = formatters.DisplayFormatter().format(shown)
    assert sorted(data) == ["text/markdown", "text/plain"]
    assert data["text/plain"] == repr(shown)  # every line and the final newline kept
    assert data["text/markdown"] == shown._repr_markdown_()


def test_reachable_as_an_attribute_of_bp():
    assert bp.show.source is source
