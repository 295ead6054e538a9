/* sodiumrt: Ed25519 signatures and secretbox over files, for libsodium's tests under eka.
 *   sodiumrt sign SEED_HEX IN OUT     OUT = signature || IN; prints the public key (hex)
 *   sodiumrt verify PK_HEX IN OUT     checks a signed message, writes the message to OUT
 *   sodiumrt seal KEY_HEX IN OUT      OUT = random nonce || crypto_secretbox_easy(IN)
 *   sodiumrt open KEY_HEX IN OUT      checks and decrypts what seal wrote
 *   sodiumrt random N                 N random bytes (hex), from randombytes_buf
 * A failed check prints why and exits 1; a usage or I/O error exits 2. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "sodiumrt: cannot open %s\n", path);
    exit(2);
  }
  size_t cap = 4096, n = 0, r;
  unsigned char *buf = malloc(cap);
  while ((r = fread(buf + n, 1, cap - n, f)) > 0)
    if ((n += r) == cap) buf = realloc(buf, cap *= 2);
  fclose(f);
  *len = n;
  return buf;
}

static void spit(const char *path, const unsigned char *data, size_t len) {
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
    fprintf(stderr, "sodiumrt: cannot write %s\n", path);
    exit(2);
  }
}

static void unhex(const char *hex, unsigned char *out, size_t len, const char *what) {
  size_t got;
  if (sodium_hex2bin(out, len, hex, strlen(hex), NULL, &got, NULL) != 0 || got != len) {
    fprintf(stderr, "sodiumrt: %s must be %u hex bytes\n", what, (unsigned)len);
    exit(2);
  }
}

static void puthex(const unsigned char *b, size_t len) {
  char *hex = malloc(len * 2 + 1);
  puts(sodium_bin2hex(hex, len * 2 + 1, b, len));
  free(hex);
}

int main(int argc, char **argv) {
  if (sodium_init() < 0) {
    fputs("sodiumrt: sodium_init failed\n", stderr);
    return 2;
  }
  const char *cmd = argc > 1 ? argv[1] : "";
  if (argc == 3 && strcmp(cmd, "random") == 0) {
    size_t n = (size_t)atol(argv[2]);
    unsigned char *b = malloc(n ? n : 1);
    randombytes_buf(b, n);
    puthex(b, n);
    return 0;
  }
  if (argc != 5) {
    fputs("usage: sodiumrt sign|verify|seal|open KEY_HEX IN OUT | sodiumrt random N\n", stderr);
    return 2;
  }
  size_t len;
  unsigned char *in = slurp(argv[3], &len);
  if (strcmp(cmd, "sign") == 0) {
    unsigned char seed[crypto_sign_SEEDBYTES], pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    unhex(argv[2], seed, sizeof seed, "SEED");
    crypto_sign_seed_keypair(pk, sk, seed);
    unsigned char *sm = malloc(len + crypto_sign_BYTES);
    unsigned long long smlen;
    crypto_sign(sm, &smlen, in, len, sk);
    spit(argv[4], sm, (size_t)smlen);
    puthex(pk, sizeof pk);
    return 0;
  }
  if (strcmp(cmd, "verify") == 0) {
    unsigned char pk[crypto_sign_PUBLICKEYBYTES];
    unhex(argv[2], pk, sizeof pk, "PK");
    unsigned char *m = malloc(len ? len : 1);
    unsigned long long mlen;
    if (crypto_sign_open(m, &mlen, in, len, pk) != 0) {
      fprintf(stderr, "sodiumrt: %s: bad signature\n", argv[3]);
      return 1;
    }
    spit(argv[4], m, (size_t)mlen);
    return 0;
  }
  if (strcmp(cmd, "seal") == 0 || strcmp(cmd, "open") == 0) {
    unsigned char key[crypto_secretbox_KEYBYTES];
    unhex(argv[2], key, sizeof key, "KEY");
    if (cmd[0] == 's') {
      unsigned char *out = malloc(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + len);
      randombytes_buf(out, crypto_secretbox_NONCEBYTES);
      crypto_secretbox_easy(out + crypto_secretbox_NONCEBYTES, in, len, out, key);
      spit(argv[4], out, crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + len);
      return 0;
    }
    if (len < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
      fprintf(stderr, "sodiumrt: %s: too short for a secretbox\n", argv[3]);
      return 1;
    }
    size_t clen = len - crypto_secretbox_NONCEBYTES;
    unsigned char *m = malloc(clen);
    if (crypto_secretbox_open_easy(m, in + crypto_secretbox_NONCEBYTES, clen, in, key) != 0) {
      fprintf(stderr, "sodiumrt: %s: forged or corrupted box\n", argv[3]);
      return 1;
    }
    spit(argv[4], m, clen - crypto_secretbox_MACBYTES);
    return 0;
  }
  fprintf(stderr, "sodiumrt: unknown command '%s'\n", cmd);
  return 2;
}
