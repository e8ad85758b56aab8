"""The library's version, for the modules inside the package (the writer stamps it on every document).

``embedsum.__version__`` holds the same string, written out in ``__init__.py`` where the
build reads it; tests/test_layout.py checks that the two agree.
"""

__version__ = "0.1.0"
