/* Force-included into libdeflate's gzip program (see atom.toml). WASI has no file owners and no
   permission bits (wasi-libc's fchmod fails with ENOSYS): gzip copies the input's mode and owner
   to the output and complains on every file when that fails, so on WASI both are no-ops that
   succeed. The times are still copied (futimens). The headers come first so that fchmod's own
   declaration is not rewritten by the macro. */
#include <sys/stat.h>
#include <unistd.h>
#define fchown(fd, uid, gid) 0
#define fchmod(fd, mode) 0
