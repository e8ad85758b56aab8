"""Persistence: the versioned JSON document of a fitted model, its strict reader and its writer.

Private: :func:`embedsum.load` and :func:`embedsum.from_json` read, a model's ``save`` and
``to_json`` write. The format is specified in :mod:`embedsum.persistence._format`.

May import: foundation.
"""
