/* Shared by the fuzz targets and the seed generator. */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>

struct identity;

/* libFuzzer's entry points (declared here for -Wmissing-prototypes). */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An Ed25519 identity from a fixed seed, the same in every run, so that seed
 * records signed by it keep verifying when the fuzzer re-signs mutations.
 * No certificate; never freed (lives as long as the process). */
const struct identity *fuzz_identity(void);

/* Signs body as a record of the fuzz identity ("tessera-record-v1" || body),
 * as any author can sign any bytes, valid or not. Returns 0 or negative. */
int fuzz_sign_body(const uint8_t *body, size_t len, uint8_t sig[64]);

/* Reads n bytes so that the sanitizers check them, and keeps the compiler
 * from dropping the reads. */
void fuzz_touch(const void *p, size_t n);
/* The same for a C string (NULL allowed). */
void fuzz_touch_str(const char *s);

#endif
