"""Training configuration and result containers (the public contract of :func:`dante.train`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

__all__ = ["TrainConfig", "TrainResult", "TASKS"]

TASKS = ("classify", "regress", "autoencoder")


@dataclass
class TrainConfig:
    """Everything a training run needs; ``dante train`` flags map one-to-one onto these fields.

    The defaults are the CLI's; ``lr``, ``batch_size``, ``sngd_epochs`` and the output layer were
    chosen by the measured sweep of :mod:`dante.bench_defaults` (docs/dante/defaults.json).

    Attributes:
        data: data set name (see :func:`dante.data.load_dataset`) or a :class:`dante.data.Dataset`.
        arch: widths ``n_0-...-n_L``, e.g. ``"64-100-10"``.
        method: ``dante`` | ``sgd`` | ``momentum`` | ``adam`` | ``adagrad`` | ``rmsprop`` | ``altmin-sgd``.
        activation: hidden activation (:mod:`slqc.activations` names): ``generalized_relu`` (alias
            ``leaky_relu``; slopes ``leaky_a``, ``leaky_b``) | ``sigmoid`` | ``relu``.
        loss: ``squared`` (alias ``mse``; one-hot targets for classifiers) | ``ce`` (alias
            ``cross_entropy``; softmax output).
        lr: learning rate; for DANTE the SNGD step length ``eta`` (Algorithm 1).
        momentum: momentum for ``dante`` (on the normalized direction), ``sgd``, ``altmin-sgd``;
            ``momentum`` uses 0.9 when this is 0.
        sngd_epochs: ``T``, passes per alternation phase (Algorithm 2's ``T_SNGD``). When
            ``T * L > epochs`` it is lowered so that every layer gets a phase (recorded in the log).
        epochs: total passes over the training data, the same budget for every method.
        batch_size: minibatch size ``b``.
        seed: seed of the initialization and of the minibatch order (and of ``synthetic`` data).
        task: ``classify`` | ``regress`` | ``autoencoder`` (targets are the inputs).
        scheme: ``round-robin`` | ``greedy`` (Algorithm 3, outside-in pairs; autoencoders).
        instrument: log the per-layer SLQC quantities (:mod:`dante.instruments`).
        reference: ``final`` | ``teacher`` (aligned with the student up to the network's
            symmetries, :mod:`dante.align`) | ``teacher-raw`` (the teacher as drawn) | ``phase``:
            the ``W*`` of the instruments.
        eps: the epsilons of the kappa estimate and of the SLQC check.
        device: torch device (``cpu``, ``cuda``).
        out: run directory (``config.json``, ``metrics.jsonl``, ``checkpoints/``, ``final.json``) or ``None``.
        data_dir: folder with the data files.
        progress: show a tqdm progress bar.
        log_every: evaluate every this many steps; ``None``: once per data pass (and at step 0).
        output_activation: ``None`` (classification: ``identity``, a linear output, which the sweep of
            :mod:`dante.bench_defaults` preferred to the hidden activation over 5 validation seeds and
            which the instruments claim against as Theorem 3 with ``a = b = 1``; ``ce``: logits;
            regression and autoencoders: the hidden activation, as in the paper's Eq. 4) or an
            activation name (``--output-activation generalized_relu`` gives the paper's classifier).
        bias: layers have biases (the paper's theory has none).
        cache_hidden: compute the input of the trained layer once per phase (not once per step).
        closed_form: closed-form gradient for one-layer paths (:mod:`dante.glm`) instead of autograd.
        layer_order: round-robin order: ``paper`` (``L..1`` for one hidden layer as in Algorithm 2,
            ``1..L`` for deeper nets, "in the sequence in which the layers appear", section 3.5),
            ``backward`` (``L..1``) or ``forward`` (``1..L``).
        am_tol: Algorithm 2's stopping threshold ``eps`` on ``|f_t - f_{t-1}|`` (0: off, run the budget).
        am_min_rounds: Algorithm 2's ``T_AM``, the minimum number of alternation rounds before the
            threshold may stop the run.
        instrument_every: measure every this many steps (``None``: about 4 times per data pass).
        instrument_samples: size of the fixed subset used as the ``full`` source (``None``: all).
        dtype: ``float32`` (default) or ``float64``.
        leaky_a: negative slope ``a`` of the generalized ReLU.
        leaky_b: positive slope ``b`` of the generalized ReLU.
    """

    data: Any = "digits"
    arch: str = "64-100-10"
    method: str = "dante"
    activation: str = "generalized_relu"
    loss: str = "squared"
    lr: float = 0.1
    momentum: float = 0.0
    sngd_epochs: int = 1
    epochs: int = 10
    batch_size: int = 32
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
    layer_order: str = "paper"
    am_tol: float = 0.0
    am_min_rounds: int = 1
    instrument_every: int | None = None
    instrument_samples: int | None = None
    dtype: str = "float32"
    leaky_a: float = 0.01
    leaky_b: float = 1.0

    def output_activation_name(self) -> str | None:
        """The output layer's activation: the field, or the default described above (``None``: hidden)."""
        if self.output_activation is not None:
            return self.output_activation
        from .losses import canonical_loss

        if canonical_loss(self.loss) == "ce" or self.task == "classify":
            return "identity"
        return None

    def validate(self) -> None:
        """Check every field that does not need the data set.

        Raises:
            ValueError: one line naming the offending setting.
        """
        import torch

        from .activations import canonical_name
        from .instruments import REFERENCES
        from .losses import canonical_loss
        from .schemes import ALTERNATING_METHODS, LAYER_ORDERS, METHODS

        if self.method not in METHODS:
            raise ValueError(f"unknown method {self.method!r}; choose one of {', '.join(METHODS)}")
        if canonical_name(self.activation) not in ("generalized_relu", "sigmoid", "relu"):
            raise ValueError(f"unknown hidden activation {self.activation!r}; choose one of generalized_relu "
                             "(leaky_relu), sigmoid, relu")
        if self.output_activation is not None:
            canonical_name(self.output_activation)
        loss = canonical_loss(self.loss)
        if self.task not in TASKS:
            raise ValueError(f"unknown task {self.task!r}; choose one of {', '.join(TASKS)}")
        if self.reference not in REFERENCES:
            raise ValueError(f"unknown reference {self.reference!r}; choose one of {', '.join(REFERENCES)}")
        if not (isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr must be a finite number > 0, got {self.lr}")
        if not (0 <= self.momentum < 1):
            raise ValueError(f"momentum must be in [0, 1), got {self.momentum}")
        for name in ("sngd_epochs", "epochs", "batch_size", "am_min_rounds"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or int(v) != v or v < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {v}")
        if self.log_every is not None and (int(self.log_every) != self.log_every or self.log_every < 1):
            raise ValueError(f"log_every must be a positive integer or None, got {self.log_every}")
        if self.instrument_every is not None and self.instrument_every < 1:
            raise ValueError(f"instrument_every must be >= 1, got {self.instrument_every}")
        if self.dtype not in ("float32", "float64"):
            raise ValueError(f"dtype must be float32 or float64, got {self.dtype!r}")
        if not all(isinstance(e, (int, float)) and e > 0 for e in self.eps):
            raise ValueError(f"eps values must be > 0, got {self.eps}")
        if not (self.am_tol >= 0):
            raise ValueError(f"am_tol must be >= 0, got {self.am_tol}")
        if self.layer_order not in LAYER_ORDERS:
            raise ValueError(f"unknown layer order {self.layer_order!r}; choose one of {', '.join(LAYER_ORDERS)}")
        if self.scheme == "greedy" and self.method not in ALTERNATING_METHODS:
            raise ValueError(f"scheme 'greedy' is a DANTE scheme (Algorithm 3); method {self.method!r} trains all layers at once")
        if self.scheme == "greedy" and self.task != "autoencoder":
            raise ValueError("scheme 'greedy' (Algorithm 3) trains autoencoders: use task 'autoencoder'")
        if self.reference == "phase" and self.instrument and self.method not in ALTERNATING_METHODS:
            raise ValueError(f"reference 'phase' needs an alternating method (dante, altmin-sgd), got {self.method!r}")
        if loss == "ce" and self.task != "classify":
            raise ValueError("loss 'ce' (cross_entropy) needs task 'classify'")
        if self.out is not None and Path(self.out).exists() and not Path(self.out).is_dir():
            raise ValueError(f"--out {self.out} is a file; give a directory for the run")
        dev = str(self.device)
        if dev.startswith("cuda") and not torch.cuda.is_available():
            raise ValueError(f"device {dev!r} requested but CUDA is not available")
        try:
            torch.device(dev)
        except RuntimeError:
            raise ValueError(f"unknown device {dev!r}") from None

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
        """Inverse of :meth:`to_dict`; unknown keys raise ``ValueError``.

        A ``config.json`` written before a field existed gets the value that reproduces the old run
        for the fields whose defaults changed (:data:`OLD_DEFAULTS`).
        """
        names = {f.name for f in fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise ValueError(f"unknown config keys: {', '.join(sorted(unknown))}")
        if "am_min_rounds" not in d:  # written by an older version: keep what the run did
            if d.get("output_activation") is None and d.get("loss", "mse") in ("mse", "squared"):
                d = {**d, "output_activation": d.get("activation", "leaky_relu")}  # the hidden activation
            d = {**OLD_DEFAULTS, **d}
        if "eps" in d:
            d["eps"] = tuple(d["eps"])
        return cls(**d)


#: values of fields added later, as the older runs behaved (used by :meth:`TrainConfig.from_dict`)
OLD_DEFAULTS = {"layer_order": "backward", "am_min_rounds": 1}


@dataclass
class TrainResult:
    """What :func:`dante.train` returns.

    Attributes:
        history: one dict per evaluation point with ``step``, ``weights_updated``, ``epoch``,
            ``wall_time`` (training seconds, evaluation and instruments excluded), ``cpu_time`` (the
            same in CPU seconds of the process), ``train_loss``,
            ``test_loss``, ``test_acc`` (``None`` unless classifying).
        final: ``dict(train_loss=..., test_loss=..., test_acc=...)`` at the end.
        model: the trained :class:`dante.model.MLP`.
        run_dir: the run directory, or ``None``.
        config: the :class:`TrainConfig`.
        status: ``completed`` | ``converged`` (Algorithm 2's threshold) | ``interrupted`` | ``non-finite``.
        steps: minibatch steps taken (the same number ``final.json`` records).
        instruments: the instrument records (also in ``metrics.jsonl``).
        message: a human-readable note on how the run ended.
        passes: per data pass ``{"index", "train_layers", "seconds", "cache_seconds", "cpu_seconds",
            "cache_cpu_seconds"}``: training seconds of the pass (wall clock), of which ``cache_seconds``
            went to computing the phase input (first pass of a phase); the same in CPU seconds of the
            process (``time.process_time``, which a busy machine disturbs less).
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
    steps: int = 0
