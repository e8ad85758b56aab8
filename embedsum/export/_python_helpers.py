"""Static text of the modules written by :func:`embedsum.export.to_python`: the category lookups.

Copied as is into the module of every model with categorical features: the value-to-key
rules of embedsum's category coder, for one value, without numpy (docs/design.md#export,
codes as in docs/design.md#bin-codes).
"""

_PY_CATEGORY_HELPERS = '''

def _is_numpy(v, names):
    return any(c.__module__ == "numpy" and c.__name__ in names for c in type(v).__mro__)


def _is_missing(v):
    """None, "", a float NaN, pandas NA or NaT: a missing category."""
    if v is None:
        return True
    if isinstance(v, str):
        return v == ""
    if isinstance(v, float) or _is_numpy(v, ("floating",)):
        return v != v
    return type(v).__name__ in ("NAType", "NaTType")


def _checked(v, j):
    # Complex numbers have no key (embedsum refuses them); other numbers (Decimal, ...) do.
    number = isinstance(v, _Number) and (isinstance(v, _Real) or not isinstance(v, _Complex))
    if number or isinstance(v, (str, bool)) or _is_numpy(v, ("bool", "bool_")):
        return v
    raise TypeError(
        f"feature {j} ({FEATURES[j]!r}) holds a {type(v).__name__} ({v!r}); a category must be a string or a number"
    )


def _text_bin(v, lookup, j, m):
    """Bin of v in string-kind feature j with m kept categories: m + 1 missing, m + 2 never seen."""
    if type(v) is str:
        return lookup.get(v, m + 2) if v else m + 1
    if _is_missing(v):
        return m + 1
    _checked(v, j)
    if isinstance(v, bool) or _is_numpy(v, ("bool", "bool_")):
        return lookup.get("True" if v else "False", m + 2)
    return lookup.get(str(v), m + 2)


def _number_bin(v, lookup, j, m):
    """Bin of v in number-kind feature j (categories compared as floats, by value)."""
    if type(v) is float:
        return lookup.get(v, m + 2) if v == v else m + 1
    if _is_missing(v):
        return m + 1
    _checked(v, j)
    try:
        v = float(v)
    except (TypeError, ValueError):
        return m + 2  # not a number (e.g. text): never seen
    return lookup.get(v, m + 2)


def _lookup(kept, rare):
    """Category -> bin: kept category i -> i, a rare one -> len(kept) (the "other" bin)."""
    table = {key: i for i, key in enumerate(kept)}
    table.update((key, len(kept)) for key in rare)
    return table
'''
