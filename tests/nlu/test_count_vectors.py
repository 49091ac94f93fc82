"""SentenceCountVectorsFeaturizer gives exactly the sentence features of Rasa's CountVectorsFeaturizer
(same matrices, same fingerprints) and no sequence features, for a batch and for one message."""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Dict, List

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.count_vectors import SentenceCountVectorsFeaturizer

ROOT = Path(__file__).resolve().parents[2]
TRAINING = [("我要人工客服", "human"), ("转人工", "human"), ("我要退款", "refund"), ("退款多久到账", "refund"),
            ("物流不更新", "logistics"), ("客服电话多少", "contact"), ("rengong kefu", "human")]
UNSEEN = ["人工客服在哪", "退款", "物流物流物流", "hello kefu", "完全没见过的话"]
SETTINGS = [{}, {"analyzer": "char_wb", "min_ngram": 1, "max_ngram": 3, "min_df": 2}]


def same(rasa: Features, ours: Features) -> bool:
    return (rasa.type == ours.type and rasa.attribute == ours.attribute and rasa.origin == ours.origin
            and rasa.features.shape == ours.features.shape and rasa.features.dtype == ours.features.dtype
            and (rasa.features != ours.features).nnz == 0 and rasa.fingerprint() == ours.fingerprint())


@pytest.mark.parametrize("settings", SETTINGS)
def test_sentence_features_are_rasas(tmp_path: Path, settings: Dict[str, Any]) -> None:
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    tokenizer = JiebaTokenizer.create(
        {**JiebaTokenizer.get_default_config(), "dictionary_path": str(ROOT / "data" / "jieba")},
        storage, Resource("jieba"), context)
    config = {**CountVectorsFeaturizer.get_default_config(), **settings}
    rasa = CountVectorsFeaturizer.create(config, storage, Resource("rasa"), context)
    ours = SentenceCountVectorsFeaturizer.create(config, storage, Resource("ours"), context)
    data = TrainingData([Message(data={"text": text, "intent": intent}) for text, intent in TRAINING])
    tokenizer.process_training_data(data)
    rasa.train(data)
    ours.train(data)
    messages: List[Message] = [*data.training_examples, *(Message(data={"text": text}) for text in UNSEEN)]
    tokenizer.process(messages[len(TRAINING):])
    batches = [messages, *([message] for message in messages)]
    for batch in batches:
        expected, got = copy.deepcopy(batch), copy.deepcopy(batch)
        rasa.process(expected)
        ours.process(got)
        for rasa_message, our_message in zip(expected, got):
            assert not [f for f in our_message.features if f.type == FEATURE_TYPE_SEQUENCE]
            sentence = [f for f in rasa_message.features if f.type == FEATURE_TYPE_SENTENCE]
            assert len(sentence) == len(our_message.features)
            assert all(same(a, b) for a, b in zip(sentence, our_message.features))
