/* five -- logic gate network compiled by lgcc 0.1.0: bit-sliced evaluation engine.
 * Generated file: do not edit.  The public API is documented in model.h.
 *
 * Each bit of a word is a different sample: one bitwise instruction evaluates a gate
 * for 64 x LANES samples.  Gates run from static tables sorted by logic level and gate
 * type (one tight loop per run of equal gates); values live in a small array of slots
 * recycled by liveness, so the working set stays in cache.
 */
#define _POSIX_C_SOURCE 200112L
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the generated tables assume a little-endian target"
#endif

/* Vector width, picked from the compiler flags: one source serves every ISA. */
#if defined(LGCC_PORTABLE)
#define VBYTES 8
#define ISA_NAME "portable"
#elif defined(__AVX512F__)
#define VBYTES 64
#define ISA_NAME "avx512"
#elif defined(__AVX2__)
#define VBYTES 32
#define ISA_NAME "avx2"
#elif defined(__aarch64__) || defined(__ARM_NEON)
#define VBYTES 16
#define ISA_NAME "neon"
#elif defined(__SSE2__)
#define VBYTES 16
#define ISA_NAME "sse2"
#else
#define VBYTES 8
#define ISA_NAME "portable"
#endif
#if defined(LGCC_VECTOR_BYTES) /* tuning override: several machine vectors per word */
#undef VBYTES
#define VBYTES LGCC_VECTOR_BYTES
#endif
#define LANES (VBYTES / 8)
#define BLOCK (64 * LANES) /* samples per word */

typedef uint64_t V __attribute__((vector_size(VBYTES)));
typedef uint64_t V1 __attribute__((vector_size(8)));
#define ZERO ((V){0})
#define ONES (~(V){0})

#define ABI_VERSION 1
#define N_INPUTS 3
#define N_FEATURES 0
#define N_OUTPUTS 2
#define N_CLASSES 2
#define N_GATES 5
#define N_SLOTS 8
#define N_GROUPS 4
#define HAS_HEAD 1
#define HAS_ENCODING 0
#define CNT_BITS 1 /* bit planes of a class counter */
#define IDX_BITS 1 /* bit planes of a class index */
#define MIN_OFFSET 0 /* counters start at offset - MIN_OFFSET >= 0 */
#define DEFAULT_THREADS 1
#define MAX_THREADS 256 /* more threads than this are not started */
typedef uint16_t idx_t;

/* (operand a, operand b, result) slots of every gate, in evaluation order. */
static const union { unsigned char b[30]; uint16_t w[15]; } gate_tab __attribute__((aligned(64))) = { .w = {
    2, 3, 5, 3, 4, 6, 5, 6, 3, 4, 6, 7, 2, 3, 4
} };
/* Runs of equal gates: (gate type, count). */
static const union { unsigned char b[32]; uint32_t w[8]; } group_tab __attribute__((aligned(64))) = { .w = {
    1, 1, 6, 1, 7, 2, 1, 1
} };
/* Raw outputs: slot and negation flag of each output bit. */
static const union { unsigned char b[4]; uint16_t w[2]; } out_tab __attribute__((aligned(64))) = { .w = {
    4, 7
} };
static const union { unsigned char b[2]; uint8_t w[2]; } outneg_tab __attribute__((aligned(64))) = { .w = {
    1, 1
} };
/* Per class: slots of its plain outputs, then of its negated outputs. */
static const union { unsigned char b[4]; uint16_t w[2]; } cls_out_tab __attribute__((aligned(64))) = { .w = {
    4, 7
} };
/* Per class: number of plain outputs, of negated outputs, counter start value. */
static const union { unsigned char b[24]; int32_t w[6]; } cls_tab __attribute__((aligned(64))) = { .w = {
    0, 1, 0, 0, 1, 0
} };

/* ------------------------------------------------------------------ gates */
static void eval_gates(V *restrict ws)
{
    const idx_t *t = gate_tab.w;
    size_t g, i;
    for (g = 0; g < N_GROUPS; g++) {
        const size_t n = group_tab.w[2 * g + 1];
        switch (group_tab.w[2 * g]) {
        case 1: /* and */
            for (i = 0; i < n; i++, t += 3) {
                const V a = ws[t[0]], b = ws[t[1]];
                (void)a; (void)b;
                ws[t[2]] = a & b;
            }
            break;
        case 6: /* xor */
            for (i = 0; i < n; i++, t += 3) {
                const V a = ws[t[0]], b = ws[t[1]];
                (void)a; (void)b;
                ws[t[2]] = a ^ b;
            }
            break;
        case 7: /* or */
            for (i = 0; i < n; i++, t += 3) {
                const V a = ws[t[0]], b = ws[t[1]];
                (void)a; (void)b;
                ws[t[2]] = a | b;
            }
            break;
        default:
            break;
        }
    }
}

/* ---------------------------------------------------------- input packing */
/* Rows of 0/1 bytes -> bit-sliced words, in three steps over a block of 64*LANES rows.
 * 1. Merge: 8 consecutive rows (group G) become one byte per input, row r in bit r (the
 *    bytes are 0/1, so a shift by r < 8 never crosses a byte).  The 8 rows are read front
 *    to back (8 streams), which keeps the hardware prefetcher effective.
 * 2. Regroup: a LANES x LANES transpose of 64-bit lanes (vector shuffles) so that
 *    merged[(chunk*8 + g)*LANES + j] holds rows 64j+8g..64j+8g+7 of 8-input chunk `chunk`.
 * 3. Transpose: an 8x8 byte transpose per 64-bit lane turns 8 such vectors into the
 *    words of 8 inputs (lane j = samples 64j..64j+63), stored as whole vectors. */
#define N_CHUNKS ((N_INPUTS + 7) / 8)        /* 8-input column chunks */
#define N_WIDE (N_INPUTS / (8 * LANES))       /* chunks of 8*LANES inputs merged a vector at a time */
#define MERGE8(T, rows, col, sum) do { T v_; int r_; (sum) = (T){0};               \
        for (r_ = 0; r_ < 8; r_++) { memcpy(&v_, (rows)[r_] + (col), sizeof v_);   \
            (sum) |= v_ << r_; } } while (0)
typedef int64_t VM __attribute__((vector_size(VBYTES)));
#if defined(__clang__)
#define SHUFFLE(a, b, ...) __builtin_shufflevector(a, b, __VA_ARGS__)
#else
#define SHUFFLE(a, b, ...) __builtin_shuffle(a, b, (VM){__VA_ARGS__})
#endif

/* Merge the 8 rows of group G = 8j + g: wide chunks into wide[G * N_WIDE + v], the
 * remaining inputs straight into `merged`. */
static void merge_rows(const uint8_t *const *rows, V *wide, uint64_t *merged, size_t g, size_t j)
{
    size_t c0 = 0, v, k;
    int r;
    for (v = 0; v < N_WIDE; v++, c0 += 8 * LANES) MERGE8(V, rows, c0, wide[(8 * j + g) * N_WIDE + v]);
    for (; c0 + 8 <= N_INPUTS; c0 += 8) {
        V1 sum;
        MERGE8(V1, rows, c0, sum);
        merged[((c0 / 8) * 8 + g) * LANES + j] = sum[0];
    }
    if (c0 < N_INPUTS) { /* the last 1..7 inputs */
        uint64_t sum = 0;
        for (r = 0; r < 8; r++)
            for (k = c0; k < N_INPUTS; k++) sum |= (uint64_t)rows[r][k] << (8 * (k - c0) + (size_t)r);
        merged[((c0 / 8) * 8 + g) * LANES + j] = sum;
    }
}

static void transpose_lanes(V *y)
{
#if LANES == 2
    { const V lo = SHUFFLE(y[0], y[1], 0, 2), hi = SHUFFLE(y[0], y[1], 1, 3); y[0] = lo; y[1] = hi; }
#elif LANES == 4
    { const V lo = SHUFFLE(y[0], y[2], 0, 1, 4, 5), hi = SHUFFLE(y[0], y[2], 2, 3, 6, 7); y[0] = lo; y[2] = hi; }
    { const V lo = SHUFFLE(y[1], y[3], 0, 1, 4, 5), hi = SHUFFLE(y[1], y[3], 2, 3, 6, 7); y[1] = lo; y[3] = hi; }
    { const V lo = SHUFFLE(y[0], y[1], 0, 4, 2, 6), hi = SHUFFLE(y[0], y[1], 1, 5, 3, 7); y[0] = lo; y[1] = hi; }
    { const V lo = SHUFFLE(y[2], y[3], 0, 4, 2, 6), hi = SHUFFLE(y[2], y[3], 1, 5, 3, 7); y[2] = lo; y[3] = hi; }
#elif LANES == 8
    { const V lo = SHUFFLE(y[0], y[4], 0, 1, 2, 3, 8, 9, 10, 11), hi = SHUFFLE(y[0], y[4], 4, 5, 6, 7, 12, 13, 14, 15); y[0] = lo; y[4] = hi; }
    { const V lo = SHUFFLE(y[1], y[5], 0, 1, 2, 3, 8, 9, 10, 11), hi = SHUFFLE(y[1], y[5], 4, 5, 6, 7, 12, 13, 14, 15); y[1] = lo; y[5] = hi; }
    { const V lo = SHUFFLE(y[2], y[6], 0, 1, 2, 3, 8, 9, 10, 11), hi = SHUFFLE(y[2], y[6], 4, 5, 6, 7, 12, 13, 14, 15); y[2] = lo; y[6] = hi; }
    { const V lo = SHUFFLE(y[3], y[7], 0, 1, 2, 3, 8, 9, 10, 11), hi = SHUFFLE(y[3], y[7], 4, 5, 6, 7, 12, 13, 14, 15); y[3] = lo; y[7] = hi; }
    { const V lo = SHUFFLE(y[0], y[2], 0, 1, 8, 9, 4, 5, 12, 13), hi = SHUFFLE(y[0], y[2], 2, 3, 10, 11, 6, 7, 14, 15); y[0] = lo; y[2] = hi; }
    { const V lo = SHUFFLE(y[1], y[3], 0, 1, 8, 9, 4, 5, 12, 13), hi = SHUFFLE(y[1], y[3], 2, 3, 10, 11, 6, 7, 14, 15); y[1] = lo; y[3] = hi; }
    { const V lo = SHUFFLE(y[4], y[6], 0, 1, 8, 9, 4, 5, 12, 13), hi = SHUFFLE(y[4], y[6], 2, 3, 10, 11, 6, 7, 14, 15); y[4] = lo; y[6] = hi; }
    { const V lo = SHUFFLE(y[5], y[7], 0, 1, 8, 9, 4, 5, 12, 13), hi = SHUFFLE(y[5], y[7], 2, 3, 10, 11, 6, 7, 14, 15); y[5] = lo; y[7] = hi; }
    { const V lo = SHUFFLE(y[0], y[1], 0, 8, 2, 10, 4, 12, 6, 14), hi = SHUFFLE(y[0], y[1], 1, 9, 3, 11, 5, 13, 7, 15); y[0] = lo; y[1] = hi; }
    { const V lo = SHUFFLE(y[2], y[3], 0, 8, 2, 10, 4, 12, 6, 14), hi = SHUFFLE(y[2], y[3], 1, 9, 3, 11, 5, 13, 7, 15); y[2] = lo; y[3] = hi; }
    { const V lo = SHUFFLE(y[4], y[5], 0, 8, 2, 10, 4, 12, 6, 14), hi = SHUFFLE(y[4], y[5], 1, 9, 3, 11, 5, 13, 7, 15); y[4] = lo; y[5] = hi; }
    { const V lo = SHUFFLE(y[6], y[7], 0, 8, 2, 10, 4, 12, 6, 14), hi = SHUFFLE(y[6], y[7], 1, 9, 3, 11, 5, 13, 7, 15); y[6] = lo; y[7] = hi; }
#else
    (void)y;
#endif
}

/* Step 2 for the wide chunks: wide[(8j+g)*N_WIDE + v] lane k -> merged chunk v*LANES+k, lane j. */
static void regroup(const V *wide, V *merged)
{
    size_t g, v, j;
    for (g = 0; g < 8; g++)
        for (v = 0; v < N_WIDE; v++) {
            V y[LANES];
            for (j = 0; j < LANES; j++) y[j] = wide[(8 * j + g) * N_WIDE + v];
            transpose_lanes(y);
            for (j = 0; j < LANES; j++) merged[(v * LANES + j) * 8 + g] = y[j];
        }
}

#define TRANSPOSE_STAGE(x, a, b, s, m) do { const V t_ = (((x)[a] >> (s)) ^ (x)[b]) & (m); \
        (x)[b] ^= t_; (x)[a] ^= t_ << (s); } while (0)

static void transpose_chunks(const uint64_t *merged, V *dst)
{
    size_t ch;
    int g;
    for (ch = 0; ch < N_CHUNKS; ch++) {
        V x[8];
        for (g = 0; g < 8; g++) memcpy(&x[g], merged + (ch * 8 + (size_t)g) * LANES, sizeof(V));
        for (g = 0; g < 4; g++) TRANSPOSE_STAGE(x, g, g + 4, 32, 0x00000000FFFFFFFFull);
        for (g = 0; g < 8; g += (g & 1) ? 3 : 1) TRANSPOSE_STAGE(x, g, g + 2, 16, 0x0000FFFF0000FFFFull);
        for (g = 0; g < 8; g += 2) TRANSPOSE_STAGE(x, g, g + 1, 8, 0x00FF00FF00FF00FFull);
        for (g = 0; g < 8; g++) dst[ch * 8 + (size_t)g] = x[g]; /* past the last input: spare slots */
    }
}

/* ------------------------------------------------------------ class head */
static void csa(V *hi, V *lo, V a, V b, V c)
{
    const V u = a ^ b;
    *hi = (a & b) | (u & c);
    *lo = u ^ c;
}

/* Add word x at weight 2^j to a bit-sliced counter (ripple carry). */
static void add_at(V *cnt, int j, V x)
{
    for (; j < CNT_BITS; j++) {
        const V carry = cnt[j] & x;
        cnt[j] ^= x;
        x = carry;
    }
}

/* cnt += popcount of n output words (each xor inv), Harley-Seal carry-save tree. */
static void count_into(V *cnt, const V *ws, const idx_t *s, size_t n, V inv)
{
    V ones = ZERO, twos = ZERO, fours = ZERO, ta, tb, fa, fb, eights;
    size_t i = 0;
    for (; i + 8 <= n; i += 8, s += 8) {
        csa(&ta, &ones, ones, ws[s[0]] ^ inv, ws[s[1]] ^ inv);
        csa(&tb, &ones, ones, ws[s[2]] ^ inv, ws[s[3]] ^ inv);
        csa(&fa, &twos, twos, ta, tb);
        csa(&ta, &ones, ones, ws[s[4]] ^ inv, ws[s[5]] ^ inv);
        csa(&tb, &ones, ones, ws[s[6]] ^ inv, ws[s[7]] ^ inv);
        csa(&fb, &twos, twos, ta, tb);
        csa(&eights, &fours, fours, fa, fb);
        add_at(cnt, 3, eights);
    }
    for (; i < n; i++, s++) add_at(cnt, 0, ws[*s] ^ inv);
    add_at(cnt, 0, ones);
    add_at(cnt, 1, twos);
    add_at(cnt, 2, fours);
}

/* Per-sample integers from bit planes: out[s * stride] = value of sample s + add. */
static void extract(const V *planes, int n_planes, int32_t add, int32_t *out, size_t stride, size_t n_valid)
{
    size_t s;
    int j;
    for (s = 0; s < n_valid; s++) {
        int32_t v = 0;
        for (j = 0; j < n_planes; j++) v |= (int32_t)((planes[j][s >> 6] >> (s & 63)) & 1) << j;
        out[s * stride] = v + add;
    }
}

/* Counter of class c (cnt[CNT_BITS]); *s walks cls_out_tab class by class. */
static void count_class(int c, V *cnt, const V *ws, const idx_t **s)
{
    const int32_t n_plain = cls_tab.w[3 * c], n_neg = cls_tab.w[3 * c + 1], init = cls_tab.w[3 * c + 2];
    int j;
    for (j = 0; j < CNT_BITS; j++) cnt[j] = ((init >> j) & 1) ? ONES : ZERO;
    count_into(cnt, ws, *s, (size_t)n_plain, ZERO);
    count_into(cnt, ws, *s + n_plain, (size_t)n_neg, ONES);
    *s += n_plain + n_neg;
}

/* Bit-sliced argmax over the class counters; a later class wins only if strictly greater. */
static void head_classes(const V *ws, int32_t *out, size_t n_valid)
{
    V best[CNT_BITS], cnt[CNT_BITS], idx[IDX_BITS];
    const idx_t *s = cls_out_tab.w;
    int c, j;
    count_class(0, best, ws, &s);
    for (j = 0; j < IDX_BITS; j++) idx[j] = ZERO;
    for (c = 1; c < N_CLASSES; c++) {
        V gt = ZERO, eq = ONES;
        count_class(c, cnt, ws, &s);
        for (j = CNT_BITS - 1; j >= 0; j--) {
            gt |= eq & cnt[j] & ~best[j];
            eq &= ~(cnt[j] ^ best[j]);
        }
        for (j = 0; j < CNT_BITS; j++) best[j] ^= (best[j] ^ cnt[j]) & gt;
        for (j = 0; j < IDX_BITS; j++) idx[j] = ((c >> j) & 1) ? (idx[j] | gt) : (idx[j] & ~gt);
    }
    extract(idx, IDX_BITS, 0, out, 1, n_valid);
}

static void head_scores(const V *ws, V *cnts, int32_t *out, size_t n_valid)
{
    const idx_t *s = cls_out_tab.w;
    int c;
    for (c = 0; c < N_CLASSES; c++) {
        count_class(c, cnts, ws, &s);
        extract(cnts, CNT_BITS, MIN_OFFSET, out + c, N_CLASSES, n_valid);
    }
}

static void raw_outputs(const V *ws, uint8_t *out, size_t n_valid)
{
    size_t o, s;
    for (o = 0; o < N_OUTPUTS; o++) {
        const V w = ws[out_tab.w[o]] ^ (outneg_tab.w[o] ? ONES : ZERO);
        for (s = 0; s < n_valid; s++) out[s * N_OUTPUTS + o] = (uint8_t)((w[s >> 6] >> (s & 63)) & 1);
    }
}

/* ------------------------------------------------------------- batch jobs */
enum { IN_BITS, IN_FEATURES, IN_SLICED };
enum { OUT_CLASSES, OUT_SCORES, OUT_OUTPUTS };

typedef struct {
    int in_kind, out_kind;
    const void *in;
    size_t n;         /* rows, or words per input for sliced input */
    size_t n_samples; /* rows, or 64 * words */
    void *out;
    size_t blk0, blk1; /* blocks [blk0, blk1) of BLOCK samples */
    int rc;
} job_t;

#define ROW_PAD (N_INPUTS + 64)
#ifndef PREFETCH_ROWS
#define PREFETCH_ROWS 16 /* how far ahead input rows are prefetched */
#endif

/* Encode 8 rows of raw features into 0/1 bytes (input bit i = x[feature[i]] > threshold[i]). */
static void encode_rows(const float *x, size_t n_rows, uint8_t *enc, const uint8_t **rows)
{
    (void)x; (void)n_rows; (void)enc; (void)rows;
}

static void load_block(const job_t *job, size_t blk, V *ws, const uint8_t *zero_row, uint8_t *enc, uint64_t *merged,
                       V *wide)
{
    const uint8_t *rows[8];
    size_t grp, i;
    int r, lane;
    if (job->in_kind == IN_SLICED) {
        const uint64_t *words = (const uint64_t *)job->in;
        for (i = 0; i < N_INPUTS; i++)
            for (lane = 0; lane < LANES; lane++) {
                const size_t w = blk * LANES + (size_t)lane;
                ws[2 + i][lane] = w < job->n ? words[i * job->n + w] : 0;
            }
        return;
    }
    for (grp = 0; grp < 8 * LANES; grp++) { /* 8 rows at a time */
        const size_t row0 = blk * BLOCK + 8 * grp;
        const size_t n_valid = row0 >= job->n_samples ? 0 : (job->n_samples - row0 < 8 ? job->n_samples - row0 : 8);
        for (r = 0; r < 8; r++) rows[r] = zero_row;
        if (job->in_kind == IN_BITS) {
            const uint8_t *base = (const uint8_t *)job->in + row0 * N_INPUTS;
            for (r = 0; r < (int)n_valid; r++) rows[r] = base + (size_t)r * N_INPUTS;
            if (row0 + PREFETCH_ROWS + 8 <= job->n_samples) /* 8 interleaved streams: help the prefetcher */
                for (i = 0; i < 8 * N_INPUTS; i += 64) __builtin_prefetch(base + PREFETCH_ROWS * N_INPUTS + i);
        } else {
            encode_rows((const float *)job->in + row0 * N_FEATURES, n_valid, enc, rows);
        }
        merge_rows(rows, wide, merged, grp % 8, grp / 8);
    }
    regroup(wide, (V *)merged);
    transpose_chunks(merged, ws + 2);
}

static void store_block(const job_t *job, size_t blk, const V *ws, V *cnts)
{
    const size_t s0 = blk * BLOCK;
    const size_t n_valid = job->n_samples - s0 < BLOCK ? job->n_samples - s0 : BLOCK;
    if (job->out_kind == OUT_OUTPUTS) {
        raw_outputs(ws, (uint8_t *)job->out + s0 * N_OUTPUTS, n_valid);
        return;
    }
    if (job->out_kind == OUT_CLASSES)
        head_classes(ws, (int32_t *)job->out + s0, n_valid);
    else
        head_scores(ws, cnts, (int32_t *)job->out + s0 * N_CLASSES, n_valid);
    (void)cnts;
}

static void *run_job(void *arg)
{
    job_t *job = (job_t *)arg;
    const size_t n_ws = N_SLOTS + 8 * LANES; /* spare slots absorb the padded input columns */
    const size_t n_cnt = (size_t)(N_CLASSES > 0 ? N_CLASSES : 1) * CNT_BITS;
    void *mem = NULL;
    V *ws, *cnts;
    uint8_t *zero_row, *enc;
    uint64_t *merged;
    V *wide;
    size_t blk;
    if (posix_memalign(&mem, 64, (n_ws + n_cnt) * sizeof(V) + (N_CHUNKS + N_WIDE * LANES) * 8 * sizeof(V) + ROW_PAD + (HAS_ENCODING ? 8 * (size_t)ROW_PAD : 0)) != 0) {
        job->rc = five_ERR_NOMEM;
        return NULL;
    }
    ws = (V *)mem;
    cnts = ws + n_ws;
    merged = (uint64_t *)(cnts + n_cnt);
    wide = (V *)(merged + N_CHUNKS * 8 * LANES);
    zero_row = (uint8_t *)(wide + N_WIDE * 8 * LANES);
    enc = zero_row + ROW_PAD;
    memset(zero_row, 0, ROW_PAD);
    ws[0] = ZERO;
    ws[1] = ONES;
    for (blk = job->blk0; blk < job->blk1; blk++) {
        load_block(job, blk, ws, zero_row, enc, merged, wide);
        eval_gates(ws);
        store_block(job, blk, ws, cnts);
    }
    free(mem);
    job->rc = five_OK;
    return NULL;
}

/* Check arguments, split the batch into per-thread block ranges, run them. */
static int run(int in_kind, int out_kind, const void *in, size_t n, void *out, int n_threads)
{
    const size_t in_size = in_kind == IN_BITS ? N_INPUTS : in_kind == IN_FEATURES ? N_FEATURES * sizeof(float)
                                                                                     : N_INPUTS * sizeof(uint64_t);
    const size_t out_size = out_kind == OUT_CLASSES ? sizeof(int32_t)
                          : out_kind == OUT_SCORES ? N_CLASSES * sizeof(int32_t) : N_OUTPUTS;
    size_t n_samples, blocks, i, t;
    job_t *jobs;
    pthread_t *tids;
    int *started, rc = five_OK;
    if (in == NULL || out == NULL) return five_ERR_NULL;
    if (n == 0) return five_ERR_NO_ROWS;
    if (n_threads < 0) return five_ERR_THREADS;
    if (out_kind != OUT_OUTPUTS && !HAS_HEAD) return five_ERR_NO_HEAD;
    if (in_kind == IN_FEATURES && !HAS_ENCODING) return five_ERR_NO_ENCODING;
    if (in_kind == IN_SLICED && n > SIZE_MAX / 64) return five_ERR_OVERFLOW;
    n_samples = in_kind == IN_SLICED ? 64 * n : n;
    if ((in_size && n > SIZE_MAX / in_size) || (out_size && n_samples > SIZE_MAX / out_size)
        || n_samples > SIZE_MAX - BLOCK)
        return five_ERR_OVERFLOW;
    blocks = (n_samples + BLOCK - 1) / BLOCK;
    t = n_threads ? (size_t)n_threads : DEFAULT_THREADS;
    if (t > blocks) t = blocks;
    if (t > MAX_THREADS) t = MAX_THREADS;
    jobs = (job_t *)calloc(t, sizeof(job_t));
    tids = (pthread_t *)calloc(t, sizeof(pthread_t));
    started = (int *)calloc(t, sizeof(int));
    if (jobs == NULL || tids == NULL || started == NULL) {
        free(jobs);
        free(tids);
        free(started);
        return five_ERR_NOMEM;
    }
    for (i = 0; i < t; i++) {
        job_t *j = &jobs[i];
        j->in_kind = in_kind;
        j->out_kind = out_kind;
        j->in = in;
        j->n = n;
        j->n_samples = n_samples;
        j->out = out;
        j->blk0 = blocks / t * i + (i < blocks % t ? i : blocks % t);
        j->blk1 = j->blk0 + blocks / t + (i < blocks % t ? 1 : 0);
        j->rc = five_OK;
    }
    for (i = 1; i < t; i++) started[i] = pthread_create(&tids[i], NULL, run_job, &jobs[i]) == 0;
    run_job(&jobs[0]);
    for (i = 1; i < t; i++) {
        if (started[i])
            pthread_join(tids[i], NULL);
        else
            run_job(&jobs[i]); /* no thread available: do its share here */
    }
    for (i = 0; i < t; i++)
        if (jobs[i].rc != five_OK && rc == five_OK) rc = jobs[i].rc;
    free(jobs);
    free(tids);
    free(started);
    return rc;
}

/* ------------------------------------------------------------- public API */
int five_abi_version(void) { return ABI_VERSION; }
const char *five_isa(void) { return ISA_NAME; }
size_t five_n_inputs(void) { return N_INPUTS; }
size_t five_n_features(void) { return N_FEATURES; }
size_t five_n_outputs(void) { return N_OUTPUTS; }
size_t five_n_classes(void) { return N_CLASSES; }
size_t five_n_gates(void) { return N_GATES; }
double five_tau(void) { return 1.5; }

const char *five_strerror(int code)
{
    switch (code) {
    case five_OK: return "ok";
    case five_ERR_NULL: return "a pointer argument is NULL";
    case five_ERR_NO_ROWS: return "the batch is empty (n == 0)";
    case five_ERR_OVERFLOW: return "the batch size overflows size_t";
    case five_ERR_NOMEM: return "out of memory";
    case five_ERR_THREADS: return "the thread count is negative";
    case five_ERR_NO_HEAD: return "this model has no GroupSum head (use the outputs_ entries)";
    case five_ERR_NO_ENCODING: return "this model has no input encoding (pass bits, not features)";
    default: return "unknown error code";
    }
}

int five_predict_bits(const uint8_t *bits, size_t n, int32_t *classes, int n_threads)
{
    return run(IN_BITS, OUT_CLASSES, bits, n, classes, n_threads);
}
int five_scores_bits(const uint8_t *bits, size_t n, int32_t *scores, int n_threads)
{
    return run(IN_BITS, OUT_SCORES, bits, n, scores, n_threads);
}
int five_outputs_bits(const uint8_t *bits, size_t n, uint8_t *outputs, int n_threads)
{
    return run(IN_BITS, OUT_OUTPUTS, bits, n, outputs, n_threads);
}

int five_predict_features(const float *features, size_t n, int32_t *classes, int n_threads)
{
    return run(IN_FEATURES, OUT_CLASSES, features, n, classes, n_threads);
}
int five_scores_features(const float *features, size_t n, int32_t *scores, int n_threads)
{
    return run(IN_FEATURES, OUT_SCORES, features, n, scores, n_threads);
}
int five_outputs_features(const float *features, size_t n, uint8_t *outputs, int n_threads)
{
    return run(IN_FEATURES, OUT_OUTPUTS, features, n, outputs, n_threads);
}

int five_predict_sliced(const uint64_t *words, size_t n, int32_t *classes, int n_threads)
{
    return run(IN_SLICED, OUT_CLASSES, words, n, classes, n_threads);
}
int five_scores_sliced(const uint64_t *words, size_t n, int32_t *scores, int n_threads)
{
    return run(IN_SLICED, OUT_SCORES, words, n, scores, n_threads);
}
int five_outputs_sliced(const uint64_t *words, size_t n, uint8_t *outputs, int n_threads)
{
    return run(IN_SLICED, OUT_OUTPUTS, words, n, outputs, n_threads);
}
