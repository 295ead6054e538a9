/* cjson-fmt: reads a JSON document (a file, or stdin), prints it formatted (or with -m minified)
 * and exits 0; on a parse error it names the line, column and byte offset where cJSON stopped
 * and exits 1. -p PTR prints the value at RFC 6901 JSON pointer PTR (cJSON_Utils). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cJSON.h"
#include "cJSON_Utils.h"

static char *slurp(FILE *f, size_t *n) {
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  size_t got;
  if (!buf) return NULL;
  while ((got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
    len += got;
    if (cap - len - 1 == 0) {
      char *grown = realloc(buf, cap *= 2);
      if (!grown) { free(buf); return NULL; }
      buf = grown;
    }
  }
  buf[len] = '\0';
  *n = len;
  return buf;
}

int main(int argc, char **argv) {
  int minify = 0, i;
  const char *path = NULL, *pointer = NULL;
  FILE *in = stdin;
  size_t len;
  char *text, *out;
  const char *end = NULL;
  cJSON *doc, *value;

  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-m") == 0) minify = 1;
    else if (strcmp(argv[i], "-p") == 0 && i + 1 < argc) pointer = argv[++i];
    else if (argv[i][0] == '-' && argv[i][1] != '\0') {
      fprintf(stderr, "usage: cjson-fmt [-m] [-p POINTER] [FILE]\n");
      return 2;
    } else path = argv[i];
  }
  if (path && !(in = fopen(path, "rb"))) { perror(path); return 2; }
  text = slurp(in, &len);
  if (in != stdin) fclose(in);
  if (!text) { fprintf(stderr, "cjson-fmt: out of memory\n"); return 2; }

  doc = cJSON_ParseWithLengthOpts(text, len + 1, &end, 1);
  if (!doc) {
    size_t off = end ? (size_t)(end - text) : 0, line = 1, col = 1, k;
    for (k = 0; k < off; k++) {
      if (text[k] == '\n') { line++; col = 1; } else col++;
    }
    fprintf(stderr, "%s:%zu:%zu: parse error at byte %zu\n", path ? path : "<stdin>", line, col, off);
    free(text);
    return 1;
  }
  value = pointer ? cJSONUtils_GetPointer(doc, pointer) : doc;
  if (!value) {
    fprintf(stderr, "cjson-fmt: no value at %s\n", pointer);
    cJSON_Delete(doc); free(text);
    return 1;
  }
  out = minify ? cJSON_PrintUnformatted(value) : cJSON_Print(value);
  puts(out);
  cJSON_free(out);
  cJSON_Delete(doc);
  free(text);
  return 0;
}
