"""Warnings and errors raised by embedsum."""


class ConvergenceWarning(UserWarning):
    """The solver stopped before it met its tolerance.

    Raise ``max_iter`` or loosen ``tol``; the fitted model is the last iterate.

    Example
    -------
    >>> import warnings
    >>> from embedsum import ConvergenceWarning
    >>> warnings.simplefilter("error", ConvergenceWarning)  # make it fatal
    """


class NotFittedError(ValueError, AttributeError):
    """A method that needs a fitted model was called before ``fit``.

    It subclasses both ValueError and AttributeError, as scikit-learn's does, so
    code written against either catches it.

    Example
    -------
    >>> from embedsum import EmbeddingSumClassifier, NotFittedError
    >>> try:
    ...     EmbeddingSumClassifier().predict([[0.0]])
    ... except NotFittedError as err:
    ...     print("not fitted")
    not fitted
    """
