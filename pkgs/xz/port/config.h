/* config.h for xz 5.4.1 on wasm32-wasip1 (wasi-libc), written by hand in place of configure's:
   the answers configure would find for this target, with what WASI lacks turned off. */

#define PACKAGE "xz"
#define PACKAGE_NAME "XZ Utils"
#define PACKAGE_VERSION "5.4.1"
#define PACKAGE_STRING "XZ Utils 5.4.1"
#define PACKAGE_TARNAME "xz"
#define PACKAGE_BUGREPORT "xz@tukaani.org"
#define PACKAGE_URL "https://tukaani.org/xz/"
#define VERSION "5.4.1"

/* Every check, filter, match finder and the .lz decoder, as configure's defaults. */
#define HAVE_CHECK_CRC32 1
#define HAVE_CHECK_CRC64 1
#define HAVE_CHECK_SHA256 1
#define HAVE_DECODERS 1
#define HAVE_ENCODERS 1
#define HAVE_DECODER_ARM 1
#define HAVE_DECODER_ARM64 1
#define HAVE_DECODER_ARMTHUMB 1
#define HAVE_DECODER_DELTA 1
#define HAVE_DECODER_IA64 1
#define HAVE_DECODER_LZMA1 1
#define HAVE_DECODER_LZMA2 1
#define HAVE_DECODER_POWERPC 1
#define HAVE_DECODER_SPARC 1
#define HAVE_DECODER_X86 1
#define HAVE_ENCODER_ARM 1
#define HAVE_ENCODER_ARM64 1
#define HAVE_ENCODER_ARMTHUMB 1
#define HAVE_ENCODER_DELTA 1
#define HAVE_ENCODER_IA64 1
#define HAVE_ENCODER_LZMA1 1
#define HAVE_ENCODER_LZMA2 1
#define HAVE_ENCODER_POWERPC 1
#define HAVE_ENCODER_SPARC 1
#define HAVE_ENCODER_X86 1
#define HAVE_MF_BT2 1
#define HAVE_MF_BT3 1
#define HAVE_MF_BT4 1
#define HAVE_MF_HC3 1
#define HAVE_MF_HC4 1
#define HAVE_LZIP_DECODER 1

/* wasi-libc's headers and functions. */
#define STDC_HEADERS 1
#define HAVE_FCNTL_H 1
#define HAVE_GETOPT_H 1
#define HAVE_GETOPT_LONG 1
#define HAVE_INTTYPES_H 1
#define HAVE_LIMITS_H 1
#define HAVE_STDBOOL_H 1
#define HAVE_STDINT_H 1
#define HAVE_STDIO_H 1
#define HAVE_STDLIB_H 1
#define HAVE_STRINGS_H 1
#define HAVE_STRING_H 1
#define HAVE_SYS_PARAM_H 1
#define HAVE_SYS_STAT_H 1
#define HAVE_SYS_TIME_H 1
#define HAVE_SYS_TYPES_H 1
#define HAVE_UNISTD_H 1
#define HAVE_WCHAR_H 1
#define HAVE_UINTPTR_T 1
#define HAVE__BOOL 1
#define HAVE_MBRTOWC 1
#define HAVE_WCWIDTH 1
#define HAVE_CLOCK_GETTIME 1
#define HAVE_CLOCK_MONOTONIC 1
/* Copying the input's times to the output: futimens is fd_filestat_set_times. */
#define HAVE_FUTIMENS 1
#define HAVE_STRUCT_STAT_ST_ATIM_TV_NSEC 1
#define HAVE_POSIX_FADVISE 1
#define HAVE___BUILTIN_BSWAPXX 1
#define HAVE___BUILTIN_ASSUME_ALIGNED 1
#define HAVE_VISIBILITY 0
#define SIZEOF_SIZE_T 4

/* Turned off for WASI:
   - threads (MYTHREAD_POSIX): wasm32-wasip1 has none, so xz -T compresses on one thread and the
     multithreaded coders (stream_encoder_mt.c, stream_decoder_mt.c, outqueue.c) are not built;
   - the amount of RAM (TUKLIB_PHYSMEM_*) and of CPU cores (TUKLIB_CPUCORES_*): WASI cannot tell,
     so lzma_physmem() and lzma_cputhreads() answer 0 (unknown), which xz handles;
   - translations (ENABLE_NLS): no gettext in wasi-libc;
   - sandboxing (HAVE_CAPSICUM, HAVE_PLEDGE): FreeBSD and OpenBSD only. */

/* configure's AC_USE_SYSTEM_EXTENSIONS: wasi-libc shows sigset_t and friends only with these. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#ifndef _ALL_SOURCE
#define _ALL_SOURCE 1
#endif

/* What xz assumes when the amount of RAM cannot be found (always, on WASI): configure's default. */
#define ASSUME_RAM 128
