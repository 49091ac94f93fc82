"""PinyinCountVectorsFeaturizer: pinyin input and homophone typos meet the features of the
characters they stand for (no trained model: the featurizer is trained here on a few lines)."""
from __future__ import annotations

from pathlib import Path
import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.normalizer import ChineseTextNormalizer
from components.pinyin import PinyinCountVectorsFeaturizer, to_pinyin

ROOT = Path(__file__).resolve().parents[2]
TRAINING = ["我要人工客服", "转人工", "我要退款", "退款多久到账", "物流不更新", "客服电话多少"]


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory):
    """Normalizer, jieba with the project dictionary and the featurizer trained on TRAINING."""
    storage = LocalModelStorage(tmp_path_factory.mktemp("storage"))
    context = ExecutionContext(GraphSchema({}), "test")
    normalizer = ChineseTextNormalizer.create({}, storage, Resource("norm"), context)
    tokenizer = JiebaTokenizer.create(
        {**JiebaTokenizer.get_default_config(), "dictionary_path": str(ROOT / "data" / "jieba")},
        storage, Resource("jieba"), context)
    featurizer = PinyinCountVectorsFeaturizer.create(
        {**PinyinCountVectorsFeaturizer.get_default_config(), "min_df": 1},
        storage, Resource("pinyin"), context)
    data = TrainingData([Message(data={"text": t, "intent": "x"}) for t in TRAINING])
    tokenizer.process_training_data(normalizer.process_training_data(data))
    featurizer.train(data)

    def featurized(text: str) -> Message:
        message = Message(data={"text": text})
        normalizer.process([message])
        tokenizer.process([message])
        featurizer.process([message])
        return message

    return featurized


def sentence_vector(message: Message) -> np.ndarray:
    """The sentence features (the featurizer gives no sequence features, components/count_vectors.py)."""
    sequence, sentence = message.get_sparse_features("text")
    assert sequence is None
    return sentence.features.toarray().ravel()


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two count vectors (0 when either is empty)."""
    norm = np.linalg.norm(a) * np.linalg.norm(b)
    return float(a @ b / norm) if norm else 0.0


@pytest.mark.parametrize(
    "variant, meant, unrelated",
    [
        ("人工克服", "人工客服", "我要退款"),  # homophone typo
        ("rengong kefu", "人工客服", "物流不更新"),  # pinyin with a space
        ("rengongkefu", "我要人工客服", "退款多久到账"),  # pinyin run together
        ("tuikuan", "我要退款", "转人工"),
        ("退宽", "我要退款", "转人工"),
        ("kf电话多少", "客服电话多少", "退款多久到账"),  # abbreviation spelled out first
    ],
)
def test_variants_share_the_features_of_what_they_mean(
    pipeline, variant: str, meant: str, unrelated: str
) -> None:
    vector = sentence_vector(pipeline(variant))
    close = similarity(vector, sentence_vector(pipeline(meant)))
    far = similarity(vector, sentence_vector(pipeline(unrelated)))
    assert close > 0.5 and close > far + 0.3, (close, far)


def test_emoji_only_text_gets_no_features(pipeline) -> None:
    assert pipeline("😀").get_sparse_features("text") == (None, None)


@pytest.mark.parametrize(
    "text, expected",
    [("人工客服", "rengongkefu"), ("克服", "kefu"), ("RenGong", "rengong"), ("退款123", "tuikuan123")],
)
def test_to_pinyin(text: str, expected: str) -> None:
    assert to_pinyin(text) == expected
