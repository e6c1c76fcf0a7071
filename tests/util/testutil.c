/*
** testutil.c - see testutil.h.
*/
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "testutil.h"

const char *tu_corpus(const char *name)
{
    static char buf[8][1024];
    static int k;
    struct stat st;
    char *p = buf[k++ % 8];
    snprintf(p, 1024, "%s/%s", HD_CORPUS_DIR, name);
    return stat(p, &st) == 0 ? p : NULL;
}

const char *tu_data_path(const char *name)
{
    static char buf[8][1024];
    static int k;
    char *p = buf[k++ % 8];
    snprintf(p, 1024, "%s/%s", HD_TEST_DATA_DIR, name);
    return p;
}

int tu_write_file(const char *path, const void *bytes, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    if (n && fwrite(bytes, 1, n, f) != n) { fclose(f); return -1; }
    return fclose(f) == 0 ? 0 : -1;
}

void *tu_read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, len = 0, got;
    if (!f) return NULL;
    do {
        if (len + 65536 > cap) {
            char *nb = realloc(buf, cap = (cap ? cap * 2 : 65536) + 65536);
            if (!nb) { free(buf); fclose(f); return NULL; }
            buf = nb;
        }
        got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
    } while (got > 0);
    fclose(f);
    buf[len] = 0;
    if (n) *n = len;
    return buf;
}

static char *slurp_fd(int fd, size_t *n)
{
    char *buf = NULL;
    size_t cap = 0, len = 0;
    ssize_t got;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            char *nb = realloc(buf, cap = cap * 2 + 8192);
            if (!nb) break;
            buf = nb;
        }
        got = read(fd, buf + len, cap - len - 1);
        if (got <= 0) break;
        len += (size_t)got;
    }
    if (buf) buf[len] = 0;
    *n = len;
    return buf;
}

int tu_heapdigv(tu_run *r, const char *const *argv)
{
    char tmpl_out[] = "/tmp/hdtestXXXXXX", tmpl_err[] = "/tmp/hdtestXXXXXX";
    int fo = mkstemp(tmpl_out), fe = mkstemp(tmpl_err), status = -1;
    pid_t pid;
    memset(r, 0, sizeof *r);
    r->status = -1;
    if (fo < 0 || fe < 0) return -1;
    unlink(tmpl_out);
    unlink(tmpl_err);
    pid = fork();
    if (pid == 0) {
        const char *args[64];
        int i = 0;
        args[i++] = HD_HEAPDIG_EXE;
        while (argv[i - 1] && i < 63) { args[i] = argv[i - 1]; i++; }
        args[i] = NULL;
        dup2(fo, 1);
        dup2(fe, 2);
        execv(HD_HEAPDIG_EXE, (char *const *)args);
        _exit(127);
    }
    if (pid < 0 || waitpid(pid, &status, 0) < 0) return -1;
    lseek(fo, 0, SEEK_SET);
    lseek(fe, 0, SEEK_SET);
    r->out = slurp_fd(fo, &r->out_len);
    r->err = slurp_fd(fe, &r->err_len);
    close(fo);
    close(fe);
    if (WIFEXITED(status)) r->status = WEXITSTATUS(status);
    else r->status = 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    return r->status;
}

int tu_heapdig(tu_run *r, const char *arg0, ...)
{
    const char *argv[64];
    int n = 0;
    va_list ap;
    va_start(ap, arg0);
    for (const char *a = arg0; a && n < 63; a = va_arg(ap, const char *)) argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    return tu_heapdigv(r, argv);
}

void tu_free_run(tu_run *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

int tu_mkdump(const char *layout, const char *scenario, unsigned seed, double scale, const char *dmp,
              const char *truth)
{
    char cmd[4096], sc[64] = "", tr[1100] = "";
    const char *exe = getenv("HD_MKDUMP") ? getenv("HD_MKDUMP") : HD_MKDUMP_EXE;
    if (scale > 0) snprintf(sc, sizeof sc, " --scale %g", scale);
    if (truth) snprintf(tr, sizeof tr, " --truth '%s'", truth);
    snprintf(cmd, sizeof cmd, "'%s' --layout %s --scenario '%s' --seed %u%s -o '%s'%s >/dev/null 2>&1", exe, layout,
             scenario, seed, sc, dmp, tr);
    return system(cmd);
}
