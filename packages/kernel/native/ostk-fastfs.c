// ostk-fastfs: one Linux primitive the kernel's apply step needs and Node lacks.
//
// exchange(a, b) swaps two paths atomically with renameat2(RENAME_EXCHANGE). The kernel replaces a
// file by exchanging it with the fully written temp file and then unlinking the temp (which now
// holds the old content). Readers see the old or the new file, never a mix, exactly as with
// rename(2); but ext4 does not start a writeback of the new data first, which it does when a rename
// replaces an existing file (auto_da_alloc) and which costs 0.2–1 ms per write. The write-ahead
// journal, not that heuristic, is what makes the content durable (recovery redoes it).
//
// Built at install by native/build.mjs as a Node-API addon (ABI-stable across Node versions). When it
// is missing or the filesystem refuses the exchange, the kernel uses rename(2).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <node_api.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

static int get_path(napi_env env, napi_value v, char *buf, size_t cap) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, buf, cap, &len) != napi_ok) return -1;
  if (len + 1 >= cap || strlen(buf) != len) return -1; /* too long, or an embedded NUL */
  return 0;
}

static const char *errno_code(int err) {
  switch (err) {
    case ENOENT: return "ENOENT";
    case EINVAL: return "EINVAL";
    case ENOSYS: return "ENOSYS";
    case EXDEV: return "EXDEV";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case EBUSY: return "EBUSY";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EROFS: return "EROFS";
    case ENOSPC: return "ENOSPC";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    default: return "EIO";
  }
}

static napi_value exchange(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  char a[4096], b[4096];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2 ||
      get_path(env, argv[0], a, sizeof a) || get_path(env, argv[1], b, sizeof b)) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "exchange(a, b) takes two path strings");
    return NULL;
  }
  if (syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) != 0) {
    int err = errno;
    char msg[512];
    snprintf(msg, sizeof msg, "%s: %s, renameat2 exchange '%s' '%s'", errno_code(err), strerror(err), a, b);
    napi_throw_error(env, errno_code(err), msg);
  }
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "exchange", NAPI_AUTO_LENGTH, exchange, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "exchange", fn) != napi_ok) return NULL;
  return exports;
}
