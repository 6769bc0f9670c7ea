/* five -- logic gate network compiled by lgcc 0.1.0: bit-sliced evaluation engine.
 * Generated file: do not edit.  The public API is documented in model.h.
 *
 * Each bit of a word is a different sample: one bitwise instruction evaluates a gate
 * for 64 x LANES samples.  Gates run from static tables sorted by logic level and gate
 * type (one tight loop per run of equal gates); values live in a small array of slots
 * recycled by liveness, so the working set stays in cache.
 */
#define _POSIX_C_SOURCE 200112L
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* glibc's pthread_tryjoin_np: see join_worker */
#endif
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the generated tables assume a little-endian target"
#endif

/* Compiled as it is, this file is the whole library.  lgcc's build compiles it twice at once,
 * with -DLGCC_PART=1 (the gate engine, the class head and the feature encoder, with their tables) and
 * -DLGCC_PART=2 (packing rows of bits, output unpacking, batches, the API), and links both objects: two cores
 * make the C compiler step ~30% shorter. */
#ifndef LGCC_PART
#define LGCC_PART 0
#define ENGINE static
#else
#define ENGINE __attribute__((visibility("hidden"))) /* shared by the two parts, not exported */
#endif
#define eval_gates five_eval_gates_
#define head_classes five_head_classes_
#define head_scores five_head_scores_
#define feature_masks five_feature_masks_
#define doubles_to_floats five_doubles_to_floats_

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
/* A 3-input function as one vpternlogq (imm: bit 4a + 2b + c is f(a, b, c)) where the ISA has it
 * (a builtin of GCC and Clang alike; GCC 12 turns some such expressions into two, and with it
 * Clang 14's gates ran ~5% faster on the mnist model); otherwise the expression. */
#if !defined(LGCC_PORTABLE) && defined(__AVX512F__) && VBYTES == 64
typedef long long VT __attribute__((vector_size(64)));
#define TERNLOG(a, b, c, imm) ((V)__builtin_ia32_pternlogq512_mask((VT)(a), (VT)(b), (VT)(c), (imm), 0xFF))
#define TERNLOG_OR(a, b, c, imm, expr) TERNLOG(a, b, c, imm)
#else
#define TERNLOG_OR(a, b, c, imm, expr) (expr)
#endif
#define ZERO ((V){0})
#define ONES (~(V){0})
/* The word of a slot.  Tables hold slot * SLOT_SCALE: with 8 (8 bytes per lane) the byte offset
 * is one multiply by LANES, which x86 folds into the address (scale 1, 2, 4 or 8). */
#define SLOT_SCALE 8
#define SLOT(ws, t) (*(V *)((char *)(ws) + (size_t)(t) * (VBYTES / SLOT_SCALE)))

#define ABI_VERSION 4
#define N_INPUTS 3
#define N_FEATURES 0
#define N_OUTPUTS 2
#define N_CLASSES 2
#define N_GATES 5
#define N_INSTRUCTIONS 4 /* a fused gate pair is one instruction */
#define N_SLOTS 6
#define N_GROUPS 4
#define HAS_HEAD 1
#define HAS_ENCODING 0
#define CNT_BITS 1 /* bit planes of a class counter */
#define IDX_BITS 1 /* bit planes of a class index */
#define MIN_OFFSET 0 /* counters start at offset - MIN_OFFSET >= 0 */
#define DEFAULT_THREADS 1
#define MAX_THREADS 256 /* more threads than this are not started */
typedef uint16_t idx_t;

/* Bit k of b (k < 8) -> bit 0 of byte k: replicate b into every byte, keep bit k in byte k,
 * then carry it to the byte's top bit (no carry crosses a byte) and shift it down.  (unused:
 * part 1 of a model without a head has no caller, and Clang warns about that.) */
static inline __attribute__((unused)) uint64_t spread8(uint64_t b)
{
    const uint64_t x = (b * 0x0101010101010101ull) & 0x8040201008040201ull;
    return ((x + 0x7F7F7F7F7F7F7F7Full) >> 7) & 0x0101010101010101ull;
}

/* Lines to prefetch while the gates run: lines p, p + stride, ... (and each line's byte
 * + span too, when span > 0: data that may straddle two lines). */
typedef struct {
    const char *p;
    size_t lines, stride, span;
} prefetch_t;

#define N_Q ((N_INPUTS + 63) / 64)   /* 64-input chunks */

/* The functions part 2 calls in part 1. */
ENGINE void eval_gates(V *restrict ws, prefetch_t pf);
ENGINE void head_classes(const V *ws, int32_t *out, size_t n_valid);
ENGINE void head_scores(const V *ws, V *cnts, int32_t *out, size_t n_valid);

#if LGCC_PART != 2
/* Slots (times SLOT_SCALE) of every instruction, in evaluation order: (operand a, operand b,
 * result) for a gate, (a, b, c, result) for a fused gate pair (c ? g1(a, b) : g0(a, b)). */
static const union { unsigned char b[26]; uint16_t w[13]; } gate_tab __attribute__((aligned(64))) = { .w = {
    16, 24, 40, 24, 32, 24, 32, 24, 32, 40, 24, 16, 40
} };
/* Runs of equal instructions: (kind, count); kinds 0-15 are gates, 16 + 16 g0 + g1 fused pairs. */
static const union { unsigned char b[32]; uint32_t w[8]; } group_tab __attribute__((aligned(64))) = { .w = {
    1, 1, 6, 1, 7, 1, 23, 1
} };
/* Per class: slots (times SLOT_SCALE) of its plain outputs, then of its negated outputs. */
static const union { unsigned char b[4]; uint16_t w[2]; } cls_out_tab __attribute__((aligned(64))) = { .w = {
    40, 32
} };
/* Per class: number of plain outputs, of negated outputs, counter start value. */
static const union { unsigned char b[24]; int32_t w[6]; } cls_tab __attribute__((aligned(64))) = { .w = {
    0, 1, 0, 0, 1, 0
} };
#endif

#if LGCC_PART != 1
/* Raw outputs: slot (times SLOT_SCALE) and negation flag of each output bit. */
static const union { unsigned char b[4]; uint16_t w[2]; } out_tab __attribute__((aligned(64))) = { .w = {
    40, 32
} };
static const union { unsigned char b[2]; uint8_t w[2]; } outneg_tab __attribute__((aligned(64))) = { .w = {
    1, 1
} };
#endif

#if LGCC_PART != 2
/* ------------------------------------------------------------------ gates */
/* Runs of equal instructions, in chunks of up to 64 (gates unrolled by 4: ~12 instructions per gate,
 * and unrolling cut the gate time by ~10% with AVX-512, best of 8 runs; 8 gained nothing more;
 * fused pairs are not unrolled: it gained nothing measurable and cost ~8 ms of compile time each).
 * Before each chunk, a share of the lines of pf is prefetched into L2 (the next block's input
 * when it comes from memory: spread over the gate loop, those reads overlap the work on this
 * block).  Chunks of about instructions / lines spread the prefetches finely (bursts of them
 * stall the loop), but no shorter than 2: 65,536 rows of uint8 input (~1 line per instruction),
 * AVX-512, best of 12 calls, ns per row: 77 with chunks of 1, 67 with 2, 70 with 3, 72 with 4,
 * 71 with 8, 73 with 16; without prefetching, chunks of 64 keep the loop overhead lower. */
ENGINE void eval_gates(V *restrict ws, prefetch_t pf)
{
    const idx_t *t = gate_tab.w;
    const size_t spread = pf.lines ? N_INSTRUCTIONS / pf.lines : 64;
    const size_t chunk = spread < 2 ? 2 : spread > 64 ? 64 : spread;
    const size_t per_chunk = pf.lines * chunk / (N_INSTRUCTIONS ? N_INSTRUCTIONS : 1) + 1; /* lines * chunk / instructions */
    size_t g, i, c0, k;
    for (g = 0; g < N_GROUPS; g++) {
        const size_t n_group = group_tab.w[2 * g + 1];
        for (c0 = 0; c0 < n_group; c0 += chunk) {
            const size_t n = n_group - c0 < chunk ? n_group - c0 : chunk;
            for (k = 0; k < per_chunk && pf.lines > 0; k++, pf.lines--, pf.p += pf.stride) {
                __builtin_prefetch(pf.p, 0, 2);
                if (pf.span) __builtin_prefetch(pf.p + pf.span, 0, 2);
            }
            switch (group_tab.w[2 * g]) {
            case 1: /* and */
#pragma GCC unroll 4
                for (i = 0; i < n; i++, t += 3) {
                    const V a = SLOT(ws, t[0]), b = SLOT(ws, t[1]);
                    (void)a; (void)b;
                    SLOT(ws, t[2]) = a & b;
                }
                break;
            case 6: /* xor */
#pragma GCC unroll 4
                for (i = 0; i < n; i++, t += 3) {
                    const V a = SLOT(ws, t[0]), b = SLOT(ws, t[1]);
                    (void)a; (void)b;
                    SLOT(ws, t[2]) = a ^ b;
                }
                break;
            case 7: /* or */
#pragma GCC unroll 4
                for (i = 0; i < n; i++, t += 3) {
                    const V a = SLOT(ws, t[0]), b = SLOT(ws, t[1]);
                    (void)a; (void)b;
                    SLOT(ws, t[2]) = a | b;
                }
                break;
            case 23: /* c ? or(a, b) : false(a, b) */
                for (i = 0; i < n; i++, t += 4) {
                    const V a = SLOT(ws, t[0]), b = SLOT(ws, t[1]), c = SLOT(ws, t[2]);
                    (void)a; (void)b; (void)c;
                    SLOT(ws, t[3]) = TERNLOG_OR(a, b, c, 0xA8, (c & (a | b)) | (~c & (ZERO)));
                }
                break;
            default:
                break;
            }
        }
    }
}

/* ------------------------------------------------------------ class head */
/* Carry-save adder: hi = majority(a, b, c), lo = a ^ b ^ c.  With AVX-512 each is one vpternlogq
 * (GCC 12 turns the majority written with & and | into two); neg: b and c enter negated, which
 * the majority's truth table absorbs (and the 3-way xor ignores), so negated outputs cost nothing
 * extra.  (TERNLOG: see model.c.) */
#ifdef TERNLOG
static inline __attribute__((always_inline)) void csa_neg(V *hi, V *lo, V a, V b, V c, const int neg)
{
    *hi = neg ? TERNLOG(a, b, c, 0x71) : TERNLOG(a, b, c, 0xE8); /* maj(a, ~b, ~c) : maj(a, b, c) */
    *lo = TERNLOG(a, b, c, 0x96);
}
#else
static inline __attribute__((always_inline)) void csa_neg(V *hi, V *lo, V a, V b, V c, const int neg)
{
    if (neg) {
        b = ~b;
        c = ~c;
    }
    *hi = (a & b) | (a & c) | (b & c);
    *lo = a ^ b ^ c;
}
#endif
#define csa(hi, lo, a, b, c) csa_neg(hi, lo, a, b, c, 0)

/* Add word x at weight 2^j to a bit-sliced counter (ripple carry). */
static inline void add_at(V *cnt, int j, V x)
{
#pragma GCC unroll 32
    for (; j < CNT_BITS; j++) {
        const V carry = cnt[j] & x;
        cnt[j] ^= x;
        x = carry;
    }
}

/* cnt += popcount of n output words (each negated if neg): a Harley-Seal carry-save tree over 16 words
 * at a time, so the ripple-carry add into the counter runs once per 16 words, not per 8
 * (the add costs more than the tree: 3 operations per counter bit above the tree's).  With the
 * counter in a local copy (registers) and the extract below, the class head of the 10-class
 * mnist model took ~10.5k instead of ~14.5k TSC cycles per 512 samples (AVX-512). */
static inline __attribute__((always_inline)) void count_into(V *cnt_out, const V *ws, const idx_t *s, size_t n, const int neg)
{
    V cnt[CNT_BITS]; /* a local copy the compiler keeps in registers (not stored back per add) */
    V ones = ZERO, twos = ZERO, fours = ZERO, eights = ZERO, ta, tb, fa, fb, ea, eb, sixteens;
    size_t i = 0;
    int j;
    for (j = 0; j < CNT_BITS; j++) cnt[j] = cnt_out[j];
#define IN2(k) SLOT(ws, s[k]), SLOT(ws, s[k + 1]), neg
    for (; i + 16 <= n; i += 16, s += 16) {
        csa_neg(&ta, &ones, ones, IN2(0));
        csa_neg(&tb, &ones, ones, IN2(2));
        csa(&fa, &twos, twos, ta, tb);
        csa_neg(&ta, &ones, ones, IN2(4));
        csa_neg(&tb, &ones, ones, IN2(6));
        csa(&fb, &twos, twos, ta, tb);
        csa(&ea, &fours, fours, fa, fb);
        csa_neg(&ta, &ones, ones, IN2(8));
        csa_neg(&tb, &ones, ones, IN2(10));
        csa(&fa, &twos, twos, ta, tb);
        csa_neg(&ta, &ones, ones, IN2(12));
        csa_neg(&tb, &ones, ones, IN2(14));
        csa(&fb, &twos, twos, ta, tb);
        csa(&eb, &fours, fours, fa, fb);
        csa(&sixteens, &eights, eights, ea, eb);
        add_at(cnt, 4, sixteens);
    }
#undef IN2
    for (; i < n; i++, s++) add_at(cnt, 0, SLOT(ws, *s) ^ (neg ? ONES : ZERO));
    add_at(cnt, 0, ones);
    add_at(cnt, 1, twos);
    add_at(cnt, 2, fours);
    add_at(cnt, 3, eights);
    for (j = 0; j < CNT_BITS; j++) cnt_out[j] = cnt[j];
}

/* Per-sample integers from bit planes: out[s * stride] = value of sample s + add.  Eight
 * samples at a time: each plane's byte of 8 sample bits is spread into 8 bytes, so one
 * shift-or per plane builds 8 values' bytes at once (n_planes <= 32: int32 values). */
static void extract(const V *planes, int n_planes, int32_t add, int32_t *out, size_t stride, size_t n_valid)
{
    const int n_bytes = (n_planes + 7) / 8;
    size_t s, k;
    int j;
    for (s = 0; s < n_valid; s += 8) {
        uint64_t acc[4] = {0, 0, 0, 0};
        for (j = 0; j < n_planes; j++)
            acc[j >> 3] |= spread8((planes[j][s >> 6] >> (s & 63)) & 0xFF) << (j & 7);
        for (k = 0; k < 8 && s + k < n_valid; k++) {
            uint32_t v = 0;
            for (j = 0; j < n_bytes; j++) v |= (uint32_t)((acc[j] >> (8 * k)) & 0xFF) << (8 * j);
            out[(s + k) * stride] = (int32_t)v + add;
        }
    }
}

/* Counter of class c (cnt[CNT_BITS]); *s walks cls_out_tab class by class. */
static void count_class(int c, V *cnt, const V *ws, const idx_t **s)
{
    const int32_t n_plain = cls_tab.w[3 * c], n_neg = cls_tab.w[3 * c + 1], init = cls_tab.w[3 * c + 2];
    int j;
    for (j = 0; j < CNT_BITS; j++) cnt[j] = ((init >> j) & 1) ? ONES : ZERO;
    count_into(cnt, ws, *s, (size_t)n_plain, 0);
    count_into(cnt, ws, *s + n_plain, (size_t)n_neg, 1);
    *s += n_plain + n_neg;
}

/* Bit-sliced argmax over the class counters; a later class wins only if strictly greater. */
ENGINE void head_classes(const V *ws, int32_t *out, size_t n_valid)
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

ENGINE void head_scores(const V *ws, V *cnts, int32_t *out, size_t n_valid)
{
    const idx_t *s = cls_out_tab.w;
    int c;
    for (c = 0; c < N_CLASSES; c++) {
        count_class(c, cnts, ws, &s);
        extract(cnts, CNT_BITS, MIN_OFFSET, out + c, N_CLASSES, n_valid);
    }
}

#endif

#if LGCC_PART != 1
/* ---------------------------------------------------------- input packing */
/* Rows -> bit-sliced words, in two steps over a block of 64*LANES rows, 64 inputs at a time.
 * 1. Row masks: the 64 input bytes of chunk q of a row become one uint64 (bit k = input
 *    64q+k) with a mask instruction per SIMD vector (AVX-512BW: vptestmb; AVX2/SSE2: shift
 *    bit 0 to the sign bit, then vpmovmskb; otherwise a multiply gathers 8 bytes' low bits).
 *    Rows are read front to back, once, so the hardware prefetcher streams them.
 *    Rows already packed 8 inputs per byte (numpy.packbits order) skip this step.
 * 2. Transpose: a 64x64 bit-matrix transpose (6 swap stages), vectorized across the
 *    LANES lanes (lane j = rows 64j..64j+63), turns the 64 row masks into the words of
 *    64 inputs.  Words past the last input land in spare slots that no gate reads. */
#define PACKED_BYTES ((N_INPUTS + 7) / 8) /* bytes of a row packed 8 inputs per byte */
/* uint64s between the masks of two chunks: one 64-byte line more than 64 rows' worth, so the
 * N_Q masks of one row fall into different cache sets (a power-of-two stride aliases). */
#define Q_STRIDE (64 * LANES + 8)
/* Mask instructions through the compiler builtins that the intrinsics headers wrap
 * (vpmovmskb: the same name in GCC and Clang): including <immintrin.h> costs ~0.3 s of
 * parsing per build. */
typedef char VQ64 __attribute__((vector_size(64)));
typedef char VQ32 __attribute__((vector_size(32)));
typedef char VQ16 __attribute__((vector_size(16)));
typedef uint64_t VW32 __attribute__((vector_size(32)));
typedef uint64_t VW16 __attribute__((vector_size(16)));

/* How row_mask64 reads 64 bytes: 3 AVX-512BW (GCC), 2 AVX2, 1 SSE2, 0 plain uint64. */
#if !defined(LGCC_PORTABLE) && defined(__AVX512BW__) && !defined(__clang__)
#define ROW_MASK_PATH 3
typedef VQ64 row_or_t; /* the OR of every vector of row bytes read, per path */
#elif !defined(LGCC_PORTABLE) && defined(__AVX2__)
#define ROW_MASK_PATH 2
typedef VW32 row_or_t;
#elif !defined(LGCC_PORTABLE) && defined(__SSE2__)
#define ROW_MASK_PATH 1
typedef VW16 row_or_t;
#else
#define ROW_MASK_PATH 0
typedef uint64_t row_or_t;
#endif

/* Bit k of the result = bit 0 of p[k], k < 64.  The bytes read are also ORed into *seen, which
 * not_bits checks once per block: a byte other than 0 or 1 is an error, found at the cost of one
 * OR per vector read (mnist model, AVX-512, 512 rows in cache: a separate test per 64 bytes cost
 * ~3 ns per row, 7%; in Python, a pass of numpy over the rows cost ~28 ns per row, a third). */
static inline uint64_t row_mask64(const uint8_t *p, row_or_t *seen)
{
#if ROW_MASK_PATH == 3
    VQ64 v; /* vptestmb: one instruction for 64 bytes (GCC's builtin; Clang takes the AVX2 path) */
    memcpy(&v, p, 64);
    *seen |= v;
    return (uint64_t)__builtin_ia32_ptestmb512(v, (VQ64){0} + 1, ~0ull);
#elif ROW_MASK_PATH == 2
    VW32 lo, hi; /* shift each byte's bit 0 up to its sign bit (bits crossing bytes are ignored) */
    memcpy(&lo, p, 32);
    memcpy(&hi, p + 32, 32);
    *seen |= lo | hi;
    return (uint64_t)(uint32_t)__builtin_ia32_pmovmskb256((VQ32)(lo << 7))
         | (uint64_t)(uint32_t)__builtin_ia32_pmovmskb256((VQ32)(hi << 7)) << 32;
#elif ROW_MASK_PATH == 1
    uint64_t m = 0;
    int k;
    for (k = 0; k < 4; k++) {
        VW16 v;
        memcpy(&v, p + 16 * k, 16);
        *seen |= v;
        m |= (uint64_t)(uint16_t)__builtin_ia32_pmovmskb128((VQ16)(v << 7)) << (16 * k);
    }
    return m;
#else
    /* (u & 0x01..01) * 0x0102040810204080: byte k's bit 0 lands on bit 56 + k, no carries. */
    uint64_t m = 0, u;
    int k;
    for (k = 0; k < 8; k++) {
        memcpy(&u, p + 8 * k, 8);
        *seen |= u;
        m |= (((u & 0x0101010101010101ull) * 0x0102040810204080ull) >> 56) << (8 * k);
    }
    return m;
#endif
}

/* Whether a byte ORed into seen (see row_mask64) was neither 0 nor 1: any bit but bit 0 set. */
static inline int not_bits(row_or_t seen)
{
    uint64_t w[sizeof seen / 8], any = 0;
    size_t k;
    memcpy(w, &seen, sizeof seen);
    for (k = 0; k < sizeof seen / 8; k++) any |= w[k];
    return (any & 0xFEFEFEFEFEFEFEFEull) != 0;
}

/* The inverse of row_mask64: byte k of p[0..63] = bit k of m (0 or 1). */
static inline void mask_row64(uint64_t m, uint8_t *p)
{
#if !defined(LGCC_PORTABLE) && defined(__AVX512BW__) && !defined(__clang__)
    const VQ64 v = __builtin_ia32_cvtmask2b512(m) & ((VQ64){0} + 1); /* vpmovm2b: 0xFF per set bit */
    memcpy(p, &v, 64);
#else
    int k;
    for (k = 0; k < 8; k++) {
        const uint64_t bytes = spread8((m >> (8 * k)) & 0xFF);
        memcpy(p + 8 * k, &bytes, 8);
    }
#endif
}

/* Swap the bits of a with bit J of their position set and the bits of b with it clear. */
#define SWAP_BITS(a, b, J, M) do { const V t_ = (((a) >> (J)) ^ (b)) & (M); (b) ^= t_; (a) ^= t_ << (J); } while (0)

/* Three transpose stages (block sizes 4J, 2J, J bits) on the 8 words x[0], x[D], ..., x[7D]
 * (D = J / (bit distance per element)), held in registers. */
static inline void swap_stages3(V *x, size_t d, int j, uint64_t m4, uint64_t m2, uint64_t m1)
{
    V y[8];
    int i;
    for (i = 0; i < 8; i++) y[i] = x[(size_t)i * d];
    for (i = 0; i < 4; i++) SWAP_BITS(y[i], y[i + 4], 4 * j, ZERO + m4);
    for (i = 0; i < 8; i += (i & 1) ? 3 : 1) SWAP_BITS(y[i], y[i + 2], 2 * j, ZERO + m2);
    for (i = 0; i < 8; i += 2) SWAP_BITS(y[i], y[i + 1], j, ZERO + m1);
    for (i = 0; i < 8; i++) x[(size_t)i * d] = y[i];
}

/* x[p] bit r <-> x[r] bit p in every lane: a 64x64 bit transpose in six swap stages, done as
 * two passes of three (words 8 apart, then neighbours), so each word is loaded twice, not six times. */
static void transpose64(V *x)
{
    size_t g;
    for (g = 0; g < 8; g++) swap_stages3(x + g, 8, 8, 0x00000000FFFFFFFFull, 0x0000FFFF0000FFFFull, 0x00FF00FF00FF00FFull);
    for (g = 0; g < 64; g += 8) swap_stages3(x + g, 1, 1, 0x0F0F0F0F0F0F0F0Full, 0x3333333333333333ull, 0x5555555555555555ull);
}

/* Row masks of one row: masks[q * Q_STRIDE + slot] for every chunk q (always inlined: as a
 * call from load_block's two loops, packed rows took ~4% longer).  A partial last
 * chunk is read as the last whole chunk's worth of bytes ending at the row's end, shifted
 * down, so no byte past the row is read and no copy is needed.  *seen: see row_mask64 (not
 * for packed rows, whose bytes hold 8 bits each). */
static inline __attribute__((always_inline)) void row_masks(const uint8_t *row, int packed, uint64_t *masks, size_t slot,
                                                            row_or_t *seen)
{
    size_t q;
    if (packed) {
        uint64_t u = 0;
        for (q = 0; 8 * q + 8 <= PACKED_BYTES; q++) { /* not q < PACKED_BYTES / 8: -Wtype-limits when 0 */
            memcpy(&u, row + 8 * q, 8);
            masks[q * Q_STRIDE + slot] = u;
        }
        if (PACKED_BYTES % 8 && PACKED_BYTES >= 8) {
            memcpy(&u, row + PACKED_BYTES - 8, 8);
            masks[q * Q_STRIDE + slot] = u >> (8 * (8 - PACKED_BYTES % 8) % 64); /* % 64: no warning where dead */
        } else if (PACKED_BYTES % 8) {
            u = 0;
            memcpy(&u, row, PACKED_BYTES % 8);
            masks[q * Q_STRIDE + slot] = u;
        }
        return;
    }
    for (q = 0; 64 * q + 64 <= N_INPUTS; q++) masks[q * Q_STRIDE + slot] = row_mask64(row + 64 * q, seen);
    if (N_INPUTS % 64 && N_INPUTS >= 64) {
        masks[q * Q_STRIDE + slot] = row_mask64(row + N_INPUTS - 64, seen) >> ((64 - N_INPUTS % 64) % 64);
    } else if (N_INPUTS % 64) { /* fewer than 64 inputs */
        uint8_t tail[64] = {0};
        memcpy(tail, row, N_INPUTS % 64);
        masks[q * Q_STRIDE + slot] = row_mask64(tail, seen);
    }
}



#if !defined(LGCC_PORTABLE) && defined(__AVX512BW__) && VBYTES == 64 && defined(__GNUC__) && __GNUC__ >= 8 && !defined(__clang__) \
    && !defined(LGCC_NO_GFNI)
#define HAVE_GFNI_TRANSPOSE 1
/* The transpose in half the instructions where the CPU has GFNI and AVX512-VBMI (checked at
 * run time: the library still runs on any AVX-512BW CPU; GCC 8 and later, whose builtins it uses).  A two-word byte permutation
 * (vpermt2b) does in one instruction what a shift-and-mask swap does in five, and one
 * vgf2p8affineqb transposes the 8x8 bit matrix in each 64-bit lane.  In each lane, with row
 * r = 8g + i and input p = 8b + j (bytes g, b; bits i, j): the rows of each g swap i with
 * byte b (three permute stages, rows taken in reverse order to undo the flip of the next step),
 * vgf2p8affineqb swaps byte i with bit j, then the words of each b swap g with byte j.
 * Measured on the 784-input mnist model (AVX-512, Zen 4, 2,048 rows in cache): the
 * transposes took 3.8 instead of 7.1 ns per row. */

/* vpermt2b indexes (0..63: first word, 64..127: second) of the stage that swaps word bit s
 * with byte bit s: [s][0] is the new first word, [s][1] the new second. */
static const VQ64 byte_perm[3][2] = {
    {{0, 64, 2, 66, 4, 68, 6, 70, 8, 72, 10, 74, 12, 76, 14, 78, 16, 80, 18, 82, 20, 84, 22, 86, 24, 88, 26, 90, 28, 92, 30, 94, 32, 96, 34, 98, 36, 100, 38, 102, 40, 104, 42, 106, 44, 108, 46, 110, 48, 112, 50, 114, 52, 116, 54, 118, 56, 120, 58, 122, 60, 124, 62, 126},
     {1, 65, 3, 67, 5, 69, 7, 71, 9, 73, 11, 75, 13, 77, 15, 79, 17, 81, 19, 83, 21, 85, 23, 87, 25, 89, 27, 91, 29, 93, 31, 95, 33, 97, 35, 99, 37, 101, 39, 103, 41, 105, 43, 107, 45, 109, 47, 111, 49, 113, 51, 115, 53, 117, 55, 119, 57, 121, 59, 123, 61, 125, 63, 127}},
    {{0, 1, 64, 65, 4, 5, 68, 69, 8, 9, 72, 73, 12, 13, 76, 77, 16, 17, 80, 81, 20, 21, 84, 85, 24, 25, 88, 89, 28, 29, 92, 93, 32, 33, 96, 97, 36, 37, 100, 101, 40, 41, 104, 105, 44, 45, 108, 109, 48, 49, 112, 113, 52, 53, 116, 117, 56, 57, 120, 121, 60, 61, 124, 125},
     {2, 3, 66, 67, 6, 7, 70, 71, 10, 11, 74, 75, 14, 15, 78, 79, 18, 19, 82, 83, 22, 23, 86, 87, 26, 27, 90, 91, 30, 31, 94, 95, 34, 35, 98, 99, 38, 39, 102, 103, 42, 43, 106, 107, 46, 47, 110, 111, 50, 51, 114, 115, 54, 55, 118, 119, 58, 59, 122, 123, 62, 63, 126, 127}},
    {{0, 1, 2, 3, 64, 65, 66, 67, 8, 9, 10, 11, 72, 73, 74, 75, 16, 17, 18, 19, 80, 81, 82, 83, 24, 25, 26, 27, 88, 89, 90, 91, 32, 33, 34, 35, 96, 97, 98, 99, 40, 41, 42, 43, 104, 105, 106, 107, 48, 49, 50, 51, 112, 113, 114, 115, 56, 57, 58, 59, 120, 121, 122, 123},
     {4, 5, 6, 7, 68, 69, 70, 71, 12, 13, 14, 15, 76, 77, 78, 79, 20, 21, 22, 23, 84, 85, 86, 87, 28, 29, 30, 31, 92, 93, 94, 95, 36, 37, 38, 39, 100, 101, 102, 103, 44, 45, 46, 47, 108, 109, 110, 111, 52, 53, 54, 55, 116, 117, 118, 119, 60, 61, 62, 63, 124, 125, 126, 127}}
};

/* 8x8 byte transpose in every 64-bit lane of z[0..7]: byte k of word w <-> byte w of word k. */
__attribute__((target("avx512vbmi,gfni"))) static inline void byte_transpose8(VQ64 *z)
{
    int s, k;
    for (s = 0; s < 3; s++)
        for (k = 0; k < 8; k++)
            if (!(k & (1 << s))) {
                const VQ64 a = z[k], b = z[k + (1 << s)];
                z[k] = __builtin_ia32_vpermt2varqi512_mask(byte_perm[s][0], a, b, ~0ull);
                z[k + (1 << s)] = __builtin_ia32_vpermt2varqi512_mask(byte_perm[s][1], a, b, ~0ull);
            }
}

/* transpose64 of the masks x[0..63] into out[p ^ flip] (x is overwritten). */
__attribute__((target("avx512vbmi,gfni"))) static void transpose64_gfni(V *x, V *out, int flip)
{
    const VQ64 eye = (VQ64)(ZERO + 0x8040201008040201ull); /* byte k = 1 << k */
    VQ64 z[8];
    int g, b, k;
    for (g = 0; g < 8; g++) {
        for (k = 0; k < 8; k++) z[k] = (VQ64)x[8 * g + 7 - k];
        byte_transpose8(z);
        for (b = 0; b < 8; b++) x[8 * g + b] = (V)__builtin_ia32_vgf2p8affineqb_v64qi(eye, z[b], 0);
    }
    for (b = 0; b < 8; b++) {
        for (g = 0; g < 8; g++) z[g] = (VQ64)x[8 * g + b];
        byte_transpose8(z);
        for (k = 0; k < 8; k++) out[(8 * b + k) ^ flip] = (V)z[k];
    }
}
#endif

/* transpose64 of x[0..63] into out[p ^ flip] (x is overwritten), the GFNI way where the CPU can. */
static void transpose64_to(V *x, V *out, int flip)
{
    int p;
#ifdef HAVE_GFNI_TRANSPOSE
    if (__builtin_cpu_supports("gfni") && __builtin_cpu_supports("avx512vbmi")) {
        transpose64_gfni(x, out, flip);
        return;
    }
#endif
    transpose64(x);
    for (p = 0; p < 64; p++) out[p ^ flip] = x[p];
}

/* Step 2: transpose each chunk's masks into input words ws[2 + input]; packed rows hold
 * input 8c+b in bit 7-b of byte c, so word p of a packed chunk is input p ^ 7. */
static void transpose_masks(uint64_t *masks, int packed, V *ws)
{
    size_t q;
    for (q = 0; q < N_Q; q++) transpose64_to((V *)(masks + q * Q_STRIDE), ws + 2 + 64 * q, packed ? 7 : 0);
}

/* ------------------------------------------------------- output unpacking */
/* Raw output bits as bytes, row-major (out[s * N_OUTPUTS + o], s < n_valid): the input
 * transpose the other way round.  The words of 64 outputs are transposed, so word s of lane j
 * holds the 64 output bits of sample 64 j + s, which mask_row64 turns into 64 bytes of the
 * sample's row.  A loop per output and sample (each byte written N_OUTPUTS bytes from the last)
 * took ~4x longer: 3,100 against 750-850 ns per row (mnist model, 4,000 outputs, 65,536 rows,
 * AVX-512; most of what is left is writing 4 KB per row into fresh pages). */
static void raw_outputs(const V *ws, uint8_t *out, size_t n_valid)
{
    V x[64], y[64];
    size_t o0, s;
    int k, lane;
    for (o0 = 0; o0 < N_OUTPUTS; o0 += 64) {
        const size_t n_o = N_OUTPUTS - o0 < 64 ? N_OUTPUTS - o0 : 64;
        for (k = 0; k < 64; k++)
            x[k] = (size_t)k < n_o ? SLOT(ws, out_tab.w[o0 + (size_t)k]) ^ (outneg_tab.w[o0 + (size_t)k] ? ONES : ZERO)
                                   : ZERO;
        transpose64_to(x, y, 0);
        for (lane = 0; lane < LANES; lane++)
            for (s = 0; s < 64 && 64 * (size_t)lane + s < n_valid; s++) {
                uint8_t *row = out + (64 * (size_t)lane + s) * N_OUTPUTS + o0;
                if (n_o == 64) {
                    mask_row64(y[s][lane], row);
                } else {
                    uint8_t tail[64];
                    mask_row64(y[s][lane], tail);
                    memcpy(row, tail, n_o);
                }
            }
    }
}

/* ------------------------------------------------------------- batch jobs */
enum { IN_BITS, IN_FEATURES, IN_SLICED, IN_PACKED, IN_FEATURES_F64 };
enum { OUT_CLASSES, OUT_SCORES, OUT_OUTPUTS, OUT_WORDS };

typedef struct {
    int in_kind, out_kind;
    const void *in;
    size_t n;         /* rows, or words per input for sliced input */
    size_t n_samples; /* rows, or 64 * words */
    void *out;
    size_t blocks;    /* blocks of BLOCK samples in the batch */
    size_t share;     /* blocks per thread (decides whether input rows are prefetched) */
    size_t chunk;     /* blocks a thread claims at a time */
    size_t *claimed;  /* shared by the threads: blocks [0, *claimed) are taken */
    int bad_rows;     /* a byte of the rows of bits was neither 0 nor 1 */
    int rc;
#ifdef LGCC_PHASE_TIMES
    double phase[3];  /* seconds in the block steps: input, gates, output (head or raw outputs) */
#endif
} job_t;

#ifdef LGCC_PHASE_TIMES
/* Diagnostic builds only (-DLGCC_PHASE_TIMES, benchmarks/c_backend.py): the seconds each step
 * of the block loop took, summed over threads and calls until the caller zeroes them.  A global,
 * so not for concurrent calls; the default build has none of this. */
double five_phase_seconds[3];
static double phase_clock(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}
#define PHASE(job, k, step)                        \
    do {                                           \
        const double t0_ = phase_clock();          \
        step;                                      \
        (job)->phase[k] += phase_clock() - t0_;    \
    } while (0)
#else
#define PHASE(job, k, step) step
#endif

/* A thread's share of the input above which it is prefetched (see next_input): 3 MB of uint8
 * rows, 8/3 of that (8 MB) of packed rows, 1 MB of bit-sliced words. */
#ifndef PREFETCH_MIN_BYTES
#define PREFETCH_MIN_BYTES ((size_t)3 << 20)
#endif
#define PREFETCH_MIN_PACKED_BYTES (PREFETCH_MIN_BYTES / 3 * 8)
#ifndef PREFETCH_MIN_SLICED_BYTES
#define PREFETCH_MIN_SLICED_BYTES ((size_t)1 << 20)
#endif

/* Work (estimated ns) that a thread must get for its start to pay: starting one (~25 us until it
 * runs on the 2-vCPU VM this was measured on), its workspace and its cold caches.  mnist model,
 * AVX-512, 2 threads against 1, medians of 150 interleaved calls with join_worker below and no
 * limit: 2 blocks 0.67x, 4 blocks 0.89x, 6 blocks 1.22x; so 2 threads from 6 blocks on (3 per
 * thread, ~60 us).  -DLGCC_MIN_THREAD_NS=0 starts every thread asked for (the tests use that). */
#ifndef LGCC_MIN_THREAD_NS
#define LGCC_MIN_THREAD_NS 60000
#endif
/* A block's cost in ns, roughly: an instruction per gate step (a wider vector, more bytes of slots
 * through the caches), the packing of BLOCK rows of bits, a carry-save step per output.  It runs
 * low (mnist model: 21 us estimated against 28 us measured with AVX-512, 1.6-1.7x low with narrower
 * vectors; feature rows cost more still), so a batch may run on fewer threads than would pay, never
 * more.  In unsigned long long: no wrap where size_t has 32 bits. */
#define BLOCK_NS (1ull * N_INSTRUCTIONS * (VBYTES + 32) / 64 + 1ull * N_INPUTS * BLOCK / 64 + N_OUTPUTS + 1)
#define MIN_THREAD_BLOCKS ((size_t)(1ull * LGCC_MIN_THREAD_NS / BLOCK_NS + 1)) /* blocks per thread, at least */

/* Block blk's input into ws[2 ..]; returns whether a byte of rows of bits was neither 0 nor 1. */
static int load_block(const job_t *job, size_t blk, V *ws, uint64_t *masks)
{
    row_or_t seen;
    const uint8_t *rows[LANES] = {0}; /* set before use; initialized for -Wmaybe-uninitialized */
    const int packed = job->in_kind == IN_PACKED;
    const size_t row_bytes = packed ? PACKED_BYTES : N_INPUTS;
    const size_t n_valid = job->n_samples - blk * BLOCK < BLOCK ? job->n_samples - blk * BLOCK : BLOCK;
    size_t i;
    int r, lane;
    if (job->in_kind == IN_SLICED) {
        const uint64_t *words = (const uint64_t *)job->in;
        if ((blk + 1) * LANES <= job->n) { /* a whole vector per input: one copy each */
            for (i = 0; i < N_INPUTS; i++) memcpy(&ws[2 + i], words + i * job->n + blk * LANES, sizeof(V));
            return 0;
        }
        for (i = 0; i < N_INPUTS; i++)
            for (lane = 0; lane < LANES; lane++) {
                const size_t w = blk * LANES + (size_t)lane;
                ws[2 + i][lane] = w < job->n ? words[i * job->n + w] : 0;
            }
        return 0;
    }
    memset(&seen, 0, sizeof seen);
    if (n_valid < BLOCK) { /* the batch's last block: masks of the rows past its end are 0, not computed */
        memset(masks, 0, N_Q * Q_STRIDE * sizeof(uint64_t)); /* (one row: mnist model, 5.3 -> 1.5 us) */
        for (i = 0; i < n_valid; i++)
            row_masks((const uint8_t *)job->in + (blk * BLOCK + i) * row_bytes, packed, masks, (i % 64) * LANES + i / 64,
                      &seen);
        transpose_masks(masks, packed, ws);
        return not_bits(seen);
    }
    /* Row r of every lane in turn (rows r, 64 + r, ...): LANES sequential read streams, and
     * each step fills whole 64-byte lines of the mask buffer (one per chunk). */
    for (r = 0; r < 64; r++) {
        for (lane = 0; lane < LANES; lane++)
            rows[lane] = (const uint8_t *)job->in + (blk * BLOCK + 64 * (size_t)lane + (size_t)r) * row_bytes;
        for (lane = 0; lane < LANES; lane++) row_masks(rows[lane], packed, masks, (size_t)r * LANES + (size_t)lane, &seen);
    }
    transpose_masks(masks, packed, ws);
    return not_bits(seen);
}

static void store_block(const job_t *job, size_t blk, const V *ws, V *cnts)
{
    const size_t s0 = blk * BLOCK;
    const size_t n_valid = job->n_samples - s0 < BLOCK ? job->n_samples - s0 : BLOCK;
    if (job->out_kind == OUT_OUTPUTS) {
        raw_outputs(ws, (uint8_t *)job->out + s0 * N_OUTPUTS, n_valid);
        return;
    }
    if (job->out_kind == OUT_WORDS) { /* sliced input only: job->n words per input and per output */
        size_t o;
        int lane;
        for (o = 0; o < N_OUTPUTS; o++) {
            const V w = SLOT(ws, out_tab.w[o]) ^ (outneg_tab.w[o] ? ONES : ZERO);
            uint64_t *row = (uint64_t *)job->out + o * job->n;
            for (lane = 0; lane < LANES && blk * LANES + (size_t)lane < job->n; lane++) row[blk * LANES + (size_t)lane] = w[lane];
        }
        return;
    }
    if (job->out_kind == OUT_CLASSES)
        head_classes(ws, (int32_t *)job->out + s0, n_valid);
    else
        head_scores(ws, cnts, (int32_t *)job->out + s0 * N_CLASSES, n_valid);
    (void)cnts;
}

/* What to prefetch of block next's input while this block's gates run (no lines: nothing).
 * Rows of bits or packed bits, only when a thread's share of them is too big to stay in L2.
 * Measured on the mnist model (AVX-512, ns per row, best of 30 calls): uint8 rows, 8,192 of
 * them (6.4 MB): 59 prefetched, 82 not; 4,096 rows: 69 and 90; 2,048 rows (1.6 MB, mostly in
 * L2): prefetching costs ~5%.  Packed rows are read in short streams that the hardware
 * prefetches well: at 6.4 MB, prefetching them cost ~6%.  Bit-sliced words, a line per input
 * (two when the block's words straddle lines) at the stride of an input's words: strides the
 * hardware does not follow. */
static prefetch_t next_input(const job_t *job, size_t next)
{
    prefetch_t pf = {NULL, 0, 64, 0};
    if (next >= job->blocks) return pf;
    if (job->in_kind == IN_SLICED) {
        const uint64_t *first = (const uint64_t *)job->in + next * LANES;
        if (job->share * N_INPUTS * LANES * sizeof(uint64_t) < PREFETCH_MIN_SLICED_BYTES || (next + 1) * LANES > job->n)
            return pf;
        pf.p = (const char *)first;
        pf.lines = N_INPUTS;
        pf.stride = job->n * sizeof(uint64_t);
        pf.span = ((uintptr_t)first % 64 || pf.stride % 64) && VBYTES > 8 ? VBYTES - 1 : 0;
    } else if (job->in_kind == IN_BITS || job->in_kind == IN_PACKED) {
        const size_t row_bytes = job->in_kind == IN_PACKED ? PACKED_BYTES : N_INPUTS;
        const size_t min_bytes = job->in_kind == IN_PACKED ? PREFETCH_MIN_PACKED_BYTES : PREFETCH_MIN_BYTES;
        const size_t row0 = next * BLOCK, row1 = row0 + BLOCK < job->n_samples ? row0 + BLOCK : job->n_samples;
        if (job->share * BLOCK * row_bytes < min_bytes) return pf;
        pf.p = (const char *)job->in + row0 * row_bytes;
        pf.lines = ((row1 - row0) * row_bytes + 63) / 64;
    }
    return pf;
}

/* The first block of the next chunk of blocks no thread has taken yet (job->blocks when none is
 * left).  Threads take chunks as they go rather than a fixed share each, so a thread that the
 * machine slows down (a busy core, a shared vCPU) leaves its work to the others. */
static size_t claim(const job_t *job)
{
    const size_t first = __atomic_fetch_add(job->claimed, job->chunk, __ATOMIC_RELAXED);
    return first < job->blocks ? first : job->blocks;
}

static void *run_job(void *arg)
{
    job_t *job = (job_t *)arg;
    const size_t n_ws = N_SLOTS + 64; /* spare slots absorb the padded input columns */
    const size_t n_cnt = (size_t)(N_CLASSES > 0 ? N_CLASSES : 1) * CNT_BITS;
    void *mem = NULL;
    V *ws, *cnts;
    uint64_t *masks;
    size_t blk, end, next;
    /* masks: the transpose's input, then (features only) the masks in row order and a row of floats */
    const size_t n_masks = N_Q * Q_STRIDE + (HAS_ENCODING ? N_Q * BLOCK + (N_FEATURES + 1) / 2 : 0);
    if (posix_memalign(&mem, 64, (n_ws + n_cnt) * sizeof(V) + n_masks * sizeof(uint64_t)) != 0) {
        job->rc = five_ERR_NOMEM;
        return NULL;
    }
    ws = (V *)mem;
    cnts = ws + n_ws;
    masks = (uint64_t *)(cnts + n_cnt);
    ws[0] = ZERO;
    ws[1] = ONES;
    /* The next chunk is taken when the last block of this one starts, so that its first
     * block's input can be prefetched while this one is evaluated.  (One loop, one call of
     * each step: nested loops made GCC copy the packing code, and part 2 took twice as long
     * to compile.) */
    for (blk = claim(job), end = blk + job->chunk; blk < job->blocks; blk = next) {
        next = blk + 1;
        if (next >= end) {
            next = claim(job);
            end = next + job->chunk;
        }
        PHASE(job, 0, job->bad_rows |= load_block(job, blk, ws, masks));
        PHASE(job, 1, eval_gates(ws, next_input(job, next)));
        PHASE(job, 2, store_block(job, blk, ws, cnts));
    }
    free(mem);
    job->rc = five_OK;
    return NULL;
}

/* Join a worker without sleeping while it finishes its last block: the caller has no block
 * left to take, and waking from pthread_join's sleep cost ~10-25 us per call on the 2-vCPU VM
 * this was measured on (2 threads of 30 us of work each, medians: 67-72 us with this loop, 79-96
 * us with pthread_join).  sched_yield, not a busy loop, so a worker waiting for this core runs.
 * At most JOIN_SPIN_NS, then the plain join; glibc only (pthread_tryjoin_np). */
#define JOIN_SPIN_NS 200000LL
static void join_worker(pthread_t tid)
{
#if defined(__GLIBC__) && defined(__USE_GNU) /* __USE_GNU: glibc declared its GNU extensions */
    struct timespec t0, t;
    int rc;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do {
        rc = pthread_tryjoin_np(tid, NULL);
        if (rc == 0) return;
        if (rc != EBUSY) break;
        sched_yield();
        clock_gettime(CLOCK_MONOTONIC, &t);
    } while ((long long)(t.tv_sec - t0.tv_sec) * 1000000000LL + (t.tv_nsec - t0.tv_nsec) < JOIN_SPIN_NS);
#endif
    pthread_join(tid, NULL);
}

/* Check arguments, then run the batch's blocks on up to t threads (see claim).  noinline: a
 * copy in each of the many entry points only made part 2 slower to compile. */
static __attribute__((noinline)) int run(int in_kind, int out_kind, const void *in, size_t n, void *out, int n_threads)
{
    const size_t in_size = in_kind == IN_BITS ? N_INPUTS : in_kind == IN_PACKED ? PACKED_BYTES
                         : in_kind == IN_FEATURES ? N_FEATURES * sizeof(float)
                         : in_kind == IN_FEATURES_F64 ? N_FEATURES * sizeof(double) : N_INPUTS * sizeof(uint64_t);
    const size_t out_size = out_kind == OUT_CLASSES ? sizeof(int32_t)
                          : out_kind == OUT_SCORES ? N_CLASSES * sizeof(int32_t)
                          : out_kind == OUT_WORDS ? (N_OUTPUTS + 7) / 8 : N_OUTPUTS; /* bytes per sample */
    size_t n_samples, blocks, i, t, claimed;
    job_t *jobs;
    pthread_t *tids;
    int *started, rc = five_OK;
    if (in == NULL || out == NULL) return five_ERR_NULL;
    if (n == 0) return five_ERR_NO_ROWS;
    if (n_threads < 0) return five_ERR_THREADS;
    if ((out_kind == OUT_CLASSES || out_kind == OUT_SCORES) && !HAS_HEAD) return five_ERR_NO_HEAD;
    if ((in_kind == IN_FEATURES || in_kind == IN_FEATURES_F64) && !HAS_ENCODING) return five_ERR_NO_ENCODING;
    if (in_kind == IN_SLICED && n > SIZE_MAX / 64) return five_ERR_OVERFLOW;
    n_samples = in_kind == IN_SLICED ? 64 * n : n;
    if ((in_size && n > SIZE_MAX / in_size) || (out_size && n_samples > SIZE_MAX / out_size)
        || n_samples > SIZE_MAX - BLOCK)
        return five_ERR_OVERFLOW;
    blocks = (n_samples + BLOCK - 1) / BLOCK;
    t = n_threads ? (size_t)n_threads : DEFAULT_THREADS;
    if (t > MAX_THREADS) t = MAX_THREADS;
    if (t > blocks / MIN_THREAD_BLOCKS) /* no more threads than the batch keeps busy (so none without a block) */
        t = blocks / MIN_THREAD_BLOCKS > 1 ? blocks / MIN_THREAD_BLOCKS : 1;
    jobs = (job_t *)calloc(t, sizeof(job_t));
    tids = (pthread_t *)calloc(t, sizeof(pthread_t));
    started = (int *)calloc(t, sizeof(int));
    if (jobs == NULL || tids == NULL || started == NULL) {
        free(jobs);
        free(tids);
        free(started);
        return five_ERR_NOMEM;
    }
    claimed = 0;
    for (i = 0; i < t; i++) {
        job_t *j = &jobs[i];
        j->in_kind = in_kind;
        j->out_kind = out_kind;
        j->in = in;
        j->n = n;
        j->n_samples = n_samples;
        j->out = out;
        j->blocks = blocks;
        j->share = (blocks + t - 1) / t;
        /* One chunk for one thread; with more, chunks of ~1/64 of a share: small enough that the
         * threads finish within a few blocks of each other, big enough to stream rows. */
        j->chunk = t == 1 ? blocks : (j->share + 63) / 64;
        j->claimed = &claimed;
        j->rc = five_OK;
    }
    for (i = 1; i < t; i++) started[i] = pthread_create(&tids[i], NULL, run_job, &jobs[i]) == 0;
    run_job(&jobs[0]); /* threads that could not start leave their share to the others */
    for (i = 1; i < t; i++)
        if (started[i]) join_worker(tids[i]);
    for (i = 0; i < t; i++)
        if (jobs[i].bad_rows) rc = five_ERR_NOT_BITS;
    /* A thread that cannot allocate its workspace takes no blocks; the call fails only when
     * some block was left undone. */
    if (claimed < blocks)
        for (i = 0; i < t; i++)
            if (jobs[i].rc != five_OK && rc == five_OK) rc = jobs[i].rc;
#ifdef LGCC_PHASE_TIMES
    for (i = 0; i < t; i++) {
        int k;
        for (k = 0; k < 3; k++) five_phase_seconds[k] += jobs[i].phase[k];
    }
#endif
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
    case five_ERR_NOT_BITS: return "a byte of the rows of bits is neither 0 nor 1";
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

int five_predict_packed(const uint8_t *packed, size_t n, int32_t *classes, int n_threads)
{
    return run(IN_PACKED, OUT_CLASSES, packed, n, classes, n_threads);
}
int five_scores_packed(const uint8_t *packed, size_t n, int32_t *scores, int n_threads)
{
    return run(IN_PACKED, OUT_SCORES, packed, n, scores, n_threads);
}
int five_outputs_packed(const uint8_t *packed, size_t n, uint8_t *outputs, int n_threads)
{
    return run(IN_PACKED, OUT_OUTPUTS, packed, n, outputs, n_threads);
}

int five_predict_features_f64(const double *features, size_t n, int32_t *classes, int n_threads)
{
    return run(IN_FEATURES_F64, OUT_CLASSES, features, n, classes, n_threads);
}
int five_scores_features_f64(const double *features, size_t n, int32_t *scores, int n_threads)
{
    return run(IN_FEATURES_F64, OUT_SCORES, features, n, scores, n_threads);
}
int five_outputs_features_f64(const double *features, size_t n, uint8_t *outputs, int n_threads)
{
    return run(IN_FEATURES_F64, OUT_OUTPUTS, features, n, outputs, n_threads);
}

int five_outputs_words(const uint64_t *words, size_t n, uint64_t *outputs, int n_threads)
{
    return run(IN_SLICED, OUT_WORDS, words, n, outputs, n_threads);
}


#endif