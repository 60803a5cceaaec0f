"""Data sets for the DANTE experiments (Sinha et al., 2020, section 4), with fixed splits.

Every loader returns a :class:`Dataset` with inputs scaled as in the paper (pixels to ``[0, 1]``,
tabular features min-max scaled to ``[0, 1]`` with the training split's range) and a fixed
train/test split: the standard one where the data set has one, otherwise a fixed permutation
(``numpy.random.RandomState(0)``) that does not depend on ``seed``. ``seed`` only drives the
planted teacher of ``synthetic``.

Names:
    ``digits`` (scikit-learn's 8x8 digits, 64 inputs, 1348/449 split), ``fashion-mnist``, ``mnist``,
    ``kmnist`` (IDX files), ``cifar10`` (``cifar-10-batches-py``), ``svhn`` (``train_32x32.mat``,
    ``test_32x32.mat``), ``synthetic`` or ``synthetic:ARCH`` (planted teacher network),
    ``csv:PATH`` (last column is the target), ``diabetes`` (regression), ``wine``, ``breast_cancer``.
"""

from __future__ import annotations

import gzip
import os
import pickle
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from .activations import get_activation
from .model import MLP, parse_arch

__all__ = ["Dataset", "load_dataset", "DATASETS", "FASHION_MNIST_DIR"]

DATASETS = ("digits", "fashion-mnist", "mnist", "kmnist", "cifar10", "svhn", "synthetic", "csv:PATH",
            "diabetes", "wine", "breast_cancer")
FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"
SYNTHETIC_DEFAULT_ARCH = "20-16-4"
IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
HOW_TO_GET = {
    "fashion-mnist": "install Debian's package dataset-fashion-mnist (apt-get install dataset-fashion-mnist) "
    "or download the four IDX files from https://github.com/zalandoresearch/fashion-mnist into --data-dir",
    "mnist": "download the four IDX files (train-images-idx3-ubyte.gz, ...) from http://yann.lecun.com/exdb/mnist/ "
    "into --data-dir",
    "kmnist": "download the four IDX files (train-images-idx3-ubyte.gz, ...) from https://github.com/rois-codh/kmnist "
    "into --data-dir",
    "cifar10": "download cifar-10-python.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html and unpack it in --data-dir",
    "svhn": "download train_32x32.mat and test_32x32.mat from http://ufldl.stanford.edu/housenumbers/ into --data-dir",
}


@dataclass
class Dataset:
    """A supervised data set with a fixed train/test split.

    Attributes:
        name: the name it was loaded by.
        X_train: float32 tensor ``(m, n_0)``.
        y_train: int64 labels ``(m,)`` for classification, float32 targets ``(m, k)`` for regression.
        X_test: float32 tensor ``(m_test, n_0)``.
        y_test: as ``y_train``.
        n_classes: number of classes, or ``None`` for regression.
        task: ``"classification"`` or ``"regression"``.
        teacher: planted weights ``{"W1": (n_0, n_1), "b1": (n_1,), ...}`` for ``synthetic``, else ``None``.
        teacher_arch: the teacher's widths for ``synthetic``, else ``None``.
    """

    name: str
    X_train: torch.Tensor
    y_train: torch.Tensor
    X_test: torch.Tensor
    y_test: torch.Tensor
    n_classes: int | None
    task: str
    teacher: dict | None = None
    teacher_arch: list[int] | None = field(default=None)

    @property
    def n_features(self) -> int:
        """Input width ``n_0``."""
        return int(self.X_train.shape[1])

    @property
    def n_outputs(self) -> int:
        """Output width a network needs: ``n_classes``, or the target width for regression."""
        return int(self.n_classes) if self.n_classes is not None else int(self.y_train.shape[1])

    def split_validation(self, fraction: float = 0.2, seed: int = 0) -> tuple["Dataset", "Dataset"]:
        """Hold out part of the training split for validation (deterministic in ``seed``).

        Args:
            fraction: share of the training split held out, in ``(0, 1)``.
            seed: seed of the permutation.

        Returns:
            ``(train_ds, val_ds)``: both train on the remaining part; ``train_ds`` keeps the original
            test split as its test set, ``val_ds`` has the held-out part as ``X_test``/``y_test``.
            The original test split is never used by ``val_ds``.

        Raises:
            ValueError: fraction outside ``(0, 1)`` or a split that leaves an empty part.
        """
        if not (0.0 < fraction < 1.0):
            raise ValueError(f"validation fraction must be in (0, 1), got {fraction}")
        m = self.X_train.shape[0]
        n_val = int(round(fraction * m))
        if n_val < 1 or n_val >= m:
            raise ValueError(f"validation fraction {fraction} leaves an empty split of {m} training points")
        perm = torch.from_numpy(np.random.RandomState(seed).permutation(m))
        val_idx, tr_idx = perm[:n_val], perm[n_val:]
        train_ds = replace(self, name=f"{self.name}[train]", X_train=self.X_train[tr_idx], y_train=self.y_train[tr_idx])
        val_ds = replace(self, name=f"{self.name}[val]", X_train=self.X_train[tr_idx], y_train=self.y_train[tr_idx],
                         X_test=self.X_train[val_idx], y_test=self.y_train[val_idx])
        return train_ds, val_ds


def _fixed_split(X: np.ndarray, y: np.ndarray, test_fraction: float) -> tuple[np.ndarray, ...]:
    perm = np.random.RandomState(0).permutation(len(X))
    n_test = int(round(test_fraction * len(X)))
    te, tr = perm[:n_test], perm[n_test:]
    return X[tr], y[tr], X[te], y[te]


def _minmax(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scale columns to [0, 1] with the training range (constant columns map to 0); clip the test split."""
    lo, hi = train.min(axis=0), train.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    return (train - lo) / span, np.clip((test - lo) / span, 0.0, 1.0)


def _make(name, Xtr, ytr, Xte, yte, n_classes, teacher=None, teacher_arch=None) -> Dataset:
    Xtr_t = torch.as_tensor(np.ascontiguousarray(Xtr), dtype=torch.float32)
    Xte_t = torch.as_tensor(np.ascontiguousarray(Xte), dtype=torch.float32)
    if n_classes is None:
        ytr_t = torch.as_tensor(np.asarray(ytr, dtype=np.float32).reshape(len(ytr), -1))
        yte_t = torch.as_tensor(np.asarray(yte, dtype=np.float32).reshape(len(yte), -1))
        task = "regression"
    else:
        ytr_t = torch.as_tensor(np.asarray(ytr, dtype=np.int64))
        yte_t = torch.as_tensor(np.asarray(yte, dtype=np.int64))
        task = "classification"
    return Dataset(name, Xtr_t, ytr_t, Xte_t, yte_t, n_classes, task, teacher, teacher_arch)


def _read_idx(path: Path, name: str) -> np.ndarray:
    """Read an IDX file (optionally gzip-compressed): magic, dims, big-endian uint8 data."""
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as fh:
            raw = fh.read()
    except (OSError, EOFError) as exc:
        raise ValueError(f"cannot read {path} ({exc}); to get {name}: {HOW_TO_GET[name]}") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"malformed IDX file {path} (bad magic number); to get {name}: {HOW_TO_GET[name]}")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    offset = 4 + 4 * ndim
    count = int(np.prod(dims))
    if len(raw) - offset != count:
        raise ValueError(f"malformed IDX file {path}: header says {dims} ({count} bytes), file has "
                         f"{len(raw) - offset}; to get {name}: {HOW_TO_GET[name]}")
    return np.frombuffer(raw, dtype=np.uint8, offset=offset).reshape(dims)


def _find(directory: Path, stem: str, name: str) -> Path:
    for candidate in (directory / f"{stem}.gz", directory / stem):
        if candidate.is_file():
            return candidate
    raise ValueError(f"missing file {directory / (stem + '.gz')} for {name}; {HOW_TO_GET[name]}")


def _load_idx_set(name: str, data_dir: str | os.PathLike | None) -> Dataset:
    if data_dir is None:
        if name != "fashion-mnist":
            raise ValueError(f"{name} needs --data-dir (data_dir=...) naming the folder with its IDX files; "
                             f"{HOW_TO_GET[name]}")
        data_dir = FASHION_MNIST_DIR
    directory = Path(data_dir)
    arrays = {}
    for split, (img_stem, lab_stem) in IDX_FILES.items():
        img = _read_idx(_find(directory, img_stem, name), name)
        lab = _read_idx(_find(directory, lab_stem, name), name)
        if img.ndim != 3 or lab.ndim != 1 or img.shape[0] != lab.shape[0]:
            raise ValueError(f"malformed IDX files in {directory} for {name}: images {img.shape}, labels {lab.shape}")
        arrays[split] = (img.reshape(len(img), -1).astype(np.float32) / 255.0, lab.astype(np.int64))
    (Xtr, ytr), (Xte, yte) = arrays["train"], arrays["test"]
    return _make(name, Xtr, ytr, Xte, yte, 10)


def _load_cifar10(data_dir) -> Dataset:
    if data_dir is None:
        raise ValueError(f"cifar10 needs --data-dir; {HOW_TO_GET['cifar10']}")
    base = Path(data_dir)
    if (base / "cifar-10-batches-py").is_dir():
        base = base / "cifar-10-batches-py"

    def read(stem):
        path = base / stem
        if not path.is_file():
            raise ValueError(f"missing file {path} for cifar10; {HOW_TO_GET['cifar10']}")
        try:
            with open(path, "rb") as fh:
                d = pickle.load(fh, encoding="bytes")
            return np.asarray(d[b"data"], dtype=np.float32) / 255.0, np.asarray(d[b"labels"], dtype=np.int64)
        except Exception as exc:  # noqa: BLE001 - any unpickling problem is a malformed file
            raise ValueError(f"malformed cifar10 file {path} ({exc}); {HOW_TO_GET['cifar10']}") from None

    parts = [read(f"data_batch_{i}") for i in range(1, 6)]
    Xte, yte = read("test_batch")
    return _make("cifar10", np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]), Xte, yte, 10)


def _load_svhn(data_dir) -> Dataset:
    if data_dir is None:
        raise ValueError(f"svhn needs --data-dir; {HOW_TO_GET['svhn']}")
    from scipy.io import loadmat

    def read(stem):
        path = Path(data_dir) / stem
        if not path.is_file():
            raise ValueError(f"missing file {path} for svhn; {HOW_TO_GET['svhn']}")
        try:
            d = loadmat(path)
            X = np.transpose(d["X"], (3, 2, 0, 1)).reshape(d["X"].shape[3], -1).astype(np.float32) / 255.0
            y = d["y"].reshape(-1).astype(np.int64) % 10  # SVHN labels the digit 0 as 10
            return X, y
        except Exception as exc:  # noqa: BLE001
            raise ValueError(f"malformed svhn file {path} ({exc}); {HOW_TO_GET['svhn']}") from None

    Xtr, ytr = read("train_32x32.mat")
    Xte, yte = read("test_32x32.mat")
    return _make("svhn", Xtr, ytr, Xte, yte, 10)


def _load_csv(path: str) -> Dataset:
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"missing file {p} for csv: give csv:PATH to a comma-separated file whose last column is the target")
    try:
        with open(p) as fh:
            first = fh.readline()
        try:
            [float(v) for v in first.strip().split(",")]
            skip = 0
        except ValueError:
            skip = 1  # a header line
        table = np.loadtxt(p, delimiter=",", skiprows=skip, dtype=np.float64, ndmin=2)
    except ValueError as exc:
        raise ValueError(f"malformed csv file {p}: {exc}") from None
    if table.shape[1] < 2 or table.shape[0] < 5:
        raise ValueError(f"malformed csv file {p}: need >= 2 columns (features, target) and >= 5 rows")
    X, y = table[:, :-1], table[:, -1]
    classes = np.unique(y)
    is_class = bool(np.all(y == np.round(y)) and len(classes) <= 50)
    Xtr, ytr, Xte, yte = _fixed_split(X, y, 0.2)
    Xtr, Xte = _minmax(Xtr, Xte)
    if is_class:
        lookup = {c: i for i, c in enumerate(classes)}
        ytr = np.array([lookup[v] for v in ytr])
        yte = np.array([lookup[v] for v in yte])
        return _make(f"csv:{path}", Xtr, ytr, Xte, yte, len(classes))
    ytr2, yte2 = _minmax(ytr[:, None], yte[:, None])
    return _make(f"csv:{path}", Xtr, ytr2, Xte, yte2, None)


def _load_sklearn(name: str) -> Dataset:
    from sklearn import datasets as skd

    if name == "digits":
        d = skd.load_digits()
        X, y = d.data / 16.0, d.target  # pixels 0..16 -> [0, 1]
        Xtr, ytr, Xte, yte = _fixed_split(X, y, 0.25)
        return _make("digits", Xtr, ytr, Xte, yte, 10)
    loader = {"diabetes": skd.load_diabetes, "wine": skd.load_wine, "breast_cancer": skd.load_breast_cancer}[name]
    d = loader()
    Xtr, ytr, Xte, yte = _fixed_split(d.data, d.target, 0.25)
    Xtr, Xte = _minmax(Xtr, Xte)
    if name == "diabetes":
        ytr, yte = _minmax(ytr[:, None].astype(np.float64), yte[:, None].astype(np.float64))
        return _make(name, Xtr, ytr, Xte, yte, None)
    return _make(name, Xtr, ytr, Xte, yte, int(len(np.unique(d.target))))


def make_synthetic(arch: str | Sequence[int] = SYNTHETIC_DEFAULT_ARCH, seed: int = 0, n_train: int = 2000,
                   n_test: int = 500, activation: str = "generalized_relu", noise: float = 0.0) -> Dataset:
    """Planted teacher network (the idealized setting of Definition 2 and Theorems 3-5).

    Inputs are drawn uniformly from the unit ball ``B(0, 1)`` of ``R^{n_0}``; targets are
    ``y = f(W*; x)`` (+ optional Gaussian noise) for a teacher :class:`MLP` with the given widths,
    biases zero, weights ``N(0, 2 / n_{l-1})`` (the theory's networks have no bias).

    Args:
        arch: teacher widths, e.g. ``"20-16-4"``.
        seed: seed of the teacher and of the inputs.
        n_train: training points.
        n_test: test points.
        activation: activation of every teacher layer (output included).
        noise: standard deviation of additive target noise (0: idealized GLM).

    Returns:
        A regression :class:`Dataset` with ``teacher = {"W1": ..., "b1": ..., ...}``.
    """
    widths = parse_arch(arch)
    gen = torch.Generator().manual_seed(int(seed))
    teacher = MLP(widths, activation=get_activation(activation), generator=gen)
    with torch.no_grad():
        for l in range(1, teacher.n_layers + 1):
            teacher.weights[l - 1].copy_(torch.randn(widths[l - 1], widths[l], generator=gen) * (2.0 / widths[l - 1]) ** 0.5)
            teacher.biases[l - 1].zero_()
        m = n_train + n_test
        d = widths[0]
        direction = torch.randn(m, d, generator=gen)
        direction /= direction.norm(dim=1, keepdim=True)
        radius = torch.rand(m, 1, generator=gen) ** (1.0 / d)
        X = direction * radius
        Y = teacher(X) + noise * torch.randn(m, widths[-1], generator=gen)
    planted = {}
    for l in range(1, teacher.n_layers + 1):
        planted[f"W{l}"] = teacher.weights[l - 1].detach().clone()
        planted[f"b{l}"] = teacher.biases[l - 1].detach().clone()
    return Dataset(f"synthetic:{'-'.join(map(str, widths))}", X[:n_train].contiguous(), Y[:n_train].contiguous(),
                   X[n_train:].contiguous(), Y[n_train:].contiguous(), None, "regression", planted, widths)


def load_dataset(name: str, data_dir: str | os.PathLike | None = None, seed: int = 0,
                 arch: str | Sequence[int] | None = None) -> Dataset:
    """Load a data set by name (see the module docstring for the names and files).

    Args:
        name: ``digits`` | ``fashion-mnist`` | ``mnist`` | ``kmnist`` | ``cifar10`` | ``svhn`` |
            ``synthetic`` | ``synthetic:ARCH`` | ``csv:PATH`` | ``diabetes`` | ``wine`` | ``breast_cancer``.
        data_dir: folder with the files (``fashion-mnist`` defaults to ``/usr/share/datasets/fashion-mnist``).
        seed: seed for ``synthetic`` (the other splits are fixed).
        arch: teacher widths for plain ``synthetic`` (default ``20-16-4``).

    Returns:
        The :class:`Dataset`.

    Raises:
        ValueError: unknown name, or a missing or malformed file (the message names the file and
            how to get it).

    Example:
        >>> ds = load_dataset("digits"); (ds.X_train.shape, ds.X_test.shape, ds.n_classes)
        (torch.Size([1348, 64]), torch.Size([449, 64]), 10)
    """
    if not isinstance(name, str):
        raise ValueError(f"dataset name must be a string, got {type(name).__name__}")
    if name in ("digits", "diabetes", "wine", "breast_cancer"):
        return _load_sklearn(name)
    if name in ("fashion-mnist", "mnist", "kmnist"):
        return _load_idx_set(name, data_dir)
    if name == "cifar10":
        return _load_cifar10(data_dir)
    if name == "svhn":
        return _load_svhn(data_dir)
    if name == "synthetic":
        return make_synthetic(arch or SYNTHETIC_DEFAULT_ARCH, seed=seed)
    if name.startswith("synthetic:"):
        return make_synthetic(name.split(":", 1)[1], seed=seed)
    if name.startswith("csv:"):
        return _load_csv(name[4:])
    raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
