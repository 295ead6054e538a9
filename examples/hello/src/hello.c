#include <stdio.h>

int main(int argc, char **argv) {
  printf("Hello from eka! (hello %s)\n", HELLO_VERSION);
  for (int i = 1; i < argc; i++) printf("arg %d: %s\n", i, argv[i]);
  return 0;
}
