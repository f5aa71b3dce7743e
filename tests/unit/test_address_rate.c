/* Unit tests for per-address token buckets: burst, refill, families, /64 grouping, a full table. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/un.h>
#include "omote/address_rate.h"
#include "tap.h"

static void key4(const char *ip, uint8_t key[16])
{
    struct sockaddr_in sin = {.sin_family = AF_INET};
    inet_pton(AF_INET, ip, &sin.sin_addr);
    omote_address_key((struct sockaddr *)&sin, key);
}

static void key6(const char *ip, uint8_t key[16])
{
    struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6};
    inet_pton(AF_INET6, ip, &sin6.sin6_addr);
    omote_address_key((struct sockaddr *)&sin6, key);
}

static int takes(omote_address_rate_t *t, const uint8_t key[16], uint64_t now, uint32_t rate, uint32_t burst, int n)
{
    int got = 0;
    for (int i = 0; i != n; ++i)
        got += omote_address_rate_take(t, key, now, rate, burst);
    return got;
}

int main(void)
{
    omote_address_rate_t *t = omote_address_rate_create(1024);
    uint8_t a[16], b[16], c[16];

    key4("192.0.2.1", a);
    key4("192.0.2.2", b);
    is_int(takes(t, a, 1000, 10, 20, 100), 20, "a burst of 20 at once, then refused");
    is_int(takes(t, b, 1000, 10, 20, 100), 20, "another address has its own bucket");
    is_int(takes(t, a, 1500, 10, 20, 100), 5, "half a second later: 5 more");
    is_int(takes(t, a, 100000, 10, 20, 100), 20, "a long pause refills to the burst, not beyond");
    is_int(takes(t, a, 100000, 0, 0, 1000), 1000, "rate 0: no limit");
    is_int(takes(t, c, 5000, 3, 0, 10), 3, "burst 0 means burst = rate");

    key6("2001:db8:1:2::1", a);
    key6("2001:db8:1:2:ffff::9", b);
    key6("2001:db8:1:3::1", c);
    is_int(takes(t, a, 1000, 5, 5, 3), 3, "IPv6: three from one address");
    is_int(takes(t, b, 1000, 5, 5, 5), 2, "another address in the same /64 shares the bucket");
    is_int(takes(t, c, 1000, 5, 5, 5), 5, "the next /64 does not");

    uint8_t mapped[16], plain[16];
    key6("::ffff:198.51.100.7", mapped);
    key4("198.51.100.7", plain);
    ok(memcmp(mapped, plain, 16) == 0, "an IPv4-mapped IPv6 address is the IPv4 address");

    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    is_int(omote_address_key((struct sockaddr *)&sun, a), -1, "a unix socket has no address key");

    /* a spray of addresses larger than the table: it stays within its size and keeps working */
    omote_address_rate_t *small = omote_address_rate_create(64);
    char ip[32];
    for (int i = 0; i != 10000; ++i) {
        snprintf(ip, sizeof(ip), "10.%d.%d.%d", i >> 16 & 255, i >> 8 & 255, i & 255);
        key4(ip, a);
        omote_address_rate_take(small, a, 1000 + i, 1, 1);
    }
    ok(omote_address_rate_count(small) <= 64, "10000 addresses in a 64-slot table: %zu tracked", omote_address_rate_count(small));
    key4("203.0.113.5", a);
    is_int(takes(small, a, 20000, 1, 2, 10), 2, "a new address still gets its burst and its limit");
    omote_address_rate_free(small);
    omote_address_rate_free(t);
    return done_testing();
}
