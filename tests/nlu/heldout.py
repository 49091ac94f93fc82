"""Loading the held-out set and the training examples, compared after normalization."""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Text, Tuple

from rasa.shared.importers.rasa import RasaFileImporter
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.normalizer import normalize

ROOT = Path(__file__).resolve().parents[2]
HELDOUT = ROOT / "tests" / "nlu" / "heldout.yml"
HARD = ROOT / "tests" / "nlu" / "hard.yml"  # hard real-looking lines, for their own CI floor
TRAINING_DIR = ROOT / "data" / "nlu"
OUT_OF_SCOPE = "out_of_scope"
FALLBACK = "nlu_fallback"


def load_heldout(path: Path = HELDOUT) -> TrainingData:
    """The held-out examples (text + intent + entity annotations)."""
    return load_data(str(path))


def load_training(directory: Path = TRAINING_DIR) -> TrainingData:
    """Every NLU example under data/nlu, as Rasa reads it for training."""
    return RasaFileImporter(training_data_paths=[str(directory)]).get_nlu_data()


def labelled(data: TrainingData) -> List[Tuple[Text, Text]]:
    """(text, intent) pairs of the intent examples."""
    return [(m.get(TEXT), m.get(INTENT)) for m in data.intent_examples]


def comparable(text: Text) -> Text:
    """The form two lines are compared in: normalized, lower-cased, spaces removed."""
    return normalize(text).text.lower().replace(" ", "")


def overlap(heldout: TrainingData, training: TrainingData) -> Dict[Text, Text]:
    """Held-out lines whose comparable form is also a training line → the training line."""
    seen = {comparable(text): text for text, _ in labelled(training)}
    return {
        text: seen[comparable(text)]
        for text, _ in labelled(heldout)
        if comparable(text) in seen
    }
