/* expat_config.h for wasm32-wasip1 (wasi-libc), written by hand in place of configure's. */
#ifndef EXPAT_CONFIG_H
#define EXPAT_CONFIG_H 1

#define BYTEORDER 1234

/* Hash salt entropy: wasi-libc's arc4random_buf reads WASI random_get. It has no getrandom(2)
   and no /dev/urandom, so HAVE_GETRANDOM and XML_DEV_URANDOM stay off. */
#define HAVE_ARC4RANDOM_BUF 1

#define HAVE_FCNTL_H 1
#define HAVE_INTTYPES_H 1
#define HAVE_MEMORY_H 1
#define HAVE_STDINT_H 1
#define HAVE_STDLIB_H 1
#define HAVE_STRINGS_H 1
#define HAVE_STRING_H 1
#define HAVE_SYS_STAT_H 1
#define HAVE_SYS_TYPES_H 1
#define HAVE_UNISTD_H 1
#define STDC_HEADERS 1

/* No HAVE_MMAP: WASI has no mmap, so xmlwf reads files with read(2) (readfilemap.c). */

#define PACKAGE "expat"
#define PACKAGE_BUGREPORT "expat-bugs@libexpat.org"
#define PACKAGE_NAME "expat"
#define PACKAGE_STRING "expat 2.5.0"
#define PACKAGE_TARNAME "expat"
#define PACKAGE_URL ""
#define PACKAGE_VERSION "2.5.0"

/* Upstream's defaults: 1024 bytes of context, DTD and namespace support on. */
#define XML_CONTEXT_BYTES 1024
#define XML_DTD 1
#define XML_NS 1

#endif
