/* sig_bench: CPU time of one Ed25519 signature and one verification, the
 * way the daemon makes them (identity_sign, identity_verify: libsodium,
 * with OpenSSL deciding what libsodium refuses) against OpenSSL 3 alone
 * (what identity.c did before libsodium).
 *
 *	sig_bench [N]
 *
 * N operations of each kind (default 20,000) over 400-byte messages (a
 * typical record body), timed with CLOCK_PROCESS_CPUTIME_ID so that other
 * processes on a shared machine do not count. The last line is
 * machine-readable:
 *
 *	RESULT sign_us=... verify_us=... openssl_sign_us=... openssl_verify_us=...
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/identity.h"

#define MSG_LEN 400

static double
cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	uint8_t seed[IDENTITY_SEED_LEN] = { 7 }, (*msg)[MSG_LEN], (*sig)[TESS_SIG_LEN];
	struct identity *id = NULL;
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 20000;
	double t0, us[4];
	int bad = 0;

	if (n < 1 || n > 10000000) {
		fprintf(stderr, "usage: sig_bench [N], 1 <= N <= 10000000\n");
		return 2;
	}
	if (identity_from_seed(seed, &id, NULL) != 0) {
		fprintf(stderr, "sig_bench: no identity\n");
		return 1;
	}
	msg = calloc((size_t)n, sizeof(*msg));
	sig = calloc((size_t)n, sizeof(*sig));
	if (msg == NULL || sig == NULL) {
		fprintf(stderr, "sig_bench: out of memory\n");
		return 1;
	}
	for (long i = 0; i < n; i++)
		for (size_t j = 0; j < MSG_LEN; j++)
			msg[i][j] = (uint8_t)((i * 131 + (long)j * 7) & 0xff);

	t0 = cpu_s();
	for (long i = 0; i < n; i++)
		bad += identity_sign(id, msg[i], MSG_LEN, sig[i]) != 0;
	us[0] = (cpu_s() - t0) * 1e6 / (double)n;
	t0 = cpu_s();
	for (long i = 0; i < n; i++)
		bad += identity_verify(id->pub, msg[i], MSG_LEN, sig[i]) != 0;
	us[1] = (cpu_s() - t0) * 1e6 / (double)n;
	t0 = cpu_s();
	for (long i = 0; i < n; i++)
		bad += identity_openssl_sign(id, msg[i], MSG_LEN, sig[i]) != 0;
	us[2] = (cpu_s() - t0) * 1e6 / (double)n;
	t0 = cpu_s();
	for (long i = 0; i < n; i++)
		bad += identity_openssl_verify(id->pub, msg[i], MSG_LEN, sig[i]) != 0;
	us[3] = (cpu_s() - t0) * 1e6 / (double)n;

	printf("%ld signatures and verifications of %d-byte messages, CPU time per operation:\n",
	    n, MSG_LEN);
	printf("  identity_sign    %7.1f us   (OpenSSL alone %7.1f us)\n", us[0], us[2]);
	printf("  identity_verify  %7.1f us   (OpenSSL alone %7.1f us)\n", us[1], us[3]);
	printf("RESULT sign_us=%.1f verify_us=%.1f openssl_sign_us=%.1f openssl_verify_us=%.1f\n",
	    us[0], us[1], us[2], us[3]);
	free(msg);
	free(sig);
	identity_free(id);
	if (bad != 0) {
		fprintf(stderr, "sig_bench: %d operations failed\n", bad);
		return 1;
	}
	return 0;
}
