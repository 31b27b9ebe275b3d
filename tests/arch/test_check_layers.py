#!/usr/bin/env python3
"""Self-test of check_layers.py: a tiny fake tree with one violation of
each kind must fail with each message, and the same tree without them must
pass. Objects are compiled with cc into the layout CMake uses
(BUILD/CMakeFiles/sc_<layer>.dir/core/<layer>/<file>.c.o)."""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def write(root, rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def build(root, bad):
    src, out = os.path.join(root, "src"), os.path.join(root, "build")
    files = {
        "core/base/a.c": '#include "a.h"\nint b(void);\nint a(int x)\n{\n'
                         '    return x ? b() : 0;\n}\n',
        "core/base/a.h": "int a(int x);\n",
        "core/base/b.c": '#include "a.h"\nint b(void);\nint b(void)\n{\n'
                         '    return %s;\n}\n' % ("a(0)" if bad else "1"),
        "core/io/y.h": "int y(void);\n",
        "core/io/y.c": '#include "y.h"\n#include "a.h"\nint y(void)\n{\n'
                       '    return a(1);\n}\n',
        "core/num/x.h": '#include "%s"\n' % ("y.h" if bad else "a.h"),
        "core/num/x.c": "int x(void);\nint %s(void);\nint x(void)\n{\n"
                        "    return %s();\n}\n" % (("y", "y") if bad else
                                                  ("b", "b")),
        "plugins/p.c": "int p(void);\nint p(void)\n{\n" +
                       "    int v = 0;\n" * (90 if bad else 10) +
                       "    return v;\n}\n",
    }
    for rel, text in files.items():
        write(src, rel, text)
    for rel in files:
        if not rel.startswith("core/") or not rel.endswith(".c"):
            continue
        layer = rel.split("/")[1]
        obj = os.path.join(out, "CMakeFiles", "sc_%s.dir" % layer, rel + ".o")
        os.makedirs(os.path.dirname(obj), exist_ok=True)
        incs = ["-I" + os.path.join(src, "core", l) for l in ("base", "io")]
        subprocess.run(["cc", "-c", "-o", obj] + incs +
                       [os.path.join(src, rel)], check=True)
    return src, out


def run(src, out):
    res = subprocess.run([sys.executable, os.path.join(HERE, "check_layers.py"),
                          src, out], capture_output=True, text=True)
    return res.returncode, res.stdout


def main():
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        rc, text = run(*build(os.path.join(tmp, "good"), False))
        if rc != 0:
            print("clean tree failed:\n" + text)
            failures += 1
        rc, text = run(*build(os.path.join(tmp, "bad"), True))
        expected = [
            'core/num/x.h:1: includes "y.h" of layer io from layer num',
            "core/num/x.c calls y of core/io/y.c, a higher layer",
            "cycle between files: core/base/a.c core/base/b.c",
            "plugins/p.c:2: p is 94 lines (at most 80",
            "4 violation(s)",
        ]
        if rc != 1:
            print("bad tree: exit %d, expected 1" % rc)
            failures += 1
        for e in expected:
            if e not in text:
                print("bad tree: missing %r in:\n%s" % (e, text))
                failures += 1
    print("check_layers self-test: %d expected messages checked, %d failure(s)"
          % (len(expected) + 1, failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
