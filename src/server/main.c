/*
 * omote's command line: run with a configuration file, or only check it.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "omote/config.h"

#ifndef OMOTE_VERSION
#define OMOTE_VERSION "0.0.0"
#endif

static void usage(FILE *out)
{
    fprintf(out, "Usage: omote -c FILE [--check]\n"
                 "       omote explain -c FILE URL [--type TYPE] [--page URL] [--purposes ID,ID]\n"
                 "       omote --version | --help\n"
                 "\n"
                 "  -c, --config FILE  configuration file (JSON; see config/README.md)\n"
                 "  -t, --check        validate the configuration and exit 0 (valid) or 1 (invalid)\n"
                 "  -v, --version      print the version and exit\n"
                 "  -h, --help         print this help and exit\n"
                 "\n"
                 "Signals: SIGHUP reloads the configuration, SIGTERM or SIGINT stops after in-flight requests.\n");
}

int main(int argc, char **argv)
{
    static const struct option options[] = {{"config", required_argument, NULL, 'c'},
                                            {"check", no_argument, NULL, 't'},
                                            {"version", no_argument, NULL, 'v'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL}};
    const char *config_path = NULL;
    int check_only = 0, ch;

    if (argc >= 2 && strcmp(argv[1], "explain") == 0)
        return omote_explain_main(argc - 1, argv + 1);

    opterr = 0;
    while ((ch = getopt_long(argc, argv, "c:tvh", options, NULL)) != -1) {
        switch (ch) {
        case 'c':
            config_path = optarg;
            break;
        case 't':
            check_only = 1;
            break;
        case 'v':
            printf("omote %s\n", OMOTE_VERSION);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        default:
            fprintf(stderr, "omote: unknown or incomplete option: %s\n", argv[optind - 1]);
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "omote: unexpected argument: %s\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    if (config_path == NULL) {
        fprintf(stderr, "omote: no configuration file given (-c FILE)\n");
        usage(stderr);
        return 2;
    }

    omote_config_t *conf;
    omote_config_error_t error;
    char err[OMOTE_CONFIG_ERROR_TEXT_MAX];
    if (omote_config_load_file(config_path, &conf, &error) != 0) {
        fprintf(stderr, "omote: %s\n", error.text);
        return 1;
    }
    if (omote_runtime_check(conf, err, sizeof(err)) != 0) {
        fprintf(stderr, "omote: %s: %s\n", config_path, err);
        omote_config_free(conf);
        return 1;
    }
    if (check_only) {
        printf("omote: configuration %s is valid\n", config_path);
        omote_config_free(conf);
        return 0;
    }
    return omote_runtime_run(conf, config_path, OMOTE_VERSION);
}
