"""``LBFGS``: a quasi-Newton method, PyTorch's algorithm step for step.

Gradient descent walks along -g, whatever the curvature. Newton's method walks along
-H^-1 g (H the matrix of second derivatives), which is the right length and direction on
a quadratic bowl, but H has n^2 entries. L-BFGS estimates H^-1 g from the last few steps
alone: each step s = x_new - x_old and the change of gradient it caused, y = g_new - g_old,
says how the slope changes along s. The "two-loop recursion" in ``_direction`` applies
the inverse-curvature estimate built from up to ``history_size`` pairs (s, y) to the
gradient, in O(history_size * n) work and memory.

Because it may evaluate the loss several times per step, ``step`` takes a *closure*: a
function that clears the gradients, computes the loss, calls ``backward()`` and returns
the loss::

    opt = optim.LBFGS(model.parameters(), lr=1, line_search_fn="strong_wolfe")
    def closure():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        return loss
    opt.step(closure)      # up to max_iter iterations of L-BFGS

The step length is ``lr`` (the first iteration: min(1, 1 / sum|g|) * lr), or, with
``line_search_fn="strong_wolfe"``, the result of a line search (``_strong_wolfe``) that
finds a step with enough decrease and a flat enough slope (the strong Wolfe conditions).
All parameters are handled as one flat vector, as in PyTorch, so LBFGS has one
parameter group.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

import tinygrad_dk as tg
from nn.optim.optimizer import Optimizer, check_number
from tinygrad_dk import quiet

#: a function of (start, t, d): the loss and flat gradient at start + t d (then back to start)
Objective = Callable[[list[np.ndarray], float, np.ndarray], tuple[float, np.ndarray]]


class LBFGS(Optimizer):
    """L-BFGS (PyTorch's ``torch.optim.LBFGS``): ``step(closure)`` runs up to ``max_iter``
    iterations, using at most ``max_eval`` evaluations of the closure.

    ``LBFGS(params, lr=1, max_iter=20, max_eval=None (max_iter * 5 // 4),
    tolerance_grad=1e-7, tolerance_change=1e-9, history_size=100, line_search_fn=None)``.
    It stops early when the largest gradient entry is <= ``tolerance_grad``, or when the
    step or the change of the loss is below ``tolerance_change``. ``line_search_fn`` is
    None (a fixed step ``lr``) or ``"strong_wolfe"``. Meant for full-batch problems: the
    curvature estimates assume the same loss function at every step.
    """

    def __init__(self, params: Iterable[Any], lr: float = 1, max_iter: int = 20,
                 max_eval: int | None = None, tolerance_grad: float = 1e-7,
                 tolerance_change: float = 1e-9, history_size: int = 100,
                 line_search_fn: str | None = None) -> None:
        if max_eval is None and isinstance(max_iter, (int, np.integer)) \
                and not isinstance(max_iter, bool):
            max_eval = max_iter * 5 // 4
        super().__init__(params, {"lr": lr, "max_iter": max_iter, "max_eval": max_eval,
                                  "tolerance_grad": tolerance_grad,
                                  "tolerance_change": tolerance_change,
                                  "history_size": history_size,
                                  "line_search_fn": line_search_fn})
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS: one parameter group only (it treats all parameters as "
                             "one vector, as PyTorch's LBFGS); pass model.parameters() and "
                             "one lr")
        self._params = self.param_groups[0]["params"]
        if sum(p.numel() for p in self._params) == 0:
            raise ValueError("LBFGS: the parameters hold no numbers (each has 0 elements), "
                             "so there is nothing to minimise; pass the parameters of a "
                             "model that has weights")

    def _validate(self, group: dict[str, Any]) -> None:
        super()._validate(group)
        for key in ("max_iter", "max_eval", "history_size"):
            value = group[key]
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"LBFGS: {key} must be a whole number >= 1, got {value!r}")
        for key in ("tolerance_grad", "tolerance_change"):
            check_number("LBFGS", key, group[key])
        if group["line_search_fn"] not in (None, "strong_wolfe"):
            raise ValueError(f"LBFGS: line_search_fn must be None or 'strong_wolfe', got "
                             f"{group['line_search_fn']!r}")

    # --- the parameters as one flat vector ----------------------------------------------

    def _flat_grad(self) -> np.ndarray:
        """Every parameter's gradient, flattened and joined (zeros where there is none)."""
        return np.concatenate([np.zeros(p.numel()) if (g := p.grad_numpy()) is None
                               else np.ravel(g) for p in self._params])

    def _add_to_params(self, t: float, d: np.ndarray) -> None:
        """theta += t * d, each parameter taking its own slice of the flat vector ``d``."""
        offset = 0
        for p in self._params:
            n = p.numel()
            theta = p.numpy()
            if not theta.flags.writeable:
                theta = theta.copy()
            theta += t * d[offset:offset + n].reshape(theta.shape)
            p.copy_(theta)
            offset += n

    def _evaluate(self, closure: Callable[[], Any]) -> float:
        """Run the closure (recording a graph even inside no_grad) and return its loss."""
        with tg.enable_grad():
            return float(closure())

    # --- one step -----------------------------------------------------------------------

    @quiet
    def step(self, closure: Callable[[], Any] | None = None) -> Any:  # type: ignore[override]
        """Up to ``max_iter`` L-BFGS iterations; returns the closure's first loss. An inf or
        nan loss or gradient gives IEEE's answer quietly, as ``Optimizer.step``."""
        if closure is None or not callable(closure):
            raise TypeError("LBFGS.step needs a closure, a function that re-evaluates the "
                            "model and returns the loss: def closure(): opt.zero_grad(); loss "
                            "= loss_fn(model(x), y); loss.backward(); return loss; then "
                            "opt.step(closure)")
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tol_grad, tol_change = group["tolerance_grad"], group["tolerance_change"]
        state = self.state.setdefault(id(self._params[0]), {"func_evals": 0, "n_iter": 0})

        with tg.enable_grad():
            orig_loss = closure()
        loss = float(orig_loss)
        evals = 1
        state["func_evals"] += 1
        flat_grad = self._flat_grad()
        if np.abs(flat_grad).max() <= tol_grad:  # already at a minimum
            return orig_loss

        # what the previous step() left (lists copied: a saved state_dict stays as it was)
        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps = list(state.get("old_dirs", [])), list(state.get("old_stps", []))
        ro, h_diag = list(state.get("ro", [])), state.get("H_diag", 1.0)
        prev_flat_grad, prev_loss = state.get("prev_flat_grad"), state.get("prev_loss")

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:  # no history yet: steepest descent
                d, old_dirs, old_stps, ro, h_diag = -flat_grad, [], [], [], 1.0
            else:
                y, s = flat_grad - prev_flat_grad, d * t
                ys = float(y.dot(s))
                if ys > 1e-10:  # only pairs of positive curvature keep H^-1 positive definite
                    if len(old_dirs) == group["history_size"]:
                        old_dirs.pop(0), old_stps.pop(0), ro.pop(0)
                    old_dirs.append(y), old_stps.append(s), ro.append(1.0 / ys)
                    h_diag = ys / float(y.dot(y))  # the initial guess of H^-1: a scaled identity
                d = _direction(flat_grad, old_dirs, old_stps, ro, h_diag)
            prev_flat_grad, prev_loss = flat_grad.copy(), loss

            # (1 / 0 is inf, as in PyTorch: a zero gradient with a negative tolerance_grad)
            t = min(1.0, float(1.0 / np.abs(flat_grad).sum())) * lr if state["n_iter"] == 1 \
                else lr
            gtd = float(flat_grad.dot(d))  # the slope along d
            if gtd > -tol_change:  # d does not go downhill (enough): stop
                break

            if group["line_search_fn"] == "strong_wolfe":
                start = [p.numpy().copy() for p in self._params]
                # (as PyTorch: the search may use the evaluations left, and keeps its own
                # tolerance_change of 1e-9 whatever the group's)
                loss, flat_grad, t, ls_evals = _strong_wolfe(
                    lambda x, t, d: self._directional_evaluate(closure, x, t, d),
                    start, t, d, loss, flat_grad, gtd, max_ls=max_eval - evals)
                self._add_to_params(t, d)
                opt_cond = np.abs(flat_grad).max() <= tol_grad
            else:
                self._add_to_params(t, d)
                ls_evals = 0
                opt_cond = False
                if n_iter != max_iter:  # (the last iteration's gradient would go unused)
                    loss = self._evaluate(closure)
                    flat_grad = self._flat_grad()
                    opt_cond = np.abs(flat_grad).max() <= tol_grad
                    ls_evals = 1
            evals += ls_evals
            state["func_evals"] += ls_evals

            if n_iter == max_iter or evals >= max_eval or opt_cond:
                break
            if np.abs(d * t).max() <= tol_change or abs(loss - prev_loss) < tol_change:
                break  # no more progress

        state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=h_diag,
                     prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)
        return orig_loss

    def _directional_evaluate(self, closure: Callable[[], Any], start: list[np.ndarray],
                              t: float, d: np.ndarray) -> tuple[float, np.ndarray]:
        """The loss and gradient at start + t d; the parameters go back to ``start``."""
        self._add_to_params(t, d)
        loss = self._evaluate(closure)
        flat_grad = self._flat_grad()
        for p, x in zip(self._params, start):
            p.copy_(x)
        return loss, flat_grad


def _direction(flat_grad: np.ndarray, old_dirs: list[np.ndarray], old_stps: list[np.ndarray],
               ro: list[float], h_diag: float) -> np.ndarray:
    """-H^-1 g by the two-loop recursion: H^-1 is the BFGS update of ``h_diag * I`` by the
    stored pairs (s = old_stps[i], y = old_dirs[i], ro[i] = 1 / y.s), never formed."""
    al = [0.0] * len(old_dirs)
    q = -flat_grad
    for i in range(len(old_dirs) - 1, -1, -1):  # newest pair first
        al[i] = float(old_stps[i].dot(q)) * ro[i]
        q = q - al[i] * old_dirs[i]
    r = q * h_diag
    for i in range(len(old_dirs)):  # oldest pair first
        be_i = float(old_dirs[i].dot(r)) * ro[i]
        r = r + (al[i] - be_i) * old_stps[i]
    return r


def _cubic_interpolate(x1: float, f1: float, g1: float, x2: float, f2: float, g2: float,
                       bounds: tuple[float, float] | None = None) -> float:
    """The minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2,
    clipped to ``bounds`` (default: between x1 and x2); the midpoint if it has none (the
    cubic's slope has no real root).

    A division by 0 gives IEEE's answer, +-inf, as in PyTorch (along a straight line
    downhill the cubic's minimum is infinitely far: the step goes to the bound). A flat
    cubic (g1 = g2 = 0, f1 = f2) gives 0 / 0: PyTorch returns nan there, this the midpoint.
    """
    lo, hi = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    x1, f1, g1, x2, f2, g2 = (np.float64(v) for v in (x1, f1, g1, x2, f2, g2))
    with np.errstate(all="ignore"):  # IEEE's inf and nan, as PyTorch's tensors give
        d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
        d2 = np.sqrt(d1 * d1 - g1 * g2)  # nan: no real minimiser
        # measured from the right end b of [a, b]: b - (b - a) * ratio
        (a, ga), (b, gb) = ((x1, g1), (x2, g2)) if x1 <= x2 else ((x2, g2), (x1, g1))
        min_pos = float(b - (b - a) * ((gb + d2 - d1) / (gb - ga + 2 * d2)))
    if np.isnan(min_pos):
        return (lo + hi) / 2.0
    return min(max(min_pos, lo), hi)


def _strong_wolfe(obj: Objective, x: list[np.ndarray], t: float, d: np.ndarray, f: float,
                  g: np.ndarray, gtd: float, c1: float = 1e-4, c2: float = 0.9,
                  tolerance_change: float = 1e-9,
                  max_ls: int = 25) -> tuple[float, np.ndarray, float, int]:
    """A step t along d with sufficient decrease, f(t) <= f + c1 t gtd, and a small slope,
    |g(t).d| <= -c2 gtd (the strong Wolfe conditions); returns (loss, gradient, t,
    evaluations). First it grows t until an interval [t_prev, t] surely holds such a step
    (a *bracket*), then it shrinks the bracket by cubic interpolation (the *zoom*)."""
    d_norm = float(np.abs(d).max())
    f_new, g_new = obj(x, t, d)
    evals, gtd_new = 1, float(g_new.dot(d))
    t_prev, f_prev, g_prev, gtd_prev = 0.0, f, g, gtd
    done, ls_iter = False, 0
    bracket: list[float] = []
    while ls_iter < max_ls:
        too_far = f_new > f + c1 * t * gtd or (ls_iter > 1 and f_new >= f_prev)
        if not too_far and abs(gtd_new) <= -c2 * gtd:  # both conditions hold at t
            bracket, bracket_f, bracket_g, bracket_gtd = [t], [f_new], [g_new], [gtd_new]
            done = True
            break
        if too_far or gtd_new >= 0:
            # gone too far (the loss rose, or the slope turned up): the step is in between
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new], [gtd_prev, gtd_new]
            break
        # still going down steeply: extrapolate a longer step, between 1.01 t and 10 t
        t_next = _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                                    bounds=(t + 0.01 * (t - t_prev), t * 10))
        t_prev, f_prev, g_prev, gtd_prev = t, f_new, g_new, gtd_new
        t = t_next
        f_new, g_new = obj(x, t, d)
        evals, gtd_new, ls_iter = evals + 1, float(g_new.dot(d)), ls_iter + 1
    if ls_iter == max_ls:  # out of evaluations: the best of 0 and t
        bracket, bracket_f, bracket_g = [0.0, t], [f, f_new], [g, g_new]
        bracket_gtd = [gtd, gtd_new]

    # zoom: shrink the bracket; low is its end of lower loss
    insuf_progress = False
    low, high = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break  # the bracket is too small to matter
        t = _cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0], bracket[1],
                               bracket_f[1], bracket_gtd[1])
        # keep t at least 10% of the bracket away from its ends, once progress stalls
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                t = max(bracket) - eps if abs(t - max(bracket)) < abs(t - min(bracket)) \
                    else min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, g_new = obj(x, t, d)
        evals, gtd_new, ls_iter = evals + 1, float(g_new.dot(d)), ls_iter + 1
        if f_new > f + c1 * t * gtd or f_new >= bracket_f[low]:
            # not enough decrease: t becomes the high end
            bracket[high], bracket_f[high] = t, f_new
            bracket_g[high], bracket_gtd[high] = g_new, gtd_new
            low, high = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high] - bracket[low]) >= 0:
                # the slope at t points away from high: the old low end becomes high
                bracket[high], bracket_f[high] = bracket[low], bracket_f[low]
                bracket_g[high], bracket_gtd[high] = bracket_g[low], bracket_gtd[low]
            bracket[low], bracket_f[low] = t, f_new
            bracket_g[low], bracket_gtd[low] = g_new, gtd_new
    return bracket_f[low], bracket_g[low], bracket[low], evals
