/* <signal.h> for xz on WASI, found before wasi-libc's own through the include path (see
   atom.toml). WASI delivers no signals, and wasi-libc's emulation (_WASI_EMULATED_SIGNAL) offers
   signal() and raise() but not the sigaction(), sigprocmask() and signal sets xz is written
   against. Here they are, with the meaning they have when no signal ever arrives: a handler
   installed with sigaction is installed with signal() (raise() still reaches it), and masking
   changes nothing. SIGALRM is withdrawn: WASI has no alarm(), and without SIGALRM xz shows its
   progress by polling the clock instead, its own fallback for such systems. */
#ifndef XZ_WASI_SIGNAL_H
#define XZ_WASI_SIGNAL_H

#ifndef _WASI_EMULATED_SIGNAL
#define _WASI_EMULATED_SIGNAL
#endif
#include_next <signal.h>
#undef SIGALRM

/* The sigset_t of wasi-libc's other headers (<bits/alltypes.h>), which its <signal.h> leaves out. */
#define __NEED_sigset_t
#include <bits/alltypes.h>

#ifndef SIG_BLOCK
#define SIG_BLOCK 0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2
#endif

#ifndef SA_RESTART
#define SA_RESTART 0x10000000
#endif

struct sigaction {
  void (*sa_handler)(int);
  sigset_t sa_mask;
  int sa_flags;
};

static inline int sigemptyset(sigset_t *set) { *set = (sigset_t){0}; return 0; }
static inline int sigfillset(sigset_t *set) { *set = (sigset_t){0}; return 0; }
static inline int sigaddset(sigset_t *set, int sig) { (void)set; (void)sig; return 0; }
static inline int sigdelset(sigset_t *set, int sig) { (void)set; (void)sig; return 0; }
static inline int sigismember(const sigset_t *set, int sig) { (void)set; (void)sig; return 0; }

static inline int sigprocmask(int how, const sigset_t *restrict set, sigset_t *restrict old) {
  (void)how;
  (void)set;
  if (old) *old = (sigset_t){0};
  return 0;
}

static inline int sigaction(int sig, const struct sigaction *restrict act, struct sigaction *restrict old) {
  void (*prev)(int) = act ? signal(sig, act->sa_handler) : SIG_DFL;
  if (prev == SIG_ERR) return -1;
  if (old) *old = (struct sigaction){.sa_handler = prev};
  return 0;
}

#endif
