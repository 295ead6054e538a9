/* sys/resource.h for pcre2test on WASI, which has no resource limits: wasi-libc's own header is
   only an #error. pcre2test includes it for -S (set the stack size), which here always fails
   with ENOSYS ("pcre2test: setting stack size ... failed"). */
#ifndef PCRE2_PORT_SYS_RESOURCE_H
#define PCRE2_PORT_SYS_RESOURCE_H
#include <errno.h>

typedef unsigned long long rlim_t;
struct rlimit { rlim_t rlim_cur, rlim_max; };
#define RLIMIT_STACK 3

static inline int getrlimit(int resource, struct rlimit *r) {
  (void)resource;
  r->rlim_cur = r->rlim_max = ~(rlim_t)0;
  return 0;
}
static inline int setrlimit(int resource, const struct rlimit *r) {
  (void)resource; (void)r;
  errno = ENOSYS;
  return -1;
}
#endif
