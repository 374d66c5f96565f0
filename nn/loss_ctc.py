"""``CTCLoss``: the connectionist temporal classification loss, as ``torch.nn.CTCLoss``.

For sequence labelling without an alignment: T time steps of class log-probabilities
(the ``log_softmax`` of a recurrent network's outputs) against a shorter target
sequence, such as letters for a spoken word. The engine computes it
(``tinygrad_dk.ops_ctc``, with the forward and backward recursions and the one
difference from PyTorch's gradient, explained there)::

    ctc = nn.CTCLoss(blank=0)
    log_probs = model(x).log_softmax(2)             # (T, N, C)
    loss = ctc(log_probs, targets, input_lengths, target_lengths)
"""

from __future__ import annotations

from typing import Any

import tinygrad_dk as tg
from nn.functional import check_reduction
from nn.functional_layers import to_tensor
from nn.module import Module

__all__ = ["CTCLoss", "ctc_loss"]


def ctc_loss(log_probs: Any, targets: Any, input_lengths: Any, target_lengths: Any,
             blank: int = 0, reduction: str = "mean", zero_infinity: bool = False) -> Any:
    """The CTC loss of ``log_probs`` (T, N, C), or (T, C) for one sequence, against
    ``targets`` padded (N, S) or joined (1-D), given each example's input and target
    length (tensors, tuples or lists). ``reduction='mean'`` divides each loss by its
    target length, then averages (PyTorch's rule); ``zero_infinity``: an impossible
    alignment (target too long for its input) gives loss 0 and gradient 0, not inf."""
    return tg.ops_ctc.ctc_loss(to_tensor(log_probs), targets, input_lengths, target_lengths,
                               blank, reduction, zero_infinity)


class CTCLoss(Module):
    """``nn.CTCLoss(blank=0, reduction='mean', zero_infinity=False)``: calls ``ctc_loss``
    with these settings on ``(log_probs, targets, input_lengths, target_lengths)``."""

    def __init__(self, blank: int = 0, reduction: str = "mean",
                 zero_infinity: bool = False) -> None:
        super().__init__()
        check_reduction("CTCLoss", reduction)
        self.blank, self.reduction, self.zero_infinity = int(blank), reduction, zero_infinity

    def forward(self, log_probs: Any, targets: Any, input_lengths: Any,
                target_lengths: Any) -> Any:
        return ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank,
                        self.reduction, self.zero_infinity)

    def extra_repr(self) -> str:
        return "" if (self.blank, self.reduction, self.zero_infinity) == (0, "mean", False) \
            else f"blank={self.blank}, reduction={self.reduction!r}, " \
                 f"zero_infinity={self.zero_infinity}"
