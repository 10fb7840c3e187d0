"""`python -m player`: the same as the `tonearm` command."""

import sys

from player.shell.launcher import main

# The guard matters: the scan's worker processes are spawned, and they re-import this module
# under another name; without it each would open a window.
if __name__ == "__main__":
    sys.exit(main())
