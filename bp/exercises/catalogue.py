r"""The catalogue: the known wrong versions of each step, each with its name and one-line reason.

These are deliberate second copies of the document's formulas, each with one
slip in it, kept apart from the formula modules (``bp.propagation`` and the
others hold the one right version). ``bp.exercises.check`` runs a learner's
function and these on the same cases; when the learner's results equal one of
them on every case, the checker names that mistake.

Every wrong function has the signature of its step (see ``bp.exercises``).
Where a slip cannot run (the backward loop starting at l = L asks for
W^{L+1}), the wrong function fails the way the learner's would.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np

from bp.activations import ACTIVATIONS

Array = np.ndarray

NB01 = "notebooks/01_forward_propagation.ipynb"
NB02 = "notebooks/02_loss.ipynb"
NB03 = "notebooks/03_output_layer.ipynb"
NB04 = "notebooks/04_recursion.ipynb"
NB05 = "notebooks/05_update_rule.ipynb"
NB06 = "notebooks/06_algorithm.ipynb"


@dataclass(frozen=True)
class Mistake:
    """A known mistake: its name, why it is wrong (one line), a function that makes it, and
    where the notebooks derive the right formula."""

    name: str
    explanation: str
    wrong: Callable | None = None
    where: str = ""

    def __str__(self) -> str:
        return f"{self.name}: {self.explanation}"


def _sigma_of(sigma_prime: Callable) -> Callable:
    """σ for a σ' of bp.activations (to evaluate σ'(a) = σ'(σ(z)), a slip some learners make)."""
    for act in ACTIVATIONS.values():
        if act.sigma_prime is sigma_prime:
            return act.sigma
    raise LookupError("not one of bp.activations")


# ---------------------------------------------------------------- one layer forward


def _forward_WT(W, a_prev, b, sigma):
    z = W.T @ a_prev + b
    return z, sigma(z)


def _forward_no_bias(W, a_prev, b, sigma):
    z = W @ a_prev
    return z, sigma(z)


def _forward_sigma_before_bias(W, a_prev, b, sigma):
    z = W @ a_prev
    return z, sigma(z) + b


def _forward_swapped(W, a_prev, b, sigma):
    z = W @ a_prev + b
    return sigma(z), z


def _forward_bT(W, a_prev, b, sigma):
    z = W @ a_prev + b.T
    return z, sigma(z)


# ---------------------------------------------------------------- the loss J


def _loss_mean(z, a, y):
    return 0.5 * np.sum((a - y) ** 2) / y.shape[1]


def _loss_mean_entries(z, a, y):
    return 0.5 * np.mean((a - y) ** 2)


def _loss_no_half(z, a, y):
    return np.sum((a - y) ** 2)


def _loss_norm(z, a, y):
    return 0.5 * np.linalg.norm(a - y)


def _loss_per_sample(z, a, y):
    return 0.5 * np.sum((a - y) ** 2, axis=0)


def _loss_of_z(z, a, y):
    return 0.5 * np.sum((z - y) ** 2)


# ---------------------------------------------------------------- ∂J/∂a^L


def _dJ_sign(a, y):
    return y - a


def _dJ_two(a, y):
    return 2 * (a - y)


def _dJ_mean(a, y):
    return (a - y) / y.shape[1]


def _dJ_loss(a, y):
    return 0.5 * (a - y) ** 2


# ---------------------------------------------------------------- δ^L


def _output_no_sigma_prime(dJ_da, z_L, sigma_prime):
    return dJ_da.copy()


def _output_sign(dJ_da, z_L, sigma_prime):
    return -dJ_da * sigma_prime(z_L)


def _output_sigma_prime_of_a(dJ_da, z_L, sigma_prime):
    return dJ_da * sigma_prime(_sigma_of(sigma_prime)(z_L))


def _output_z_as_a(dJ_da, z_L, sigma_prime):
    return dJ_da * sigma_prime(z_L, z_L)


def _output_matmul(dJ_da, z_L, sigma_prime):
    return dJ_da @ sigma_prime(z_L)


# ---------------------------------------------------------------- ∂J/∂W^l


def _dW_transposed(delta, a_prev):
    return a_prev @ delta.T


def _dW_no_transpose(delta, a_prev):
    return delta @ a_prev


def _dW_hadamard(delta, a_prev):
    return delta * a_prev


def _dW_mean(delta, a_prev):
    return delta @ a_prev.T / delta.shape[1]


def _dW_sign(delta, a_prev):
    return -(delta @ a_prev.T)


# ---------------------------------------------------------------- ∂J/∂b^l


def _db_not_summed(delta):
    return delta.copy()


def _db_wrong_axis(delta):
    return delta.sum(axis=0, keepdims=True)


def _db_flat(delta):
    return delta.sum(axis=1)


def _db_mean(delta):
    return delta.mean(axis=1, keepdims=True)


# ---------------------------------------------------------------- δ^l, the recursion


def _hidden_W(W_next, delta_next, z, sigma_prime):
    return (W_next @ delta_next) * sigma_prime(z)


def _hidden_hadamard_first(W_next, delta_next, z, sigma_prime):
    return W_next.T @ (delta_next * sigma_prime(z))


def _hidden_no_sigma_prime(W_next, delta_next, z, sigma_prime):
    return W_next.T @ delta_next


def _hidden_sign(W_next, delta_next, z, sigma_prime):
    return -(W_next.T @ delta_next) * sigma_prime(z)


def _hidden_sigma_prime_of_a(W_next, delta_next, z, sigma_prime):
    return (W_next.T @ delta_next) * sigma_prime(_sigma_of(sigma_prime)(z))


# ---------------------------------------------------------------- the backward pass


def _backward(net, z, a, Y, *, first=None, last=2, of_a=False, hidden_at_L=False, W_of=None):
    """δ^L from the document's loss, then the recursion, with the slips chosen by the keywords."""
    L, delta = net.L, {}

    def sp(l, act):
        return act.sigma_prime(a[l] if of_a else z[l])

    delta[L] = (a[L] - Y) * sp(L, net.activation if hidden_at_L else net.output_activation)
    for l in range(L - 1 if first is None else first, last - 1, -1):
        W = net.W[l + 1].T if W_of is None else W_of(net, l)
        delta[l] = (W @ delta[l + 1]) * sp(l, net.activation)
    return delta


# ---------------------------------------------------------------- ∂J/∂W^l, ∂J/∂b^l for every layer


def _gradients(
    net, delta, a, *, a_of=lambda l: l - 1, db_sum=True, scale=False, last=None, T=False
):
    dW, db = {}, {}
    m = a[1].shape[1]
    for l in range(2, (net.L if last is None else last) + 1):
        dW[l] = a[a_of(l)] @ delta[l].T if T else delta[l] @ a[a_of(l)].T
        db[l] = delta[l].sum(axis=1, keepdims=True) if db_sum else delta[l].copy()
        if scale:
            dW[l], db[l] = dW[l] / m, db[l] / m
    return dW, db


# ---------------------------------------------------------------- the update rule


def _update(net, dW, db, alpha, *, sign=1.0, step_alpha=True, biases=True, last=None, lost=False):
    step = alpha if step_alpha else 1.0
    for l in range(2, (net.L if last is None else last) + 1):
        W, b = net.W[l], net.b[l]
        if lost:
            W = W - step * dW[l]  # a new array, bound to a local name only
            b = b - step * db[l]
            continue
        W -= sign * step * dW[l]
        if biases:
            b -= sign * step * db[l]


# ---------------------------------------------------------------- one iteration


def _iteration(
    net, X, Y, alpha, *, stochastic=False, mean=False, sign=1.0, first=None, a_l=False,
    update_in_backward=False, of_a=False,
):  # fmt: skip
    """One iteration of batch descent on the summed J, with the slips chosen by the keywords."""
    L, m = net.L, X.shape[1]
    step = sign * (alpha / m if mean else alpha)
    for x, y in [(X[:, [i]], Y[:, [i]]) for i in range(m)] if stochastic else [(X, Y)]:
        z, a = {}, {1: x}
        for l in range(2, L + 1):
            z[l] = net.W[l] @ a[l - 1] + net.b[l]
            a[l] = net.activation_of(l).sigma(z[l])
        sp = {l: net.activation_of(l).sigma_prime(a[l] if of_a else z[l]) for l in z}
        delta = {L: (a[L] - y) * sp[L]}
        changed = []
        for l in range(L, 1, -1):
            if l < L or first == L:
                delta[l] = (net.W[l + 1].T @ delta[l + 1]) * sp[l]
            if update_in_backward:
                _change(net, l, delta[l], a[l] if a_l else a[l - 1], step)
                changed.append(l)
        for l in range(2, L + 1):
            if l not in changed:
                _change(net, l, delta[l], a[l] if a_l else a[l - 1], step)


def _change(net, l, delta, a_prev, step):
    net.W[l] -= step * (delta @ a_prev.T)
    net.b[l] -= step * delta.sum(axis=1, keepdims=True)


# ---------------------------------------------------------------- the ε test


def _changes(before, after):
    return [np.abs(after[l] - before[l]) for l in before]


def _stop_sum(W_before, b_before, W_after, b_after, epsilon):
    return (
        sum(float(c.sum()) for c in _changes(W_before, W_after) + _changes(b_before, b_after))
        < epsilon
    )


def _stop_any(W_before, b_before, W_after, b_after, epsilon):
    return (
        min(float(c.min()) for c in _changes(W_before, W_after) + _changes(b_before, b_after))
        < epsilon
    )


def _stop_signed(W_before, b_before, W_after, b_after, epsilon):
    pairs = [(W_before, W_after), (b_before, b_after)]
    return (
        max(float(np.max(after[l] - before[l])) for before, after in pairs for l in before)
        < epsilon
    )


def _stop_weights_only(W_before, b_before, W_after, b_after, epsilon):
    return max(float(c.max()) for c in _changes(W_before, W_after)) < epsilon


def _stop_at_most(W_before, b_before, W_after, b_after, epsilon):
    return (
        max(float(c.max()) for c in _changes(W_before, W_after) + _changes(b_before, b_after))
        <= epsilon
    )


# ---------------------------------------------------------------- the catalogue

_SIGN = "a sign error"
_MEAN = "the mean instead of the sum"

CATALOGUE: dict[str, tuple[Mistake, ...]] = {
    "layer_forward": (
        Mistake(
            "W^T instead of W",
            "z^l = (W^l)^T a^{l-1} + b^l: row j of W^l holds the weights of neuron j, so z^l = "
            "W^l a^{l-1} + b^l; the transpose only runs when n_l = n_{l-1}, and is then wrong.",
            _forward_WT,
            f'{NB01}, section "Derivation" (one layer, one sample)',
        ),
        Mistake(
            "the bias left out",
            "z^l = W^l a^{l-1}: b^l is never added; z^l = W^l a^{l-1} + b^l.",
            _forward_no_bias,
            f'{NB01}, section "Derivation" (the bias)',
        ),
        Mistake(
            "σ applied before adding b",
            "a^l = σ(W^l a^{l-1}) + b^l: the bias goes inside σ, a^l = σ(W^l a^{l-1} + b^l).",
            _forward_sigma_before_bias,
            f'{NB01}, section "Derivation" (one neuron)',
        ),
        Mistake(
            "(a, z) returned instead of (z, a)",
            "the pair comes back in the wrong order: return z^l first, then a^l = σ(z^l).",
            _forward_swapped,
            f'{NB01}, section "In bp"',
        ),
        Mistake(
            "b^T added instead of b",
            "adding the row (b^l)^T broadcasts it the wrong way: the column b^l (n_l, 1) is "
            "added to each of the m columns of W^l a^{l-1}.",
            _forward_bT,
            f'{NB01}, section "Derivation" (the bias)',
        ),
    ),
    "loss": (
        Mistake(
            _MEAN,
            "J is divided by the number of samples m: the document's J = Σ_i ½‖a^{i,L} − y_i‖² "
            'sums over the samples (reduction="mean" is the other convention).',
            _loss_mean,
            f'{NB02}, section "Derivation" (m samples: the sum)',
        ),
        Mistake(
            "the mean over every entry",
            "np.mean divides by n_out · m: the document's ½‖a^L − y‖² sums over the n_out "
            "outputs, and J sums over the m samples.",
            _loss_mean_entries,
            f'{NB02}, section "Derivation" (the L2 norm)',
        ),
        Mistake(
            "the ½ left out",
            "J = Σ_i ‖a^{i,L} − y_i‖²: the document's loss has the factor ½ (it cancels the 2 "
            "of the derivative).",
            _loss_no_half,
            f'{NB02}, section "Derivation" (one sample)',
        ),
        Mistake(
            "the norm not squared",
            "½‖A^L − Y‖ is the L2 norm without its square; the document's loss is ½‖a^L − y‖₂², "
            "the sum of the squares.",
            _loss_norm,
            f'{NB02}, section "Derivation" (the L2 norm)',
        ),
        Mistake(
            "the per-sample losses not summed",
            "this returns the m losses J_i, an array; J = Σ_i J_i is one number.",
            _loss_per_sample,
            f'{NB02}, section "Derivation" (m samples: the sum)',
        ),
        Mistake(
            "z instead of a",
            "½‖z^L − y‖²: the loss compares the output a^L = σ(z^L) with y, not z^L.",
            _loss_of_z,
            f'{NB02}, section "Derivation" (one sample)',
        ),
    ),
    "loss_gradient": (
        Mistake(
            _SIGN,
            "y − a^L is minus the gradient: ∂J/∂a^L = a^L − y, from ½ (a_k − y_k)².",
            _dJ_sign,
            f'{NB02}, section "Derivation" (the gradient with respect to the output)',
        ),
        Mistake(
            "a factor 2",
            "2 (a^L − y): the ½ in J cancels the 2 that differentiating the square brings down.",
            _dJ_two,
            f'{NB02}, section "Derivation" (the gradient with respect to the output)',
        ),
        Mistake(
            _MEAN,
            "(a^L − y) / m: the summed J has ∂J/∂a^{i,L} = a^{i,L} − y_i, with no 1/m.",
            _dJ_mean,
            f'{NB02}, section "Derivation" (m samples: the sum)',
        ),
        Mistake(
            "the loss instead of its derivative",
            "½ (a^L − y)² entry by entry is the loss's terms, not ∂J/∂a^L = a^L − y.",
            _dJ_loss,
            f'{NB02}, section "Derivation" (the gradient with respect to the output)',
        ),
    ),
    "output_delta": (
        Mistake(
            "σ' left out",
            "δ^L = ∂J/∂a^L: the chain rule through a^L = σ(z^L) multiplies by σ'(z^L) (only an "
            "identity output has σ' = 1, which hides the slip).",
            _output_no_sigma_prime,
            f'{NB03}, section "Derivation", step 2',
        ),
        Mistake(
            _SIGN,
            "δ^L = −∂J/∂a^L ⊙ σ'(z^L): δ^L = ∂J/∂z^L = ∂J/∂a^L ⊙ σ'(z^L), with a plus sign.",
            _output_sign,
            f'{NB03}, section "Derivation", step 2',
        ),
        Mistake(
            "σ'(a) instead of σ'(z)",
            "σ' is evaluated at a^L = σ(z^L) instead of at z^L (for an identity output the two "
            "agree, which hides the slip).",
            _output_sigma_prime_of_a,
            f'{NB03}, section "Derivation", step 2',
        ),
        Mistake(
            "z passed to σ' as a",
            "σ'(z, a) wants a = σ(z): given z as a, the sigmoid's a(1 − a) becomes z(1 − z). "
            "Call sigma_prime(z_L).",
            _output_z_as_a,
            f'{NB03}, section "Derivation", step 2',
        ),
        Mistake(
            "a matrix product instead of the Hadamard product",
            "∂J/∂a^L @ σ'(z^L): ⊙ multiplies entry by entry (NumPy *); the matrix product only "
            "runs when n_L = m, and is then wrong.",
            _output_matmul,
            f'{NB03}, section "Derivation" (the Hadamard product)',
        ),
    ),
    "weight_gradient": (
        Mistake(
            "transposed: a^{l-1} (δ^l)^T",
            "that is the (n_{l-1}, n_l) transpose; ∂J/∂W^l has the shape of W^l, (n_l, n_{l-1}): "
            "δ^l (a^{l-1})^T.",
            _dW_transposed,
            f'{NB03}, section "Derivation", step 4 (the outer product)',
        ),
        Mistake(
            "a^{l-1} not transposed",
            "δ^l a^{l-1} only runs when m = n_{l-1}, and then pairs the wrong indices: "
            "∂J/∂W^l = δ^l (a^{l-1})^T.",
            _dW_no_transpose,
            f'{NB03}, section "Derivation", step 4 (the outer product)',
        ),
        Mistake(
            "the Hadamard product instead of the outer product",
            "δ^l ⊙ a^{l-1} multiplies entry by entry; ∂J/∂W^l_jk = Σ_i δ^{i,l}_j a^{i,l-1}_k is "
            "the matrix product δ^l (a^{l-1})^T.",
            _dW_hadamard,
            f'{NB03}, section "Derivation", steps 3 and 4',
        ),
        Mistake(
            _MEAN,
            "δ^l (a^{l-1})^T / m: the document sums over the samples, and the product δ^l "
            "(a^{l-1})^T already is that sum.",
            _dW_mean,
            f'{NB05}, section "Derivation", steps 1 and 3',
        ),
        Mistake(
            _SIGN,
            "−δ^l (a^{l-1})^T: ∂J/∂W^l = δ^l (a^{l-1})^T; the minus sign belongs to the update.",
            _dW_sign,
            f'{NB03}, section "Derivation", step 3',
        ),
    ),
    "bias_gradient": (
        Mistake(
            "shape (n, m) instead of (n, 1)",
            "δ^l itself has one column per sample; ∂J/∂b^l = Σ_i δ^{i,l} sums them into one "
            "(n_l, 1) column (the two agree only when m = 1).",
            _db_not_summed,
            f'{NB05}, section "Derivation", step 4',
        ),
        Mistake(
            "summed over the wrong axis",
            "summing down the columns (axis=0) adds up neurons and gives (1, m); the samples are "
            "the columns, so sum along axis=1.",
            _db_wrong_axis,
            f'{NB05}, section "Derivation", step 4',
        ),
        Mistake(
            "shape (n,) instead of (n, 1)",
            "a 1-d sum broadcasts against b^l (n_l, 1) into an (n_l, n_l) matrix in the update; "
            "keep the column with keepdims=True.",
            _db_flat,
            f'{NB05}, section "Derivation", step 4',
        ),
        Mistake(
            _MEAN,
            "the mean of the columns; the document's ∂J/∂b^l = Σ_i δ^{i,l} is their sum.",
            _db_mean,
            f'{NB05}, section "Derivation", steps 1 and 4',
        ),
    ),
    "hidden_delta": (
        Mistake(
            "W instead of W^T",
            "W^{l+1} δ^{l+1}: the error flows back through the transpose, (W^{l+1})^T δ^{l+1}; "
            "without it the product only runs when n_l = n_{l+1}, and is then wrong.",
            _hidden_W,
            f'{NB04}, section "Derivation", steps 2 and 5',
        ),
        Mistake(
            "the Hadamard product before the matrix product",
            "(W^{l+1})^T (δ^{l+1} ⊙ σ'(z^l)): the matrix product comes first, then ⊙ σ'(z^l); "
            "the other order only runs when n_l = n_{l+1}, and is then wrong.",
            _hidden_hadamard_first,
            f'{NB04}, section "Derivation", step 5',
        ),
        Mistake(
            "σ' left out",
            "(W^{l+1})^T δ^{l+1} alone: a^l = σ(z^l) sits between z^l and z^{l+1}, so the chain "
            "rule multiplies by σ'(z^l).",
            _hidden_no_sigma_prime,
            f'{NB04}, section "Derivation", step 4',
        ),
        Mistake(
            _SIGN,
            "−(W^{l+1})^T δ^{l+1} ⊙ σ'(z^l): the recursion has no minus sign.",
            _hidden_sign,
            f'{NB04}, section "Derivation", step 5',
        ),
        Mistake(
            "σ'(a) instead of σ'(z)",
            "σ' is evaluated at a^l = σ(z^l) instead of at z^l.",
            _hidden_sigma_prime_of_a,
            f'{NB04}, section "Derivation", step 4',
        ),
    ),
    "backward": (
        Mistake(
            "the backward loop starting at L",
            "at l = L the recursion asks for W^{L+1}, which does not exist: δ^L comes from the "
            "loss, and the loop runs l = L−1, …, 2 (the document's 'for l = L to 2' is an "
            "erratum).",
            lambda net, z, a, Y: _backward(net, z, a, Y, first=net.L),
            f'{NB06}, section "Derivation: the box, step by step", step 3',
        ),
        Mistake(
            "the loop stopping before l = 2",
            "δ^2 is missing: the recursion runs down to l = 2, the first layer with weights "
            "(range(L - 1, 1, -1)).",
            partial(_backward, last=3),
            f'{NB06}, section "Derivation: the box, step by step", step 3',
        ),
        Mistake(
            "σ'(a) instead of σ'(z)",
            "σ' is evaluated at a^l = σ(z^l) instead of at z^l.",
            partial(_backward, of_a=True),
            f'{NB04}, section "Derivation", step 4',
        ),
        Mistake(
            "the hidden layers' σ' at the output",
            "δ^L = (a^L − y) ⊙ σ'(z^L) uses the output layer's activation, net.output_activation, "
            "which may differ from the hidden layers' one.",
            partial(_backward, hidden_at_L=True),
            f'{NB03}, section "Derivation", step 2',
        ),
        Mistake(
            "W^l instead of W^{l+1}",
            "δ^l is carried back through W^{l+1}, the weights between layers l and l+1: "
            "δ^l = (W^{l+1})^T δ^{l+1} ⊙ σ'(z^l).",
            partial(_backward, W_of=lambda net, l: net.W[l].T),
            f'{NB04}, section "Derivation", step 2',
        ),
        Mistake(
            "W instead of W^T",
            "W^{l+1} δ^{l+1}: the error flows back through the transpose, (W^{l+1})^T δ^{l+1}.",
            partial(_backward, W_of=lambda net, l: net.W[l + 1]),
            f'{NB04}, section "Derivation", step 5',
        ),
    ),
    "layer_gradients": (
        Mistake(
            "a^l instead of a^{l-1}",
            "∂J/∂W^l = δ^l (a^{l-1})^T uses the activations of the layer before, the input of W^l; "
            "δ^l (a^l)^T only runs when n_l = n_{l-1}, and is then wrong.",
            partial(_gradients, a_of=lambda l: l),
            f'{NB04}, section "Derivation", step 6',
        ),
        Mistake(
            "a bias gradient of shape (n, m)",
            "∂J/∂b^l = Σ_i δ^{i,l} sums the columns of δ^l into one (n_l, 1) column.",
            partial(_gradients, db_sum=False),
            f'{NB05}, section "Derivation", step 4',
        ),
        Mistake(
            _MEAN,
            "both gradients divided by m: the document's gradients are sums over the samples.",
            partial(_gradients, scale=True),
            f'{NB05}, section "Derivation", step 1',
        ),
        Mistake(
            "the last layer left out",
            "the loop over l stops at L − 1: W^L and b^L have gradients too (l = 2..L).",
            lambda net, delta, a: _gradients(net, delta, a, last=net.L - 1),
            f'{NB04}, section "Derivation", step 6',
        ),
        Mistake(
            "transposed: a^{l-1} (δ^l)^T",
            "∂J/∂W^l has the shape of W^l, (n_l, n_{l-1}): δ^l (a^{l-1})^T, not its transpose.",
            partial(_gradients, T=True),
            f'{NB03}, section "Derivation", step 4 (the outer product)',
        ),
    ),
    "update": (
        Mistake(
            _SIGN,
            "W^l + α ∂J/∂W^l climbs the loss; gradient descent steps against the gradient, "
            "W^l ← W^l − α ∂J/∂W^l.",
            partial(_update, sign=-1.0),
            f'{NB05}, section "Derivation", step 2',
        ),
        Mistake(
            "α left out",
            "W^l − ∂J/∂W^l takes a step of size 1; the step is α times the gradient.",
            partial(_update, step_alpha=False),
            f'{NB05}, section "Derivation", step 2',
        ),
        Mistake(
            "the biases not updated",
            "b^l ← b^l − α ∂J/∂b^l is part of every step.",
            partial(_update, biases=False),
            f'{NB05}, section "Derivation", step 2',
        ),
        Mistake(
            "the last layer not updated",
            "the loop over l stops at L − 1: W^L and b^L change too (l = 2..L).",
            lambda net, dW, db, alpha: _update(net, dW, db, alpha, last=net.L - 1),
            f'{NB05}, section "From the document"',
        ),
        Mistake(
            "the update lost",
            "W = W - alpha * dW[l] makes a new array and binds it to a local name, so net.W[l] "
            "is unchanged: write net.W[l] -= alpha * dW[l] (in place) or assign to net.W[l].",
            partial(_update, lost=True),
            f'{NB05}, section "In bp"',
        ),
    ),
    "iteration": (
        Mistake(
            "the update inside the loop over samples",
            "changing W, b after each sample is stochastic gradient descent (bp.train(..., "
            "batch_size=1)); the document's batch descent sends all m samples through the same "
            "W, b and updates once, with the sums.",
            partial(_iteration, stochastic=True),
            f'{NB06}, section "Derivation: the box, step by step", steps 3 and 4, and '
            'notebooks/08_batch_minibatch_stochastic.ipynb, section "Derivation"',
        ),
        Mistake(
            "the mean instead of the sum (α/m)",
            "the step is α Σ_i δ^{i,l} (a^{i,l-1})^T: the document sums over the samples; α/m "
            'is the mean\'s convention (reduction="mean").',
            partial(_iteration, mean=True),
            f'{NB05}, section "Derivation", step 5',
        ),
        Mistake(
            _SIGN,
            "W^l + α ∂J/∂W^l climbs the loss; descent steps against the gradient.",
            partial(_iteration, sign=-1.0),
            f'{NB05}, section "Derivation", step 2',
        ),
        Mistake(
            "the backward loop starting at L",
            "at l = L the recursion asks for W^{L+1}, which does not exist: δ^L comes from the "
            "loss, and the loop runs l = L−1, …, 2.",
            lambda net, X, Y, alpha: _iteration(net, X, Y, alpha, first=net.L),
            f'{NB06}, section "Derivation: the box, step by step", step 3',
        ),
        Mistake(
            "a^l instead of a^{l-1}",
            "∂J/∂W^l = Σ_i δ^{i,l} (a^{i,l-1})^T uses the activations of the layer before; "
            "(a^l)^T only fits when n_l = n_{l-1}, and is then wrong.",
            partial(_iteration, a_l=True),
            f'{NB04}, section "Derivation", step 6',
        ),
        Mistake(
            "the update inside the backward loop",
            "W^{l+1} is changed before δ^l is computed from it; every δ^l must use the weights "
            "of the forward pass, so update after the backward pass.",
            partial(_iteration, update_in_backward=True),
            f'{NB06}, section "Derivation: the box, step by step", steps 3 and 4',
        ),
        Mistake(
            "σ'(a) instead of σ'(z)",
            "σ' is evaluated at a^l = σ(z^l) instead of at z^l.",
            partial(_iteration, of_a=True),
            f'{NB04}, section "Derivation", step 4',
        ),
    ),
    "should_stop": (
        Mistake(
            "the sum of the changes",
            "Σ |change| < ε is far stricter than the document's rule: every element's change "
            "below ε, i.e. the largest |change| < ε.",
            _stop_sum,
            f'{NB06}, section "Derivation: the box, step by step", step 5',
        ),
        Mistake(
            "any change instead of every change",
            "this stops as soon as one element changed by less than ε; the document stops "
            "when all of them did.",
            _stop_any,
            f'{NB06}, section "Derivation: the box, step by step", step 5',
        ),
        Mistake(
            "the change without its absolute value",
            "max(after − before) < ε lets any decrease pass; compare |after − before|.",
            _stop_signed,
            f'{NB06}, section "Derivation: the box, step by step", step 5',
        ),
        Mistake(
            "the biases ignored",
            "only W is tested; the document's rule covers every W^l and every b^l.",
            _stop_weights_only,
            f'{NB06}, section "Derivation: the box, step by step", step 5',
        ),
        Mistake(
            "≤ instead of <",
            "a change of exactly ε does not stop the loop: 小于 is 'less than'.",
            _stop_at_most,
            f'{NB06}, section "From the document"',
        ),
    ),
}
