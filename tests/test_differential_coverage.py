"""The differential harness covers everything: a new operation, layer, loss or optimizer
without a row in one of the tables fails here, with the names to add.

The tables: ``test_differential_ops.py``, ``test_differential_shapes.py`` and
``test_differential_torch_names.py`` (Tensor operations), ``test_differential_nn.py``
(losses, layers), ``test_differential_images.py`` (convolution, pooling, batch norm:
operations and layers), ``test_differential_sequences.py`` (embedding, recurrent
layers), ``test_differential_optim.py`` (optimizers, schedulers) and
``test_differential_scalar.py`` (the Value engine). A public name that is not an
operation (a property, a conversion to Python) is listed below with the reason.
"""

from __future__ import annotations

import inspect
import re

import pytest

pytest.importorskip("torch")

import test_differential_images as image_tables  # noqa: E402
import test_differential_layout as layout_tables  # noqa: E402  (PyTorch names: shape)
import test_differential_misc as misc_tables  # noqa: E402  (PyTorch names: misc)
import test_differential_nn as nn_tables  # noqa: E402
import test_differential_nn_train as nntrain_tables  # noqa: E402 - PyTorch names: nntrain
import test_differential_ops as op_tables  # noqa: E402
import test_differential_optim as optim_tables  # noqa: E402
import test_differential_reduce as reduce_tables  # noqa: E402  (PyTorch names: reduce)
import test_differential_scalar as scalar_tables  # noqa: E402
import test_differential_sequences as sequence_tables  # noqa: E402
import test_differential_shapes as shape_tables  # noqa: E402
import test_differential_torch_names as torch_name_tables  # noqa: E402

import nn  # noqa: E402
import nn.functional as F  # noqa: E402
import tinygrad_dk as tg  # noqa: E402
from nn import optim  # noqa: E402
from tinygrad_dk import (  # noqa: E402
    Tensor,
    Value,
    ops,
    ops_activation,
    ops_conv,
    ops_index,
    ops_math,
    ops_nn,
    ops_norm,
    ops_pool,
    ops_shape,
    ops_softmax,
    toplevel,
)

TABLES = (op_tables.OPS + shape_tables.SHAPE_OPS + torch_name_tables.TORCH_NAME_OPS
          + image_tables.IMAGE_OPS)
TABLES += tuple(layout_tables.LAYOUT_OPS)  # PyTorch names: shape

from tinygrad_dk import ops_gather, ops_layout, ops_pieces  # noqa: E402, I001  (PyTorch names: shape)

# --- PyTorch names: math ---
import test_differential_elementwise as elementwise_tables  # noqa: E402

from tinygrad_dk import ops_elementwise  # noqa: E402

TABLES += tuple(elementwise_tables.ELEMENTWISE_OPS)
# --- end math ---

TABLES = TABLES + reduce_tables.REDUCE_OPS  # PyTorch names: reduce

# --- PyTorch names: extra ---
import test_differential_extra as extra_tables  # noqa: E402

TABLES = [*TABLES, *extra_tables.EXTRA_OPS]
# --- end extra ---

NOT_OPS = {  # public Tensor and tinygrad_dk names that are not operations to compare
    "Tensor.item": "a Python number", "Tensor.tolist": "Python numbers",
    "Tensor.numpy": "the array", "Tensor.data": "the array", "Tensor.detach": "no graph",
    "Tensor.backward": "the harness itself", "Tensor.retain_grad": "bookkeeping",
    "Tensor.zero_grad": "parameter surface", "Tensor.copy_": "parameter surface",
    "Tensor.grad_numpy": "parameter surface", "Tensor.requires_grad_": "a flag",
    "Tensor.grad": "the gradient", "Tensor.grad_fn": "the graph", "Tensor.numel": "a count",
    "Tensor.shape": "metadata", "Tensor.ndim": "metadata", "Tensor.size": "metadata",
    "Tensor.dim": "metadata", "Tensor.dtype": "metadata", "Tensor.is_leaf": "metadata",
    "Tensor.device": "metadata", "Tensor.is_floating_point": "metadata",
    "Tensor.cpu": "the tensor itself", "Tensor.cuda": "always an error (no GPU)",
    "Tensor.label": "a name", "Tensor.op": "metadata", "Tensor.parents": "the graph",
    "Tensor.requires_grad": "a flag",
    "ops_shape.index_add": "getitem's derivative (getitem row, second derivatives)",
    "ops.pass_where": "the derivative of every kink, not an operation of its own (relu, clip, "
                      "maximum, max, where rows: first and second derivatives)",
    "tg.detach": "no graph", "tg.numel": "a count", "tg.is_tensor": "a type test",
    "tg.is_floating_point": "a dtype test", "tg.inference_mode": "a grad mode",
    **{f"ops_conv.{n}": "an argument check or data movement of the convolution and pooling "
       "rows, not an operation" for n in ("as_pads", "as_tuple", "channels_last",
                                         "check_input", "crop", "fold", "out_size", "pad",
                                         "taps", "windows")},
    "ops_pool.winners": "max pooling's choice of taps (max_pool rows' gradients)",
    # --- PyTorch names: counting ---
    **{name: "no gradient (counts and positions): compared with PyTorch in "
       "tests/test_counting.py" for name in (
           "Tensor.bincount", "Tensor.histc", "tg.bincount", "tg.histc", "tg.searchsorted",
           "tg.bucketize", "tg.isin")},
}
# --- PyTorch names: misc ---
TABLES = TABLES + misc_tables.MISC_OPS
NOT_OPS.update({
    **{f"Tensor.{n}": "a new constant tensor (no graph)" for n in (
        "new_zeros", "new_ones", "new_empty", "new_full")},
    **{f"Tensor.{n}": "metadata: sizes and memory layout" for n in (
        "nelement", "ndimension", "element_size", "nbytes", "itemsize", "stride",
        "storage_offset", "data_ptr", "is_contiguous")},
    "Tensor.is_nonzero": "a Python bool", "tg.is_nonzero": "a Python bool",
    "Tensor.bfloat16": "always an error (numpy has no bfloat16)",
    "Tensor.detach_": "leaves the graph (no gradient)",
    "Tensor.apply_": "a Python function, no gradient (refused when grad is required)",
    **{f"Tensor.{n}": "random numbers in place, no gradient (test_tensor_misc_names.py: "
       "distributions, seeds, refusals)" for n in (
        "normal_", "uniform_", "bernoulli_", "random_", "exponential_", "geometric_",
        "log_normal_", "cauchy_")},
    **{f"tg.{n}": "random sampling, no gradient (test_tensor_misc_names.py)" for n in (
        "bernoulli", "multinomial", "poisson", "randint_like", "seed", "initial_seed",
        "get_rng_state", "set_rng_state")},
    **{f"tg.{n}": "dtype information or a setting (test_tensor_misc_names.py)" for n in (
        "get_default_dtype", "set_default_dtype", "finfo", "iinfo", "dtype", "is_complex",
        "set_printoptions")},
    "Tensor.register_hook": "gradient hooks (test_hooks.py, against PyTorch)",
})
# --- end misc ---

TENSOR_DUNDERS = {
    "__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__",
    "__rtruediv__", "__pow__", "__rpow__", "__neg__", "__abs__", "__matmul__", "__rmatmul__",
    "__getitem__", "__setitem__", "__iter__", "__lt__", "__le__", "__gt__", "__ge__",
    "__eq__", "__ne__", "__and__", "__or__", "__xor__", "__invert__",
    "__mod__", "__rmod__", "__floordiv__", "__rfloordiv__",
}
OP_MODULES = {"ops": ops, "ops_shape": ops_shape, "ops_nn": ops_nn, "ops_math": ops_math,
              "ops_index": ops_index, "ops_activation": ops_activation,
              "ops_softmax": ops_softmax, "ops_conv": ops_conv, "ops_pool": ops_pool,
              "ops_norm": ops_norm}
OP_MODULES.update(ops_gather=ops_gather, ops_layout=ops_layout,  # PyTorch names: shape
                  ops_pieces=ops_pieces)

OP_MODULES["ops_elementwise"] = ops_elementwise  # PyTorch names: math

OP_MODULES.update(ops_reduce=tg.ops_reduce, ops_linalg=tg.ops_linalg,  # PyTorch names: reduce
                  ops_matrix=tg.ops_matrix, linalg=tg.linalg)
OP_MODULES["ops_extra"] = tg.ops_extra  # PyTorch names: extra


def _public_ops() -> set[str]:
    """Every public Tensor method, op-module function or primitive and tg function."""
    names = {f"Tensor.{n}" for n in dir(Tensor) if not n.startswith("_") or n in TENSOR_DUNDERS}
    for prefix, module in OP_MODULES.items():
        source = inspect.getsource(module)
        for name, obj in vars(module).items():
            here = re.search(rf"^({name} = |{name}, |def {name}\(|.*, {name}\b.* = )", source,
                             re.M)
            if not name.startswith("_") and here and (isinstance(obj, tg.Primitive)
                                                      or inspect.isfunction(obj)):
                names.add(f"{prefix}.{name}")
    for name in tg.__all__:
        obj = getattr(tg, name)
        module = getattr(obj, "__module__", "") or ""
        if isinstance(obj, tg.Primitive) or (callable(obj) and (
                module.startswith("tinygrad_dk.ops") or module == toplevel.__name__)):
            names.add(f"tg.{name}")
    return names


def test_every_tensor_operation_has_a_row():
    covered = {name for op in TABLES for name in op.covers} | set(NOT_OPS)
    missing = sorted(_public_ops() - covered)
    assert not missing, (
        f"operations without a row in a differential table: {missing}; add an Op row (see "
        "tests/differential.py), or a reason to NOT_OPS in this file")


NOT_LAYERS = {  # nn names that are not tensor layers, losses or optimizers, and why
    "Module": "the base class", "Neuron": "scalar engine (test_differential_scalar.py)",
    "Layer": "scalar engine (test_differential_scalar.py)",
    "MLP": "scalar engine (test_differential_scalar.py)", "Parameter": "a Tensor",
    "EarlyStopping": "training", "History": "training",
    "StateDictError": "an error", "LoadResult": "a result",
}


def test_every_loss_layer_and_function_of_nn_has_a_row():
    covered = {name for op in nn_tables.LOSSES + nn_tables.LAYERS + image_tables.IMAGE_OPS
               + image_tables.IMAGE_LAYERS + sequence_tables.SEQUENCE_LAYERS
               + nntrain_tables.LOSSES
               + NN_EXTRA_ROWS  # nnlayers
               for name in op.covers}
    modules = {f"nn.{n}" for n in dir(nn) if isinstance(getattr(nn, n), type)
               and issubclass(getattr(nn, n), nn.Module) and n not in NOT_LAYERS}
    missing = sorted((modules | {f"F.{n}" for n in F.__all__}) - covered)
    assert not missing, f"nn layers or functions without a differential row: {missing}"


def test_every_optimizer_and_scheduler_is_compared():
    classes = {n for n in optim.__all__ if isinstance(getattr(optim, n), type)}
    optimizers = {n for n in classes if issubclass(getattr(optim, n), optim.Optimizer)}
    missing = sorted(optimizers - {"Optimizer"} - set(optim_tables.OPTIMIZERS)
                     - set(optim_tables.MORE_OPTIMIZERS)
                     - set(CLOSURE_OPTIMIZERS))  # dec: LBFGS, in test_differential_dec.py
    assert not missing, f"optimizers without a trajectory test: {missing}"
    missing = sorted(set(optim.lr_scheduler.__all__) - set(optim_tables.SCHEDULES)
                     - set(nntrain_tables.SCHEDULES))
    assert not missing, f"schedulers without a trajectory test: {missing}"


VALUE_NOT_OPS = {"backward", "copy_", "numpy", "grad_numpy", "numel", "zero_grad", "is_leaf",
                 "data", "grad", "grad_fn", "label", "op", "parents", "requires_grad", "shape",
                 "ndim", "dtype", "item"}


def test_every_value_operation_and_scalar_loss_has_a_row():
    names = {n for n in dir(Value) if not n.startswith("_") or (  # its own operators
        n in TENSOR_DUNDERS and getattr(Value, n) is not getattr(object, n, None))}
    covered = {name for op, _ in scalar_tables.VALUE_OPS for name in op.covers}
    missing = sorted(names - covered - VALUE_NOT_OPS)
    assert not missing, f"Value operations without a row in VALUE_OPS: {missing}"
    losses = {n for n in F.__all__ if n.endswith("loss") or "entropy" in n}
    class_losses = {"cross_entropy", "nll_loss"}  # test_scalar_class_losses_match_torch
    missing = sorted(losses - set(scalar_tables.SCALAR_LOSSES) - class_losses
                     - nntrain_tables.TENSOR_ONLY_LOSSES)
    assert not missing, f"losses without a scalar-engine row: {missing}"


# --- PyTorch names: nnlayers ---
import test_differential_nn_extra as nn_extra_tables  # noqa: E402

from tinygrad_dk import ops_layers  # noqa: E402

TABLES = TABLES + nn_extra_tables.NN_EXTRA_OPS
OP_MODULES["ops_layers"] = ops_layers
NN_EXTRA_ROWS = nn_extra_tables.NN_EXTRA_OPS  # the nn names test reads it too
# --- end nnlayers ---

# --- PyTorch names: linalg2 ---
import test_differential_decomp as decomp_tables  # noqa: E402

TABLES = [*TABLES, *decomp_tables.DECOMP_OPS]
OP_MODULES["ops_decomp"] = tg.ops_decomp
NOT_OPS.update({
    "ops_decomp.check_matrix": "an argument check (test_decompositions.py: errors)",
    "ops_decomp.tolerance": "the rank cut-off of pinv, matrix_rank, lstsq (their rows)",
})
# --- end linalg2 ---

# --- PyTorch names: attn ---
import test_differential_attn as attn_tables  # noqa: E402

TABLES = [*TABLES, *attn_tables.ATTN_OPS]
OP_MODULES["ops_conv_transpose"] = tg.ops_conv_transpose
NN_EXTRA_ROWS = [*NN_EXTRA_ROWS, *attn_tables.ATTN_OPS]  # the nn names test reads it too
# --- end attn ---

# --- PyTorch names: misc2 ---
import test_differential_misc2 as misc2_tables  # noqa: E402

TABLES = [*TABLES, *misc2_tables.MISC2_OPS]
OP_MODULES.update(ops_misc=tg.ops_misc, ops_misc_arrays=tg.ops_misc_arrays)
NN_EXTRA_ROWS = [*NN_EXTRA_ROWS, *misc2_tables.MISC2_NN_OPS]  # F.pdist
# --- end misc2 ---

# --- PyTorch names: lu3d ---
import test_differential_lu3d as lu3d_tables  # noqa: E402

TABLES = [*TABLES, *lu3d_tables.LU3D_OPS]
OP_MODULES["ops_lu"] = tg.ops_lu
NOT_OPS["ops_lu.permutation"] = "a constant matrix from the pivots (test_lu3d.py)"
# --- end lu3d ---

# --- PyTorch names: dec ---
import test_differential_dec as dec_tables  # noqa: E402

TABLES = [*TABLES, *dec_tables.DEC_OPS]
NN_EXTRA_ROWS = [*NN_EXTRA_ROWS, *dec_tables.DEC_OPS]  # the nn names test reads it too
CLOSURE_OPTIMIZERS = dec_tables.CLOSURE_OPTIMIZERS  # LBFGS: its own trajectory test
# --- end dec ---

# --- PyTorch names: rnnpack ---
import test_differential_rnnpack as rnnpack_tables  # noqa: E402

NN_EXTRA_ROWS = [*NN_EXTRA_ROWS, *rnnpack_tables.RNNPACK_OPS]  # nn.utils.rnn, packed RNN/LSTM/GRU
# --- end rnnpack ---

# --- PyTorch names: lazyns ---
import test_differential_lazyns as lazyns_tables  # noqa: E402

TABLES = [*TABLES, *lazyns_tables.LAZYNS_OPS]
OP_MODULES["special"] = tg.special
NN_EXTRA_ROWS = [*NN_EXTRA_ROWS, *lazyns_tables.LAZYNS_NN_OPS]  # the nn names test reads it too
NOT_LAYERS["LazyModuleMixin"] = "the lazy mechanism (its classes have rows)"
# --- end lazyns ---

# --- PyTorch names: spatial ---
import test_differential_spatial as spatial_tables  # noqa: E402

NN_EXTRA_ROWS = [*NN_EXTRA_ROWS, *spatial_tables.SPATIAL_OPS]  # the nn names test reads it
# --- end spatial ---

# --- PyTorch names: distributions ---
import test_differential_distributions as distribution_tables  # noqa: E402

TABLES = [*TABLES, *distribution_tables.DISTRIBUTION_OPS]  # tg.distributions (not Tensor ops)
# --- end distributions ---

# --- PyTorch names: layers3d ---
import test_differential_layers3d as layers3d_tables  # noqa: E402

TABLES = [*TABLES, *layers3d_tables.LAYERS3D_OPS]
OP_MODULES.update(ops_fold=tg.ops_fold, ops_conv_transpose=tg.ops_conv_transpose)
NN_EXTRA_ROWS = [*NN_EXTRA_ROWS, *layers3d_tables.LAYERS3D_OPS]  # the nn names test reads it too
# --- end layers3d ---

# --- PyTorch names: poolidx ---
import test_differential_poolidx as poolidx_tables  # noqa: E402

TABLES = [*TABLES, *poolidx_tables.POOLIDX_OPS]
NN_EXTRA_ROWS = [*NN_EXTRA_ROWS, *poolidx_tables.POOLIDX_OPS]  # the nn names test reads it too
# --- end poolidx ---

# --- PyTorch names: convgroups ---
import test_differential_convgroups as convgroups_tables  # noqa: E402

TABLES = [*TABLES, *convgroups_tables.CONVGROUPS_OPS]
NOT_OPS["ops_conv.check_groups"] = "an argument check (test_conv_groups.py: errors)"
# --- end convgroups ---

# --- PyTorch names: embctc ---
import test_differential_embctc as embctc_tables  # noqa: E402

TABLES = [*TABLES, *embctc_tables.EMBCTC_OPS]
OP_MODULES["ops_ctc"] = tg.ops_ctc
NOT_OPS.update(embctc_tables.EMBCTC_NOT_OPS)
NN_EXTRA_ROWS = [*NN_EXTRA_ROWS, *embctc_tables.EMBCTC_OPS]  # the nn names test reads it too
nntrain_tables.TENSOR_ONLY_LOSSES |= embctc_tables.TENSOR_ONLY_LOSSES  # the scalar-loss test
# --- end embctc ---

# --- PyTorch names: prune ---
import test_differential_prune as prune_tables  # noqa: E402

NN_EXTRA_ROWS = [*NN_EXTRA_ROWS, *prune_tables.PRUNE_OPS]  # nn.utils.prune (its own name check)
# --- end prune ---

# --- PyTorch names: lossx ---
import test_differential_lossx as lossx_tables  # noqa: E402

NN_EXTRA_ROWS = [*NN_EXTRA_ROWS, *lossx_tables.LOSSX_OPS]  # the nn names test reads it too
nntrain_tables.TENSOR_ONLY_LOSSES |= lossx_tables.TENSOR_ONLY_LOSSES  # the scalar-loss test
# --- end lossx ---

# --- PyTorch names: names2 ---
import test_differential_names2 as names2_tables  # noqa: E402

TABLES = [*TABLES, *names2_tables.NAMES2_OPS]
OP_MODULES["ops_gradient"] = tg.ops_gradient
NOT_LAYERS.update(RNNBase="the base class of RNN, LSTM, GRU (their rows)",
                  RNNCellBase="the base class of the cells (their rows)")
# --- end names2 ---
