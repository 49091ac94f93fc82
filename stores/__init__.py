"""Storage classes Rasa loads by class path from endpoints.prod.yml."""
