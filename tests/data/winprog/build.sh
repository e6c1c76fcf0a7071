#!/bin/sh
# build.sh OUTDIR TARGET - build prog.exe + prog.pdb for TARGET (x86_64 or i686) with clang and
# lld-link (Debian packages clang, lld), and write the independent ground truth next to them:
#   prog.map      the linker's map (publics and statics with their RVAs)
#   exports.txt   llvm-readobj --coff-exports
#   summary.txt   llvm-pdbutil dump -summary (GUID, age)
#   publics.txt   llvm-pdbutil dump -publics (decorated names)
# Exit 77 when a tool is missing (the test then skips and says why).
set -eu
out=$1
arch=${2:-x86_64}
src=$(cd "$(dirname "$0")" && pwd)
for t in clang lld-link llvm-readobj llvm-pdbutil llvm-undname; do
  command -v $t >/dev/null 2>&1 || { echo "missing tool: $t" >&2; exit 77; }
done
mkdir -p "$out"
cd "$out"
flags="--target=$arch-pc-windows-msvc -O1 -ffreestanding -fno-builtin -fno-exceptions -fno-rtti -fno-stack-protector"
clang $flags -g -gcodeview -c "$src/prog.c" -o prog.obj
clang $flags -x c++ -c "$src/nodebug.cpp" -o nodebug.obj
if [ "$arch" = i686 ]; then m=X86; else m=X64; fi
lld-link /nologo /machine:$m /entry:hd_entry /subsystem:console /nodefaultlib /debug /pdb:prog.pdb \
  /out:prog.exe /map:prog.map prog.obj nodebug.obj
llvm-readobj --coff-exports prog.exe > exports.txt
llvm-pdbutil dump -summary prog.pdb > summary.txt
llvm-pdbutil dump -publics prog.pdb > publics.txt
# undname.txt: "MANGLED<TAB>llvm-undname's demangling" for each C++ name of the map
: > undname.txt
for n in $(awk '$2 ~ /^\?/ {print $2}' prog.map); do
  printf '%s\t%s\n' "$n" "$(llvm-undname "$n" | sed -n 2p)" >> undname.txt
done
