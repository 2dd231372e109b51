/*
 * Starts a run's process with posix_spawn (glibc: clone(CLONE_VM|CLONE_VFORK)), so that its
 * cost does not grow with the host's memory as fork() does (libuv on Node 20 forks the whole
 * host and copies its page tables), and reaps it on a thread of its own.
 *
 * spawn(file, argv, envp, cwd, onExit) -> [pid, stdoutFd, stderrFd]
 *   The child: stdin /dev/null, stdout and stderr to two pipes (read ends returned, CLOEXEC),
 *   in `cwd`, leader of a new process group, default signal dispositions, nothing blocked.
 *   Throws with errno's code (ENOENT, EACCES...) when it cannot start.
 *   onExit(code, signal, usage) is called once on the main thread when the child has exited:
 *   code is the exit status or null, signal the number of the signal that ended it or null,
 *   usage [maxRssKiB, userSeconds, systemSeconds] from wait4: the child's, and that of the
 *   descendants it waited for (a run's accounting where it has no control group).
 *
 * Only the pid is waited for (wait4(pid)): libuv reaps its own children by pid as well, so
 * neither takes the other's.
 *
 * trimMemory() -> boolean
 *   glibc's malloc_trim(0): gives the system back the free memory of every malloc arena (what
 *   parsing and compiling the host's code at start-up used and freed); false where the C
 *   library has no malloc_trim, or nothing was released.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <node_api.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHECK(call)                                                                            \
  do {                                                                                         \
    if ((call) != napi_ok) return NULL;                                                        \
  } while (0)

static void free_strings(char **strings) {
  if (!strings) return;
  for (char **p = strings; *p; p++) free(*p);
  free(strings);
}

static char *string_of(napi_env env, napi_value value) {
  size_t length;
  if (napi_get_value_string_utf8(env, value, NULL, 0, &length) != napi_ok) return NULL;
  char *text = malloc(length + 1);
  if (!text) return NULL;
  napi_get_value_string_utf8(env, value, text, length + 1, &length);
  return text;
}

/* A NULL-terminated copy of a JS array of strings, or NULL (a JS error is pending). */
static char **strings_of(napi_env env, napi_value array) {
  uint32_t count;
  if (napi_get_array_length(env, array, &count) != napi_ok) return NULL;
  char **strings = calloc(count + 1, sizeof(char *));
  if (!strings) return NULL;
  for (uint32_t i = 0; i < count; i++) {
    napi_value item;
    if (napi_get_element(env, array, i, &item) != napi_ok ||
        !(strings[i] = string_of(env, item))) {
      free_strings(strings);
      return NULL;
    }
  }
  return strings;
}

typedef struct {
  pid_t pid;
  napi_threadsafe_function on_exit;
} reaper;

typedef struct {
  int status;
  struct rusage usage;
} exit_info;

static void *reap(void *arg) {
  reaper *r = arg;
  exit_info *result = calloc(1, sizeof(exit_info));
  exit_info fallback = {0};
  exit_info *info = result ? result : &fallback;
  while (wait4(r->pid, &info->status, 0, &info->usage) < 0 && errno == EINTR) {
  }
  if (result) napi_call_threadsafe_function(r->on_exit, result, napi_tsfn_blocking);
  napi_release_threadsafe_function(r->on_exit, napi_tsfn_release);
  free(r);
  return NULL;
}

static double seconds_of(struct timeval time) {
  return (double)time.tv_sec + (double)time.tv_usec / 1e6;
}

static void call_on_exit(napi_env env, napi_value callback, void *context, void *data) {
  exit_info info = *(exit_info *)data;
  free(data);
  if (!env) return;
  int status = info.status;
  napi_value args[3], recv, item;
  napi_get_undefined(env, &recv);
  napi_get_null(env, &args[0]);
  napi_get_null(env, &args[1]);
  if (WIFEXITED(status)) napi_create_int32(env, WEXITSTATUS(status), &args[0]);
  else if (WIFSIGNALED(status)) napi_create_int32(env, WTERMSIG(status), &args[1]);
  napi_create_array_with_length(env, 3, &args[2]);
  napi_create_double(env, (double)info.usage.ru_maxrss, &item);
  napi_set_element(env, args[2], 0, item);
  napi_create_double(env, seconds_of(info.usage.ru_utime), &item);
  napi_set_element(env, args[2], 1, item);
  napi_create_double(env, seconds_of(info.usage.ru_stime), &item);
  napi_set_element(env, args[2], 2, item);
  napi_call_function(env, recv, callback, 3, args, NULL);
}

static napi_value throw_errno(napi_env env, int code, const char *what) {
  char message[512];
  snprintf(message, sizeof message, "%s: %s", what, strerror(code));
  napi_value error, text, code_value;
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &text);
  napi_create_error(env, NULL, text, &error);
  /* errno's name, as Node's own errors carry it (ENOENT, EACCES…) */
  const char *name = strerrorname_np(code);
  napi_create_string_utf8(env, name ? name : "EUNKNOWN", NAPI_AUTO_LENGTH, &code_value);
  napi_set_named_property(env, error, "code", code_value);
  napi_throw(env, error);
  return NULL;
}

static napi_value spawn(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value args[5];
  CHECK(napi_get_cb_info(env, info, &argc, args, NULL, NULL));
  if (argc < 5) {
    napi_throw_type_error(env, NULL, "spawn(file, argv, envp, cwd, onExit)");
    return NULL;
  }
  char *file = string_of(env, args[0]);
  char *cwd = string_of(env, args[3]);
  char **argv = strings_of(env, args[1]);
  char **envp = strings_of(env, args[2]);
  napi_value result = NULL;
  int out[2] = {-1, -1}, err[2] = {-1, -1};
  if (!file || !cwd || !argv || !envp) {
    napi_throw_error(env, NULL, "spawn: bad arguments (strings expected)");
    goto done;
  }
  if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
    throw_errno(env, errno, "pipe");
    goto done;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  posix_spawn_file_actions_addchdir_np(&actions, cwd);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attributes, &all);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setpgroup(&attributes, 0);
  posix_spawnattr_setflags(&attributes,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  pid_t pid;
  int failed = posix_spawn(&pid, file, &actions, &attributes, argv, envp);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (failed) {
    throw_errno(env, failed, file);
    goto done;
  }
  close(out[1]);
  close(err[1]);
  out[1] = err[1] = -1;

  reaper *r = malloc(sizeof *r);
  napi_value name;
  napi_create_string_utf8(env, "tasse-spawn exit", NAPI_AUTO_LENGTH, &name);
  if (!r || napi_create_threadsafe_function(env, args[4], NULL, name, 0, 1, NULL, NULL, NULL,
                                            call_on_exit, &r->on_exit) != napi_ok) {
    /* Cannot wait for it: end it rather than leave a child no one reaps. */
    kill(-pid, SIGKILL);
    waitpid(pid, NULL, 0);
    free(r);
    napi_throw_error(env, NULL, "spawn: could not set up the exit callback");
    goto done;
  }
  r->pid = pid;
  pthread_attr_t thread_attributes;
  pthread_attr_init(&thread_attributes);
  pthread_attr_setdetachstate(&thread_attributes, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&thread_attributes, 64 * 1024);
  pthread_t thread;
  int no_thread = pthread_create(&thread, &thread_attributes, reap, r);
  pthread_attr_destroy(&thread_attributes);
  if (no_thread) {
    kill(-pid, SIGKILL);
    waitpid(pid, NULL, 0);
    napi_release_threadsafe_function(r->on_exit, napi_tsfn_abort);
    free(r);
    throw_errno(env, no_thread, "pthread_create");
    goto done;
  }
  napi_value value;
  napi_create_array_with_length(env, 3, &result);
  napi_create_int32(env, pid, &value);
  napi_set_element(env, result, 0, value);
  napi_create_int32(env, out[0], &value);
  napi_set_element(env, result, 1, value);
  napi_create_int32(env, err[0], &value);
  napi_set_element(env, result, 2, value);
  out[0] = err[0] = -1;

done:
  for (int i = 0; i < 2; i++) {
    if (out[i] >= 0) close(out[i]);
    if (err[i] >= 0) close(err[i]);
  }
  free(file);
  free(cwd);
  free_strings(argv);
  free_strings(envp);
  return result;
}

static napi_value trim_memory(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
#ifdef __GLIBC__
  napi_get_boolean(env, malloc_trim(0) == 1, &result);
#else
  napi_get_boolean(env, false, &result);
#endif
  return result;
}

NAPI_MODULE_INIT() {
  napi_value function;
  if (napi_create_function(env, "spawn", NAPI_AUTO_LENGTH, spawn, NULL, &function) != napi_ok)
    return NULL;
  napi_set_named_property(env, exports, "spawn", function);
  if (napi_create_function(env, "trimMemory", NAPI_AUTO_LENGTH, trim_memory, NULL, &function) !=
      napi_ok)
    return NULL;
  napi_set_named_property(env, exports, "trimMemory", function);
  return exports;
}
