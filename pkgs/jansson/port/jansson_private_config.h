/* jansson_private_config.h for wasm32-wasip1 (wasi-libc), written by hand in place of
   configure's (cmake/jansson_private_config.h.cmake lists the same names). */
#define HAVE_ENDIAN_H 1
#define HAVE_FCNTL_H 1
#define HAVE_SCHED_H 1
#define HAVE_UNISTD_H 1
#define HAVE_SYS_PARAM_H 1
#define HAVE_SYS_STAT_H 1
#define HAVE_SYS_TIME_H 1
#define HAVE_SYS_TYPES_H 1
#define HAVE_STDINT_H 1
#define HAVE_CLOSE 1
#define HAVE_OPEN 1
#define HAVE_READ 1
#define HAVE_GETTIMEOFDAY 1
#define HAVE_SCHED_YIELD 1
#define HAVE_SYNC_BUILTINS 1
#define HAVE_ATOMIC_BUILTINS 1
#define HAVE_LOCALE_H 1
#define HAVE_SETLOCALE 1
#define HAVE_INT32_T 1
#define HAVE_UINT32_T 1
#define HAVE_UINT16_T 1
#define HAVE_UINT8_T 1
#define HAVE_SSIZE_T 1

/* Off for WASI: no HAVE_GETPID (wasi-libc has getpid only as an emulation behind
   -D_WASI_EMULATED_GETPID, and a process id is no entropy there) and no USE_URANDOM (there is no
   /dev/urandom). The hash table seed then comes from gettimeofday; objects keep their insertion
   order whatever the seed, so output does not depend on it. */

#define INITIAL_HASHTABLE_ORDER 3
