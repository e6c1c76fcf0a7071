/*
** heapdig.c - the heapdig command line: dispatch to one command per cmd_<name>.c.
*/
#include <stdio.h>
#include <string.h>
#include "cli.h"

static const struct command {
    const char *name;
    cmd_fn fn;
    const char *summary;
} commands[] = {
    {"info", cmd_info, "the process at a glance: OS, arch, WoW64, threads, modules, heaps, gflags"},
    {"address", cmd_address, "memory regions by usage; --summary is WinDbg's !address -summary"},
    /* heap commands (heaps, heap, blocks, stat, dt, check) */
    {"heaps", cmd_heaps, "every heap: !heap -s columns, how it was found, --explain the evidence"},
    {"heap", cmd_heap, "one heap in detail (!heap -h): segments, UCRs, VirtualAlloc list, LFH, free lists"},
    {"blocks", cmd_blocks, "one line per heap block (!heap -flt s / -hl), with filters; --json, --csv"},
    {"stat", cmd_stat, "busy blocks grouped by user size (!heap -stat -h)"},
    {"dt", cmd_dt, "a heap structure at an address from heapdig's own layouts (WinDbg dt, no symbols)"},
    {"check", cmd_check, "walk every heap and print every reconciliation and problem"},
    /* stack commands (find, top, diff, report) */
    {"find", cmd_find, "what is at an address: heap block with its allocation stack (!heap -p -a), or the region"},
    {"top", cmd_top, "where the heap memory went: busy bytes by allocation stack, size, module or function"},
    {"diff", cmd_diff, "what grew between two dumps of the same program, by allocation stack"},
    {"report", cmd_report, "one self-contained HTML report for people who never used WinDbg"},
};

static void usage(FILE *f)
{
    size_t i;
    fprintf(f, "heapdig %s - where did the native memory go? (Windows minidumps, no symbols needed)\n\n", hd_version());
    fprintf(f, "usage: heapdig COMMAND [OPTIONS] DUMP...\n\ncommands:\n");
    for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nEvery command takes --json (one JSON document on stdout, see docs/json.md) and --help.\n"
               "Exit status: 0 answer, 1 partial answer (damage or memory missing in the dump), 2 nothing could be said.\n");
}

int main(int argc, char **argv)
{
    size_t i;
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_NOTHING : EXIT_ANSWER;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("heapdig %s\n", hd_version());
        return EXIT_ANSWER;
    }
    for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) {
            cli_command = commands[i].name;
            return commands[i].fn(argc - 2, argv + 2);
        }
    fprintf(stderr, "heapdig: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return EXIT_NOTHING;
}
