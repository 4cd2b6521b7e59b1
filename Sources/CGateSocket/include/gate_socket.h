#ifndef GATE_SOCKET_H
#define GATE_SOCKET_H

#include <stddef.h>
#include <sys/types.h>

/// Sends `len` bytes (at least 1) with `nfds` file descriptors attached (SCM_RIGHTS).
/// Returns bytes sent or -1 with errno.
ssize_t gate_send_with_fds(int sock, const void *buf, size_t len, const int *fds, int nfds);

/// Receives up to `len` bytes without blocking (MSG_DONTWAIT when `dontwait`), and any file
/// descriptors attached, close-on-exec, into `fds` (at most `max_fds`; more are closed and
/// `*truncated` set). `*nfds` is how many were received. Returns bytes or -1 with errno.
ssize_t gate_recv_with_fds(int sock, void *buf, size_t len, int *fds, int max_fds, int *nfds, int *truncated, int dontwait);

/// The peer's credentials (SO_PEERCRED): pid, uid, gid as the kernel recorded them at connect.
int gate_peer_credentials(int sock, pid_t *pid, uid_t *uid, gid_t *gid);

/// accept4 with close-on-exec (not exported by Swift's Glibc module).
int gate_accept(int listener);

/// A sealed-size anonymous file (memfd, close-on-exec) holding `len` bytes, read from its start:
/// how the daemon hands a request's body to a prepared worker. Returns the fd or -1 with errno.
int gate_memfd_holding(const void *buf, size_t len);

/// A connected pair of SOCK_SEQPACKET unix sockets, close-on-exec. Returns 0 or -1 with errno.
int gate_seqpacket_pair(int fds[2]);

#endif
