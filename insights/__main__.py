"""Entry point of ``python -m insights``."""
from insights.cli import main

raise SystemExit(main())
