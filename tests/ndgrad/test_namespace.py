"""``import ndgrad as torch``: the names issue 17 lists, the import forms scripts use, and a
short script written for torch that runs with that one import changed."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import autograd
import ndgrad
import ndgrad as torch
import nn
import nn.functional
import nn.init
import optim
import optim.lr_scheduler
from nn import data, sequences


def test_every_name_of_autograd_is_the_same_object_in_ndgrad():
    for name in autograd.__all__:
        assert getattr(ndgrad, name) is getattr(autograd, name), name
    assert set(autograd.__all__) <= set(ndgrad.__all__)


def test_the_submodules_are_autograds_nns_and_optims_own():
    assert torch.nn.Linear is nn.Linear and torch.nn.Module is nn.Module and torch.nn.Parameter is nn.Parameter
    assert torch.nn.functional is nn.functional and torch.nn.init is nn.init
    assert torch.optim.SGD is optim.SGD and torch.optim.lr_scheduler is optim.lr_scheduler
    assert torch.utils.data is data
    assert torch.autograd.Function is autograd.Function and torch.autograd.grad is autograd.grad
    assert torch.autograd.functional is autograd.functional
    assert torch.save is nn.save and torch.load is nn.load


ISSUE_NAMES = {
    # torch's name: what it must be here
    "nn.utils.clip_grad_norm_": nn.utils.clip_grad_norm_,
    "nn.utils.clip_grad_value_": nn.utils.clip_grad_value_,
    "nn.utils.rnn.pad_sequence": sequences.pad_sequence,
    "nn.utils.rnn.pack_padded_sequence": sequences.pack_padded_sequence,
    "nn.utils.rnn.pad_packed_sequence": sequences.pad_packed_sequence,
    "utils.data.DataLoader": data.DataLoader,
    "utils.data.TensorDataset": data.TensorDataset,
    "utils.data.random_split": data.random_split,
    "autograd.gradcheck": autograd.gradcheck,
    "autograd.gradgradcheck": autograd.gradgradcheck,
    "autograd.functional.jacobian": autograd.functional.jacobian,
    "autograd.functional.hessian": autograd.functional.hessian,
    "autograd.functional.vjp": autograd.functional.vjp,
    "autograd.functional.jvp": autograd.functional.jvp,
    "manual_seed": autograd.manual_seed,
    "Generator": autograd.Generator,
    "Size": autograd.Size,
    "device": autograd.device,
    "no_grad": autograd.no_grad,
    "enable_grad": autograd.enable_grad,
    "set_grad_enabled": autograd.set_grad_enabled,
    "is_grad_enabled": autograd.is_grad_enabled,
    "float": np.dtype(np.float32),
    "double": np.dtype(np.float64),
    "long": np.dtype(np.int64),
}


def lookup(module, dotted):
    for part in dotted.split("."):
        module = getattr(module, part)
    return module


@pytest.mark.parametrize("name", list(ISSUE_NAMES))
def test_the_names_the_issue_lists(name):
    assert lookup(torch, name) is ISSUE_NAMES[name] or lookup(torch, name) == ISSUE_NAMES[name]


def test_devices_and_backends_say_there_is_only_the_cpu():
    assert torch.cuda.is_available() is False and torch.cuda.device_count() == 0
    torch.cuda.manual_seed(0)
    torch.cuda.manual_seed_all(0)  # seeding a GPU that is not there changes nothing, as in torch
    assert torch.backends.mps.is_available() is False and torch.backends.mps.is_built() is False
    assert torch.accelerator.is_available() is False and torch.accelerator.device_count() == 0
    assert torch.accelerator.current_accelerator() is None
    assert torch.backends.cudnn.deterministic is False and torch.backends.cudnn.benchmark is False
    torch.backends.cudnn.deterministic = True  # scripts set these; reading back gives what was set
    try:
        assert torch.backends.cudnn.deterministic is True
    finally:
        torch.backends.cudnn.deterministic = False


def test_inference_mode_is_no_grad():
    x = torch.ones(2, requires_grad=True)
    with torch.inference_mode():
        assert not (x * 2).requires_grad
    with torch.inference_mode(False):
        assert (x * 2).requires_grad

    @torch.inference_mode
    def bare():
        return x * 2

    @torch.inference_mode()
    def called():
        return x * 2

    assert not bare().requires_grad and not called().requires_grad and (x * 2).requires_grad
    assert torch.autograd.inference_mode is torch.inference_mode


def test_dtypes_numpy_cannot_hold_are_refused_by_name():
    with pytest.raises(AttributeError, match="no dtype bfloat16: NumPy has no bfloat16"):
        torch.bfloat16
    with pytest.raises(AttributeError, match="has no attribute 'not_a_name'"):
        torch.not_a_name


IMPORT_FORMS = [
    "import ndgrad.nn as nn; assert nn.Linear",
    "import ndgrad.nn.functional as F; assert F.relu",
    "import ndgrad.nn.init as init; assert init.xavier_uniform_",
    "from ndgrad.nn.utils import clip_grad_norm_",
    "from ndgrad.nn.utils.rnn import pad_sequence, pack_padded_sequence",
    "import ndgrad.nn.utils.rnn as rnn; assert rnn.pack_sequence",
    "from ndgrad.utils.data import DataLoader, TensorDataset, random_split",
    "import ndgrad.utils.data as data; assert data.DataLoader",
    "from ndgrad import nn, optim; assert nn.Linear and optim.SGD",
    "import ndgrad.optim as optim; assert optim.Adam",
    "from ndgrad.optim.lr_scheduler import StepLR",
    "from ndgrad.optim.optimizer import Optimizer",
    "from ndgrad.autograd import Function, grad",
    "from ndgrad.autograd.functional import jacobian, hessian, vjp, jvp",
    "import ndgrad.backends.cudnn as cudnn; cudnn.benchmark = True",
    "from ndgrad import *; assert zeros and float and Tensor and nn",
]


@pytest.mark.parametrize("statement", IMPORT_FORMS)
def test_import_forms_in_a_fresh_interpreter(statement):
    subprocess.run([sys.executable, "-c", statement], check=True)


def test_every_import_path_gives_the_same_objects():
    import ndgrad.nn.functional as functional
    from ndgrad.nn.utils.rnn import pad_sequence
    from ndgrad.optim.lr_scheduler import StepLR
    from ndgrad.utils.data import DataLoader

    assert functional is nn.functional and StepLR is optim.lr_scheduler.StepLR and DataLoader is data.DataLoader
    assert pad_sequence is sequences.pad_sequence
    with pytest.raises(ModuleNotFoundError):
        import ndgrad.nn.no_such_module  # noqa: F401


def test_autograd_nn_and_optim_do_not_import_ndgrad():
    code = "import sys, autograd, nn, optim; assert not [m for m in sys.modules if m.startswith('ndgrad')]"
    subprocess.run([sys.executable, "-c", code], check=True)


SCRIPT = """
    import numpy as np
    {import_line}
    import {package}.nn as nn
    import {package}.nn.functional as F
    from {package}.utils.data import DataLoader, TensorDataset

    torch.manual_seed(0)
    torch.backends.cudnn.deterministic = True
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    g = torch.Generator().manual_seed(1)
    x = torch.rand(256, 3, generator=g) * 2 - 1
    true_w = torch.tensor([[1.5], [-2.0], [0.5]])
    y = x @ true_w + 0.3 + 0.01 * torch.randn(256, 1, generator=g)
    loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)

    model = nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 1)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=20, gamma=0.5)
    for epoch in range(40):
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device, dtype=torch.float)
            optimizer.zero_grad()
            loss = F.mse_loss(model(xb), yb)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=5.0)
            optimizer.step()
        scheduler.step()

    torch.save(model.state_dict(), "model.pt")
    again = nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 1))
    again.load_state_dict(torch.load("model.pt"))
    with torch.no_grad():
        final = F.mse_loss(again(x), y).item()
    assert torch.allclose(again(x), model(x))
    order = torch.randperm(5, generator=torch.Generator().manual_seed(3))
    assert sorted(order.tolist()) == [0, 1, 2, 3, 4] and order.dtype == torch.long
    print(final)
"""


def run_script(tmp_path, import_line, package):
    script = tmp_path / f"{package}_script.py"
    script.write_text(textwrap.dedent(SCRIPT).format(import_line=import_line, package=package))
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return float(done.stdout.split()[-1])


def test_a_script_written_for_torch_runs_with_import_ndgrad_as_torch(tmp_path):
    loss = run_script(tmp_path, "import ndgrad as torch", "ndgrad")
    assert loss < 0.01  # it learned the plane (the targets' variance is about 2)


def test_the_same_script_runs_with_torch(tmp_path):
    pytest.importorskip("torch")
    ours = run_script(tmp_path, "import ndgrad as torch", "ndgrad")
    theirs = run_script(tmp_path, "import torch", "torch")
    assert theirs < 0.01 and ours < 0.01


def test_ndgrad_names_are_torchs():
    real = pytest.importorskip("torch")
    ours = set(ndgrad.__all__) - {"bool_", "generator", "draw_graph", "draw_text", "Scalar", "AnomalyError",
                                  "GradcheckError", "DeviceError", "SamplingError", "Histogram", "ValuesIndices",
                                  "MinMax", "RemovableHandle", "Context", "Function", "Op", "grad", "gradcheck",
                                  "gradgradcheck", "detect_anomaly", "is_anomaly_enabled", "zero_grads", "linear",
                                  "default_generator"}
    missing = sorted(name for name in ours if not hasattr(real, name))
    assert not missing, f"ndgrad names that torch does not have: {missing}"
