/*
 * What the visitor of a request has agreed to. Consent records and tokens do not exist yet, so
 * every visitor is one who has not decided: only the strictly necessary purposes apply, and every
 * vendor, cookie and header decision downstream takes the privacy-preserving branch.
 */
#include "omote/glue.h"

omote_purpose_set_t omote_visitor_purposes(h2o_req_t *req, const omote_generation_t *gen)
{
    (void)req;
    return omote_policy_necessary(gen->policy);
}
