/* five -- logic gate network compiled by lgcc 0.1.0. Generated file: do not edit.
 *
 * Network: 3 input bits,
 * 5 gates, 2 output bits, GroupSum head over 2 classes (tau = 1.5).
 *
 * Every entry point takes a batch of n samples and a thread count n_threads
 * (0: the default chosen at compile time, 1; 1: the calling thread only;
 * t > 1: up to t pthreads, at most 256 and no more than the batch has blocks of
 * 64 x vector-lanes samples, take chunks of blocks as they go, so a thread slowed by a
 * busy core leaves its work to the others; a small batch starts only as many threads as it
 * keeps busy, each with an estimated LGCC_MIN_THREAD_NS ns of work or more (60,000 unless
 * built with another value; starting one costs ~25 us; 0 starts every thread asked for).
 * Entries are re-entrant: there is no global state, each call allocates its own workspace
 * and frees it again.
 *
 * Inputs, by entry suffix:
 *   _bits      const uint8_t rows[n][3], row-major, each byte 0 or 1
 *              (any other byte, e.g. a raw pixel value: five_ERR_NOT_BITS).
 *   _packed    const uint8_t rows[n][1], 8 inputs per byte, first input in
 *              the most significant bit (numpy.packbits(bits, axis=1)); the fastest
 *              row input: 8x less memory to read than _bits.
 *   _features, _features_f64  raw float or double features: this model has no input
 *              encoding, so these entries return five_ERR_NO_ENCODING.
 *   _sliced    const uint64_t words[3][n], already bit-sliced: bit j of
 *              words[i][w] is input i of sample 64*w + j; the batch is 64*n samples.
 * Outputs, by entry prefix:
 *   predict_   int32_t classes[samples]: argmax of the scores, ties to the lowest class.
 *   scores_    int32_t scores[samples][2]: integer class scores, i.e. the
 *              popcount of the class's output bits plus its offset.  GroupSum's
 *              real value is score / tau (five_tau()).
 *   outputs_   uint8_t outputs[samples][2]: the raw output bits (0/1).
 * And bit-sliced in and out: five_outputs_words(words, n, outputs, n_threads) takes
 * words as _sliced does and writes uint64_t outputs[2][n]: bit j of
 * outputs[o][w] is output o of sample 64*w + j (8x less to write than outputs_sliced).
 * Return value: five_OK (0) or an error code; five_strerror(code) describes it.
 * Errors: NULL pointer, n == 0, a size that overflows size_t, out of memory, a
 * negative thread count, a missing head or encoding, a byte of _bits rows that is not 0
 * or 1.  Argument errors are reported before anything is written; after an out-of-memory
 * or a not-bits error (found while the rows are read) the outputs are undefined.
 *
 * Build: cc -O3 -std=c99 -mavx2 -c model.c (-msse2 / -mavx2 / -mavx512f -mavx512bw or an aarch64
 * compiler pick the vector width; -DLGCC_PORTABLE forces plain uint64) and link
 * with -lpthread.  Needs GCC or Clang (vector extensions), a little-endian target.
 * An AVX-512 build by GCC also holds a faster input transpose that it uses where the CPU
 * has GFNI and AVX512-VBMI (checked at run time; -DLGCC_NO_GFNI leaves it out).
 */
#ifndef five_LGCC_MODEL_H /* the prefix as it is: prefixes a and A are two models */
#define five_LGCC_MODEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    five_OK = 0,
    five_ERR_NULL = 1,
    five_ERR_NO_ROWS = 2,
    five_ERR_OVERFLOW = 3,
    five_ERR_NOMEM = 4,
    five_ERR_THREADS = 5,
    five_ERR_NO_HEAD = 6,
    five_ERR_NO_ENCODING = 7,
    five_ERR_NOT_BITS = 8
};
int five_abi_version(void);
const char *five_isa(void);
const char *five_strerror(int code);
size_t five_n_inputs(void);
size_t five_n_features(void);
size_t five_n_outputs(void);
size_t five_n_classes(void);
size_t five_n_gates(void);
double five_tau(void);
int five_predict_bits(const uint8_t *bits, size_t n, int32_t *classes, int n_threads);
int five_scores_bits(const uint8_t *bits, size_t n, int32_t *scores, int n_threads);
int five_outputs_bits(const uint8_t *bits, size_t n, uint8_t *outputs, int n_threads);
int five_predict_features(const float *features, size_t n, int32_t *classes, int n_threads);
int five_scores_features(const float *features, size_t n, int32_t *scores, int n_threads);
int five_outputs_features(const float *features, size_t n, uint8_t *outputs, int n_threads);
int five_predict_sliced(const uint64_t *words, size_t n, int32_t *classes, int n_threads);
int five_scores_sliced(const uint64_t *words, size_t n, int32_t *scores, int n_threads);
int five_outputs_sliced(const uint64_t *words, size_t n, uint8_t *outputs, int n_threads);
int five_predict_packed(const uint8_t *packed, size_t n, int32_t *classes, int n_threads);
int five_scores_packed(const uint8_t *packed, size_t n, int32_t *scores, int n_threads);
int five_outputs_packed(const uint8_t *packed, size_t n, uint8_t *outputs, int n_threads);
int five_predict_features_f64(const double *features, size_t n, int32_t *classes, int n_threads);
int five_scores_features_f64(const double *features, size_t n, int32_t *scores, int n_threads);
int five_outputs_features_f64(const double *features, size_t n, uint8_t *outputs, int n_threads);
int five_outputs_words(const uint64_t *words, size_t n, uint64_t *outputs, int n_threads);

#ifdef __cplusplus
}
#endif

#endif
