"""The real-phrasing evaluation set is never trained on, and its label file stays well-formed.

Runs without the corpus mirrors: eval/real_phrasing/labels.tsv holds only hashes, compared with the
hashes of the data/nlu examples.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from scripts.build_real_phrasing import (
    CORPORA,
    MirrorMissing,
    build,
    loose_sha1,
    normalize,
    read_labels,
    sha1,
    split_of,
)
from scripts.eval_nlu import FAMILY_OF, family
from tests.nlu.heldout import labelled, load_training
from tests.nlu.test_heldout_is_unseen import INTENTS_MD, contract_intents


@pytest.fixture(scope="module")
def labels():
    return read_labels()


def test_no_real_phrasing_line_is_a_training_line(labels) -> None:
    eval_hashes = {row["sha1"] for row in labels} | {row["loose_sha1"] for row in labels}
    leaked = [text for text, _ in labelled(load_training())
              if sha1(text) in eval_hashes or loose_sha1(text) in eval_hashes]
    assert not leaked, f"real-phrasing evaluation lines found in data/nlu: {leaked}"


def test_hashes_see_edited_copies() -> None:
    """A copy that only changed spacing, width, case or punctuation has the same loose hash."""
    original = "显示已签收 但我没拿到!"
    assert sha1("显示已签收但我没拿到!") == sha1(original)  # spaces next to CJK are not kept
    assert loose_sha1("显示已签收，但我没拿到。") == loose_sha1(original)
    assert loose_sha1("Ok 好的") == loose_sha1("ok好的")
    assert loose_sha1("显示已签收但我拿到了") != loose_sha1(original)


def test_labels_are_contract_intents_unique_and_enough(labels) -> None:
    assert len(labels) >= 400
    assert len({row["sha1"] for row in labels}) == len(labels)
    assert len({row["loose_sha1"] for row in labels}) == len(labels)
    assert len({row["source_id"] for row in labels}) == len(labels)
    counts = Counter(row["intent"] for row in labels)
    if INTENTS_MD.exists():
        assert set(counts) <= contract_intents()
    assert counts["out_of_scope"] >= 30
    assert {row["source_id"].split(":", 1)[0] for row in labels} == set(CORPORA)


def test_split_is_fixed_by_hash_and_about_forty_percent_tune(labels) -> None:
    tune = [row for row in labels if split_of(row["sha1"]) == "tune"]
    assert 0.3 <= len(tune) / len(labels) <= 0.5
    assert split_of("0" * 40) == "tune" and split_of("f" * 40) == "report"


def test_every_contract_intent_has_one_family() -> None:
    if INTENTS_MD.exists():
        assert contract_intents() <= set(FAMILY_OF)
    assert family("nlu_fallback") == family("out_of_scope")
    assert family("thank") == family("goodbye") != family("greet")


def test_normalize_joins_segmented_chinese_and_keeps_latin_words() -> None:
    assert normalize("我 去 不 早 说 发韵 达") == "我去不早说发韵达"
    assert normalize("iphone 8 plus  有货吗") == "iphone 8 plus有货吗"
    assert normalize("ＯＫ\t了") == "OK了"


def test_build_fails_clearly_without_a_mirror(tmp_path: Path, labels) -> None:
    with pytest.raises(MirrorMissing, match="mirror of .* not found"):
        build(tmp_path, labels[:3])
