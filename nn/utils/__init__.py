"""``nn.utils``, as ``torch.nn.utils``: ``clip_grad_norm_`` and ``clip_grad_value_``;
``parameters_to_vector`` and ``vector_to_parameters``; ``parametrize``,
``parametrizations``, ``weight_norm`` and ``spectral_norm`` (reparametrized weights)."""

from nn.utils.clip_grad import clip_grad_norm_, clip_grad_value_

__all__ = ["clip_grad_norm_", "clip_grad_value_"]

# --- PyTorch names: nntrain ---
from nn.utils.convert_parameters import parameters_to_vector, vector_to_parameters  # noqa: E402

__all__ += ["parameters_to_vector", "vector_to_parameters"]

# --- PyTorch names: rnnpack ---
from nn.utils import rnn  # noqa: E402  (nn.utils.rnn: packing sequences of different lengths)

__all__ += ["rnn"]
# --- end rnnpack ---

# --- PyTorch names: param ---
from nn.utils import parametrizations, parametrize  # noqa: E402  (torch.nn.utils.parametrize*)
from nn.utils.spectral_norm import remove_spectral_norm, spectral_norm  # noqa: E402
from nn.utils.weight_norm import remove_weight_norm, weight_norm  # noqa: E402

__all__ += ["parametrize", "parametrizations", "weight_norm", "remove_weight_norm",
            "spectral_norm", "remove_spectral_norm"]
# --- end param ---

# --- PyTorch names: prune ---
from nn.utils import prune  # noqa: E402  (nn.utils.prune: zeroing unimportant weights)

__all__ += ["prune"]
# --- end prune ---
