/*
 * ostk-sandbox — the launcher that confines one shell command for the ostk kernel.
 *
 * SPDX-License-Identifier: AGPL-3.0-only
 *
 * Usage: ostk-sandbox [options] -- PROGRAM [ARGS...]
 *        ostk-sandbox --probe
 *
 * Network: default is Landlock TCP rules with no port allowed; --connect/--bind PORT allow ports,
 * --no-inet refuses IP sockets outright (network "none"), --net-open leaves TCP alone, --allow-udp UDP.
 * Path rules: --ro (read+execute), --list (list only), --rw (everything but devices),
 * --wfile (one plain file: read/write/truncate), --dev (device file: read/write/ioctl).
 *
 * The launcher stays as a small supervisor (a child subreaper) and forks the
 * command. The child: new session, every fd >= 3 closed, rlimits, joins a pids
 * cgroup when asked, drops capabilities, no_new_privs, Landlock (every right
 * the running kernel offers), a seccomp filter, then execve() with an
 * environment built only from --env arguments. The supervisor waits; when the
 * command exits, or the supervisor gets SIGTERM/SIGINT/SIGHUP (or its parent
 * dies), every process the command started is killed — including those that
 * called setsid() — before the supervisor exits with the command's status.
 *
 * Nothing is ever run unconfined: any step that cannot be applied makes the
 * launcher exit with a distinct code (see EXIT_* below) and a one-line reason
 * on stderr and on --status-fd.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/mount.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/uio.h>
#include <sys/statvfs.h>
#include <sys/ioctl.h>
#include <termios.h>

/* ---- exit codes (fail closed, one per failure kind) ---- */
#define EXIT_USAGE 110
#define EXIT_LANDLOCK_UNAVAILABLE 111
#define EXIT_LANDLOCK_RULE 112
#define EXIT_LANDLOCK_RESTRICT 113
#define EXIT_SECCOMP 114
#define EXIT_NO_NEW_PRIVS 115
#define EXIT_RLIMIT 116
#define EXIT_CGROUP 117
#define EXIT_SESSION_FDS 118
#define EXIT_CAPS 119
#define EXIT_FORK 120
#define EXIT_MOUNT 121
#define EXIT_EXEC_EACCES 126
#define EXIT_EXEC_NOTFOUND 127

/* ---- Landlock ABI (defined here: distro headers lag the kernel) ---- */
#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#define __NR_landlock_add_rule 445
#define __NR_landlock_restrict_self 446
#endif
#define LL_CREATE_RULESET_VERSION (1U << 0)
#define LL_RULE_PATH_BENEATH 1
#define LL_RULE_NET_PORT 2
#define LL_FS_EXECUTE (1ULL << 0)
#define LL_FS_WRITE_FILE (1ULL << 1)
#define LL_FS_READ_FILE (1ULL << 2)
#define LL_FS_READ_DIR (1ULL << 3)
#define LL_FS_REMOVE_DIR (1ULL << 4)
#define LL_FS_REMOVE_FILE (1ULL << 5)
#define LL_FS_MAKE_CHAR (1ULL << 6)
#define LL_FS_MAKE_DIR (1ULL << 7)
#define LL_FS_MAKE_REG (1ULL << 8)
#define LL_FS_MAKE_SOCK (1ULL << 9)
#define LL_FS_MAKE_FIFO (1ULL << 10)
#define LL_FS_MAKE_BLOCK (1ULL << 11)
#define LL_FS_MAKE_SYM (1ULL << 12)
#define LL_FS_REFER (1ULL << 13)
#define LL_FS_TRUNCATE (1ULL << 14)
#define LL_FS_IOCTL_DEV (1ULL << 15)
#define LL_NET_BIND_TCP (1ULL << 0)
#define LL_NET_CONNECT_TCP (1ULL << 1)
#define LL_SCOPE_ABSTRACT_UNIX (1ULL << 0)
#define LL_SCOPE_SIGNAL (1ULL << 1)

struct ll_ruleset_attr {
  uint64_t handled_access_fs;
  uint64_t handled_access_net;
  uint64_t scoped;
};
struct ll_path_beneath_attr {
  uint64_t allowed_access;
  int32_t parent_fd;
} __attribute__((packed));
struct ll_net_port_attr {
  uint64_t allowed_access;
  uint64_t port;
};

#define FILE_RIGHTS (LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE | LL_FS_TRUNCATE | LL_FS_IOCTL_DEV)
#define READ_RIGHTS (LL_FS_EXECUTE | LL_FS_READ_FILE | LL_FS_READ_DIR)
#define WRITE_RIGHTS                                                                                        \
  (READ_RIGHTS | LL_FS_WRITE_FILE | LL_FS_REMOVE_DIR | LL_FS_REMOVE_FILE | LL_FS_MAKE_DIR | LL_FS_MAKE_REG | \
   LL_FS_MAKE_SOCK | LL_FS_MAKE_FIFO | LL_FS_MAKE_SYM | LL_FS_REFER | LL_FS_TRUNCATE)
#define FILE_WRITE_RIGHTS (LL_FS_READ_FILE | LL_FS_WRITE_FILE | LL_FS_TRUNCATE)
#define DEV_RIGHTS (LL_FS_READ_FILE | LL_FS_WRITE_FILE | LL_FS_TRUNCATE | LL_FS_IOCTL_DEV)

enum rule_kind { R_RO, R_RW, R_WFILE, R_DEV, R_LIST };
struct path_rule {
  enum rule_kind kind;
  const char *path;
};

#define MAX_RULES 4096
#define MAX_PORTS 256
#define MAX_ENV 512

static struct {
  struct path_rule rules[MAX_RULES];
  int nrules;
  long connect_ports[MAX_PORTS];
  int nconnect;
  long bind_ports[MAX_PORTS];
  int nbind;
  int net_open;
  int allow_udp;
  int allow_unix;
  int allow_chmod;
  int no_inet;
  int min_abi;
  char *env[MAX_ENV + 1];
  int nenv;
  const char *cwd;
  long nproc, fsize, cpu, nofile;
  long pids_max;
  const char *ro_binds[MAX_RULES];
  int nbinds;
  const char *masks[MAX_PORTS];
  int nmasks;
  const char *pins[MAX_PORTS];
  int npins;
  struct {
    unsigned char ip[16]; /* IPv6, or IPv4-mapped */
    long port;
  } hosts[MAX_PORTS];
  int nhosts;
  int status_fd;
  int probe;
  char **argv;
} opt;

static int status_fd = -1;

static void status_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void status_line(const char *fmt, ...) {
  if (status_fd < 0) return;
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if (n > (int)sizeof buf - 2) n = sizeof buf - 2;
  buf[n++] = '\n';
  ssize_t w = write(status_fd, buf, n);
  (void)w;
}

/* ---- failure reporting from the child: one record through a CLOEXEC pipe ---- */
static int err_pipe = -1;
/* Child end of the socketpair that carries the seccomp listener to the supervisor (--connect-host). */
static int notif_sock = -1;

static void child_fail(int code, const char *kind, const char *what) {
  char buf[512];
  int n = snprintf(buf, sizeof buf, "%d\t%s\t%s: %s", code, kind, what, errno ? strerror(errno) : "failed");
  if (err_pipe >= 0 && n > 0) {
    ssize_t w = write(err_pipe, buf, (size_t)n);
    (void)w;
  }
  _exit(code);
}

static void usage_fail(const char *msg, const char *arg) {
  fprintf(stderr, "ostk-sandbox: usage error: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
  exit(EXIT_USAGE);
}

static long parse_num(const char *s, const char *flag) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || *end || v < 0) usage_fail("expected a non-negative number after", flag);
  return v;
}

static void parse_args(int argc, char **argv) {
  opt.status_fd = -1;
  opt.min_abi = 1;
  opt.nproc = opt.fsize = opt.cpu = opt.nofile = opt.pids_max = -1;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED_VALUE() \
  do {               \
    if (!v) usage_fail("missing value for", a); \
    i++;             \
  } while (0)
#define ADD_RULE(k)                                                \
  do {                                                             \
    NEED_VALUE();                                                  \
    if (opt.nrules >= MAX_RULES) usage_fail("too many path rules", NULL); \
    opt.rules[opt.nrules].kind = (k);                              \
    opt.rules[opt.nrules++].path = v;                              \
  } while (0)
    if (!strcmp(a, "--")) {
      opt.argv = &argv[i + 1];
      if (!opt.argv[0]) usage_fail("no program after --", NULL);
      return;
    } else if (!strcmp(a, "--probe")) {
      opt.probe = 1;
    } else if (!strcmp(a, "--ro")) {
      ADD_RULE(R_RO);
    } else if (!strcmp(a, "--rw")) {
      ADD_RULE(R_RW);
    } else if (!strcmp(a, "--wfile")) {
      ADD_RULE(R_WFILE);
    } else if (!strcmp(a, "--dev")) {
      ADD_RULE(R_DEV);
    } else if (!strcmp(a, "--list")) {
      ADD_RULE(R_LIST);
    } else if (!strcmp(a, "--connect-host")) {
      /* --connect-host IP PORT: TCP connect to exactly this address (checked by the supervisor) */
      if (i + 2 >= argc) usage_fail("--connect-host wants IP PORT", NULL);
      if (opt.nhosts >= MAX_PORTS) usage_fail("too many --connect-host", NULL);
      const char *ip = argv[++i];
      long port = parse_num(argv[++i], a);
      if (port < 1 || port > 65535) usage_fail("port out of range", argv[i]);
      unsigned char *dst = opt.hosts[opt.nhosts].ip;
      struct in_addr v4;
      if (inet_pton(AF_INET, ip, &v4) == 1) {
        memset(dst, 0, 10);
        dst[10] = dst[11] = 0xff;
        memcpy(dst + 12, &v4, 4);
      } else if (inet_pton(AF_INET6, ip, dst) != 1) {
        usage_fail("--connect-host wants an IPv4 or IPv6 literal", ip);
      }
      opt.hosts[opt.nhosts++].port = port;
    } else if (!strcmp(a, "--pin")) {
      NEED_VALUE();
      if (opt.npins >= MAX_PORTS) usage_fail("too many --pin", NULL);
      opt.pins[opt.npins++] = v;
    } else if (!strcmp(a, "--mask")) {
      NEED_VALUE();
      if (opt.nmasks >= MAX_PORTS) usage_fail("too many --mask", NULL);
      opt.masks[opt.nmasks++] = v;
    } else if (!strcmp(a, "--ro-bind")) {
      NEED_VALUE();
      if (opt.nbinds >= MAX_RULES) usage_fail("too many --ro-bind", NULL);
      opt.ro_binds[opt.nbinds++] = v;
    } else if (!strcmp(a, "--connect") || !strcmp(a, "--bind")) {
      NEED_VALUE();
      long p = parse_num(v, a);
      if (p > 65535) usage_fail("port out of range", v);
      if (a[2] == 'c') {
        if (opt.nconnect >= MAX_PORTS) usage_fail("too many ports", NULL);
        opt.connect_ports[opt.nconnect++] = p;
      } else {
        if (opt.nbind >= MAX_PORTS) usage_fail("too many ports", NULL);
        opt.bind_ports[opt.nbind++] = p;
      }
    } else if (!strcmp(a, "--net-open")) {
      opt.net_open = 1;
    } else if (!strcmp(a, "--allow-udp")) {
      opt.allow_udp = 1;
    } else if (!strcmp(a, "--allow-unix")) {
      opt.allow_unix = 1;
    } else if (!strcmp(a, "--allow-chmod")) {
      opt.allow_chmod = 1;
    } else if (!strcmp(a, "--no-inet")) {
      opt.no_inet = 1;
    } else if (!strcmp(a, "--min-abi")) {
      NEED_VALUE();
      opt.min_abi = (int)parse_num(v, a);
    } else if (!strcmp(a, "--env")) {
      NEED_VALUE();
      if (!strchr(v, '=')) usage_fail("--env wants NAME=VALUE", v);
      if (opt.nenv >= MAX_ENV) usage_fail("too many --env", NULL);
      opt.env[opt.nenv++] = (char *)v;
    } else if (!strcmp(a, "--cwd")) {
      NEED_VALUE();
      opt.cwd = v;
    } else if (!strcmp(a, "--nproc")) {
      NEED_VALUE();
      opt.nproc = parse_num(v, a);
    } else if (!strcmp(a, "--fsize")) {
      NEED_VALUE();
      opt.fsize = parse_num(v, a);
    } else if (!strcmp(a, "--cpu")) {
      NEED_VALUE();
      opt.cpu = parse_num(v, a);
    } else if (!strcmp(a, "--nofile")) {
      NEED_VALUE();
      opt.nofile = parse_num(v, a);
    } else if (!strcmp(a, "--pids-max")) {
      NEED_VALUE();
      opt.pids_max = parse_num(v, a);
    } else if (!strcmp(a, "--status-fd")) {
      NEED_VALUE();
      opt.status_fd = (int)parse_num(v, a);
    } else {
      usage_fail("unknown option", a);
    }
  }
  if (!opt.probe) usage_fail("expected -- PROGRAM [ARGS...]", NULL);
}

/* ---- Landlock ---- */
static int landlock_abi(void) {
  long abi = syscall(__NR_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);
  return abi < 0 ? 0 : (int)abi;
}

static uint64_t fs_rights_for_abi(int abi) {
  uint64_t r = (1ULL << 13) - 1; /* ABI 1: bits 0..12 */
  if (abi >= 2) r |= LL_FS_REFER;
  if (abi >= 3) r |= LL_FS_TRUNCATE;
  if (abi >= 5) r |= LL_FS_IOCTL_DEV;
  return r;
}

static int add_path_rule(int ruleset, const struct path_rule *pr, uint64_t handled) {
  int flags = O_PATH | O_CLOEXEC;
  /* Writable paths come from the kernel already resolved; refuse a symlink there. */
  if (pr->kind == R_RW || pr->kind == R_WFILE) flags |= O_NOFOLLOW;
  int fd = open(pr->path, flags);
  if (fd < 0) {
    if ((pr->kind == R_RO || pr->kind == R_DEV || pr->kind == R_LIST) && (errno == ENOENT || errno == ENOTDIR))
      return 0; /* optional system path */
    return -1;
  }
  struct stat st;
  if (fstat(fd, &st) < 0) {
    close(fd);
    return -1;
  }
  if (S_ISLNK(st.st_mode)) {
    close(fd);
    errno = ELOOP;
    return -1;
  }
  uint64_t rights;
  switch (pr->kind) {
    case R_RO: rights = READ_RIGHTS; break;
    case R_RW: rights = WRITE_RIGHTS; break;
    case R_WFILE: rights = FILE_WRITE_RIGHTS; break;
    case R_LIST: rights = LL_FS_READ_DIR; break;
    default: rights = DEV_RIGHTS; break;
  }
  if (!S_ISDIR(st.st_mode)) rights &= FILE_RIGHTS;
  if (pr->kind == R_WFILE && (!S_ISREG(st.st_mode) || st.st_nlink > 1)) {
    /* A single writable file must be a plain file with one name (no hardlink escape). */
    close(fd);
    errno = EPERM;
    return -1;
  }
  rights &= handled;
  struct ll_path_beneath_attr attr = {.allowed_access = rights, .parent_fd = fd};
  int r = rights ? (int)syscall(__NR_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH, &attr, 0) : 0;
  int saved = errno;
  close(fd);
  errno = saved;
  return r;
}

static void apply_landlock(int abi) {
  if (abi < 1 || abi < opt.min_abi) {
    errno = abi < 1 ? EOPNOTSUPP : ENOTSUP;
    child_fail(EXIT_LANDLOCK_UNAVAILABLE, "landlock-unavailable", abi < 1 ? "landlock not enabled" : "landlock ABI too old");
  }
  struct ll_ruleset_attr ra = {0};
  size_t ra_size = sizeof(uint64_t);
  ra.handled_access_fs = fs_rights_for_abi(abi);
  if (abi >= 4 && !opt.net_open) {
    ra.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
    ra_size = 2 * sizeof(uint64_t);
  }
  if (abi >= 6) {
    ra.scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
    ra_size = sizeof ra;
  }
  if (abi < 4 && !opt.net_open && !opt.no_inet) {
    errno = ENOTSUP;
    child_fail(EXIT_LANDLOCK_UNAVAILABLE, "landlock-unavailable", "TCP port rules need Landlock ABI >= 4");
  }
  int rs = (int)syscall(__NR_landlock_create_ruleset, &ra, ra_size, 0);
  if (rs < 0) child_fail(EXIT_LANDLOCK_RULE, "landlock-ruleset", "landlock_create_ruleset");
  for (int i = 0; i < opt.nrules; i++) {
    if (add_path_rule(rs, &opt.rules[i], ra.handled_access_fs) < 0) {
      child_fail(EXIT_LANDLOCK_RULE, "landlock-rule", opt.rules[i].path);
    }
  }
  for (int i = 0; i < opt.nconnect + opt.nbind; i++) {
    if (!ra.handled_access_net) break;
    int is_connect = i < opt.nconnect;
    struct ll_net_port_attr na = {
        .allowed_access = is_connect ? LL_NET_CONNECT_TCP : LL_NET_BIND_TCP,
        .port = (uint64_t)(is_connect ? opt.connect_ports[i] : opt.bind_ports[i - opt.nconnect]),
    };
    if (syscall(__NR_landlock_add_rule, rs, LL_RULE_NET_PORT, &na, 0) < 0) {
      child_fail(EXIT_LANDLOCK_RULE, "landlock-rule", "tcp port rule");
    }
  }
  if (syscall(__NR_landlock_restrict_self, rs, 0) < 0) {
    child_fail(EXIT_LANDLOCK_RESTRICT, "landlock-restrict", "landlock_restrict_self");
  }
  close(rs);
}

/* ---- seccomp ---- */
#if defined(__x86_64__)
#define SB_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SB_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "ostk-sandbox supports x86_64 and aarch64"
#endif

#define MAX_FILTER 512
static struct sock_filter prog[MAX_FILTER];
static int plen;

static void emit(struct sock_filter f) {
  if (plen >= MAX_FILTER) {
    errno = E2BIG;
    child_fail(EXIT_SECCOMP, "seccomp", "filter too long");
  }
  prog[plen++] = f;
}
#define STMT(c_, k_) emit((struct sock_filter)BPF_STMT(c_, k_))
#define JUMP(c_, k_, t_, f_) emit((struct sock_filter)BPF_JUMP(c_, k_, t_, f_))
#define RET_ERRNO(e) STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ((e) & SECCOMP_RET_DATA))
#define RET_ALLOW() STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)
#define LOAD_NR() STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr))
#define LOAD_ARG(n) STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[n]))

/* Deny one syscall number with errno: two instructions, no long jumps. */
static void deny_nr(int nr, int e) {
  JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 1);
  RET_ERRNO(e);
}

static const int denied_eperm[] = {
    __NR_ptrace, __NR_process_vm_readv, __NR_process_vm_writev, __NR_mount, __NR_umount2, __NR_pivot_root,
    __NR_chroot, __NR_keyctl, __NR_add_key, __NR_request_key, __NR_bpf, __NR_perf_event_open, __NR_unshare,
    __NR_setns, __NR_kexec_load, __NR_init_module, __NR_finit_module, __NR_delete_module, __NR_reboot,
    __NR_swapon, __NR_swapoff, __NR_acct, __NR_settimeofday, __NR_clock_settime, __NR_clock_adjtime,
    __NR_adjtimex, __NR_syslog, __NR_quotactl, __NR_sethostname, __NR_setdomainname, __NR_userfaultfd,
    __NR_name_to_handle_at, __NR_open_by_handle_at, __NR_fanotify_init, __NR_pidfd_getfd,
    __NR_process_madvise, __NR_move_mount, __NR_open_tree, __NR_fsopen, __NR_fsconfig, __NR_fsmount,
    __NR_fspick, __NR_mount_setattr, __NR_vhangup, __NR_kexec_file_load,
#ifdef __NR_iopl
    __NR_iopl, __NR_ioperm,
#endif
#ifdef __NR_lookup_dcookie
    __NR_lookup_dcookie,
#endif
#ifdef __NR_quotactl_fd
    __NR_quotactl_fd,
#endif
};

/* Landlock does not confine metadata changes, so these "succeed" without doing anything: tools that
 * copy modes, owners or times (git, tar, cp -p, touch) keep working and nothing outside can be changed. */
static const int metadata_noop[] = {
    __NR_fchown, __NR_fchownat, __NR_utimensat,
#ifdef __NR_chown
    __NR_chown, __NR_lchown,
#endif
#ifdef __NR_utime
    __NR_utime, __NR_utimes, __NR_futimesat,
#endif
};

static const int chmod_calls[] = {
    __NR_fchmod, __NR_fchmodat,
#ifdef __NR_chmod
    __NR_chmod,
#endif
#ifdef __NR_fchmodat2
    __NR_fchmodat2,
#else
    452,
#endif
};

static const int denied_enosys[] = {
    __NR_io_uring_setup, __NR_io_uring_enter, __NR_io_uring_register, __NR_clone3,
};

static void apply_seccomp(void) {
  plen = 0;
  STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
  JUMP(BPF_JMP | BPF_JEQ | BPF_K, SB_AUDIT_ARCH, 1, 0);
  STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
  LOAD_NR();
#if defined(__x86_64__)
  JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1); /* x32 ABI */
  RET_ERRNO(ENOSYS);
#endif
  if (opt.nhosts > 0) {
    /* connect() goes to the supervisor, which checks the destination address itself */
    JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_connect, 0, 1);
    STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF);
  }
  for (size_t i = 0; i < sizeof denied_eperm / sizeof *denied_eperm; i++) deny_nr(denied_eperm[i], EPERM);
  for (size_t i = 0; i < sizeof denied_enosys / sizeof *denied_enosys; i++) deny_nr(denied_enosys[i], ENOSYS);
  /* listen() on an unbound TCP socket autobinds to an ephemeral port without Landlock's bind check:
   * with no bind port allowed, nothing in the sandbox may listen. */
  if (!opt.net_open && opt.nbind == 0 && !opt.allow_unix) deny_nr(__NR_listen, EACCES);
  for (size_t i = 0; i < sizeof metadata_noop / sizeof *metadata_noop; i++) deny_nr(metadata_noop[i], 0);
  if (!opt.allow_chmod)
    for (size_t i = 0; i < sizeof chmod_calls / sizeof *chmod_calls; i++) deny_nr(chmod_calls[i], 0);

  /* clone(flags, ...): no new namespaces */
  JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 0, 3);
  LOAD_ARG(0);
  JUMP(BPF_JMP | BPF_JSET | BPF_K,
       0x10000000 /*NEWUSER*/ | 0x00020000 /*NEWNS*/ | 0x40000000 /*NEWNET*/ | 0x20000000 /*NEWPID*/ |
           0x08000000 /*NEWIPC*/ | 0x04000000 /*NEWUTS*/ | 0x02000000 /*NEWCGROUP*/,
       0, 1);
  RET_ERRNO(EPERM);
  LOAD_NR();

  /* ioctl: no terminal input injection */
  JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_ioctl, 0, 5);
  LOAD_ARG(1);
  JUMP(BPF_JMP | BPF_JEQ | BPF_K, TIOCSTI, 1, 0);
  JUMP(BPF_JMP | BPF_JEQ | BPF_K, TIOCLINUX, 0, 1);
  RET_ERRNO(EPERM);
  LOAD_NR();

  /* TCP Fast Open connects inside sendto/sendmsg(MSG_FASTOPEN) without Landlock's connect check
   * (measured on 6.18): with a restricted network, the flag is refused. */
  if (!opt.net_open) {
    static const struct {
      int nr;
      int arg;
    } fastopen[] = {{__NR_sendto, 3}, {__NR_sendmsg, 2}, {__NR_sendmmsg, 3}};
    for (size_t i = 0; i < sizeof fastopen / sizeof *fastopen; i++) {
      JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)fastopen[i].nr, 0, 4);
      LOAD_ARG(fastopen[i].arg);
      JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x20000000 /* MSG_FASTOPEN */, 0, 1);
      RET_ERRNO(EACCES);
      LOAD_NR();
    }
  }

  /* socketpair: AF_UNIX only (pipes between build tool processes) */
  JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socketpair, 0, 4);
  LOAD_ARG(0);
  JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_UNIX, 0, 1);
  RET_ALLOW();
  RET_ERRNO(EACCES);

  /* socket(domain, type, protocol) */
  JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 0, 16);
  LOAD_ARG(0);
  JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_UNIX, 0, 2);
  if (opt.allow_unix) RET_ALLOW(); else RET_ERRNO(EACCES);
  RET_ERRNO(EACCES); /* (unreached filler keeps offsets fixed) */
  JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_INET, 1, 0);
  JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_INET6, 0, 9);
  /* network "none": no IP sockets at all (also closes listen() autobind, which Landlock does not see) */
  if (opt.no_inet) RET_ERRNO(EACCES); else LOAD_ARG(1);
  STMT(BPF_ALU | BPF_AND | BPF_K, 0xf); /* SOCK_TYPE_MASK */
  JUMP(BPF_JMP | BPF_JEQ | BPF_K, SOCK_STREAM, 0, 4);
  LOAD_ARG(2);
  JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0);
  JUMP(BPF_JMP | BPF_JEQ | BPF_K, 6 /*IPPROTO_TCP*/, 0, 3); /* MPTCP (262) and the rest: denied */
  RET_ALLOW();
  JUMP(BPF_JMP | BPF_JEQ | BPF_K, SOCK_DGRAM, 0, 1);
  if (opt.allow_udp) RET_ALLOW(); else RET_ERRNO(EACCES);
  RET_ERRNO(EACCES); /* raw, packet, netlink, seqpacket… */
  RET_ALLOW();

  struct sock_fprog fp = {.len = (unsigned short)plen, .filter = prog};
  if (opt.nhosts == 0) {
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fp) < 0) child_fail(EXIT_SECCOMP, "seccomp", "install filter");
    return;
  }
  int listener = (int)syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &fp);
  if (listener < 0) child_fail(EXIT_SECCOMP, "seccomp", "install filter with a notification listener");
  /* hand the listener to the supervisor (SCM_RIGHTS), then drop it */
  char cbuf[CMSG_SPACE(sizeof(int))];
  memset(cbuf, 0, sizeof cbuf);
  char one = 1;
  struct iovec iov = {.iov_base = &one, .iov_len = 1};
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
  struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cm), &listener, sizeof(int));
  if (sendmsg(notif_sock, &mh, 0) != 1) child_fail(EXIT_SECCOMP, "seccomp", "hand over the listener");
  close(listener);
  close(notif_sock);
}

/* ---- capabilities ---- */
struct cap_header {
  uint32_t version;
  int pid;
};
struct cap_data {
  uint32_t effective, permitted, inheritable;
};

static void drop_caps(void) {
  /* securebits: uid 0 gets no capabilities on execve, and that is locked (needs CAP_SETPCAP). */
  if (geteuid() == 0 || getuid() == 0) {
    const unsigned long bits = 0x2f; /* NOROOT|NOROOT_LOCKED|NO_SETUID_FIXUP|NO_SETUID_FIXUP_LOCKED|KEEP_CAPS_LOCKED */
    if (prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) < 0 && errno != EPERM)
      child_fail(EXIT_CAPS, "capabilities", "set securebits");
  }
  for (int c = 0; c <= 63; c++) {
    if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) <= 0) continue;
    if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EPERM)
      child_fail(EXIT_CAPS, "capabilities", "drop bounding set");
  }
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  struct cap_header h = {.version = 0x20080522 /* _LINUX_CAPABILITY_VERSION_3 */, .pid = 0};
  struct cap_data d[2];
  memset(d, 0, sizeof d);
  if (syscall(SYS_capset, &h, d) < 0) child_fail(EXIT_CAPS, "capabilities", "capset");
}

/* ---- cgroup (pids limit; also lets the supervisor find every descendant) ---- */
static char cgroup_dir[768];
static int cgroup_v2;

static int write_file(const char *dir, const char *name, const char *val) {
  char p[900];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  int fd = open(p, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = write(fd, val, strlen(val));
  int saved = errno;
  close(fd);
  errno = saved;
  return n < 0 ? -1 : 0;
}

/* Find the pids cgroup of this process and create a child for the command. 0 = none available. */
static int cgroup_create(void) {
  FILE *f = fopen("/proc/self/cgroup", "re");
  if (!f) return 0;
  char line[1024], v1[512] = "", v2[512] = "";
  int have_v1 = 0, have_v2 = 0;
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = 0;
    char *c1 = strchr(line, ':');
    char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c2) continue;
    *c2 = 0;
    const char *ctrls = c1 + 1, *path = c2 + 1;
    if (!strcmp(line, "0") && !*ctrls) {
      snprintf(v2, sizeof v2, "%s", path);
      have_v2 = 1;
    } else {
      char tmp[256];
      snprintf(tmp, sizeof tmp, "%s", ctrls);
      for (char *t = strtok(tmp, ","); t; t = strtok(NULL, ","))
        if (!strcmp(t, "pids")) {
          snprintf(v1, sizeof v1, "%s", path);
          have_v1 = 1;
        }
    }
  }
  fclose(f);
  char base[600];
  if (have_v1) {
    snprintf(base, sizeof base, "/sys/fs/cgroup/pids%s", strcmp(v1, "/") ? v1 : "");
    cgroup_v2 = 0;
  } else if (have_v2) {
    snprintf(base, sizeof base, "/sys/fs/cgroup%s", strcmp(v2, "/") ? v2 : "");
    char ctl[700];
    snprintf(ctl, sizeof ctl, "%s/cgroup.subtree_control", base);
    FILE *s = fopen(ctl, "re");
    char buf[256] = "";
    if (!s) return 0;
    if (!fgets(buf, sizeof buf, s)) buf[0] = 0;
    fclose(s);
    if (!strstr(buf, "pids")) return 0;
    cgroup_v2 = 1;
  } else {
    return 0;
  }
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  snprintf(cgroup_dir, sizeof cgroup_dir, "%s/ostk-sb-%d-%ld", base, (int)getpid(), (long)ts.tv_nsec);
  if (mkdir(cgroup_dir, 0700) < 0) {
    cgroup_dir[0] = 0;
    return 0;
  }
  char lim[32];
  snprintf(lim, sizeof lim, "%ld", opt.pids_max);
  if (write_file(cgroup_dir, "pids.max", lim) < 0) {
    rmdir(cgroup_dir);
    cgroup_dir[0] = 0;
    return 0;
  }
  return 1;
}

/* Kill every process in the cgroup until it is empty, then remove it. */
static void cgroup_kill_all(void) {
  if (!cgroup_dir[0]) return;
  if (cgroup_v2) write_file(cgroup_dir, "cgroup.kill", "1");
  char p[900];
  snprintf(p, sizeof p, "%s/cgroup.procs", cgroup_dir);
  for (int round = 0; round < 2000; round++) {
    FILE *f = fopen(p, "re");
    if (!f) break;
    int any = 0;
    long pid;
    while (fscanf(f, "%ld", &pid) == 1) {
      any = 1;
      kill((pid_t)pid, SIGKILL);
    }
    fclose(f);
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
    if (!any) break;
    usleep(500);
  }
}

/* Remove the (now empty) cgroup. The kernel may release it a moment later (EBUSY): then the caller, which
 * got its path on --status-fd, removes it without holding up the command's result. */
static void cgroup_remove(void) {
  if (!cgroup_dir[0]) return;
  for (int i = 0; i < 3 && rmdir(cgroup_dir) < 0 && errno == EBUSY; i++) usleep(200);
  if (access(cgroup_dir, F_OK) == 0) status_line("cgroup-left %s", cgroup_dir);
  cgroup_dir[0] = 0;
}

/* ---- mount namespace: paths inside writable trees made read-only by bind mounts ---- */
static int write_str(const char *path, const char *val) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = write(fd, val, strlen(val));
  close(fd);
  return n < 0 ? -1 : 0;
}

/* A private mount namespace (with a user namespace when not root). 0 on success. */
static int enter_mount_ns(void) {
  uid_t uid = geteuid();
  gid_t gid = getegid();
  if (unshare(CLONE_NEWNS) == 0) return 0;
  if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) return -1;
  char map[64];
  write_str("/proc/self/setgroups", "deny");
  snprintf(map, sizeof map, "%u %u 1", (unsigned)uid, (unsigned)uid);
  if (write_str("/proc/self/uid_map", map) < 0) return -1;
  snprintf(map, sizeof map, "%u %u 1", (unsigned)gid, (unsigned)gid);
  if (write_str("/proc/self/gid_map", map) < 0) return -1;
  return 0;
}

static void apply_ro_binds(void) {
  if (opt.nbinds == 0 && opt.nmasks == 0 && opt.npins == 0) return;
  if (enter_mount_ns() < 0) child_fail(EXIT_MOUNT, "mount-namespace", "unshare");
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) child_fail(EXIT_MOUNT, "mount-namespace", "make / private");
  /* Pins: a directory bind-mounted onto itself stays writable inside but becomes a mount point, which
   * cannot be renamed or removed — so `.git` cannot be swapped for an impostor holding new hooks. */
  for (int i = 0; i < opt.npins; i++) {
    struct stat st;
    if (lstat(opt.pins[i], &st) < 0 || !S_ISDIR(st.st_mode)) continue;
    if (mount(opt.pins[i], opt.pins[i], NULL, MS_BIND | MS_REC, NULL) < 0) child_fail(EXIT_MOUNT, "pin", opt.pins[i]);
  }
  for (int i = 0; i < opt.nbinds; i++) {
    const char *p = opt.ro_binds[i];
    struct stat st;
    if (lstat(p, &st) < 0) {
      if (errno == ENOENT) continue; /* gone since the rules were made: nothing to protect */
      child_fail(EXIT_MOUNT, "ro-bind", p);
    }
    if (S_ISLNK(st.st_mode)) continue; /* a symlink is not followed by Landlock-confined writes' target either */
    if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0) child_fail(EXIT_MOUNT, "ro-bind", p);
    struct statvfs sv;
    unsigned long keep = 0;
    if (statvfs(p, &sv) == 0) {
      if (sv.f_flag & ST_NOEXEC) keep |= MS_NOEXEC;
      if (sv.f_flag & ST_NOATIME) keep |= MS_NOATIME;
      if (sv.f_flag & ST_NODIRATIME) keep |= MS_NODIRATIME;
      if (sv.f_flag & ST_RELATIME) keep |= MS_RELATIME;
    }
    if (mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | keep, NULL) < 0)
      child_fail(EXIT_MOUNT, "ro-bind", p);
  }
  /* Masks: /dev/null over a non-directory (e.g. the kernel's unix socket), so opening or connecting
   * to it reaches nothing. */
  for (int i = 0; i < opt.nmasks; i++) {
    const char *p = opt.masks[i];
    struct stat st;
    if (lstat(p, &st) < 0 || S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode)) continue;
    if (mount("/dev/null", p, NULL, MS_BIND, NULL) < 0) child_fail(EXIT_MOUNT, "mask", p);
  }
}

/* ---- child side ---- */
/* Close every fd >= 3 except `a` and `b` (either may be -1). */
static void close_fds_except(int a, int b) {
  int keep[2] = {a < b ? a : b, a < b ? b : a};
  int from = 3;
  for (int k = 0; k < 2; k++) {
    if (keep[k] < 3) continue;
    if (keep[k] > from && syscall(SYS_close_range, from, keep[k] - 1, 0) < 0)
      for (int fd = from; fd < keep[k]; fd++) close(fd);
    from = keep[k] + 1;
  }
  if (syscall(SYS_close_range, from, ~0U, 0) < 0) {
    DIR *d = opendir("/proc/self/fd");
    if (!d) child_fail(EXIT_SESSION_FDS, "fds", "list /proc/self/fd");
    int dfd = dirfd(d);
    struct dirent *e;
    while ((e = readdir(d))) {
      int fd = atoi(e->d_name);
      if (fd >= from && fd != dfd) close(fd);
    }
    closedir(d);
  }
}

static void set_limit(int res, long v, const char *name) {
  if (v < 0) return;
  struct rlimit rl = {.rlim_cur = (rlim_t)v, .rlim_max = (rlim_t)v};
  if (setrlimit(res, &rl) < 0) child_fail(EXIT_RLIMIT, "rlimit", name);
}

static const char *env_get(const char *name) {
  size_t n = strlen(name);
  for (int i = 0; i < opt.nenv; i++)
    if (!strncmp(opt.env[i], name, n) && opt.env[i][n] == '=') return opt.env[i] + n + 1;
  return NULL;
}

static void exec_program(void) {
  char **argv = opt.argv;
  char **envp = opt.env;
  envp[opt.nenv] = NULL;
  if (strchr(argv[0], '/')) {
    execve(argv[0], argv, envp);
  } else {
    const char *path = env_get("PATH");
    if (!path) path = "/usr/local/bin:/usr/bin:/bin";
    char buf[4096];
    int saw_eacces = 0;
    for (const char *p = path; *p;) {
      const char *end = strchr(p, ':');
      size_t len = end ? (size_t)(end - p) : strlen(p);
      if (len && len + strlen(argv[0]) + 2 < sizeof buf) {
        memcpy(buf, p, len);
        buf[len] = '/';
        strcpy(buf + len + 1, argv[0]);
        execve(buf, argv, envp);
        if (errno == EACCES) saw_eacces = 1;
      }
      if (!end) break;
      p = end + 1;
    }
    if (saw_eacces) errno = EACCES;
  }
  int code = errno == ENOENT || errno == ENOTDIR ? EXIT_EXEC_NOTFOUND : EXIT_EXEC_EACCES;
  child_fail(code, "exec", argv[0]);
}

static void child_setup(int abi, int in_cgroup) {
  if (setsid() < 0) child_fail(EXIT_SESSION_FDS, "session", "setsid");
  if (in_cgroup && write_file(cgroup_dir, "cgroup.procs", "0") < 0)
    child_fail(EXIT_CGROUP, "cgroup", "join pids cgroup");
  close_fds_except(err_pipe, notif_sock);
  set_limit(RLIMIT_CORE, 0, "core");
  set_limit(RLIMIT_NPROC, opt.nproc, "nproc");
  set_limit(RLIMIT_FSIZE, opt.fsize, "fsize");
  set_limit(RLIMIT_CPU, opt.cpu, "cpu");
  set_limit(RLIMIT_NOFILE, opt.nofile, "nofile");
  apply_ro_binds();
  if (opt.cwd && chdir(opt.cwd) < 0) child_fail(EXIT_SESSION_FDS, "cwd", opt.cwd);
  drop_caps();
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) child_fail(EXIT_NO_NEW_PRIVS, "no-new-privs", "prctl");
  apply_landlock(abi);
  apply_seccomp();
}

/* ---- supervisor ---- */
static pid_t main_child;

/* Kill every remaining descendant: the command's process group, the cgroup, then (as subreaper)
 * every child that reparented to us, until none is left. */
static void kill_everything(void) {
  if (main_child > 0) kill(-main_child, SIGKILL);
  cgroup_kill_all();
  char path[64];
  snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)getpid());
  for (int round = 0; round < 5000; round++) {
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
    FILE *f = fopen(path, "re");
    int any = 0;
    if (f) {
      long pid;
      while (fscanf(f, "%ld", &pid) == 1) {
        any = 1;
        kill((pid_t)pid, SIGKILL);
      }
      fclose(f);
    }
    if (!any) {
      errno = 0;
      if (waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD) break;
    }
    usleep(200);
  }
}

static int run_probe(int abi) {
  /* Apply everything in a child and report what took effect. */
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) return EXIT_FORK;
  err_pipe = p[1];
  pid_t c = fork();
  if (c < 0) return EXIT_FORK;
  if (c == 0) {
    close(p[0]);
    child_setup(abi, 0);
    _exit(0);
  }
  close(p[1]);
  char buf[512] = "";
  ssize_t n = read(p[0], buf, sizeof buf - 1);
  int st = 0;
  waitpid(c, &st, 0);
  int ok = n <= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
  if (n > 0) buf[n] = 0;
  for (char *q = buf; *q; q++)
    if (*q == '"' || *q == '\\' || *q == '\t') *q = ' ';
  int mountns = 0;
  pid_t m = fork();
  if (m == 0) _exit(enter_mount_ns() == 0 && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 ? 0 : 1);
  if (m > 0) {
    int ms = 0;
    waitpid(m, &ms, 0);
    mountns = WIFEXITED(ms) && WEXITSTATUS(ms) == 0;
  }
  printf("{\"ok\":%s,\"landlockAbi\":%d,\"seccomp\":%s,\"noNewPrivs\":%s,\"subreaper\":%s,\"cgroupPids\":%s,"
         "\"mountNamespace\":%s,\"error\":\"%s\"}\n",
         ok ? "true" : "false", abi, ok ? "true" : "false", ok ? "true" : "false",
         prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0 ? "true" : "false",
         (opt.pids_max = 64, cgroup_create()) ? "true" : "false", mountns ? "true" : "false", buf);
  cgroup_remove();
  return ok ? 0 : 1;
}

/* ---- supervisor: connect() destinations (--connect-host) ---- */
static int notif_fd = -1;
static int sig_fd = -1;

static int host_allowed(const struct sockaddr_storage *ss) {
  unsigned char ip[16];
  long port;
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
    memset(ip, 0, 10);
    ip[10] = ip[11] = 0xff;
    memcpy(ip + 12, &in->sin_addr, 4);
    port = ntohs(in->sin_port);
  } else {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
    memcpy(ip, &in6->sin6_addr, 16);
    port = ntohs(in6->sin6_port);
  }
  for (int i = 0; i < opt.nconnect; i++)
    if (opt.connect_ports[i] == port) return 1; /* a plain port rule: any host */
  for (int i = 0; i < opt.nhosts; i++)
    if (opt.hosts[i].port == port && !memcmp(opt.hosts[i].ip, ip, 16)) return 1;
  return 0;
}

/* Connect the command's own socket (a duplicate via pidfd_getfd) to the address read and checked here, so
 * a thread rewriting its sockaddr after the check changes nothing. Returns 0 or an errno. */
static int proxy_connect(pid_t pid, int target_fd, const struct sockaddr_storage *ss, socklen_t len, uint64_t id) {
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (pidfd < 0) return errno;
  int sfd = (int)syscall(SYS_pidfd_getfd, pidfd, target_fd, 0);
  int e = errno;
  close(pidfd);
  if (sfd < 0) return e;
  int fl = fcntl(sfd, F_GETFL);
  int blocking = fl >= 0 && !(fl & O_NONBLOCK);
  if (blocking) fcntl(sfd, F_SETFL, fl | O_NONBLOCK);
  e = connect(sfd, (const struct sockaddr *)ss, len) < 0 ? errno : 0;
  while (blocking && e == EINPROGRESS) {
    struct pollfd p[2] = {{.fd = sfd, .events = POLLOUT}, {.fd = sig_fd, .events = POLLIN}};
    int n = poll(p, 2, 200);
    if (n > 0 && (p[0].revents & (POLLOUT | POLLERR | POLLHUP))) {
      socklen_t l = sizeof e;
      if (getsockopt(sfd, SOL_SOCKET, SO_ERROR, &e, &l) < 0) e = errno;
      break;
    }
    if (n > 0 && (p[1].revents & POLLIN)) {
      e = EINTR; /* a signal for the supervisor (timeout/cancel): stop waiting */
      break;
    }
    if (ioctl(notif_fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) < 0) {
      e = ECONNABORTED; /* the caller is gone */
      break;
    }
  }
  if (blocking) fcntl(sfd, F_SETFL, fl);
  close(sfd);
  return e;
}

static void handle_notification(void) {
  static struct seccomp_notif_sizes sizes;
  static struct seccomp_notif *req;
  static struct seccomp_notif_resp *resp;
  if (!req) {
    if (syscall(__NR_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0) return;
    req = calloc(1, sizes.seccomp_notif);
    resp = calloc(1, sizes.seccomp_notif_resp);
    if (!req || !resp) return;
  }
  memset(req, 0, sizes.seccomp_notif);
  if (ioctl(notif_fd, SECCOMP_IOCTL_NOTIF_RECV, req) < 0) return;
  memset(resp, 0, sizes.seccomp_notif_resp);
  resp->id = req->id;
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  socklen_t len = (socklen_t)req->data.args[2];
  if (req->data.nr != __NR_connect) {
    resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  } else if (len < sizeof(sa_family_t) || len > sizeof ss) {
    resp->error = -EINVAL;
  } else {
    struct iovec local = {.iov_base = &ss, .iov_len = len};
    struct iovec remote = {.iov_base = (void *)(uintptr_t)req->data.args[1], .iov_len = len};
    if (process_vm_readv(req->pid, &local, 1, &remote, 1, 0) != (ssize_t)len) {
      resp->error = -EFAULT;
    } else if (ioctl(notif_fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &req->id) < 0) {
      return; /* the caller died meanwhile */
    } else if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6) {
      /* unix sockets, AF_UNSPEC: Landlock and the rest of the filter still apply to the real call */
      resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    } else if ((ss.ss_family == AF_INET && len < sizeof(struct sockaddr_in)) ||
               (ss.ss_family == AF_INET6 && len < sizeof(struct sockaddr_in6))) {
      resp->error = -EINVAL;
    } else if (!host_allowed(&ss)) {
      resp->error = -EACCES;
    } else {
      int e = proxy_connect(req->pid, (int)req->data.args[0], &ss, len, req->id);
      resp->error = e ? -e : 0;
    }
  }
  ioctl(notif_fd, SECCOMP_IOCTL_NOTIF_SEND, resp);
}

static int receive_listener(int sock) {
  char cbuf[CMSG_SPACE(sizeof(int))];
  char one;
  struct iovec iov = {.iov_base = &one, .iov_len = 1};
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
  if (recvmsg(sock, &mh, MSG_CMSG_CLOEXEC) != 1) return -1;
  struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
  if (!cm || cm->cmsg_type != SCM_RIGHTS) return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(cm), sizeof fd);
  return fd;
}

int main(int argc, char **argv) {
  parse_args(argc, argv);
  status_fd = opt.status_fd;
  if (status_fd >= 0 && fcntl(status_fd, F_SETFD, FD_CLOEXEC) < 0) status_fd = -1;
  int abi = landlock_abi();
  if (opt.probe) return run_probe(abi);

  pid_t parent = getppid();
  if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) < 0 || getppid() != parent) return EXIT_FORK;
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
    fprintf(stderr, "ostk-sandbox: cannot become a child subreaper: %s\n", strerror(errno));
    status_line("fail %d subreaper %s", EXIT_FORK, strerror(errno));
    return EXIT_FORK;
  }
  int in_cgroup = 0;
  if (opt.pids_max >= 0) {
    in_cgroup = cgroup_create();
    if (!in_cgroup) {
      fprintf(stderr, "ostk-sandbox: a pids cgroup was required but none is writable here\n");
      status_line("fail %d cgroup no writable pids cgroup", EXIT_CGROUP);
      return EXIT_CGROUP;
    }
    status_line("cgroup %s", cgroup_dir);
  }

  sigset_t mask, old;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGHUP);
  sigprocmask(SIG_BLOCK, &mask, &old);

  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) return EXIT_FORK;
  int sp[2] = {-1, -1};
  if (opt.nhosts > 0 && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) return EXIT_FORK;
  main_child = fork();
  if (main_child < 0) {
    status_line("fail %d fork %s", EXIT_FORK, strerror(errno));
    cgroup_remove();
    return EXIT_FORK;
  }
  if (main_child == 0) {
    close(p[0]);
    err_pipe = p[1];
    if (sp[0] >= 0) {
      close(sp[0]);
      notif_sock = sp[1];
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    signal(SIGPIPE, SIG_DFL);
    child_setup(abi, in_cgroup);
    exec_program();
    _exit(EXIT_EXEC_NOTFOUND);
  }
  close(p[1]);
  if (sp[1] >= 0) close(sp[1]);
  char buf[600];
  ssize_t n;
  do n = read(p[0], buf, sizeof buf - 1);
  while (n < 0 && errno == EINTR);
  close(p[0]);
  if (n > 0) {
    buf[n] = 0;
    int code = atoi(buf);
    char *kind = strchr(buf, '\t');
    char *msg = kind ? strchr(kind + 1, '\t') : NULL;
    if (kind) *kind++ = 0;
    if (msg) *msg++ = 0;
    if (code == EXIT_EXEC_NOTFOUND || code == EXIT_EXEC_EACCES) {
      fprintf(stderr, "ostk-sandbox: cannot run %s\n", msg ? msg : "program");
    } else {
      fprintf(stderr, "ostk-sandbox: sandbox setup failed (%s): %s; nothing was run\n", kind ? kind : "?",
              msg ? msg : "");
    }
    status_line("fail %d %s %s", code, kind ? kind : "?", msg ? msg : "");
    kill_everything();
    cgroup_remove();
    return code;
  }
  if (sp[0] >= 0) {
    notif_fd = receive_listener(sp[0]);
    close(sp[0]);
    if (notif_fd < 0) {
      fprintf(stderr, "ostk-sandbox: sandbox setup failed (seccomp): no notification listener; nothing was run\n");
      status_line("fail %d seccomp no notification listener", EXIT_SECCOMP);
      kill_everything();
      cgroup_remove();
      return EXIT_SECCOMP;
    }
  }
  status_line("started %d", (int)main_child);

  sig_fd = signalfd(-1, &mask, SFD_CLOEXEC);
  int wstatus = 0, done = 0, killed = 0;
  while (!done) {
    int sig;
    if (sig_fd >= 0) {
      struct pollfd pf[2] = {{.fd = sig_fd, .events = POLLIN}, {.fd = notif_fd, .events = POLLIN}};
      int n = poll(pf, notif_fd >= 0 ? 2 : 1, -1);
      if (n < 0) continue;
      if (notif_fd >= 0 && (pf[1].revents & POLLIN)) handle_notification();
      if (notif_fd >= 0 && (pf[1].revents & (POLLHUP | POLLERR | POLLNVAL))) {
        close(notif_fd); /* every process of the filter is gone */
        notif_fd = -1;
      }
      if (!(pf[0].revents & POLLIN)) continue;
      struct signalfd_siginfo fsi;
      if (read(sig_fd, &fsi, sizeof fsi) != sizeof fsi) continue;
      sig = (int)fsi.ssi_signo;
    } else {
      siginfo_t si;
      sig = sigwaitinfo(&mask, &si);
      if (sig < 0) continue;
    }
    if (sig == SIGCHLD) {
      int st;
      pid_t r;
      while ((r = waitpid(-1, &st, WNOHANG)) > 0) {
        if (r == main_child) {
          wstatus = st;
          done = 1;
        }
      }
    } else if (!killed) {
      killed = 1;
      kill_everything();
      if (main_child > 0 && !done) {
        /* kill_everything reaped it; its status is lost, report the signal */
        wstatus = SIGKILL;
        done = 1;
      }
    }
  }
  kill_everything();
  cgroup_remove();
  if (WIFSIGNALED(wstatus)) {
    status_line("signal %d", WTERMSIG(wstatus));
    return 128 + WTERMSIG(wstatus);
  }
  status_line("exit %d", WEXITSTATUS(wstatus));
  return WEXITSTATUS(wstatus);
}
