/* A small SQLite shell: `sqlite DB SQL…` runs each SQL argument against DB (a file in the
   current directory, or :memory:) and prints result rows with '|' between columns. Without SQL
   arguments it runs what stdin holds. */
#include <stdio.h>
#include <stdlib.h>
#include "sqlite3.h"

static int print_row(void *unused, int n, char **values, char **names) {
  (void)unused;
  (void)names;
  for (int i = 0; i < n; i++) printf("%s%s", i ? "|" : "", values[i] ? values[i] : "NULL");
  printf("\n");
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s DB [SQL...]   (no SQL: read it from stdin)\n  e.g. %s :memory: 'select sqlite_version();'\n", argv[0], argv[0]);
    return 2;
  }
  sqlite3 *db;
  if (sqlite3_open(argv[1], &db) != SQLITE_OK) {
    fprintf(stderr, "cannot open %s: %s\n", argv[1], sqlite3_errmsg(db));
    return 1;
  }
  int status = 0;
  for (int i = 2; i < argc && status == 0; i++) {
    char *err = NULL;
    if (sqlite3_exec(db, argv[i], print_row, NULL, &err) != SQLITE_OK) {
      fprintf(stderr, "error: %s\n", err ? err : "?");
      sqlite3_free(err);
      status = 1;
    }
  }
  if (argc == 2) {
    size_t len = 0, cap = 4096;
    char *sql = malloc(cap);
    size_t n;
    while (sql && (n = fread(sql + len, 1, cap - len - 1, stdin)) > 0) {
      len += n;
      if (cap - len < 2) sql = realloc(sql, cap *= 2);
    }
    if (!sql) return 1;
    sql[len] = 0;
    char *err = NULL;
    if (len == 0) printf("SQLite %s\n", sqlite3_libversion());
    else if (sqlite3_exec(db, sql, print_row, NULL, &err) != SQLITE_OK) {
      fprintf(stderr, "error: %s\n", err ? err : "?");
      sqlite3_free(err);
      status = 1;
    }
    free(sql);
  }
  sqlite3_close(db);
  return status;
}
