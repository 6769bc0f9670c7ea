/* classify: run a model compiled by `lgcc compile --target c` on a file of samples.
 *
 * Usage: classify SAMPLES.txt [THREADS]
 *        classify -f FEATURES.txt [THREADS]
 *   SAMPLES.txt holds one sample per line: n_inputs characters '0'/'1' (other characters
 *   such as spaces are ignored).  With -f (models with an input encoding, e.g. trained by
 *   `lgcc train`), FEATURES.txt holds one sample per line: n_features numbers separated by
 *   spaces, tabs or commas (a CSV without a header), and the model's thresholds turn them
 *   into bits.  Prints the predicted class of each sample, one per line.
 * Build (see Makefile): cc -O2 -I OUTDIR classify.c OUTDIR/libmodel.a -lpthread -o classify
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

static int fail(const char *what)
{
    fprintf(stderr, "classify: %s\n", what);
    return 2;
}

/* Room for one more row of `width` values of `size` bytes in *buf (capacity *cap rows); 0 when out of memory. */
static int grow(void **buf, size_t *cap, size_t n, size_t width, size_t size)
{
    void *more;
    if (n < *cap) return 1;
    more = realloc(*buf, 2 * *cap * width * size + 1);
    if (more == NULL) return 0;
    *buf = more;
    *cap *= 2;
    return 1;
}

/* Rows of '0'/'1' characters -> n rows of n_in bytes in *out; 0 on success, else an exit code. */
static int read_bits(FILE *f, size_t n_in, uint8_t **out, size_t *n_rows)
{
    size_t cap = 1024, n = 0, col = 0;
    void *bits = malloc(cap * n_in + 1); /* void *: grow() reallocates it */
    int c;
    if (bits == NULL) return fail("out of memory");
    while ((c = fgetc(f)) != EOF) {
        if (c == '0' || c == '1') {
            if (col == n_in) return fail("a line has more bits than the model has inputs");
            if (!grow(&bits, &cap, n, n_in, 1)) return fail("out of memory");
            ((uint8_t *)bits)[n * n_in + col++] = (uint8_t)(c - '0');
        } else if (c == '\n' && col > 0) {
            if (col != n_in) return fail("a line has fewer bits than the model has inputs");
            n++;
            col = 0;
        }
    }
    if (col == n_in) n++;
    else if (col != 0) return fail("the last line has fewer bits than the model has inputs");
    *out = (uint8_t *)bits;
    *n_rows = n;
    return 0;
}

/* Lines of n_feat numbers -> n rows of n_feat floats in *out; 0 on success, else an exit code. */
static int read_features(FILE *f, size_t n_feat, float **out, size_t *n_rows)
{
    size_t cap = 1024, n = 0, col;
    void *x = malloc(cap * n_feat * sizeof(float) + 1);
    char line[1 << 16];
    if (x == NULL) return fail("out of memory");
    while (fgets(line, sizeof line, f) != NULL) {
        char *p = line, *end;
        if (strchr(line, '\n') == NULL && !feof(f)) return fail("a line is longer than 65,535 characters");
        for (col = 0;; col++) {
            float v;
            p += strspn(p, " \t,\r\n");
            if (*p == '\0') break;
            v = strtof(p, &end);
            if (end == p) return fail("a line holds something that is not a number");
            if (col == n_feat) return fail("a line has more numbers than the model has features");
            if (!grow(&x, &cap, n, n_feat, sizeof(float))) return fail("out of memory");
            ((float *)x)[n * n_feat + col] = v;
            p = end;
        }
        if (col == 0) continue; /* blank line */
        if (col != n_feat) return fail("a line has fewer numbers than the model has features");
        n++;
    }
    *out = (float *)x;
    *n_rows = n;
    return 0;
}

int main(int argc, char **argv)
{
    const int features = argc > 1 && strcmp(argv[1], "-f") == 0;
    const char *path = argc > 1 + features ? argv[1 + features] : NULL;
    const int threads = argc > 2 + features ? atoi(argv[2 + features]) : 0;
    uint8_t *bits = NULL;
    float *x = NULL;
    size_t n = 0, i;
    int32_t *classes;
    int rc;
    FILE *f;
    if (path == NULL) return fail("usage: classify SAMPLES.txt [THREADS] | classify -f FEATURES.txt [THREADS]");
    if (features && lgcc_n_features() == 0) return fail("-f: this model has no input encoding; give rows of bits");
    if ((f = fopen(path, "r")) == NULL) return fail("cannot open the samples file");
    rc = features ? read_features(f, lgcc_n_features(), &x, &n) : read_bits(f, lgcc_n_inputs(), &bits, &n);
    fclose(f);
    if (rc != 0) return rc;
    if ((classes = malloc((n ? n : 1) * sizeof *classes)) == NULL) return fail("out of memory");
    rc = features ? lgcc_predict_features(x, n, classes, threads) : lgcc_predict_bits(bits, n, classes, threads);
    if (rc != lgcc_OK) return fail(lgcc_strerror(rc));
    for (i = 0; i < n; i++) printf("%d\n", (int)classes[i]);
    free(bits);
    free(x);
    free(classes);
    return 0;
}
