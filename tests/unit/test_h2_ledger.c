/* Unit tests for the HTTP/2 abuse ledger: each attack crosses its line, ordinary traffic never does. */
#include <arpa/inet.h>
#include "omote/h2_ledger.h"
#include "tap.h"

enum { DATA = 0, HEADERS = 1, PRIORITY = 2, RST = 3, SETTINGS = 4, PING = 6, WINDOW_UPDATE = 8, CONTINUATION = 9 };

static omote_h2_frame_t frame(uint8_t type, uint8_t flags, uint32_t stream_id)
{
    return (omote_h2_frame_t){.type = type, .flags = flags, .stream_id = stream_id};
}

static omote_h2_frame_t new_request(uint32_t stream_id)
{
    omote_h2_frame_t f = frame(HEADERS, 0x5, stream_id); /* END_STREAM | END_HEADERS */
    f.stream_is_new = 1;
    f.length = 30;
    return f;
}

static omote_h2_frame_t cancel(uint32_t stream_id)
{
    omote_h2_frame_t f = frame(RST, 0, stream_id);
    f.stream_is_live = 1;
    f.length = 4;
    return f;
}

int main(void)
{
    omote_h2_ledger_t l;
    uint64_t now = 1000;
    int i, verdict_at;

    /* Rapid Reset: HEADERS + RST_STREAM, over and over */
    omote_h2_ledger_init(&l, 65536, now);
    for (i = 0, verdict_at = -1; i != 100000 && verdict_at < 0; ++i) {
        if (omote_h2_ledger_frame(&l, &(omote_h2_frame_t){.type = HEADERS, .flags = 0x5, .stream_id = 2 * i + 1, .stream_is_new = 1}, now) != OMOTE_H2_FINE ||
            omote_h2_ledger_frame(&l, &(omote_h2_frame_t){.type = RST, .stream_id = 2 * i + 1, .stream_is_live = 1}, now) != OMOTE_H2_FINE)
            verdict_at = i;
    }
    is_int(verdict_at, OMOTE_H2_MAX_RESETS - 1, "pure HEADERS+RST_STREAM: caught at the %dth reset", OMOTE_H2_MAX_RESETS);
    is_str(omote_h2_verdict_name(l.verdict), "rapid_reset", "named rapid_reset");
    ok(omote_h2_ledger_frame(&l, &(omote_h2_frame_t){.type = PING}, now) == OMOTE_H2_RAPID_RESET, "the verdict is final");

    /* a busy page: 1000 requests, 150 of them cancelled, in one window: fine */
    omote_h2_ledger_init(&l, 65536, now);
    omote_h2_verdict_t v = OMOTE_H2_FINE;
    for (i = 0; i != 1000; ++i) {
        omote_h2_frame_t h = new_request(2 * i + 1);
        v |= omote_h2_ledger_frame(&l, &h, now);
        if (i % 7 == 0) {
            omote_h2_frame_t r = cancel(2 * i + 1);
            v |= omote_h2_ledger_frame(&l, &r, now);
        }
    }
    is_int(v, OMOTE_H2_FINE, "1000 requests with 143 cancelled is a browser, not an attack");

    /* resets spread over windows never add up */
    omote_h2_ledger_init(&l, 65536, now);
    v = OMOTE_H2_FINE;
    for (i = 0; i != 1000; ++i) {
        omote_h2_frame_t h = new_request(2 * i + 1), r = cancel(2 * i + 1);
        uint64_t t = now + (uint64_t)i * (OMOTE_H2_LEDGER_WINDOW_MS / 50); /* 50 per window */
        v |= omote_h2_ledger_frame(&l, &h, t);
        v |= omote_h2_ledger_frame(&l, &r, t);
    }
    is_int(v, OMOTE_H2_FINE, "50 cancellations per window for a long time: fine");

    /* stream errors the client provokes: counted from what the server had to reset */
    omote_h2_ledger_init(&l, 65536, now);
    for (i = 0, verdict_at = -1; i != 100000 && verdict_at < 0; ++i) {
        omote_h2_frame_t h = new_request(2 * i + 1);
        h.flags = 0x4; /* body follows */
        omote_h2_frame_t w = {.type = WINDOW_UPDATE, .stream_id = 2 * i + 1, .stream_is_live = 1, .length = 4};
        if (omote_h2_ledger_frame(&l, &h, now) != OMOTE_H2_FINE || omote_h2_ledger_frame(&l, &w, now) != OMOTE_H2_FINE ||
            omote_h2_ledger_stream_errors(&l, 1, now) != OMOTE_H2_FINE)
            verdict_at = i;
    }
    is_int(verdict_at, OMOTE_H2_MAX_STREAM_ERRORS - 1, "a reset forced on each stream: caught at the %dth", OMOTE_H2_MAX_STREAM_ERRORS);
    is_str(omote_h2_verdict_name(l.verdict), "stream_errors", "named stream_errors");

    omote_h2_ledger_init(&l, 65536, now);
    is_int(omote_h2_ledger_stream_errors(&l, OMOTE_H2_MAX_STREAM_ERRORS - 1, now), OMOTE_H2_FINE, "99 at once: fine");
    is_int(omote_h2_ledger_stream_errors(&l, 0, now), OMOTE_H2_FINE, "none: no change");
    is_int(omote_h2_ledger_stream_errors(&l, 1, now + OMOTE_H2_LEDGER_WINDOW_MS), OMOTE_H2_FINE, "the 100th in the next window: fine");
    is_int(omote_h2_ledger_stream_errors(&l, 99, now + OMOTE_H2_LEDGER_WINDOW_MS), OMOTE_H2_STREAM_ERRORS, "100 in one window: abuse");

    /* a body that keeps coming is not an error */
    omote_h2_ledger_init(&l, 65536, now);
    v = OMOTE_H2_FINE;
    for (i = 0; i != 10000; ++i)
        v |= omote_h2_ledger_frame(&l, &(omote_h2_frame_t){.type = DATA, .stream_id = 1, .length = 16384, .stream_is_live = 1}, now);
    is_int(v, OMOTE_H2_FINE, "10000 DATA frames of one upload: fine");

    /* PING and SETTINGS floods */
    omote_h2_ledger_init(&l, 65536, now);
    for (i = 0, verdict_at = -1; i != 100000 && verdict_at < 0; ++i)
        if (omote_h2_ledger_frame(&l, &(omote_h2_frame_t){.type = PING, .length = 8}, now) != OMOTE_H2_FINE)
            verdict_at = i;
    is_int(verdict_at, OMOTE_H2_MAX_CONTROL_FRAMES, "PING flood caught after %d", OMOTE_H2_MAX_CONTROL_FRAMES);
    is_str(omote_h2_verdict_name(l.verdict), "control_flood", "named control_flood");

    omote_h2_ledger_init(&l, 65536, now);
    v = OMOTE_H2_FINE;
    for (i = 0; i != 100000; ++i)
        v |= omote_h2_ledger_frame(&l, &(omote_h2_frame_t){.type = PING, .flags = 1, .length = 8}, now);
    is_int(v, OMOTE_H2_FINE, "PING ACKs cost nothing and are not counted");

    omote_h2_ledger_init(&l, 65536, now);
    v = OMOTE_H2_FINE;
    for (i = 0; i != 500; ++i)
        v |= omote_h2_ledger_frame(&l, &(omote_h2_frame_t){.type = SETTINGS}, now + (uint64_t)i * 1000);
    is_int(v, OMOTE_H2_FINE, "a SETTINGS frame a second for 500 s: fine");

    omote_h2_ledger_init(&l, 65536, now);
    is_int(omote_h2_ledger_frame(&l, &(omote_h2_frame_t){.type = SETTINGS, .queued_output = OMOTE_H2_MAX_QUEUED_OUTPUT}, now),
           OMOTE_H2_OUTPUT_QUEUE, "SETTINGS while 256 KiB of answers wait unread: output_queue");
    omote_h2_ledger_init(&l, 65536, now);
    is_int(omote_h2_ledger_frame(&l, &(omote_h2_frame_t){.type = DATA, .stream_id = 1, .queued_output = 1 << 30}, now),
           OMOTE_H2_FINE, "a big response queued while the client uploads: fine");

    omote_h2_ledger_init(&l, 65536, now);
    for (i = 0, verdict_at = -1; i != 100000 && verdict_at < 0; ++i)
        if (omote_h2_ledger_frame(&l, &(omote_h2_frame_t){.type = PRIORITY, .stream_id = 2 * i + 1, .length = 5}, now) != OMOTE_H2_FINE)
            verdict_at = i;
    is_int(verdict_at, OMOTE_H2_MAX_PRIORITY_FRAMES, "PRIORITY flood caught");

    omote_h2_ledger_init(&l, 65536, now);
    for (i = 0, verdict_at = -1; i != 100000 && verdict_at < 0; ++i)
        if (omote_h2_ledger_frame(&l, &(omote_h2_frame_t){.type = RST, .stream_id = 2 * i + 1}, now) != OMOTE_H2_FINE)
            verdict_at = i;
    is_int(verdict_at, OMOTE_H2_MAX_CONTROL_FRAMES, "RST_STREAM of streams that are gone: counted as control frames");

    /* CONTINUATION floods */
    omote_h2_ledger_init(&l, 65536, now);
    omote_h2_frame_t h = new_request(1);
    h.flags = 0x1; /* no END_HEADERS */
    is_int(omote_h2_ledger_frame(&l, &h, now), OMOTE_H2_FINE, "HEADERS without END_HEADERS");
    for (i = 0, verdict_at = -1; i != 100000 && verdict_at < 0; ++i)
        if (omote_h2_ledger_frame(&l, &(omote_h2_frame_t){.type = CONTINUATION, .stream_id = 1, .stream_is_live = 1}, now) != OMOTE_H2_FINE)
            verdict_at = i;
    is_int(verdict_at, OMOTE_H2_MAX_CONTINUATIONS, "empty CONTINUATION frames: caught after %d", OMOTE_H2_MAX_CONTINUATIONS);
    is_str(omote_h2_verdict_name(l.verdict), "continuation_flood", "named continuation_flood");

    omote_h2_ledger_init(&l, 65536, now);
    omote_h2_ledger_frame(&l, &h, now);
    for (i = 0, verdict_at = -1; i != 100000 && verdict_at < 0; ++i)
        if (omote_h2_ledger_frame(&l, &(omote_h2_frame_t){.type = CONTINUATION, .stream_id = 1, .length = 16384}, now) != OMOTE_H2_FINE)
            verdict_at = i;
    is_int(verdict_at, 3, "16 KiB CONTINUATION frames: caught once the block passes 64 KiB");

    omote_h2_ledger_init(&l, 65536, now);
    v = OMOTE_H2_FINE;
    for (uint32_t s = 1; s < 2000; s += 2) {
        omote_h2_frame_t first = new_request(s);
        first.flags = 0x1;
        v |= omote_h2_ledger_frame(&l, &first, now);
        for (i = 0; i != 3; ++i)
            v |= omote_h2_ledger_frame(&l, &(omote_h2_frame_t){.type = CONTINUATION, .stream_id = s, .length = 100}, now);
        v |= omote_h2_ledger_frame(&l, &(omote_h2_frame_t){.type = CONTINUATION, .flags = 0x4, .stream_id = s, .length = 100}, now);
    }
    is_int(v, OMOTE_H2_FINE, "1000 requests each in 5 pieces: the count starts again with each block");
    is_int(l.in_header_block, 0, "END_HEADERS closes the block");

    is_str(omote_h2_verdict_name(OMOTE_H2_VERDICTS), "unknown", "out of range name");
    return done_testing();
}
