"""Keep Python 3.11 alive under PySide6 6.12: some bindings return singletons without a reference.

With shiboken6 6.12.0 on CPython 3.11 every call of a Qt method that returns nothing
(`label.setText`, `timer.start`, `QApplication.processEvents`, ...) drops one reference to None
that it never took, and some bool results do the same to True/False; after about 5,000 such calls
the interpreter aborts with "none_dealloc: deallocating None" (or bool_dealloc). Python 3.12 made
these singletons immortal (PEP 683), so there the bug is harmless. Here we give them a reference
count so large that it can never reach zero, which is what 3.12 does.
"""

from __future__ import annotations

import ctypes
import sys

REFCOUNT_BOOST = 1 << 40
"""About 10^12 leaked references: centuries of Qt calls."""


def _singletons() -> list[object]:
    """The statically allocated objects of CPython 3.11 that a binding may hand out."""
    return [None, True, False, Ellipsis, NotImplemented, (), b"", "", *range(-5, 257),
            *(chr(i) for i in range(256))]  # fmt: skip


def protect_none() -> bool:
    """Make None, bools and other static singletons immortal before 3.12; True if it acted."""
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False
    if sys.getrefcount(None) >= REFCOUNT_BOOST:
        return False  # already done
    for obj in _singletons():
        # ob_refcnt is the first field of every object in CPython's (non-debug) layout.
        ctypes.c_ssize_t.from_address(id(obj)).value += REFCOUNT_BOOST
    return True
