"""nn: neural-network building blocks on tinygrad_dk, named as in PyTorch.

* ``Module``: the base class that registers parameters and sub-modules;
* scalar models on ``Value`` (``Neuron``, ``Layer``, ``MLP``), to see every number;
* tensor layers (``Linear``, ``Sequential``, activations, ``Dropout``) for real training,
  ``ModuleList``/``ParameterList`` and ``Parameter``;
* layers for images and sequences (``Conv1d``/``Conv2d``, pooling, ``BatchNorm1d``/
  ``BatchNorm2d``, ``RNN``/``LSTM``/``GRU`` and their cells, ``Embedding``);
* losses (``MSELoss``, ``CrossEntropyLoss``, ...), ``functional`` (the same as functions)
  and ``optim`` (``SGD``, ``Adam``);
* ``init`` (weight initialisation), ``utils`` (gradient clipping), ``save``/``load``
  (state dicts as ``.npz``);
* ``data`` and ``metrics``, and the training loop ``fit`` with ``EarlyStopping``,
  ``History`` and ``cross_validate``.
"""

from nn import data, functional, init, metrics, optim, utils
from nn.containers import ModuleList, ParameterList
from nn.conv import Conv1d, Conv2d
from nn.embedding import Embedding
from nn.layers import (
    ELU,
    GELU,
    Dropout,
    Flatten,
    Identity,
    LeakyReLU,
    Linear,
    LogSoftmax,
    ReLU,
    Sequential,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
    Unflatten,
)
from nn.losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    GaussianNLLLoss,
    HingeLoss,
    HuberLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
)
from nn.module import LoadResult, Module, StateDictError
from nn.normalization import BatchNorm1d, BatchNorm2d
from nn.pooling import AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d
from nn.recurrent import GRU, LSTM, RNN
from nn.recurrent_cells import GRUCell, LSTMCell, RNNCell
from nn.scalar import MLP, Layer, Neuron
from nn.serialize import load, save
from nn.training import EarlyStopping, History, cross_validate, fit
from tinygrad_dk import Parameter

__all__ = [
    "Module", "StateDictError", "LoadResult", "Parameter", "ModuleList", "ParameterList",
    "Neuron", "Layer", "MLP",
    "Linear", "Sequential", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softmax", "Dropout",
    "Identity", "Flatten", "Unflatten", "LogSoftmax", "ELU", "SiLU", "GELU", "Softplus",
    "Conv1d", "Conv2d", "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "BatchNorm1d",
    "BatchNorm2d", "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell", "Embedding",
    "MSELoss", "L1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss",
    "HingeLoss", "GaussianNLLLoss", "NLLLoss",
    "fit", "EarlyStopping", "History", "cross_validate",
    "init", "save", "load", "data", "metrics", "functional", "optim", "utils",
]

# --- PyTorch names: nntrain (more losses) ---
from nn.loss_modules_extra import (  # noqa: E402
    CosineEmbeddingLoss,
    HingeEmbeddingLoss,
    KLDivLoss,
    MarginRankingLoss,
    MultiLabelSoftMarginLoss,
    MultiMarginLoss,
    PoissonNLLLoss,
    SmoothL1Loss,
    SoftMarginLoss,
    TripletMarginLoss,
)

__all__ += ["SmoothL1Loss", "KLDivLoss", "PoissonNLLLoss", "MarginRankingLoss",
            "HingeEmbeddingLoss", "SoftMarginLoss", "MultiLabelSoftMarginLoss",
            "MultiMarginLoss", "TripletMarginLoss", "CosineEmbeddingLoss"]

# --- PyTorch names: nnlayers ---
from nn.activations_extra import (  # noqa: E402
    CELU,
    GLU,
    SELU,
    Hardshrink,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LogSigmoid,
    Mish,
    PReLU,
    ReLU6,
    Softmin,
    Softshrink,
    Softsign,
    Tanhshrink,
    Threshold,
)
from nn.containers_extra import ModuleDict, ParameterDict  # noqa: E402
from nn.layers_extra import (  # noqa: E402
    AlphaDropout,
    CosineSimilarity,
    Dropout1d,
    Dropout2d,
    GroupNorm,
    InstanceNorm1d,
    InstanceNorm2d,
    LayerNorm,
    PairwiseDistance,
)
from nn.resizing import (  # noqa: E402
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AdaptiveMaxPool1d,
    AdaptiveMaxPool2d,
    CircularPad1d,
    CircularPad2d,
    ConstantPad1d,
    ConstantPad2d,
    ReflectionPad1d,
    ReflectionPad2d,
    ReplicationPad1d,
    ReplicationPad2d,
    Upsample,
    UpsamplingBilinear2d,
    UpsamplingNearest2d,
    ZeroPad1d,
    ZeroPad2d,
)

__all__ += [
    "Hardtanh", "ReLU6", "PReLU", "SELU", "CELU", "Mish", "LogSigmoid", "Softsign", "Softmin",
    "Hardswish", "Hardsigmoid", "Threshold", "GLU", "Tanhshrink", "Softshrink", "Hardshrink",
    "LayerNorm", "GroupNorm", "InstanceNorm1d", "InstanceNorm2d", "Dropout1d", "Dropout2d",
    "AlphaDropout", "CosineSimilarity", "PairwiseDistance", "ModuleDict", "ParameterDict",
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d",
    "Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d", "ZeroPad1d", "ZeroPad2d",
    "ConstantPad1d", "ConstantPad2d", "ReflectionPad1d", "ReflectionPad2d", "ReplicationPad1d",
    "ReplicationPad2d", "CircularPad1d", "CircularPad2d",
]
# --- end nnlayers ---

# --- PyTorch names: attn ---
from nn.attention import MultiheadAttention  # noqa: E402
from nn.conv_transpose import ConvTranspose1d, ConvTranspose2d  # noqa: E402
from nn.layers_attn import Bilinear, PixelShuffle, PixelUnshuffle, RMSNorm  # noqa: E402
from nn.transformer import (  # noqa: E402
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)

__all__ += ["ConvTranspose1d", "ConvTranspose2d", "MultiheadAttention",
            "TransformerEncoderLayer", "TransformerEncoder", "TransformerDecoderLayer",
            "TransformerDecoder", "Transformer", "RMSNorm", "Bilinear", "PixelShuffle",
            "PixelUnshuffle"]
# --- end attn ---

# --- PyTorch names: lazyns (lazy layers, RReLU, FeatureAlphaDropout) ---
from nn import parameter  # noqa: E402  (nn.parameter.UninitializedParameter, as torch.nn)
from nn.activations_more import FeatureAlphaDropout, RReLU  # noqa: E402
from nn.lazy import (  # noqa: E402
    LazyBatchNorm1d,
    LazyBatchNorm2d,
    LazyConv1d,
    LazyConv2d,
    LazyConvTranspose1d,
    LazyConvTranspose2d,
    LazyInstanceNorm1d,
    LazyInstanceNorm2d,
    LazyLinear,
    LazyModuleMixin,
    UninitializedBuffer,
    UninitializedParameter,
)

__all__ += [
    "LazyLinear", "LazyConv1d", "LazyConv2d", "LazyConvTranspose1d", "LazyConvTranspose2d",
    "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyInstanceNorm1d", "LazyInstanceNorm2d",
    "LazyModuleMixin", "UninitializedParameter", "UninitializedBuffer", "parameter", "RReLU",
    "FeatureAlphaDropout",
]
# --- end lazyns ---

# --- PyTorch names: layers3d ---
from nn.layers_3d import (  # noqa: E402
    AdaptiveAvgPool3d,
    AdaptiveMaxPool3d,
    AvgPool3d,
    BatchNorm3d,
    ChannelShuffle,
    CircularPad3d,
    ConstantPad3d,
    Conv3d,
    ConvTranspose3d,
    Dropout3d,
    Fold,
    InstanceNorm3d,
    LocalResponseNorm,
    LPPool1d,
    LPPool2d,
    LPPool3d,
    MaxPool3d,
    ReflectionPad3d,
    ReplicationPad3d,
    Softmax2d,
    Unfold,
    ZeroPad3d,
)

__all__ += ["Conv3d", "ConvTranspose3d", "MaxPool3d", "AvgPool3d", "AdaptiveAvgPool3d",
            "AdaptiveMaxPool3d", "BatchNorm3d", "InstanceNorm3d", "Dropout3d", "ConstantPad3d",
            "ZeroPad3d", "ReflectionPad3d", "ReplicationPad3d", "CircularPad3d", "Unfold",
            "Fold", "Softmax2d", "ChannelShuffle", "LocalResponseNorm", "LPPool1d", "LPPool2d",
            "LPPool3d"]
# --- end layers3d ---

# --- PyTorch names: poolidx (max unpooling) ---
from nn.pooling import MaxUnpool1d, MaxUnpool2d, MaxUnpool3d  # noqa: E402

__all__ += ["MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d"]
# --- end poolidx ---

# --- PyTorch names: embctc (bags of embeddings, the CTC loss) ---
from nn.embedding_bag import EmbeddingBag  # noqa: E402
from nn.loss_ctc import CTCLoss  # noqa: E402

__all__ += ["EmbeddingBag", "CTCLoss"]
# --- end embctc ---

# --- PyTorch names: lossx (the last losses, adaptive softmax, fractional max pooling) ---
from nn.adaptive_softmax import AdaptiveLogSoftmaxWithLoss  # noqa: E402
from nn.loss_modules_more import MultiLabelMarginLoss, TripletMarginWithDistanceLoss  # noqa: E402
from nn.pooling_fractional import FractionalMaxPool2d, FractionalMaxPool3d  # noqa: E402

__all__ += ["TripletMarginWithDistanceLoss", "MultiLabelMarginLoss",
            "AdaptiveLogSoftmaxWithLoss", "FractionalMaxPool2d", "FractionalMaxPool3d"]
# --- end lossx ---

# --- PyTorch names: names2 (the recurrent layers' base classes) ---
from nn.recurrent import RNNBase  # noqa: E402
from nn.recurrent_cells import RNNCellBase  # noqa: E402

__all__ += ["RNNBase", "RNNCellBase"]
# --- end names2 ---
