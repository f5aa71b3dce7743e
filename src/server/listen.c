/*
 * Listening sockets. Each worker gets its own socket on every public address (SO_REUSEPORT),
 * so the kernel spreads connections and no worker takes a lock to accept.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "internal.h"

#define BACKLOG 4096

static int to_sockaddr(const char *address, uint16_t port, struct sockaddr_storage *ss, socklen_t *len)
{
    struct sockaddr_in *sin = (void *)ss;
    struct sockaddr_in6 *sin6 = (void *)ss;

    memset(ss, 0, sizeof(*ss));
    if (inet_pton(AF_INET, address, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons(port);
        *len = sizeof(*sin);
        return 0;
    }
    if (inet_pton(AF_INET6, address, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(port);
        *len = sizeof(*sin6);
        return 0;
    }
    return -1;
}

static int open_one(const struct sockaddr_storage *ss, socklen_t sslen, int reuseport)
{
    int fd, on = 1;

    if ((fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1)
        return -1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0 ||
        (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) != 0) ||
        (ss->ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) != 0) ||
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) != 0 || bind(fd, (const void *)ss, sslen) != 0 ||
        listen(fd, BACKLOG) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

int omote_listen_open(const char *address, uint16_t port, int reuseport, size_t count, int *fds, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t sslen;

    if (to_sockaddr(address, port, &ss, &sslen) != 0) {
        snprintf(err, errlen, "%s is not a numeric IPv4 or IPv6 address", address);
        return -1;
    }
    for (size_t i = 0; i != count; ++i) {
        if ((fds[i] = open_one(&ss, sslen, reuseport)) == -1) {
            snprintf(err, errlen, "cannot listen on %s port %u: %s", address, port, strerror(errno));
            while (i-- != 0)
                close(fds[i]);
            return -1;
        }
    }
    return 0;
}
