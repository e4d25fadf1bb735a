/* libmicrohttpd, loaded when the first HTTP endpoint starts rather than
 * with the daemon: it brings GnuTLS and seven more libraries (p11-kit,
 * nettle, gmp...) whose relocated pages cost every node about 2.4 MB of
 * resident memory although most run without metrics or web view
 * (docs/benchmarks.md, "Idle RSS"). mhd_lib.c defines the MHD_* functions
 * the daemon calls, each forwarding to the library's own. */
#ifndef MHD_LIB_H
#define MHD_LIB_H

/* Loads the library (once; later calls return at once): 0, or negative
 * with *cause naming the library and dlerror(). Call before MHD_start_daemon. */
int mhd_lib_load(char **cause);

#endif
