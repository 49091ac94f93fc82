"""Channel tests: connectors, web widget in a real browser, rasa shell."""
