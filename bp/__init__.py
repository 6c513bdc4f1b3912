r"""bp: back propagation for a fully connected network, derived and checked step by step.

Conventions (from the source document): layers are numbered 1..L with layer 1
the input; ``net.W[l]`` and ``net.b[l]`` exist for l = 2..L; samples are the
columns of X (n_in, m) and Y (n_out, m); losses and gradients sum over the
samples unless ``reduction="mean"``.

One module per idea: ``activations`` (σ, σ'), ``losses`` (J, ∂J/∂a^L, the
objective), ``network``, ``propagation`` (forward, δ^L, the recursion, the
gradients), ``descent`` (batches, one epoch; its settings, run state and buffers),
``training`` (``train``, the outer loop),
``reference`` (the pseudocode, sample by sample), ``gradcheck``,
``regularization`` (L2, dropout), ``optimizers`` (the update rule: gradient
descent, momentum, Nesterov, Adam), ``io`` (save, load), ``show`` (a function's source,
highlighted in a notebook). The top-level ``forward``, ``backward``, ``gradients``,
``loss`` and ``predict`` check their arguments and call the formula function of
``bp.propagation``.
"""

from bp import (
    activations,
    data,
    descent,
    losses,
    optimizers,
    propagation,
    regularization,
    show,
)
from bp.activations import ACTIVATIONS
from bp.checked import backward, forward, gradients, loss, predict
from bp.gradcheck import gradient_check, numerical_gradients, relative_error
from bp.io import ModelFileError, load, load_info, load_optimizer_state, save
from bp.losses import LOSSES
from bp.network import Network
from bp.optimizers import Adam, Momentum, OptimizerState, update
from bp.propagation import (
    bias_gradient,
    hidden_delta,
    layer_forward,
    output_delta,
    output_error,
    weight_gradient,
)
from bp.reference import train_per_sample
from bp.torch_bridge import from_torch, to_torch
from bp.training import History, TrainingDiverged, max_change, train

__version__ = "0.3.0"

__all__ = [
    "ACTIVATIONS",
    "LOSSES",
    "Adam",
    "History",
    "ModelFileError",
    "Momentum",
    "Network",
    "OptimizerState",
    "TrainingDiverged",
    "activations",
    "backward",
    "bias_gradient",
    "data",
    "descent",
    "forward",
    "from_torch",
    "gradient_check",
    "gradients",
    "hidden_delta",
    "layer_forward",
    "load",
    "load_info",
    "load_optimizer_state",
    "loss",
    "losses",
    "max_change",
    "numerical_gradients",
    "optimizers",
    "output_delta",
    "output_error",
    "predict",
    "propagation",
    "regularization",
    "relative_error",
    "save",
    "show",
    "to_torch",
    "train",
    "train_per_sample",
    "update",
    "weight_gradient",
]
