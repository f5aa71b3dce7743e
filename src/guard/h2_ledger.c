/*
 * HTTP/2 abuse ledger: counts per window, one rule per attack; see include/omote/h2_ledger.h.
 */
#include "omote/h2_ledger.h"

enum {
    FRAME_HEADERS = 1,
    FRAME_PRIORITY = 2,
    FRAME_RST_STREAM = 3,
    FRAME_SETTINGS = 4,
    FRAME_PING = 6,
    FRAME_CONTINUATION = 9
};
enum { FLAG_ACK = 0x1, FLAG_END_HEADERS = 0x4 };

void omote_h2_ledger_init(omote_h2_ledger_t *ledger, size_t max_header_block_bytes, uint64_t now_ms)
{
    *ledger = (omote_h2_ledger_t){.window_start_ms = now_ms, .max_header_block_bytes = max_header_block_bytes};
}

static void roll_window(omote_h2_ledger_t *ledger, uint64_t now_ms)
{
    if (now_ms - ledger->window_start_ms < OMOTE_H2_LEDGER_WINDOW_MS)
        return;
    ledger->window_start_ms = now_ms;
    ledger->streams = ledger->resets = ledger->stream_errors = ledger->control_frames = ledger->priority_frames = 0;
}

static omote_h2_verdict_t judge(omote_h2_ledger_t *ledger)
{
    /* a browser cancels some of its streams (navigation, lazy images); an attacker cancels nearly all */
    if (ledger->resets >= OMOTE_H2_MAX_RESETS && (uint64_t)ledger->resets * 2 > ledger->streams)
        return OMOTE_H2_RAPID_RESET;
    if (ledger->stream_errors >= OMOTE_H2_MAX_STREAM_ERRORS)
        return OMOTE_H2_STREAM_ERRORS;
    if (ledger->control_frames > OMOTE_H2_MAX_CONTROL_FRAMES || ledger->priority_frames > OMOTE_H2_MAX_PRIORITY_FRAMES)
        return OMOTE_H2_CONTROL_FLOOD;
    return OMOTE_H2_FINE;
}

static omote_h2_verdict_t on_header_block_piece(omote_h2_ledger_t *ledger, const omote_h2_frame_t *frame)
{
    if (frame->type == FRAME_HEADERS) {
        ledger->continuations = 0;
        ledger->header_block_bytes = frame->length;
    } else {
        ++ledger->continuations;
        ledger->header_block_bytes += frame->length;
    }
    ledger->in_header_block = (frame->flags & FLAG_END_HEADERS) == 0;
    /* empty CONTINUATION frames cost the server work and grow nothing, so count them, not only bytes */
    if (ledger->continuations > OMOTE_H2_MAX_CONTINUATIONS || ledger->header_block_bytes > ledger->max_header_block_bytes)
        return OMOTE_H2_CONTINUATION_FLOOD;
    return OMOTE_H2_FINE;
}

omote_h2_verdict_t omote_h2_ledger_frame(omote_h2_ledger_t *ledger, const omote_h2_frame_t *frame, uint64_t now_ms)
{
    if (ledger->verdict != OMOTE_H2_FINE)
        return ledger->verdict;
    roll_window(ledger, now_ms);

    omote_h2_verdict_t verdict = OMOTE_H2_FINE;
    switch (frame->type) {
    case FRAME_HEADERS:
        if (frame->stream_is_new)
            ++ledger->streams;
        verdict = on_header_block_piece(ledger, frame);
        break;
    case FRAME_CONTINUATION:
        if (ledger->in_header_block)
            verdict = on_header_block_piece(ledger, frame);
        break;
    case FRAME_RST_STREAM:
        if (frame->stream_is_live)
            ++ledger->resets;
        else
            ++ledger->control_frames; /* nothing to cancel: costs us a lookup and nothing else, but not for free */
        break;
    case FRAME_PING:
    case FRAME_SETTINGS:
        if ((frame->flags & FLAG_ACK) != 0)
            break;
        ++ledger->control_frames;
        if (frame->queued_output >= OMOTE_H2_MAX_QUEUED_OUTPUT)
            verdict = OMOTE_H2_OUTPUT_QUEUE;
        break;
    case FRAME_PRIORITY:
        ++ledger->priority_frames;
        break;
    default:
        break;
    }
    if (verdict == OMOTE_H2_FINE)
        verdict = judge(ledger);
    ledger->verdict = verdict;
    return verdict;
}

omote_h2_verdict_t omote_h2_ledger_stream_errors(omote_h2_ledger_t *ledger, uint32_t count, uint64_t now_ms)
{
    if (ledger->verdict != OMOTE_H2_FINE || count == 0)
        return ledger->verdict;
    roll_window(ledger, now_ms);
    ledger->stream_errors += count;
    return ledger->verdict = judge(ledger);
}

const char *omote_h2_verdict_name(omote_h2_verdict_t verdict)
{
    static const char *const names[OMOTE_H2_VERDICTS] = {"fine",          "rapid_reset",        "stream_errors",
                                                         "control_flood", "continuation_flood", "output_queue"};
    return (unsigned)verdict < OMOTE_H2_VERDICTS ? names[verdict] : "unknown";
}
