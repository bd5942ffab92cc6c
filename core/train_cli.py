"""``python -m core train``: fit a model on the data flags and write its directory.

A failed or interrupted run never touches an existing model directory: checkpoints go to
``<out>.partial/`` and the finished model replaces ``<out>`` in one rename. ``--resume`` continues
from the last checkpoint there, on the same data only (``data.json`` beside the checkpoint records
its fingerprint). ``--force`` replaces a model directory, never a folder of other files.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import re
import shutil
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from core.cli import Pace, Terminated, duration
from core.errors import CoreError, ModelError

log = logging.getLogger(__name__)


def _parse_hidden(text: str) -> tuple[int, ...]:
    fields = text.replace(" ", "").split(",")
    if not text.strip():
        raise CoreError("--hidden needs at least one width, such as 100,50,50")
    try:
        # (an empty field is a typo, not a layer less: "100,,50")
        widths = tuple(int(x) for x in fields)
    except ValueError:
        raise CoreError(
            f"--hidden must be comma-separated integers such as 100,50,50; got {text!r}"
        ) from None
    return widths


#: The estimator's settings and the flags that set them, to name the flag in an error.
_FLAGS = (
    "epochs",
    "gene_dim",
    "hidden",
    "init",
    "seed",
    "neighbour_weight",
    "neighbour_power",
    "neighbour_decay",
    "neighbour_space",
)


#: What a damaged record of an interrupted run leaves to do.
_START_AGAIN = (
    "; the run cannot continue: run the same command with --force instead of --resume to "
    "discard it and start afresh"
)


def _flag_value(value) -> str:
    """A setting as typed on the command line: ``100,50,50`` for hidden layers."""
    if isinstance(value, (list, tuple)):
        return ",".join(map(str, value))
    return str(value)


def _flag_names(message: str) -> str:
    """``gene_dim must be ...`` -> ``--gene-dim must be ...``: the flag the user typed."""
    for name in _FLAGS:
        message = re.sub(rf"(?<![\w-]){name}\b", "--" + name.replace("_", "-"), message)
    return message


def _checkpoint_epoch(checkpoint: Path) -> str:
    """`` (epoch N of M)`` for a message about a checkpoint, or nothing when unreadable."""
    from core.train import load_checkpoint

    try:
        saved = load_checkpoint(checkpoint)
        total = (saved.get("train_config") or {}).get("epochs")
        return f" (epoch {int(saved['epoch'])}" + (f" of {int(total)})" if total else ")")
    except (CoreError, KeyError, TypeError, ValueError):
        return ""


#: In the checkpoint folder while a run trains: its process (pid, host, start time), for messages.
RUNNING_FILE = "running.json"
#: In the checkpoint folder while a run trains: the file its process holds locked.
LOCK_FILE = "running.lock"


def _this_process() -> dict:
    import socket

    import psutil

    pid = os.getpid()
    return {"pid": pid, "host": socket.gethostname(), "started": psutil.Process(pid).create_time()}


def running_owner(partial: Path) -> dict | None:
    """The process training into ``partial`` now (its :data:`RUNNING_FILE`), None when there is
    none: no record, a process that ended (killed: its record stays), or another machine's."""
    import socket

    import psutil

    try:
        owner = json.loads((partial / RUNNING_FILE).read_text())
        if owner.get("host") != socket.gethostname() or int(owner["pid"]) == os.getpid():
            return None
        proc = psutil.Process(int(owner["pid"]))
        if abs(proc.create_time() - float(owner["started"])) > 1.0:
            return None  # the pid was reused
        if proc.status() == psutil.STATUS_ZOMBIE:
            return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError, psutil.Error):
        return None
    return owner


class TrainingClaim:
    """The checkpoint folder ``partial``, held by this run from before its data is read until it
    ends: a second ``train`` into the same ``--out`` is refused meanwhile, whatever its flags.

    The hold is a lock on :data:`LOCK_FILE` that the system releases when the process ends,
    killed or not, so a dead run never blocks the folder (where there is no such lock, Windows,
    the process named in :data:`RUNNING_FILE` is asked whether it still runs). On leaving, the
    record goes; the folder goes too when the run set :attr:`discard` (its model is written,
    or nothing is left to resume) or made it and left no checkpoint in it, with the parent
    folders the run made. A folder that goes is first renamed aside while the lock is held: a
    run that starts meanwhile makes a new one, and nothing of it is touched.
    """

    def __init__(self, partial: Path, out: Path) -> None:
        self.partial = partial
        self.out = out
        self.created = False
        self.held = False
        self.discard = False
        self._fd: int | None = None
        self._parents_made: list[Path] = []

    def _refuse(self) -> CoreError:
        owner = running_owner(self.partial)
        who = "a training run"
        if owner is not None:
            started = time.strftime("%H:%M", time.localtime(owner["started"]))
            who = f"a training run (process {owner['pid']}, started {started})"
        return CoreError(
            f"{who} is writing {self.out} now: wait for it to finish, or choose another --out"
        )

    def __enter__(self) -> TrainingClaim:
        self.created = not self.partial.exists()
        self._parents_made = [p for p in self.partial.parents if not p.exists()]
        try:
            self.partial.mkdir(parents=True, exist_ok=True)
            self._lock()
            self.held = True
            _write_json(self.partial / RUNNING_FILE, _this_process())
        except CoreError:
            self._leave()
            raise
        except OSError as exc:
            self._leave()
            raise CoreError(f"cannot write the checkpoint folder {self.partial}: {exc}") from None
        return self

    def _lock(self) -> None:
        try:
            import fcntl
        except ImportError:  # no advisory locks here: the record of a live process decides
            if running_owner(self.partial) is not None:
                raise self._refuse() from None
            return
        path = self.partial / LOCK_FILE
        for _ in range(5):  # the folder may be renamed aside by the run that ends as this starts
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            except FileNotFoundError:
                self.partial.mkdir(parents=True, exist_ok=True)
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise self._refuse() from None
            except OSError:  # a file system without locks: the record decides, as above
                os.close(fd)
                if running_owner(self.partial) is not None:
                    raise self._refuse() from None
                return
            try:
                same = os.fstat(fd).st_ino == os.stat(path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                self._fd = fd
                return
            os.close(fd)  # locked the file of a folder renamed aside meanwhile: a new one
            self.partial.mkdir(parents=True, exist_ok=True)
        raise self._refuse()

    def _leave(self) -> None:
        if not self.held:  # refused: the folder is another run's
            return
        remove = self.discard or (self.created and not (self.partial / "checkpoint.pt").exists())
        aside = None
        try:
            if remove:  # renamed while the lock is held: nothing of a later run is removed
                aside = self.partial.with_name(
                    f".{self.partial.name}.removed-{os.getpid()}-{time.time_ns()}"
                )
                try:
                    self.partial.rename(aside)
                except OSError:
                    aside = None
                    shutil.rmtree(self.partial, ignore_errors=True)
            else:
                (self.partial / RUNNING_FILE).unlink(missing_ok=True)
        finally:
            if self._fd is not None:
                os.close(self._fd)  # the lock goes with it
                self._fd = None
            self.held = False
        if aside is not None:
            shutil.rmtree(aside, ignore_errors=True)
        if remove and self.created:  # the folders made for it (a failed run leaves none)
            for parent in self._parents_made:
                try:
                    parent.rmdir()
                except OSError:
                    break

    def __exit__(self, *exc_info) -> None:
        self._leave()


def run_train(args: argparse.Namespace) -> int:
    from core.cli import check_out_location

    out = Path(args.out)
    if out.name in ("", ".", ".."):
        raise CoreError(
            f"--out {args.out!r}: give the name of the model directory to write, e.g. models/mine"
        )
    partial = out.with_name(out.name + ".partial")
    checkpoint = partial / "checkpoint.pt"
    if out.exists() and not out.is_dir():
        raise CoreError(f"--out {out} is a file; a model is a directory: choose another --out")
    check_out_location(out, "--out")
    # held from here to the end: a run that goes on is not an interrupted one (--force, or a
    # second run started while the first reads its data, made two writers of one checkpoint)
    # SIGTERM stops the whole run as Ctrl-C does, not only the epochs: the default handler
    # ended a run reading its data, or writing its model, without a word, and left its folders
    with _terminate_as_interrupt(), TrainingClaim(partial, out) as claim:
        return _train(args, out, partial, checkpoint, claim)


def _train(
    args: argparse.Namespace, out: Path, partial: Path, checkpoint: Path, claim: TrainingClaim
) -> int:
    """:func:`run_train` once its checkpoint folder is held."""
    _check_earlier_run(args, out, partial, checkpoint)
    _check_device(args.device)
    _check_data_flags(args)
    params = _model_params(args, checkpoint)
    recorded = _recorded_args(args, params)
    model = _new_model(params)
    es = _training_data(args)
    if args.resume:
        _check_resumed_data(partial, checkpoint, es)
    _start_checkpoint_folder(args, model, es, recorded, partial, checkpoint)
    _fit(model, es, args.resume, partial, checkpoint, claim)
    # the command that made it, kept in config.json (it stayed in the checkpoint's folder only)
    model.command_ = _command_line(recorded)
    _save_model(model, out, partial, checkpoint)
    claim.discard = True  # (the folder goes once the claim is left)
    print(_written_text(model, out), file=sys.stderr)
    _note_few_epochs(args, model)
    return 0


def _check_earlier_run(
    args: argparse.Namespace, out: Path, partial: Path, checkpoint: Path
) -> None:
    """Refuse a run that would lose a checkpoint or a model, or resume what cannot be resumed."""
    if checkpoint.exists() and not (args.resume or args.force):
        # the same command again without --resume would start over and lose that progress
        # (said before "already exists": its advice, --force, would discard the checkpoint)
        if not _checkpoint_epoch(checkpoint):
            raise CoreError(
                f"{partial} holds the checkpoint of an interrupted run, damaged (unreadable): "
                "add --force to discard it and start afresh"
            )
        resume = "--resume --force" if out.exists() else "--resume"
        replaces = f" (its model replaces {out})" if out.exists() else ""
        raise CoreError(
            f"{partial} holds the checkpoint of an interrupted run{_checkpoint_epoch(checkpoint)}"
            f": add {resume} to continue it{replaces}, or --force to discard it and start afresh"
        )
    if args.resume and not checkpoint.exists():
        if (out / "config.json").is_file():  # (the run ended: its checkpoint went with it)
            raise CoreError(
                f"--resume: {out} is already trained (no interrupted run to continue: its "
                f"checkpoint goes once the model is written); use it as it is, or train it again "
                "with --force instead of --resume"
            )
        raise CoreError(f"--resume: no checkpoint at {checkpoint}")
    if args.resume and not _checkpoint_epoch(checkpoint):
        raise CoreError(
            f"{checkpoint} is damaged and cannot be resumed; run the same command with --force "
            "instead of --resume to discard it and start afresh"
        )
    if out.exists() and not args.force:
        if args.resume:  # (the interrupted run had --force; this command must say so again)
            raise CoreError(
                f"{out} already exists, and --resume would replace it with the resumed run's "
                "model: add --force to replace it"
            )
        raise CoreError(f"{out} already exists; choose another --out, or --force to replace it")
    if out.is_dir():
        _check_replaceable(out)


def _check_device(device: str) -> None:
    """Refuse a --device that is not there, before the data is read: a missing GPU is known now."""
    from core.train import resolve_device

    try:
        resolve_device(device)
    except CoreError as exc:
        raise CoreError(str(exc).replace("(device cpu", "(--device cpu")) from None


def _check_data_flags(args: argparse.Namespace) -> None:
    """Refuse a --min-detection, --top-genes or --seed out of its range."""
    if args.min_detection is not None and not 0.0 <= args.min_detection <= 1.0:
        raise CoreError(f"--min-detection must be between 0 and 1, got {args.min_detection}")
    if args.top_genes is not None and args.top_genes < 1:
        raise CoreError(f"--top-genes must be a positive number of genes, got {args.top_genes}")
    if args.seed is not None and args.seed < 0:
        raise CoreError(f"--seed must be >= 0, got {args.seed}")


def _model_params(args: argparse.Namespace, checkpoint: Path) -> dict:
    """The model's settings from the flags given (and, with --resume, the interrupted run's)."""
    params: dict = {"device": args.device, "checkpoint_every": 1}
    if args.seed is not None:
        params["seed"] = args.seed
    if args.epochs is not None:
        params["epochs"] = args.epochs
    if args.gene_dim is not None:
        params["gene_dim"] = args.gene_dim
    if args.hidden is not None:
        params["hidden"] = _parse_hidden(args.hidden)
    if getattr(args, "init", None) is not None:
        params["init"] = args.init
    if args.neighbour_weight is not None:
        params["neighbour_weight"] = args.neighbour_weight
    if args.neighbour_power is not None:
        params["neighbour_power"] = args.neighbour_power
    if args.neighbour_decay is not None:
        params["neighbour_decay"] = args.neighbour_decay
    if args.neighbour_space is not None:
        params["neighbour_space"] = args.neighbour_space
    if args.resume:
        params = _with_saved_params(params, checkpoint)
    params.setdefault("seed", 0)
    return params


def _with_saved_params(params: dict, checkpoint: Path) -> dict:
    """``params`` over the interrupted run's settings, refusing flags that ask for others."""
    saved = _saved_params(checkpoint)
    if not saved:
        return params
    saved["hidden"] = tuple(saved["hidden"])
    # the interrupted run's settings continue; a flag that asks for others is an error
    # (the device may change, and the number of epochs grow)
    free = {"device", "checkpoint_every", "epochs"}
    other = sorted(k for k, v in params.items() if k not in free and k in saved and saved[k] != v)
    if other:
        shown = ", ".join(
            f"{_flag_names(k)} {_flag_value(saved[k])} (given {_flag_value(params[k])})"
            for k in other
        )
        raise CoreError(
            f"--resume continues the interrupted run's settings: {shown}; drop those "
            "flags, or train without --resume"
        )
    if "epochs" in params and saved.get("epochs") != params["epochs"]:
        before = saved.get("epochs") or "an automatic number of"
        print(
            f"note: the interrupted run was set for {before} epochs; --epochs "
            f"{params['epochs']} continues it to {params['epochs']} (its learning-rate "
            "schedule follows the new length from here)",
            file=sys.stderr,
        )
    return {**saved, **params}


def _new_model(params: dict):
    """The untrained model; its settings are checked here, before the data is read."""
    from core.estimator import FactorizedEmbeddings

    try:
        return FactorizedEmbeddings(**params)
    except CoreError as exc:
        raise CoreError(_flag_names(str(exc))) from None


def _training_data(args: argparse.Namespace):
    """The data flags' expression set, its genes filtered, refused when it cannot be trained."""
    from core.cli import load_data_from_args

    es = load_data_from_args(args, warn_of_scale=False)  # the fit warns of counts itself
    source = args.matrix or args.gtex_gct
    if es.n_samples < 2:
        raise CoreError(
            f"{source}: {es.n_samples} sample{'' if es.n_samples == 1 else 's'} to train on; "
            "a map of samples needs at least 2 (are samples and genes the right way round?)"
        )
    if es.n_samples < 4:
        print(
            f"note: {es.n_samples} samples: the model is trained, but `evaluate` and `report` "
            "need at least 4 samples to compare its map with the others",
            file=sys.stderr,
        )
    es = es.drop_zero_genes()
    if es.n_genes == 0:
        raise CoreError(f"{source}: every gene is 0 or missing in every sample: nothing to learn")
    if args.min_detection:
        es = es.detected_genes(args.min_detection)
    if args.top_genes:
        es = es.top_variable_genes(args.top_genes)
    _check_samples_observed(es)
    print(f"data: {es.name or 'matrix'}: {_shape_text(es)}", file=sys.stderr)
    return es


def _start_checkpoint_folder(
    args: argparse.Namespace,
    model,
    es,
    recorded: argparse.Namespace,
    partial: Path,
    checkpoint: Path,
) -> None:
    """Write the run's settings and data record beside its checkpoint (dropped unless resumed)."""
    try:
        if not args.resume:  # --force: an interrupted run's checkpoint is not continued
            checkpoint.unlink(missing_ok=True)
        _write_json(partial / "params.json", model.checked_params())
        _write_json(partial / "data.json", {**_data_record(es), "command": _command_line(recorded)})
    except OSError as exc:
        raise CoreError(f"cannot write the checkpoint folder {partial}: {exc}") from None


def _fit(model, es, resume: bool, partial: Path, checkpoint: Path, claim: TrainingClaim) -> None:
    """Train ``model`` on ``es`` with its progress shown, checkpointing into ``partial``."""
    progress = TrainingProgress()
    try:
        with _terminate_as_interrupt():
            model.fit(es, callback=progress, checkpoint=checkpoint, resume=resume)
    except BaseException as exc:
        progress.close()
        _stopped_fit(exc, partial, checkpoint, claim)
        raise
    finally:
        progress.close()


def _stopped_fit(exc: BaseException, partial: Path, checkpoint: Path, claim: TrainingClaim) -> None:
    """Clear up after a fit stopped by ``exc`` and say what is kept; raise the error to show."""
    # a checkpoint cut short by a full disk or an interruption: its temporary file only
    checkpoint.with_name(checkpoint.name + ".tmp").unlink(missing_ok=True)
    failed_write = _write_failure(exc, partial)
    if checkpoint.exists() and not _checkpoint_epoch(checkpoint):  # unreadable: damaged
        raise CoreError(
            f"{checkpoint} is damaged and cannot be resumed; run the same command with "
            "--force instead of --resume to discard it and start afresh"
            + (
                f" ({str(exc).removeprefix(f'{checkpoint}: ')})"
                if isinstance(exc, CoreError)
                else ""
            )
        ) from None
    if checkpoint.exists():
        if isinstance(exc, CoreError):
            # an error of the settings stops the same command again: "run the same
            # command with --resume" was said before it; the checkpoint stays
            return
        print(
            f"training stopped; the checkpoint{_checkpoint_epoch(checkpoint)} is kept in "
            f"{partial}: run the same command with --resume to continue",
            file=sys.stderr,
        )
    else:  # nothing to resume: leave no stray folder behind
        claim.discard = True
    if failed_write:
        raise CoreError(f"cannot write the checkpoint in {partial}: {failed_write}") from None


def _save_model(model, out: Path, partial: Path, checkpoint: Path) -> None:
    """Write the trained model to ``out``; when that fails, say how the checkpoint writes it."""
    try:
        model.save(out, overwrite=True)
    except KeyboardInterrupt:
        print(
            f"stopped while the model was written; the checkpoint"
            f"{_checkpoint_epoch(checkpoint)} is kept in {partial}: run the same command with "
            "--resume to write the model",
            file=sys.stderr,
        )
        raise
    except (OSError, RuntimeError) as exc:
        failed_write = _write_failure(exc, out.parent)
        if failed_write is None:
            raise
        kept = f"; {out} is left as it was" if out.exists() else ""
        raise CoreError(
            f"cannot write the model to {out}: {failed_write}{kept}; the checkpoint stays in "
            f"{partial} (the same command with --resume writes the model from it)"
        ) from None


def _note_few_epochs(args: argparse.Namespace, model) -> None:
    """Say when the automatic number of epochs was small, and how long more would take."""
    if args.epochs is None and model.n_epochs_ < FEW_AUTO_EPOCHS:
        per_epoch = model.train_time_s_ / max(model.n_epochs_, 1)
        print(
            f"note: {model.n_epochs_} epochs were chosen for a matrix of this size on this "
            "device; more draw a tighter map (SIMULATED demo, 8,000 x 2,000: 1-NN 0.92 after "
            f"3 epochs, 0.96 after 10): --epochs {FEW_AUTO_EPOCHS} would take about "
            f"{duration(per_epoch * FEW_AUTO_EPOCHS)}",
            file=sys.stderr,
        )


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`Terminated` (in the main thread only, where
    Python runs signal handlers); the previous handler is put back after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: object) -> None:
        raise Terminated(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:  # (None: a handler set outside Python, which cannot be put back: the default)
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


def _shape_text(es) -> str:
    """``16,877 samples x 59 genes``: the size of the data trained on, as a person reads it."""
    return (
        f"{es.n_samples:,} sample{'' if es.n_samples == 1 else 's'} x {es.n_genes:,} "
        f"gene{'' if es.n_genes == 1 else 's'}"
    )


def _written_text(model, out: Path) -> str:
    """The lines that close a training run: where the model went, what its fit error means,
    and the commands that read it next."""
    rate = float(getattr(model, "pairs_per_s_", 0.0) or 0.0)
    epochs = f"{model.n_epochs_:,} epoch{'' if model.n_epochs_ == 1 else 's'}"
    return (
        f"model written to {out} ({epochs} in "
        f"{duration(model.train_time_s_)}; final fit error {model.history_[-1]:.4f}: the mean "
        "squared difference per value between the data and the model's reconstruction of it, "
        f"on the training data's scale; {rate:,.0f} values a second)\n"
        f"next: python -m core evaluate --model {out} --out table1.json (how well the map "
        "separates the tissues); embed, neighbours, export and report read it too "
        "(python -m core --help)"
    )


#: Below this many automatic epochs, ``train`` says that more would draw a tighter map.
FEW_AUTO_EPOCHS = 10


class TrainingProgress:
    """Training progress on stderr: on a terminal a bar redrawn at most once a second; in a
    file or pipe (a log, a batch job) one line per tenth of the epochs, and at least one a
    minute, instead of a redraw twice a second."""

    #: at most this many seconds between two lines in a log
    LINE_EVERY_S = 60.0

    def __init__(self, stream=None) -> None:
        self.stream = sys.stderr if stream is None else stream
        isatty = getattr(self.stream, "isatty", None)
        self.tty = bool(isatty and isatty())
        self.bar = None
        self.last_epoch = -1
        self.last_line = time.monotonic()
        #: the time left at this run's recent pace (a resumed run counts the interrupted
        #: run's time and share: "about 8 min left" was said with 40 s to go)
        self.pace = Pace()

    def __call__(self, p) -> None:
        if self.tty:
            self._draw(p)
            return
        left = self.pace.left(p.elapsed_s, p.fraction)  # (every report counts, shown or not)
        step = max(1, p.n_epochs // 10)
        now = time.monotonic()
        new_mark = p.epoch != self.last_epoch and (p.epoch % step == 0 or p.epoch == p.n_epochs)
        if not (new_mark or now - self.last_line >= self.LINE_EVERY_S):
            return
        self.last_epoch, self.last_line = p.epoch, now
        print(
            f"training: {100 * p.fraction:.0f}% ({p.epoch} of {p.n_epochs} "
            f"epoch{'' if p.n_epochs == 1 else 's'} done), "
            f"fit error {p.loss:.4f}, {duration(p.elapsed_s)}{left}",
            file=self.stream,
            flush=True,
        )

    def _draw(self, p) -> None:
        from tqdm import tqdm

        if self.bar is None:
            self.bar = tqdm(
                total=p.n_epochs,
                initial=p.epoch,
                unit="epoch",
                desc="training",
                file=self.stream,
                mininterval=1.0,
            )
        self.bar.total = p.n_epochs
        self.bar.set_postfix_str(f"fit error {p.loss:.4f}", refresh=False)  # (not fit_error=)
        self.bar.update(p.epoch - self.bar.n)  # redraws at most once a second

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _check_replaceable(out: Path) -> None:
    """``--force``/``--resume`` replace a model directory, never a folder of other files, nor
    a model directory that also holds files of the user's (they would go with it): refused
    before training, with the flag's words."""
    from core.estimator import check_replaceable

    try:
        check_replaceable(out, what="training")
    except ModelError as exc:
        words = str(exc).replace("choose another directory", "choose another --out")
        raise CoreError(words) from None


def _write_failure(exc: BaseException, folder: Path) -> str | None:
    """Words for a failure to write in ``folder`` (a full disk, a read-only or vanished
    folder), or None when ``exc`` is something else. torch.save reports a full disk as a
    RuntimeError of its own (``PytorchStreamWriter failed writing file``), not an OSError."""
    if isinstance(exc, OSError):
        words = exc.strerror or str(exc)
    elif isinstance(exc, RuntimeError) and _raised_in_torch_save(exc):
        words = "the file system refused the write"
    else:
        return None
    try:
        free = shutil.disk_usage(folder if folder.exists() else folder.parent).free
    except OSError:
        free = None
    if free is not None and free < 64 * 2**20:
        words = f"the disk is full ({free / 2**20:.1f} MB free); free some space"
    return words


def _raised_in_torch_save(exc: BaseException) -> bool:
    """Whether ``exc`` (or the exception it was raised from) comes from torch's file writer."""
    seen: BaseException | None = exc
    visited: set[int] = set()
    while seen is not None and id(seen) not in visited:
        visited.add(id(seen))
        tb = seen.__traceback__
        while tb is not None:
            filename = tb.tb_frame.f_code.co_filename.replace("\\", "/")
            if filename.endswith("torch/serialization.py"):
                return True
            tb = tb.tb_next
        seen = seen.__cause__ or seen.__context__
    return False


def _check_samples_observed(es) -> None:
    """A sample without any observed value has nothing to place it on the map."""
    empty: list[str] = []
    step = max(1, (1 << 24) // max(1, es.n_genes))
    for start in range(0, es.n_samples, step):
        block = es.values[start : start + step]
        rows = np.flatnonzero(np.isnan(block).all(axis=1))
        empty.extend(es.sample_ids[start + rows].tolist())
    if empty:
        shown = ", ".join(empty[:5]) + (", ..." if len(empty) > 5 else "")
        raise CoreError(
            f"{len(empty)} sample(s) have no value for any of the {es.n_genes:,} genes kept "
            f"({shown}); remove them from the matrix"
        )


def _data_record(es) -> dict:
    """What the checkpoint was trained on, to refuse resuming it with other data."""
    return {
        "name": es.name,
        "n_samples": int(es.n_samples),
        "n_genes": int(es.n_genes),
        "fingerprint": es.fingerprint(),
        "annotations": [str(c) for c in es.samples.columns],
    }


#: Flags left out of the command recorded for ``--resume`` (it adds --resume itself; --force is
#: asked for again when a model is in the way).
_NOT_RECORDED = ("--help", "--resume", "--force", "--verbose")


#: The settings a --resume continues from the interrupted run when its command leaves them out.
_RESUMED_SETTINGS = (
    "seed",
    "epochs",
    "gene_dim",
    "hidden",
    "init",
    "neighbour_weight",
    "neighbour_power",
    "neighbour_decay",
    "neighbour_space",
)


def _recorded_args(args: argparse.Namespace, params: dict) -> argparse.Namespace:
    """``args`` with the settings a --resume took from the interrupted run written in, so that
    the command recorded trains that model (``--resume --matrix F`` recorded no ``--seed 3``)."""
    if not args.resume:
        return args
    recorded = argparse.Namespace(**vars(args))
    for name in _RESUMED_SETTINGS:
        if getattr(recorded, name, None) is None and params.get(name) is not None:
            setattr(recorded, name, _flag_value(params[name]))
    return recorded


def _command_line(args: argparse.Namespace) -> str:
    """The ``python -m core train`` command of this run, as given (files as absolute paths, so
    that it runs from any folder), for the messages that say how to resume it."""
    import shlex

    from core.cli import build_parser

    parser = build_parser()
    commands = next(a.choices for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    words = ["python", "-m", "core", "train"]
    for action in commands["train"]._actions:
        if not action.option_strings or set(action.option_strings) & set(_NOT_RECORDED):
            continue
        value = getattr(args, action.dest, None)
        if value is None or value is False or value == action.default:
            continue
        flag = max(action.option_strings, key=len)
        if value is True:
            words.append(flag)
            continue
        values = list(value) if isinstance(value, (list, tuple)) else [value]
        if action.metavar in ("F", "DIR"):  # (file and folder flags)
            values = [os.path.abspath(str(v)) for v in values]
        words += [flag, *map(str, values)]
    return shlex.join(words)


def _write_json(path: Path, payload: dict) -> None:
    """Write ``path`` next to its final name, then rename: never half a file (nor, on a full
    disk, a half-written temporary one left in the model's folder)."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(json.dumps(payload))
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _check_resumed_data(partial: Path, checkpoint: Path, es) -> None:
    """``--resume`` continues the same data: the recorded fingerprint (or, for checkpoints
    written before it was recorded, the shapes of the embedding tables) must match."""
    record_path = partial / "data.json"
    if record_path.is_file():
        try:
            record = json.loads(record_path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise CoreError(
                f"--resume: {record_path} is unreadable ({exc}){_START_AGAIN}"
            ) from None
        # the values fix the training, the annotations only what the model keeps of its samples:
        # a run resumed without --annotations wrote a model without tissues, saying nothing
        lost = [c for c in record.get("annotations") or () if c not in set(map(str, es.samples))]
        if lost and record.get("fingerprint") == es.fingerprint():
            raise CoreError(
                f"--resume: the interrupted run read sample annotations that this command does "
                f"not ({', '.join(lost[:8])}{', ...' if len(lost) > 8 else ''}); give the same "
                "data flags as the interrupted run (--annotations, or the GTEx attribute and "
                "phenotype files)"
            )
        if record.get("fingerprint") == es.fingerprint():
            return
        if (record.get("n_samples"), record.get("n_genes")) == (es.n_samples, es.n_genes):
            raise CoreError(
                f"--resume: the checkpoint in {partial} was trained on other values of the "
                f"same shape ({es.n_samples:,} samples x {es.n_genes:,} genes): has the data file "
                "changed since? Give the interrupted run's data, or train without --resume"
            )
        shape = f"{record.get('n_samples')} samples x {record.get('n_genes')} genes"
    else:
        from core.train import load_checkpoint

        state = load_checkpoint(checkpoint).get("model", {})
        try:
            n_samples = int(state["sample_embedding"].shape[0])
            n_genes = int(state["gene_embedding"].shape[0])
        except (KeyError, AttributeError, IndexError):
            raise CoreError(f"--resume: {checkpoint} holds no embedding tables") from None
        if (n_samples, n_genes) == (es.n_samples, es.n_genes):
            return
        shape = f"{n_samples:,} samples x {n_genes:,} genes"
    raise CoreError(
        f"--resume: the checkpoint in {partial} was trained on other data ({shape}), not on "
        f"these {es.n_samples:,} samples x {es.n_genes:,} genes; give the same data flags "
        "(and gene filters) as the interrupted run"
    )


def _saved_params(checkpoint: Path) -> dict | None:
    """Network settings recorded beside a checkpoint, so that --resume rebuilds the same model."""
    path = checkpoint.with_name("params.json")
    if not path.exists():
        return None
    try:
        params = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise CoreError(f"--resume: {path} is unreadable ({exc}){_START_AGAIN}") from None
    if not isinstance(params, dict) or not isinstance(params.get("hidden"), list):
        raise CoreError(f"--resume: {path} does not hold the run's network settings")
    # recorded before the kernel's exponent was a setting: those runs used 1
    params.setdefault("neighbour_power", 1.0)
    params.setdefault("neighbour_decay", 0.0)  # recorded since rank weights exist
    params.setdefault("neighbour_space", "values")  # recorded since the centred graph exists
    return params
