/* Oniguruma's config.h for wasm32-wasip1, written by hand from src/config.h.cmake.in: what
 * ./configure or CMake finds on wasi-libc (a musl descendant), with wasm32's ILP32 sizes. */
#define HAVE_ALLOCA 1
#define HAVE_ALLOCA_H 1
#define HAVE_STDINT_H 1
#define HAVE_INTTYPES_H 1
#define HAVE_SYS_TYPES_H 1
#define HAVE_SYS_TIME_H 1
#define HAVE_UNISTD_H 1
/* Not HAVE_SYS_TIMES_H: wasi-libc's times() needs -D_WASI_EMULATED_PROCESS_CLOCKS, and Oniguruma
 * only uses it to time its own debug statistics. */

#define PACKAGE "onig"
#define PACKAGE_VERSION "6.9.8"
#define VERSION "6.9.8"

#define SIZEOF_INT 4
#define SIZEOF_LONG 4
#define SIZEOF_LONG_LONG 8
#define SIZEOF_VOIDP 4
