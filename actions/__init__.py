"""Custom actions of the AliExpress contact assistant (one module per concern)."""
