"""DANTE: alternating layer-wise training with SNGD, instrumented for the SLQC theory.

Sinha, Kudugunta, Sankar, Chavali, Kar, Balasubramanian, "DANTE: Deep AlterNations for Training
nEural networks", Neural Networks 131 (2020): Algorithm 1 (:class:`SNGD`), Algorithm 2 (one hidden
layer) and Algorithm 3 / round-robin (deeper nets) in :func:`train`, the per-layer SLQC
instruments in :mod:`dante.instruments`.

Example:
    >>> from dante import TrainConfig, train
    >>> res = train(TrainConfig(data="digits", arch="64-100-10", epochs=2, progress=False))
    >>> sorted(res.final)
    ['test_acc', 'test_loss', 'train_loss']
"""

from .config import TrainConfig, TrainResult
from .data import Dataset, load_dataset, make_synthetic
from .model import MLP, parse_arch
from .sngd import SNGD
from .trainer import evaluate, resume, train

__all__ = ["SNGD", "TrainConfig", "TrainResult", "train", "resume", "evaluate", "load_dataset", "make_synthetic",
           "Dataset", "MLP", "parse_arch"]
