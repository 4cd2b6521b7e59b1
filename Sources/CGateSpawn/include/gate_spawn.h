#ifndef GATE_SPAWN_H
#define GATE_SPAWN_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

/// What the child is started with. Every field is applied in the child between fork and exec,
/// with raw system calls only (the parent may have other threads; nothing here takes a lock).
typedef struct gate_spawn_spec {
    const char *path;          /* what execve runs */
    char *const *argv;
    char *const *envp;
    int stdio[3];              /* dup2'd onto 0, 1, 2; -1 keeps the parent's */
    int cwd_fd;                /* fchdir'd to; -1 keeps the parent's */
    int new_session;           /* setsid(): no controlling terminal, its own process group */
    int new_process_group;     /* setpgid(0, 0), when not a new session */
    const sigset_t *mask;      /* the child's signal mask */
    int set_credentials;       /* when 0, uid/gid/groups are left as the parent's */
    uid_t uid;
    gid_t gid;
    const gid_t *groups;
    size_t group_count;
} gate_spawn_spec;

/// Starts the child. Returns 0 and its pid, or an errno: from fork, or (through a close-on-exec
/// pipe) from whichever step in the child failed, in which case the child has exited and been
/// reaped. `failed_step` (may be NULL) names that step for a message.
int gate_spawn(const gate_spawn_spec *spec, pid_t *pid, const char **failed_step);

/// fchdir(fd), with the permission check made as uid/gid/groups (setfsuid and setgroups for the
/// call only; the caller must be single-threaded). Returns 0 or an errno.
int gate_fchdir_as(int fd, uid_t uid, gid_t gid, const gid_t *groups, size_t group_count);

/// Checks file access as uid/gid/groups from here until gate_fs_identity_pop (setfsuid, setfsgid,
/// setgroups; the process must be single-threaded). Returns 0 or an errno (nothing changed then).
int gate_fs_identity_push(uid_t uid, gid_t gid, const gid_t *groups, size_t group_count);
/// Back to the process's own identity for file access; re-arms PR_SET_PDEATHSIG with `deathsig`
/// (a change of filesystem uid clears it) when it is not 0.
int gate_fs_identity_pop(int deathsig);

/// Marks every descriptor from `low` up close-on-exec (close_range, else one by one): nothing a
/// process was handed reaches what it execs but what it passes on purpose.
void gate_cloexec_from(int low);

/// The process's environment, NULL after clearenv(3) (Swift's `environ` assumes it never is).
char **gate_environ(void);

/// PR_SET_PDEATHSIG: this process gets `sig` when its parent dies (prctl does not import).
int gate_die_with_parent(int sig);

#endif

// Whether the open file `fd` carries a POSIX access ACL (which can grant write to users other
// than its owner): 1 yes, 0 no, -1 cannot tell. fgetxattr is not in Swift's Glibc module.
int gate_has_access_acl(int fd);
