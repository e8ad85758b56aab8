/* embedsum's C runtime, part 2 of 2: the entry points, over the model's tables (docs/design.md#export).
 *
 * embedsum.export.to_c copies this file (without this comment) at the end of every header it
 * writes, after _runtime.h, the model's tables and its terms, as it copies _runtime.h: it
 * keeps the "#if EMBEDSUM_<FLAG>" blocks the model needs (BINARY, MULTICLASS, REGRESSION,
 * CLASSIFIER) and replaces the prefix. It also writes out the row arguments, which depend on
 * whether the model has categories of text:
 *
 *     EMBEDSUM_ROW        const double *row              (+ , const char *const *text)
 *     EMBEDSUM_ROW_ARGS   row                            (+ , text)
 *     EMBEDSUM_ROW_NULL   row == NULL                    (+ || text == NULL)
 *     EMBEDSUM_ROWS       const double *rows             (+ , const char *const *texts)
 *     EMBEDSUM_ROWS_NULL  rows == NULL                   (+ || texts == NULL)
 *     EMBEDSUM_ROW_I      rows + i * EMBEDSUM_N_FEATURES (+ , texts + i * EMBEDSUM_N_FEATURES)
 *
 * What it reads from the generated part: EMBEDSUM_N_FEATURES, EMBEDSUM_N_OUTPUTS,
 * EMBEDSUM_N_CLASSES and EMBEDSUM_CLASS_BLOCK (classifiers), the name tables
 * (embedsum_feature_name_data and _offsets, embedsum_class_name_data and _offsets),
 * embedsum_intercept (one double, or one per class) and embedsum_add_terms, which adds the
 * score of every term, in order, to the decision value (or to classes first .. first + n - 1
 * of the decision values of a multiclass model). tests/test_export.py compiles this file
 * with such declarations, for every kind of model, with -Wall -Wextra -Wpedantic -Werror.
 */

/* Name of feature i (UTF-8), NULL out of range. */
static inline const char *embedsum_feature_name(size_t i)
{
    return i < EMBEDSUM_N_FEATURES ? embedsum_feature_name_data + embedsum_feature_name_offsets[i] : NULL;
}
#if EMBEDSUM_CLASSIFIER

/* Name of class k (UTF-8; str() of the label), NULL out of range. */
static inline const char *embedsum_class_name(size_t k)
{
    return k < EMBEDSUM_N_CLASSES ? embedsum_class_name_data + embedsum_class_name_offsets[k] : NULL;
}
#endif
#if !EMBEDSUM_MULTICLASS

#if EMBEDSUM_BINARY
/* Decision value (log-odds of class 1) of one row into *out. */
#else
/* Predicted target (the decision value) of one row into *out. */
#endif
static inline int embedsum_decision(EMBEDSUM_ROW, size_t n_features, double *out)
{
    if (EMBEDSUM_ROW_NULL || out == NULL) {
        return EMBEDSUM_ERR_NULL;
    }
    if (n_features != EMBEDSUM_N_FEATURES) {
        return EMBEDSUM_ERR_N_FEATURES;
    }
    *out = embedsum_add_terms(EMBEDSUM_ROW_ARGS, embedsum_intercept);
    return EMBEDSUM_OK;
}
#else

/* Decision values of classes first .. first + n - 1 of one (checked) row into z[0 .. n - 1]:
 * the intercepts, then term by term, in order, each class adds its score: per class, the
 * order numpy adds in. No array on the stack: z is the caller's. */
static inline void embedsum_decision_classes(EMBEDSUM_ROW, size_t first, size_t n, double *z)
{
    size_t k;
    for (k = 0; k < n; ++k) {
        z[k] = embedsum_intercept[first + k];
    }
    embedsum_add_terms(EMBEDSUM_ROW_ARGS, first, n, z);
}

/* Decision values of one row, one per class, into out[0 .. EMBEDSUM_N_CLASSES - 1]. */
static inline int embedsum_decision(EMBEDSUM_ROW, size_t n_features, double out[EMBEDSUM_N_OUTPUTS])
{
    if (EMBEDSUM_ROW_NULL || out == NULL) {
        return EMBEDSUM_ERR_NULL;
    }
    if (n_features != EMBEDSUM_N_FEATURES) {
        return EMBEDSUM_ERR_N_FEATURES;
    }
    embedsum_decision_classes(EMBEDSUM_ROW_ARGS, 0, EMBEDSUM_N_OUTPUTS, out);
    return EMBEDSUM_OK;
}
#endif

/* Decision values of n_rows rows stored row-major: row i at rows + i * n_features (and its text,
 * if any, at texts + i * n_features); row i's values at out + i * EMBEDSUM_N_OUTPUTS. */
static inline int embedsum_decision_many(EMBEDSUM_ROWS, size_t n_rows, size_t n_features, double *out)
{
    size_t i;
    if (n_rows == 0) {
        return n_features == EMBEDSUM_N_FEATURES ? EMBEDSUM_OK : EMBEDSUM_ERR_N_FEATURES;
    }
    if (EMBEDSUM_ROWS_NULL || out == NULL) {
        return EMBEDSUM_ERR_NULL;
    }
    if (n_features != EMBEDSUM_N_FEATURES) {
        return EMBEDSUM_ERR_N_FEATURES;
    }
    for (i = 0; i < n_rows; ++i) {
        (void)embedsum_decision(EMBEDSUM_ROW_I, EMBEDSUM_N_FEATURES, out + i * EMBEDSUM_N_OUTPUTS);
    }
    return EMBEDSUM_OK;
}
#if EMBEDSUM_BINARY

/* 1 / (1 + exp(-z)) without overflow, as embedsum.scoring.sigmoid: exp(-|z|) <= 1. */
static inline double embedsum_sigmoid(double z)
{
    double e = embedsum_exp(-fabs(z));
    /* below 0, 1 / (1 + 1 / e): each step rounds monotonically (e / (1 + e) may not) */
    return z >= 0 ? 1.0 / (1.0 + e) : (e == 0.0 ? 0.0 : 1.0 / (1.0 + 1.0 / e));
}

/* proba[0] = P(class 0) = sigmoid(-z), proba[1] = P(class 1) = sigmoid(z). */
static inline int embedsum_predict_proba(EMBEDSUM_ROW, size_t n_features, double proba[2])
{
    double z;
    int status;
    if (proba == NULL) {
        return EMBEDSUM_ERR_NULL;
    }
    status = embedsum_decision(EMBEDSUM_ROW_ARGS, n_features, &z);
    if (status != EMBEDSUM_OK) {
        return status;
    }
    proba[0] = embedsum_sigmoid(-z);
    proba[1] = embedsum_sigmoid(z);
    return EMBEDSUM_OK;
}

/* *class_index = 1 if the decision value is > 0, else 0 (see embedsum_class_name). */
static inline int embedsum_predict(EMBEDSUM_ROW, size_t n_features, int *class_index)
{
    double z;
    int status;
    if (class_index == NULL) {
        return EMBEDSUM_ERR_NULL;
    }
    status = embedsum_decision(EMBEDSUM_ROW_ARGS, n_features, &z);
    if (status != EMBEDSUM_OK) {
        return status;
    }
    *class_index = z > 0 ? 1 : 0;
    return EMBEDSUM_OK;
}
#endif
#if EMBEDSUM_MULTICLASS

/* Index of the largest of the EMBEDSUM_N_CLASSES values, the first on a tie; a NaN counts
 * as largest (numpy's argmax). */
static inline size_t embedsum_argmax(const double *z)
{
    size_t best = 0, k;
    for (k = 1; k < EMBEDSUM_N_CLASSES; ++k) {
        if (z[best] != z[best]) {
            break;
        }
        if (z[k] > z[best] || z[k] != z[k]) {
            best = k;
        }
    }
    return best;
}

/* proba = softmax(z) as embedsum.scoring.softmax: the largest value subtracted (so every
 * exp is at most 1 and nothing overflows), the exponentials summed left to right, each
 * divided by the sum. proba may be z itself (in place). */
static inline void embedsum_softmax(const double *z, double *proba)
{
    double top = z[embedsum_argmax(z)], total = 0.0;
    size_t k;
    for (k = 0; k < EMBEDSUM_N_CLASSES; ++k) {
        proba[k] = embedsum_exp(z[k] - top);
    }
    for (k = 0; k < EMBEDSUM_N_CLASSES; ++k) {
        total += proba[k];
    }
    for (k = 0; k < EMBEDSUM_N_CLASSES; ++k) {
        proba[k] /= total;
    }
}

/* proba[k] = P(class k), the softmax of the decision values (computed in proba itself). */
static inline int embedsum_predict_proba(EMBEDSUM_ROW, size_t n_features, double proba[EMBEDSUM_N_CLASSES])
{
    int status;
    if (proba == NULL) {
        return EMBEDSUM_ERR_NULL;
    }
    status = embedsum_decision(EMBEDSUM_ROW_ARGS, n_features, proba);
    if (status != EMBEDSUM_OK) {
        return status;
    }
    embedsum_softmax(proba, proba);
    return EMBEDSUM_OK;
}

/* *class_index = the class of the largest decision value, the first on a tie, a NaN
 * counting as largest (numpy's argmax; see embedsum_class_name). The classes are scored
 * EMBEDSUM_CLASS_BLOCK at a time, so the stack does not grow with their number. */
static inline int embedsum_predict(EMBEDSUM_ROW, size_t n_features, int *class_index)
{
    double z[EMBEDSUM_CLASS_BLOCK], best = 0.0;
    size_t first, k, n = 0, best_k = 0;
    if (class_index == NULL) {
        return EMBEDSUM_ERR_NULL;
    }
    if (EMBEDSUM_ROW_NULL) {
        return EMBEDSUM_ERR_NULL;
    }
    if (n_features != EMBEDSUM_N_FEATURES) {
        return EMBEDSUM_ERR_N_FEATURES;
    }
    for (first = 0; first < EMBEDSUM_N_CLASSES && best == best; first += n) {
        n = EMBEDSUM_N_CLASSES - first < EMBEDSUM_CLASS_BLOCK ? EMBEDSUM_N_CLASSES - first : EMBEDSUM_CLASS_BLOCK;
        embedsum_decision_classes(EMBEDSUM_ROW_ARGS, first, n, z);
        for (k = 0; k < n && best == best; ++k) {
            if (first + k == 0 || z[k] > best || z[k] != z[k]) {
                best = z[k];
                best_k = first + k;
            }
        }
    }
    *class_index = (int)best_k;
    return EMBEDSUM_OK;
}
#endif
#if EMBEDSUM_REGRESSION

/* Predicted target of one row into *out: the decision value. */
static inline int embedsum_predict(EMBEDSUM_ROW, size_t n_features, double *out)
{
    return embedsum_decision(EMBEDSUM_ROW_ARGS, n_features, out);
}
#endif
