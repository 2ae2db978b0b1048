"""The trained part of the offline reviewer, scored from exported weights with numpy.

`tone-coach train` fits one linear classifier per guideline on the sentences of
``prompts/corpus/`` (plus each guideline's examples) and three on customer messages (upset,
feedback, rude), and writes their weights beside the guidelines file:
``prompts/guidelines.yaml`` -> ``prompts/guidelines.model.npz``. Scoring here needs no
scikit-learn: a sentence's score is the sum of the weights of its feature buckets
(:mod:`bot.coaching.features`), scaled as in training, plus a bias.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from bot import PROMPTS_DIR
from bot.coaching.features import DIMENSION, FEATURES_VERSION, feature_rows
from bot.coaching.guidelines import GuidelineError, GuidelineSet

#: The customer-message classifiers, by the name of what they detect.
CUSTOMER_SIGNALS = ("upset", "feedback", "rude")
#: Prefix of the classifiers that read a sentence for what a guideline asks the draft to say
#: (``says:empathy``: the sentence acknowledges how the customer feels), for the guidelines
#: with ``required`` phrases: the phrases miss most of the ways agents really say it.
SAYS = "says:"
DEFAULT_MODEL = PROMPTS_DIR / "guidelines.model.npz"


class ModelMismatch(GuidelineError):
    """A detector trained for another guideline set (or feature version); one line says which."""


@dataclass(frozen=True)
class CustomerSignals:
    """What the customer's message says about the customer, as probabilities 0..1."""

    upset: float = 0.0
    feedback: float = 0.0
    rude: float = 0.0


class Detector:
    """Per-guideline sentence scores and customer signals from one weight matrix."""

    def __init__(
        self,
        names: list[str],
        weights: np.ndarray,
        bias: np.ndarray,
        thresholds: np.ndarray,
        meta: dict,
    ) -> None:
        self.names = names
        self.weights = np.ascontiguousarray(weights, dtype=np.float32)  # (DIMENSION, names)
        self.bias = bias.astype(np.float32)
        self.thresholds = dict(zip(names, thresholds.astype(float).tolist(), strict=True))
        self.meta = meta
        self.guideline_ids = [n for n in names if ":" not in n]
        #: Sentence-level names: the guidelines, then the ``says:`` classifiers.
        self.sentence_names = [n for n in names if not n.startswith("customer:")]
        self._column = {name: i for i, name in enumerate(names)}
        self._sentence_columns = np.array([self._column[n] for n in self.sentence_names])

    def probabilities(self, text: str) -> np.ndarray:
        """Probability from every classifier that ``text`` shows what it detects."""
        return self.batch([text])[0]

    def batch(self, texts: list[str]) -> np.ndarray:
        """:meth:`probabilities` of several texts in one pass: one gather, one sum."""
        features, sizes = feature_rows(texts)
        probs = np.zeros((len(texts), len(self.names)), dtype=np.float32)
        present = sizes > 0
        if not present.any():
            return probs
        starts = (np.cumsum(sizes) - sizes)[present]
        sums = np.add.reduceat(np.take(self.weights, features, axis=0), starts, axis=0)
        margins = sums / np.sqrt(sizes[present])[:, None] + self.bias
        # A text with no features at all (only digits or markup) scores 0, not the bias.
        probs[present] = 1.0 / (1.0 + np.exp(-margins))
        return probs

    def sentence_scores(self, text: str) -> dict[str, float]:
        """Guideline id -> probability that the sentence breaks it (and ``says:<id>`` ->
        probability that it says what the guideline asks for)."""
        return self.many_sentence_scores([text])[0]

    def many_sentence_scores(self, texts: list[str]) -> list[dict[str, float]]:
        """:meth:`sentence_scores` of several sentences in one pass."""
        return self.scores_and_customer(texts, None)[0]

    def scores_and_customer(
        self, texts: list[str], customer: str | None
    ) -> tuple[list[dict[str, float]], CustomerSignals]:
        """Sentence scores and the customer's signals, all in one numpy pass."""
        has_customer = bool(customer and customer.strip())
        everything = [*texts, customer] if has_customer else list(texts)
        if not everything:
            return [], CustomerSignals()
        probs = self.batch(everything)
        ids = self.sentence_names
        table = probs[:len(texts)][:, self._sentence_columns].tolist()
        scores = [dict(zip(ids, row, strict=True)) for row in table]
        signals = CustomerSignals()
        if has_customer:
            last = probs[-1]
            signals = CustomerSignals(**{s: float(last[self._column[f"customer:{s}"]])
                                         for s in CUSTOMER_SIGNALS})
        return scores, signals

    def customer(self, text: str | None) -> CustomerSignals:
        """How the customer's message reads; all zero when there is none."""
        return self.scores_and_customer([], text)[1]

    def threshold(self, name: str) -> float:
        return self.thresholds[name]

    def save(self, path: Path) -> None:
        """Write the model; the same model always gives the same bytes."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as file:
            np.savez_compressed(
                file,
                names=np.array(self.names),
                weights=self.weights.astype(np.float16),
                bias=self.bias,
                thresholds=np.array([self.thresholds[n] for n in self.names], dtype=np.float32),
                meta=np.array(json.dumps(self.meta, sort_keys=True, ensure_ascii=False)),
            )


def model_path(guidelines: GuidelineSet) -> Path:
    """Where the model for ``guidelines`` lives: beside its file, ``<name>.model.npz``.

    A guidelines file with no model beside it uses the bundled model, which is refused
    unless it was trained for the same guideline ids.
    """
    if guidelines.source:
        source = Path(guidelines.source)
        beside = source.with_name(f"{source.stem}.model.npz")
        if beside.exists():
            return beside
    return DEFAULT_MODEL


@lru_cache(maxsize=4)
def _read(path: Path, modified: int) -> Detector:
    """One copy of each model file per process (``modified`` keys a file that changed)."""
    with np.load(path, allow_pickle=False) as data:
        names = [str(n) for n in data["names"]]
        meta = json.loads(str(data["meta"]))
        return Detector(names, data["weights"], data["bias"], data["thresholds"], meta)


def load_detector(guidelines: GuidelineSet, path: Path | None = None) -> Detector:
    """Load the model for ``guidelines``; raise :class:`ModelMismatch` if it was not
    trained for them, naming what differs and the command that fixes it."""
    path = path or model_path(guidelines)
    retrain = f"run `tone-coach train --guidelines {guidelines.source or 'FILE'}`"
    try:
        detector = _read(Path(path).resolve(), Path(path).stat().st_mtime_ns)
        meta = detector.meta
    except (OSError, KeyError, ValueError) as exc:
        raise ModelMismatch(f"{path}: cannot read the offline model ({exc}); {retrain}") from None
    if meta.get("features_version") != FEATURES_VERSION or detector.weights.shape[0] != DIMENSION:
        raise ModelMismatch(
            f"{path}: trained with feature version {meta.get('features_version')}, this code "
            f"uses {FEATURES_VERSION}; {retrain}"
        )
    # A guideline the model never learned cannot be checked: refuse. Classifiers for
    # guidelines a team removed are simply not asked.
    unknown = [g for g in guidelines.ids if g not in detector.guideline_ids]
    if unknown:
        raise ModelMismatch(
            f"{path}: the offline model has no classifier for {', '.join(unknown)} "
            f"(it was trained for {', '.join(detector.guideline_ids)}); {retrain}"
        )
    return detector
