/*
 * tasse-as-user UID GID COMMAND [ARG...]: drops supplementary groups, becomes GID then UID
 * (real, effective and saved), then execs COMMAND (looked up on the PATH of the environment it
 * was given). It exists because posix_spawn, which the addon uses so that a run's start does
 * not copy the host's page tables, cannot change user: the addon spawns this (a few kB, one
 * exec more) as root, and it switches before the task's command starts. Node's own spawn does
 * the same with its uid/gid options (libuv: setgroups(0), setgid, setuid).
 *
 * Exits 126 with a message on stderr when the switch fails (never runs COMMAND as root then),
 * 127 when COMMAND cannot be executed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int id_of(const char *text, unsigned long *id) {
  char *end;
  errno = 0;
  *id = strtoul(text, &end, 10);
  return errno == 0 && end != text && *end == '\0' && *id < 0xFFFFFFFFul;
}

int main(int argc, char **argv) {
  unsigned long uid, gid;
  if (argc < 4 || !id_of(argv[1], &uid) || !id_of(argv[2], &gid)) {
    fprintf(stderr, "usage: tasse-as-user UID GID COMMAND [ARG...]\n");
    return 126;
  }
  if (setgroups(0, NULL) != 0 || setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0) {
    fprintf(stderr, "tasse: cannot become uid %lu gid %lu: %s\n", uid, gid, strerror(errno));
    return 126;
  }
  /* Nothing may be left of root: a switch that could be undone is no switch. */
  if (uid != 0 && (setresuid(0, 0, 0) == 0 || getuid() != uid || geteuid() != uid)) {
    fprintf(stderr, "tasse: could not drop root for uid %lu\n", uid);
    return 126;
  }
  execvp(argv[3], argv + 3);
  fprintf(stderr, "tasse: cannot run %s as uid %lu: %s\n", argv[3], uid, strerror(errno));
  return errno == ENOENT ? 127 : 126;
}
