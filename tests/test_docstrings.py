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
    for module in MODULES:
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if inspect.isclass(obj) or inspect.isfunction(obj):
                yield f"{module.__name__}.{name}", obj


@pytest.mark.parametrize("qualname,obj", list(_public_names()), ids=lambda v: v if isinstance(v, str) else "")
def test_public_names_have_a_docstring_with_an_example(qualname, obj):
    doc = inspect.getdoc(obj) or ""
    assert doc, f"{qualname} has no docstring"
    assert ">>>" in doc, f"{qualname} has no example"


def test_every_module_says_what_it_is():
    for module in MODULES:
        assert (module.__doc__ or "").strip(), module.__name__
