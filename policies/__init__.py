"""Custom dialogue policies (registered in config.yml)."""
