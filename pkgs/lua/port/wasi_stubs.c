/* The two C library functions Lua's standard library calls that wasi-libc lacks, as failures
   Lua already reports: WASI cannot run a program (os.execute() is false, os.execute(cmd) fails
   with "Function not implemented") and has no temporary directory (io.tmpfile() returns nil and
   the error). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

int system(const char *command) {
  if (command == NULL) return 0; /* no shell */
  errno = ENOSYS;
  return -1;
}

FILE *tmpfile(void) {
  errno = ENOSYS;
  return NULL;
}
