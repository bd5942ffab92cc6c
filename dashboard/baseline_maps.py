"""The baseline maps (PCA, NMF, t-SNE, UMAP) of an :class:`~dashboard.context.AppContext`'s
samples and the 1-NN accuracy of each map and of the model's (:class:`BaselineMaps`, a part of
the context): computed once in a background job and cached, keyed by the values, the seed and
the labels. :mod:`dashboard.baselines` draws them.
"""

from __future__ import annotations

import hashlib
import threading
import time
from typing import Any

import numpy as np
import pandas as pd

from core.analysis import BASELINE_METHODS, CODE_VERSION, MIN_MAP_SAMPLES, label_classes
from core.errors import DataError
from dashboard.job_records import ProgressFn
from dashboard.uploads import quoted


class BaselineMaps:
    """The baseline maps and 1-NN accuracies of an :class:`~dashboard.context.AppContext` (a
    part of it).

    Uses the context's dataset (``values``, ``samples``, ``n_samples``, ``n_genes``,
    ``fingerprint``, ``config``), ``results``, model (:meth:`state`) and job records
    (:class:`dashboard.job_records.JobRecords`).
    """

    #: Share of the labelled samples a map's 1-NN classifier learns from (the paper's Table 1),
    #: and the random draws averaged.
    ACCURACY_FRACTION = 0.02
    ACCURACY_SPLITS = 20

    #: Seconds between two progress messages of a baseline map that says nothing as it runs.
    PROGRESS_TICK_S = 2.0

    def accuracy_note(self) -> str:
        """What the 1-NN accuracies of the maps mean here: how many samples are labelled, and
        the ceiling when they are fewer than the classes (a small dataset)."""
        label = self.baseline_label()
        if label is None:
            single = next((c for c in ("SMTS", "tissue") if c in self.samples.columns), None)
            if single is not None:
                # (a single-tissue study was told it had no tissue annotation)
                classes = self._label_classes(single)
                named = f" ({quoted(classes[0])})" if len(classes) else ""
                return (
                    f"Every labelled sample has the same {single}{named}: 1-NN has nothing to "
                    "tell apart, so the maps are not scored."
                )
            return "No tissue annotation: the maps are not scored."
        labels = self.samples[label]
        labels = labels[labels.notna() & (labels.astype(str).str.strip() != "")]
        n_classes = int(labels.nunique())
        n_train = int(round(self.ACCURACY_FRACTION * len(labels)))
        if n_train < 1:  # (it read "the nearest of 0 labelled samples ... above 0.00")
            return (
                f"The maps are not scored: 1-NN accuracy guesses each sample's {label} from "
                f"{self.ACCURACY_FRACTION:.0%} of the labelled samples, as in the paper's Table "
                f"1, and {self.ACCURACY_FRACTION:.0%} of {len(labels):,} is none "
                f"(python -m core evaluate --fraction scores a small dataset)."
            )
        text = (
            f"1-NN accuracy: each sample's {label} is guessed as that of the nearest of "
            f"{n_train:,} labelled samples ({self.ACCURACY_FRACTION:.0%} of {len(labels):,}, drawn "
            f"at random {self.ACCURACY_SPLITS} times; mean and sd), on each 2-D map, as in the "
            "paper's Table 1."
        )
        if n_train < n_classes:
            text += (
                f" Here {n_train} labelled samples cannot cover the {n_classes} classes: no map "
                f"can score much above {n_train / n_classes:.2f}, so compare the maps with each "
                "other rather than with the paper's numbers."
            )
        return text

    def baseline_label(self) -> str | None:
        """The sample annotation the baseline maps are scored on (1-NN accuracy), if any: none
        of one class (a single tissue), where 1-NN has nothing to tell apart."""
        return next(
            (
                c
                for c in ("SMTS", "tissue")
                if c in self.samples.columns and len(self._label_classes(c)) >= 2
            ),
            None,
        )

    def _label_classes(self, column: str) -> np.ndarray:
        """The classes of the annotation ``column`` as 1-NN counts them
        (:func:`core.analysis.one_nn_accuracy`: blanks missing, 1 and "1" one class); pandas'
        nunique counted "Liver" and a blank, or 1 and "1", as two, and the baseline maps'
        job then failed on labels of one class."""
        return label_classes(self.samples[column].to_numpy(dtype=object))

    def model_map_name(self) -> str:
        """Name of the model's sample map beside the baselines: ``FE``, or ``model`` for another
        class (the PCA stand-in is not a factorized embedding)."""
        st = self.state()
        return "FE" if st is not None and st.info["class"] == "FactorizedEmbeddings" else "model"

    def model_accuracy(self, label: str) -> dict[str, float] | None:
        """1-NN accuracy of ``label`` on the model's sample map, as for the baselines (cached).

        Returns
        -------
        dict or None
            ``{"mean", "sd"}``; None while training or when ``label`` is not an annotation.
        """
        st = self.state()
        if st is None or label not in self.samples.columns:
            return None
        key = self.results.key(
            "dashboard-model-1nn",
            CODE_VERSION,  # (scores computed by another version of the code: computed again)
            st.key,
            self.fingerprint,
            label,
            self._labels_digest(label),
        )
        hit = self.results.get(key)
        if hit is None:
            labels = self.samples[label].to_numpy(dtype=object)
            hit = one_nn_accuracy(
                st.sample_embedding,
                labels,
                fraction=self.ACCURACY_FRACTION,
                splits=self.ACCURACY_SPLITS,
            )
            if hit is not None:
                self.results.set(key, hit)
        return hit

    def _labels_digest(self, label: str | None) -> str:
        """A digest of the samples' ``label`` values: the fingerprint covers the values and
        ids, not the annotations, and a corrected annotation file must not be scored as the
        old one was."""
        if label is None or label not in self.samples.columns:
            return ""
        values = self.samples[label].astype(object).where(self.samples[label].notna(), "")
        text = "\x1f".join(map(str, values.tolist()))
        return hashlib.sha1(f"{label}\x1e{text}".encode()).hexdigest()[:16]

    def baselines_key(self) -> str:
        """The baseline maps and their scores: of these values (the maps themselves are cached
        by ``core.analysis.baseline_embeddings`` on the values and the seed), this seed and
        these labels."""
        label = self.baseline_label()
        return self.results.key(
            "dashboard-baselines",
            CODE_VERSION,
            self.fingerprint,
            self.config.settings.seed,
            label,
            self._labels_digest(label),
        )

    def cached_baselines(self) -> dict[str, Any] | None:
        return self.results.get(self.baselines_key())

    def compute_baselines(
        self, progress: ProgressFn | None = None, record: bool = False
    ) -> dict[str, Any]:
        """PCA / NMF / t-SNE / UMAP maps of the samples (+ 1-NN accuracy from 2% labels), cached.

        Runs in a background job. Uses :func:`core.analysis.baseline_embeddings` when present.
        One job computes them: a second (a page reloaded meanwhile, another user) waits for it
        and reads its result instead of computing the same maps again.

        Parameters
        ----------
        record
            Keep the job's record (``baselines``: :meth:`job_progress`, :meth:`job_finished`),
            which pages opened meanwhile follow. Only the job that computes writes it, and its
            end before another job can take over.
        """

        progress = progress or (lambda f, m: None)
        hit = self.cached_baselines()
        if hit is not None:
            return hit
        said: list[bool] = []

        def waiting() -> None:  # said once, of a live job (not of the lock of a killed one)
            if not said:
                said.append(True)
                progress(0.0, "waiting for the same maps, computed by another job")

        name = f"baselines-owned-{self.baselines_key()}"
        lock_cache, lock = self._job_turn("baselines", name, record, waiting)
        try:
            hit = self.cached_baselines()
            if hit is not None:
                return hit
            if not record:
                return self._compute_baselines(progress)
            return self._recorded(
                "baselines",
                self._compute_baselines,
                progress,
                words=lambda fraction, message: f"{int(100 * fraction)}% — {message}",
            )
        finally:
            lock.release()
            lock_cache.close()

    def _compute_baselines(self, progress: ProgressFn) -> dict[str, Any]:
        from core.analysis import baseline_embeddings

        names = {"pca": "PCA", "nmf": "NMF", "tsne": "t-SNE", "umap": "UMAP"}
        done: list[str] = []
        # the map being computed and since when: t-SNE and UMAP say nothing while they run
        # (minutes on thousands of samples), so the time spent is said every few seconds
        now: dict[str, Any] = {"fraction": 0.0, "text": "", "since": time.monotonic()}
        lock = threading.Lock()
        stop = threading.Event()

        def step(method: str) -> None:
            with lock:
                now.update(
                    fraction=0.05 + 0.9 * len(done) / 4,
                    text=f"computing {names.get(method, method)}",
                    since=time.monotonic(),
                )
                progress(now["fraction"], now["text"])
            done.append(method)

        def tick() -> None:
            while not stop.wait(self.PROGRESS_TICK_S):
                with lock:
                    if now["text"]:
                        spent = time.monotonic() - now["since"]
                        progress(now["fraction"], f"{now['text']}… {spent:.0f} s")

        if self.n_samples < MIN_MAP_SAMPLES:
            raise DataError(
                f"{self.n_samples} sample{'' if self.n_samples == 1 else 's'}: too few for the "
                f"baseline maps (PCA, NMF, t-SNE and UMAP need at least {MIN_MAP_SAMPLES})"
            )
        # one gene: PCA, NMF and t-SNE have no second axis; UMAP still draws one
        methods = BASELINE_METHODS if self.n_genes >= 2 else ("umap",)
        ticker = threading.Thread(target=tick, name="baselines-progress", daemon=True)
        ticker.start()
        try:
            res = baseline_embeddings(
                self.values,
                methods=methods,
                cache=self.results,
                key=self.fingerprint,
                progress=step,
                seed=self.config.settings.seed,
            )
        finally:
            stop.set()
            ticker.join()
        maps = {names.get(k, k): np.asarray(v, dtype=np.float32) for k, v in res.items()}
        accuracy = {}
        label = self.baseline_label()
        if label is not None:
            labels = self.samples[label].to_numpy(dtype=object)
            for name, coords in maps.items():
                acc = one_nn_accuracy(
                    coords, labels, fraction=self.ACCURACY_FRACTION, splits=self.ACCURACY_SPLITS
                )
                if acc is not None:
                    accuracy[name] = acc
        # the model's own map is not kept here: these results are the dataset's, whichever
        # model is shown (:meth:`model_accuracy`)
        out = {"maps": maps, "accuracy": accuracy, "label": label or ""}
        self.results.set(self.baselines_key(), out)
        progress(1.0, "done")
        return out


def accuracy_train_size(labels: Any, fraction: float) -> tuple[int, int]:
    """(samples drawn to train on, labelled samples) of 1-NN accuracy from ``fraction``."""
    labels = pd.Series(np.asarray(labels, dtype=object))
    n_labelled = int((labels.notna() & (labels.astype(str).str.strip() != "")).sum())
    return int(round(fraction * n_labelled)), n_labelled


def one_nn_accuracy(
    coords: np.ndarray, labels: np.ndarray, fraction: float = 0.02, splits: int = 10, seed: int = 0
) -> dict[str, float] | None:
    """1-NN accuracy of ``labels`` from ``fraction`` labelled points (mean and sd over splits):
    the Table-1 protocol, :func:`core.analysis.one_nn_accuracy`; None when ``fraction`` of the
    labelled samples leaves none to train on or none to test (:meth:`AppContext.accuracy_note`
    says so): the maps are shown unscored rather than not at all."""
    from core.analysis import one_nn_accuracy as table1_one_nn

    n_train, n_labelled = accuracy_train_size(labels, fraction)
    if n_train < 1 or n_train >= n_labelled:
        return None
    acc = table1_one_nn(coords, labels, fraction=fraction, n_splits=splits, seed=seed)
    return {"mean": float(acc[0]), "sd": float(acc[1])}
