#!/usr/bin/env python3
"""Cut the seed inputs of fuzz_heap.c out of a real dump (fizzbuzz_wow64.dmp).

Each seed is: flags u8 (bit 0: 64-bit) | heap base u64 | page mask u32 | the heap's committed bytes.
The Memory64List is read directly (MINIDUMP_HEADER, directory, Memory64List), nothing else.
usage: make_heap_seeds.py ../shared/corpus/fizzbuzz_wow64.dmp fuzz/corpus/heap
"""
import struct, sys, os

def ranges(dump):
    sig, ver, nstreams, dir_rva = struct.unpack_from('<IIII', dump, 0)
    for i in range(nstreams):
        typ, size, rva = struct.unpack_from('<III', dump, dir_rva + 12 * i)
        if typ == 9:  # Memory64ListStream
            n, base_rva = struct.unpack_from('<QQ', dump, rva)
            off = base_rva
            for k in range(n):
                va, sz = struct.unpack_from('<QQ', dump, rva + 16 + 16 * k)
                yield va, sz, off
                off += sz

def read(dump, va, n):
    out = bytearray()
    for base, sz, off in ranges(dump):
        if base <= va + len(out) < base + sz:
            take = min(n - len(out), base + sz - (va + len(out)))
            out += dump[off + (va + len(out) - base): off + (va + len(out) - base) + take]
            if len(out) == n:
                return bytes(out)
    raise SystemExit('0x%x+0x%x not captured' % (va, n))

def seed(path, x64, base, data, mask=0xFFFFFFFF):
    with open(path, 'wb') as f:
        f.write(struct.pack('<BQI', 1 if x64 else 0, base, mask) + data)

dump = open(sys.argv[1], 'rb').read()
out = sys.argv[2]
# committed parts of the heaps (reference §13: segment walks end at these UCR starts)
h460 = read(dump, 0x460000, 0x5000)      # x86 private heap, Win7
h500 = read(dump, 0x500000, 0x8000)      # x64 process heap, Win7
h700 = read(dump, 0x700000, 0x14000)     # x86 process heap with LFH (its _LFH_HEAP is elsewhere)
h020 = read(dump, 0x20000, 0x10000)      # x64 CSR port heap, fully committed
seed(os.path.join(out, 'win7_x86_460000'), 0, 0x460000, h460)
seed(os.path.join(out, 'win7_x64_500000'), 1, 0x500000, h500)
seed(os.path.join(out, 'win7_x86_700000_lfh'), 0, 0x700000, h700)
seed(os.path.join(out, 'win7_x64_020000_full'), 1, 0x20000, h020)
seed(os.path.join(out, 'win7_x86_460000_hole'), 0, 0x460000, h460, 0xFFFFFFFB)      # page 2 missing
bad = bytearray(h500); bad[0xA80 + 8] ^= 0x55                                         # the header at 0x500A80, damaged
seed(os.path.join(out, 'win7_x64_500000_damaged'), 1, 0x500000, bytes(bad))
seed(os.path.join(out, 'wrong_arch'), 1, 0x460000, h460)                             # x86 bytes read as x64
