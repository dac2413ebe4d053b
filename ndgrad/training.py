"""The training loops behind ``ndgrad train`` and ``ndgrad demo``: models and data from
``nn``, optimizers and schedules from ``optim``, a metrics log, checkpoints that resume
exactly, and Ctrl-C that saves before it stops."""

from __future__ import annotations

import csv
import itertools
import json
import math
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np

import autograd as ag
import nn
import nn.functional as F
import optim

CHECKPOINT = "checkpoint.npz"


class Interrupted(Exception):  # noqa: N818 (it is how the run ends, not a fault)
    """Training stopped by Ctrl-C after saving a checkpoint."""

    def __init__(self, path: str, step: int) -> None:
        super().__init__(f"interrupted at step {step}; checkpoint saved to {path}")
        self.path, self.step = path, step


class RunSetupError(ValueError):
    """A run that cannot start: a file that is not a training checkpoint, epochs the schedule
    cannot extend to, an output folder that cannot be written."""


@dataclass
class Config:
    """Everything that defines a run; saved in its checkpoint so ``--resume`` rebuilds it."""

    task: str = "mlp"  # mlp | rnn
    dataset: str = "spiral"
    width: int = 64
    depth: int = 2
    activation: str = "relu"
    cell: str = "rnn"  # rnn | gru | lstm, for task rnn
    seq_len: int = 32
    optimizer: str = "adam"
    lr: float = 1e-2
    momentum: float = 0.9
    weight_decay: float = 0.0
    schedule: str = "none"  # none | step | cosine | exponential | onecycle
    epochs: int = 30
    batch_size: int = 32
    clip: float = 0.0
    seed: int = 0
    log: str = "csv"  # csv | jsonl: kept so that a resumed run appends to the same log
    extra: dict[str, Any] = field(default_factory=dict)


MLP_DATASETS = ("spiral", "moons", "circles", "smiley", "digits")
RNN_DATASETS = ("chars", "sentiment")
OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop", "adagrad")
SCHEDULES = ("none", "step", "cosine", "exponential", "onecycle")
CELLS = ("rnn", "gru", "lstm")


def load_data(config: Config) -> dict[str, Any]:
    """Train and test tensors (and what the model needs to know about them)."""
    name, seed = config.dataset, config.seed
    if config.task == "mlp":
        makers: dict[str, Callable[[], Any]] = {
            "spiral": lambda: nn.datasets.spiral(seed=seed),
            "moons": lambda: nn.datasets.moons(seed=seed),
            "circles": lambda: nn.datasets.circles(seed=seed),
            "smiley": lambda: nn.datasets.smiley(seed=seed),
            "digits": lambda: nn.datasets.digits(seed=seed),
        }
        split = makers[name]()
        return {"train": (split.x_train, split.y_train), "test": (split.x_test, split.y_test),
                "in": split.x_train.shape[1], "out": split.num_classes}
    if name == "chars":
        corpus = nn.datasets.stdlib_docstrings(max_chars=60_000)
        x, y = corpus.windows(config.seq_len)
        xt, yt = corpus.windows(config.seq_len, split="test")
        return {"train": (x, y), "test": (xt, yt), "in": len(corpus.vocab), "out": len(corpus.vocab),
                "vocab": corpus.vocab, "per_step": True}
    split = nn.datasets.negation_sentiment(seed=seed)
    return {"train": (split.x_train, split.y_train), "test": (split.x_test, split.y_test),
            "in": len(split.vocab), "out": split.num_classes, "per_step": False}


class SequenceModel(nn.Module):
    """Embedding, a recurrent layer, and a linear read-out: per step (language model) or
    from the last step (sentence classification)."""

    def __init__(self, vocab: int, hidden: int, classes: int, cell: str, layers: int, per_step: bool) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, min(hidden, 32))
        recurrent = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[cell]
        self.rnn = recurrent(min(hidden, 32), hidden, num_layers=layers, batch_first=True)
        self.out = nn.Linear(hidden, classes)
        self.per_step = per_step

    def forward(self, tokens: ag.Tensor) -> ag.Tensor:
        h, _ = self.rnn(self.embed(tokens))
        return self.out(h if self.per_step else h[:, -1])


def build_model(config: Config, data: dict[str, Any]) -> nn.Module:
    ag.manual_seed(config.seed)
    if config.task == "mlp":
        return nn.MLP(data["in"], [config.width] * config.depth, data["out"], activation=config.activation)
    return SequenceModel(data["in"], config.width, data["out"], config.cell, config.depth, data["per_step"])


def build_optimizer(config: Config, params: Iterable[nn.Parameter]) -> optim.Optimizer:
    kind = config.optimizer
    if kind == "sgd":
        return optim.SGD(params, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay)
    classes = {"adam": optim.Adam, "adamw": optim.AdamW, "rmsprop": optim.RMSprop, "adagrad": optim.Adagrad}
    return classes[kind](params, lr=config.lr, weight_decay=config.weight_decay)


def build_schedule(config: Config, opt: optim.Optimizer, steps_per_epoch: int) -> Any:
    total = config.epochs * steps_per_epoch
    if config.schedule == "step":
        return optim.lr_scheduler.StepLR(opt, step_size=max(total // 3, 1), gamma=0.3)
    if config.schedule == "cosine":
        return optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(total, 1))
    if config.schedule == "exponential":
        return optim.lr_scheduler.ExponentialLR(opt, gamma=0.01 ** (1 / max(total, 1)))
    if config.schedule == "onecycle":
        return optim.lr_scheduler.OneCycleLR(opt, max_lr=config.lr, total_steps=max(total, 1))
    return None


def loss_fn(model: nn.Module, x: ag.Tensor, y: ag.Tensor) -> ag.Tensor:
    logits = model(x)
    if logits.ndim == 3:  # per-step predictions (N, L, C) against targets (N, L)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
    return F.cross_entropy(logits, y)


def evaluate(model: nn.Module, x: ag.Tensor, y: ag.Tensor) -> tuple[float, float]:
    """Mean loss and accuracy, in eval mode without recording a graph."""
    model.eval()
    try:
        with ag.no_grad():
            logits = model(x)
            loss = loss_fn(model, x, y).item()
        predictions = logits.argmax(-1).numpy()
        return loss, float((predictions == y.numpy()).mean())
    finally:
        model.train()


def batches(x: ag.Tensor, y: ag.Tensor, size: int, seed: int, epoch: int) -> Iterator[tuple[ag.Tensor, ag.Tensor]]:
    # One loader per epoch, seeded by (seed, epoch): a resumed run sees the same batches.
    loader = nn.DataLoader(nn.TensorDataset(x, y), batch_size=size, shuffle=True, seed=seed * 100_003 + epoch)
    yield from loader


class MetricsLog:
    """One row per epoch, as CSV or JSON lines (by the file's extension); appends on resume."""

    FIELDS = ("epoch", "step", "lr", "train_loss", "test_loss", "train_accuracy", "test_accuracy", "seconds")

    def __init__(self, path: str, resume: bool) -> None:
        self.path, self.jsonl = path, path.endswith((".jsonl", ".json"))
        if not resume or not os.path.exists(path):
            with open(path, "w", newline="") as f:
                if not self.jsonl:
                    csv.writer(f).writerow(self.FIELDS)

    def write(self, row: dict[str, Any]) -> None:
        with open(self.path, "a", newline="") as f:
            if self.jsonl:
                f.write(json.dumps(row) + "\n")
            else:
                csv.writer(f).writerow([row[k] for k in self.FIELDS])


def save_checkpoint(path: str, config: Config, model: nn.Module, opt: optim.Optimizer, sched: Any,
                    epoch: int, step: int, batch: int = 0, epoch_losses: Sequence[float] = ()) -> None:
    """``epoch`` epochs finished, and ``batch`` batches of the next (with their losses, so that
    the epoch's logged loss is the same as without the interruption)."""
    nn.save({"config": asdict(config), "model": model.state_dict(), "optimizer": opt.state_dict(),
             "schedule": None if sched is None else sched.state_dict(), "epoch": epoch, "step": step,
             "batch": batch, "epoch_losses": list(epoch_losses)}, path)


CHECKPOINT_KEYS = ("config", "model", "optimizer", "schedule", "epoch", "step")


def read_checkpoint(path: str) -> dict[str, Any]:
    """A training checkpoint, checked enough that resuming it cannot fail half-way with a
    KeyError (a file from ``nn.save`` that holds something else, a config from another version)."""
    try:
        state = nn.load(path)
    except (nn.checkpoint.CheckpointError, OSError) as error:
        raise RunSetupError(str(error)) from None
    refusal = f"{path} is not an ndgrad train checkpoint"
    if not isinstance(state, dict):
        raise RunSetupError(f"{refusal}: it holds a {type(state).__name__}, not a dict")
    missing = [key for key in CHECKPOINT_KEYS if key not in state]
    if missing:
        raise RunSetupError(f"{refusal}: missing {', '.join(map(repr, missing))}")
    if not isinstance(state["config"], dict):
        raise RunSetupError(f"{refusal}: its 'config' is a {type(state['config']).__name__}, not a dict")
    unknown = sorted(set(state["config"]) - {f.name for f in fields(Config)})
    if unknown:
        raise RunSetupError(f"{refusal}: unknown setting {', '.join(map(repr, unknown))} in its 'config'")
    return state


class StopRequest:
    """While active, Ctrl-C asks training to stop before the next batch, so that a checkpoint
    never holds a half-applied update (Adam updates one parameter at a time). A second Ctrl-C
    interrupts at once, without saving. Only the main thread receives signals; elsewhere, and
    when SIGINT is ignored, nothing is installed."""

    def __init__(self) -> None:
        self.requested = False
        self.previous: Any = None

    def __enter__(self) -> StopRequest:
        if threading.current_thread() is threading.main_thread():
            previous = signal.getsignal(signal.SIGINT)
            if previous is not signal.SIG_IGN:
                self.previous = signal.default_int_handler if previous is None else previous
                signal.signal(signal.SIGINT, self._request)
        return self

    def _request(self, signum: int, frame: Any) -> None:
        self.requested = True
        signal.signal(signal.SIGINT, self.previous)

    def __exit__(self, *exc: object) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)


class Progress:
    """One tqdm bar over the whole run when tqdm is installed and output is wanted."""

    def __init__(self, total: int, done: int, quiet: bool) -> None:
        self.bar = None
        if not quiet:
            try:
                from tqdm import tqdm
            except ImportError:
                return
            self.bar = tqdm(total=total, initial=done, unit="step", dynamic_ncols=True)

    def step(self) -> None:
        if self.bar is not None:
            self.bar.update(1)

    def show(self, **values: Any) -> None:
        if self.bar is not None:
            self.bar.set_postfix(values)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def train(config: Config, out_dir: str, resume: str | Mapping[str, Any] | None = None, quiet: bool = False,
          on_epoch: Callable[[dict[str, Any]], None] | None = None, epochs: int | None = None,
          on_step: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Train, log each epoch, checkpoint each epoch (and on Ctrl-C); return the final metrics.

    With ``resume`` (a checkpoint path, or what ``read_checkpoint`` returned) the run's settings
    come from the checkpoint; ``epochs`` may extend it. ``on_step(step)`` is called after each
    optimizer step.
    """
    state = read_checkpoint(resume) if isinstance(resume, str) else resume
    if state is not None:
        config = Config(**state["config"])
    if epochs is not None and epochs != config.epochs:
        if state is not None and config.schedule != "none" and epochs > config.epochs:
            raise RunSetupError(f"cannot extend a run with a {config.schedule!r} schedule from {config.epochs} to "
                                f"{epochs} epochs: the schedule spans the original length")
        config.epochs = epochs
    data = load_data(config)
    model = build_model(config, data)
    opt = build_optimizer(config, model.parameters())
    x, y = data["train"]
    steps_per_epoch = math.ceil(x.shape[0] / config.batch_size)
    sched = build_schedule(config, opt, steps_per_epoch)
    start_epoch, step, done, losses = 0, 0, 0, []
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        if sched is not None and state["schedule"] is not None:
            sched.load_state_dict(state["schedule"])
        start_epoch, step = int(state["epoch"]), int(state["step"])
        # Inside an interrupted epoch: skip the batches it finished (checkpoints without these
        # keys were written at the end of an epoch).
        done, losses = int(state.get("batch", 0)), [float(v) for v in state.get("epoch_losses", [])]
    # Only now: a run refused above (a missing checkpoint, bad epochs) leaves no folder behind.
    try:
        os.makedirs(out_dir, exist_ok=True)
        log = MetricsLog(os.path.join(out_dir, f"metrics.{config.log}"), state is not None)
    except OSError as error:
        raise RunSetupError(f"cannot write into the output folder {out_dir}: {error.strerror or error}") from None
    ckpt = os.path.join(out_dir, CHECKPOINT)
    row: dict[str, Any] = {}
    bar = Progress(config.epochs * steps_per_epoch, step, quiet)
    try:
        with StopRequest() as stop:
            for epoch in range(start_epoch, config.epochs):
                started = time.perf_counter()
                # The order depends only on (seed, epoch), so skipping replays nothing.
                for xb, yb in itertools.islice(batches(x, y, config.batch_size, config.seed, epoch), done, None):
                    if stop.requested:
                        save_checkpoint(ckpt, config, model, opt, sched, epoch, step, done, losses)
                        raise Interrupted(ckpt, step)
                    loss = loss_fn(model, xb, yb)
                    opt.zero_grad()
                    loss.backward()
                    if config.clip > 0:
                        nn.utils.clip_grad_norm_(model.parameters(), config.clip)
                    opt.step()
                    if sched is not None:
                        sched.step()
                    losses.append(loss.item())
                    step, done = step + 1, done + 1
                    bar.step()
                    if on_step is not None:
                        on_step(step)
                _, train_acc = evaluate(model, x, y)
                test_loss, test_acc = evaluate(model, *data["test"])
                row = {"epoch": epoch + 1, "step": step, "lr": opt.param_groups[0]["lr"],
                       "train_loss": round(float(np.mean(losses)), 6), "test_loss": round(test_loss, 6),
                       "train_accuracy": round(train_acc, 6), "test_accuracy": round(test_acc, 6),
                       "seconds": round(time.perf_counter() - started, 3)}
                log.write(row)
                bar.show(epoch=epoch + 1, loss=row["train_loss"], test_acc=row["test_accuracy"])
                save_checkpoint(ckpt, config, model, opt, sched, epoch + 1, step)
                done, losses = 0, []
                if on_epoch is not None:
                    on_epoch(row)
    finally:
        bar.close()
    return {"config": config, "model": model, "data": data, "metrics": row, "checkpoint": ckpt, "step": step}
