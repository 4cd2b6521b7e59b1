// File descriptor passing and peer credentials on unix sockets: the CMSG macros do not import
// into Swift, so the few lines that use them live here.
#define _GNU_SOURCE
#include "gate_socket.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <unistd.h>

#define GATE_MAX_FDS 8

ssize_t gate_send_with_fds(int sock, const void *buf, size_t len, const int *fds, int nfds) {
    if (nfds < 0 || nfds > GATE_MAX_FDS || len == 0) { errno = EINVAL; return -1; }
    struct iovec iov = { (void *)buf, len };
    union { struct cmsghdr align; char bytes[CMSG_SPACE(sizeof(int) * GATE_MAX_FDS)]; } control;
    memset(&control, 0, sizeof control);
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (nfds > 0) {
        msg.msg_control = control.bytes;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
    }
    ssize_t n;
    do { n = sendmsg(sock, &msg, MSG_NOSIGNAL); } while (n < 0 && errno == EINTR);
    return n;
}

ssize_t gate_recv_with_fds(int sock, void *buf, size_t len, int *fds, int max_fds, int *nfds, int *truncated, int dontwait) {
    *nfds = 0;
    *truncated = 0;
    struct iovec iov = { buf, len };
    union { struct cmsghdr align; char bytes[CMSG_SPACE(sizeof(int) * GATE_MAX_FDS)]; } control;
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.bytes;
    msg.msg_controllen = sizeof control.bytes;
    ssize_t n;
    do { n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | (dontwait ? MSG_DONTWAIT : 0)); } while (n < 0 && errno == EINTR);
    if (n < 0) return n;
    if (msg.msg_flags & MSG_CTRUNC) *truncated = 1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        int count = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        int got[GATE_MAX_FDS];
        if (count > GATE_MAX_FDS) count = GATE_MAX_FDS;
        memcpy(got, CMSG_DATA(c), sizeof(int) * count);
        for (int i = 0; i < count; i++) {
            if (*nfds < max_fds) fds[(*nfds)++] = got[i];
            else { close(got[i]); *truncated = 1; }
        }
    }
    return n;
}

int gate_peer_credentials(int sock, pid_t *pid, uid_t *uid, gid_t *gid) {
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return -1;
    *pid = cred.pid;
    *uid = cred.uid;
    *gid = cred.gid;
    return 0;
}

int gate_accept(int listener) {
    int fd;
    do { fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC); } while (fd < 0 && errno == EINTR);
    return fd;
}

int gate_memfd_holding(const void *buf, size_t len) {
    int fd = memfd_create("gate-request", MFD_CLOEXEC);
    if (fd < 0) return -1;
    const char *p = buf;
    size_t left = len;
    while (left > 0) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) { int e = errno; close(fd); errno = n < 0 ? e : EIO; return -1; }
        p += n;
        left -= (size_t)n;
    }
    if (lseek(fd, 0, SEEK_SET) != 0) { int e = errno; close(fd); errno = e; return -1; }
    return fd;
}

int gate_seqpacket_pair(int fds[2]) {
    return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds);
}
