"""bp's estimators pass scikit-learn's own estimator checks, and work with its tools."""

import os
import pickle
import re
import warnings

import numpy as np
import pytest

import bp

sklearn = pytest.importorskip("sklearn", reason="the estimators need scikit-learn")
from sklearn.base import clone  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from bp.sklearn import BPClassifier, BPRegressor  # noqa: E402


@parametrize_with_checks([BPClassifier(random_state=0), BPRegressor(random_state=0)])
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


def _blobs():
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [3.0, 3.0], [0.0, 4.0]])
    labels = np.repeat(["a", "b", "c"], 30)
    X = centres[np.searchsorted(["a", "b", "c"], labels)] + rng.standard_normal((90, 2))
    return X, labels


def test_cross_validation_pipeline_grid_search_clone_and_pickle():
    X, y = _blobs()
    model = make_pipeline(StandardScaler(), BPClassifier(max_iter=100, random_state=0))
    scores = cross_val_score(model, X, y, cv=3)
    assert scores.mean() > 0.8
    grid = GridSearchCV(
        BPClassifier(max_iter=50, random_state=0),
        {"alpha": [0.01, 0.05], "batch_size": [None, 16]},
        cv=3,
    ).fit(X, y)
    assert set(grid.best_params_) == {"alpha", "batch_size"}
    fitted = BPClassifier(max_iter=50, random_state=0).fit(X, y)
    again = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(again.predict_proba(X), fitted.predict_proba(X))
    assert clone(fitted).get_params() == fitted.get_params()
    assert set(fitted.classes_) == {"a", "b", "c"} and fitted.n_features_in_ == 2


def test_regressor_fit_equals_bp_train_on_the_transposed_data():
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((40, 3)), rng.standard_normal(40)
    model = BPRegressor(hidden_layer_sizes=(5,), optimizer="gd", alpha=0.05, max_iter=7,
                        batch_size=8, random_state=3).fit(X, y)  # fmt: skip
    seed = np.random.default_rng(np.random.RandomState(3).randint(2**31 - 1))
    net = bp.Network((3, 5, 1), "tanh", "identity", seed=seed, init="xavier")
    bp.train(net, X.T, y[np.newaxis, :], alpha=0.05, max_iter=7, epsilon=1e-7, batch_size=8,
             seed=seed, reduction="mean", optimizer="gd")  # fmt: skip
    for l in net.W:
        np.testing.assert_array_equal(model.network_.W[l], net.W[l])
        np.testing.assert_array_equal(model.network_.b[l], net.b[l])
    np.testing.assert_array_equal(model.predict(X), bp.predict(net, X.T)[0])


def test_names_map_to_scikit_learns_mlp():
    """bp's l2=λ with reduction='mean' is MLPClassifier(alpha=λ): the documented mapping."""
    assert "learning_rate_init" in BPClassifier.__doc__ and "l2" in BPClassifier.__doc__
    assert BPClassifier().get_params()["reduction"] == "mean"


@pytest.mark.parametrize("optimizer", ["adam", "momentum"])
def test_partial_fit_twice_equals_fit_with_two_epochs(optimizer):
    # Same seed, same shuffles, the optimizer's state carried over: the same operations
    # in the same order, so the weights are equal bit for bit.
    X, y = np.random.default_rng(0).standard_normal((40, 3)), np.arange(40) % 3
    kwargs = dict(hidden_layer_sizes=(5,), batch_size=8, epsilon=0.0, random_state=1)
    fitted = BPClassifier(max_iter=2, optimizer=optimizer, **kwargs).fit(X, y)
    partial = BPClassifier(optimizer=optimizer, **kwargs)
    partial.partial_fit(X, y, classes=[0, 1, 2]).partial_fit(X, y)
    assert partial.n_iter_ == 2
    for l in fitted.network_.W:
        np.testing.assert_array_equal(partial.network_.W[l], fitted.network_.W[l])
        np.testing.assert_array_equal(partial.network_.b[l], fitted.network_.b[l])


def test_weight_decay_is_forwarded_to_train():
    X, y = np.random.default_rng(0).standard_normal((30, 2)), np.arange(30) % 2
    kwargs = dict(hidden_layer_sizes=(4,), max_iter=3, epsilon=0.0, random_state=0)
    plain = BPClassifier(**kwargs).fit(X, y)
    decayed = BPClassifier(weight_decay=0.5, **kwargs).fit(X, y)
    assert not np.array_equal(plain.network_.W[2], decayed.network_.W[2])


# -- issue 23: scikit-learn's conventions ------------------------------------------------

from sklearn.exceptions import ConvergenceWarning, NotFittedError  # noqa: E402
from sklearn.utils._param_validation import InvalidParameterError  # noqa: E402


@pytest.mark.parametrize(
    "params, name",
    [
        ({"hidden_layer_sizes": "64"}, "hidden_layer_sizes"),
        ({"hidden_layer_sizes": (1.5,)}, "hidden_layer_sizes"),
        ({"hidden_layer_sizes": True}, "hidden_layer_sizes"),
        ({"hidden_layer_sizes": (4, 0)}, "hidden_layer_sizes"),
        ({"shuffle": "no"}, "shuffle"),
        ({"activation": "swish"}, "activation"),
        ({"init": "zeros"}, "init"),
        ({"alpha": -1.0}, "alpha"),
        ({"max_iter": 2.5}, "max_iter"),
        ({"epsilon": "tiny"}, "epsilon"),
        ({"batch_size": 0}, "batch_size"),
        ({"reduction": "median"}, "reduction"),
        ({"l2": -0.1}, "l2"),
        ({"optimizer": "sgd"}, "optimizer"),
        ({"random_state": "seed"}, "random_state"),
    ],
)
@pytest.mark.parametrize("Estimator", [BPClassifier, BPRegressor])
def test_c34_c35_every_parameter_is_validated_at_fit(Estimator, params, name):
    X, y = _blobs()
    if Estimator is BPRegressor:
        y = X[:, 0]
    with pytest.raises((InvalidParameterError, ValueError), match=f"'{name}' parameter") as err:
        Estimator(**{"max_iter": 2, **params}).fit(X, y)
    assert repr(params[name])[:10] in str(err.value) or str(params[name]) in str(err.value)


def test_c34_good_sizes_still_work():
    X, y = _blobs()
    for sizes in (5, (5,), [5, 3], np.array([4])):
        BPClassifier(hidden_layer_sizes=sizes, max_iter=2, random_state=0).fit(X, y)


def test_c36_partial_fit_refuses_changed_classes_as_mlp_does():
    X, y = _blobs()
    model = BPClassifier(random_state=0).partial_fit(X, y, classes=["a", "b", "c"])
    with pytest.raises(ValueError, match="is not the same as on last call to partial_fit"):
        model.partial_fit(X, y, classes=["a", "b", "c", "d"])
    model.partial_fit(X, y, classes=["a", "b", "c"])
    model.partial_fit(X, y)


def test_c37_predict_refuses_a_model_whose_fit_diverged():
    X, _ = _blobs()
    model = BPRegressor(optimizer="gd", alpha=1e6, max_iter=50, random_state=0)
    with pytest.raises(bp.TrainingDiverged):
        model.fit(X * 100, y=X[:, 0] * 1e3)
    with pytest.raises(NotFittedError, match="TrainingDiverged"):
        model.predict(X)
    model.set_params(alpha=0.01, max_iter=3).fit(X, X[:, 0])
    assert model.predict(X).shape == (90,)


# -- survivors of mutation testing (tests/README.md, "Mutation testing") -----------------


def test_a_diverged_fit_leaves_no_fitted_attribute_so_the_next_partial_fit_starts_afresh():
    # scikit-learn's convention: an unfitted estimator has no attribute ending in "_". A
    # diverged fit must not leave its weights to be trained on by the next partial_fit.
    X = np.random.default_rng(0).standard_normal((20, 3))
    y = np.arange(20) % 2
    model = BPClassifier(optimizer="gd", max_iter=2, random_state=0).fit(X, y)
    with pytest.raises(bp.TrainingDiverged):
        model.set_params(alpha=1e6, max_iter=50).fit(X * 100, y)
    for name in ("network_", "history_", "n_iter_", "classes_"):
        assert not hasattr(model, name), name
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        model.partial_fit(X, y)  # a first call again: it needs the classes
    model.set_params(alpha=0.01).partial_fit(X, y, classes=[0, 1])
    assert model.n_iter_ == 1 and np.isfinite(model.network_.W[2]).all()


def test_partial_fit_takes_two_classes_and_refuses_one():
    X = np.random.default_rng(0).standard_normal((20, 3))
    y = np.arange(20) % 2
    model = BPClassifier(random_state=0).partial_fit(X, y, classes=[0, 1])
    assert model.predict_proba(X).shape == (20, 2) and model.n_iter_ == 1
    with pytest.raises(
        ValueError, match=r"^Classifier can't train when only one class is present\.$"
    ):
        BPClassifier(random_state=0).partial_fit(X, np.zeros(20, int), classes=[0])


@pytest.mark.parametrize("Estimator", [BPClassifier, BPRegressor])
def test_partial_fit_converts_features_given_as_objects_to_float64(Estimator):
    # validate_data(dtype=np.float64), as fit: numbers in an object array train as the
    # same float64 X (bp.train itself refuses dtype object).
    X = (np.arange(60).reshape(20, 3) % 7 - 3) / 2
    y = np.arange(20) % 2
    kwargs = dict(hidden_layer_sizes=(4,), optimizer="gd", random_state=0)
    classes = [[0, 1]] if Estimator is BPClassifier else []
    objects = Estimator(**kwargs).partial_fit(X.astype(object), y, *classes)
    floats = Estimator(**kwargs).partial_fit(X, y, *classes)
    for l in floats.network_.W:
        np.testing.assert_array_equal(objects.network_.W[l], floats.network_.W[l])


def test_regressor_partial_fit_takes_numbers_given_as_objects():
    X = np.random.default_rng(0).standard_normal((12, 2))
    y = np.linspace(-1, 1, 12)
    kwargs = dict(hidden_layer_sizes=(3,), optimizer="gd", random_state=0)
    numbers = BPRegressor(**kwargs).partial_fit(X, y)
    objects = BPRegressor(**kwargs).partial_fit(X, y.astype(object))  # y_numeric=True
    np.testing.assert_array_equal(objects.network_.W[2], numbers.network_.W[2])


def test_regressor_partial_fit_twice_equals_fit_with_two_epochs_for_two_outputs():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((30, 3)), rng.standard_normal((30, 2))
    kwargs = dict(hidden_layer_sizes=(5,), batch_size=8, epsilon=0.0, random_state=1)
    fitted = BPRegressor(max_iter=2, **kwargs).fit(X, y)
    partial = BPRegressor(**kwargs).partial_fit(X, y)
    assert partial.n_iter_ == 1
    partial.partial_fit(X, y)
    assert partial.n_iter_ == 2 and partial.predict(X).shape == (30, 2)
    for l in fitted.network_.W:
        np.testing.assert_array_equal(partial.network_.W[l], fitted.network_.W[l])
        np.testing.assert_array_equal(partial.network_.b[l], fitted.network_.b[l])


def test_regressor_partial_fit_keeps_its_number_of_outputs():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((10, 2)), rng.standard_normal(10)
    model = BPRegressor(hidden_layer_sizes=(3,), random_state=0).partial_fit(X, y)
    assert model.predict(X).shape == (10,)  # 1-D y: 1-D predictions
    model.partial_fit(X, y[:, np.newaxis])  # (n, 1) is still one output
    assert model.predict(X).shape == (10,) and model.n_iter_ == 2
    with pytest.raises(
        ValueError, match=r"^y has another number of outputs than in the first partial_fit$"
    ):
        model.partial_fit(X, np.column_stack([y, y]))
    column = BPRegressor(hidden_layer_sizes=(3,), random_state=0).partial_fit(X, y[:, None])
    assert column.predict(X).shape == (10, 1)
    column.partial_fit(X, y)  # and after (n, 1), a 1-D y is one output too


def test_decision_function_gives_minus_inf_for_a_probability_of_0_without_a_warning(monkeypatch):
    X, y = np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0, 0, 1, 1])
    clf = BPClassifier(hidden_layer_sizes=(2,), max_iter=2, random_state=0).fit(X, y)
    monkeypatch.setattr(clf, "predict_proba", lambda X: np.array([[1.0, 0.0], [0.0, 1.0]]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert clf.decision_function(X[:2]).tolist() == [-np.inf, np.inf]


@pytest.mark.parametrize("Estimator", [BPClassifier, BPRegressor])
def test_a_bad_hidden_layer_size_is_refused_naming_the_estimator(Estimator):
    """Worded as scikit-learn's own parameter errors ("The 'alpha' parameter of BPClassifier
    must be ..."): the class's name, the range, and the value given."""
    X, y = _blobs()
    if Estimator is BPRegressor:
        y = X[:, 0]
    expected = (
        f"The 'hidden_layer_sizes' parameter of {Estimator.__name__} must be an int in the "
        "range [1, inf) or a sequence of them. Got (4, 1.5) instead."
    )
    with pytest.raises(InvalidParameterError, match=f"^{re.escape(expected)}$"):
        Estimator(hidden_layer_sizes=(4, 1.5)).fit(X, y)


@pytest.mark.parametrize(
    "hidden, sizes",
    [(1, (1,)), ((1,), (1,)), ([3, 1], (3, 1)), (np.array(5), (5,)), (np.array([4, 1]), (4, 1))],
    ids=["1", "(1,)", "[3, 1]", "np.array(5)", "np.array([4, 1])"],
)
def test_hidden_layer_sizes_take_one_unit_and_int_arrays_of_any_shape_up_to_1_d(hidden, sizes):
    # [1, inf): a hidden layer of one unit is allowed, as in MLPClassifier. A NumPy array
    # counts as its list of ints; a 0-d array, as its one int.
    X, y = _blobs()
    model = BPClassifier(hidden_layer_sizes=hidden, max_iter=2, random_state=0).fit(X, y)
    assert model.network_.sizes == (2, *sizes, 3)


@pytest.mark.parametrize(
    "setting", [{"shuffle": False}, {"l2": 0.3}, {"optimizer": "momentum"}], ids=str
)
def test_regressor_fit_forwards_shuffle_l2_and_optimizer_to_bp_train(setting):
    # Each differs from bp.train's default (shuffle=True, l2=0, optimizer="gd"), so a setting
    # that did not reach bp.train would train other weights.
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((40, 3)), rng.standard_normal(40)
    settings = {"shuffle": True, "l2": 0.0, "optimizer": "gd", **setting}
    model = BPRegressor(hidden_layer_sizes=(5,), alpha=0.05, max_iter=3, batch_size=8,
                        random_state=3, **settings).fit(X, y)  # fmt: skip
    seed = np.random.default_rng(np.random.RandomState(3).randint(2**31 - 1))
    net = bp.Network((3, 5, 1), "tanh", "identity", seed=seed, init="xavier")
    bp.train(net, X.T, y[np.newaxis, :], alpha=0.05, max_iter=3, epsilon=1e-7, batch_size=8,
             seed=seed, reduction="mean", **settings)  # fmt: skip
    for l in net.W:
        np.testing.assert_array_equal(model.network_.W[l], net.W[l])
        np.testing.assert_array_equal(model.network_.b[l], net.b[l])


def _untemper(y: int) -> int:
    """The Mersenne Twister's state word that its tempering turns into the output y."""
    y ^= y >> 18
    y ^= (y << 15) & 0xEFC60000
    x = y
    for _ in range(4):  # undo y ^= (y << 7) & 0x9D2C5680, 7 bits more each time
        x = y ^ ((x << 7) & 0x9D2C5680)
    x &= 0xFFFFFFFF
    z = x
    for _ in range(2):  # undo y ^= y >> 11
        z = x ^ (z >> 11)
    return z


def test_fit_draws_its_seed_from_all_of_0_to_2_31_minus_2():
    # fit's seed is random_state.randint(2**31 - 1): 0..2**31 - 2, the top one included. A
    # RandomState set up so that its next 32-bit draw is 2**31 - 2 must give that seed.
    key = np.random.RandomState(0).get_state()[1].copy()
    key[0] = _untemper(2**31 - 2)
    state = ("MT19937", key, 0)  # position 0: the next draw is key[0], tempered
    check = np.random.RandomState()
    check.set_state(state)
    assert check.randint(2**31 - 1) == 2**31 - 2
    random_state = np.random.RandomState()
    random_state.set_state(state)
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((12, 2)), rng.standard_normal(12)
    model = BPRegressor(hidden_layer_sizes=(3,), optimizer="gd", max_iter=2,
                        random_state=random_state).fit(X, y)  # fmt: skip
    seed = np.random.default_rng(2**31 - 2)
    net = bp.Network((2, 3, 1), "tanh", "identity", seed=seed, init="xavier")
    bp.train(net, X.T, y[np.newaxis, :], alpha=0.01, max_iter=2, epsilon=1e-7, seed=seed,
             reduction="mean")  # fmt: skip
    for l in net.W:
        np.testing.assert_array_equal(model.network_.W[l], net.W[l])


def _stalled_fit(method: str):
    """fit or partial_fit with a step α=20 too large: J rises without overflowing, so bp.train
    marks the run stalled (the model and the warnings recorded; the call is in this file)."""
    X, y = np.random.default_rng(0).standard_normal((20, 2)), np.arange(20) % 2
    model = BPClassifier(hidden_layer_sizes=(8,), activation="relu", init="he", alpha=20.0,
                         optimizer="gd", max_iter=30, epsilon=0.0, random_state=0)  # fmt: skip
    classes = [[0, 1]] if method == "partial_fit" else []
    with pytest.warns(ConvergenceWarning) as record:
        getattr(model, method)(X, y, *classes)
    return model, record


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_a_stalled_fit_warns_convergence_warning_with_its_reason(method):
    # fit says why, as scikit-learn's MLP warns when it stops unconverged
    model, record = _stalled_fit(method)
    [warning] = record
    assert model.history_.stalled and "α is probably too large" in model.history_.reason
    assert str(warning.message) == f"training stalled: {model.history_.reason}"


# mutmut wraps each of bp's functions in a trampoline, one more frame between the caller and
# the warning: under a mutation run (MUTANT_UNDER_TEST set) no stacklevel can name this file.
@pytest.mark.skipif("MUTANT_UNDER_TEST" in os.environ, reason="mutmut's trampolines add frames")
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_the_stall_warning_points_at_the_callers_line(method):
    _, record = _stalled_fit(method)
    assert record[0].filename == __file__  # stacklevel=3: this line, not one inside bp/


@pytest.mark.parametrize("Estimator", [BPClassifier, BPRegressor])
def test_predict_after_a_diverged_fit_says_which_estimator_and_why(Estimator):
    X = np.random.default_rng(0).standard_normal((20, 3))
    y = np.arange(20) % 2 if Estimator is BPClassifier else X[:, 0] * 1e3
    model = Estimator(optimizer="gd", alpha=1e6, max_iter=50, random_state=0)
    with pytest.raises(bp.TrainingDiverged) as diverged:
        model.fit(X * 100, y)
    expected = (
        f"This {Estimator.__name__} instance is not fitted: its last fit raised TrainingDiverged "
        f"({diverged.value}). Call 'fit' again (with a smaller alpha, for instance) before "
        "using this estimator."
    )
    with pytest.raises(NotFittedError, match=f"^{re.escape(expected)}$"):
        model.predict(X)


def test_fit_refuses_a_single_class_and_the_classifier_stays_unfitted():
    """The refusal comes after validate_data set n_features_in_ and fit set classes_: the
    classifier counts as fitted only once it has network_, so predict raises scikit-learn's
    NotFittedError (check_is_fitted's wording), not an AttributeError."""
    X = np.random.default_rng(0).standard_normal((20, 3))
    model = BPClassifier(random_state=0)
    with pytest.raises(
        ValueError, match=r"^Classifier can't train when only one class is present\.$"
    ):
        model.fit(X, np.zeros(20, int))
    with pytest.raises(
        NotFittedError,
        match=r"^This BPClassifier instance is not fitted yet\. Call 'fit' with appropriate "
        r"arguments before using this estimator\.$",
    ):
        model.predict(X)


def test_a_refused_refit_leaves_no_model_behind():
    """A fitted 3-class classifier refit on one class refuses it, and its old network must not
    answer for the new classes_: predict says the classifier is not fitted (it raised an
    IndexError, after classes_ had been overwritten with one class)."""
    X, y = _blobs()  # labels "a", "b", "c"
    model = BPClassifier(random_state=0, max_iter=5).fit(X, y)
    with pytest.raises(ValueError, match="only one class"):
        model.fit(X, np.full(len(y), "a"))
    assert not hasattr(model, "network_") and not hasattr(model, "classes_")
    with pytest.raises(NotFittedError, match="is not fitted yet"):
        model.predict(X)


def test_a_refused_first_partial_fit_still_needs_classes():
    """partial_fit(classes=[one label]) is refused; the next call without classes is refused
    too (classes are needed on the first call), not trained as a one-class softmax."""
    X, y = _blobs()
    model = BPClassifier(random_state=0)
    with pytest.raises(ValueError, match="only one class"):
        model.partial_fit(X, np.full(len(y), "a"), classes=["a"])
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        model.partial_fit(X, np.full(len(y), "a"))
    assert not hasattr(model, "network_")


def test_partial_fit_refuses_labels_outside_its_classes():
    X, y = _blobs()  # labels "a", "b", "c"
    with pytest.raises(ValueError, match=r"^y holds labels outside classes_=\['a', 'b'\]$"):
        BPClassifier(random_state=0).partial_fit(X, y, classes=["a", "b"])


def test_partial_fit_batches_need_not_hold_every_class():
    # As MLPClassifier: classes= names them all on the first call, so the network has one
    # output per class even when a batch lacks the last ones.
    X, y = _blobs()  # labels "a", "b", "c"
    model = BPClassifier(random_state=0)
    model.partial_fit(X[y != "c"], y[y != "c"], classes=["a", "b", "c"])
    assert model.network_.sizes[-1] == 3 and model.predict_proba(X).shape == (90, 3)
    model.partial_fit(X[y == "a"], y[y == "a"])  # one class alone
    assert model.n_iter_ == 2 and model.predict_proba(X).shape == (90, 3)


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
@pytest.mark.parametrize("Estimator", [BPClassifier, BPRegressor])
def test_features_given_as_strings_of_numbers_train_and_predict_as_the_numbers(Estimator, method):
    """validate_data(dtype=np.float64) converts X as float() does, in fit, partial_fit and
    predict (as MLPClassifier's fit; its predict refuses them): scikit-learn's default,
    dtype="numeric", refuses strings."""
    X = np.random.default_rng(0).standard_normal((20, 3))
    text = X.astype(str)  # as read from a text file: each string gives back its float exactly
    y = np.arange(20) % 2
    kwargs = dict(hidden_layer_sizes=(4,), max_iter=3, random_state=0)
    classes = [[0, 1]] if Estimator is BPClassifier and method == "partial_fit" else []
    numbers = getattr(Estimator(**kwargs), method)(X, y, *classes)
    strings = getattr(Estimator(**kwargs), method)(text, y, *classes)
    for l in numbers.network_.W:
        np.testing.assert_array_equal(strings.network_.W[l], numbers.network_.W[l])
    np.testing.assert_array_equal(strings.predict(text), numbers.predict(X))
