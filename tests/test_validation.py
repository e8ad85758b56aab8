"""Input checks: the counting path for small integer labels agrees with np.unique."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from embedsum._targets import check_classification_target

label_dtypes = st.sampled_from([np.bool_, np.uint8, np.int16, np.int64, np.float32, np.float64])


@given(data=st.data(), dtype=label_dtypes)
def test_classes_and_codes_equal_numpy_unique(data, dtype):
    if dtype is np.bool_:
        elements = st.booleans()
    else:
        # Values around the counting path's limit, and negatives, which take np.unique's path.
        elements = st.sampled_from([0, 1, 2, 7, 300, 2**15, 2**16 - 1, 2**16, -1, -5]).filter(
            lambda v: np.can_cast(np.min_scalar_type(v), dtype) or np.dtype(dtype).kind == "f")
    y = data.draw(hnp.arrays(dtype, st.integers(1, 40), elements=elements))
    classes, encoded = check_classification_target(y, len(y))
    expected_classes, expected_encoded = np.unique(y, return_inverse=True)
    assert classes.dtype == expected_classes.dtype
    np.testing.assert_array_equal(classes, expected_classes)
    np.testing.assert_array_equal(encoded, expected_encoded.ravel())
    assert np.array_equal(classes[encoded], y)


def test_labels_as_floats_keep_their_dtype():
    classes, encoded = check_classification_target(np.array([1.0, 0.0, 1.0]), 3)
    assert classes.dtype == np.float64 and classes.tolist() == [0.0, 1.0]
    assert encoded.tolist() == [1, 0, 1]
