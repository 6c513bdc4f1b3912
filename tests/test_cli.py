import os
import subprocess
import sys

import pytest

import bp
from bp.cli import main


def test_main_job_trains_prints_and_plots(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["--max-iter", "300"]) == 0
    out = capsys.readouterr()
    assert "task: moons" in out.out and "training: J (sum) = " in out.out
    assert "test: J (sum) = " in out.out and "accuracy = " in out.out
    assert "iteration 300/300" in out.err
    assert (tmp_path / "bp_moons.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_train_save_then_evaluate(tmp_path, capsys):
    model = tmp_path / "xor.npz"
    args = ["train", "--task", "xor", "--quiet", "--no-plot", "--save", str(model)]
    assert main(args) == 0
    trained = capsys.readouterr().out
    assert "model saved to" in trained and "accuracy = 100.0%" in trained
    assert main(["evaluate", str(model), "--task", "xor"]) == 0
    evaluated = capsys.readouterr().out
    assert "Network(sizes=(2, 4, 1)" in evaluated and "accuracy = 100.0%" in evaluated


def test_options_reach_the_network_and_trainer(tmp_path, capsys):
    model = tmp_path / "m.npz"
    args = ["train", "--task", "circles", "--sizes", "2", "5", "3", "1", "--activation", "tanh"]
    args += ["--output-activation", "sigmoid", "--alpha", "0.1", "--max-iter", "7"]
    args += ["--batch-size", "16", "--reduction", "mean", "--l2", "0.01", "--quiet"]
    args += ["--no-plot", "--save", str(model)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "alpha = 0.1, max_iter = 7, epsilon = 0.0001, batch_size = 16" in out
    assert "reduction = mean" in out and "l2 = 0.01" in out
    assert "stopped after 7 iteration(s)" in out
    net = bp.load(model)
    assert net.sizes == (2, 5, 3, 1) and net.activation.name == "tanh"


def test_tasks_lists_every_task(capsys):
    assert main(["tasks"]) == 0
    out = capsys.readouterr().out
    for name in ("moons", "xor", "circles", "spiral", "sine", "digits"):
        assert name in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["--alpha", "-1"], "alpha must be finite and > 0"),
        (["--sizes", "3", "4", "1"], "--sizes 3 4 1: the task moons has 2 inputs"),
        (["--activation", "swish"], "activation='swish' is not a known activation"),
        (["--max-iter", "5", "--batch-size", "999"], "batch_size=999 is larger than"),
    ],
)
def test_bad_values_exit_2_with_a_message(args, message, capsys, tmp_path):
    assert main([*args, "--no-plot", "--quiet"]) == 2
    assert message in capsys.readouterr().err


def test_unknown_option_or_task_exits_2(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--task", "mnist"])
    assert exit_.value.code == 2
    assert "invalid choice: 'mnist'" in capsys.readouterr().err


def test_missing_or_corrupt_model_exits_1(tmp_path, capsys):
    assert main(["evaluate", str(tmp_path / "none.npz")]) == 1
    assert "no bp model file" in capsys.readouterr().err
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"garbage")
    assert main(["evaluate", str(bad)]) == 1
    assert "not a readable .npz file" in capsys.readouterr().err


def test_zero_is_not_taken_for_unset(capsys):
    assert main(["--max-iter", "0", "--no-plot", "--quiet"]) == 2
    assert "max_iter must be an integer >= 1; got 0" in capsys.readouterr().err
    assert main(["--batch-size", "0", "--no-plot", "--quiet"]) == 2
    assert "batch_size must be an integer >= 1; got 0" in capsys.readouterr().err


def test_hidden_activation_keeps_the_tasks_output_layer(capsys):
    args = ["--task", "spiral", "--activation", "relu", "--max-iter", "3", "--no-plot", "--quiet"]
    assert main(args) == 0
    assert "activation='relu', output_activation='softmax'" in capsys.readouterr().out


def test_evaluate_reports_with_the_tasks_reduction(tmp_path, capsys):
    model = str(tmp_path / "m.npz")
    assert main(["--max-iter", "5", "--no-plot", "--quiet", "--save", model]) == 0
    trained = capsys.readouterr().out.splitlines()
    assert main(["evaluate", model]) == 0
    evaluated = capsys.readouterr().out.splitlines()
    assert [l for l in trained if l.startswith("test:")] == [
        l for l in evaluated if l.startswith("test:")
    ]


def test_too_few_samples_to_test_on(capsys):
    assert main(["--m", "3", "--no-plot", "--quiet"]) == 2
    assert "--m 3 leaves no samples to test on" in capsys.readouterr().err


def test_divergence_exits_1(capsys):
    args = ["--task", "sine", "--alpha", "1e6", "--max-iter", "50", "--no-plot", "--quiet"]
    assert main(args) == 1
    assert "diverged" in capsys.readouterr().err


def test_interrupted_training_saves_and_exits_130(tmp_path, monkeypatch, capsys):
    def interrupted_train(*args, **kwargs):
        return bp.History(loss=[1.0], iterations=1, interrupted=True, max_change=[0.1])

    monkeypatch.setattr(bp, "train", interrupted_train)
    model = tmp_path / "m.npz"
    assert main(["--no-plot", "--save", str(model)]) == 130
    assert model.exists()


def test_python_dash_m_bp_help():
    result = subprocess.run(
        [sys.executable, "-m", "bp", "--help"], capture_output=True, text=True, check=True
    )
    assert "usage: python -m bp" in result.stdout
    assert "python -m bp evaluate spiral.npz" in result.stdout


# -- issue 23: the command line checks its paths and flags before it trains ----------------


def _refused_before_training(args, message, capsys, code=2):
    assert main(["train", "--quiet", "--max-iter", "3", *args]) == code
    captured = capsys.readouterr()
    assert message in captured.err, captured.err
    assert "iteration" not in captured.out and "training: J" not in captured.out


def test_c3_the_same_path_for_save_and_plot_is_refused_before_training(tmp_path, capsys):
    path = str(tmp_path / "out.png")
    _refused_before_training(["--save", path, "--plot", path], "--save and --plot", capsys)
    assert not (tmp_path / "out.png").exists()
    noext = str(tmp_path / "fig")  # --plot fig writes fig.png
    _refused_before_training(["--save", noext + ".png", "--plot", noext], "same file", capsys)


def test_c30_a_plot_without_extension_reports_the_file_written(tmp_path, capsys):
    assert main(["train", "--quiet", "--max-iter", "3", "--plot", str(tmp_path / "noext")]) == 0
    assert f"figure written to {tmp_path / 'noext.png'}" in capsys.readouterr().out
    assert (tmp_path / "noext.png").exists()


def test_c31_special_files_and_wrong_extensions_are_refused_before_training(tmp_path, capsys):
    fifo, fifo_png = tmp_path / "fifo.npz", tmp_path / "fifo.png"
    os.mkfifo(fifo)
    os.mkfifo(fifo_png)
    for args, message in [
        (["--save", "/dev/null", "--no-plot"], "--save '/dev/null' is not a regular file"),
        (["--save", str(fifo), "--no-plot"], "is not a regular file"),
        (["--plot", str(fifo_png)], "is not a regular file"),
        (["--plot", str(tmp_path / "out.txt")], "matplotlib cannot write .txt figures"),
        (["--save", str(tmp_path / "m.png"), "--no-plot"], "names a figure file"),
    ]:
        _refused_before_training(args, message, capsys)


def test_c28_a_sizes_mismatch_names_the_flag_and_the_task(tmp_path, capsys):
    _refused_before_training(["--sizes", "3", "8", "1"], "--sizes 3 8 1", capsys)
    assert main(["train", "--sizes", "3", "8", "1", "--no-plot", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "moons" in err and "2 inputs" in err and "--sizes 2 8 1" in err
    model = _with_info(tmp_path)  # (2, 4, 1), no task recorded
    assert main(["evaluate", model, "--task", "spiral"]) == 2
    err = capsys.readouterr().err
    assert "1 output(s), but the task spiral has 2 and 3" in err and "--task" in err


def test_c29_a_closed_pipe_ends_quietly():
    """`python -m bp tasks | head -1`: the reader has gone before bp writes (made certain here)."""
    proc = subprocess.Popen([sys.executable, "-m", "bp", "tasks"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    proc.stdout.close()
    err = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait(timeout=120) == 0 and err == ""


def _with_info(tmp_path, **info):
    path = tmp_path / "m.npz"
    bp.save(bp.Network((2, 4, 1), seed=0), path, **info)
    return str(path)


def test_c7_an_absurd_m_in_a_model_is_refused(tmp_path, capsys):
    model = _with_info(tmp_path, task="moons", m=30_000_000, seed=0)
    assert main(["evaluate", model]) == 1
    assert "m = 30000000" in capsys.readouterr().err


@pytest.mark.parametrize(
    "info, message",
    [
        ({"task": 5}, "task = 5"),
        ({"task": "mnist"}, "task = 'mnist'"),
        ({"task": "xor", "m": "many"}, "m = 'many'"),
        ({"task": "xor", "seed": -3}, "seed = -3"),
        ({"task": "xor", "m": 2.5}, "m = 2.5"),
    ],
)
def test_c32_bad_info_fields_give_a_clean_message(tmp_path, capsys, info, message):
    model = _with_info(tmp_path, **info)
    assert main(["evaluate", model]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and "not '5'" not in err


def test_c33_a_negative_seed_names_the_flag(capsys):
    assert main(["--seed", "-1", "--no-plot", "--quiet"]) == 2
    assert "--seed must be an integer >= 0; got -1" in capsys.readouterr().err
    assert main(["--m", "-5", "--no-plot", "--quiet"]) == 2
    assert "--m must be an integer >= 1; got -5" in capsys.readouterr().err


def test_c20_the_readmes_command_line_example_learns_and_ends_steady(tmp_path, monkeypatch, capsys):
    import pathlib
    import re
    import shlex

    readme = (pathlib.Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")
    command = re.search(r"python -m bp train --task moons (?:[^\n]*\\\n)*[^\n]*", readme).group(0)
    argv = shlex.split(command.replace("\\\n", " "))[3:]
    real_train, histories = bp.train, []

    def recording_train(*args, **kwargs):
        histories.append(real_train(*args, **kwargs))
        return histories[-1]

    monkeypatch.setattr(bp, "train", recording_train)
    monkeypatch.chdir(tmp_path)
    assert main([*argv, "--quiet", "--no-plot"]) == 0
    test_line = next(l for l in capsys.readouterr().out.splitlines() if l.startswith("test:"))
    assert float(re.search(r"accuracy = ([\d.]+)%", test_line).group(1)) >= 95.0
    loss = histories[0].loss
    assert loss[-1] <= loss[int(0.9 * len(loss)) - 1]  # J does not rise over the last 10 %
