/*
 * The HTTP/2 abuse ledger of one client connection: it sees every frame header before libh2o
 * acts on the frame and says when the connection has crossed from busy into abusive. libh2o
 * 2.2.5 executes a request for every HEADERS frame however fast the same streams are cancelled
 * (Rapid Reset, CVE-2023-44487), answers every PING and SETTINGS, and accepts any number of
 * CONTINUATION frames; none of that is limited there, so omote judges it here.
 *
 * Counts are kept per window of OMOTE_H2_LEDGER_WINDOW_MS and start again in the next one, so a
 * connection that lives for hours is judged on its recent behaviour, not its total. A verdict
 * other than OMOTE_H2_FINE is final: the caller ends the connection with GOAWAY.
 *
 * Pure: no h2o, no clock of its own (the caller passes the time), no allocation.
 */
#ifndef OMOTE_H2_LEDGER_H
#define OMOTE_H2_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#define OMOTE_H2_LEDGER_WINDOW_MS 10000
/** Client cancellations (RST_STREAM of a live stream) per window before the ratio is looked at. */
#define OMOTE_H2_MAX_RESETS 100
/** Stream errors the client provokes (streams the server must reset or refuse) per window. */
#define OMOTE_H2_MAX_STREAM_ERRORS 100
/** PING and SETTINGS frames that need an answer, and RST_STREAM of streams already gone, per window. */
#define OMOTE_H2_MAX_CONTROL_FRAMES 200
/** PRIORITY frames per window (each may create stream state in the server). */
#define OMOTE_H2_MAX_PRIORITY_FRAMES 1000
/** CONTINUATION frames in one header block. */
#define OMOTE_H2_MAX_CONTINUATIONS 32
/** Output queued for a client that still sends frames needing an answer. */
#define OMOTE_H2_MAX_QUEUED_OUTPUT (256 * 1024)

typedef enum en_omote_h2_verdict_t {
    OMOTE_H2_FINE = 0,
    OMOTE_H2_RAPID_RESET,        /* streams opened and cancelled by the client, over and over */
    OMOTE_H2_STREAM_ERRORS,      /* frames that force stream resets: WINDOW_UPDATE 0, DATA on a closed stream, ... */
    OMOTE_H2_CONTROL_FLOOD,      /* PING / SETTINGS / PRIORITY / stray RST_STREAM at a rate no client needs */
    OMOTE_H2_CONTINUATION_FLOOD, /* a header block in too many pieces, or too large */
    OMOTE_H2_OUTPUT_QUEUE,       /* asks for answers while it does not read the ones queued */
    OMOTE_H2_VERDICTS
} omote_h2_verdict_t;

/** What the caller knows about one complete frame and the stream it names. */
typedef struct st_omote_h2_frame_t {
    uint8_t type;  /* RFC 9113 frame type */
    uint8_t flags;
    uint32_t stream_id;
    uint32_t length;             /* payload length */
    unsigned stream_is_new : 1;  /* a client stream id above every one seen so far */
    unsigned stream_is_live : 1; /* a stream the client opened earlier */
    size_t queued_output;        /* bytes the server has queued for this client and not yet written */
} omote_h2_frame_t;

typedef struct st_omote_h2_ledger_t {
    uint64_t window_start_ms;
    uint32_t streams, resets, stream_errors, control_frames, priority_frames; /* in the current window */
    uint32_t continuations;   /* in the open header block */
    size_t header_block_bytes;
    size_t max_header_block_bytes;
    unsigned in_header_block : 1;
    omote_h2_verdict_t verdict;
} omote_h2_ledger_t;

/** A fresh ledger; header blocks larger than `max_header_block_bytes` are refused. */
void omote_h2_ledger_init(omote_h2_ledger_t *ledger, size_t max_header_block_bytes, uint64_t now_ms);

/** Records one complete frame received at `now_ms`; returns the (possibly new, then final) verdict. */
omote_h2_verdict_t omote_h2_ledger_frame(omote_h2_ledger_t *ledger, const omote_h2_frame_t *frame, uint64_t now_ms);

/**
 * Records `count` streams the server had to reset or refuse because of what the client sent:
 * WINDOW_UPDATE of 0, DATA on a closed stream, a body that disagrees with its content-length,
 * a malformed head. The frames alone do not say so; the server's own error counts do.
 */
omote_h2_verdict_t omote_h2_ledger_stream_errors(omote_h2_ledger_t *ledger, uint32_t count, uint64_t now_ms);

/** A short name for metrics and logs ("rapid_reset", ...). */
const char *omote_h2_verdict_name(omote_h2_verdict_t verdict);

#endif
