"""Snapshots that cannot be loaded are refused when written, damage is found when read,
a damaged file in a directory is skipped, and a full or read-only disk is one line."""

from __future__ import annotations

import collections
import enum
import errno
import io
import os
import random
import struct
import tempfile
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import make_regression_updater

from ignite_gen import Trainer, UserError
from ignite_gen.cli import main
from ignite_gen.extension import Extension
from ignite_gen.extensions import snapshot, snapshot_object
from ignite_gen.snapshot import (
    SnapshotWarning,
    atomic_save,
    check_storable,
    latest_snapshot,
    read_snapshot,
)
from ignite_gen.snapshot.storable import ATOMS, CONTAINERS, find_unstorable
from ignite_gen.snapshot.write import _place_in_trainer_snapshot

# -- what weights-only loading accepts -------------------------------------------------

Point = collections.namedtuple("Point", "x y")


class Kind(enum.IntEnum):
    A = 1


class Holder:
    pass


class SubTensor(torch.Tensor):
    pass


ACCEPTED = {
    "none": None,
    "bool": True,
    "int": 2**70,
    "float": float("inf"),
    "complex": 1j,
    "str": "é",
    "bytes": b"x",
    "bytearray": bytearray(b"x"),
    "tensor": torch.arange(3),
    "bf16 tensor": torch.zeros(2, dtype=torch.bfloat16),
    "parameter": torch.nn.Parameter(torch.zeros(2)),
    "dtype": torch.float16,
    "device": torch.device("cuda", 1),
    "layout": torch.strided,
    "size": torch.Size([2, 3]),
    "dict with odd keys": {1: 1, (2, "a"): 2, None: 3, 1.5: 4},
    "ordered dict": collections.OrderedDict(a=1),
    "counter": collections.Counter(a=2),
    "list": [1, [2, (3,)]],
    "set": {1, (2, 3)},
}
REFUSED = {
    "numpy float64": np.float64(0.5),
    "numpy int64": np.int64(1),
    "numpy bool": np.bool_(True),
    "numpy array": np.zeros(2),
    "frozenset": frozenset({1}),
    "deque": collections.deque([1]),
    "defaultdict": collections.defaultdict(int),
    "namedtuple": Point(1, 2),
    "int enum": Kind.A,
    "custom object": Holder(),
    "range": range(2),
    "slice": slice(1),
    "path": Path("x"),
    "generator": torch.Generator(),
    "tensor subclass": torch.zeros(1).as_subclass(SubTensor),
}


def _weights_only_round_trip(value):
    buffer = io.BytesIO()
    torch.save({"v": value}, buffer)
    buffer.seek(0)
    return torch.load(buffer, weights_only=True)["v"]


@pytest.mark.parametrize("name", ACCEPTED)
def test_accepted_types_really_load_weights_only(name):
    value = ACCEPTED[name]
    assert find_unstorable({"v": value}) is None
    assert type(_weights_only_round_trip(value)) is type(value)


@pytest.mark.parametrize("name", REFUSED)
def test_refused_types_really_fail_to_load_weights_only(name):
    value = REFUSED[name]
    keys, found, is_key = find_unstorable({"v": [0, value]})
    assert keys == ("v", 1) and found is value and not is_key
    with pytest.raises(Exception, match="Weights only load failed"):
        _weights_only_round_trip(value)


def test_the_type_lists_cover_what_the_tests_measured():
    assert {type(v) for v in ACCEPTED.values()} <= ATOMS | CONTAINERS
    assert not {type(v) for v in REFUSED.values()} & (ATOMS | CONTAINERS)


def test_keys_sets_cycles_and_long_lists():
    assert find_unstorable({"a": {np.int64(3): 1}}) == (("a",), np.int64(3), True)
    assert find_unstorable({"a": [0, {1, frozenset()}]}) == (("a", 1), frozenset(), False)
    loop: list = [1]
    loop.append(loop)
    assert find_unstorable({"loop": loop}) is None
    # Tensors are never read, so device tensors cost no sync; a long log is type checks.
    assert (
        find_unstorable({"w": torch.empty(4, device="meta"), "log": [{"a": 1.0}] * 10**5}) is None
    )


# -- refused at save time -----------------------------------------------------------


class BestKeeper(Extension):
    """Keeps the best loss; from epoch ``bad_from`` on it holds a NumPy scalar."""

    trigger = (1, "epoch")

    def __init__(self, bad_from=2):
        self.bad_from, self.best = bad_from, 1.0

    def __call__(self, trainer):
        if trainer.epoch >= self.bad_from:
            self.best = np.float64(0.5)

    def state_dict(self):
        return {"best": self.best}

    def load_state_dict(self, state):
        self.best = state["best"]


def _files(directory):
    return sorted(p.name for p in directory.iterdir() if p.name != ".lock")


def test_numpy_scalar_in_extension_state_is_refused_naming_extension_and_key(tmp_path):
    trainer = Trainer(make_regression_updater(), (3, "epoch"), out=tmp_path)
    trainer.extend(BestKeeper())
    trainer.extend(snapshot())
    with pytest.raises(UserError) as info:
        trainer.run()
    message = str(info.value)
    assert message.startswith(
        "extension 'BestKeeper' state['best'] holds numpy.float64, which snapshots cannot "
        "store; save a Python float or a tensor"
    )
    assert "\n" not in message and "snapshot_epoch_0002.pt" in message
    # Nothing written, no temporary file left, the previous snapshot still loads.
    assert _files(tmp_path) == ["snapshot_epoch_0001.pt"]
    assert read_snapshot(tmp_path / "snapshot_epoch_0001.pt")["metadata"]["epoch"] == 1


def test_metadata_is_named_by_its_keys(tmp_path):
    trainer = Trainer(
        make_regression_updater(),
        (1, "epoch"),
        out=tmp_path,
        metadata={"hparams": {"lr": 0.1, "x": np.float32(2)}},
    )
    trainer.extend(snapshot())
    with pytest.raises(UserError, match=r"^metadata\['hparams'\]\['x'\] holds numpy\.float32"):
        trainer.run()
    assert _files(tmp_path) == []


BAD = np.arange(2)


@pytest.mark.parametrize(
    ("payload", "place"),
    [
        (
            {"updater": {"optimizers": {"main": {"x": BAD}}}},
            "updater state['optimizers']['main']['x']",
        ),
        ({"trainer": {"stop_trigger": {"best": BAD}}}, "stop trigger state['best']"),
        (
            {"extensions": {"LogReport": {"trigger": {"n": BAD}}}},
            "trigger of extension 'LogReport' state['n']",
        ),
        (
            {"extensions": {"E": {"extension": {"log": [{}, {"a": BAD}]}}}},
            "extension 'E' state['log'][1]['a']",
        ),
        ({"rng": {"numpy": ("MT19937", BAD)}}, "snapshot['rng']['numpy'][1]"),
    ],
)
def test_every_part_of_a_trainer_snapshot_is_named(payload, place, tmp_path):
    with pytest.raises(UserError) as info:
        check_storable(payload, tmp_path / "s.pt", _place_in_trainer_snapshot)
    assert str(info.value) == (
        f"{place} holds numpy.ndarray, which snapshots cannot store; save a tensor "
        f"(torch.from_numpy(array)) (nothing written to {tmp_path / 's.pt'})"
    )


def test_snapshot_object_refuses_unloadable_state(tmp_path):
    class Counter(torch.nn.Module):
        def state_dict(self, *args, **kwargs):
            return {"seen": collections.deque([1, 2])}

    trainer = Trainer(make_regression_updater(), (1, "epoch"), out=tmp_path)
    trainer.extend(snapshot_object(Counter(), "counter.pt"))
    with pytest.raises(UserError, match=r"^state\['seen'\] holds collections\.deque.*counter\.pt"):
        trainer.run()
    assert _files(tmp_path) == []
    with pytest.raises(UserError, match="holds function"):
        atomic_save({"f": lambda: 1}, tmp_path / "f.pt")
    assert _files(tmp_path) == []


# -- integrity at load ------------------------------------------------------------


def _same(a, b) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, torch.Tensor):
        return a.dtype == b.dtype and a.shape == b.shape and torch.equal(a, b)
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


@pytest.fixture(scope="module")
def good_snapshot(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("good")
    trainer = Trainer(make_regression_updater(), (1, "epoch"), out=out)
    trainer.extend(snapshot())
    trainer.run()
    return out / "snapshot_epoch_0001.pt"


def _tensor_data_offsets(data: bytes) -> list[int]:
    """Offsets of the bytes of every tensor's data in a torch.save archive."""
    offsets = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            if "/data/" in info.filename:
                name_len, extra_len = struct.unpack("<HH", data[info.header_offset + 26 :][:4])
                start = info.header_offset + 30 + name_len + extra_len
                offsets.extend(range(start, start + info.file_size))
    return offsets


@pytest.mark.slow
def test_every_flipped_byte_is_an_error_or_changes_nothing(good_snapshot, tmp_path):
    data = good_snapshot.read_bytes()
    original = torch.load(good_snapshot, weights_only=True)
    rng = random.Random(0)
    central = data.rfind(b"PK\x01\x02", 0, data.rfind(b"PK\x05\x06"))
    tensor_bytes = _tensor_data_offsets(data)
    positions = (
        [rng.randrange(len(data)) for _ in range(150)]
        + rng.sample(tensor_bytes, 40)  # where torch.load alone changes a weight silently
        + list(range(64))  # the first local header
        + [rng.randrange(central, len(data)) for _ in range(60)]  # central directory, end
    )
    damaged = tmp_path / "snapshot_damaged.pt"
    outcomes = collections.Counter()
    for position in positions:
        copy = bytearray(data)
        copy[position] ^= 1 << rng.randrange(8)
        damaged.write_bytes(copy)
        try:
            payload = read_snapshot(damaged)
        except UserError as error:
            assert "\n" not in str(error) and str(damaged) in str(error)
            outcomes["error"] += 1
            continue
        assert _same(payload, original), f"byte {position} changed what loads"
        outcomes["same"] += 1
    assert outcomes["error"] >= len(positions) // 2, outcomes


@pytest.mark.parametrize("fraction", [0.0, 0.01, 0.3, 0.6, 0.9, 0.999])
def test_truncated_snapshots_are_one_line_errors(good_snapshot, tmp_path, fraction):
    data = good_snapshot.read_bytes()
    damaged = tmp_path / "snapshot_cut.pt"
    damaged.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(UserError, match=r"truncated or corrupt snapshot.*use an earlier one"):
        read_snapshot(damaged)


def test_unloadable_types_in_an_old_file_are_named_not_called_corruption(tmp_path):
    path = tmp_path / "snapshot_old.pt"
    torch.save({"format": "ignite-gen-snapshot/1", "best": np.float64(1)}, path)
    with pytest.raises(UserError, match=r"holds numpy\S*scalar, which a weights-only load refuses"):
        read_snapshot(path)


# -- a damaged file in a directory ------------------------------------------------


def _flip_tensor_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[_tensor_data_offsets(bytes(data))[0]] ^= 0x10
    path.write_bytes(data)


@pytest.fixture
def three_epochs(tmp_path) -> Path:
    trainer = Trainer(make_regression_updater(), (3, "epoch"), out=tmp_path)
    trainer.extend(snapshot())
    trainer.run()
    return tmp_path


def test_latest_snapshot_skips_damaged_ones_with_a_warning_each(three_epochs):
    newest, middle = (
        three_epochs / "snapshot_epoch_0003.pt",
        three_epochs / "snapshot_epoch_0002.pt",
    )
    _flip_tensor_byte(newest)  # found only by the full check of the chosen file
    with pytest.warns(SnapshotWarning) as caught:
        assert latest_snapshot(three_epochs) == middle
    assert [str(w.message).split(":")[0] for w in caught] == [str(newest)]
    assert "Bad CRC-32" in str(caught[0].message) and "using snapshot_epoch_0002.pt" in str(
        caught[0].message
    )
    middle.write_bytes(b"junk")  # found by the cheap metadata read
    with pytest.warns(SnapshotWarning) as caught:
        assert latest_snapshot(three_epochs).name == "snapshot_epoch_0001.pt"
    assert sorted(str(w.message).split(":")[0] for w in caught) == [str(middle), str(newest)]


def test_resume_auto_uses_the_newest_good_snapshot(three_epochs):
    (three_epochs / "snapshot_epoch_0003.pt").write_bytes(b"")
    trainer = Trainer(make_regression_updater(), (3, "epoch"), out=three_epochs, resume="auto")
    trainer.extend(snapshot())
    with pytest.warns(SnapshotWarning, match="snapshot_epoch_0003.pt"):
        assert trainer.run() == 5
    assert trainer.resumed_from.name == "snapshot_epoch_0002.pt"
    assert read_snapshot(three_epochs / "snapshot_epoch_0003.pt")["metadata"]["epoch"] == 3


def test_no_good_snapshot_left_is_an_error(three_epochs):
    for path in three_epochs.glob("snapshot*.pt"):
        path.write_bytes(path.read_bytes()[:100])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UserError, match=r"none of its 3 snapshot.*files can be loaded"):
            latest_snapshot(three_epochs)


def test_inspect_marks_damaged_rows_and_files(three_epochs, capsys):
    _flip_tensor_byte(three_epochs / "snapshot_epoch_0002.pt")
    assert main(["inspect", str(three_epochs)]) == 0
    out = capsys.readouterr()
    rows = out.out.strip().splitlines()
    assert len(rows) == 4 and out.err == ""
    assert rows[2].startswith("snapshot_epoch_0002.pt") and "damaged: " in rows[2]
    assert "damaged" not in rows[1] + rows[3] and rows[3].split()[1:3] == ["3", "15"]
    assert main(["inspect", str(three_epochs / "snapshot_epoch_0002.pt")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "snapshot_epoch_0002.pt: truncated or corrupt" in err[0]
    for path in three_epochs.glob("snapshot*.pt"):
        path.write_bytes(b"")
    assert main(["inspect", str(three_epochs)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "none of its 3 snapshot files can be loaded" in err[0]


# -- a full or read-only disk ------------------------------------------------------


def _failing_save(code):
    def save(obj, file, *args, **kwargs):
        file.write(b"partial archive")
        raise OSError(code, os.strerror(code))

    return save


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        (errno.ENOSPC, "no space left on device while writing {}; free space and rerun"),
        (errno.EDQUOT, "disk quota exceeded while writing {}; free space"),
    ],
)
def test_full_disk_during_a_write_is_one_line(tmp_path, monkeypatch, code, fragment):
    path = tmp_path / "snapshot_epoch_0001.pt"
    atomic_save({"w": torch.arange(3)}, path)
    before = path.read_bytes()
    monkeypatch.setattr(torch, "save", _failing_save(code))
    with pytest.raises(UserError) as info:
        atomic_save({"w": torch.zeros(3)}, path)
    assert str(info.value).startswith(fragment.format(path)) and "--resume" in str(info.value)
    assert _files(tmp_path) == [path.name] and path.read_bytes() == before


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_real_enospc_from_torch_save_is_one_line(tmp_path, monkeypatch):
    # The temporary file is a link to /dev/full: every write to it fails with ENOSPC, as
    # on a full disk, so this goes through torch's own writer, which loses the errno
    # when given a path.
    made = []

    def full_mkstemp(prefix, suffix, dir):
        name = os.path.join(dir, f"{prefix}full{suffix}")
        os.symlink("/dev/full", name)
        made.append(name)
        return os.open(os.devnull, os.O_RDONLY), name

    monkeypatch.setattr(tempfile, "mkstemp", full_mkstemp)
    with pytest.raises(UserError, match=r"^no space left on device while writing"):
        atomic_save({"w": torch.zeros(10**5)}, tmp_path / "snapshot.pt")
    assert made and _files(tmp_path) == []


@pytest.mark.parametrize(
    ("code", "reason"),
    [(errno.EACCES, "permission denied"), (errno.EROFS, "read-only file system")],
)
def test_unwritable_output_directory_is_one_line(tmp_path, monkeypatch, code, reason):
    def refuse(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(UserError) as info:
        atomic_save({"w": torch.zeros(1)}, tmp_path / "w.pt")
    assert str(info.value) == (
        f"{reason} while writing {tmp_path / 'w.pt'}; make {tmp_path}/ writable or write "
        "elsewhere, then rerun (with --resume for a training run)"
    )


QUICK = ["--epochs", "2", "--batch-size", "8", "--max-images", "16", "--metric-samples", "0"]
QUICK += ["--device", "cpu", "--no-progress"]


@pytest.mark.slow
def test_cli_full_disk_then_damaged_snapshot_then_resume(tmp_path, monkeypatch, capsys):
    out = tmp_path / "run"
    real_save = torch.save

    def save(obj, file, *args, **kwargs):
        if getattr(file, "name", "").startswith(str(out / ".snapshot_epoch_0002.pt")):
            return _failing_save(errno.ENOSPC)(obj, file)
        return real_save(obj, file, *args, **kwargs)

    monkeypatch.setattr(torch, "save", save)
    assert main(["train", "gan", *QUICK, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0] == (
        f"ignite-gen: error: no space left on device while writing "
        f"{out / 'snapshot_epoch_0002.pt'}; free space and rerun, with --resume for a "
        f"training run; the previous snapshot, {out / 'snapshot_epoch_0001.pt'}, is intact"
    )
    first = out / "snapshot_epoch_0001.pt"
    assert [p.name for p in out.glob("*.pt*")] == [first.name]
    assert not [p for p in out.iterdir() if p.name.startswith(".snapshot")]
    assert read_snapshot(first)["metadata"]["epoch"] == 1
    monkeypatch.setattr(torch, "save", real_save)
    # A damaged newer file (a copy that went wrong) is skipped, with a warning naming it.
    (out / "snapshot_epoch_0009.pt").write_bytes(first.read_bytes()[:-10])
    with pytest.warns(SnapshotWarning, match="snapshot_epoch_0009.pt: truncated or corrupt"):
        assert main(["train", "gan", *QUICK, "--out", str(out), "--resume"]) == 0
    assert read_snapshot(out / "snapshot_epoch_0002.pt")["metadata"]["epoch"] == 2
