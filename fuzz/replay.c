/*
** replay.c - runs a fuzz target without libFuzzer: every file named on the command line, and
** every file in every directory named there (not recursive), goes through
** LLVMFuzzerTestOneInput once.  CTest runs it on every build (plain and ASan), so the seed corpus
** and each regression input stay covered without clang.
*/
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>     /* opendir */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>   /* stat */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long n;
    if (!f) { fprintf(stderr, "replay: %s: cannot open\n", path); return -1; }
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) { fclose(f); return -1; }
    buf = malloc(n ? (size_t)n : 1);   /* exactly sized: ASan sees any read past the end */
    if (!buf || (n && fread(buf, 1, (size_t)n, f) != (size_t)n)) { free(buf); fclose(f); return -1; }
    fclose(f);
    LLVMFuzzerTestOneInput(buf, (size_t)n);
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    int i, files = 0, bad = 0;
    for (i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            printf("replay: %s absent, skipped\n", argv[i]);
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            DIR *dir = opendir(argv[i]);
            struct dirent *e;
            while (dir && (e = readdir(dir)) != NULL) {
                char path[4096];
                struct stat fs;
                if (e->d_name[0] == '.') continue;
                snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name);
                if (stat(path, &fs) != 0 || !S_ISREG(fs.st_mode)) continue;
                if (run_file(path) < 0) bad++; else files++;
            }
            if (dir) closedir(dir);
        } else {
            if (run_file(argv[i]) < 0) bad++; else files++;
        }
    }
    printf("replay: %d inputs run, %d unreadable\n", files, bad);
    return bad ? 1 : 0;
}
