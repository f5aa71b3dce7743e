/*
 * Token buckets per client address in an open-addressing table; see include/omote/address_rate.h.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include "omote/address_rate.h"

#define PROBE_RUN 16

struct st_bucket_t {
    uint8_t key[16];
    uint64_t updated_ms; /* 0: the slot is free */
    double tokens;
};

struct st_omote_address_rate_t {
    struct st_bucket_t *slots;
    size_t mask;
    size_t count;
};

int omote_address_key(const struct sockaddr *sa, uint8_t key[16])
{
    memset(key, 0, 16);
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *sin = (const void *)sa;
        key[10] = key[11] = 0xff; /* the IPv4-mapped form, so the two families never share a key */
        memcpy(key + 12, &sin->sin_addr, 4);
        return 0;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const void *)sa;
        static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(sin6->sin6_addr.s6_addr, v4mapped, 12) == 0)
            memcpy(key, sin6->sin6_addr.s6_addr, 16);
        else
            memcpy(key, sin6->sin6_addr.s6_addr, 8);
        return 0;
    }
    return -1;
}

omote_address_rate_t *omote_address_rate_create(size_t capacity)
{
    size_t size = PROBE_RUN;
    while (size < capacity)
        size *= 2;
    omote_address_rate_t *table = malloc(sizeof(*table));
    if (table == NULL || (table->slots = calloc(size, sizeof(*table->slots))) == NULL)
        abort();
    table->mask = size - 1;
    table->count = 0;
    return table;
}

void omote_address_rate_free(omote_address_rate_t *table)
{
    if (table == NULL)
        return;
    free(table->slots);
    free(table);
}

static size_t hash_key(const uint8_t key[16])
{
    /* FNV-1a: the keys are short and an attacker choosing addresses gains little from collisions
     * (a run is only PROBE_RUN long, and losing a slot only refills a bucket) */
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i != 16; ++i)
        h = (h ^ key[i]) * 1099511628211ull;
    return (size_t)(h ^ (h >> 29));
}

static struct st_bucket_t *find_or_claim(omote_address_rate_t *table, const uint8_t key[16], uint64_t now_ms, uint32_t burst)
{
    size_t start = hash_key(key);
    struct st_bucket_t *free_slot = NULL, *quietest = NULL;

    for (size_t i = 0; i != PROBE_RUN; ++i) {
        struct st_bucket_t *slot = table->slots + ((start + i) & table->mask);
        if (slot->updated_ms == 0) {
            if (free_slot == NULL)
                free_slot = slot;
            continue;
        }
        if (memcmp(slot->key, key, 16) == 0)
            return slot;
        if (quietest == NULL || slot->updated_ms < quietest->updated_ms)
            quietest = slot;
    }
    struct st_bucket_t *slot = free_slot != NULL ? free_slot : quietest;
    if (free_slot != NULL)
        ++table->count;
    memcpy(slot->key, key, 16);
    slot->updated_ms = now_ms != 0 ? now_ms : 1;
    slot->tokens = burst;
    return slot;
}

int omote_address_rate_take(omote_address_rate_t *table, const uint8_t key[16], uint64_t now_ms, uint32_t per_second,
                            uint32_t burst)
{
    if (per_second == 0)
        return 1;
    if (burst == 0)
        burst = per_second;
    struct st_bucket_t *bucket = find_or_claim(table, key, now_ms, burst);
    if (now_ms > bucket->updated_ms) {
        bucket->tokens += (double)(now_ms - bucket->updated_ms) * per_second / 1000.0;
        if (bucket->tokens > burst)
            bucket->tokens = burst;
        bucket->updated_ms = now_ms;
    }
    if (bucket->tokens < 1.0)
        return 0;
    bucket->tokens -= 1.0;
    return 1;
}

size_t omote_address_rate_count(const omote_address_rate_t *table)
{
    return table->count;
}
