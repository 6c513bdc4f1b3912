r"""bp: back propagation for a fully connected network, derived and checked step by step.

Conventions (from the source document): layers are numbered 1..L with layer 1
the input; ``net.W[l]`` and ``net.b[l]`` exist for l = 2..L; samples are the
columns of X (n_in, m) and Y (n_out, m); losses and gradients sum over the
samples unless ``reduction="mean"``.
"""

from bp import data, dropout, regularization
from bp.activations import ACTIVATIONS, get_activation
from bp.backward import (
    backward,
    bias_gradient,
    gradients,
    hidden_delta,
    output_delta,
    output_error,
    weight_gradient,
)
from bp.forward import forward, layer_forward, loss, predict
from bp.gradcheck import gradient_check, numerical_gradients, relative_error
from bp.losses import LOSSES, get_loss
from bp.network import ModelFileError, Network, load, save
from bp.torch_bridge import from_torch, to_torch
from bp.train import History, max_change, train, train_per_sample, update

__version__ = "0.1.0"

__all__ = [
    "ACTIVATIONS",
    "LOSSES",
    "History",
    "ModelFileError",
    "Network",
    "backward",
    "bias_gradient",
    "data",
    "dropout",
    "forward",
    "from_torch",
    "get_activation",
    "get_loss",
    "gradient_check",
    "gradients",
    "hidden_delta",
    "layer_forward",
    "load",
    "loss",
    "max_change",
    "numerical_gradients",
    "output_delta",
    "output_error",
    "predict",
    "regularization",
    "relative_error",
    "save",
    "to_torch",
    "train",
    "train_per_sample",
    "update",
    "weight_gradient",
]
