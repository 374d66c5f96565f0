"""Optimizers: turn gradients into parameter updates, with PyTorch's exact rules.

    opt = optim.Adam(model.parameters(), lr=1e-3)
    for x, y in loader:
        opt.zero_grad()                  # gradients accumulate, so clear them first
        loss = F.mse_loss(model(x), y)
        loss.backward()
        opt.step()                       # update every parameter in place

``Optimizer`` (the base: parameter groups, state, ``zero_grad``, ``step``) is in
``optimizer.py``, each rule in its own file, and the learning-rate schedulers in
``lr_scheduler`` (as ``torch.optim.lr_scheduler``).
"""

from nn.optim import lr_scheduler
from nn.optim.adam import Adam, AdamW
from nn.optim.lr_scheduler import (
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    MultiStepLR,
    ReduceLROnPlateau,
    StepLR,
)
from nn.optim.optimizer import Optimizer
from nn.optim.rmsprop import Adagrad, RMSprop
from nn.optim.sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler", "StepLR",
           "LambdaLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "ReduceLROnPlateau"]

# --- PyTorch names: nntrain (more optimizers) ---
from nn.optim.adadelta import Adadelta  # noqa: E402
from nn.optim.adamax import Adamax  # noqa: E402
from nn.optim.asgd import ASGD  # noqa: E402
from nn.optim.nadam import NAdam  # noqa: E402
from nn.optim.radam import RAdam  # noqa: E402
from nn.optim.rprop import Rprop  # noqa: E402

__all__ += ["Adamax", "NAdam", "RAdam", "Adadelta", "Rprop", "ASGD"]

# --- PyTorch names: dec ---
from nn.optim.lbfgs import LBFGS  # noqa: E402

__all__ += ["LBFGS"]
# --- end dec ---

# --- PyTorch names: names2 (Adafactor) ---
from nn.optim.adafactor import Adafactor  # noqa: E402

__all__ += ["Adafactor"]
# --- end names2 ---
