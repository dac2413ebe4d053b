"""nn.save / nn.load: exact round trips, torch.save/torch.load's arguments, no pickle, refusal of
bad .npz files, atomic writes (in both formats), torch conversion."""

import io
import json
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
from checkpoint_objects import Tiny, nested, same

import autograd as ag
import nn
from nn import checkpoint
from nn.checkpoint import CheckpointError

# --- round trips -------------------------------------------------------------------------


def test_round_trip_of_nested_structures_is_exact(tmp_path):
    obj = nested()
    nn.save(obj, tmp_path / "ckpt.npz")
    loaded = nn.load(tmp_path / "ckpt.npz")
    same(obj, loaded)
    assert isinstance(loaded["param"], nn.Parameter) and loaded["param"].requires_grad
    assert isinstance(loaded["plain_dict"], dict) and not isinstance(loaded["plain_dict"], OrderedDict)


def test_round_trip_through_a_file_object_and_compressed():
    obj = nested()
    for compress in (False, True):
        buffer = io.BytesIO()
        nn.save(obj, buffer, compress=compress)
        buffer.seek(0)
        same(obj, nn.load(buffer))


def test_module_state_dict_round_trip(tmp_path):
    source, target = Tiny(), Tiny()
    nn.save(source.state_dict(), str(tmp_path / "model.npz"))  # str paths too
    state = nn.load(tmp_path / "model.npz")
    assert isinstance(state, OrderedDict) and list(state) == ["weight", "count", "inner.bias"]
    target.load_state_dict(state)
    for (name, a), (_, b) in zip(source.state_dict().items(), target.state_dict().items()):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=name)
        assert a.dtype == b.dtype


def test_optimizer_state_dict_round_trip(tmp_path):
    state = {
        "state": {0: {"step": 3, "exp_avg": ag.zeros(3, 2), "exp_avg_sq": ag.ones(3, 2)}, 1: {"step": 3}},
        "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "amsgrad": False,
                          "foreach": None, "params": [0, 1]}],
    }
    nn.save(state, tmp_path / "opt.npz")
    loaded = nn.load(tmp_path / "opt.npz")
    same(state, loaded)
    assert list(loaded["state"]) == [0, 1] and isinstance(loaded["param_groups"][0]["betas"], tuple)


def test_an_array_reached_twice_is_stored_once_and_shared_again(tmp_path):
    t = ag.randn(4)
    nn.save({"a": t, "b": t, "c": np.asarray(t)}, tmp_path / "tied.npz")
    with zipfile.ZipFile(tmp_path / "tied.npz") as z:
        assert sorted(z.namelist()) == ["a0.npy", "structure.json"]
    loaded = nn.load(tmp_path / "tied.npz")
    assert np.shares_memory(np.asarray(loaded["a"]), np.asarray(loaded["b"]))
    np.testing.assert_array_equal(loaded["c"], np.asarray(t))


def test_archive_is_a_plain_npz_without_pickles(tmp_path):
    nn.save(nested(), tmp_path / "ckpt.npz")
    with zipfile.ZipFile(tmp_path / "ckpt.npz") as z:
        header = json.loads(z.read("structure.json"))
        assert header["format"] == "ndgrad-checkpoint" and header["version"] == checkpoint.FORMAT_VERSION
        for name in z.namelist():
            if name.endswith(".npy"):
                with z.open(name) as member:  # reading without pickle succeeds only if none is inside
                    array = np.lib.format.read_array(member, allow_pickle=False)
                assert array.dtype.kind in "biufc"
    with np.load(tmp_path / "ckpt.npz", allow_pickle=False) as plain:  # NumPy reads it as any npz
        assert "structure.json" in plain.files and "a0" in plain.files


@pytest.mark.parametrize(
    ("obj", "error", "pattern"),
    [
        ({"x": {1, 2}}, TypeError, r"obj\['x'\].*set"),
        ({"x": [1, object()]}, TypeError, r"obj\['x'\]\[1\].*object"),
        ({"x": np.array([None], dtype=object)}, TypeError, r"obj\['x'\].*dtype object"),
        ({"x": np.array(["a"])}, TypeError, "dtype <U1"),
        ({frozenset(): 1}, TypeError, "frozenset"),
        (Tiny(), TypeError, r"obj is a Tiny.*save its state_dict\(\) instead"),
        ({"model": Tiny()}, TypeError, r"obj\['model'\] is a Tiny.*state_dict\(\)"),
        ([ag.ones(2), nn.Linear(2, 2)], TypeError, r"obj\[1\] is a Linear.*state_dict\(\)"),
        ({"f": print}, TypeError, r"obj\['f'\], a builtin_function_or_method.*save its state_dict\(\)"),
    ],
)
def test_save_refuses_what_it_cannot_store_without_pickle(tmp_path, obj, error, pattern):
    with pytest.raises(error, match=pattern):
        nn.save(obj, tmp_path / "bad.npz")
    assert os.listdir(tmp_path) == []  # refused before touching the disk


def test_an_optimizer_object_is_refused_with_the_state_dict_hint(tmp_path):
    import optim
    opt = optim.SGD(Tiny().parameters(), lr=0.1)
    with pytest.raises(TypeError, match=r"obj is a SGD.*state_dict\(\)"):
        nn.save(opt, tmp_path / "opt.npz")
    nn.save(opt.state_dict(), tmp_path / "opt.npz")
    assert nn.load(tmp_path / "opt.npz")["param_groups"][0]["lr"] == 0.1


# --- torch.save / torch.load semantics ---------------------------------------------------


@pytest.mark.parametrize(
    "obj",
    [
        ag.tensor([[1.0, 2.0]]),
        ag.tensor(np.int64(7)),
        (ag.ones(2), [ag.zeros(1), {"k": (1, None)}], "tag"),
        [OrderedDict([("z", 1), ("a", ag.ones(1))]), {"z": 2, "a": 3.5, "m": True}],
        {"model": OrderedDict([("w", ag.ones(2, 2))]), "epoch": 3, "best": None, "history": [0.5, 0.25]},
    ],
    ids=["tensor", "0-d int tensor", "tuple root", "list of dicts", "training checkpoint"],
)
def test_save_and_load_keep_any_nesting_of_tensors_exactly(tmp_path, obj):
    nn.save(obj, tmp_path / "x.pt")  # torch's customary suffix writes the npz format
    same(obj, nn.load(tmp_path / "x.pt"))


def test_f_may_be_a_str_a_pathlike_or_a_binary_file(tmp_path):
    obj = {"w": ag.arange(3)}
    nn.save(obj, str(tmp_path / "a.npz"))
    nn.save(obj, tmp_path / "b.npz")
    with open(tmp_path / "c.npz", "wb") as handle:
        nn.save(obj, handle)
    for name in ("a.npz", "b.npz", "c.npz"):
        same(obj, nn.load(str(tmp_path / name)))
        with open(tmp_path / name, "rb") as handle:
            same(obj, nn.load(handle))


def test_a_file_object_is_read_from_where_it_stands():
    buffer = io.BytesIO()
    nn.save({"a": ag.ones(2)}, buffer)
    start = buffer.tell()
    nn.save({"b": 2}, buffer)
    buffer.seek(start)
    assert nn.load(buffer) == {"b": 2}


@pytest.mark.parametrize(
    "map_location",
    [None, "cpu", "cpu:0", ag.device("cpu"), {"cuda:0": "cpu"}, {}, lambda storage, location: storage],
    ids=["None", "cpu", "cpu:0", "device", "dict", "empty dict", "function"],
)
@pytest.mark.parametrize("weights_only", [None, True, False])
def test_load_accepts_torch_keywords_for_the_cpu(tmp_path, map_location, weights_only):
    obj = OrderedDict([("w", ag.ones(2, 3)), ("step", 4)])
    nn.save(obj, tmp_path / "x.npz")
    same(obj, nn.load(tmp_path / "x.npz", map_location, weights_only=weights_only))
    same(obj, nn.load(tmp_path / "x.npz", map_location=map_location, weights_only=weights_only))


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"map_location": "cuda"}, ValueError, "'cuda' is not available"),
        ({"map_location": "cuda:1"}, ValueError, "cuda:1"),
        ({"map_location": {"cpu": "mps"}}, ValueError, "mps"),
        ({"map_location": 3.5}, TypeError, "map_location must be a device.*3.5"),
        ({"weights_only": "yes"}, TypeError, "weights_only must be True, False or None, got 'yes'"),
    ],
)
def test_load_refuses_other_devices_and_bad_keywords(tmp_path, kwargs, error, pattern):
    nn.save({"w": ag.ones(1)}, tmp_path / "x.npz")
    with pytest.raises(error, match=pattern):
        nn.load(tmp_path / "x.npz", **kwargs)


def test_torch_device_map_location():
    torch = pytest.importorskip("torch")
    buffer = io.BytesIO()
    nn.save({"w": ag.ones(1)}, buffer)
    buffer.seek(0)
    assert nn.load(buffer, map_location=torch.device("cpu"))["w"].shape == (1,)
    buffer.seek(0)
    with pytest.raises(ValueError, match="cuda"):
        nn.load(buffer, map_location=torch.device("cuda"))


def test_loaded_tensors_are_ndgrad_tensors_that_can_be_updated_in_place(tmp_path):
    nn.save({"w": ag.ones(2, 2, dtype=ag.float64)}, tmp_path / "x.npz")
    w = nn.load(tmp_path / "x.npz")["w"]
    assert isinstance(w, ag.Tensor) and w.shape == (2, 2) and w.dtype == np.float64
    with ag.no_grad():
        w.add_(1.0)
    np.testing.assert_array_equal(w.detach().numpy(), np.full((2, 2), 2.0))


# --- files that must be refused ----------------------------------------------------------


class _Exploit:
    """Unpickling this runs code: it writes a marker file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').write('pwned')",))


def _archive(path, members):
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)


def _npy_bytes(array, allow_pickle=False):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def _header(root, version=1):
    return json.dumps({"format": "ndgrad-checkpoint", "version": version, "root": root})


def test_object_array_with_pickle_inside_is_refused_and_never_run(tmp_path):
    marker = tmp_path / "pwned"
    evil = np.array([_Exploit(marker)], dtype=object)
    path = tmp_path / "evil.npz"
    _archive(path, {"structure.json": _header({"$odict": [["w", {"$tensor": 0}]]}),
                    "a0.npy": _npy_bytes(evil, allow_pickle=True)})
    with pytest.raises(CheckpointError, match=r"a0\.npy.*object array"):
        nn.load(path)
    assert not marker.exists()
    # The file really is an exploit: loading it with pickle allowed runs the code.
    with np.load(path, allow_pickle=True) as z:
        z["a0"]
    assert marker.read_text() == "pwned"


def test_pickle_files_are_refused_and_never_run(tmp_path):
    marker = tmp_path / "pwned"
    payload = pickle.dumps({"weight": _Exploit(marker)})
    (tmp_path / "model.pt").write_bytes(payload)
    with pytest.raises(CheckpointError, match="pickle"):
        nn.load(tmp_path / "model.pt")
    # PyTorch's own format: a zip holding a pickle.
    _archive(tmp_path / "torch.pt", {"archive/data.pkl": payload, "archive/version": "3"})
    with pytest.raises(CheckpointError, match=r"no structure.json.*archive/data.pkl.*torch.load"):
        nn.load(tmp_path / "torch.pt")
    # A single .npy holding pickled objects.
    (tmp_path / "one.npy").write_bytes(_npy_bytes(np.array([_Exploit(marker)], dtype=object), allow_pickle=True))
    with pytest.raises(CheckpointError, match=r"single \.npy"):
        nn.load(tmp_path / "one.npy")
    assert not marker.exists()


def test_truncated_files_are_refused(tmp_path):
    path = tmp_path / "ckpt.npz"
    nn.save(nested(), path)
    data = path.read_bytes()
    cuts = sorted({0, 1, 3, 10, 100, len(data) // 2, len(data) - 100, len(data) - 23, len(data) - 1,
                   *range(0, len(data), max(1, len(data) // 25))})
    for cut in cuts:
        path.write_bytes(data[:cut])
        with pytest.raises(CheckpointError, match=r"ckpt\.npz"):
            nn.load(path)


def test_corrupted_bytes_are_refused(tmp_path):
    path = tmp_path / "ckpt.npz"
    nn.save({"w": ag.tensor(np.arange(1000, dtype=np.float64))}, path)
    data = bytearray(path.read_bytes())
    start = data.index(b"\x93NUMPY") + 200  # inside the array's bytes
    data[start] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="corrupt"):
        nn.load(path)


@pytest.mark.parametrize(
    ("content", "pattern"),
    [
        (b"", "empty"),
        (b"hello, I am a text file\n", "does not start like a zip/npz archive or a safetensors file"),
        (b'{"format": "ndgrad-checkpoint"}', "does not start like a zip"),
    ],
)
def test_foreign_files_are_refused(tmp_path, content, pattern):
    (tmp_path / "f.npz").write_bytes(content)
    with pytest.raises(CheckpointError, match=pattern):
        nn.load(tmp_path / "f.npz")


def test_a_plain_npz_is_not_a_checkpoint(tmp_path):
    np.savez(tmp_path / "plain.npz", weight=np.ones(3))
    with pytest.raises(CheckpointError, match=r"no structure.json.*'weight'"):
        nn.load(tmp_path / "plain.npz")


@pytest.mark.parametrize(
    ("members", "pattern"),
    [
        ({"structure.json": json.dumps({"format": "other", "version": 1, "root": None})}, "not an ndgrad"),
        ({"structure.json": "{not json"}, "cannot read structure.json"),
        ({"structure.json": _npy_bytes(np.zeros(2))}, "not JSON"),
        ({"structure.json": _header({"$tensor": 0})}, "a0.npy is missing"),
        ({"structure.json": _header({"$tensor": 0}), "a0.npy": b"not an array"}, "not a numeric array"),
        ({"structure.json": _header({"$weird": 1})}, "malformed"),
        ({"structure.json": _header(None, version="1")}, "invalid format version '1'"),
    ],
)
def test_malformed_checkpoints_are_refused(tmp_path, members, pattern):
    _archive(tmp_path / "bad.npz", members)
    with pytest.raises(CheckpointError, match=pattern):
        nn.load(tmp_path / "bad.npz")


def test_future_format_version_is_refused(tmp_path):
    _archive(tmp_path / "future.npz", {"structure.json": _header({"$dict": []}, version=checkpoint.FORMAT_VERSION + 1)})
    with pytest.raises(CheckpointError, match=f"version {checkpoint.FORMAT_VERSION + 1}.*upgrade"):
        nn.load(tmp_path / "future.npz")
    # The same archive at the current version loads, so the version is what was refused.
    _archive(tmp_path / "now.npz", {"structure.json": _header({"$dict": []})})
    assert nn.load(tmp_path / "now.npz") == {}


def test_checkpoint_error_is_a_value_error():
    assert issubclass(CheckpointError, ValueError)


# --- atomic writes (both formats) -------------------------------------------------------

# Each format's suffix, and the function that writes its bytes to the open file.
FORMATS = {"npz": "_write_archive", "safetensors": "_write_safetensors"}
each_format = pytest.mark.parametrize("fmt", list(FORMATS))


@each_format
def test_a_crash_mid_write_leaves_the_previous_checkpoint(tmp_path, monkeypatch, fmt):
    path = tmp_path / f"ckpt.{fmt}"
    old = {"step": 1, "w": ag.ones(1000)}
    nn.save(old, path)
    before = path.read_bytes()
    real_write = getattr(checkpoint, FORMATS[fmt])

    def crash_halfway(handle, *args):
        buffer = io.BytesIO()
        real_write(buffer, *args)
        handle.write(buffer.getvalue()[: len(buffer.getvalue()) // 2])
        handle.flush()
        raise OSError("disk full")

    monkeypatch.setattr(checkpoint, FORMATS[fmt], crash_halfway)
    with pytest.raises(OSError, match="disk full"):
        nn.save({"step": 2, "w": ag.zeros(1000)}, path)
    assert os.listdir(tmp_path) == [path.name]  # no temporary file left behind
    assert path.read_bytes() == before
    same(nn.load(path), old)
    # A crash while writing a new file leaves nothing.
    with pytest.raises(OSError, match="disk full"):
        nn.save({"step": 2}, tmp_path / f"new.{fmt}")
    assert os.listdir(tmp_path) == [path.name]


@each_format
def test_a_failed_rename_leaves_the_previous_checkpoint(tmp_path, monkeypatch, fmt):
    path = tmp_path / f"ckpt.{fmt}"
    nn.save({"step": 1}, path)

    def no_rename(src, dst):
        raise PermissionError("rename refused")

    monkeypatch.setattr(os, "replace", no_rename)
    with pytest.raises(PermissionError):
        nn.save({"step": 2}, path)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == [path.name] and nn.load(path) == {"step": 1}


@each_format
def test_saves_are_flushed_to_disk_before_the_rename(tmp_path, monkeypatch, fmt):
    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace", lambda a, b: (events.append("replace"), real_replace(a, b))[1])
    nn.save({"w": ag.ones(3)}, tmp_path / f"ckpt.{fmt}")
    assert events[:2] == ["fsync", "replace"]


@each_format
def test_new_files_get_the_usual_permissions(tmp_path, fmt):
    umask = os.umask(0o022)
    os.umask(umask)
    nn.save({"a": 1}, tmp_path / f"ckpt.{fmt}")
    assert (tmp_path / f"ckpt.{fmt}").stat().st_mode & 0o777 == 0o666 & ~umask


@each_format
def test_save_to_a_directory_or_missing_folder(tmp_path, fmt):
    with pytest.raises(IsADirectoryError, match=str(tmp_path)):
        nn.save({"a": 1}, tmp_path)
    with pytest.raises(FileNotFoundError):
        nn.save({"a": 1}, tmp_path / "missing" / f"ckpt.{fmt}")


_SAVER = textwrap.dedent(
    """
    import sys
    import numpy as np
    import autograd as ag
    import nn

    path, step = sys.argv[1], int(sys.argv[2])
    while True:
        step += 1
        nn.save({"step": step, "w": ag.full((200_000,), float(step)), "b": np.full(1000, step)}, path)
        print(step, flush=True)
    """
)


def _check_consistent(path):
    state = nn.load(path)
    step = state["step"]
    assert (state["w"].detach().numpy() == step).all() and (state["b"] == step).all()
    return step


@pytest.mark.slow  # a stress test: run in CI with the rest (-m slow selects them)
@each_format
def test_sigkill_during_repeated_saves_never_tears_the_file(tmp_path, fmt):
    """Kill a process that saves in a loop, at random moments: the file always loads whole."""
    path = tmp_path / f"ckpt.{fmt}"
    rng = np.random.default_rng(0)
    deadline = time.monotonic() + 8
    step, rounds, checks = 0, 0, 0
    while rounds < 6 and time.monotonic() < deadline:
        child = subprocess.Popen([sys.executable, "-c", _SAVER, str(path), str(step)], stdout=subprocess.PIPE,
                                 text=True)
        try:
            first = child.stdout.readline()  # the first save of this round is complete
            assert first, "the saving process died"
            last_printed = int(first)
            end = time.monotonic() + rng.uniform(0.05, 0.4)
            while time.monotonic() < end:  # read while it writes: always a whole checkpoint
                assert _check_consistent(path) >= step
                checks += 1
        finally:
            child.send_signal(signal.SIGKILL)
            rest, _ = child.communicate()
        printed = [last_printed, *(int(line) for line in rest.split())]
        on_disk = _check_consistent(path)
        # The last completed save, or one that completed just before the kill hit the print.
        assert on_disk in (printed[-1], printed[-1] + 1)
        step = on_disk
        rounds += 1
    assert rounds >= 3 and checks > 0
    leftovers = set(os.listdir(tmp_path)) - {path.name}
    assert all(name.startswith(f".{path.name}.") and name.endswith(".tmp") for name in leftovers)


# --- PyTorch -----------------------------------------------------------------------------


def test_importing_nn_and_saving_does_not_import_torch(tmp_path):
    code = f"import sys, nn; nn.save({{'a': 1}}, {str(tmp_path / 'x.npz')!r}); nn.load({str(tmp_path / 'x.npz')!r}); " \
           "print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_torch_conversion_without_torch_names_the_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # as if torch were not installed
    with pytest.raises(ImportError, match="pip install torch"):
        checkpoint.to_torch_state_dict({"w": ag.ones(2)})
    with pytest.raises(ImportError, match="pip install torch"):
        checkpoint.from_torch_state_dict({})


def test_to_and_from_torch_state_dicts():
    torch = pytest.importorskip("torch")
    ours = Tiny().state_dict()
    theirs = checkpoint.to_torch_state_dict(ours)
    assert isinstance(theirs, OrderedDict) and list(theirs) == list(ours)
    for key, value in ours.items():
        assert isinstance(theirs[key], torch.Tensor)
        np.testing.assert_array_equal(theirs[key].numpy(), np.asarray(value))
        assert str(theirs[key].dtype) == f"torch.{np.asarray(value).dtype}"
    theirs["weight"].add_(1)  # a copy: torch's changes do not reach our tensors
    assert not np.array_equal(theirs["weight"].numpy(), np.asarray(ours["weight"]))

    linear = torch.nn.Linear(3, 2)
    back = checkpoint.from_torch_state_dict(linear.state_dict())
    assert list(back) == ["weight", "bias"] and all(isinstance(v, ag.Tensor) for v in back.values())
    np.testing.assert_array_equal(np.asarray(back["weight"]), linear.weight.detach().numpy())
    assert back["weight"].dtype == np.float32 and not back["weight"].requires_grad
    # Our state_dict loads into the torch module, and round trips through a checkpoint.
    linear.load_state_dict(checkpoint.to_torch_state_dict({"weight": ag.ones(2, 3), "bias": ag.zeros(2)}))
    assert float(linear.weight.detach().sum()) == 6.0
    buffer = io.BytesIO()
    nn.save(back, buffer)
    buffer.seek(0)
    same(nn.load(buffer), back)


def test_torch_optimizer_state_converts_nested_tensors():
    torch = pytest.importorskip("torch")
    p = torch.nn.Parameter(torch.ones(3))
    opt = torch.optim.Adam([p], lr=0.1)
    p.grad = torch.ones(3)
    opt.step()
    state = checkpoint.from_torch_state_dict(opt.state_dict())
    assert isinstance(state["state"][0]["exp_avg"], ag.Tensor)
    np.testing.assert_allclose(np.asarray(state["state"][0]["exp_avg"]), opt.state[p]["exp_avg"].numpy())
    assert state["param_groups"][0]["betas"] == (0.9, 0.999)
    with pytest.raises(TypeError, match=r"state\['w'\] is bfloat16"):
        checkpoint.from_torch_state_dict({"w": torch.ones(2, dtype=torch.bfloat16)})
