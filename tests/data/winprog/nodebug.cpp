/*
** nodebug.cpp - compiled without debug information: its functions appear in the PDB only as
** public symbols, with decorated (mangled) names that heapdig must make readable.
*/
typedef unsigned long long u64;
static volatile u64 sink2;

namespace hdns {
struct Widget {
    __attribute__((noinline)) u64 grow(u64 x);
};
__attribute__((noinline)) u64 Widget::grow(u64 x) { sink2 = x + 11; return sink2 * 2; }
__attribute__((noinline)) u64 cpp_alloc(u64 x) { Widget w; return w.grow(x) + 1; }
}

extern "C" __attribute__((noinline)) u64 hd_nodebug_c(u64 x) { sink2 = x; return sink2 + 9; }
extern "C" u64 hd_call_cpp(u64 x) { return hdns::cpp_alloc(x); }
