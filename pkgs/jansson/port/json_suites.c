/* json_suites: upstream's suite harness (test/bin/json_process.c) run over many test directories
   in one process, as CMake's `json_process DIR` and `json_process --strip DIR` would run them one
   process each. With --strip, each directory without a `nostrip` file is also run stripped, as
   CMake does for the valid and invalid suites. Prints "ok"/"FAIL" per directory and variant;
   exits 1 if any failed. */
#include <string.h>
#include <unistd.h>

#define main json_process_main
#include "../jansson/test/bin/json_process.c"
#undef main

int main(int argc, char *argv[]) {
  int i, strip, with_strip = 0, failed = 0;
  char marker[1024];
  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--strip") == 0) {
      with_strip = 1;
      continue;
    }
    snprintf(marker, sizeof marker, "%s/nostrip", argv[i]);
    for (strip = 0; strip <= (with_strip && access(marker, F_OK) != 0); strip++) {
      int ret;
      memset(&conf, 0, sizeof conf);
      conf.strip = strip;
      ret = use_conf(argv[i]);
      printf("%s %s%s\n", ret == 0 ? "ok" : "FAIL", argv[i], strip ? " (strip)" : "");
      if (ret != 0) failed = 1;
    }
  }
  return failed;
}
