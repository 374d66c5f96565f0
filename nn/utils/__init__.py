"""``nn.utils``, as ``torch.nn.utils``: ``clip_grad_norm_`` and ``clip_grad_value_``."""

from nn.utils.clip_grad import clip_grad_norm_, clip_grad_value_

__all__ = ["clip_grad_norm_", "clip_grad_value_"]
