/* programs/config.h for libdeflate 1.14 on wasm32-wasip1, written by hand in place of the one
   scripts/detect.sh writes: the features it would find in wasi-libc. */
#ifndef LIBDEFLATE_PROGRAMS_CONFIG_H
#define LIBDEFLATE_PROGRAMS_CONFIG_H

/* gzip copies the input's times to the output: futimens is fd_filestat_set_times. */
#define HAVE_FUTIMENS 1
#define HAVE_STAT_NANOSECOND_PRECISION 1
#define HAVE_POSIX_FADVISE 1
#define HAVE_CLOCK_GETTIME 1
/* Not HAVE_POSIX_MADVISE: wasi-libc's mmap is an emulation (a copy read into memory; see
   atom.toml), so there are no pages to advise about. */

#endif
