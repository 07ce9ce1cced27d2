"""Allow ``python -m ivr``."""

from ivr.cli import main

raise SystemExit(main())
