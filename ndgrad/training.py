"""The training loops behind ``ndgrad train`` and ``ndgrad demo``: models and data from
``nn``, optimizers and schedules from ``optim``, a metrics log, checkpoints that resume
exactly, and Ctrl-C that saves before it stops."""

from __future__ import annotations

import csv
import json
import math
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
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
                    epoch: int, step: int) -> None:
    nn.save({"config": asdict(config), "model": model.state_dict(), "optimizer": opt.state_dict(),
             "schedule": None if sched is None else sched.state_dict(), "epoch": epoch, "step": step}, path)


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


def train(config: Config, out_dir: str, resume: str | None = None, log_format: str = "csv",
          quiet: bool = False, on_epoch: Callable[[dict[str, Any]], None] | None = None,
          epochs: int | None = None) -> dict[str, Any]:
    """Train, log each epoch, checkpoint each epoch (and on Ctrl-C); return the final metrics.

    With ``resume`` the run's settings come from the checkpoint; ``epochs`` may extend it.
    """
    state = None
    if resume:
        state = nn.load(resume)
        config = Config(**state["config"])
    if epochs is not None and epochs != config.epochs:
        if state is not None and config.schedule != "none" and epochs > config.epochs:
            raise ValueError(f"cannot extend a run with a {config.schedule!r} schedule from {config.epochs} to "
                             f"{epochs} epochs: the schedule spans the original length")
        config.epochs = epochs
    data = load_data(config)
    model = build_model(config, data)
    opt = build_optimizer(config, model.parameters())
    x, y = data["train"]
    steps_per_epoch = math.ceil(x.shape[0] / config.batch_size)
    sched = build_schedule(config, opt, steps_per_epoch)
    start_epoch, step = 0, 0
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        if sched is not None and state["schedule"] is not None:
            sched.load_state_dict(state["schedule"])
        start_epoch, step = int(state["epoch"]), int(state["step"])
    # Only now: a run refused above (a missing checkpoint, bad epochs) leaves no folder behind.
    os.makedirs(out_dir, exist_ok=True)
    ckpt = os.path.join(out_dir, CHECKPOINT)
    log = MetricsLog(os.path.join(out_dir, f"metrics.{'jsonl' if log_format == 'jsonl' else 'csv'}"), state is not None)
    row: dict[str, Any] = {}
    epoch = start_epoch
    bar = Progress(config.epochs * steps_per_epoch, step, quiet)
    try:
        for epoch in range(start_epoch, config.epochs):
            started = time.perf_counter()
            losses = []
            for xb, yb in batches(x, y, config.batch_size, config.seed, epoch):
                loss = loss_fn(model, xb, yb)
                opt.zero_grad()
                loss.backward()
                if config.clip > 0:
                    nn.utils.clip_grad_norm_(model.parameters(), config.clip)
                opt.step()
                if sched is not None:
                    sched.step()
                losses.append(loss.item())
                step += 1
                bar.step()
            _, train_acc = evaluate(model, x, y)
            test_loss, test_acc = evaluate(model, *data["test"])
            row = {"epoch": epoch + 1, "step": step, "lr": opt.param_groups[0]["lr"],
                   "train_loss": round(float(np.mean(losses)), 6), "test_loss": round(test_loss, 6),
                   "train_accuracy": round(train_acc, 6), "test_accuracy": round(test_acc, 6),
                   "seconds": round(time.perf_counter() - started, 3)}
            log.write(row)
            bar.show(epoch=epoch + 1, loss=row["train_loss"], test_acc=row["test_accuracy"])
            save_checkpoint(ckpt, config, model, opt, sched, epoch + 1, step)
            if on_epoch is not None:
                on_epoch(row)
    except KeyboardInterrupt:
        # The epoch in progress is not finished: keep its parameters, restart it on resume.
        save_checkpoint(ckpt, config, model, opt, sched, epoch, step)
        raise Interrupted(ckpt, step) from None
    finally:
        bar.close()
    return {"config": config, "model": model, "data": data, "metrics": row, "checkpoint": ckpt, "step": step}
