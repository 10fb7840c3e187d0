"""The bundle's entry point: the `tonearm` command, frozen.

freeze_support() must come first: analysis and large scans use spawned worker processes, and a
frozen child re-runs this executable, which must turn into the worker instead of the app.
"""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from player.shell.launcher import main

    sys.exit(main())
