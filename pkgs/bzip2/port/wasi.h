/* Force-included into bzip2.c (see atom.toml). WASI has no file owners and no permission bits
   (wasi-libc's fchmod fails with ENOSYS): bzip2 copies the input's mode and owner to the output
   after compressing and bails out if that fails, so on WASI both are no-ops that succeed. The
   modification time is still copied (utime is path_filestat_set_times). The headers come first
   so that fchmod's own declaration is not rewritten by the macro. */
#include <sys/stat.h>
#include <unistd.h>
#define fchown(fd, uid, gid) 0
#define fchmod(fd, mode) 0
