"""Custom Rasa NLU graph components: the Chinese text normalizer and the spaCy entity extractor."""
