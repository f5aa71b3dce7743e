/*
 * Runs a fuzz target over committed inputs, so every CI run (under ASan and UBSan) replays the
 * corpus without needing libFuzzer. Arguments are files or directories of files.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        perror(path);
        return -1;
    }
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    uint8_t *data = malloc(size > 0 ? size : 1);
    if (data == NULL || (size > 0 && fread(data, 1, size, fp) != (size_t)size)) {
        fclose(fp);
        free(data);
        return -1;
    }
    fclose(fp);
    LLVMFuzzerTestOneInput(data, size);
    free(data);
    return 0;
}

int main(int argc, char **argv)
{
    int count = 0;
    for (int i = 1; i < argc; ++i) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            perror(argv[i]);
            return 1;
        }
        if (!S_ISDIR(st.st_mode)) {
            if (replay_file(argv[i]) != 0)
                return 1;
            ++count;
            continue;
        }
        DIR *dir = opendir(argv[i]);
        struct dirent *ent;
        while ((ent = readdir(dir)) != NULL) {
            if (ent->d_name[0] == '.')
                continue;
            char path[4096];
            snprintf(path, sizeof(path), "%s/%s", argv[i], ent->d_name);
            if (replay_file(path) != 0) {
                closedir(dir);
                return 1;
            }
            ++count;
        }
        closedir(dir);
    }
    if (count == 0) {
        fprintf(stderr, "no inputs replayed\n");
        return 1;
    }
    printf("replayed %d inputs\n", count);
    return 0;
}
