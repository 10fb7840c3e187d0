"""`python -m player`: the same as the `tonearm` command."""

import sys

from player.launcher import main

sys.exit(main())
