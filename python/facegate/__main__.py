"""``python -m facegate``: the command line."""

import sys

from facegate.cli import main

sys.exit(main())
