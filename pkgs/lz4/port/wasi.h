/* Force-included into lz4's programs (see atom.toml). WASI has no file owners: after writing an
   output the lz4 tool copies the input's times, owner and mode to it, counting but not acting on
   failures; chown is not even declared by wasi-libc, so here it is a no-op that succeeds. (chmod
   is declared and fails with ENOSYS, which lz4 tolerates.) */
#define chown(path, uid, gid) 0
