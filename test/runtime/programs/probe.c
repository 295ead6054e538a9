// A syscall probe for the runtime tests: `probe GROUP` runs one group of checks and prints one
// `name=value` line per check. Raw __wasi_* calls show the errno the host returns; libc calls show
// what a C program sees. The sandbox is preopened at fd 3 ("/sb"), a second fs at fd 4 ("/other").
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

#define SB 3
#define OTHER 4
#define R_ALL ((__wasi_rights_t)0x3fffffff)
// A directory is never opened with the write right (ISDIR, as wasmtime has it).
#define R_DIR (R_ALL & ~__WASI_RIGHTS_FD_WRITE)

__attribute__((import_module("wasi_snapshot_preview1"), import_name("proc_raise")))
uint16_t raw_proc_raise(uint8_t sig);

static void put(const char *name, long long v) { printf("%s=%lld\n", name, v); }

static int ropen(int dir, int follow, const char *path, int oflags, __wasi_rights_t rights, int fdflags, __wasi_fd_t *fd) {
  return __wasi_path_open(dir, follow ? __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW : 0, path, oflags, rights, R_ALL, fdflags, fd);
}

static int rwrite(int fd, const char *s) {
  __wasi_ciovec_t iov = {(const uint8_t *)s, strlen(s)};
  __wasi_size_t n;
  return __wasi_fd_write(fd, &iov, 1, &n);
}

static void make(const char *path, const char *content) {
  FILE *f = fopen(path, "w");
  fputs(content, f);
  fclose(f);
}

static void escape(void) {
  __wasi_fd_t fd;
  __wasi_filestat_t st;
  mkdir("/sb/sub", 0755);
  make("/sb/sub/in.txt", "inside");
  make("/sb/file.txt", "x");
  put("dotdot", ropen(SB, 1, "../outside.txt", 0, R_ALL, 0, &fd));
  put("dotdot_deep", ropen(SB, 1, "sub/../../outside.txt", 0, R_ALL, 0, &fd));
  put("dotdot_inside", ropen(SB, 1, "sub/../sub/in.txt", 0, R_ALL, 0, &fd));
  put("absolute", ropen(SB, 1, "/etc/passwd", 0, R_ALL, 0, &fd));
  put("mk_abs_link", __wasi_path_symlink("/etc/passwd", SB, "abs_link"));
  put("abs_link", ropen(SB, 1, "abs_link", 0, R_ALL, 0, &fd));
  put("abs_link_lstat", __wasi_path_filestat_get(SB, 0, "abs_link", &st));
  __wasi_path_symlink("../outside.txt", SB, "rel_link");
  put("rel_link", ropen(SB, 1, "rel_link", 0, R_ALL, 0, &fd));
  __wasi_path_symlink("c2", SB, "c1");
  __wasi_path_symlink("sub/../../outside.txt", SB, "c2");
  put("chain", ropen(SB, 1, "c1", 0, R_ALL, 0, &fd));
  put("chain_stat", __wasi_path_filestat_get(SB, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "c1", &st));
  __wasi_path_symlink("sub", SB, "dlink");
  put("dir_link_inside", ropen(SB, 1, "dlink/in.txt", 0, R_ALL, 0, &fd));
  put("dir_link_out", ropen(SB, 1, "dlink/../../outside.txt", 0, R_ALL, 0, &fd));
  __wasi_path_symlink("..", SB, "sub/up");
  put("up_link_inside", ropen(SB, 1, "sub/up/file.txt", 0, R_ALL, 0, &fd));
  put("up_link_out", ropen(SB, 1, "sub/up/../x", 0, R_ALL, 0, &fd));
  put("create_through_out", ropen(SB, 1, "rel_link", __WASI_OFLAGS_CREAT, R_ALL, 0, &fd));
  put("mkdir_out", __wasi_path_create_directory(SB, "../newdir"));
  put("rename_out", __wasi_path_rename(SB, "file.txt", SB, "../stolen.txt"));
  put("rename_xdev", __wasi_path_rename(SB, "file.txt", OTHER, "moved.txt"));
  put("link_out", __wasi_path_link(SB, 0, "file.txt", SB, "../linked.txt"));
  put("link_xdev", __wasi_path_link(SB, 0, "file.txt", OTHER, "linked.txt"));
  put("unlink_out", __wasi_path_unlink_file(SB, "../outside.txt"));
  put("symlink_out_dir", __wasi_path_symlink("x", SB, "../evil"));
  // The subdirectory fd is its own capability: '..' from it is outside it.
  __wasi_fd_t subfd;
  ropen(SB, 1, "sub", __WASI_OFLAGS_DIRECTORY, R_DIR, 0, &subfd);
  put("subfd_dotdot", ropen(subfd, 1, "../file.txt", 0, R_ALL, 0, &fd));
  put("subfd_in", ropen(subfd, 1, "in.txt", 0, R_ALL, 0, &fd));
  FILE *f = fopen("/sb/../etc/passwd", "r");
  put("libc_dotdot", f ? 0 : errno);
  f = fopen("/etc/passwd", "r");
  put("libc_absolute", f ? 0 : errno);
}

static void files(void) {
  __wasi_fd_t fd;
  __wasi_filestat_t st;
  __wasi_fdstat_t fst;
  __wasi_size_t n;
  // Append mode: writes land at the end whatever the offset.
  make("/sb/log", "a");
  int a = open("/sb/log", O_WRONLY | O_APPEND);
  lseek(a, 0, SEEK_SET);
  write(a, "bc", 2);
  __wasi_fd_fdstat_get(a, &fst);
  put("append_flag", (fst.fs_flags & __WASI_FDFLAGS_APPEND) != 0);
  close(a);
  struct stat s;
  stat("/sb/log", &s);
  put("append_size", s.st_size);
  // pread / pwrite do not move the offset.
  int rw = open("/sb/log", O_RDWR);
  pwrite(rw, "Z", 1, 1);
  char buf[16] = {0};
  pread(rw, buf, 3, 0);
  printf("pread=%s\n", buf);
  put("tell_after_p", lseek(rw, 0, SEEK_CUR));
  put("seek_end", lseek(rw, 0, SEEK_END));
  put("seek_neg", lseek(rw, -10, SEEK_SET) < 0 ? errno : 0);
  // Writing past the end leaves zeros in the gap.
  lseek(rw, 6, SEEK_SET);
  write(rw, "!", 1);
  memset(buf, 'x', sizeof buf);
  pread(rw, buf, 7, 0);
  put("gap_zero", buf[4] == 0 && buf[5] == 0 && buf[6] == '!');
  ftruncate(rw, 2);
  fstat(rw, &s);
  put("truncated", s.st_size);
  put("allocate", __wasi_fd_allocate(rw, 0, 100));
  fstat(rw, &s);
  put("allocated", s.st_size);
  close(rw);
  // Open flags.
  put("excl", open("/sb/log", O_CREAT | O_EXCL | O_WRONLY, 0644) < 0 ? errno : 0);
  int t = open("/sb/log", O_WRONLY | O_TRUNC);
  fstat(t, &s);
  put("trunc", s.st_size);
  close(t);
  put("o_directory_on_file", open("/sb/log", O_RDONLY | O_DIRECTORY) < 0 ? errno : 0);
  mkdir("/sb/d", 0755);
  put("write_dir", open("/sb/d", O_WRONLY) < 0 ? errno : 0);
  put("trailing_slash_file", open("/sb/log/", O_RDONLY) < 0 ? errno : 0);
  put("trailing_slash_dir", __wasi_path_filestat_get(SB, 0, "d/", &st));
  put("missing", open("/sb/nope", O_RDONLY) < 0 ? errno : 0);
  put("missing_parent", open("/sb/nope/x", O_CREAT | O_WRONLY, 0644) < 0 ? errno : 0);
  put("file_as_dir", open("/sb/log/x", O_RDONLY) < 0 ? errno : 0);
  put("creat_dir_flag", ropen(SB, 0, "newdir", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_DIRECTORY, R_ALL, 0, &fd));
  // Read-only descriptors refuse writes; rights can be dropped, never added.
  int ro = open("/sb/log", O_RDONLY);
  put("write_readonly", write(ro, "x", 1) < 0 ? errno : 0);
  put("rights_add", __wasi_fd_fdstat_set_rights(ro, R_ALL, 0));
  close(ro);
  int w = open("/sb/log", O_WRONLY);
  put("rights_drop", __wasi_fd_fdstat_set_rights(w, __WASI_RIGHTS_FD_SEEK, 0));
  put("write_after_drop", rwrite(w, "x"));
  close(w);
  // Directories: unlink vs rmdir.
  make("/sb/d/f", "1");
  put("unlink_dir", unlink("/sb/d") < 0 ? errno : 0);
  put("rmdir_nonempty", rmdir("/sb/d") < 0 ? errno : 0);
  put("rmdir_file", rmdir("/sb/d/f") < 0 ? errno : 0);
  put("mkdir_exists", mkdir("/sb/d", 0755) < 0 ? errno : 0);
  // Rename semantics.
  mkdir("/sb/e", 0755);
  put("rename_file_over_dir", rename("/sb/d/f", "/sb/e") < 0 ? errno : 0);
  put("rename_dir_over_nonempty", rename("/sb/e", "/sb/d") < 0 ? errno : 0);
  put("rename_dir_into_self", rename("/sb/d", "/sb/d/inner") < 0 ? errno : 0);
  make("/sb/r1", "one");
  make("/sb/r2", "two");
  put("rename_replace", rename("/sb/r1", "/sb/r2"));
  FILE *f = fopen("/sb/r2", "r");
  fgets(buf, sizeof buf, f);
  fclose(f);
  printf("renamed=%s\n", buf);
  put("rename_gone", access("/sb/r1", F_OK) < 0 ? errno : 0);
  // Hard links share the file.
  put("link", link("/sb/r2", "/sb/r3"));
  stat("/sb/r2", &s);
  put("nlink", s.st_nlink);
  struct stat s3;
  stat("/sb/r3", &s3);
  put("same_ino", s.st_ino == s3.st_ino);
  put("link_dir", link("/sb/d", "/sb/d2") < 0 ? errno : 0);
  put("link_exists", link("/sb/r2", "/sb/r3") < 0 ? errno : 0);
  // Symlinks: readlink, dangling, follow / nofollow, loops.
  put("symlink", symlink("r2", "/sb/s"));
  n = (__wasi_size_t)readlink("/sb/s", buf, sizeof buf);
  buf[n] = 0;
  printf("readlink=%s\n", buf);
  put("readlink_short", readlink("/sb/s", buf, 1));
  put("readlink_file", readlink("/sb/r2", buf, sizeof buf) < 0 ? errno : 0);
  lstat("/sb/s", &s);
  put("lstat_is_link", S_ISLNK(s.st_mode));
  stat("/sb/s", &s);
  put("stat_follows", S_ISREG(s.st_mode));
  put("nofollow_open", ropen(SB, 0, "s", 0, R_ALL, 0, &fd));
  symlink("no-such-target", "/sb/dangling");
  put("dangling_open", open("/sb/dangling", O_RDONLY) < 0 ? errno : 0);
  int dc = open("/sb/dangling", O_CREAT | O_WRONLY, 0644);
  put("dangling_creat", dc >= 0);
  close(dc);
  put("dangling_target_made", access("/sb/no-such-target", F_OK));
  symlink("loop2", "/sb/loop1");
  symlink("loop1", "/sb/loop2");
  put("loop", open("/sb/loop1", O_RDONLY) < 0 ? errno : 0);
  put("symlink_exists", symlink("x", "/sb/r2") < 0 ? errno : 0);
  put("unlink_symlink", unlink("/sb/loop1"));
  // Timestamps.
  struct timespec ts[2] = {{1000, 5}, {2000, 7}};
  put("utimens", utimensat(AT_FDCWD, "/sb/r2", ts, 0));
  stat("/sb/r2", &s);
  put("atime", s.st_atim.tv_sec);
  put("mtime", s.st_mtim.tv_sec);
  put("mtime_ns", s.st_mtim.tv_nsec);
  struct timespec omit[2] = {{0, UTIME_OMIT}, {3000, 0}};
  utimensat(AT_FDCWD, "/sb/r2", omit, 0);
  stat("/sb/r2", &s);
  put("atime_kept", s.st_atim.tv_sec);
  put("mtime2", s.st_mtim.tv_sec);
  put("times_both", __wasi_path_filestat_set_times(SB, 0, "r2", 1, 1, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW));
  // fd_renumber moves a descriptor.
  int x = open("/sb/r2", O_RDONLY);
  int y = open("/sb/log", O_RDONLY);
  put("renumber", __wasi_fd_renumber(x, y));
  memset(buf, 0, sizeof buf);
  read(y, buf, 3);
  printf("renumbered_reads=%s\n", buf);
  put("renumber_closed", __wasi_fd_fdstat_get(x, &fst));
  put("renumber_bad", __wasi_fd_renumber(99, y));
  put("close_bad", __wasi_fd_close(99));
  put("seek_dir", __wasi_fd_seek(SB, 0, __WASI_WHENCE_SET, &st.size));
  put("read_dir_fd", rwrite(SB, "x"));
  put("datasync", __wasi_fd_datasync(y));
  put("sync", __wasi_fd_sync(y));
  put("advise", __wasi_fd_advise(y, 0, 10, __WASI_ADVICE_SEQUENTIAL));
  put("advise_bad", __wasi_fd_advise(y, 0, 10, 9));
  close(y);
}

static void readdir_group(void) {
  char name[64];
  mkdir("/sb/many", 0755);
  for (int i = 0; i < 40; i++) {
    snprintf(name, sizeof name, "/sb/many/entry-with-a-long-name-%02d", i);
    make(name, "");
  }
  // Raw fd_readdir with a small buffer: resume by cookie from the last whole entry.
  __wasi_fd_t dfd;
  ropen(SB, 1, "many", __WASI_OFLAGS_DIRECTORY, R_DIR, 0, &dfd);
  uint8_t buf[100];
  __wasi_dircookie_t cookie = 0;
  int seen = 0, dots = 0, calls = 0;
  for (;;) {
    __wasi_size_t used;
    __wasi_fd_readdir(dfd, buf, sizeof buf, cookie, &used);
    calls++;
    size_t p = 0;
    int progressed = 0;
    while (p + sizeof(__wasi_dirent_t) <= used) {
      __wasi_dirent_t d;
      memcpy(&d, buf + p, sizeof d);
      if (p + sizeof d + d.d_namlen > used) break;
      const char *nm = (const char *)buf + p + sizeof d;
      if ((d.d_namlen == 1 && nm[0] == '.') || (d.d_namlen == 2 && nm[0] == '.' && nm[1] == '.')) dots++;
      else seen++;
      cookie = d.d_next;
      p += sizeof d + d.d_namlen;
      progressed = 1;
    }
    if (used < sizeof buf || !progressed) break;
  }
  put("raw_entries", seen);
  put("raw_dots", dots);
  put("raw_calls_gt_1", calls > 1);
  // And the libc way.
  DIR *d = opendir("/sb/many");
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d))) n++;
  put("libc_entries", n);
  rewinddir(d);
  n = 0;
  while ((e = readdir(d))) n++;
  put("libc_rewind", n);
  closedir(d);
  __wasi_path_symlink("x", SB, "many/zlink");
  mkdir("/sb/many/zdir", 0755);
  d = opendir("/sb/many");
  int types = 0;
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, "zlink") && e->d_type == DT_LNK) types++;
    if (!strcmp(e->d_name, "zdir") && e->d_type == DT_DIR) types++;
    if (!strcmp(e->d_name, "entry-with-a-long-name-00") && e->d_type == DT_REG) types++;
  }
  closedir(d);
  put("dirent_types", types);
}

static void poll_group(void) {
  __wasi_subscription_t in[3];
  __wasi_event_t out[3];
  __wasi_size_t n;
  __wasi_timestamp_t t0, t1;
  memset(in, 0, sizeof in);
  in[0].userdata = 11;
  in[0].u.tag = __WASI_EVENTTYPE_CLOCK;
  in[0].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
  in[0].u.u.clock.timeout = 50000000;
  in[1].userdata = 22;
  in[1].u.tag = __WASI_EVENTTYPE_CLOCK;
  in[1].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
  in[1].u.u.clock.timeout = 20000000;
  __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t0);
  put("poll_clocks", __wasi_poll_oneoff(in, out, 2, &n));
  __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t1);
  put("poll_clocks_n", n);
  put("poll_clocks_first", out[0].userdata);
  put("poll_slept_ms", (long long)((t1 - t0) / 1000000));
  // A ready fd wins over a pending clock.
  make("/sb/p", "12345");
  int fd = open("/sb/p", O_RDONLY);
  in[1].userdata = 33;
  in[1].u.tag = __WASI_EVENTTYPE_FD_READ;
  in[1].u.u.fd_read.file_descriptor = fd;
  in[2].userdata = 44;
  in[2].u.tag = __WASI_EVENTTYPE_FD_WRITE;
  in[2].u.u.fd_write.file_descriptor = 1;
  put("poll_fds", __wasi_poll_oneoff(in, out, 3, &n));
  put("poll_fds_n", n);
  put("poll_fd_user", out[0].userdata);
  put("poll_fd_nbytes", out[0].fd_readwrite.nbytes);
  put("poll_fd_type", out[0].type);
  put("poll_w_user", out[1].userdata);
  in[1].u.u.fd_read.file_descriptor = 77;
  __wasi_poll_oneoff(in + 1, out, 1, &n);
  put("poll_badfd_error", out[0].error);
  put("poll_zero", __wasi_poll_oneoff(in, out, 0, &n));
  // Absolute-time clock already in the past fires at once.
  in[0].u.u.clock.flags = __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME;
  in[0].u.u.clock.timeout = 1;
  __wasi_poll_oneoff(in, out, 1, &n);
  put("poll_abs_past", n);
  close(fd);
}

static void misc(void) {
  __wasi_timestamp_t t, r;
  put("clock_res", __wasi_clock_res_get(__WASI_CLOCKID_MONOTONIC, &r));
  put("clock_res_value", r);
  put("clock_bad", __wasi_clock_time_get(9, 1, &t));
  __wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &t);
  put("realtime_s", (long long)(t / 1000000000ull));
  __wasi_timestamp_t m1, m2;
  __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &m1);
  __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &m2);
  put("monotonic_advances", m2 > m1);
  put("time_s", (long long)time(NULL));
  uint8_t rnd[8];
  put("random", __wasi_random_get(rnd, sizeof rnd));
  printf("random_hex=");
  for (int i = 0; i < 8; i++) printf("%02x", rnd[i]);
  printf("\n");
  put("sched_yield", __wasi_sched_yield());
  put("proc_raise", raw_proc_raise(1));
  __wasi_fd_t nfd;
  put("sock_accept_file", __wasi_sock_accept(1, 0, &nfd));
  put("sock_accept_bad", __wasi_sock_accept(99, 0, &nfd));
  put("sock_shutdown", __wasi_sock_shutdown(0, __WASI_SDFLAGS_WR));
  __wasi_size_t sz;
  __wasi_ciovec_t civ = {(const uint8_t *)"x", 1};
  put("sock_send", __wasi_sock_send(2, &civ, 1, 0, &sz));
  uint8_t rb[1];
  __wasi_iovec_t iv = {rb, 1};
  __wasi_roflags_t rof;
  put("sock_recv", __wasi_sock_recv(0, &iv, 1, 0, &sz, &rof));
  __wasi_prestat_t ps;
  put("prestat", __wasi_fd_prestat_get(SB, &ps));
  put("prestat_len", ps.u.dir.pr_name_len);
  char nm[2];
  put("prestat_name_short", __wasi_fd_prestat_dir_name(SB, (uint8_t *)nm, 1));
  put("prestat_not_preopen", __wasi_fd_prestat_get(1, &ps));
  const char *pwd = getenv("PWD");
  printf("pwd=%s\n", pwd ? pwd : "-");
}

int main(int argc, char **argv) {
  const char *g = argc > 1 ? argv[1] : "";
  if (!strcmp(g, "escape")) escape();
  else if (!strcmp(g, "files")) files();
  else if (!strcmp(g, "readdir")) readdir_group();
  else if (!strcmp(g, "poll")) poll_group();
  else if (!strcmp(g, "misc")) misc();
  else if (!strcmp(g, "args")) {
    for (int i = 0; i < argc; i++) printf("arg%d=%s\n", i, argv[i]);
    extern char **environ;
    for (char **e = environ; *e; e++) printf("env=%s\n", *e);
  } else if (!strcmp(g, "cat")) {
    // Relative paths: resolved by wasi-libc against the preopens (cwd support).
    FILE *f = fopen(argv[2], "r");
    if (!f) {
      printf("open_errno=%d\n", errno);
      return 4;
    }
    int c;
    while ((c = fgetc(f)) != EOF) putchar(c);
    fclose(f);
  } else if (!strcmp(g, "write") && argc > 3) {
    FILE *f = fopen(argv[2], "w");
    if (!f || fputs(argv[3], f) < 0 || fclose(f) != 0) {
      printf("write_errno=%d\n", errno);
      return 4;
    }
  } else if (!strcmp(g, "stdin")) {
    int c;
    long n = 0;
    while ((c = getchar()) != EOF) n++;
    printf("stdin_bytes=%ld\n", n);
  } else if (!strcmp(g, "exit")) {
    fflush(stdout);
    exit(atoi(argv[2]));
  } else {
    fprintf(stderr, "usage: probe escape|files|readdir|poll|misc|args|cat|write|stdin|exit\n");
    return 2;
  }
  return 0;
}
