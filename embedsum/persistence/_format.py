"""The saved-model format: the JSON document, its constants and its bounds (docs/design.md#persistence-format).

Format ``"embedsum"``, ``format_version`` 5
-------------------------------------------
One JSON object, one key per line, always in this order; every key is required and no
other key is allowed. Here a multiclass model with a numeric and a categorical feature::

    {
    "format": "embedsum",
    "format_version": 5,
    "library_version": "0.1.0",
    "kind": "classifier",
    "params": {"binning":"quantile","categorical_features":"auto","embedding_sum_loss_weight":0.01,
               "fairness":null,"fairness_tolerance":0.05,"interaction_bins":16,"interactions":0,
               "l2":0.0,"max_bins":4,"max_iter":1000,"min_bin_count":5,"min_category_count":10,
               "monotonic_cst":null,"regularizers":null,"step_loss_weight":0.01,"tol":1e-06,
               "uncertainty":false,"verbose":0},
    "custom_regularizers": [],
    "n_features": 2,
    "feature_names": ["bytes_written","protocol"],
    "classes": ["attack","benign","scan"],
    "classes_dtype": "U6",
    "intercept": [-0.02,0.41,-0.39],
    "is_categorical": [false,true],
    "monotonic_cst": [0,0],
    "cuts": [["-inf",0.5],null],
    "category_kinds": [null,"str"],
    "categories": [null,["tcp","udp"]],
    "rare_categories": [null,["icmp"]],
    "bin_scores": [[[0.9,-0.1,-0.8],[0.1,0.2,-0.3],[-0.4,0.3,0.1],[0.0,0.0,0.0]],
                   [[0.2,-0.1,-0.1],[-0.3,0.2,0.1],[0.5,-0.6,0.1],[0.0,0.1,-0.1]]],
    "unseen_scores": [null,[0.01,-0.02,0.01]],
    "bin_weights": [[0.3,0.2,0.5,0.0],[0.5,0.4,0.05,0.05]],
    "n_iter": 12,
    "history": {"loss":[1.09,0.71],"classification":[1.09,0.70],...},
    "uncertainty": null,
    "pairs": [{"features":[0,1],"cuts":[[0.5],null],"scores":[[...4 cells of 3 numbers...],...],
               "weights":[[0.1,0.2,0.0,0.0],...]}]
    }

- Numbers: floats are written as ``repr`` writes them and read back bit for bit.
  NaN and ±Infinity are never written and refused on reading, as are numbers that
  overflow float64 (``1e999``) and integers of more than 20 digits.
- ``kind``: ``"classifier"`` (loads as :class:`~embedsum.EmbeddingSumClassifier`) or
  ``"regressor"`` (:class:`~embedsum.EmbeddingSumRegressor`).
- ``params``: the estimator's hyperparameters, all of them. Custom regularisers are
  Python objects and are **not restored**: ``params.regularizers`` is ``null`` (``[]``
  when it was an empty list) and ``custom_regularizers`` lists their names for the reader.
  Prediction does not need them; refitting a loaded model does not use them.
  ``categorical_features`` is ``"auto"``, ``null`` or a list of all integers (indices), all
  bools (a mask) or all strings (column names); ``monotonic_cst`` is ``null``, a list of
  -1/0/1 or an object from feature name to -1/0/1. A tuple or an array comes back as a list.
  ``binning`` is ``"quantile"`` or ``"adaptive"`` (how the cuts were chosen; the cuts are
  stored either way, so scoring does not depend on it) and ``min_bin_count`` an integer >= 1.
- ``classes`` (classifier): the K >= 2 labels in increasing order as JSON values, and
  ``classes_dtype`` the dtype of ``classes_``, so that ``predict`` returns labels of the
  same dtype: ``"bool"``, ``"int8"`` ... ``"int64"``, ``"uint8"`` ... ``"uint64"``,
  ``"float16"``/``"float32"``/``"float64"``, ``"U<n>"`` (str of n characters),
  ``"S<n>"`` (bytes, written as the latin-1 text of the bytes), ``"object"`` (all
  strings, all bools or all numbers). A regressor has ``null`` for both. The width n is
  at least the longest label's length, and ``K * n`` at most ``4096 + 4 *`` (the labels'
  total length): the array is never much larger than the labels written. A model whose
  labels sit in a wider array is saved with the width of its longest label (the same
  labels; only the padding differs).
- Strings (names, labels, categories, history keys) are Unicode text: one without
  surrogate code points (U+D800 to U+DFFF). A Python str can hold them (a lone one, or a
  pair as two code points), JSON cannot keep them apart from the character a pair
  encodes: saving refuses such a string and loading refuses a document that holds one.
- Outputs: one (two classes, or a regressor) or K (more than two classes). With one,
  ``intercept`` is a number, each ``bin_scores[j]`` a list of numbers and each unseen score a
  number; with K, ``intercept`` and each unseen score are lists of K numbers and
  ``bin_scores[j]`` is a list of bins, each a list of K numbers (one per class).
- Per feature j (each list has ``n_features`` entries): ``is_categorical[j]``;
  ``monotonic_cst[j]`` (-1, 0 or 1; 0 for a categorical feature and for every feature of a
  multiclass model); a numeric feature has ``cuts[j]`` and ``null`` in ``category_kinds``,
  ``categories``, ``rare_categories`` and ``unseen_scores``; a categorical feature has
  ``null`` in ``cuts`` and the others set.
- ``cuts[j]``: the strictly increasing cut points of numeric feature j. They are finite
  except that the first may be the string ``"-inf"``: a column made mostly of -inf gets a
  cut at -inf (its first bin then holds exactly the -inf values). +inf is never a cut.
- ``category_kinds[j]``: ``"str"`` (categories are non-empty strings; ``categories_[j]``
  is an object array of str) or ``"number"`` (finite numbers, or the strings ``"-inf"`` and
  ``"inf"``; ``categories_[j]`` is float64). ``categories[j]`` (the kept categories, in bin
  order) and ``rare_categories[j]`` (those that share the "other" bin) are each strictly
  increasing (strings by code point, as fit sorts them) and have no category in common.
- ``bin_scores[j]`` and ``bin_weights[j]``: one entry per bin: for a numeric feature
  ``len(cuts[j]) + 2`` (the interval bins in order, then the missing-value bin), for a
  categorical one ``len(categories[j]) + 2`` (the categories, "other", missing; see
  :mod:`embedsum.training._layout`). Scores are finite; the interval-bin scores of a feature with
  ``monotonic_cst[j]`` = 1 never decrease (-1: never increase); weights are >= 0 and sum
  to 1 (within 1e-6) for each feature.
- ``unseen_scores[j]``: what a category never seen in training scores (finite).
- ``feature_importances_`` is not stored: the loader recomputes it from the scores and
  weights with the code that fit uses, which gives the same bits.
- ``history``: ``null`` or the loss history, name -> list of finite numbers of one length. The
  data term is named by the loss: ``"classification"`` (log-losses) or ``"squared_error"``
  (regressors; version 2 said ``"classification"`` for a regressor too, and such
  documents load with it renamed).
- ``params.uncertainty`` is ``true`` or ``false``, and ``uncertainty`` is ``null`` exactly
  when it is ``false``. Otherwise it is an object with exactly the keys ``scale`` (the
  residual variance of a regressor, 1.0 for a classifier), ``edf`` (>= 0),
  ``feature_tests`` (an object with exactly ``statistic``, ``df``, ``edf``, ``p_value``:
  lists of ``n_features`` finite numbers, all >= 0, p-values at most 1) and ``covariance``:
  the lower triangle, row by row (``V[0][0], V[1][0], V[1][1], V[2][0], ...``), of the
  covariance of the flat parameter vector (:mod:`embedsum.training._layout`), whose
  ``P = (sum of the features' bins + 1) * outputs`` follows from the fields above, so the
  list has ``P (P + 1) / 2`` finite numbers. The diagonal is >= 0, a row whose diagonal is
  0 (a bin the fit did not estimate) is all 0, and ``|V[i][j]| <= sqrt(V[i][i] V[j][j])``
  within 1e-6. The standard errors are not stored: the loader computes them from it with
  the code that fit uses (the same bits).

- ``params.interactions`` is an integer >= 0 or a list of pairs (two feature indices or two
  names); ``params.interaction_bins`` an integer >= 2. ``pairs`` is the list of the model's pair
  terms (docs/design.md#pair-terms), empty without; each is an object with exactly the keys
  ``features`` (two feature indices ``a < b``; no pair twice), ``cuts`` (per axis: ``null`` on a
  categorical feature, else strictly increasing cut points as for ``cuts[j]``), ``scores``
  (``length_a`` rows of ``length_b`` scores, each a list of K numbers with K outputs, finite;
  an axis has its cuts' interval bins and the missing bin, or its feature's bins and one more,
  last, for unseen categories) and ``weights`` (the training fraction of each cell, the unseen
  entries left out: ``n_a`` rows of ``n_b`` numbers >= 0 summing to 1 within 1e-6). Every
  list's length is checked against the axes before anything is allocated from it. The
  covariance of ``uncertainty`` then covers the pair cells too (after the features' bins).

- ``edits`` (optional, last; docs/design.md#edits): the model's edit log, written only when it
  is not empty (an unedited model's document has no such key): a list of at most 2**16
  records, each an object with exactly the keys of its ``kind``, in this order:
  ``"drop_feature"`` and ``"set_scores"``: ``kind``, ``feature`` (an index), ``name`` (that
  feature's name, or ``null`` without ``feature_names``); ``"flatten"``: the same, then
  ``start`` and ``stop`` (``0 <= start < stop <=`` the feature's bins); ``"monotonize"``: the
  same, then ``direction`` (1 or -1); ``"refit"``: ``kind``, ``drop``, ``fix``, ``increasing``,
  ``decreasing`` (strictly increasing feature indices), ``n_rows`` (>= 1), ``n_iter`` (>= 0),
  ``converged`` (a bool), ``train_loss_before``, ``train_loss_after`` (finite, >= 0),
  ``test_loss_before``, ``test_loss_after`` (both ``null``, or both finite and >= 0). An edited
  model has no standard errors: with edits, ``uncertainty`` is ``null`` whatever
  ``params.uncertainty`` says.

Format version 1 (written by embedsum before categorical features, multiclass and
regression) is still read: it has only the keys ``format`` ... ``classes_dtype``,
``intercept``, ``cuts``, ``bin_scores``, ``bin_weights``, ``n_iter`` and ``history`` above,
``kind`` ``"EmbeddingSumClassifier"``, two classes, numeric features only and the eight
hyperparameters other than ``categorical_features``, ``min_category_count``,
``monotonic_cst``, ``binning`` and ``min_bin_count``; it loads as a binary classifier with
the first three at their defaults (then as version 2).

Format version 2 (written before adaptive binning) is still read: it has every key above and
the parameters other than ``binning`` and ``min_bin_count``; it loads with
``binning="quantile"`` (every version 2 model was binned so) and ``min_bin_count=5``, and a
version 1 document loads through version 2. Format version 3 (written before standard errors) is
still read: it has every key above but ``uncertainty`` and the parameters other than
``uncertainty``; it loads with ``uncertainty=False`` and no standard errors, and versions 1 and 2
load through it. Format version 4 (written before pair terms) is still read: it has every key above
but ``pairs`` and the parameters other than ``interactions`` and ``interaction_bins``; it loads with
``interactions=0``, ``interaction_bins=16`` and no pairs, and versions 1 to 3 load through it.
Writing always writes version 5.

Bounds (documents beyond them are refused): the document is at most ``max_bytes``
bytes (64 MiB by default, checked before parsing); ``n_features`` <= 2**20; at most
``MAX_BINS - 1`` cuts per numeric feature (fit accepts ``max_bins <= MAX_BINS`` = 2**16);
at most 2**16 classes; at most 2**16 pairs; at most 2**20 kept and 2**20 rare categories per feature;
``history`` has at most 256 series of at most 2**20 values; the covariance is of at most
2**13 parameters (and its list must have the length the bins give before anything is
allocated from it). Loading allocates memory in
proportion to the document (every count is checked against the lists the document holds
before anything is allocated from it); a MemoryError is reported as a ValueError.
Loading works under ``np.errstate(all="raise")`` and with warnings turned into errors.
"""

from __future__ import annotations

import math

from .._bins import category_n_bins, numeric_n_bins
from .._hyperparameters import HYPERPARAMETERS
from .._validation import MAX_BINS


FORMAT_NAME = "embedsum"
FORMAT_VERSION = 5
_READABLE_VERSIONS = (1, 2, 3, 4, 5)
MAX_BYTES = 64 * 2**20
MAX_FEATURES = 2**20
MAX_BINS_PER_FEATURE = numeric_n_bins(MAX_BINS - 1)  # max_bins quantiles propose at most MAX_BINS - 1 cuts
_MAX_CLASSES = 2**16
_MAX_CATEGORIES = 2**20  # kept, and rare, per categorical feature
_MAX_HISTORY_SERIES = 256
_MAX_HISTORY_LENGTH = 2**20
# A "U<n>"/"S<n>" array of K labels has K * n cells; the labels themselves take their total
# length in the document. A wider array than this is refused (and never written).
_LABEL_CELLS_SLACK = 4096
_LABEL_CELLS_PER_CHARACTER = 4
_MAX_INT_DIGITS = 20  # 2**64 - 1 has 20 digits; longer integers only cost time to convert
_MAX_BINS_OF_ANY_FEATURE = max(MAX_BINS_PER_FEATURE, category_n_bins(_MAX_CATEGORIES))
_WEIGHT_SUM_TOLERANCE = 1e-6
_KINDS = ("classifier", "regressor")
# The saved hyperparameters, sorted by name (see embedsum/_hyperparameters.py).
_PARAMS = tuple(sorted(HYPERPARAMETERS))
_NUMBER_PARAMS = tuple(sorted(name for name, row in HYPERPARAMETERS.items() if row.is_number))
_CHOICE_PARAMS = tuple(sorted(name for name, row in HYPERPARAMETERS.items() if row.kind == "choice"))
_BOOL_PARAMS = tuple(sorted(name for name, row in HYPERPARAMETERS.items() if row.kind == "bool"))
# Versions 2 and 3: the keys of today but the last.
_KEYS_V3 = ("format", "format_version", "library_version", "kind", "params", "custom_regularizers",
            "n_features", "feature_names", "classes", "classes_dtype", "intercept", "is_categorical",
            "monotonic_cst", "cuts", "category_kinds", "categories", "rare_categories", "bin_scores",
            "unseen_scores", "bin_weights", "n_iter", "history")
_KEYS_V4 = _KEYS_V3 + ("uncertainty",)
_KEYS = _KEYS_V4 + ("pairs",)
_PAIR_KEYS = ("features", "cuts", "scores", "weights")
_MAX_PAIRS = 2**16
_UNCERTAINTY_KEYS = ("scale", "edf", "feature_tests", "covariance")
_FEATURE_TEST_KEYS = ("statistic", "df", "edf", "p_value")
# The covariance of at most this many parameters is stored (its packed triangle then has
# 2**25 + 2**12 entries: more than a default-sized document can hold anyway).
_MAX_COVARIANCE_PARAMS = 2**13
# The optional keys after the required ones (version 5 on), written only when the model has them.
_OPTIONAL_KEYS = ("edits",)
_MAX_EDITS = 2**16  # records in the edit log
# |V_ij| <= sqrt(V_ii V_jj) (a covariance), within rounding.
_COVARIANCE_TOLERANCE = 1e-6
# Version 1: binary numeric classifiers, before categorical_features, min_category_count and monotonic_cst.
_KIND_V1 = "EmbeddingSumClassifier"
_PARAMS_V1 = tuple(sorted(name for name, row in HYPERPARAMETERS.items() if row.since_format == 1))
# Version 2: the keys of version 3, the parameters before binning and min_bin_count.
_PARAMS_V2 = tuple(sorted(name for name, row in HYPERPARAMETERS.items() if row.since_format <= 2))
# Version 3: the keys of today but "uncertainty", the parameters before uncertainty.
_PARAMS_V3 = tuple(sorted(name for name, row in HYPERPARAMETERS.items() if row.since_format <= 3))
# Version 4: the keys of today but "pairs", the parameters before interactions and interaction_bins.
_PARAMS_V4 = tuple(sorted(name for name, row in HYPERPARAMETERS.items() if row.since_format <= 4))
_KEYS_V1 = ("format", "format_version", "library_version", "kind", "params", "custom_regularizers",
            "n_features", "feature_names", "classes", "classes_dtype", "intercept", "cuts",
            "bin_scores", "bin_weights", "n_iter", "history")
_INT_DTYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
_FLOAT_DTYPES = ("float16", "float32", "float64")
# Patterns as text, compiled by re (and cached there) on first use: compiling both when the
# module is imported would cost a third of a millisecond of every first load.
_WIDTH_DTYPE = r"([US])([1-9][0-9]{0,9})\Z"
_SURROGATE = "[\ud800-\udfff]"
_JSON_STRING = r'"[^"\\]*(?:\\.[^"\\]*)*"'
_DOCUMENT = "embedsum model document"
_INFINITIES = (math.inf, -math.inf)
_NUMBER_TYPES = frozenset((float, int))  # bool is a subclass of int, yet not its type: refused
_INFINITE_CATEGORIES = {"-inf": -math.inf, "inf": math.inf}


def _label_width_fits(n_chars: int, labels) -> bool:
    """Whether a "U<n_chars>" or "S<n_chars>" array of these labels (str) is small enough to
    load: ``len(labels) * n_chars`` cells for the labels' total length written out."""
    cells = len(labels) * n_chars
    return cells <= _LABEL_CELLS_SLACK or cells <= _LABEL_CELLS_SLACK + _LABEL_CELLS_PER_CHARACTER * sum(
        map(len, labels))
