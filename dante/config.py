"""Training configuration and result containers (the public contract of :func:`dante.train`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

__all__ = ["TrainConfig", "TrainResult", "TASKS"]

TASKS = ("classify", "regress", "autoencoder")


@dataclass
class TrainConfig:
    """Everything a training run needs; ``dante train`` flags map one-to-one onto these fields.

    Attributes:
        data: data set name (see :func:`dante.data.load_dataset`) or a :class:`dante.data.Dataset`.
        arch: widths ``n_0-...-n_L``, e.g. ``"64-100-10"``.
        method: ``dante`` | ``sgd`` | ``momentum`` | ``adam`` | ``adagrad`` | ``rmsprop`` | ``altmin-sgd``.
        activation: hidden activation ``leaky_relu`` (``a = 0.01, b = 1``) | ``sigmoid`` | ``relu``.
        loss: ``mse`` (one-hot targets for classifiers) | ``cross_entropy`` (softmax output).
        lr: learning rate; for DANTE the SNGD step length ``eta`` (Algorithm 1).
        momentum: momentum for ``dante`` (on the normalized direction), ``sgd``, ``altmin-sgd``;
            ``momentum`` uses 0.9 when this is 0.
        sngd_epochs: ``T``, passes per alternation phase (Algorithm 2; the paper uses 5).
        epochs: total passes over the training data, the same budget for every method.
        batch_size: minibatch size ``b``.
        seed: seed of the initialization and of the minibatch order (and of ``synthetic`` data).
        task: ``classify`` | ``regress`` | ``autoencoder`` (targets are the inputs).
        scheme: ``round-robin`` | ``greedy`` (Algorithm 3, outside-in pairs; autoencoders).
        instrument: log the per-layer SLQC quantities (:mod:`dante.instruments`).
        reference: ``final`` | ``teacher`` | ``phase``: the ``W*`` of the instruments.
        eps: the epsilons of the kappa estimate and of the SLQC check.
        device: torch device (``cpu``, ``cuda``).
        out: run directory (``config.json``, ``metrics.jsonl``, ``checkpoints/``, ``final.json``) or ``None``.
        data_dir: folder with the data files.
        progress: show a tqdm progress bar.
        log_every: evaluate every this many steps; ``None``: once per data pass (and at step 0).
        output_activation: ``None`` (hidden activation for ``mse``, logits for ``cross_entropy``) or
            an activation name, e.g. ``linear`` for regression.
        bias: layers have biases (the paper's theory has none).
        cache_hidden: compute the input of the trained layer once per phase (not once per step).
        closed_form: closed-form gradient for one-layer paths (:mod:`dante.glm`) instead of autograd.
        layer_order: round-robin order, ``backward`` (``L..1``, Algorithm 2 for ``L = 2``) or ``forward``.
        am_tol: Algorithm 2's stopping threshold on ``|f_t - f_{t-1}|`` after each round (0: off).
        instrument_every: measure every this many steps (``None``: about 4 times per data pass).
        instrument_samples: size of the fixed subset used as the ``full`` source (``None``: all).
        dtype: ``float32`` (default) or ``float64``.
        leaky_a: negative slope ``a`` of the leaky ReLU.
        leaky_b: positive slope ``b`` of the leaky ReLU.
    """

    data: Any = "digits"
    arch: str = "64-100-10"
    method: str = "dante"
    activation: str = "leaky_relu"
    loss: str = "mse"
    lr: float = 0.01
    momentum: float = 0.0
    sngd_epochs: int = 5
    epochs: int = 10
    batch_size: int = 64
    seed: int = 0
    task: str = "classify"
    scheme: str = "round-robin"
    instrument: bool = False
    reference: str = "final"
    eps: tuple = (0.01, 0.1)
    device: str = "cpu"
    out: str | None = None
    data_dir: str | None = None
    progress: bool = True
    log_every: int | None = None
    output_activation: str | None = None
    bias: bool = True
    cache_hidden: bool = True
    closed_form: bool = True
    layer_order: str = "backward"
    am_tol: float = 0.0
    instrument_every: int | None = None
    instrument_samples: int | None = None
    dtype: str = "float32"
    leaky_a: float = 0.01
    leaky_b: float = 1.0

    def to_dict(self) -> dict:
        """JSON-ready dict (a :class:`Dataset` in ``data`` is recorded by its name)."""
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        if not isinstance(d["data"], str):
            d["data"] = getattr(d["data"], "name", str(d["data"]))
        d["eps"] = list(d["eps"])
        if d["out"] is not None:
            d["out"] = str(d["out"])
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        """Inverse of :meth:`to_dict`; unknown keys raise ``ValueError``."""
        names = {f.name for f in fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise ValueError(f"unknown config keys: {', '.join(sorted(unknown))}")
        d = dict(d)
        if "eps" in d:
            d["eps"] = tuple(d["eps"])
        return cls(**d)


@dataclass
class TrainResult:
    """What :func:`dante.train` returns.

    Attributes:
        history: one dict per evaluation point with ``step``, ``weights_updated``, ``epoch``,
            ``wall_time`` (training seconds, evaluation and instruments excluded), ``train_loss``,
            ``test_loss``, ``test_acc`` (``None`` unless classifying).
        final: ``dict(train_loss=..., test_loss=..., test_acc=...)`` at the end.
        model: the trained :class:`dante.model.MLP`.
        run_dir: the run directory, or ``None``.
        config: the :class:`TrainConfig`.
        status: ``completed`` | ``converged`` (Algorithm 2's threshold) | ``interrupted`` | ``non-finite``.
        instruments: the instrument records (also in ``metrics.jsonl``).
        message: a human-readable note on how the run ended.
        passes: per data pass ``{"index", "train_layers", "seconds", "cache_seconds"}``: training seconds
            of the pass, of which ``cache_seconds`` went to computing the phase input (first pass of a phase).
    """

    history: list[dict]
    final: dict
    model: Any
    run_dir: Path | None
    config: TrainConfig
    status: str = "completed"
    instruments: list[dict] = field(default_factory=list)
    message: str = ""
    passes: list[dict] = field(default_factory=list)
