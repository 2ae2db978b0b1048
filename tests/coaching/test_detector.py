"""The trained detector: features that survive inflection, a model that matches its data, and
one-line refusals of a model trained for other guidelines."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import numpy as np
import pytest
import yaml

from bot import PROMPTS_DIR
from bot.cli import main
from bot.coaching.detector import DEFAULT_MODEL, ModelMismatch, load_detector
from bot.coaching.features import DIMENSION, feature_indices, normalize
from bot.coaching.guidelines import load_guidelines
from bot.coaching.offline import OfflineReviewer


def shared(a: str, b: str) -> float:
    x, y = set(feature_indices(a).tolist()), set(feature_indices(b).tolist())
    return len(x & y) / len(x | y)


def test_feminine_and_past_forms_share_most_features_with_the_masculine_form():
    assert shared("Как я уже писал, возврат ушёл.", "Как я уже писала, возврат ушёл.") > 0.7
    assert shared("Jak już pisałem, zwrot wysłany.", "Jak już pisałam, zwrot wysłany.") > 0.7
    assert shared("Як я вже писав вам", "Як я вже писала вам") > 0.5
    assert shared("As I already explained", "The parcel is in Tallinn") < 0.1


def test_features_are_the_same_in_every_process():
    # CRC-32, not hash(): the bucket of a word is fixed, whatever PYTHONHASHSEED is.
    assert zlib.crc32(b"w:hi") % DIMENSION in feature_indices("Hi").tolist()
    assert zlib.crc32(b" hi ") % DIMENSION in feature_indices("hi").tolist()
    assert set(feature_indices("order 48213").tolist()) == set(
        feature_indices("order 99999").tolist())  # digits fold to 0
    assert len(feature_indices("!!")) > 0 and len(feature_indices("!")) == 0


@pytest.fixture(scope="module")
def detector():
    return load_detector(load_guidelines())


def test_the_shipped_model_is_what_the_shipped_corpus_trains(tmp_path):
    pytest.importorskip("sklearn")
    from bot.coaching.training import train

    guidelines = load_guidelines()
    trained, _, _ = train(guidelines)
    trained.save(tmp_path / "model.npz")
    shipped = np.load(DEFAULT_MODEL)
    fresh = np.load(tmp_path / "model.npz")
    assert list(shipped["names"]) == list(fresh["names"])
    assert json.loads(str(shipped["meta"])) == json.loads(str(fresh["meta"]))
    # The weights are stored as float16: a weight that lands next to a rounding edge may
    # round one step (about 0.1% of it) the other way with another BLAS or scikit-learn build.
    np.testing.assert_allclose(shipped["weights"].astype(np.float32),
                               fresh["weights"].astype(np.float32), rtol=1e-3, atol=2e-3)
    np.testing.assert_allclose(shipped["bias"], fresh["bias"], atol=1e-3)
    np.testing.assert_allclose(shipped["thresholds"], fresh["thresholds"], atol=5e-3)


def test_training_twice_gives_the_same_bytes(tmp_path):
    pytest.importorskip("sklearn")
    from bot.coaching.training import train

    guidelines = load_guidelines()
    for name in ("a.npz", "b.npz"):
        train(guidelines, _small_corpus(tmp_path / "corpus"))[0].save(tmp_path / name)
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()


def test_the_detector_finds_what_no_pattern_knows(detector):
    reviewer = OfflineReviewer(load_guidelines(), detector)
    scores = detector.sentence_scores("You must have typed the card number wrong again.")
    assert scores["no-blame"] >= detector.threshold("no-blame")
    review = reviewer.review("Hi Anna,\nYou must have typed the card number wrong again.")
    assert "no-blame" in review.guideline_ids
    assert "You must have typed the card number wrong again." in [f.quote for f in review.findings]


def test_the_customer_classifier_reads_the_customers_mood(detector):
    angry = detector.customer("This is the THIRD time I write, you useless clowns. Fix it now!")
    calm = detector.customer("Hello, could you tell me when my order will arrive?")
    idea = detector.customer("It would be nice if the app had a dark mode, just a suggestion.")
    assert angry.rude > 0.5 and angry.upset > 0.5
    assert calm.rude < 0.5 and calm.upset < 0.5 and calm.feedback < 0.5
    assert idea.feedback > 0.5


def _guidelines_with(tmp_path: Path, extra: dict) -> Path:
    data = yaml.safe_load((PROMPTS_DIR / "guidelines.yaml").read_text(encoding="utf-8"))
    data["guidelines"].append(extra)
    path = tmp_path / "team.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


NO_JARGON = {
    "id": "no-jargon",
    "title": {lang: "Plain words" for lang in ("en", "ru", "pl", "et", "uk")},
    "description": "Flag internal jargon and ticket-system abbreviations.",
    "why": "Customers do not know our abbreviations.",
    "explanation": {lang: "Say it in plain words." for lang in ("en", "ru", "pl", "et", "uk")},
    "fix": {lang: "I will explain each step in plain words." for lang in
            ("en", "ru", "pl", "et", "uk")},
    "examples": [
        {"lang": "en", "bad": "Your TKT got escalated to L3 per the SLA matrix, ETA TBD.",
         "good": "I have passed your request to our senior engineers and will update you today."},
        {"lang": "en", "bad": "The RMA is pending QA sign-off in the WMS queue.",
         "good": "Your return is being checked, and I will confirm it by Friday."},
    ],
}


def _small_corpus(folder: Path) -> Path:
    (folder / "en").mkdir(parents=True, exist_ok=True)
    lines = [
        {"text": "Your TKT is in the L2 queue per the SLA matrix.", "label": "violation"},
        {"text": "The RMA got routed to QA, ETA TBD per the WMS.", "label": "violation"},
        {"text": "We escalated the INC to L3 per the runbook, ETA TBD.", "label": "violation"},
        {"text": "I have asked our engineers to look at it today.", "label": "benign"},
        {"text": "Your return arrived and I will confirm the refund tomorrow.", "label": "benign"},
        {"text": "Thank you for your patience while we check the order.", "label": "benign"},
    ]
    (folder / "en" / "no-jargon.jsonl").write_text(
        "\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    return folder


def test_a_model_for_other_guidelines_is_refused_with_one_line(tmp_path, monkeypatch, capsys):
    path = _guidelines_with(tmp_path, NO_JARGON)
    with pytest.raises(ModelMismatch, match="has no classifier for no-jargon"):
        load_detector(load_guidelines(path))
    monkeypatch.setenv("TONE_COACH_GUIDELINES", str(path))
    assert main(["check", "--offline", "Your ticket is with L2."]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "no-jargon" in err and "tone-coach train --guidelines" in err


def test_a_team_adds_a_guideline_and_retrains_with_one_command(tmp_path, monkeypatch, capsys):
    pytest.importorskip("sklearn")
    path = _guidelines_with(tmp_path, NO_JARGON)
    corpus = _small_corpus(tmp_path / "corpus")
    assert main(["train", "--guidelines", str(path), "--corpus", str(corpus)]) == 0
    assert (tmp_path / "team.model.npz").exists()
    assert "no-jargon" in capsys.readouterr().out
    monkeypatch.setenv("TONE_COACH_GUIDELINES", str(path))
    draft = "Hi Sam,\nYour TKT was escalated to L3 per the SLA matrix, ETA TBD."
    assert main(["check", "--offline", "--json", draft]) == 1
    review = json.loads(capsys.readouterr().out)
    assert "no-jargon" in [f["guideline"] for f in review["findings"]]
    assert main(["check", "--offline", "Hi Sam, I have asked our engineers to look at it."]) == 0


def test_a_guideline_the_team_removed_needs_no_retraining(tmp_path):
    data = yaml.safe_load((PROMPTS_DIR / "guidelines.yaml").read_text(encoding="utf-8"))
    data["guidelines"] = [g for g in data["guidelines"] if g["id"] != "dont-argue"]
    path = tmp_path / "ours.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    guidelines = load_guidelines(path)
    review = OfflineReviewer(guidelines).review(
        "As I already explained, that's how our billing works.")
    assert review.verdict == "needs_work"
    assert "dont-argue" not in review.guideline_ids


def test_a_whole_draft_is_featurised_as_its_sentences_one_by_one():
    from bot.coaching.features import feature_rows

    texts = ["As I already explained, it shipped.", "", "12345", "Hi :wave: all good :)"]
    features, sizes = feature_rows(texts)
    assert sizes.tolist() == [len(feature_indices(t)) for t in texts]
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    for text, start, size in zip(texts, starts, sizes, strict=True):
        assert set(features[start:start + size].tolist()) == set(feature_indices(text).tolist())


def test_emoji_and_smileys_are_features_of_their_own():
    plain = set(feature_indices("Great job").tolist())
    assert set(feature_indices("Great job :clap:").tolist()) > plain
    assert set(feature_indices("Great job :)").tolist()) > plain
    assert normalize("at 10:30:45") == ["at", "0", "0", "0"]  # a clock time is no emoji


def test_scores_do_not_depend_on_the_other_sentences_of_the_batch(detector):
    alone = detector.batch(["You must have typed the card number wrong again."])[0]
    together = detector.batch(["Hello!", "", "You must have typed the card number wrong again."])
    np.testing.assert_allclose(together[2], alone, rtol=1e-6)
    assert not together[1].any()  # an empty text scores nothing at all


def test_the_says_classifiers_score_sentences_but_are_not_guidelines():
    detector = load_detector(load_guidelines())
    assert "says:empathy" in detector.sentence_names
    assert not any(":" in name for name in detector.guideline_ids)
    scores = detector.sentence_scores("I'm so sorry, I can imagine how worrying this is.")
    assert scores["says:empathy"] > detector.threshold("says:empathy")
    cold = detector.sentence_scores("Your parcel is scheduled for delivery on Monday.")
    assert cold["says:empathy"] < detector.threshold("says:empathy")
