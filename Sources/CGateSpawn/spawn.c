// Starting a command as another user. posix_spawn cannot change credentials, so this forks and,
// in the child, does only system calls: the parent (the gate daemon's worker) may have more
// than one thread, and after fork only async-signal-safe work is allowed. The credentials are
// changed with raw syscalls, not glibc's setuid family, whose multi-thread broadcast must not run
// in a forked child. The order is the one sudo and run0 use: groups, then gid, then uid (after
// which nothing could change them back), then a check that they took.
#define _GNU_SOURCE
#include "gate_spawn.h"

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct failure { int err; int step; };

void gate_cloexec_from(int low);

static const char *step_names[] = {
    "fork", "pipe", "dup2", "fchdir", "setsid", "setpgid", "sigaction", "sigprocmask",
    "setgroups", "setresgid", "setresuid", "credentials check", "execve",
};

static void fail(int fd, int step) {
    struct failure f = { errno, step };
    (void)!write(fd, &f, sizeof f);
    _exit(127);
}

int gate_spawn(const gate_spawn_spec *spec, pid_t *pid, const char **failed_step) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
        if (failed_step) *failed_step = step_names[1];
        return errno;
    }
    // No handler of the parent's may run in the child before exec: everything is blocked across
    // fork, and the child resets every disposition before it sets the mask it was given.
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    pid_t child = fork();
    if (child != 0) pthread_sigmask(SIG_SETMASK, &previous, NULL);
    if (child < 0) {
        int e = errno;
        close(p[0]);
        close(p[1]);
        if (failed_step) *failed_step = step_names[0];
        return e;
    }
    if (child == 0) {
        close(p[0]);
        int report = p[1];
        // The report pipe must not land on 0..2 when stdio is rearranged.
        if (report <= 2) {
            int moved = fcntl(report, F_DUPFD_CLOEXEC, 3);
            if (moved < 0) _exit(127);
            report = moved;
        }
        for (int i = 0; i < 3; i++) {
            if (spec->stdio[i] >= 0 && spec->stdio[i] != i && dup2(spec->stdio[i], i) < 0) fail(report, 2);
            if (spec->stdio[i] == i) {
                int flags = fcntl(i, F_GETFD);
                if (flags >= 0) fcntl(i, F_SETFD, flags & ~FD_CLOEXEC);
            }
        }
        if (spec->cwd_fd >= 0 && fchdir(spec->cwd_fd) != 0) fail(report, 3);
        if (spec->new_session) {
            if (setsid() < 0) fail(report, 4);
        } else if (spec->new_process_group && setpgid(0, 0) != 0) {
            fail(report, 5);
        }
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        // A fresh context: every signal at its default (an ignored SIGPIPE or SIGHUP would
        // otherwise survive exec), then the mask asked for, or none.
        for (int s = 1; s < NSIG; s++) {
            if (s == SIGKILL || s == SIGSTOP) continue;
            sigaction(s, &dfl, NULL);
        }
        sigset_t none;
        sigemptyset(&none);
        if (sigprocmask(SIG_SETMASK, spec->mask ? spec->mask : &none, NULL) != 0) fail(report, 7);
        if (spec->set_credentials) {
            if (syscall(SYS_setgroups, spec->group_count, spec->groups) != 0) fail(report, 8);
            if (syscall(SYS_setresgid, spec->gid, spec->gid, spec->gid) != 0) fail(report, 9);
            if (syscall(SYS_setresuid, spec->uid, spec->uid, spec->uid) != 0) fail(report, 10);
            uid_t r, e, s;
            gid_t gr, ge, gs;
            if (syscall(SYS_getresuid, &r, &e, &s) != 0 || r != spec->uid || e != spec->uid || s != spec->uid) { errno = EPERM; fail(report, 11); }
            if (syscall(SYS_getresgid, &gr, &ge, &gs) != 0 || gr != spec->gid || ge != spec->gid || gs != spec->gid) { errno = EPERM; fail(report, 11); }
            // Root dropped to another uid must not be able to regain it.
            if (spec->uid != 0 && syscall(SYS_setresuid, 0, 0, 0) == 0) { errno = EPERM; fail(report, 11); }
        }
        // Nothing of the daemon's, or its worker's, reaches the command but its stdio (a script run
        // by path, and an ELF binary run through /proc/self/fd/N, are resolved before the close).
        gate_cloexec_from(3);
        execve(spec->path, spec->argv, spec->envp);
        fail(report, 12);
    }
    close(p[1]);
    struct failure f;
    ssize_t n;
    do { n = read(p[0], &f, sizeof f); } while (n < 0 && errno == EINTR);
    close(p[0]);
    if (n == (ssize_t)sizeof f) {
        int status;
        while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
        if (failed_step) *failed_step = (f.step >= 0 && f.step < (int)(sizeof step_names / sizeof *step_names)) ? step_names[f.step] : "spawn";
        return f.err ? f.err : EPERM;
    }
    *pid = child;
    return 0;
}

int gate_die_with_parent(int sig) { return prctl(PR_SET_PDEATHSIG, (unsigned long)sig, 0, 0, 0); }

int gate_fchdir_as(int fd, uid_t uid, gid_t gid, const gid_t *groups, size_t group_count) {
    gid_t saved[256];
    int n = getgroups(256, saved);
    if (n < 0) return errno;
    if (syscall(SYS_setgroups, group_count, groups) != 0) return errno;
    uid_t old_fsuid = (uid_t)setfsuid(uid);
    gid_t old_fsgid = (gid_t)setfsgid(gid);
    int rc = fchdir(fd) == 0 ? 0 : errno;
    setfsuid(old_fsuid);
    setfsgid(old_fsgid);
    if (syscall(SYS_setgroups, (size_t)n, saved) != 0 && rc == 0) rc = errno;
    return rc;
}

static gid_t pushed_groups[256];
static int pushed_count = -1;
static uid_t pushed_fsuid;
static gid_t pushed_fsgid;

int gate_fs_identity_push(uid_t uid, gid_t gid, const gid_t *groups, size_t group_count) {
    if (pushed_count >= 0) return EBUSY;
    int n = getgroups(256, pushed_groups);
    if (n < 0) return errno;
    if (syscall(SYS_setgroups, group_count, groups) != 0) return errno;
    pushed_count = n;
    pushed_fsgid = (gid_t)setfsgid(gid);
    pushed_fsuid = (uid_t)setfsuid(uid);
    return 0;
}

int gate_fs_identity_pop(int deathsig) {
    if (pushed_count < 0) return 0;
    setfsuid(pushed_fsuid);
    setfsgid(pushed_fsgid);
    int rc = syscall(SYS_setgroups, (size_t)pushed_count, pushed_groups) == 0 ? 0 : errno;
    pushed_count = -1;
    if (deathsig) prctl(PR_SET_PDEATHSIG, (unsigned long)deathsig, 0, 0, 0);
    return rc;
}

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

void gate_cloexec_from(int low) {
    if (syscall(SYS_close_range, (unsigned)low, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
    long max = sysconf(_SC_OPEN_MAX);
    if (max < 0 || max > 65536) max = 65536;
    for (int fd = low; fd < max; fd++) {
        int flags = fcntl(fd, F_GETFD);
        if (flags >= 0 && !(flags & FD_CLOEXEC)) fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
    }
}

extern char **environ;
char **gate_environ(void) { return environ; }

#include <sys/xattr.h>

int gate_has_access_acl(int fd) {
    if (fgetxattr(fd, "system.posix_acl_access", NULL, 0) >= 0) return 1;
    return (errno == ENODATA || errno == ENOTSUP) ? 0 : -1;
}
