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

from core.analysis import (
    BASELINE_METHODS,
    CODE_VERSION,
    FRACTION_CHOICES,
    MIN_MAP_SAMPLES,
    PAPER_FRACTION,
    gene_smoothness,
    label_classes,
    label_codes,
    smoothness_neighbours,
    stratified_sizes,
    suggested_fraction,
)
from core.errors import DataError
from dashboard.job_records import ProgressFn
from dashboard.uploads import quoted

#: How the accuracy note starts on simulated data: the scores are of the demo's maps, whatever
#: share of the paper's Table 1 they are drawn from.
SIMULATED_ACCURACY = "SIMULATED data (the demo), not the paper's GTEx"


class BaselineMaps:
    """The baseline maps and 1-NN accuracies of an :class:`~dashboard.context.AppContext` (a
    part of it).

    Uses the context's dataset (``values``, ``samples``, ``n_samples``, ``n_genes``,
    ``fingerprint``, ``config``), ``results``, model (:meth:`state`) and job records
    (:class:`dashboard.job_records.JobRecords`).
    """

    #: Share of the labelled samples a map's 1-NN classifier learns from in the paper's Table 1,
    #: and the random draws averaged.
    ACCURACY_FRACTION = PAPER_FRACTION
    ACCURACY_SPLITS = 20
    #: The shares the page offers (the first is the paper's).
    ACCURACY_CHOICES = FRACTION_CHOICES

    #: Seconds between two progress messages of a baseline map that says nothing as it runs.
    PROGRESS_TICK_S = 2.0

    #: Nearest samples on a map of each sample's smoothness (as ``python -m core report``'s
    #: marker table, :func:`core.analysis.gene_smoothness`).
    SMOOTHNESS_K = 15
    #: Maps whose neighbours are kept (16,877 x 15 int32 of GTEx: 1 MB each): the baselines
    #: and models' maps of a few datasets.
    NEIGHBOUR_MAPS = 16

    def map_smoothness(self, maps: dict[str, np.ndarray], values: np.ndarray) -> dict[str, float]:
        """The smoothness of ``values`` (one per sample) over each map of ``maps``
        (:func:`core.analysis.gene_smoothness`, :data:`SMOOTHNESS_K` neighbours): map name ->
        score; a map of too few samples, or values with no spread, are left out.

        Each map's neighbours are searched once and kept, keyed by its coordinates (the cached
        maps are read anew at each recolouring): a colouring then costs a gather and a mean.
        """
        out = {}
        for name, coords in maps.items():
            coords = np.asarray(coords)
            if coords.shape[0] <= self.SMOOTHNESS_K:
                continue
            near = self._map_neighbours(coords)
            score = float(gene_smoothness(coords, values, k=self.SMOOTHNESS_K, neighbours=near)[0])
            if np.isfinite(score):
                out[name] = score
        return out

    def _map_neighbours(self, coords: np.ndarray) -> np.ndarray:
        """:func:`core.analysis.smoothness_neighbours` of a map, kept in memory by its
        coordinates' digest (the last :data:`NEIGHBOUR_MAPS` maps)."""
        digest = hashlib.sha1(f"{coords.dtype.str}{coords.shape}{self.SMOOTHNESS_K}".encode())
        digest.update(np.ascontiguousarray(coords).tobytes())
        key = digest.hexdigest()
        memo = getattr(self, "_neighbour_memo", None) or {}
        near = memo.get(key)
        if near is None:
            near = smoothness_neighbours(coords, k=self.SMOOTHNESS_K)
            # (a new dict, bound at once: callbacks of other threads read the old one)
            kept = list(memo.items())[-(self.NEIGHBOUR_MAPS - 1) :]
            self._neighbour_memo = {**dict(kept), key: near}
        return near

    def accuracy_counts(self) -> tuple[str, int, int] | None:
        """(annotation scored, labelled samples, classes) of 1-NN accuracy; None when the maps
        are not scored (:meth:`baseline_label`).

        Counted once for the samples' table: the link's callback asks at every change of the
        view (the default share is left out of links), and counting the classes of every
        annotation took 26 ms on 17,382 samples."""
        return self._accuracy_memo()[0]

    def _accuracy_memo(self) -> tuple[tuple[str, int, int] | None, np.ndarray]:
        """(:meth:`accuracy_counts`, the class code of each labelled sample), counted once
        for the samples' table."""
        memo = getattr(self, "_accuracy_counts_memo", None)
        if memo is not None and memo[0] is self.samples:
            return memo[1]
        label = self.baseline_label()
        counts, codes = None, np.zeros(0, dtype=np.int64)
        if label is not None:
            codes = _label_codes(self.samples[label])
            codes = codes[codes >= 0]
            counts = (label, int(codes.size), len(self._label_classes(label)))
        self._accuracy_counts_memo = (self.samples, (counts, codes))
        return counts, codes

    def accuracy_train_count(self, fraction: float, per_class: bool = False) -> int:
        """Samples 1-NN learns from at ``fraction`` of the labelled samples here: of them all,
        or, ``per_class``, of each class (at least one of each and one left to test,
        :func:`core.analysis.stratified_sizes`)."""
        counts, codes = self._accuracy_memo()
        if counts is None:
            return 0
        if per_class:
            return int(stratified_sizes(codes, float(fraction)).sum())
        return train_size(float(fraction), counts[1])

    def default_accuracy_fraction(self) -> float:
        """The share of labelled samples the page scores the maps from at first: the paper's
        2% where it draws a sample per class, else the smallest of :data:`ACCURACY_CHOICES`
        that draws about two per class (:func:`core.analysis.suggested_fraction`)."""
        counts = self.accuracy_counts()
        if counts is None:
            return self.ACCURACY_FRACTION
        _, n_labelled, n_classes = counts
        return suggested_fraction(n_labelled, n_classes, self.ACCURACY_CHOICES)

    def accuracy_fraction(self, value: Any) -> tuple[float, str | None]:
        """``value`` (the page's choice, or a link's text such as ``0.1`` or ``10%``) as a share
        of labelled samples -> (share, None), or (the default share, why ``value`` is none).
        None (nothing chosen) is the default, said nothing of."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return self.default_accuracy_fraction(), None
        try:
            text = str(value).strip()
            share = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        except (TypeError, ValueError):
            return self.default_accuracy_fraction(), "is not a number"
        if not (np.isfinite(share) and 0 < share < 1):
            return self.default_accuracy_fraction(), "is not a share between 0 and 1"
        return round(share, 6), None

    def accuracy_share_options(
        self, extra: float | None = None, per_class: bool = False
    ) -> list[dict[str, Any]]:
        """The shares offered for 1-NN accuracy (and ``extra``, a link's own), each with the
        number of samples it draws here (of each class, ``per_class``:
        :meth:`accuracy_train_count`); a share that draws none, or leaves none to test, is
        offered disabled."""
        counts = self.accuracy_counts()
        n_labelled = counts[1] if counts is not None else 0
        shares = sorted({*self.ACCURACY_CHOICES, *([round(extra, 6)] if extra else [])})
        out = []
        for f in shares:
            n = self.accuracy_train_count(f, per_class)
            text = f"{percent(f)}{' of each' if per_class else ''} ({n:,} sample"
            text += "" if n == 1 else "s"
            # (the paper's Table 1 draws its share of them all, not of each class)
            paper = not per_class and same_share(f, self.ACCURACY_FRACTION)
            text += "; the paper's Table 1)" if paper else ")"
            out.append(
                {
                    "label": text,
                    "value": f,
                    "disabled": counts is not None and not 1 <= n < n_labelled,
                }
            )
        return out

    def accuracy_note(self, fraction: float | None = None, per_class: bool = False) -> str:
        """What the 1-NN accuracies of the maps from ``fraction`` of the labelled samples
        (default: :meth:`default_accuracy_fraction`; of each class, ``per_class``) mean here:
        how many samples are labelled, why this share, and the ceiling when they are fewer than
        the classes (a draw per class covers them)."""
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
        _, n_labelled, n_classes = self.accuracy_counts()
        default = self.default_accuracy_fraction()
        fraction = default if fraction is None else float(fraction)
        paper = self.ACCURACY_FRACTION
        n_train, n_paper = (
            self.accuracy_train_count(fraction, per_class),
            train_size(paper, n_labelled),
        )
        share = f"{percent(fraction)} of {n_labelled:,}"
        if per_class and n_train >= n_labelled:  # (every class of one labelled sample)
            return (
                f"The maps are not scored: 1-NN accuracy guesses each sample's {label} from "
                f"{percent(fraction)} of each {annotation_word(label)}'s labelled samples, at "
                f"least one of each, and that draws all {n_labelled:,}, leaving none to test: "
                f"untick “{PER_CLASS_LABEL} {annotation_word(label)}”."
            )
        if n_train < 1 or n_train >= n_labelled:  # (it read "the nearest of 0 labelled samples")
            what, other = (
                ("is none", "larger") if n_train < 1 else ("leaves none to test", "smaller")
            )
            return (
                f"The maps are not scored: 1-NN accuracy guesses each sample's {label} from "
                f"{percent(fraction)} of the labelled samples, and {share} {what}: choose a "
                f"{other} share."
            )
        if per_class:
            text = (
                f"1-NN accuracy from {percent(fraction)} of each {annotation_word(label)}'s "
                f"labelled samples, at least one of each and one left to test ({n_train:,} of "
                f"{n_labelled:,} labelled samples, {n_classes} classes)"
            )
        else:
            text = f"1-NN accuracy from {share} labelled samples ({n_train:,} samples)"
        if getattr(self, "simulated", False):  # (the demo's FE 0.922 read as the paper's)
            text = f"{SIMULATED_ACCURACY}: {text}"
        paper_gives = (
            f"the paper's {percent(paper)} (Table 1) would give {n_paper:,} labelled "
            f"sample{'' if n_paper == 1 else 's'} for {n_classes} classes"
        )
        if per_class:  # (the paper's draw is of them all: its share is no protocol here)
            text += (
                ", as chosen; the paper's Table 1 draws its share of all labelled samples at "
                "random."
            )
        elif same_share(fraction, paper):
            text += ", as in the paper's Table 1."
        elif same_share(fraction, default):
            text += f": {paper_gives}"
            text += (
                ", too few to cover them, so the page starts at the smallest share offered that "
                "gives about two per class."
                if n_paper < n_classes
                else "."
            )
        else:
            text += f", as chosen; {paper_gives}"
            if not same_share(default, paper):
                text += f", and the page starts at {percent(default)}"
            text += "."
        text += (
            f" Each sample's {label} is guessed as that of the nearest labelled sample on each "
            f"2-D map, over {self.ACCURACY_SPLITS} random draws (mean and sd). "
            + self.maps_input_words()
        )
        if n_train < n_classes:
            text += (
                f" Here {n_train:,} labelled samples cannot cover the {n_classes} classes: no "
                f"map can score much above {n_train / n_classes:.2f}, so every map scores near "
                "that ceiling"
            )
            # (the share advised is the default's when it covers the classes: about two per
            # class, a draw of one per class holds about 63% of them)
            larger = [
                f
                for f in (default, *self.ACCURACY_CHOICES)
                if f > fraction and n_classes <= train_size(f, n_labelled) < n_labelled
            ]
            n_each = self.accuracy_train_count(fraction, per_class=True)
            text += (
                f"; a share of {percent(larger[0])} or more tells the maps apart"
                if larger
                else "; no share offered covers them here at random"
            )
            text += (
                f", and so does “{PER_CLASS_LABEL} {annotation_word(label)}” ({n_each:,} "
                f"samples from {percent(fraction)}, one or more of each)."
            )
        return text

    def maps_input_words(self) -> str:
        """What the baseline maps are computed of and with (the panel said neither the values
        nor the settings), and, when the model was trained on fewer genes, on how many and
        why (:meth:`model_genes_words`)."""
        from core.analysis import UMAP_NEIGHBORS, _tsne_perplexity

        text = (
            f"The maps are of all {self.n_genes:,} genes of the data, their values as loaded "
            "(missing values read as each gene's mean; NMF's shifted up by the lowest when some "
            f"are below 0): t-SNE of perplexity {_tsne_perplexity(self.n_samples):g}, UMAP of "
            f"{UMAP_NEIGHBORS} neighbours, seed {self.config.settings.seed}."
        )
        model = self.model_genes_words()
        return f"{text} {model}" if model else text

    def model_genes_words(self) -> str:
        """The genes of the model beside the baseline maps' (all of the data's), in a
        sentence; empty when the model is not ready or was trained on every gene.

        The model's line said "trained on 460 of the 467 genes" and this note "the 467
        genes": the maps are of all of them, and the genes the model left out are named by
        the steps its data source records (the 7 genes 0 in every sample)."""
        from core.data.sources import step_words

        st = self.state()
        n_model = (st.info or {}).get("n_model_genes") if st is not None else None
        if n_model is None or n_model >= self.n_genes:
            return ""
        source = getattr(st.model, "data_source_", None) or {}
        steps = [
            step
            for step in source.get("steps") or []
            if isinstance(step, dict)
            and step.get("op") in _GENE_STEPS
            and (step.get("op") != "drop_zero_genes" or step.get("n_dropped") != 0)
        ]
        text = f"The model was trained on {n_model:,} of them"
        if not steps:
            return f"{text}."
        text += ": " + "; ".join(step_words(step) for step in steps)
        if all(step["op"] == "drop_zero_genes" for step in steps):
            # (a gene 0 in every sample is the same in each: no distance between samples moves)
            text += ", which alter no distance between samples"
        return f"{text}."

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

    def model_accuracy(
        self, label: str, fraction: float | None = None, per_class: bool = False
    ) -> dict[str, float] | None:
        """1-NN accuracy of ``label`` on the model's sample map from ``fraction`` of the labelled
        samples (default: the paper's :data:`ACCURACY_FRACTION`; of each class, ``per_class``),
        as for the baselines (cached).

        Returns
        -------
        dict or None
            ``{"mean", "sd"}``; None while training or when ``label`` is not an annotation.
        """
        st = self.state()
        if st is None or label not in self.samples.columns:
            return None
        fraction = self.ACCURACY_FRACTION if fraction is None else float(fraction)
        key = self.results.key(
            "dashboard-model-1nn",
            CODE_VERSION,  # (scores computed by another version of the code: computed again)
            st.key,
            self.fingerprint,
            label,
            self._labels_digest(label),
            share_key(fraction),
            self.ACCURACY_SPLITS,
            *per_class_key(per_class),
        )
        hit = self.results.get(key)
        if hit is None:
            labels = self.samples[label].to_numpy(dtype=object)
            hit = one_nn_accuracy(
                st.sample_embedding,
                labels,
                fraction=fraction,
                splits=self.ACCURACY_SPLITS,
                stratify=per_class,
            )
            if hit is not None:
                self.results.set(key, hit)
        return hit

    def baseline_accuracies(
        self, result: dict[str, Any], fraction: float, per_class: bool = False
    ) -> dict[str, dict[str, float]]:
        """1-NN accuracy of each baseline map of ``result`` (:meth:`compute_baselines`) from
        ``fraction`` of the labelled samples (of each class, ``per_class``), cached: the job's
        own scores when it scored them from that share of them all, else computed from the maps
        (1-NN on 2-D points: no map is computed again). The model's map is not among them
        (:meth:`model_accuracy`).

        Returns
        -------
        dict
            map name -> ``{"mean", "sd"}``; a map that cannot be scored from ``fraction`` (none
            to train on, or none to test) is left out.
        """
        own = ("FE", "model")  # (results cached by an earlier version held the model's map)
        label = result.get("label") or ""
        if not label or label not in self.samples.columns:
            return {}
        # results cached before the share could be chosen were scored from the paper's 2%
        if not per_class and same_share(result.get("fraction", self.ACCURACY_FRACTION), fraction):
            return {k: v for k, v in result.get("accuracy", {}).items() if k not in own}
        maps = {k: np.asarray(v) for k, v in result.get("maps", {}).items() if k not in own}
        digest = hashlib.sha1()
        for name, coords in maps.items():
            digest.update(name.encode() + b"\x1e" + np.ascontiguousarray(coords).tobytes())
        key = self.results.key(
            "dashboard-baselines-1nn",
            CODE_VERSION,
            digest.hexdigest()[:16],  # (these maps: the cached ones, or any a caller gives)
            label,
            self._labels_digest(label),
            share_key(fraction),
            self.ACCURACY_SPLITS,
            *per_class_key(per_class),
        )
        hit = self.results.get(key)
        if hit is None:
            labels = self.samples[label].to_numpy(dtype=object)
            hit = {}
            for name, coords in maps.items():
                acc = one_nn_accuracy(
                    coords,
                    labels,
                    fraction=fraction,
                    splits=self.ACCURACY_SPLITS,
                    stratify=per_class,
                )
                if acc is not None:
                    hit[name] = acc
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
        """PCA / NMF / t-SNE / UMAP maps of the samples (+ their 1-NN accuracy from the default
        share of labels, :meth:`default_accuracy_fraction`, kept as ``fraction``), cached.

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
        fraction = self.default_accuracy_fraction()
        if label is not None:
            labels = self.samples[label].to_numpy(dtype=object)
            for name, coords in maps.items():
                acc = one_nn_accuracy(
                    coords, labels, fraction=fraction, splits=self.ACCURACY_SPLITS
                )
                if acc is not None:
                    accuracy[name] = acc
        # the model's own map is not kept here: these results are the dataset's, whichever
        # model is shown (:meth:`model_accuracy`); other shares: :meth:`baseline_accuracies`
        out = {"maps": maps, "accuracy": accuracy, "label": label or "", "fraction": fraction}
        self.results.set(self.baselines_key(), out)
        progress(1.0, "done")
        return out


#: The steps of a data source (``source["steps"]``) that leave genes out.
_GENE_STEPS = ("drop_zero_genes", "detected_genes", "top_variable_genes")


#: Id of the 1-NN accuracy column of the baseline maps' table (its header names the share).
ACCURACY_COLUMN = "1-NN accuracy"


def percent(fraction: float) -> str:
    """A share as the page writes it: ``2%``, ``10%``, ``12.5%``."""
    return f"{100 * float(fraction):.4g}%"


def accuracy_header(fraction: float, per_class: str | None = None) -> str:
    """The header of the 1-NN accuracy column for ``fraction`` labelled samples, of each
    ``per_class`` (a word: ``tissue``) when the draw is per class."""
    if per_class:
        return f"1-NN accuracy (from {percent(fraction)} of each {per_class})"
    return f"1-NN accuracy ({percent(fraction)} labelled)"


#: The page's choice of a draw per class (:func:`core.analysis.stratified_sizes`), beside the
#: share; off by default (the paper's Table 1 draws its share of all labelled samples).
PER_CLASS_VALUE = "per-class"
PER_CLASS_LABEL = "per class: at least one of each"


def is_per_class(value: Any) -> bool:
    """Whether the page's per-class checklist ``value`` (a list, or None) is ticked."""
    return isinstance(value, (list, tuple)) and PER_CLASS_VALUE in value


def per_class_key(per_class: bool) -> tuple[str, ...]:
    """The per-class draw in a cache key: nothing when off, so that the scores cached before
    it could be chosen stay valid."""
    return ("per-class",) if per_class else ()


def same_share(a: Any, b: Any) -> bool:
    """Whether two shares are the same (0.1 from a link and 0.1 from the page's choice)."""
    try:
        return abs(float(a) - float(b)) < 1e-9
    except (TypeError, ValueError):
        return False


def share_key(fraction: float) -> str:
    """The share in a cache key: scores of one share are never read as another's."""
    return f"{round(float(fraction), 6):.6g}"


def train_size(fraction: float, n_labelled: int) -> int:
    """Samples drawn to train 1-NN on from ``fraction`` of ``n_labelled`` labelled samples."""
    return int(round(fraction * n_labelled))


def accuracy_train_size(labels: Any, fraction: float, per_class: bool = False) -> tuple[int, int]:
    """(samples drawn to train on, labelled samples) of 1-NN accuracy from ``fraction``: of
    them all, or of each class (``per_class``, :func:`core.analysis.stratified_sizes`)."""
    if per_class:
        codes = _label_codes(labels)
        codes = codes[codes >= 0]
        return int(stratified_sizes(codes, fraction).sum()), int(codes.size)
    labels = pd.Series(np.asarray(labels, dtype=object))
    n_labelled = int((labels.notna() & (labels.astype(str).str.strip() != "")).sum())
    return train_size(fraction, n_labelled), n_labelled


def _label_codes(labels: Any) -> np.ndarray:
    """Each sample's class code as 1-NN counts it (-1: unlabelled,
    :func:`core.analysis.label_codes`)."""
    labels = np.asarray(labels, dtype=object)
    return label_codes(labels, len(labels))[0]


def one_nn_accuracy(
    coords: np.ndarray,
    labels: np.ndarray,
    fraction: float = 0.02,
    splits: int = 10,
    seed: int = 0,
    stratify: bool = False,
) -> dict[str, float] | None:
    """1-NN accuracy of ``labels`` from ``fraction`` labelled points (mean and sd over splits):
    the Table-1 protocol, :func:`core.analysis.one_nn_accuracy`, ``fraction`` of each class
    with ``stratify``; None when ``fraction`` of the labelled samples leaves none to train on
    or none to test (:meth:`AppContext.accuracy_note` says so): the maps are shown unscored
    rather than not at all."""
    from core.analysis import one_nn_accuracy as table1_one_nn

    n_train, n_labelled = accuracy_train_size(labels, fraction, stratify)
    if n_train < 1 or n_train >= n_labelled:
        return None
    acc = table1_one_nn(
        coords, labels, fraction=fraction, n_splits=splits, seed=seed, stratify=stratify
    )
    return {"mean": float(acc[0]), "sd": float(acc[1])}


def annotation_word(label: str) -> str:
    """The annotation ``label`` in words (``SMTS``: tissue), as the tables say it."""
    from dashboard.layout import annotation_word as word  # (layout imports this module)

    return word(label)
