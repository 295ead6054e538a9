/* WASI has no users, so wasi-libc has no <pwd.h>. jq's util.c asks for the home directory's
 * passwd entry only when $HOME is unset; here there is none, and jq reports "Could not find
 * home directory." as it does for a user without an entry. */
#ifndef JQ_WASI_PWD_H
#define JQ_WASI_PWD_H
#include <stddef.h>

struct passwd {
  char *pw_dir;
};

#define getuid() 0
static inline struct passwd *getpwuid(int uid) {
  (void)uid;
  return NULL;
}
#endif
