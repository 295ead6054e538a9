/*
 * mkalltypes: writes musl's bits/alltypes.h from alltypes.h.in files, the transformation that
 * musl's tools/mkalltypes.sed performs with sed (the build sandbox has no sed). Each line
 *   TYPEDEF <type> <name>;     STRUCT <name> <body>;     UNION <name> <body>;
 * becomes a block defining it once, when a header asked for it with __NEED_<name>
 * (__NEED_struct_<name>, __NEED_union_<name>); every other line is copied as it is.
 *
 *   mkalltypes -o OUT IN...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void guard(FILE *out, const char *kind, const char *name, const char *decl) {
  fprintf(out, "#if defined(__NEED_%s%s) && !defined(__DEFINED_%s%s)\n%s\n#define __DEFINED_%s%s\n#endif\n\n",
          kind, name, kind, name, decl, kind, name);
}

/* TYPEDEF <type> <name>; : the name is the last word before the final ';'. */
static int typedef_line(FILE *out, char *rest) {
  size_t n = strlen(rest);
  if (n < 2 || rest[n - 1] != ';') return 0;
  rest[n - 1] = '\0';
  char *sp = strrchr(rest, ' ');
  if (!sp || sp == rest) { rest[n - 1] = ';'; return 0; }
  *sp = '\0';
  char decl[4096];
  snprintf(decl, sizeof decl, "typedef %s %s;", rest, sp + 1);
  guard(out, "", sp + 1, decl);
  return 1;
}

/* STRUCT <name> <body>; and UNION <name> <body>; (one or more spaces before the name). */
static int aggregate_line(FILE *out, const char *keyword, char *rest) {
  size_t n = strlen(rest);
  if (rest[0] != ' ' || n < 2 || rest[n - 1] != ';') return 0;
  while (*rest == ' ') rest++;
  char *sp = strchr(rest, ' ');
  if (!sp) return 0;
  n = strlen(rest);
  rest[n - 1] = '\0';
  *sp = '\0';
  char kind[16], decl[4096];
  snprintf(kind, sizeof kind, "%s_", keyword);
  snprintf(decl, sizeof decl, "%s %s %s;", keyword, rest, sp + 1);
  guard(out, kind, rest, decl);
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 4 || strcmp(argv[1], "-o") != 0) {
    fprintf(stderr, "usage: mkalltypes -o OUT IN...\n");
    return 2;
  }
  FILE *out = fopen(argv[2], "w");
  if (!out) { perror(argv[2]); return 1; }
  char line[4096];
  for (int i = 3; i < argc; i++) {
    FILE *in = fopen(argv[i], "r");
    if (!in) { perror(argv[i]); return 1; }
    while (fgets(line, sizeof line, in)) {
      size_t n = strlen(line);
      int nl = n > 0 && line[n - 1] == '\n';
      if (nl) line[--n] = '\0';
      char copy[4096];
      memcpy(copy, line, n + 1);
      int done = 0;
      if (strncmp(line, "TYPEDEF ", 8) == 0) done = typedef_line(out, line + 8);
      else if (strncmp(line, "STRUCT", 6) == 0) done = aggregate_line(out, "struct", line + 6);
      else if (strncmp(line, "UNION", 5) == 0) done = aggregate_line(out, "union", line + 5);
      if (!done) fprintf(out, "%s%s", copy, nl ? "\n" : "");
    }
    fclose(in);
  }
  return fclose(out) == 0 ? 0 : 1;
}
