"""Data loaders: scaling, fixed splits, planted teacher, errors that name the missing file."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
import torch

from dante import load_dataset, make_synthetic
from dante.data import FASHION_MNIST_DIR


def test_digits_scaled_and_fixed():
    a, b = load_dataset("digits", seed=0), load_dataset("digits", seed=7)
    assert a.X_train.shape == (1348, 64) and a.X_test.shape == (449, 64)
    assert float(a.X_train.min()) == 0.0 and float(a.X_train.max()) == 1.0
    assert torch.equal(a.X_test, b.X_test) and a.y_train.dtype == torch.int64 and a.n_classes == 10


def test_split_validation_is_deterministic_and_disjoint():
    ds = load_dataset("digits")
    tr, val = ds.split_validation(0.2, seed=3)
    tr2, val2 = ds.split_validation(0.2, seed=3)
    assert torch.equal(val.X_test, val2.X_test)
    assert val.X_test.shape[0] == round(0.2 * 1348) and tr.X_train.shape[0] == 1348 - round(0.2 * 1348)
    assert torch.equal(tr.X_test, ds.X_test)  # the real test split is untouched
    rows = {tuple(r.tolist()) for r in tr.X_train}
    overlap = sum(tuple(r.tolist()) in rows for r in val.X_test)
    # digits has a handful of exact duplicate images; disjointness is by index, so allow those
    dup = len(ds.X_train) - len({tuple(r.tolist()) for r in ds.X_train})
    assert overlap <= dup
    with pytest.raises(ValueError):
        ds.split_validation(1.5)


def test_synthetic_targets_are_the_teacher_output():
    ds = make_synthetic("5-4-2", seed=1, n_train=50, n_test=10)
    W1, b1, W2, b2 = (ds.teacher[k].numpy().astype(np.float64) for k in ("W1", "b1", "W2", "b2"))
    X = ds.X_train.numpy().astype(np.float64)
    leaky = lambda z: np.where(z > 0, z, 0.01 * z)  # noqa: E731
    y = leaky(leaky(X @ W1 + b1) @ W2 + b2)
    np.testing.assert_allclose(ds.y_train.numpy(), y, rtol=1e-5, atol=1e-6)
    assert float(np.linalg.norm(X, axis=1).max()) <= 1.0 + 1e-6  # inputs in the unit ball (Definition 2)
    assert load_dataset("synthetic:5-4-2", seed=1).teacher["W1"].shape == (5, 4)


@pytest.mark.skipif(not Path(FASHION_MNIST_DIR, "train-images-idx3-ubyte.gz").is_file(), reason="fashion-mnist not installed")
def test_fashion_mnist_from_debian_package():
    ds = load_dataset("fashion-mnist")
    assert ds.X_train.shape == (60000, 784) and ds.X_test.shape == (10000, 784)
    assert float(ds.X_train.max()) == 1.0 and float(ds.X_train.min()) == 0.0
    assert torch.bincount(ds.y_train).tolist() == [6000] * 10


def _write_idx(path: Path, arr: np.ndarray):
    header = bytes([0, 0, 8, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    with gzip.open(path, "wb") as fh:
        fh.write(header + arr.astype(np.uint8).tobytes())


def test_idx_reader_and_malformed_file(tmp_path):
    rng = np.random.RandomState(0)
    for split, n in (("train", 20), ("t10k", 5)):
        _write_idx(tmp_path / f"{split}-images-idx3-ubyte.gz", rng.randint(0, 256, (n, 28, 28)))
        _write_idx(tmp_path / f"{split}-labels-idx1-ubyte.gz", rng.randint(0, 10, (n,)))
    ds = load_dataset("mnist", data_dir=tmp_path)
    raw = np.frombuffer(gzip.open(tmp_path / "train-images-idx3-ubyte.gz").read()[16:], dtype=np.uint8)
    np.testing.assert_allclose(ds.X_train.numpy().ravel(), raw / 255.0, rtol=1e-6)
    with gzip.open(tmp_path / "t10k-labels-idx1-ubyte.gz", "wb") as fh:
        fh.write(b"\x00\x00\x08\x01\x00\x00\x00\x09abc")  # says 9 labels, holds 3
    with pytest.raises(ValueError, match="malformed IDX file .*t10k-labels-idx1-ubyte.gz"):
        load_dataset("kmnist", data_dir=tmp_path)


def test_missing_files_named():
    with pytest.raises(ValueError, match="needs --data-dir"):
        load_dataset("mnist")
    with pytest.raises(ValueError, match=r"missing file /nope/cifar-10-batches-py|missing file /nope/data_batch_1"):
        load_dataset("cifar10", data_dir="/nope")
    with pytest.raises(ValueError, match="missing file /nope/train_32x32.mat"):
        load_dataset("svhn", data_dir="/nope")
    with pytest.raises(ValueError, match="missing file /nope.csv"):
        load_dataset("csv:/nope.csv")


def test_csv_classification_and_regression(tmp_path):
    rng = np.random.RandomState(1)
    X = rng.rand(50, 3) * 10
    p = tmp_path / "c.csv"
    np.savetxt(p, np.c_[X, (X[:, 0] > 5).astype(int)], delimiter=",", header="a,b,c,y", comments="")
    ds = load_dataset(f"csv:{p}")
    assert ds.task == "classification" and ds.n_classes == 2 and ds.X_train.shape == (40, 3)
    assert float(ds.X_train.min()) == 0.0 and float(ds.X_train.max()) == 1.0
    q = tmp_path / "r.csv"
    np.savetxt(q, np.c_[X, X.sum(1) + 0.5], delimiter=",")
    r = load_dataset(f"csv:{q}")
    assert r.task == "regression" and r.y_train.shape == (40, 1)


@pytest.mark.parametrize("name,task,shape", [("wine", "classification", 13), ("breast_cancer", "classification", 30),
                                             ("diabetes", "regression", 10)])
def test_tabular(name, task, shape):
    ds = load_dataset(name)
    assert ds.task == task and ds.n_features == shape
    assert float(ds.X_train.min()) >= 0.0 and float(ds.X_train.max()) <= 1.0


def test_cifar10_pickles(tmp_path):
    import pickle

    base = tmp_path / "cifar-10-batches-py"
    base.mkdir()
    rng = np.random.RandomState(2)
    for stem in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        with open(base / stem, "wb") as fh:
            pickle.dump({b"data": rng.randint(0, 256, (3, 3072)).astype(np.uint8), b"labels": [1, 2, 3]}, fh)
    ds = load_dataset("cifar10", data_dir=tmp_path)
    assert ds.X_train.shape == (15, 3072) and ds.X_test.shape == (3, 3072)
    with open(base / "test_batch", "rb") as fh:
        raw = pickle.load(fh)[b"data"]
    np.testing.assert_allclose(ds.X_test.numpy(), raw / 255.0, rtol=1e-6)
    (base / "data_batch_3").write_bytes(b"not a pickle")
    with pytest.raises(ValueError, match="malformed cifar10 file .*data_batch_3"):
        load_dataset("cifar10", data_dir=tmp_path)
