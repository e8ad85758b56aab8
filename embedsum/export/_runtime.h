/* embedsum's C runtime, part 1 of 2: what reads no table of the model (docs/design.md#export).
 *
 * embedsum.export.to_c copies this file into every header it writes (without this comment):
 * it keeps only the "#if EMBEDSUM_<FLAG>" blocks the model needs (flags: CLASSIFIER,
 * MULTICLASS, TEXT, VALUES), replaces the prefix embedsum_ / EMBEDSUM_ by the caller's, and puts the model's
 * constants before it and its tables, its terms and _runtime.c after it. Every function
 * here takes the tables it reads as arguments, so the file compiles on its own, with any
 * flags (tests/test_export.py compiles it so, with -Wall -Wextra -Wpedantic -Werror, as C
 * and as C++). Rules the generated header keeps: no allocation, no writable global state,
 * no libm function (docs/design.md#portable-exp), every file-scope name starts with the
 * prefix, every file-scope line is "static const" or "static inline".
 */
#include <float.h>
#include <math.h>
#include <stddef.h>
#if EMBEDSUM_CLASSIFIER
#include <stdint.h>
#endif
#if EMBEDSUM_CLASSIFIER || EMBEDSUM_TEXT
#include <string.h>
#endif

#if defined(__FAST_MATH__) || defined(__ASSOCIATIVE_MATH__) || (defined(__FINITE_MATH_ONLY__) && __FINITE_MATH_ONLY__)
#error "compile without -ffast-math, -Ofast, -ffinite-math-only, -fassociative-math: NaN tests, addition order"
#endif
#if !defined(FLT_EVAL_METHOD) || !(FLT_EVAL_METHOD == 0 || FLT_EVAL_METHOD == 1 || FLT_EVAL_METHOD == 16 \
    || FLT_EVAL_METHOD == 32 || FLT_EVAL_METHOD == 64)
#error "this embedsum model needs doubles evaluated as doubles (FLT_EVAL_METHOD 0); on 32-bit x86: -msse2 -mfpmath=sse"
#endif

#define EMBEDSUM_OK 0
#define EMBEDSUM_ERR_N_FEATURES 1
#define EMBEDSUM_ERR_NULL 2

/* Bin of v among n strictly increasing cuts: the number of cuts < v (lower bound);
 * NaN (v != v) takes the missing bin n + 1 (docs/design.md#bin-codes). The halving loop has
 * no data-dependent branch (compilers use a conditional move), so mixed inputs cost no
 * mispredictions. */
static inline size_t embedsum_bin(const double *cuts, size_t n, double v)
{
    const double *base = cuts;
    if (v != v) {
        return n + 1;
    }
    if (n == 0) {
        return 0;
    }
    while (n > 1) {
        size_t half = n / 2;
        base = (base[half - 1] < v) ? base + half : base;
        n -= half;
    }
    return (size_t)(base - cuts) + (size_t)(base[0] < v);
}
#if EMBEDSUM_VALUES

/* Bin of v in a feature with m kept categories that are numbers, whose n categories (kept and
 * rare) are values[0 .. n - 1], ascending, with their bins in bins[]: missing (NaN) -> m + 1,
 * never seen -> m + 2 (docs/design.md#bin-codes). */
static inline size_t embedsum_value_category(const double *values, const size_t *bins, size_t n, size_t m, double v)
{
    size_t low = 0, high = n;
    if (v != v) {
        return m + 1;
    }
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        double c = values[middle];
        if (c == v) {
            return bins[middle];
        }
        if (c < v) {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    return m + 2;
}
#endif
#if EMBEDSUM_TEXT

/* Bin of text v in a feature with m kept categories that are strings, whose n categories (kept
 * and rare) start at data + offsets[0 .. n - 1], in strcmp order, with their bins in bins[]:
 * missing (NULL or "") -> m + 1, never seen -> m + 2 (docs/design.md#bin-codes). */
static inline size_t embedsum_text_category(const char *data, const size_t *offsets, const size_t *bins,
    size_t n, size_t m, const char *v)
{
    size_t low = 0, high = n;
    if (v == NULL || v[0] == '\0') {
        return m + 1;
    }
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        int c = strcmp(data + offsets[middle], v);
        if (c == 0) {
            return bins[middle];
        }
        if (c < 0) {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    return m + 2;
}
#endif
#if EMBEDSUM_MULTICLASS

/* z[0 .. n - 1] += scores[0 .. n - 1]: one term's scores of n classes, one addition per class. */
static inline void embedsum_add_scores(double *z, const double *scores, size_t n)
{
    size_t k;
    for (k = 0; k < n; ++k) {
        z[k] += scores[k];
    }
}
#endif
#if EMBEDSUM_CLASSIFIER

/* No FMA contraction in embedsum_exp: a * b + c must round twice, as Python and numpy do; an FMA
 * rounds once and changes the last bit now and then. C lets compilers contract unless told
 * not to, and not every compiler listens: GCC ignores #pragma STDC FP_CONTRACT (and contracts
 * by default in GNU modes), clang obeys it except under -ffp-contract=fast. So with GCC and
 * clang (and compilers that accept GNU asm) every product that an addition reads passes
 * through EMBEDSUM_ROUNDED: an empty asm statement that takes the rounded double in a register
 * (x86, ARM64) or in memory and hands it back as a value the compiler cannot see into, so
 * it cannot fuse it with the addition. It emits no instruction. Other compilers get the
 * standard pragma (MSVC its own). */
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define EMBEDSUM_ROUNDED(v) __asm__("" : "+x"(v))
#elif defined(__GNUC__) && defined(__aarch64__)
#define EMBEDSUM_ROUNDED(v) __asm__("" : "+w"(v))
#elif defined(__GNUC__)
#define EMBEDSUM_ROUNDED(v) __asm__("" : "+m"(v))
#else
#define EMBEDSUM_ROUNDED(v) ((void)0)
#endif

/* 2**k for -1022 <= k <= 1023, from its bits (no libm). */
static inline double embedsum_pow2(int k)
{
    uint64_t bits = (uint64_t)(k + 1023) << 52;
    double v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

/* exp(x) for x <= 0 (or NaN), bit for bit the exp of embedsum's numpy and Python code:
 * n = round(x / ln2) (half to even), r = (x - n ln2_hi) - n ln2_lo (n ln2_hi exact),
 * e**r by Horner's rule on the Taylor polynomial of degree 13, then scaled by 2**n:
 * exactly by 2**(n + 60), then once rounded (subnormal results) by 2**-60.
 * Each operation is one IEEE double operation, in this order. */
static inline double embedsum_exp(double x)
{
#if defined(_MSC_VER) && !defined(__clang__)
#pragma fp_contract(off)
#elif !defined(__GNUC__) || defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif
    double t, n, a, b, r, q;
    if (!(x >= -746.0)) {
        return x != x ? x : 0.0;
    }
    t = x * 0x1.71547652b82fep+0;
    EMBEDSUM_ROUNDED(t);
    /* round half to even (in the default rounding mode), as |t| < 2**51 */
    n = (t + 0x1.8p+52) - 0x1.8p+52;
    a = n * 0x1.62e42fee00000p-1;
    EMBEDSUM_ROUNDED(a);
    b = n * 0x1.a39ef35793c76p-33;
    EMBEDSUM_ROUNDED(b);
    r = (x - a) - b;
    q = 0x1.6124613a86d09p-33;
    q = q * r;
    EMBEDSUM_ROUNDED(q);
    q = q + 0x1.1eed8eff8d898p-29;
    q = q * r;
    EMBEDSUM_ROUNDED(q);
    q = q + 0x1.ae64567f544e4p-26;
    q = q * r;
    EMBEDSUM_ROUNDED(q);
    q = q + 0x1.27e4fb7789f5cp-22;
    q = q * r;
    EMBEDSUM_ROUNDED(q);
    q = q + 0x1.71de3a556c734p-19;
    q = q * r;
    EMBEDSUM_ROUNDED(q);
    q = q + 0x1.a01a01a01a01ap-16;
    q = q * r;
    EMBEDSUM_ROUNDED(q);
    q = q + 0x1.a01a01a01a01ap-13;
    q = q * r;
    EMBEDSUM_ROUNDED(q);
    q = q + 0x1.6c16c16c16c17p-10;
    q = q * r;
    EMBEDSUM_ROUNDED(q);
    q = q + 0x1.1111111111111p-7;
    q = q * r;
    EMBEDSUM_ROUNDED(q);
    q = q + 0x1.5555555555555p-5;
    q = q * r;
    EMBEDSUM_ROUNDED(q);
    q = q + 0x1.5555555555555p-3;
    q = q * r;
    EMBEDSUM_ROUNDED(q);
    q = q + 0x1.0000000000000p-1;
    q = q * r;
    EMBEDSUM_ROUNDED(q);
    q = q * r;
    EMBEDSUM_ROUNDED(q);
    q = 1.0 + (r + q);
    return (q * embedsum_pow2((int)n + 60)) * 0x1.0000000000000p-60;
}
#endif
