"""Every public name has a docstring with an example, and every example runs as written."""

import doctest
import importlib
import inspect
import pkgutil

import pytest

import embedsum

MODULES = [
    importlib.import_module(info.name)
    for info in pkgutil.walk_packages(embedsum.__path__, prefix="embedsum.")
    if not info.name.endswith("__main__")
]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_docstring_examples_run(module):
    failures, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert failures == 0


def _public_names():
    """The public API, listed once: ``embedsum.__all__``, whose modules list their own ``__all__``."""
    for name in embedsum.__all__:
        obj = getattr(embedsum, name)
        if inspect.ismodule(obj):
            for inner in obj.__all__:
                yield f"{obj.__name__}.{inner}", getattr(obj, inner)
        elif inspect.isclass(obj) or inspect.isfunction(obj):
            yield f"embedsum.{name}", obj


def test_the_public_api_is_what_the_readme_shows():
    names = dict(_public_names())
    for shown in ("embedsum.load", "embedsum.from_json", "embedsum.EmbeddingSumClassifier", "embedsum.Digitizer",
                  "embedsum.explain.attributions", "embedsum.plot.bar_plot", "embedsum.export.to_python",
                  "embedsum.export.to_c", "embedsum.datasets.load_breast_cancer", "embedsum.ParameterLayout"):
        assert shown in names
    # no private module, and no name of one, is public
    assert not [q for q in names if any(part.startswith("_") for part in q.split("."))]


@pytest.mark.parametrize("qualname,obj", list(_public_names()), ids=lambda v: v if isinstance(v, str) else "")
def test_public_names_have_a_docstring_with_an_example(qualname, obj):
    doc = inspect.getdoc(obj) or ""
    assert doc, f"{qualname} has no docstring"
    assert ">>>" in doc, f"{qualname} has no example"


def test_every_module_says_what_it_is():
    for module in MODULES:
        assert (module.__doc__ or "").strip(), module.__name__
