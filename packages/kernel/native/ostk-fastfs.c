// ostk-fastfs: the Linux primitives the kernel's apply step needs and Node lacks.
//
// exchange(a, b) swaps two paths atomically with renameat2(RENAME_EXCHANGE). The kernel replaces a
// file by exchanging it with the fully written temp file and then unlinking the temp (which now
// holds the old content). Readers see the old or the new file, never a mix, exactly as with
// rename(2); but ext4 does not start a writeback of the new data first, which it does when a rename
// replaces an existing file (auto_da_alloc) and which costs 0.2–1 ms per write. The write-ahead
// journal, not that heuristic, is what makes the content durable (recovery redoes it).
//
// writeReplaceBatch(ops), ops = [[tmp, target, data, mode], ...], does whole inline applies in ONE
// thread-pool job, one after another: for each, create the temp file (O_EXCL, never through a
// symlink), write it, close it, exchange it with the target (rename when there is no target, or when
// the filesystem refuses the exchange), unlink the old content and stat the target. The kernel
// gathers the applies that become ready in one event-loop turn (every writer whose intent one
// fdatasync made durable) into two calls, one per core.
// Through fs.promises that is five thread-pool round trips, each costing the event loop a dispatch,
// a wake-up and a completion; on a 2-core machine those hops, not the syscalls, were the largest
// cost of a durable write. It resolves to one value per op: { how, size, ino, mode, mtimeSec,
// mtimeNsec, ctimeSec, ctimeNsec } (how the file was put in place: "exchange", "rename", or
// "rename:<errno>" when the exchange was refused; stat(target) taken right after), or an Error whose
// `code` is the errno name; on failure the target is untouched and the temp file either never existed or is the caller's
// to remove (it names it in the journal intent, so recovery removes it too).
//
// writeReplaceSync(op) does one such apply on the calling thread, for a write no other is waiting with.
//
// syncFiles(paths) fdatasyncs a list of files in one job, for the background group sync.
//
// peerCred(fd) reads who is on the other end of a connected unix socket from the kernel
// (SO_PEERCRED): { pid, uid, gid } as of connect(2). The journal records it beside the identity
// the caller claims.
//
// Built at install by native/build.mjs as a Node-API addon (ABI-stable across Node versions). When it
// is missing or the filesystem refuses the exchange, the kernel uses rename(2).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
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
    case EEXIST: return "EEXIST";
    case ELOOP: return "ELOOP";
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
    case EBADF: return "EBADF";
    case ENOTSOCK: return "ENOTSOCK";
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

/* The single array argument of writeReplaceBatch / syncFiles and its length; 0 on success. */
static int array_arg(napi_env env, napi_callback_info info, napi_value *arr, uint32_t *n) {
  size_t argc = 1;
  bool is_array = false;
  return napi_get_cb_info(env, info, &argc, arr, NULL, NULL) != napi_ok || argc != 1 ||
         napi_is_array(env, *arr, &is_array) != napi_ok || !is_array ||
         napi_get_array_length(env, *arr, n) != napi_ok;
}

/* An Error whose `code` is the errno name and whose message is `msg`. */
static napi_value errno_error(napi_env env, int err, const char *msg) {
  napi_value code, message, result;
  napi_create_string_utf8(env, errno_code(err), NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, code, message, &result);
  return result;
}

static int is_exchange_unsupported(int err) { return err == EINVAL || err == ENOSYS || err == EPERM; }

typedef struct {
  napi_ref data_ref;
  const char *data;
  size_t len;
  int mode;
  char tmp[4096];
  char target[4096];
  int err;            /* errno of the failure, 0 on success */
  const char *stage;  /* which syscall failed */
  int how;            /* 0 exchange, 1 rename (no target), 2 rename (exchange refused) */
  int refused;        /* errno of the refused exchange (how == 2) */
  int have_stat;      /* st holds stat(target) taken right after the file was put in place */
  struct stat st;
} write_replace_job;

static void put_in_place(write_replace_job *j) {
  int fd = open(j->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, j->mode);
  if (fd < 0) {
    j->err = errno;
    j->stage = "open";
    return;
  }
  size_t off = 0;
  while (off < j->len) {
    ssize_t n = write(fd, j->data + off, j->len - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      j->err = errno;
      j->stage = "write";
      close(fd);
      unlink(j->tmp);
      return;
    }
    off += (size_t)n;
  }
  if (close(fd) != 0 && errno != EINTR) {
    j->err = errno;
    j->stage = "close";
    unlink(j->tmp);
    return;
  }
  if (syscall(SYS_renameat2, AT_FDCWD, j->tmp, AT_FDCWD, j->target, RENAME_EXCHANGE) == 0) {
    if (unlink(j->tmp) != 0) {
      /* What stood at the target cannot be unlinked (a directory put there since it was checked):
         swap it back and fail as rename(2) would, leaving the temp file to the caller. */
      j->err = errno;
      j->stage = "unlink";
      syscall(SYS_renameat2, AT_FDCWD, j->tmp, AT_FDCWD, j->target, RENAME_EXCHANGE);
    }
    j->how = 0;
    return;
  }
  int err = errno;
  if (err == ENOENT) j->how = 1; /* no file to replace yet (or the temp vanished: rename reports it) */
  else if (is_exchange_unsupported(err)) {
    j->how = 2;
    j->refused = err;
  } else {
    j->err = err;
    j->stage = "renameat2";
    return;
  }
  if (rename(j->tmp, j->target) != 0) {
    j->err = errno;
    j->stage = "rename";
  }
}

/* One whole apply, then the stat the kernel's generation table records for the new file. */
static void write_replace_apply(write_replace_job *j) {
  put_in_place(j);
  if (j->err == 0 && stat(j->target, &j->st) == 0) j->have_stat = 1;
}

/* A batch of writeReplaceBatch operations run one after another in one thread-pool job. */
typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  uint32_t count;
  write_replace_job *jobs;
} write_replace_batch;

static void write_replace_execute(napi_env env, void *arg) {
  (void)env;
  write_replace_batch *b = arg;
  for (uint32_t i = 0; i < b->count; i++) write_replace_apply(&b->jobs[i]);
}

static void set_number(napi_env env, napi_value obj, const char *name, double v) {
  napi_value n;
  napi_create_double(env, v, &n);
  napi_set_named_property(env, obj, name, n);
}

/* One operation's outcome: an Error (code = errno name, syscall = the failed step) or
   { how, size, ino, mode, mtimeSec, mtimeNsec, ctimeSec, ctimeNsec }. */
static napi_value job_value(napi_env env, write_replace_job *j) {
  napi_value result;
  if (j->err) {
    char msg[8400];
    int on_temp = strcmp(j->stage, "open") == 0 || strcmp(j->stage, "write") == 0 || strcmp(j->stage, "close") == 0;
    if (on_temp) snprintf(msg, sizeof msg, "%s: %s, %s '%s'", errno_code(j->err), strerror(j->err), j->stage, j->tmp);
    else
      snprintf(msg, sizeof msg, "%s: %s, %s '%s' '%s'", errno_code(j->err), strerror(j->err), j->stage, j->tmp,
               j->target);
    result = errno_error(env, j->err, msg);
    napi_value syscall_name;
    napi_create_string_utf8(env, j->stage, NAPI_AUTO_LENGTH, &syscall_name);
    napi_set_named_property(env, result, "syscall", syscall_name);
    return result;
  }
  char how[64];
  if (j->how == 0) snprintf(how, sizeof how, "exchange");
  else if (j->how == 1) snprintf(how, sizeof how, "rename");
  else snprintf(how, sizeof how, "rename:%s", errno_code(j->refused));
  napi_value how_v;
  napi_create_object(env, &result);
  napi_create_string_utf8(env, how, NAPI_AUTO_LENGTH, &how_v);
  napi_set_named_property(env, result, "how", how_v);
  if (j->have_stat) {
    /* Seconds and nanoseconds apart, so JS computes mtimeMs/ctimeMs exactly as fs.Stats does. */
    set_number(env, result, "size", (double)j->st.st_size);
    set_number(env, result, "ino", (double)j->st.st_ino);
    set_number(env, result, "mode", (double)j->st.st_mode);
    set_number(env, result, "mtimeSec", (double)j->st.st_mtim.tv_sec);
    set_number(env, result, "mtimeNsec", (double)j->st.st_mtim.tv_nsec);
    set_number(env, result, "ctimeSec", (double)j->st.st_ctim.tv_sec);
    set_number(env, result, "ctimeNsec", (double)j->st.st_ctim.tv_nsec);
  }
  return result;
}

static void batch_free(napi_env env, write_replace_batch *b) {
  for (uint32_t i = 0; i < b->count; i++)
    if (b->jobs[i].data_ref) napi_delete_reference(env, b->jobs[i].data_ref);
  free(b->jobs);
  free(b);
}

static void write_replace_complete(napi_env env, napi_status status, void *arg) {
  write_replace_batch *b = arg;
  napi_value results;
  napi_create_array_with_length(env, b->count, &results);
  for (uint32_t i = 0; i < b->count; i++) {
    write_replace_job *j = &b->jobs[i];
    if (status != napi_ok && j->err == 0) {
      j->err = EIO;
      j->stage = "async work";
    }
    napi_set_element(env, results, i, job_value(env, j));
  }
  napi_resolve_deferred(env, b->deferred, results);
  napi_delete_async_work(env, b->work);
  batch_free(env, b);
}

/* One [tmp, target, data, mode] operation into `j`; 0 on success. `keep` holds a reference on the
   Buffer so it outlives this call (for the thread-pool job). */
static int parse_op(napi_env env, napi_value op, write_replace_job *j, bool keep) {
  napi_value el[4];
  bool op_is_array = false, is_buffer = false;
  uint32_t op_len = 0;
  int32_t mode = 0644;
  void *data = NULL;
  int bad = napi_is_array(env, op, &op_is_array) != napi_ok || !op_is_array ||
            napi_get_array_length(env, op, &op_len) != napi_ok || op_len != 4;
  for (uint32_t k = 0; !bad && k < 4; k++) bad = napi_get_element(env, op, k, &el[k]) != napi_ok;
  bad = bad || get_path(env, el[0], j->tmp, sizeof j->tmp) || get_path(env, el[1], j->target, sizeof j->target) ||
        napi_is_buffer(env, el[2], &is_buffer) != napi_ok || !is_buffer ||
        napi_get_value_int32(env, el[3], &mode) != napi_ok ||
        napi_get_buffer_info(env, el[2], &data, &j->len) != napi_ok ||
        (keep && napi_create_reference(env, el[2], 1, &j->data_ref) != napi_ok);
  if (bad) return -1;
  j->data = data;
  j->mode = mode & 07777;
  return 0;
}

/* writeReplaceSync(op): one operation of writeReplaceBatch run right here, on the calling thread, with
   the same result (an object, or an Error returned, not thrown). For a lone write a thread-pool job
   costs two cross-thread wake-ups, more than the six syscalls it saves the event loop. */
static napi_value write_replace_sync(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  write_replace_job *j = calloc(1, sizeof *j);
  if (!j) {
    napi_throw_error(env, "ENOMEM", "writeReplaceSync: out of memory");
    return NULL;
  }
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1 ||
      parse_op(env, argv[0], j, false)) {
    free(j);
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE",
                          "writeReplaceSync(op) takes [tmp, target, data, mode]: two path strings, a Buffer and a mode");
    return NULL;
  }
  write_replace_apply(j);
  napi_value result = job_value(env, j);
  free(j);
  return result;
}

static napi_value write_replace(napi_env env, napi_callback_info info) {
  static const char *usage =
      "writeReplaceBatch(ops) takes an array of [tmp, target, data, mode]: two path strings, a Buffer and a mode";
  napi_value argv[1];
  uint32_t n = 0;
  if (array_arg(env, info, argv, &n) || n == 0) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", usage);
    return NULL;
  }
  write_replace_batch *b = calloc(1, sizeof *b);
  if (!b || !(b->jobs = calloc(n, sizeof *b->jobs))) {
    free(b);
    napi_throw_error(env, "ENOMEM", "writeReplaceBatch: out of memory");
    return NULL;
  }
  for (uint32_t i = 0; i < n; i++) {
    napi_value op;
    int bad = napi_get_element(env, argv[0], i, &op) != napi_ok || parse_op(env, op, &b->jobs[i], true);
    b->count = i + 1;
    if (bad) {
      batch_free(env, b);
      napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", usage);
      return NULL;
    }
  }
  napi_value promise, name;
  if (napi_create_promise(env, &b->deferred, &promise) != napi_ok ||
      napi_create_string_utf8(env, "ostk-fastfs:writeReplaceBatch", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, write_replace_execute, write_replace_complete, b, &b->work) !=
          napi_ok ||
      napi_queue_async_work(env, b->work) != napi_ok) {
    if (b->work) napi_delete_async_work(env, b->work);
    batch_free(env, b);
    napi_throw_error(env, "EIO", "writeReplaceBatch: could not queue the work");
    return NULL;
  }
  return promise;
}

/* syncFiles(paths): for each path, open (never through a symlink) + fdatasync + close, all in ONE
   thread-pool job: one wake-up and one completion on the event loop for a whole background group
   sync, instead of one per file (each wake-up of an idle pool thread that then runs fdatasync cost
   the event loop 0.1-1 ms on a busy 2-core machine). A missing file is skipped; every path is tried,
   and the first failure is reported at the end. Resolves to the number of files synced. */
typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  char **paths;
  uint32_t count;
  uint32_t synced;
  int err;
  char err_path[4096];
} sync_job;

static void sync_execute(napi_env env, void *arg) {
  (void)env;
  sync_job *j = arg;
  for (uint32_t i = 0; i < j->count; i++) {
    int fd = open(j->paths[i], O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    int err = 0;
    if (fd < 0) {
      if (errno != ENOENT && errno != ELOOP && errno != ENOTDIR) err = errno;
    } else {
      if (fdatasync(fd) != 0) err = errno;
      else j->synced++;
      close(fd);
    }
    if (err && !j->err) {
      j->err = err;
      snprintf(j->err_path, sizeof j->err_path, "%s", j->paths[i]);
    }
  }
}

static void sync_free(sync_job *j) {
  for (uint32_t i = 0; i < j->count; i++) free(j->paths[i]);
  free(j->paths);
  free(j);
}

static void sync_complete(napi_env env, napi_status status, void *arg) {
  sync_job *j = arg;
  napi_value result;
  if (status != napi_ok && j->err == 0) j->err = EIO;
  if (j->err) {
    char msg[4400];
    snprintf(msg, sizeof msg, "%s: %s, fdatasync '%s'", errno_code(j->err), strerror(j->err), j->err_path);
    napi_reject_deferred(env, j->deferred, errno_error(env, j->err, msg));
  } else {
    napi_create_uint32(env, j->synced, &result);
    napi_resolve_deferred(env, j->deferred, result);
  }
  napi_delete_async_work(env, j->work);
  sync_free(j);
}

static napi_value sync_files(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  uint32_t n = 0;
  if (array_arg(env, info, argv, &n)) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "syncFiles(paths) takes an array of path strings");
    return NULL;
  }
  sync_job *j = calloc(1, sizeof *j);
  if (!j || !(j->paths = calloc(n ? n : 1, sizeof *j->paths))) {
    free(j);
    napi_throw_error(env, "ENOMEM", "syncFiles: out of memory");
    return NULL;
  }
  char buf[4096];
  for (uint32_t i = 0; i < n; i++) {
    napi_value el;
    if (napi_get_element(env, argv[0], i, &el) != napi_ok || get_path(env, el, buf, sizeof buf) ||
        !(j->paths[i] = strdup(buf))) {
      j->count = i;
      sync_free(j);
      napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "syncFiles(paths) takes an array of path strings");
      return NULL;
    }
    j->count = i + 1;
  }
  napi_value promise, name;
  if (napi_create_promise(env, &j->deferred, &promise) != napi_ok ||
      napi_create_string_utf8(env, "ostk-fastfs:syncFiles", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, sync_execute, sync_complete, j, &j->work) != napi_ok ||
      napi_queue_async_work(env, j->work) != napi_ok) {
    if (j->work) napi_delete_async_work(env, j->work);
    sync_free(j);
    napi_throw_error(env, "EIO", "syncFiles: could not queue the work");
    return NULL;
  }
  return promise;
}

static napi_value peer_cred(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd = -1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "peerCred(fd) takes a file descriptor");
    return NULL;
  }
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    int err = errno;
    char msg[256];
    snprintf(msg, sizeof msg, "%s: %s, getsockopt SO_PEERCRED", errno_code(err), strerror(err));
    napi_throw(env, errno_error(env, err, msg));
    return NULL;
  }
  napi_value result;
  napi_create_object(env, &result);
  set_number(env, result, "pid", (double)cred.pid);
  set_number(env, result, "uid", (double)cred.uid);
  set_number(env, result, "gid", (double)cred.gid);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "exchange", NAPI_AUTO_LENGTH, exchange, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "exchange", fn) != napi_ok) return NULL;
  if (napi_create_function(env, "writeReplaceBatch", NAPI_AUTO_LENGTH, write_replace, NULL, &fn) != napi_ok)
    return NULL;
  if (napi_set_named_property(env, exports, "writeReplaceBatch", fn) != napi_ok) return NULL;
  if (napi_create_function(env, "writeReplaceSync", NAPI_AUTO_LENGTH, write_replace_sync, NULL, &fn) != napi_ok)
    return NULL;
  if (napi_set_named_property(env, exports, "writeReplaceSync", fn) != napi_ok) return NULL;
  if (napi_create_function(env, "syncFiles", NAPI_AUTO_LENGTH, sync_files, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "syncFiles", fn) != napi_ok) return NULL;
  if (napi_create_function(env, "peerCred", NAPI_AUTO_LENGTH, peer_cred, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "peerCred", fn) != napi_ok) return NULL;
  return exports;
}
