#!/usr/bin/env python3
"""Architecture checks for core/ (docs/ARCHITECTURE.md).

    check_layers.py SOURCE_DIR BUILD_DIR

1. Layer order by #include: a file in core/<layer>/ may include headers of
   its own layer, of lower layers and include/simcon/ only. (The build
   enforces this for .c files through per-layer include paths; this check
   also covers headers that no .c of their layer includes.)
2. Layer order and cycles by symbol: from `nm` on the compiled objects, file
   A depends on file B when A uses a symbol that B defines. No file may
   depend on a file of a higher layer, and the graph of files has no
   cycles (a strongly connected component of two or more files).
3. Size: at most MAX_SOURCES .c files in a layer folder; no function longer
   than MAX_FUNC_LINES lines in core/ or plugins/ (universal-ctags), except
   the exemptions listed in tests/arch/allow.txt with their reason.

Prints every violation and how many items each check covered; exits 1 on
any violation, 0 otherwise.
"""
import glob
import json
import os
import re
import subprocess
import sys

LAYERS = ["base", "num", "io", "host", "stats", "report", "run", "cli"]
MAX_SOURCES = 12
MAX_FUNC_LINES = 80


def rank(path):
    """Layer index of core/<layer>/file, else None."""
    parts = path.split(os.sep)
    if len(parts) >= 3 and parts[-3] == "core" and parts[-2] in LAYERS:
        return LAYERS.index(parts[-2])
    return None


def load_allow(src):
    """allow.txt: 'KIND NAME  # reason' lines; KIND is func or cycle."""
    allow = set()
    path = os.path.join(src, "tests", "arch", "allow.txt")
    if os.path.exists(path):
        for line in open(path):
            line = line.split("#", 1)[0].strip()
            if line:
                kind, name = line.split(None, 1)
                allow.add((kind, name.strip()))
    return allow


def check_includes(src, errors):
    headers = {}
    for layer in LAYERS:
        for h in glob.glob(os.path.join(src, "core", layer, "*.h")):
            headers[os.path.basename(h)] = LAYERS.index(layer)
    files = []
    for layer in LAYERS:
        files += sorted(glob.glob(os.path.join(src, "core", layer, "*.[ch]")))
    n = 0
    for f in files:
        own = rank(f)
        for lineno, line in enumerate(open(f), 1):
            m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
            if not m:
                continue
            n += 1
            inc = m.group(1)
            if inc.startswith("simcon/"):
                continue
            if inc not in headers:
                errors.append("%s:%d: includes \"%s\", which is in no layer"
                              % (os.path.relpath(f, src), lineno, inc))
            elif headers[inc] > own:
                errors.append("%s:%d: includes \"%s\" of layer %s from layer %s"
                              " (a layer may use only itself and the layers "
                              "below: %s)"
                              % (os.path.relpath(f, src), lineno, inc,
                                 LAYERS[headers[inc]], LAYERS[own],
                                 " < ".join(LAYERS)))
    return len(files), n


def objects(build):
    out = {}
    for layer in LAYERS:
        pat = os.path.join(build, "CMakeFiles", "sc_%s.dir" % layer, "core",
                           layer, "*.c.o")
        for o in glob.glob(pat):
            name = "core/%s/%s" % (layer, os.path.basename(o)[:-2])
            out[name] = o
    return out


def nm(path):
    res = subprocess.run(["nm", "-P", path], capture_output=True, text=True,
                         check=True)
    defined, undefined = set(), set()
    for line in res.stdout.splitlines():
        f = line.split()
        if len(f) < 2:
            continue
        sym, kind = f[0], f[1]
        if kind == "U":
            undefined.add(sym)
        elif kind in "TDBRVWGS":
            defined.add(sym)
    return defined, undefined


def sccs(graph):
    """Tarjan's strongly connected components (iterative)."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                    advanced = True
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                out.append(sorted(comp))
    return out


def check_symbols(src, build, allow, errors):
    objs = objects(build)
    if not objs:
        errors.append("no objects under %s/CMakeFiles/sc_*.dir: build first"
                      % build)
        return 0, 0
    syms = {name: nm(o) for name, o in objs.items()}
    owner = {}
    for name, (defined, _) in syms.items():
        for s in defined:
            owner[s] = name
    graph = {name: set() for name in objs}
    edges = 0
    for name, (_, undefined) in syms.items():
        for s in undefined:
            dep = owner.get(s)
            if dep is None or dep == name:
                continue
            graph[name].add(dep)
            edges += 1
            if LAYERS.index(dep.split("/")[1]) > LAYERS.index(name.split("/")[1]):
                errors.append("%s calls %s of %s, a higher layer"
                              % (name, s, dep))
    for comp in sccs(graph):
        if len(comp) > 1:
            key = " ".join(comp)
            if ("cycle", key) not in allow:
                errors.append("cycle between files: %s" % key)
            else:
                allow.discard(("cycle", key))
    return len(objs), edges


def check_sizes(src, allow, errors):
    for layer in LAYERS:
        n = len(glob.glob(os.path.join(src, "core", layer, "*.c")))
        if n > MAX_SOURCES:
            errors.append("core/%s holds %d .c files (at most %d: split the "
                          "layer's concerns into a new module)"
                          % (layer, n, MAX_SOURCES))
    files = sorted(glob.glob(os.path.join(src, "core", "*", "*.c")) +
                   glob.glob(os.path.join(src, "plugins", "*.c")))
    res = subprocess.run(["ctags", "--output-format=json", "--c-kinds=f",
                          "--fields=+ne", "-o", "-"] + files,
                         capture_output=True, text=True, check=True)
    nfunc = 0
    for line in res.stdout.splitlines():
        tag = json.loads(line)
        if tag.get("_type") != "tag" or "end" not in tag:
            continue
        nfunc += 1
        length = tag["end"] - tag["line"] + 1
        where = "%s:%s" % (os.path.relpath(tag["path"], src), tag["name"])
        if length > MAX_FUNC_LINES:
            if ("func", where) in allow:
                allow.discard(("func", where))
                continue
            errors.append("%s:%d: %s is %d lines (at most %d: split it into "
                          "named steps)" % (os.path.relpath(tag["path"], src),
                                            tag["line"], tag["name"], length,
                                            MAX_FUNC_LINES))
    return nfunc


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: check_layers.py SOURCE_DIR BUILD_DIR")
    src, build = sys.argv[1], sys.argv[2]
    allow = load_allow(src)
    errors = []
    nfiles, nincl = check_includes(src, errors)
    nobj, nedges = check_symbols(src, build, allow, errors)
    nfunc = check_sizes(src, allow, errors)
    for kind, name in sorted(allow):
        errors.append("tests/arch/allow.txt: '%s %s' no longer needed: "
                      "remove it" % (kind, name))
    for e in errors:
        print(e)
    print("checked %d files, %d includes, %d objects, %d symbol links, "
          "%d functions: %d violation(s)"
          % (nfiles, nincl, nobj, nedges, nfunc, len(errors)))
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
