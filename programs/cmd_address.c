/*
** cmd_address.c - `heapdig address [--summary] DUMP`: regions by usage (WinDbg's !address).
*/
#include <stdio.h>
#include "cli.h"

int cmd_address(int argc, char **argv)
{
    (void)argc; (void)argv;
    fprintf(stderr, "heapdig address: not implemented yet\n");
    return EXIT_NOTHING;
}
