/* Force-included into the xz tool's sources (see atom.toml): the POSIX calls src/xz/file_io.c makes that WASI
   does not have, each given the meaning it has on a system with one user and no pipes.
   - WASI has no users, owners or permission bits: xz copies the input's owner and mode to the
     output and warns (making its exit status 2) when that fails; here fchown and fchmod succeed
     without doing anything, and geteuid says no one is root. The times are still copied.
   - WASI has no pipe(): xz makes a self-pipe that its signal handlers write to so that poll()
     wakes up; no signal ever arrives on WASI, so the pipe's ends are -1, which poll() skips, and
     the fcntl() that makes them non-blocking succeeds on them without doing anything. */
#include "config.h" /* first, as sysdefs.h has it: the feature macros decide what the headers declare */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#define fchown(fd, uid, gid) 0
#define fchmod(fd, mode) 0
#define geteuid() 1000

static inline int xz_wasi_pipe(int fds[2]) {
  fds[0] = fds[1] = -1;
  return 0;
}
#define pipe xz_wasi_pipe

static inline int xz_wasi_fcntl(int fd, int cmd, ...) {
  if (fd < 0) return 0;
  if (cmd != F_SETFL) return fcntl(fd, cmd);
  va_list ap;
  va_start(ap, cmd);
  int flags = va_arg(ap, int);
  va_end(ap);
  return fcntl(fd, cmd, flags);
}
#define fcntl xz_wasi_fcntl
