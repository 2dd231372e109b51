/*
 * Starts a run's process the way glibc's posix_spawn does, with clone(CLONE_VM|CLONE_VFORK): the
 * child borrows the host's memory until it execs, so that its cost does not grow with the
 * host's memory as fork() does (libuv on Node 20 forks the whole host and copies its page
 * tables); the main thread waits only until the exec. It is reaped on a thread of its own.
 * posix_spawn itself is not used because the child does two things before its exec that
 * posix_spawn has no action for: it joins the run's control groups (so that it needs no shell
 * to do it, an exec more: ~2 ms here), and it reads its own start time (read by the host from
 * /proc/<pid>/stat instead, it would wait for the child's exec to finish: ~2.5 ms of the main
 * thread per run).
 *
 * spawn(file, argv, envp, cwd, onExit, cgroupProcs) -> Promise<[pid, stdoutFd, stderrFd, startTicks]>
 *   Started on a worker thread of libuv's pool: the clone waits for the child's exec, which
 *   takes milliseconds when many processes start at once, and the main thread does not wait.
 *   The child: stdin /dev/null, stdout and stderr to two pipes (read ends returned, CLOEXEC),
 *   in `cwd`, leader of a new process group, default signal dispositions, nothing blocked; it
 *   writes itself ("0") into each `cgroup.procs` of `cgroupProcs` before it execs `file`, and
 *   says on its stderr which it could not join (it runs anyway, as the shell way did).
 *   startTicks: its start time as field 22 of /proc/<pid>/stat gives it (clock ticks since
 *   boot), -1 if it could not be read.
 *   Rejects with errno's code (ENOENT, EACCES...) when it cannot start.
 *   onExit(code, signal, usage) is called once on the main thread when the child has exited:
 *   code is the exit status or null, signal the number of the signal that ended it or null,
 *   usage [maxRssKiB, userSeconds, systemSeconds] from wait4: the child's, and that of the
 *   descendants it waited for (a run's accounting where it has no control group).
 *
 * Only the pid is waited for (wait4(pid)): libuv reaps its own children by pid as well, so
 * neither takes the other's.
 *
 * joinsCgroups: true (an addon built before it ignores cgroupProcs: the caller checks).
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
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

/* What the child needs, and what it tells the parent (they share memory until the exec). */
typedef struct {
  const char *file;
  char **argv;
  char **envp;
  const char *cwd;
  char **cgroup_procs;
  int out, err;
  int error;             /* errno of the step that failed, 0 if the exec happened */
  long long start_ticks; /* field 22 of /proc/self/stat, -1 if unread */
} child_plan;

static void say(const char *text) {
  ssize_t ignored = write(2, text, strlen(text));
  (void)ignored;
}

/* Field 22 of /proc/self/stat: after the command name's last ')', the 20th field. */
static long long own_start_ticks(void) {
  char buffer[1024];
  int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t length = read(fd, buffer, sizeof buffer - 1);
  close(fd);
  if (length <= 0) return -1;
  buffer[length] = '\0';
  char *p = strrchr(buffer, ')');
  if (!p) return -1;
  for (int field = 2; field < 22 && p; field++) p = strchr(p + 1, ' ');
  if (!p) return -1;
  long long ticks = 0;
  for (p++; *p >= '0' && *p <= '9'; p++) ticks = ticks * 10 + (*p - '0');
  return ticks;
}

/*
 * The child, on its own small stack, in the host's memory: only system calls, no allocation,
 * nothing that takes a lock the host may hold. Every signal is blocked until the host's
 * handlers are replaced by the defaults.
 */
static int child_main(void *arg) {
  child_plan *plan = arg;
  struct sigaction defaults;
  memset(&defaults, 0, sizeof defaults);
  defaults.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &defaults, NULL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  if (setpgid(0, 0) < 0) goto failed;
  int null = open("/dev/null", O_RDONLY);
  if (null < 0) goto failed;
  if (null != 0 && (dup2(null, 0) < 0 || close(null) < 0)) goto failed;
  if (dup2(plan->out, 1) < 0 || dup2(plan->err, 2) < 0) goto failed;
  if (chdir(plan->cwd) < 0) goto failed;
  int missed = 0;
  for (char **procs = plan->cgroup_procs; procs && *procs; procs++) {
    int fd = open(*procs, O_WRONLY | O_CLOEXEC);
    if (fd >= 0 && write(fd, "0", 1) == 1) {
      close(fd);
      continue;
    }
    if (fd >= 0) close(fd);
    if (!missed++) say("tasse: could not join the run's control group(s)");
    say(" ");
    say(*procs);
  }
  if (missed)
    say(": its limits may not hold, and processes that leave its process group may outlive it\n");
  plan->start_ticks = own_start_ticks();
  execve(plan->file, plan->argv, plan->envp);
failed:
  plan->error = errno ? errno : EINVAL;
  _exit(127);
}

#define CHILD_STACK (64 * 1024)

/* Starts the child; its pid, or -1 with plan->error set. */
static pid_t start_child(child_plan *plan) {
  void *stack = mmap(NULL, CHILD_STACK, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
  if (stack == MAP_FAILED) {
    plan->error = errno;
    return -1;
  }
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  /* Returns once the child has exec'd or exited (CLONE_VFORK). */
  pid_t pid = clone(child_main, (char *)stack + CHILD_STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, plan);
  int clone_error = errno;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  munmap(stack, CHILD_STACK);
  if (pid < 0) {
    plan->error = clone_error;
    return -1;
  }
  if (plan->error) {
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
    }
    return -1;
  }
  return pid;
}

/* An Error with errno's message and code (ENOENT, EACCES…), as Node's own errors carry it. */
static napi_value errno_error(napi_env env, int code, const char *what) {
  char message[512];
  snprintf(message, sizeof message, "%s: %s", what, strerror(code));
  napi_value error, text, code_value;
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &text);
  napi_create_error(env, NULL, text, &error);
  const char *name = strerrorname_np(code);
  napi_create_string_utf8(env, name ? name : "EUNKNOWN", NAPI_AUTO_LENGTH, &code_value);
  napi_set_named_property(env, error, "code", code_value);
  return error;
}

/* One spawn: made on the main thread, started on a worker thread, settled on the main thread. */
typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  napi_threadsafe_function on_exit;
  char *file, *cwd;
  char **argv, **envp, **cgroup_procs;
  int out[2], err[2];
  pid_t pid;
  long long start_ticks;
  int error;
  const char *failed; /* what failed, for the message: the file, or a system call */
} spawn_job;

static void free_job(spawn_job *job) {
  for (int i = 0; i < 2; i++) {
    if (job->out[i] >= 0) close(job->out[i]);
    if (job->err[i] >= 0) close(job->err[i]);
  }
  free(job->file);
  free(job->cwd);
  free_strings(job->argv);
  free_strings(job->envp);
  free_strings(job->cgroup_procs);
  free(job);
}

/*
 * On a worker thread: the clone waits for the child's exec (which takes milliseconds when many
 * processes start at once), so the main thread does not. Then the reaper's thread.
 */
static void execute_spawn(napi_env env, void *data) {
  (void)env;
  spawn_job *job = data;
  child_plan plan = {job->file, job->argv, job->envp, job->cwd, job->cgroup_procs,
                     job->out[1], job->err[1], 0, -1};
  pid_t pid = start_child(&plan);
  close(job->out[1]);
  close(job->err[1]);
  job->out[1] = job->err[1] = -1;
  if (pid < 0) {
    job->error = plan.error;
    job->failed = job->file;
    return;
  }
  job->start_ticks = plan.start_ticks;
  reaper *r = malloc(sizeof *r);
  pthread_attr_t thread_attributes;
  pthread_attr_init(&thread_attributes);
  pthread_attr_setdetachstate(&thread_attributes, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&thread_attributes, 64 * 1024);
  pthread_t thread;
  int no_thread = ENOMEM;
  if (r) {
    r->pid = pid;
    r->on_exit = job->on_exit;
    no_thread = pthread_create(&thread, &thread_attributes, reap, r);
  }
  pthread_attr_destroy(&thread_attributes);
  if (no_thread) {
    /* Cannot wait for it: end it rather than leave a child no one reaps. */
    free(r);
    kill(-pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
    }
    job->error = no_thread;
    job->failed = "pthread_create";
    return;
  }
  job->on_exit = NULL; /* the reaper's now */
  job->pid = pid;
}

/* On the main thread: resolves [pid, stdoutFd, stderrFd, startTicks], or rejects. */
static void complete_spawn(napi_env env, napi_status status, void *data) {
  spawn_job *job = data;
  if (job->on_exit) napi_release_threadsafe_function(job->on_exit, napi_tsfn_abort);
  if (status != napi_ok && !job->error) {
    job->error = ECANCELED;
    job->failed = "spawn";
  }
  if (job->error) {
    napi_reject_deferred(env, job->deferred, errno_error(env, job->error, job->failed));
  } else {
    napi_value result, value;
    napi_create_array_with_length(env, 4, &result);
    napi_create_int32(env, job->pid, &value);
    napi_set_element(env, result, 0, value);
    napi_create_int32(env, job->out[0], &value);
    napi_set_element(env, result, 1, value);
    napi_create_int32(env, job->err[0], &value);
    napi_set_element(env, result, 2, value);
    napi_create_double(env, (double)job->start_ticks, &value);
    napi_set_element(env, result, 3, value);
    job->out[0] = job->err[0] = -1;
    napi_resolve_deferred(env, job->deferred, result);
  }
  napi_delete_async_work(env, job->work);
  free_job(job);
}

static napi_value spawn(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value args[6];
  CHECK(napi_get_cb_info(env, info, &argc, args, NULL, NULL));
  if (argc < 6) {
    napi_throw_type_error(env, NULL, "spawn(file, argv, envp, cwd, onExit, cgroupProcs)");
    return NULL;
  }
  spawn_job *job = calloc(1, sizeof *job);
  if (!job) {
    napi_throw_error(env, NULL, "spawn: out of memory");
    return NULL;
  }
  job->out[0] = job->out[1] = job->err[0] = job->err[1] = -1;
  job->file = string_of(env, args[0]);
  job->cwd = string_of(env, args[3]);
  job->argv = strings_of(env, args[1]);
  job->envp = strings_of(env, args[2]);
  job->cgroup_procs = strings_of(env, args[5]);
  if (!job->file || !job->cwd || !job->argv || !job->envp || !job->cgroup_procs) {
    free_job(job);
    napi_throw_error(env, NULL, "spawn: bad arguments (strings expected)");
    return NULL;
  }
  if (pipe2(job->out, O_CLOEXEC) < 0 || pipe2(job->err, O_CLOEXEC) < 0) {
    napi_throw(env, errno_error(env, errno, "pipe"));
    free_job(job);
    return NULL;
  }
  napi_value name, promise;
  napi_create_string_utf8(env, "tasse-spawn", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, args[4], NULL, name, 0, 1, NULL, NULL, NULL,
                                      call_on_exit, &job->on_exit) != napi_ok) {
    free_job(job);
    napi_throw_error(env, NULL, "spawn: could not set up the exit callback");
    return NULL;
  }
  if (napi_create_promise(env, &job->deferred, &promise) != napi_ok ||
      napi_create_async_work(env, NULL, name, execute_spawn, complete_spawn, job, &job->work) !=
          napi_ok ||
      napi_queue_async_work(env, job->work) != napi_ok) {
    /* A promise without its work would never settle: nothing of it is kept. */
    napi_release_threadsafe_function(job->on_exit, napi_tsfn_abort);
    free_job(job);
    napi_throw_error(env, NULL, "spawn: could not queue the start");
    return NULL;
  }
  return promise;
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
  napi_value yes;
  if (napi_get_boolean(env, true, &yes) != napi_ok) return NULL;
  napi_set_named_property(env, exports, "joinsCgroups", yes);
  return exports;
}
