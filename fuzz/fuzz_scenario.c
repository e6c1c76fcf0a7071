/*
** fuzz_scenario.c - libFuzzer target for mkdump's scenario parser (tools/mkdump/scenario.c).
**
** Scenario files are written by people, but they are still parsed text: every input must end in
** a scenario or in an error message naming the line, in bounded time and memory.  The input is
** parsed for two layouts (x64 and x86, which bound addresses differently) at scale 1; nothing is
** generated.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "mkdump.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const layouts[] = {"win10-x64", "win7-x86"};
    char err[256];
    char *text;
    size_t i;
    if (size > 65536) return 0;   /* scenario files are small; keep iterations fast */
    text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;
    for (i = 0; i < sizeof layouts / sizeof layouts[0]; i++) {
        const layout *lo = layout_find(layouts[i]);
        scenario *s = lo ? scenario_parse(text, "fuzz", lo, 1.0, err, sizeof err) : NULL;
        if (s) scenario_free(s);
    }
    free(text);
    return 0;
}
