"""Training bookkeeping of the benchmark: node sections, config variants, baseline projection."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

from rasa.core.policies.rule_policy import RulePolicy
from rasa.core.policies.ted_policy import TEDPolicy
from rasa.graph_components.providers.training_tracker_provider import TrainingTrackerProvider
from rasa.nlu.classifiers.diet_classifier import DIETClassifier
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer

from bench.timed_train import section
from bench.training import TrainingRun, baseline_summary, minimal_chinese, with_diet, with_epochs

CONFIG: Dict[str, Any] = {
    "language": "zh",
    "pipeline": [{"name": "JiebaTokenizer", "dictionary_path": "data/jieba"}, {"name": "DIETClassifier", "epochs": 80}],
    "policies": [{"name": "RulePolicy"}, {"name": "TEDPolicy", "epochs": 60}],
}


def test_nodes_are_sorted_into_nlu_dialogue_and_setup() -> None:
    assert section("train_DIETClassifier1", DIETClassifier) == "nlu"
    assert section("run_JiebaTokenizer0", JiebaTokenizer) == "nlu"
    assert section("train_TEDPolicy1", TEDPolicy) == "dialogue"
    assert section("train_RulePolicy0", RulePolicy) == "dialogue"
    assert section("training_tracker_provider", TrainingTrackerProvider) == "dialogue"
    assert section("domain_provider", object) == "setup"


def test_config_variants_leave_the_original_alone() -> None:
    tiny = with_epochs(CONFIG, 2)
    assert [item.get("epochs") for item in tiny["pipeline"] + tiny["policies"]] == [None, 2, None, 2]
    assert with_diet(CONFIG, epochs=40)["pipeline"][1]["epochs"] == 40
    minimal = minimal_chinese(CONFIG)
    assert minimal["pipeline"] == [
        {"name": "JiebaTokenizer"}, {"name": "CountVectorsFeaturizer"}, {"name": "DIETClassifier"}
    ]
    assert minimal["policies"] == CONFIG["policies"] and minimal["language"] == "zh"
    assert CONFIG["pipeline"][1]["epochs"] == 80 and CONFIG["policies"][1]["epochs"] == 60


def run(name: str, nodes: List[Dict[str, Any]], wall: float) -> TrainingRun:
    return TrainingRun(name, Path(f"{name}.tar.gz"), wall, nodes, 1000)


def test_baseline_gets_the_donor_dialogue_and_a_projection_to_default_epochs() -> None:
    donor = run("assistant", [
        {"node": "train_DIETClassifier1", "component": "DIETClassifier", "section": "nlu", "cached": False, "seconds": 20.0},
        {"node": "train_TEDPolicy1", "component": "TEDPolicy", "section": "dialogue", "cached": False, "seconds": 50.0},
    ], wall=100.0)
    baseline = run("minimal", [
        {"node": "train_DIETClassifier2", "component": "DIETClassifier", "section": "nlu", "cached": False,
         "seconds": 45.0, "epochs": 40, "first_epoch_s": 6.0, "median_epoch_s": 1.0},
        {"node": "train_TEDPolicy1", "component": "PrecomputedValueProvider", "section": "dialogue", "cached": True,
         "seconds": 0.5},
    ], wall=75.5)
    summary = baseline_summary(baseline, donor, "DIETClassifier", 300)
    assert summary["nlu_s_measured"] == 45.0
    assert summary["nlu_s"] == 45.0 + 260 * 1.0
    assert summary["dialogue_s"] == 50.0 and "assistant" in summary["dialogue_source"]
    assert summary["setup_and_io_s"] == 30.0
    assert summary["total_s"] == 30.0 + 305.0 + 50.0
    assert summary["total_s_measured"] == 75.5
