/*
 * Rate limits per client address: a token bucket for each address seen lately, in a table of
 * fixed size. IPv4 addresses count one by one; IPv6 addresses by their /64, because one
 * subscriber usually holds a whole /64 and could otherwise rotate through it at will.
 *
 * The table never grows: when the probe run of a new address is full, the entry that has been
 * quiet longest gives way. A spray of addresses can therefore push an address out and give it a
 * full bucket again; that costs the sprayer many addresses, and each of them is limited too.
 *
 * Pure, not thread-safe: the caller serialises access (one table shared by the event loops, each
 * call a few dozen instructions under a mutex).
 */
#ifndef OMOTE_ADDRESS_RATE_H
#define OMOTE_ADDRESS_RATE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

typedef struct st_omote_address_rate_t omote_address_rate_t;

/** The bucket key of an address: 16 bytes. Returns 0 for IPv4/IPv6, -1 for anything else (a unix socket: not limited). */
int omote_address_key(const struct sockaddr *sa, uint8_t key[16]);

/** A table of at least `capacity` entries (rounded up to a power of two). Running out of memory aborts. */
omote_address_rate_t *omote_address_rate_create(size_t capacity);
void omote_address_rate_free(omote_address_rate_t *table);

/**
 * Takes one token from the bucket of `key` at `now_ms`: the bucket holds at most `burst` tokens and
 * refills `per_second` of them each second. Returns 1 if a token was there (go ahead), 0 if not.
 * `per_second` 0 means no limit (always 1).
 */
int omote_address_rate_take(omote_address_rate_t *table, const uint8_t key[16], uint64_t now_ms, uint32_t per_second,
                            uint32_t burst);

/** Addresses currently tracked (for tests and metrics). */
size_t omote_address_rate_count(const omote_address_rate_t *table);

#endif
