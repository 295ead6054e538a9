/* Force-included into bzip2recover.c (see atom.toml); two mends for wasi-libc (musl).
   bzip2recover prints its 64-bit block offsets with "%Lu", which glibc reads as unsigned long long
   but musl rejects as an invalid conversion, cutting the line short: this fprintf rewrites "%Lu"
   to "%llu" and passes the rest through unchanged.
   At end of input bzip2recover calls it a read error if errno is non-zero, trusting that nothing
   else set it; wasi-libc's fopen of each output file leaves ENOTTY behind (its terminal check is
   an ioctl that sets errno), so getc starts each read from errno 0. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int bz_recover_fprintf(FILE *f, const char *fmt, ...) {
  char buf[1024]; /* longer than any of bzip2recover's formats */
  size_t n = 0;
  for (const char *p = fmt; *p && n + 2 < sizeof buf; p++) {
    if (p[0] == '%' && p[1] == 'L' && p[2] == 'u') {
      memcpy(buf + n, "%ll", 3);
      n += 3;
      p++;
    } else {
      buf[n++] = *p;
    }
  }
  buf[n] = 0;
  va_list ap;
  va_start(ap, fmt);
  int r = vfprintf(f, buf, ap);
  va_end(ap);
  return r;
}
#define fprintf bz_recover_fprintf

static int bz_recover_getc(FILE *f) {
  errno = 0;
  return (getc)(f);
}
#define getc bz_recover_getc
