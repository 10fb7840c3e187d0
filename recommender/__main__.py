"""`python -m recommender`: the headless commands (no GUI)."""

import sys

from recommender.cli.main import main

sys.exit(main())
