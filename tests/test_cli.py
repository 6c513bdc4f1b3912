import subprocess
import sys

from bp.__main__ import main


def test_main_trains_prints_and_plots(tmp_path, capsys):
    plot = tmp_path / "result.png"
    assert main(["--max-iter", "300", "--plot", str(plot)]) == 0
    out = capsys.readouterr()
    assert (
        "two moons" in out.out and "final loss J = " in out.out and "training accuracy" in out.out
    )
    assert "iteration 300/300" in out.err
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_arguments_exit_with_a_message(tmp_path, capsys):
    assert main(["--alpha", "-1", "--plot", str(tmp_path / "p.png")]) == 2
    assert "alpha must be finite and > 0" in capsys.readouterr().err


def test_python_dash_m_bp_help():
    result = subprocess.run(
        [sys.executable, "-m", "bp", "--help"], capture_output=True, text=True, check=True
    )
    assert "usage: python -m bp" in result.stdout
