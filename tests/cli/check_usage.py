#!/usr/bin/python3
"""Every command's option table against its usage text, and argv echoed
escaped in usage errors (issue 17: one option-table parser, core/cli/options.c).

Usage: check_usage.py SIMCON   (exit 0 = pass)

1. Every option the usage of `simcon <cmd> --help` names (synopsis lines and
   option lines) is accepted by the command: given on its own (with a value
   when the usage shows one) it may fail for a missing argument, but never
   as an unknown option. The usage text is written by hand next to the
   table (core/cli/cmd_<cmd>.c), so this is what keeps the two in step.
2. An unknown option carrying control characters (an ANSI colour sequence
   and BEL) is echoed with them escaped (\\x1b, \\x07, as sc_escape_ctl
   writes them everywhere else): one line on stderr, exit status 2, nothing
   raw reaching the terminal. Before issue 17, check, plot, plugins and the
   unknown-command message printed argv as is.
3. "--name=VALUE" is not an accepted form (it never was): it is reported
   as an unknown option.
"""
import re
import subprocess
import sys

exe = sys.argv[1]
failures = 0
COMMANDS = ["check", "compare", "mantel", "matrix", "plot", "plugins", "run",
            "slurm"]


def check(cond, what):
    global failures
    print("%sok - %s" % ("" if cond else "not ", what))
    if not cond:
        failures += 1


def run(args):
    p = subprocess.run([exe] + args, capture_output=True,
                       stdin=subprocess.DEVNULL, timeout=60)
    return p.returncode, p.stdout.decode("utf-8", "replace"), \
        p.stderr.decode("utf-8", "replace")


def usage_options(text):
    """{option: takes_value} from the synopsis and the option lines."""
    found = {}
    lines = text.splitlines()
    synopsis = [lines[0]]
    for line in lines[1:]:
        if not line.lstrip().startswith("["):
            break
        synopsis.append(line)
    for line in synopsis:
        for name, value in re.findall(
                r"\[(-[-a-z0-9]*[a-z0-9])(?: ([A-Z][A-Za-z=.|]*|[a-z0-9]+(?:[|,][a-z0-9-]+)+))?",
                line):
            found[name] = bool(value)
        for name, value in re.findall(r"(?<=[\s|])(-[a-z]) ([A-Z][\w.=]*)",
                                      line):
            found[name] = True
    for line in lines:
        m = re.match(r"  (-[-a-z0-9]+)(?: ([A-Z][A-Za-z=.]*))?(?: |$)", line)
        if m:
            found[m.group(1)] = bool(m.group(2)) or found.get(m.group(1), False)
    return found


for cmd in COMMANDS:
    rc, out, err = run([cmd, "--help"])
    opts = usage_options(out)
    check(rc == 0 and len(opts) > 0,
          "%s --help names its options (%s)" % (cmd, " ".join(sorted(opts))))
    for name, takes_value in sorted(opts.items()):
        args = [cmd, name] + (["1"] if takes_value else [])
        rc, out, err = run(args)
        check("option '%s'" % name not in err,
              "simcon %s: accepted (%s)" % (" ".join(args),
                                            err.strip()[:70] or "rc %d" % rc))

    bad = "--bo\x1b[31mgus\x07"
    rc, out, err = run([cmd, bad])
    check(rc == 2 and out == "" and "\x1b" not in err and "\x07" not in err
          and "'--bo\\x1b[31mgus\\x07'" in err and err.count("\n") == 1,
          "simcon %s <option with ESC and BEL>: escaped, one line, exit 2 (%r)"
          % (cmd, err))
    rc, out, err = run([cmd, "--plugin-dir=x"])
    check(rc == 2 and "option '--plugin-dir=x'" in err,
          "simcon %s --plugin-dir=x: an unknown option (%r)" % (cmd, err))

rc, out, err = run(["\x1b[2Jx"])
check(rc == 2 and "\x1b" not in err and "'\\x1b[2Jx'" in err,
      "simcon <command with ESC>: escaped, exit 2 (%r)" % err)

print("%d failure(s)" % failures)
sys.exit(1 if failures else 0)
