/* config.h for PCRE2 10.42 on wasm32-wasip1 (wasi-libc), written by hand from
   src/config.h.generic: 8-bit library with Unicode, no JIT, upstream's limits. */

#define SUPPORT_PCRE2_8 1
#define SUPPORT_UNICODE 1
#define PCRE2_STATIC 1

/* No SUPPORT_JIT: sljit emits native machine code at run time; WebAssembly cannot map and jump
   to generated code, and sljit has no wasm back end. */

#define HAVE_ATTRIBUTE_UNINITIALIZED 1
#define HAVE_DIRENT_H 1
#define HAVE_INTTYPES_H 1
#define HAVE_LIMITS_H 1
#define HAVE_MEMMOVE 1
#define HAVE_STDINT_H 1
#define HAVE_STDIO_H 1
#define HAVE_STDLIB_H 1
#define HAVE_STRERROR 1
#define HAVE_STRINGS_H 1
#define HAVE_STRING_H 1
#define HAVE_SYS_STAT_H 1
#define HAVE_SYS_TYPES_H 1
#define HAVE_UNISTD_H 1
#define HAVE_WCHAR_H 1
#define STDC_HEADERS 1

/* pcre2grep: callouts that only print are on; SUPPORT_PCRE2GREP_CALLOUT_FORK (running a program
   from a callout) is off because WASI has no fork/exec (and no sys/wait.h). No libz or libbz2
   for reading compressed files. */
#define SUPPORT_PCRE2GREP_CALLOUT 1
#define PCRE2GREP_BUFSIZE 20480
#define PCRE2GREP_MAX_BUFSIZE 1048576

#define HEAP_LIMIT 20000000
#define LINK_SIZE 2
#define MATCH_LIMIT 10000000
#define MATCH_LIMIT_DEPTH MATCH_LIMIT
#define MAX_NAME_COUNT 10000
#define MAX_NAME_SIZE 32
#define NEWLINE_DEFAULT 2
#define PARENS_NEST_LIMIT 250

#define PACKAGE "pcre2"
#define PACKAGE_BUGREPORT ""
#define PACKAGE_NAME "PCRE2"
#define PACKAGE_STRING "PCRE2 10.42"
#define PACKAGE_TARNAME "pcre2"
#define PACKAGE_URL ""
#define PACKAGE_VERSION "10.42"
#define VERSION "10.42"
