"""Export a fitted model as standalone source code: a pure-Python module or a C99 header.

Public. :mod:`embedsum.export._tables` states the contract the generated code keeps.

May import: foundation.
"""

from ._c import to_c
from ._python import to_python

__all__ = ["to_python", "to_c"]
