"""Losses, functional and modules: values against NumPy written here (loops over samples, not
the library's vectorised form), reductions, gradients of first and second order, stability
from extreme logits, and clear errors for bad targets."""

import math
import warnings

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F

REDUCTIONS = ["mean", "sum", "none"]


@pytest.fixture
def rng():
    return np.random.default_rng(99)


def dtensor(a, requires_grad=True):
    return ag.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def reduce_ref(losses, reduction):
    losses = np.asarray(losses, dtype=np.float64)
    return {"mean": losses.mean(), "sum": losses.sum(), "none": losses}[reduction]


def log_softmax_ref(row):
    m = max(row)
    return np.array([v - m - math.log(sum(math.exp(u - m) for u in row)) for v in row])


def rows_and_targets(logits, target):
    """Each prediction's class scores and its target, one pair per sample and position."""
    cdim = 0 if logits.ndim == 1 else 1
    rows = np.moveaxis(logits, cdim, -1).reshape(-1, logits.shape[cdim])
    return rows, np.asarray(target).reshape(-1)


def cross_entropy_ref(logits, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    rows, targets = rows_and_targets(logits, target)
    classes = rows.shape[1]
    w = np.ones(classes) if weight is None else weight
    losses, denominator = [], 0.0
    for row, t in zip(rows, targets):
        if t == ignore_index:
            losses.append(0.0)
            continue
        lp = log_softmax_ref(row)
        smoothed = [(1 - label_smoothing) * (c == t) + label_smoothing / classes for c in range(classes)]
        losses.append(-sum(w[c] * smoothed[c] * lp[c] for c in range(classes)))
        denominator += w[t]
    if reduction == "mean":
        return sum(losses) / denominator
    return reduce_ref(losses, reduction).reshape(np.shape(target)) if reduction == "none" else sum(losses)


def cross_entropy_probs_ref(logits, probs, weight=None, reduction="mean", label_smoothing=0.0):
    cdim = 0 if logits.ndim == 1 else 1
    rows = np.moveaxis(logits, cdim, -1).reshape(-1, logits.shape[cdim])
    targets = np.moveaxis(probs, cdim, -1).reshape(rows.shape)
    classes = rows.shape[1]
    w = np.ones(classes) if weight is None else weight
    losses = []
    for row, p in zip(rows, targets):
        p = (1 - label_smoothing) * p + label_smoothing / classes
        losses.append(-np.sum(w * p * log_softmax_ref(row)))
    out_shape = logits.shape[:cdim] + logits.shape[cdim + 1 :]
    return reduce_ref(losses, reduction).reshape(out_shape) if reduction == "none" else reduce_ref(losses, reduction)


# (logits shape, target shape) for the layouts torch accepts: batched, with extra dims, unbatched
LAYOUTS = [((5, 3), (5,)), ((2, 3, 4), (2, 4)), ((3,), ())]


def make_class_problem(rng, logits_shape, target_shape, classes=3, ignore=True):
    logits = rng.standard_normal(logits_shape) * 2
    target = rng.integers(0, classes, target_shape)
    if ignore and target.ndim:
        target.reshape(-1)[1] = -100
    return logits, target


# --- cross_entropy and nll_loss -----------------------------------------------------------------


@pytest.mark.parametrize(("logits_shape", "target_shape"), LAYOUTS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.3])
def test_cross_entropy_class_indices(logits_shape, target_shape, reduction, weighted, label_smoothing, rng):
    logits, target = make_class_problem(rng, logits_shape, target_shape)
    weight = rng.uniform(0.5, 2.0, 3) if weighted else None
    got = F.cross_entropy(
        ag.tensor(logits), ag.tensor(target), None if weight is None else ag.tensor(weight),
        reduction=reduction, label_smoothing=label_smoothing,
    )
    expected = cross_entropy_ref(logits, target, weight, reduction=reduction, label_smoothing=label_smoothing)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12)


@pytest.mark.parametrize(("logits_shape", "target_shape"), LAYOUTS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_cross_entropy_class_probabilities(logits_shape, target_shape, reduction, weighted, label_smoothing, rng):
    logits = rng.standard_normal(logits_shape)
    cdim = 0 if len(logits_shape) == 1 else 1
    probs = np.moveaxis(rng.dirichlet(np.ones(3), size=target_shape), -1, cdim)
    weight = rng.uniform(0.5, 2.0, 3) if weighted else None
    got = F.cross_entropy(
        ag.tensor(logits), ag.tensor(probs), None if weight is None else ag.tensor(weight),
        reduction=reduction, label_smoothing=label_smoothing,
    )
    expected = cross_entropy_probs_ref(logits, probs, weight, reduction, label_smoothing)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12)


def test_cross_entropy_hand_computed_values():
    # Equal logits: -log(1/C) whatever the target.
    assert F.cross_entropy(ag.zeros(2, 4), ag.tensor([0, 3])).item() == pytest.approx(math.log(4))
    # ignore_index: the second sample does not count in the mean either.
    loss = F.cross_entropy(ag.tensor([[0.0, math.log(3.0)], [5.0, 0.0]]), ag.tensor([1, 7]), ignore_index=7)
    assert loss.item() == pytest.approx(-math.log(3 / 4), rel=1e-6)


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_cross_entropy_all_ignored_mean_is_nan_like_torch():
    loss = F.cross_entropy(ag.zeros(2, 3), ag.tensor([-100, -100]))
    assert math.isnan(loss.item())
    assert F.cross_entropy(ag.zeros(2, 3), ag.tensor([-100, -100]), reduction="sum").item() == 0.0


def test_cross_entropy_is_stable_for_huge_logits():
    logits = dtensor([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0]])
    loss = F.cross_entropy(logits, ag.tensor([1, 1]), reduction="none")
    np.testing.assert_allclose(loss.detach().numpy(), [2e4, 0.0], rtol=1e-12)
    loss.sum().backward()
    assert np.all(np.isfinite(logits.grad.numpy()))
    np.testing.assert_allclose(logits.grad.numpy(), [[1, -1, 0], [0, 0, 0]], atol=1e-12)


@pytest.mark.parametrize(("logits_shape", "target_shape"), LAYOUTS)
def test_cross_entropy_gradients(logits_shape, target_shape, rng):
    logits, target = make_class_problem(rng, logits_shape, target_shape)
    target_t, weight = ag.tensor(target), ag.tensor(rng.uniform(0.5, 2.0, 3))
    fn = lambda x: F.cross_entropy(x, target_t, weight, label_smoothing=0.1)
    assert ag.gradcheck(fn, [dtensor(logits)])
    assert ag.gradgradcheck(fn, [dtensor(logits)])


def test_cross_entropy_gradient_reaches_probability_targets(rng):
    logits, probs = dtensor(rng.standard_normal((2, 3))), dtensor(rng.dirichlet(np.ones(3), size=2))
    assert ag.gradcheck(lambda x, p: F.cross_entropy(x, p, label_smoothing=0.1), [logits, probs])
    assert ag.gradgradcheck(lambda x, p: F.cross_entropy(x, p), [logits, probs])


@pytest.mark.parametrize(("logits_shape", "target_shape"), LAYOUTS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_picks_weighted_log_probabilities(logits_shape, target_shape, reduction, rng):
    log_probs, target = make_class_problem(rng, logits_shape, target_shape)
    weight = rng.uniform(0.5, 2.0, 3)
    rows, targets = rows_and_targets(log_probs, target)
    losses = [0.0 if t == -100 else -weight[t] * r[t] for r, t in zip(rows, targets)]
    if reduction == "mean":
        expected = sum(losses) / sum(weight[t] for t in targets if t != -100)
    elif reduction == "sum":
        expected = sum(losses)
    else:
        expected = np.array(losses).reshape(target_shape)
    got = F.nll_loss(ag.tensor(log_probs), ag.tensor(target), ag.tensor(weight), reduction=reduction)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12)


def test_nll_loss_gradients(rng):
    x, target = dtensor(rng.standard_normal((4, 3))), ag.tensor([0, 2, -100, 1])
    assert ag.gradcheck(lambda x: F.nll_loss(x, target), [x])
    assert ag.gradgradcheck(lambda x: F.nll_loss(x * x, target), [x])


def test_cross_entropy_float_class_targets_are_refused():
    with pytest.raises(TypeError, match=r"float32.*\(2,\).*\(2, 3\).*long"):
        F.cross_entropy(ag.zeros(2, 3), ag.tensor([0.0, 1.0]))
    with pytest.raises(TypeError, match="float64"):
        F.nll_loss(ag.zeros(2, 3), ag.tensor([0.0, 1.0], dtype="float64"))
    with pytest.raises(TypeError, match="int64"):  # integers of the input's shape are not probabilities
        F.cross_entropy(ag.zeros(2, 3), ag.zeros(2, 3, dtype="int64"))


@pytest.mark.parametrize("fn", [F.cross_entropy, F.nll_loss, F.multi_margin_loss])
def test_out_of_range_class_is_an_index_error(fn):
    with pytest.raises(IndexError, match=r"target 3 is out of range for 3 classes"):
        fn(ag.zeros(2, 3), ag.tensor([0, 3]))
    with pytest.raises(IndexError, match="target -2"):
        fn(ag.zeros(2, 3), ag.tensor([-2, 0]))


def test_class_target_shape_and_weight_shape_errors():
    with pytest.raises(ValueError, match=r"target shape \(3,\).*\(2, 4\)"):
        F.cross_entropy(ag.zeros(2, 4), ag.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match=r"\(4,\).*\(2,\)"):
        F.cross_entropy(ag.zeros(2, 4), ag.tensor([0, 1]), ag.ones(2))
    with pytest.raises(ValueError, match="0-d"):
        F.nll_loss(ag.tensor(1.0), ag.tensor(0))
    with pytest.raises(ValueError, match=r"1\.5"):
        F.cross_entropy(ag.zeros(2, 4), ag.tensor([0, 1]), label_smoothing=1.5)


@pytest.mark.parametrize("fn", [F.cross_entropy, F.mse_loss, F.l1_loss, F.binary_cross_entropy_with_logits])
def test_unknown_reduction_is_named(fn):
    with pytest.raises(ValueError, match="'average'"):
        fn(ag.zeros(2, 3), ag.zeros(2, 3), reduction="average")


# --- regression losses -------------------------------------------------------------------------


def smooth_l1_ref(d, beta):
    return np.array([0.5 * v * v / beta if abs(v) < beta else abs(v) - 0.5 * beta for v in d.ravel()]).reshape(d.shape)


def huber_ref(d, delta):
    return np.array([0.5 * v * v if abs(v) < delta else delta * (abs(v) - 0.5 * delta) for v in d.ravel()]).reshape(
        d.shape
    )


REGRESSION = {
    "mse": (F.mse_loss, {}, lambda d: d * d),
    "l1": (F.l1_loss, {}, np.abs),
    "smooth_l1": (F.smooth_l1_loss, {"beta": 0.5}, lambda d: smooth_l1_ref(d, 0.5)),
    "smooth_l1_beta0": (F.smooth_l1_loss, {"beta": 0.0}, np.abs),
    "huber": (F.huber_loss, {"delta": 0.5}, lambda d: huber_ref(d, 0.5)),
}


@pytest.mark.parametrize("name", REGRESSION)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_losses(name, reduction, rng):
    fn, kwargs, ref = REGRESSION[name]
    x, y = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    got = fn(ag.tensor(x), ag.tensor(y), reduction=reduction, **kwargs)
    np.testing.assert_allclose(got.numpy(), reduce_ref(ref(x - y), reduction), rtol=1e-12)


@pytest.mark.parametrize("name", REGRESSION)
def test_regression_loss_gradients(name, rng):
    fn, kwargs, _ = REGRESSION[name]
    x = rng.standard_normal((2, 3))
    y = x + np.where(rng.random((2, 3)) < 0.5, -1, 1) * rng.uniform(0.1, 1.5, (2, 3))  # no kinks at |d| = beta
    assert ag.gradcheck(lambda a, b: fn(a, b, **kwargs), [dtensor(x), dtensor(y)])
    assert ag.gradgradcheck(lambda a, b: fn(a, b, **kwargs), [dtensor(x), dtensor(y)])


def test_huber_is_delta_times_smooth_l1(rng):
    x, y = ag.tensor(rng.standard_normal(20) * 3), ag.tensor(rng.standard_normal(20))
    np.testing.assert_allclose(
        F.huber_loss(x, y, delta=2.0).item(), 2.0 * F.smooth_l1_loss(x, y, beta=2.0).item(), rtol=1e-12
    )


def test_regression_losses_warn_when_shapes_broadcast():
    with pytest.warns(UserWarning, match=r"\(3,\).*\(3, 1\)"):
        loss = F.mse_loss(ag.zeros(3, 1), ag.ones(3), reduction="none")
    assert loss.shape == (3, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.l1_loss(ag.zeros(3), ag.ones(3))


def test_regression_parameter_errors():
    with pytest.raises(ValueError, match="-1"):
        F.smooth_l1_loss(ag.zeros(2), ag.zeros(2), beta=-1.0)
    with pytest.raises(ValueError, match="0"):
        F.huber_loss(ag.zeros(2), ag.zeros(2), delta=0.0)


# --- binary cross-entropy ------------------------------------------------------------------------


def bce_ref(p, y, w=None):
    terms = [-(t * max(math.log(q) if q > 0 else -math.inf, -100) + (1 - t) * max(
        math.log1p(-q) if q < 1 else -math.inf, -100)) for q, t in zip(p.ravel(), y.ravel())]
    out = np.array(terms).reshape(p.shape)
    return out if w is None else out * w


def bce_logits_ref(x, y, w=None, pos_weight=None):
    pw = np.ones(x.shape[-1]) if pos_weight is None else pos_weight
    out = np.empty(x.shape)
    for idx in np.ndindex(x.shape):
        v, t, k = x[idx], y[idx], pw[idx[-1]]
        # log sigmoid(v) = -log(1 + e^-v), written per sign so that exp never overflows
        log_sig = -math.log1p(math.exp(-v)) if v >= 0 else v - math.log1p(math.exp(v))
        log_one_minus = log_sig - v
        out[idx] = -(k * t * log_sig + (1 - t) * log_one_minus)
    return out if w is None else out * w


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy(reduction, rng):
    p, y, w = rng.uniform(0.05, 0.95, (3, 4)), rng.integers(0, 2, (3, 4)).astype(float), rng.uniform(0.5, 2, 4)
    got = F.binary_cross_entropy(ag.tensor(p), ag.tensor(y), ag.tensor(w), reduction=reduction)
    np.testing.assert_allclose(got.numpy(), reduce_ref(bce_ref(p, y, w), reduction), rtol=1e-12)
    soft = rng.uniform(0, 1, (3, 4))  # soft labels are allowed
    np.testing.assert_allclose(F.binary_cross_entropy(ag.tensor(p), ag.tensor(soft)).item(),
                               bce_ref(p, soft).mean(), rtol=1e-12)


def test_binary_cross_entropy_at_exact_zero_and_one_is_finite():
    p = dtensor([0.0, 1.0, 0.0, 1.0])
    y = ag.tensor([1.0, 0.0, 0.0, 1.0], dtype="float64")
    loss = F.binary_cross_entropy(p, y, reduction="none")
    np.testing.assert_allclose(loss.detach().numpy(), [100.0, 100.0, 0.0, 0.0])
    loss.sum().backward()
    g = p.grad.numpy()
    assert np.all(np.isfinite(g))
    assert g[0] < -1e11 and g[1] > 1e11  # (p - y) / max(p (1 - p), 1e-12)


def test_binary_cross_entropy_gradients(rng):
    p, y = dtensor(rng.uniform(0.1, 0.9, (2, 3))), dtensor(rng.uniform(0, 1, (2, 3)))
    assert ag.gradcheck(F.binary_cross_entropy, [p, y])
    assert ag.gradgradcheck(F.binary_cross_entropy, [p, y])
    w = ag.tensor(rng.uniform(0.5, 2, 3))
    assert ag.gradcheck(lambda p: F.binary_cross_entropy(p, y, w, reduction="sum"), [p])


def test_binary_cross_entropy_refuses_non_probabilities():
    with pytest.raises(ValueError, match=r"1\.5"):
        F.binary_cross_entropy(ag.tensor([0.5, 1.5]), ag.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="nan"):
        F.binary_cross_entropy(ag.tensor([np.nan]), ag.tensor([0.0]))
    with pytest.raises(ValueError, match=r"\(2,\).*\(2, 1\)"):
        F.binary_cross_entropy(ag.tensor([[0.5], [0.5]]), ag.tensor([0.0, 1.0]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_with_logits(reduction, rng):
    x, y = rng.standard_normal((3, 4)) * 3, rng.uniform(0, 1, (3, 4))
    w, pw = rng.uniform(0.5, 2, 4), rng.uniform(0.5, 3, 4)
    for weight, pos_weight in [(None, None), (w, None), (None, pw), (w, pw)]:
        got = F.binary_cross_entropy_with_logits(
            ag.tensor(x), ag.tensor(y), None if weight is None else ag.tensor(weight),
            reduction=reduction, pos_weight=None if pos_weight is None else ag.tensor(pos_weight),
        )
        expected = reduce_ref(bce_logits_ref(x, y, weight, pos_weight), reduction)
        np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12)


def test_binary_cross_entropy_with_logits_is_exact_for_huge_logits():
    x = dtensor([1000.0, -1000.0, 1000.0, -1000.0, 40.0])
    y = ag.tensor([1.0, 0.0, 0.0, 1.0, 0.0], dtype="float64")
    loss = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    expected = [0.0, 0.0, 1000.0, 1000.0, 40.0 + math.exp(-40.0)]
    np.testing.assert_allclose(loss.detach().numpy(), expected, rtol=1e-15, atol=0)
    loss.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.0, 1.0, -1.0, 1.0], atol=1e-15)
    # float32 logits past where sigmoid rounds to 1: the logit form still gives the exact loss.
    x32 = ag.tensor([30.0, -30.0])
    np.testing.assert_allclose(
        F.binary_cross_entropy_with_logits(x32, ag.tensor([0.0, 1.0]), reduction="none").numpy(), [30.0, 30.0]
    )


def test_binary_cross_entropy_with_logits_gradients(rng):
    x, y = dtensor(rng.standard_normal((2, 3)) * 2), dtensor(rng.uniform(0, 1, (2, 3)))
    pw = ag.tensor(rng.uniform(0.5, 3, 3))
    fn = lambda x, y: F.binary_cross_entropy_with_logits(x, y, pos_weight=pw)
    assert ag.gradcheck(fn, [x, y])
    assert ag.gradgradcheck(fn, [x, y])


def test_binary_cross_entropy_with_logits_matches_sigmoid_then_bce(rng):
    x, y = rng.standard_normal(6), rng.uniform(0, 1, 6)
    a = F.binary_cross_entropy_with_logits(ag.tensor(x), ag.tensor(y))
    b = F.binary_cross_entropy(ag.tensor(1 / (1 + np.exp(-x))), ag.tensor(y))
    assert a.item() == pytest.approx(b.item(), rel=1e-12)


def test_binary_cross_entropy_with_logits_shape_mismatch():
    with pytest.raises(ValueError, match=r"\(3,\).*\(3, 1\)"):
        F.binary_cross_entropy_with_logits(ag.zeros(3, 1), ag.zeros(3))


# --- margin losses ------------------------------------------------------------------------------


def multi_margin_ref(x, target, p=1, margin=1.0, weight=None):
    rows = x.reshape(-1, x.shape[-1])
    out = []
    for row, t in zip(rows, np.reshape(target, -1)):
        total = sum(max(0.0, margin - row[t] + row[i]) ** p for i in range(len(row)) if i != t)
        out.append(total / len(row) * (1.0 if weight is None else weight[t]))
    return np.array(out).reshape(np.shape(target))


@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multi_margin_loss(p, reduction, rng):
    x, target, w = rng.standard_normal((5, 4)), rng.integers(0, 4, 5), rng.uniform(0.5, 2, 4)
    for weight in (None, w):
        got = F.multi_margin_loss(ag.tensor(x), ag.tensor(target), p, 0.7,
                                  None if weight is None else ag.tensor(weight), reduction)
        np.testing.assert_allclose(got.numpy(), reduce_ref(multi_margin_ref(x, target, p, 0.7, weight), reduction),
                                   rtol=1e-12)
    unbatched = F.multi_margin_loss(ag.tensor(x[0]), ag.tensor(target[0]), reduction="none")
    np.testing.assert_allclose(unbatched.numpy(), multi_margin_ref(x[0], target[0]), rtol=1e-12)


@pytest.mark.parametrize("p", [1, 2])
def test_multi_margin_loss_gradients(p, rng):
    x = rng.standard_normal((3, 4))
    target = ag.tensor([0, 3, 1])
    fn = lambda x: F.multi_margin_loss(x, target, p=p, margin=0.5)
    # keep every hinge term away from its kink at 0
    while np.any(np.abs(0.5 - x[np.arange(3), target.numpy()][:, None] + x) < 0.05):
        x = rng.standard_normal((3, 4))
    assert ag.gradcheck(fn, [dtensor(x)])
    assert ag.gradgradcheck(fn, [dtensor(x)])


def test_multi_margin_loss_errors():
    with pytest.raises(ValueError, match="p must be 1 or 2, got 3"):
        F.multi_margin_loss(ag.zeros(2, 3), ag.tensor([0, 1]), p=3)
    with pytest.raises(ValueError, match=r"\(2, 3, 4\)"):
        F.multi_margin_loss(ag.zeros(2, 3, 4), ag.zeros(2, 4, dtype="int64"))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_hinge_embedding_loss(reduction, rng):
    x, y = rng.standard_normal((3, 4)), rng.choice([-1.0, 1.0], (3, 4))
    expected = np.where(y == 1, x, np.maximum(0.0, 0.8 - x))
    got = F.hinge_embedding_loss(ag.tensor(x), ag.tensor(y), margin=0.8, reduction=reduction)
    np.testing.assert_allclose(got.numpy(), reduce_ref(expected, reduction), rtol=1e-12)


def test_hinge_embedding_loss_gives_the_lectures_hinge(rng):
    scores, labels = rng.standard_normal(10), rng.choice([-1.0, 1.0], 10)
    got = F.hinge_embedding_loss(ag.tensor(labels * scores), -ag.ones(10, dtype="float64"), reduction="none")
    np.testing.assert_allclose(got.numpy(), np.maximum(0.0, 1.0 - labels * scores), rtol=1e-12)


def test_hinge_embedding_loss_gradients(rng):
    x = rng.standard_normal((2, 3))
    x = np.where(np.abs(1.0 - x) < 0.1, x + 0.3, x)
    y = ag.tensor(rng.choice([-1.0, 1.0], (2, 3)))
    assert ag.gradcheck(lambda x: F.hinge_embedding_loss(x, y), [dtensor(x)])
    assert ag.gradgradcheck(lambda x: F.hinge_embedding_loss(x * x, y), [dtensor(x)])


# --- loss modules --------------------------------------------------------------------------------


def test_loss_modules_call_their_functions(rng):
    x, y = ag.tensor(rng.standard_normal((4, 3))), ag.tensor(rng.standard_normal((4, 3)))
    p, b = ag.tensor(rng.uniform(0.1, 0.9, (4, 3))), ag.tensor(rng.integers(0, 2, (4, 3)).astype(float))
    idx, w = ag.tensor([0, 2, 1, 2]), ag.tensor(rng.uniform(0.5, 2, 3))
    cases = [
        (nn.MSELoss(reduction="sum"), (x, y), F.mse_loss(x, y, reduction="sum")),
        (nn.L1Loss(), (x, y), F.l1_loss(x, y)),
        (nn.SmoothL1Loss(beta=0.3), (x, y), F.smooth_l1_loss(x, y, beta=0.3)),
        (nn.HuberLoss(delta=0.3), (x, y), F.huber_loss(x, y, delta=0.3)),
        (nn.CrossEntropyLoss(w, ignore_index=1, label_smoothing=0.1), (x, idx),
         F.cross_entropy(x, idx, w, ignore_index=1, label_smoothing=0.1)),
        (nn.NLLLoss(w, reduction="none"), (x, idx), F.nll_loss(x, idx, w, reduction="none")),
        (nn.BCELoss(w), (p, b), F.binary_cross_entropy(p, b, w)),
        (nn.BCEWithLogitsLoss(pos_weight=w), (x, b), F.binary_cross_entropy_with_logits(x, b, pos_weight=w)),
        (nn.MultiMarginLoss(2, 0.5, w), (x, idx), F.multi_margin_loss(x, idx, 2, 0.5, w)),
        (nn.HingeEmbeddingLoss(0.5), (x, b * 2 - 1), F.hinge_embedding_loss(x, b * 2 - 1, 0.5)),
    ]
    for module, args, expected in cases:
        np.testing.assert_array_equal(module(*args).numpy(), expected.numpy(), err_msg=repr(module))


def test_loss_module_weights_are_buffers():
    w = ag.tensor([1.0, 2.0, 3.0])
    loss = nn.CrossEntropyLoss(w)
    assert list(loss.state_dict()) == ["weight"]
    assert list(nn.CrossEntropyLoss().state_dict()) == []
    assert list(nn.BCEWithLogitsLoss(pos_weight=w).state_dict()) == ["pos_weight"]
    loss.double()
    assert loss.weight.dtype == np.float64
    assert repr(loss) == "CrossEntropyLoss()"
    assert list(loss.parameters()) == []


def test_loss_module_constructor_errors():
    with pytest.raises(ValueError, match="'avg'"):
        nn.MSELoss(reduction="avg")
    with pytest.raises(ValueError, match=r"2\.0"):
        nn.CrossEntropyLoss(label_smoothing=2.0)
    with pytest.raises(ValueError, match="p must be 1 or 2, got 0"):
        nn.MultiMarginLoss(p=0)
    with pytest.raises(TypeError, match="list"):
        nn.NLLLoss([1.0, 2.0])


def test_training_a_linear_classifier_with_cross_entropy_reduces_the_loss(rng):
    ag.manual_seed(0)
    x = ag.tensor(rng.standard_normal((64, 2)))
    y = ag.tensor((x.numpy()[:, 0] > 0).astype(np.int64))
    model, loss_fn = nn.Linear(2, 2), nn.CrossEntropyLoss()
    first = None
    for _ in range(50):
        loss = loss_fn(model(x), y)
        first = first if first is not None else loss.item()
        model.zero_grad()
        loss.backward()
        with ag.no_grad():
            for p in model.parameters():
                p -= 0.5 * p.grad
    assert loss.item() < 0.5 * first


# --- against torch, when it is installed ---------------------------------------------------------


def test_losses_match_torch(rng):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    t = torch.tensor
    for logits_shape, target_shape in LAYOUTS:
        logits, target = make_class_problem(rng, logits_shape, target_shape)
        w = rng.uniform(0.5, 2, 3)
        for reduction in REDUCTIONS:
            ours = F.cross_entropy(ag.tensor(logits), ag.tensor(target), ag.tensor(w), reduction=reduction,
                                   label_smoothing=0.2)
            theirs = tf.cross_entropy(t(logits), t(target), t(w), reduction=reduction, label_smoothing=0.2)
            np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
    x, y = rng.standard_normal((3, 4)), rng.uniform(0, 1, (3, 4))
    pw = rng.uniform(0.5, 3, 4)
    np.testing.assert_allclose(
        F.binary_cross_entropy_with_logits(ag.tensor(x), ag.tensor(y), pos_weight=ag.tensor(pw)).numpy(),
        tf.binary_cross_entropy_with_logits(t(x), t(y), pos_weight=t(pw)).numpy(), rtol=1e-12)
    idx = rng.integers(0, 4, 3)
    np.testing.assert_allclose(F.multi_margin_loss(ag.tensor(x), ag.tensor(idx), 2, 0.3).numpy(),
                               tf.multi_margin_loss(t(x), t(idx), 2, 0.3).numpy(), rtol=1e-12)


def test_losses_keep_float32(rng):
    x = ag.tensor(rng.standard_normal((4, 3)).astype(np.float32), requires_grad=True)
    p = ag.tensor(rng.uniform(0.1, 0.9, (4, 3)).astype(np.float32), requires_grad=True)
    idx, w = ag.tensor([0, 1, 2, -100]), ag.ones(3)
    losses = [
        F.cross_entropy(x, idx, w, label_smoothing=0.1), F.cross_entropy(x, p, w), F.nll_loss(x, idx),
        F.mse_loss(x, p), F.l1_loss(x, p), F.smooth_l1_loss(x, p), F.huber_loss(x, p),
        F.binary_cross_entropy(p, (p > 0.5).float(), w), F.binary_cross_entropy_with_logits(x, p, w, pos_weight=w),
        F.multi_margin_loss(x, ag.tensor([0, 1, 2, 0]), weight=w), F.hinge_embedding_loss(x, (p > 0.5).float()),
    ]
    for loss in losses:
        assert loss.dtype == np.float32
        grads = ag.grad(loss, [x, p], allow_unused=True)
        assert all(g is None or g.dtype == np.float32 for g in grads)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_fused_cross_entropy_matches_the_composed_form(reduction):
    # Class indices without weights take one fused op; a weight of ones takes the composed
    # path. Values, gradients and second derivatives must agree, ignored targets included.
    rng = np.random.default_rng(3)
    x = ag.tensor(rng.standard_normal((5, 4)), requires_grad=True)
    t = ag.tensor([0, 3, -100, 2, 3])
    fused = F.cross_entropy(x, t, reduction=reduction)
    assert fused.grad_fn.name() == "SoftmaxCrossEntropyBackward"
    composed = F.cross_entropy(x, t, weight=ag.ones(4, dtype="float64"), reduction=reduction)
    np.testing.assert_allclose(fused.item(), composed.item(), rtol=1e-12)
    (g1,) = ag.grad(fused, x, create_graph=True)
    (g2,) = ag.grad(composed, x, create_graph=True)
    np.testing.assert_allclose(g1.detach().numpy(), g2.detach().numpy(), rtol=1e-10, atol=1e-14)
    v = ag.tensor(rng.standard_normal((5, 4)))
    (h1,) = ag.grad((g1 * v).sum(), x)
    (h2,) = ag.grad((g2 * v).sum(), x)
    np.testing.assert_allclose(h1.numpy(), h2.numpy(), rtol=1e-10, atol=1e-14)
    assert ag.gradgradcheck(lambda x: F.cross_entropy(x, t, reduction=reduction), [x])


def test_fused_cross_entropy_with_every_target_ignored_is_nan():
    x = ag.tensor(np.zeros((2, 3)), requires_grad=True)
    assert np.isnan(F.cross_entropy(x, ag.tensor([-100, -100])).item())
