"""nn.save / nn.load in the safetensors format: round trips, the files other programs write and
read, refusal of bad files, and state_dicts exchanged with PyTorch. (Atomic writes are tested
for both formats in test_checkpoint.py.)"""

import io
import json
import os
import zlib
from collections import OrderedDict

import numpy as np
import pytest
import safetensors
import safetensors.numpy
from checkpoint_objects import Tiny, nested, same

import autograd as ag
import nn
from nn.checkpoint import CheckpointError


def _metadata(path):
    with safetensors.safe_open(path, framework="np") as f:
        return f.metadata()


def _structure(path):
    return json.loads(_metadata(path)["ndgrad.structure"])


def _file_bytes(header, data=b""):
    """A safetensors file by hand: the header's length (8 bytes, little-endian), the header, the data."""
    raw = json.dumps(header).encode("utf-8") if isinstance(header, dict) else header
    return len(raw).to_bytes(8, "little") + raw + data


# --- round trips -------------------------------------------------------------------------


def test_round_trip_of_nested_structures_is_exact(tmp_path):
    obj = nested()
    nn.save(obj, tmp_path / "ckpt.safetensors")
    loaded = nn.load(tmp_path / "ckpt.safetensors")
    # The format is little-endian: a big-endian array comes back with the same values in native order.
    expected = nested()
    expected["big_endian"] = expected["big_endian"].astype("<f4")
    same(expected, loaded)
    assert isinstance(loaded["param"], nn.Parameter) and loaded["param"].requires_grad
    assert isinstance(loaded["plain_dict"], dict) and not isinstance(loaded["plain_dict"], OrderedDict)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.bool_, np.float16, np.uint8, np.int8])
@pytest.mark.parametrize("shape", [(), (0,), (3, 0, 2), (1,), (2, 3), (2, 1, 4)])
def test_dtypes_and_shapes_round_trip(tmp_path, dtype, shape):
    array = (np.arange(int(np.prod(shape))).reshape(shape) % 3).astype(dtype)
    nn.save({"t": ag.tensor(array)}, tmp_path / "x.safetensors")
    t = nn.load(tmp_path / "x.safetensors")["t"]
    assert isinstance(t, ag.Tensor) and t.dtype == np.dtype(dtype) and t.shape == shape
    np.testing.assert_array_equal(t.detach().numpy(), array)
    # The file holds what another reader needs: the same array under the dict's key.
    plain = safetensors.numpy.load_file(tmp_path / "x.safetensors")
    assert plain["t"].dtype == np.dtype(dtype) and plain["t"].shape == shape
    np.testing.assert_array_equal(plain["t"], array)


def test_a_state_dict_is_stored_under_its_own_keys_in_its_own_order(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2), nn.BatchNorm1d(2))
    state = model.state_dict()
    path = tmp_path / "model.safetensors"
    nn.save(state, path)
    plain = safetensors.numpy.load_file(path)
    assert sorted(plain) == sorted(state)
    for key, value in state.items():
        np.testing.assert_array_equal(plain[key], value.detach().numpy(), err_msg=key)
        assert plain[key].dtype == value.dtype
    metadata = _metadata(path)
    assert metadata["format"] == "pt"  # what Hugging Face loaders require
    loaded = nn.load(path)
    assert isinstance(loaded, OrderedDict) and list(loaded) == list(state)  # not the file's order
    target = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2), nn.BatchNorm1d(2))
    target.load_state_dict(loaded)
    x = ag.randn(5, 3)
    model.eval(), target.eval()
    np.testing.assert_array_equal(model(x).detach().numpy(), target(x).detach().numpy())


def test_nested_objects_are_flattened_with_dotted_names(tmp_path):
    state = {
        "state": {0: {"step": 3, "exp_avg": ag.zeros(3, 2), "exp_avg_sq": ag.ones(3, 2)}, 1: {"step": 3}},
        "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "params": [0, 1]}],
        "extra": [np.arange(2), (np.float32(1.5),)],
    }
    path = tmp_path / "opt.safetensors"
    nn.save(state, path)
    assert sorted(safetensors.numpy.load_file(path)) == ["extra.0", "extra.1.0", "state.0.exp_avg",
                                                         "state.0.exp_avg_sq"]
    loaded = nn.load(path)
    same(state, loaded)
    assert list(loaded["state"]) == [0, 1] and isinstance(loaded["param_groups"][0]["betas"], tuple)


def test_names_that_collide_get_a_suffix(tmp_path):
    a, b, c, d = ag.ones(1), ag.zeros(1), ag.full((1,), 2.0), ag.full((1,), 3.0)
    obj = {"a.b": a, "a": {"b": b, "b#2": c}, "__metadata__": d}
    path = tmp_path / "x.safetensors"
    nn.save(obj, path)
    plain = safetensors.numpy.load_file(path)
    assert sorted(plain) == ["__metadata__#2", "a.b", "a.b#2", "a.b#2#2"]
    assert plain["a.b"][0] == 1.0 and plain["a.b#2"][0] == 0.0 and plain["__metadata__#2"][0] == 3.0
    same(obj, nn.load(path))


def test_a_bare_tensor_is_named_tensor(tmp_path):
    t = ag.arange(4.0)
    nn.save(t, tmp_path / "t.safetensors")
    assert list(safetensors.numpy.load_file(tmp_path / "t.safetensors")) == ["tensor"]
    same(t, nn.load(tmp_path / "t.safetensors"))


def test_a_tensor_reached_twice_is_written_twice(tmp_path):
    t = ag.randn(4)
    nn.save({"a": t, "b": t}, tmp_path / "tied.safetensors")
    assert sorted(safetensors.numpy.load_file(tmp_path / "tied.safetensors")) == ["a", "b"]
    loaded = nn.load(tmp_path / "tied.safetensors")
    np.testing.assert_array_equal(loaded["a"].detach().numpy(), loaded["b"].detach().numpy())
    assert not np.shares_memory(loaded["a"].detach().numpy(), loaded["b"].detach().numpy())


def test_file_objects_named_safetensors_get_the_format(tmp_path):
    obj = {"w": ag.ones(2, 2), "n": 3}
    with open(tmp_path / "x.safetensors", "wb") as handle:
        nn.save(obj, handle)
    assert "w" in safetensors.numpy.load_file(tmp_path / "x.safetensors")
    with open(tmp_path / "x.safetensors", "rb") as handle:
        same(obj, nn.load(handle))
    # An unnamed buffer gets the npz format; load tells the two apart by content either way.
    buffer = io.BytesIO()
    nn.save(obj, buffer)
    assert buffer.getvalue()[:2] == b"PK"
    buffer = io.BytesIO((tmp_path / "x.safetensors").read_bytes())
    same(obj, nn.load(buffer))


def test_the_content_decides_the_format_on_load(tmp_path):
    obj = {"w": ag.ones(2)}
    nn.save(obj, tmp_path / "a.safetensors")
    nn.save(obj, tmp_path / "b.npz")
    os.rename(tmp_path / "a.safetensors", tmp_path / "a.npz")
    os.rename(tmp_path / "b.npz", tmp_path / "b.safetensors")
    same(obj, nn.load(tmp_path / "a.npz"))
    same(obj, nn.load(tmp_path / "b.safetensors"))
    nn.save(obj, tmp_path / "UPPER.SAFETENSORS")
    assert (tmp_path / "UPPER.SAFETENSORS").read_bytes()[:2] != b"PK"


def test_loaded_tensors_can_be_updated_in_place(tmp_path):
    nn.save({"w": ag.ones(3)}, tmp_path / "x.safetensors")
    w = nn.load(tmp_path / "x.safetensors")["w"]
    with ag.no_grad():
        w.mul_(3.0)
    np.testing.assert_array_equal(w.detach().numpy(), [3.0, 3.0, 3.0])


def test_load_accepts_torch_keywords(tmp_path):
    nn.save({"w": ag.ones(3)}, tmp_path / "x.safetensors")
    assert nn.load(tmp_path / "x.safetensors", map_location="cpu", weights_only=True)["w"].shape == (3,)
    with pytest.raises(ValueError, match="cuda"):
        nn.load(tmp_path / "x.safetensors", map_location="cuda")


# --- files written by other programs -----------------------------------------------------


def test_a_file_written_by_the_safetensors_library_loads_as_a_sorted_state_dict(tmp_path):
    arrays = {
        "weight": np.arange(6, dtype=np.float32).reshape(2, 3),
        "bias": np.array([0.5, -0.5], dtype=np.float32),
        "count": np.array(7, dtype=np.int64),
        "mask": np.array([True, False]),
        "empty": np.zeros((0, 2), dtype=np.float64),
    }
    safetensors.numpy.save_file(arrays, tmp_path / "plain.safetensors", metadata={"format": "np"})
    loaded = nn.load(tmp_path / "plain.safetensors")
    assert isinstance(loaded, OrderedDict) and list(loaded) == sorted(arrays)
    for key, array in arrays.items():
        assert isinstance(loaded[key], ag.Tensor) and not loaded[key].requires_grad
        assert loaded[key].dtype == array.dtype and loaded[key].shape == array.shape
        np.testing.assert_array_equal(loaded[key].detach().numpy(), array)
    # Bytes from the library's in-memory writer, read through a file object.
    same(nn.load(io.BytesIO(safetensors.numpy.save(arrays))), loaded)


def test_a_state_dict_from_the_safetensors_library_loads_into_a_module(tmp_path):
    linear = nn.Linear(3, 2)
    weight = np.arange(6, dtype=np.float32).reshape(2, 3)
    safetensors.numpy.save_file({"weight": weight, "bias": np.ones(2, np.float32)}, tmp_path / "l.safetensors")
    linear.load_state_dict(nn.load(tmp_path / "l.safetensors"))
    np.testing.assert_array_equal(linear.weight.detach().numpy(), weight)
    out = linear(ag.tensor(np.array([[1.0, 0.0, 0.0]], dtype=np.float32)))
    np.testing.assert_array_equal(out.detach().numpy(), [[1.0, 4.0]])
    # A file without a key the module needs is the module's refusal, as for any state_dict.
    safetensors.numpy.save_file({"weight": weight}, tmp_path / "partial.safetensors")
    with pytest.raises(nn.StateDictError, match=r"missing keys.*bias"):
        linear.load_state_dict(nn.load(tmp_path / "partial.safetensors"))
    safetensors.numpy.save_file({"weight": weight.T.copy(), "bias": np.ones(2, np.float32)},
                                tmp_path / "wrong.safetensors")
    with pytest.raises(nn.ShapeError, match=r"'weight': checkpoint has shape \(3, 2\)"):
        linear.load_state_dict(nn.load(tmp_path / "wrong.safetensors"))


# --- what cannot be saved ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("obj", "pattern"),
    [
        ({"x": np.ones(2, dtype=np.complex128)}, r"obj\['x'\] has dtype complex128.*safetensors.*\.npz"),
        ({"x": [np.complex128(1j)]}, r"obj\['x'\]\[0\] has dtype complex128"),
        ({"x": np.array([None], dtype=object)}, r"obj\['x'\].*dtype object"),
        (Tiny(), r"obj is a Tiny.*state_dict\(\)"),
        ({"x": {1, 2}}, r"obj\['x'\].*set"),
    ],
)
def test_save_refuses_what_it_cannot_store(tmp_path, obj, pattern):
    with pytest.raises(TypeError, match=pattern):
        nn.save(obj, tmp_path / "bad.safetensors")
    assert os.listdir(tmp_path) == []  # refused before touching the disk


def test_compression_is_refused_for_safetensors(tmp_path):
    with pytest.raises(ValueError, match=r"uncompressed.*\.npz"):
        nn.save({"w": ag.ones(2)}, tmp_path / "x.safetensors", compress=True)
    assert os.listdir(tmp_path) == []


# --- files that must be refused ----------------------------------------------------------


def test_truncated_files_are_refused(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    nn.save(nested(), path)
    data = path.read_bytes()
    header_end = 8 + int.from_bytes(data[:8], "little")
    cuts = sorted({0, 1, 7, 8, 9, 50, header_end - 1, header_end, header_end + 1, len(data) - 1,
                   *range(0, len(data), max(1, len(data) // 25))})
    for cut in cuts:
        path.write_bytes(data[:cut])
        with pytest.raises(CheckpointError, match=r"ckpt\.safetensors"):
            nn.load(path)
    path.write_bytes(data + b"\0")  # and a stray byte at the end
    with pytest.raises(CheckpointError, match="not a readable safetensors file"):
        nn.load(path)


def test_corrupted_tensor_bytes_are_refused_by_their_checksum(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    nn.save({"w": ag.tensor(np.arange(1000, dtype=np.float64))}, path)
    data = bytearray(path.read_bytes())
    data[-200] ^= 0xFF  # inside the tensor's bytes, which the format itself does not check
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=r"'w' does not match its checksum.*corrupt"):
        nn.load(path)
    # The same flip in a file without ndgrad's checksums goes unnoticed, as in any safetensors reader.
    assert safetensors.numpy.load(bytes(data))["w"][-25] != 975.0


_W = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}
_EIGHT = np.ones(2, np.float32).tobytes()


def _ndgrad_metadata(root, version=1, **extra):
    header = {"format": "ndgrad-checkpoint", "version": version, "root": root, **extra}
    return {"format": "pt", "ndgrad.structure": json.dumps(header)}


@pytest.mark.parametrize(
    ("content", "pattern"),
    [
        (_file_bytes(b"{not json at all}", _EIGHT), "header is not JSON"),
        (_file_bytes(b'["w"]', _EIGHT), "does not start like a zip/npz archive or a safetensors file"),
        (_file_bytes(b'{"w": {"dtype": "F32"}}\xff', _EIGHT), "header is not JSON"),
        ((10**12).to_bytes(8, "little") + b'{"w": 1}', r"truncated.*says 1000000000000 bytes"),
        (_file_bytes({"w": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}}, b"\0" * 4),
         r"'w' has dtype BF16.*NumPy has no bfloat16"),
        (_file_bytes({"w": {"dtype": "Q7", "shape": [2], "data_offsets": [0, 8]}}, _EIGHT), "'w' has dtype Q7"),
        (_file_bytes({"w": {"dtype": "F64", "shape": [2], "data_offsets": [0, 8]}}, _EIGHT),
         "not a readable safetensors file"),  # the dtype does not fit the bytes
        (_file_bytes({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, _EIGHT),
         "not a readable safetensors file"),  # nor does the shape
        (_file_bytes({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 16]}}, _EIGHT),
         "not a readable safetensors file"),
        (_file_bytes({"w": {"shape": [2], "data_offsets": [0, 8]}}, _EIGHT), "not a readable safetensors file"),
        (_file_bytes({"w": _W, "__metadata__": {"ndgrad.structure": 5}}, _EIGHT), "not a readable safetensors"),
    ],
)
def test_malformed_files_are_refused(tmp_path, content, pattern):
    (tmp_path / "bad.safetensors").write_bytes(content)
    with pytest.raises(CheckpointError, match=pattern):
        nn.load(tmp_path / "bad.safetensors")


@pytest.mark.parametrize(
    ("metadata", "pattern"),
    [
        (_ndgrad_metadata({"$tensor": "v"}), r"tensor 'v', named in the ndgrad.structure of its metadata, is missing"),
        (_ndgrad_metadata({"$tensor": 0}), "bad tensor reference 0"),
        (_ndgrad_metadata({"$weird": "w"}), r"malformed entry \{'\$weird': 'w'\} in the ndgrad.structure"),
        (_ndgrad_metadata({"$dict": []}), r"tensors \['w'\] are in the file but not in the ndgrad.structure"),
        (_ndgrad_metadata({"$tensor": "w"}, crc32=[1]), "malformed checksums"),
        (_ndgrad_metadata({"$tensor": "w"}, crc32={"w": 12345}), "'w' does not match its checksum"),
        (_ndgrad_metadata({"$tensor": "w"}, version=99), "version 99.*upgrade"),
        (_ndgrad_metadata({"$tensor": "w"}, version=0), "invalid format version 0"),
        ({"ndgrad.structure": "{oops"}, "cannot read the ndgrad.structure of its metadata"),
        ({"ndgrad.structure": '{"format": "other", "version": 1, "root": null}'}, "not an ndgrad checkpoint header"),
    ],
)
def test_malformed_ndgrad_structures_are_refused(tmp_path, metadata, pattern):
    safetensors.numpy.save_file({"w": np.ones(2, np.float32)}, tmp_path / "bad.safetensors", metadata=metadata)
    with pytest.raises(CheckpointError, match=pattern):
        nn.load(tmp_path / "bad.safetensors")


def test_a_well_formed_hand_written_file_loads(tmp_path):
    """The refusals above are of the one thing each file gets wrong: this file gets nothing wrong."""
    crc = zlib.crc32(np.ones(2, np.float32))
    metadata = _ndgrad_metadata({"$odict": [["w", {"$tensor": "w", "parameter": True, "requires_grad": True}]]},
                                crc32={"w": crc})
    safetensors.numpy.save_file({"w": np.ones(2, np.float32)}, tmp_path / "ok.safetensors", metadata=metadata)
    loaded = nn.load(tmp_path / "ok.safetensors")
    assert list(loaded) == ["w"] and isinstance(loaded["w"], nn.Parameter) and loaded["w"].requires_grad
    (tmp_path / "ok2.safetensors").write_bytes(_file_bytes({"w": _W}, _EIGHT))
    np.testing.assert_array_equal(nn.load(tmp_path / "ok2.safetensors")["w"].detach().numpy(), [1.0, 1.0])


def test_a_pickle_named_safetensors_is_still_refused(tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"\x80\x04\x95" + b"\0" * 20)
    with pytest.raises(CheckpointError, match="pickle"):
        nn.load(tmp_path / "model.safetensors")


# --- PyTorch -----------------------------------------------------------------------------


def _mlp_pair(torch):
    ours = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    return ours, theirs, lambda m, x: m(x)


def _lstm_pair(torch):
    ours = nn.LSTM(3, 5, num_layers=2, batch_first=True)
    theirs = torch.nn.LSTM(3, 5, num_layers=2, batch_first=True)
    return ours, theirs, lambda m, x: m(x)[0]


def _gru_pair(torch):
    ours, theirs = nn.GRU(3, 4), torch.nn.GRU(3, 4)
    return ours, theirs, lambda m, x: m(x)[0]


_PAIRS = {"mlp": (_mlp_pair, (6, 4)), "lstm": (_lstm_pair, (2, 7, 3)), "gru": (_gru_pair, (7, 2, 3))}


@pytest.mark.parametrize("arch", list(_PAIRS))
def test_a_torch_state_dict_saved_with_safetensors_loads_into_ndgrad(tmp_path, arch):
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file

    make, shape = _PAIRS[arch]
    ours, theirs, run = make(torch)
    save_file(theirs.state_dict(), tmp_path / "torch.safetensors")
    ours.load_state_dict(nn.load(tmp_path / "torch.safetensors"))
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    with torch.no_grad():
        expected = run(theirs, torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(run(ours, ag.tensor(x)).detach().numpy(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("arch", list(_PAIRS))
def test_an_ndgrad_state_dict_loads_into_torch(tmp_path, arch):
    torch = pytest.importorskip("torch")
    from safetensors.torch import load_file

    make, shape = _PAIRS[arch]
    ours, theirs, run = make(torch)
    nn.save(ours.state_dict(), tmp_path / "ours.safetensors")
    theirs.load_state_dict(load_file(tmp_path / "ours.safetensors"))  # strict: every key, every shape
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    with torch.no_grad():
        got = run(theirs, torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, run(ours, ag.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_dtypes_survive_the_trip_through_torch(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import load_file, save_file

    ours = {"f32": ag.ones(2), "f64": ag.ones(2, dtype=ag.float64), "i64": ag.arange(3),
            "b": ag.tensor(np.array([True, False])), "scalar": ag.tensor(np.float32(2.0)), "empty": ag.zeros(0, 2)}
    nn.save(ours, tmp_path / "ours.safetensors")
    theirs = load_file(tmp_path / "ours.safetensors")
    for key, value in ours.items():
        assert theirs[key].dtype == getattr(torch, str(value.dtype)) and tuple(theirs[key].shape) == value.shape
    save_file(theirs, tmp_path / "theirs.safetensors")
    back = nn.load(tmp_path / "theirs.safetensors")
    for key, value in ours.items():
        assert back[key].dtype == value.dtype and back[key].shape == value.shape
        np.testing.assert_array_equal(back[key].detach().numpy(), value.detach().numpy())
