/*
 * Fuzz target: the configuration loader. Any input either loads (and frees cleanly) or fails
 * with a message and a place; it never crashes, leaks or leaves the error empty.
 */
#include "fuzz.h"
#include <stdint.h>
#include <string.h>
#include "omote/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    omote_config_t *conf = NULL;
    omote_config_error_t err;

    if (omote_config_load_string((const char *)data, size, "fuzz.json", &conf, &err) == 0) {
        must(conf != NULL && conf->num_listen != 0 && conf->threads != 0);
        omote_config_free(conf);
        return 0;
    }
    must(err.text[0] != '\0');
    must(strncmp(err.text, "fuzz.json", 9) == 0);
    return 0;
}
