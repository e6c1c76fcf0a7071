/*
** prog.c - a tiny freestanding Windows program built at test time (build.sh) to check that
** heapdig names code addresses from exports and from a PDB.  Compiled with -g: every function
** gets a procedure record in the PDB, the static one included; two are exported.
*/
typedef unsigned long long u64;
static volatile u64 sink;

static __attribute__((noinline)) u64 hd_static_helper(u64 x) { sink = x * 3; return sink + 1; }
__attribute__((noinline)) u64 hd_global_hidden(u64 x) { return hd_static_helper(x) * 5; }
__declspec(dllexport) __attribute__((noinline)) u64 hd_exported_alloc(u64 n) { return hd_global_hidden(n) + 7; }
__declspec(dllexport) __attribute__((noinline)) u64 hd_exported_second(u64 n) { return hd_exported_alloc(n) ^ 0x55; }

u64 hd_nodebug_c(u64 x);
u64 hd_call_cpp(u64 x);

int hd_entry(void) { return (int)(hd_exported_second(4) + hd_nodebug_c(2) + hd_call_cpp(3)); }
