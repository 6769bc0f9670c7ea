/* classify: run a model compiled by `lgcc compile --target c` on a file of samples.
 *
 * Usage: classify SAMPLES.txt [THREADS]
 *   SAMPLES.txt holds one sample per line: n_inputs characters '0'/'1' (other characters
 *   such as spaces are ignored).  Prints the predicted class of each sample, one per line.
 * Build (see Makefile): cc -O2 -I OUTDIR classify.c OUTDIR/libmodel.a -lpthread -o classify
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "model.h"

static int fail(const char *what)
{
    fprintf(stderr, "classify: %s\n", what);
    return 2;
}

int main(int argc, char **argv)
{
    const size_t n_in = lgcc_n_inputs();
    size_t cap = 1024, n = 0, col = 0, i;
    uint8_t *bits;
    int32_t *classes;
    int c, rc, threads = argc > 2 ? atoi(argv[2]) : 0;
    FILE *f;
    if (argc < 2) return fail("usage: classify SAMPLES.txt [THREADS]");
    if ((f = fopen(argv[1], "r")) == NULL) return fail("cannot open the samples file");
    if ((bits = malloc(cap * n_in + 1)) == NULL) return fail("out of memory");
    while ((c = fgetc(f)) != EOF) {
        if (c == '0' || c == '1') {
            if (col == n_in) return fail("a line has more bits than the model has inputs");
            if (n == cap) {
                uint8_t *more = realloc(bits, 2 * cap * n_in + 1);
                if (more == NULL) return fail("out of memory");
                bits = more;
                cap *= 2;
            }
            bits[n * n_in + col++] = (uint8_t)(c - '0');
        } else if (c == '\n' && col > 0) {
            if (col != n_in) return fail("a line has fewer bits than the model has inputs");
            n++;
            col = 0;
        }
    }
    fclose(f);
    if (col == n_in) n++;
    else if (col != 0) return fail("the last line has fewer bits than the model has inputs");
    if ((classes = malloc((n ? n : 1) * sizeof *classes)) == NULL) return fail("out of memory");
    rc = lgcc_predict_bits(bits, n, classes, threads);
    if (rc != lgcc_OK) return fail(lgcc_strerror(rc));
    for (i = 0; i < n; i++) printf("%d\n", (int)classes[i]);
    free(bits);
    free(classes);
    return 0;
}
