#!/usr/bin/python3
"""The command line as a new user meets it (issue 19).

Usage: check_commands.py MODE SIMCON SOURCE_DIR WORK_DIR   (exit 0 = pass)

MODE is one of
  help      every command's --help exits 0, fits 80 columns and names what
            the command writes (or that it writes no files), its defaults and
            what its paths are relative to; -V equals --version.
  docs      every plugin listed by `simcon plugins` has a section
            "## <name> — ..." in docs/metrics.md, and every parameter of its
            schema is mentioned in that section as `name`.
  progress  every long command (compare, check, matrix, run, plot, mantel:
            each can take seconds to minutes at n = 10,000) shows progress
            with an ETA under a pseudo-terminal (`script`, util-linux), shows
            none when stderr is a pipe, and --quiet silences it on a terminal
            too; each command that writes files ends by naming them.
  defaults  compare, matrix and run with default settings give the same
            number for the same two files, equal to the independent numpy
            value of unbiased linear CKA with L2-normalised rows
            (tests/cli/data/expected.txt, cka_l2, written by make_data.py);
            each reports normalize l2 (stderr / OUT.csv.json / manifest.json).
  vector    a 1-D .npy among the inputs is refused by compare, matrix, check
            and run with a one-line message naming the file and its shape,
            and no output; --allow-vector (data.allow_vector) accepts it.
"""
import json
import os
import re
import shutil
import subprocess
import sys

failures = 0


def check(cond, what):
    global failures
    print("%sok - %s" % ("" if cond else "not ", what))
    if not cond:
        failures += 1


def run(args, **kw):
    """Run with stdout and stderr on pipes; text kept as is (newline="")
    so a stray '\r' would be seen."""
    p = subprocess.run(args, capture_output=True, stdin=subprocess.DEVNULL,
                       **kw)
    p.stdout = p.stdout.decode("utf-8", "replace")
    p.stderr = p.stderr.decode("utf-8", "replace")
    return p


def on_tty(args):
    """Run args with stdout and stderr on a pseudo-terminal (script -q:
    no banner; -e: the command's exit status; -c: the command). Returns
    (status, everything the terminal showed)."""
    cmd = " ".join("'%s'" % a.replace("'", "'\\''") for a in args)
    # Bytes, decoded by hand: text mode would turn every '\r' into '\n'.
    p = subprocess.run(["script", "-qec", cmd, "/dev/null"],
                       capture_output=True, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def expected_cka_l2(src):
    with open(os.path.join(src, "tests/cli/data/expected.txt")) as f:
        for line in f:
            if line.startswith("cka_l2 "):
                return float(line.split()[1])
    raise SystemExit("expected.txt has no cka_l2")


SPEC = """name: {name}
seed: 1
data:
  features: "{{dataset}}/{{model}}.npy"
{extra}models:
{models}
datasets:
  - {{name: d1}}
  - {{name: d2}}
metrics:
  - {{name: cka, plugin: cka}}
statistics: {{permutations: 99, bootstrap: 99}}
"""


def make_spec(work, name, files, extra=""):
    """A spec over two datasets d1, d2 holding the same files."""
    top = os.path.join(work, name)
    shutil.rmtree(top, ignore_errors=True)
    for d in ("d1", "d2"):
        os.makedirs(os.path.join(top, d))
        for model, path in files.items():
            shutil.copy(path, os.path.join(top, d, model + ".npy"))
    spec = os.path.join(top, "spec.yaml")
    with open(spec, "w") as f:
        f.write(SPEC.format(name=name, extra=extra,
                            models="\n".join("  - {name: %s}" % m
                                             for m in files)))
    return spec


# ## help

# Per command: phrases its --help must contain (outputs, defaults, what
# paths are relative to). Checked case-sensitively, as printed.
HELP = {
    "compare": ["Writes no files", "on stdout", "default: cka",
                "progress with an ETA",
                "l2 (default", "relative to the current directory",
                "--quiet", "--normalize", "--plugin-dir",
                "--allow-vector"],
    "matrix": ["Writes OUT.csv", "OUT.csv.json", "default: cka",
               "l2 (default", "(default: 1)", "default: half of RAM",
               "relative to the current", "--threads", "--memory",
               "--normalize", "--plugin-dir", "--quiet", "1e-6 relative",
               "progress with an ETA"],
    "run": ["Writes DIR", "default: results/<spec name>/",
            "relative to the current", "relative to the spec file's folder",
            "figures/*.svg", "report.html", "manifest.json", "--threads",
            "--memory", "--normalize", "--plugin-dir", "--quiet",
            "default is l2", "progress with an", "--plan", "--task ID",
            "DIR.tasks/plan.txt"],
    "slurm": ["Writes DIR.tasks/", "default: results/<spec name>/",
              "relative to the current directory",
              "relative to the spec file's folder", "--submit", "--mem",
              "--time", "--partition", "--cpus", "--max-parallel",
              "(default: only write the scripts)", "--quiet"],
    "plot": ["Writes RESULTS_DIR/figures/*.svg", "report.html",
             "relative to the current directory", "spec (default",
             "(default: the first attribute)", "--quiet", "progress with an"],
    "mantel": ["Writes no files", "on stdout", "(default: 9999)",
               "pearson (default)", "greater (default)",
               "relative to the current directory", "--quiet",
               "progress with an ETA"],
    "check": ["Writes no files", "relative to the current directory",
              "relative to the spec file's folder", "(default)",
              "--plugin-dir", "--quiet", "progress with an ETA"],
    "plugins": ["Writes no files", "stdout", "default: all but DIR",
                "relative to the current directory", "docs/metrics.md"],
}


def mode_help(simcon, src, work):
    top = run([simcon, "--help"])
    listed = re.findall(r"^  (\w+) ", top.stdout, re.M)
    check(top.returncode == 0 and sorted(listed) == sorted(HELP),
          "simcon --help lists exactly the commands tested here: %s"
          % listed)
    for cmd, phrases in sorted(HELP.items()):
        for flag in ("--help", "-h"):
            p = run([simcon, cmd, flag])
            check(p.returncode == 0 and p.stderr == "",
                  "%s %s exits 0, nothing on stderr" % (cmd, flag))
        text = p.stdout
        check(text.startswith("usage: simcon %s" % cmd),
              "%s --help starts with its usage line" % cmd)
        long = [l for l in text.splitlines() if len(l) > 80]
        check(not long, "%s --help fits 80 columns %s" % (cmd, long))
        flat = " ".join(text.split())  # phrases may wrap across lines
        missing = [ph for ph in phrases if ph not in flat]
        check(not missing, "%s --help names outputs, defaults and paths "
              "(missing: %s)" % (cmd, missing))
    v1, v2 = run([simcon, "-V"]), run([simcon, "--version"])
    check(v1.returncode == 0 and v1.stdout == v2.stdout
          and v1.stdout.startswith("simcon "), "-V prints the version")


# ## docs

def mode_docs(simcon, src, work):
    p = run([simcon, "plugins"])
    check(p.returncode == 0, "simcon plugins exits 0")
    plugins = {}
    name = None
    in_params = False
    for line in p.stdout.splitlines():
        m = re.match(r"^(\S+) \S+ — ", line)
        if m:
            name = m.group(1)
            plugins[name] = []
            in_params = False
        elif line.startswith("  parameters:"):
            in_params = True
        elif in_params and re.match(r"^    [a-z][a-z0-9_]* ", line):
            plugins[name].append(line.split()[0])
    check("cka" in plugins and len(plugins) >= 7,
          "simcon plugins lists cka and the others: %s" % sorted(plugins))
    with open(os.path.join(src, "docs/metrics.md")) as f:
        doc = f.read()
    sections = {}
    for m in re.finditer(r"^## (\S+) — .*?(?=^## |\Z)", doc, re.M | re.S):
        sections[m.group(1)] = m.group(0)
    for name, params in sorted(plugins.items()):
        sec = sections.get(name)
        check(sec is not None, "docs/metrics.md has a section for %s" % name)
        if sec is None:
            continue
        for part in ("**Formula", "**Range and invariances.**", "**Cost.**",
                     "**Citation.**"):
            check(part in sec, "%s section has %s" % (name, part))
        missing = [q for q in params if "`%s`" % q not in sec]
        check(not missing, "%s section mentions every parameter %s "
              "(missing: %s)" % (name, params, missing))
    cka = sections.get("cka", "")
    for phrase in ("m_j = sum_i K_ij / (n-2)", "m <- m - sum(m) / (2(n-1))",
                   "K~_ij = K_ij - m_i - m_j", "zero the diagonal again",
                   "H K H", "may be negative", "Song", "Kornblith",
                   "Ciernik", "1e-6 relative"):
        check(phrase in cka, "cka section states: %s" % phrase)


# ## progress

def mode_progress(simcon, src, work):
    data = os.path.join(src, "tests/cli/data")
    x, y = os.path.join(data, "x20.npy"), os.path.join(data, "y20.npy")
    os.makedirs(work, exist_ok=True)
    # Three models: the third is x again under another name.
    z = os.path.join(work, "z20.npy")
    shutil.copy(x, z)
    csv = os.path.join(work, "m.csv")
    spec = make_spec(work, "progress", {"x": x, "y": y, "z": z})
    out = os.path.join(work, "progress-out")
    shutil.rmtree(out, ignore_errors=True)
    # Order matters: run makes the folder plot redraws, matrix the CSV
    # mantel reads.
    long_cmds = [
        ("matrix", [simcon, "matrix", "-o", csv, x, y, z],
         ["prepare", "products"], "wrote %s and %s.json" % (csv, csv)),
        ("run", [simcon, "run", spec, "-o", out],
         ["similarity d1/cka prepare", "similarity d2/cka products",
          "figures"],
         "wrote %s/ (tables/, figures/, manifest.json; open "
         "%s/report.html)" % (out, out)),
        ("plot", [simcon, "plot", out], ["figures"],
         "wrote %s/figures/ and %s/report.html" % (out, out)),
        ("mantel", [simcon, "mantel", csv, csv], ["permutations"], None),
        ("compare", [simcon, "compare", x, y], ["prepare"], None),
        ("check", [simcon, "check", spec], ["reading features"], None),
    ]
    for name, args, phases, wrote in long_cmds:
        rc, shown = on_tty(args)
        check(rc == 0, "%s on a terminal exits 0 (%r)" % (name, shown[-300:]))
        for ph in phases:
            check(re.search(r"\rsimcon %s: %s.*\] \d+/\d+ .*ETA \d+:\d\d"
                            % (name, re.escape(ph)), shown) is not None,
                  "%s on a terminal shows '%s' with a bar, count and ETA"
                  % (name, ph))
            check(re.search(r"simcon %s: %s.* done *\r?\n"
                            % (name, re.escape(ph)), shown) is not None,
                  "%s: phase '%s' ends with done and a newline" % (name, ph))
        if wrote:
            last = shown.replace("\r", "").rstrip("\n").splitlines()[-1]
            check(last == "simcon %s: %s" % (name, wrote),
                  "%s ends by naming what it wrote: %r" % (name, last))
        # Piped: stdout and stderr are pipes.
        p = run(args)
        check(p.returncode == 0, "%s piped exits 0 (%s)" % (name, p.stderr))
        check("\r" not in p.stderr and "ETA" not in p.stderr
              and "[" not in p.stderr.replace("[-1", ""),
              "%s piped: no progress on stderr: %r" % (name, p.stderr))
        if wrote:
            check(p.stderr.splitlines()[-1:] == ["simcon %s: %s"
                                                 % (name, wrote)],
                  "%s piped: still ends by naming what it wrote" % name)
        if name == "compare":  # its settings line stays, on its own
            check(p.stderr.startswith("simcon compare: metric cka")
                  and len(p.stderr.splitlines()) == 1,
                  "compare piped: only the settings line: %r" % p.stderr)
        if name in ("mantel", "check"):
            check(p.stderr == "", "%s piped: stderr empty" % name)
        # --quiet on a terminal: only the command's stdout.
        rc, shown = on_tty(args + ["--quiet"])
        check(rc == 0 and "simcon %s:" % name not in shown,
              "%s --quiet on a terminal: nothing on stderr (%r)"
              % (name, shown[-200:]))


# ## defaults

def mode_defaults(simcon, src, work):
    want = expected_cka_l2(src)
    data = os.path.join(src, "tests/cli/data")
    x, y = os.path.join(data, "x20.npy"), os.path.join(data, "y20.npy")
    os.makedirs(work, exist_ok=True)
    p = run([simcon, "compare", x, y])
    check(p.returncode == 0, "compare exits 0")
    v_compare = float(p.stdout)
    check("normalize l2" in p.stderr and "precision float64" in p.stderr
          and "metric cka (kernel=linear" in p.stderr,
          "compare says what it used on stderr: %r" % p.stderr)
    csv = os.path.join(work, "defaults.csv")
    p = run([simcon, "matrix", "-o", csv, x, y])
    check(p.returncode == 0, "matrix exits 0 (%s)" % p.stderr)
    with open(csv) as f:
        v_matrix = float(f.read().splitlines()[1].split(",")[2])
    with open(csv + ".json") as f:
        side = json.load(f)
    check(side["normalize"] == "l2" and side["precision"] == "float64"
          and side["metric"] == "cka" and "kernel=linear" in side["params"],
          "matrix records normalize, precision and parameters in "
          "OUT.csv.json: %s" % side)
    spec = make_spec(work, "defaults", {"x": x, "y": y})
    out = os.path.join(work, "defaults-out")
    shutil.rmtree(out, ignore_errors=True)
    p = run([simcon, "run", spec, "-o", out, "--quiet"])
    check(p.returncode == 0, "run exits 0 (%s)" % p.stderr)
    with open(os.path.join(out, "similarity/d1/cka.csv")) as f:
        v_run = float(f.read().splitlines()[1].split(",")[2])
    with open(os.path.join(out, "manifest.json")) as f:
        man = json.load(f)
    check(man["normalize"] == "l2" and man["metrics"][0]["precision"]
          == "float64" and "kernel=linear" in man["metrics"][0]["params"],
          "run records normalize, precision and parameters in manifest.json")
    vals = {"compare": v_compare, "matrix": v_matrix, "run": v_run}
    for k, v in vals.items():
        # 1e-12: compare takes one inner product, matrix and run sum the
        # same terms through SYRK, so the last bits may differ.
        check(abs(v - v_compare) <= 1e-12 * abs(v_compare),
              "%s = %.17g equals compare's %.17g" % (k, v, v_compare))
        check(abs(v - want) <= 1e-9 * abs(want),
              "%s = %.17g equals numpy's l2 CKA %.17g" % (k, v, want))


# ## vector

def mode_vector(simcon, src, work):
    data = os.path.join(src, "tests/cli/data")
    x, y = os.path.join(data, "x20.npy"), os.path.join(data, "y20.npy")
    lab = os.path.join(data, "labels20.npy")  # shape (20,), make_data.py
    os.makedirs(work, exist_ok=True)
    csv = os.path.join(work, "vec.csv")
    for f in (csv, csv + ".json"):
        if os.path.exists(f):
            os.remove(f)
    want = "labels20.npy: shape (20,) is a 1-D vector"
    p = run([simcon, "matrix", "-o", csv, x, y, lab])
    check(p.returncode == 1 and want in p.stderr
          and "--allow-vector" in p.stderr
          and len(p.stderr.splitlines()) == 1,
          "matrix refuses a 1-D file naming it and its shape: %r" % p.stderr)
    check(not os.path.exists(csv) and not os.path.exists(csv + ".json"),
          "... and writes nothing")
    p = run([simcon, "compare", lab, x])
    check(p.returncode == 1 and want in p.stderr
          and len(p.stderr.splitlines()) == 1,
          "compare refuses it too: %r" % p.stderr)
    p = run([simcon, "matrix", "--allow-vector", "--normalize", "none", "-o",
             csv, x, y, lab])
    check(p.returncode == 0 and os.path.exists(csv),
          "matrix --allow-vector reads it as 20 x 1 (%s)" % p.stderr)
    spec = make_spec(work, "vector", {"x": x, "y": y, "labels": lab})
    out = os.path.join(work, "vector-out")
    shutil.rmtree(out, ignore_errors=True)
    for cmd in (["check", spec], ["run", spec, "-o", out]):
        p = run([simcon] + cmd)
        check(p.returncode == 1 and "labels.npy: shape (20,) is a 1-D vector"
              in p.stderr, "%s refuses the 1-D feature file: %r"
              % (cmd[0], p.stderr))
    check(not os.path.exists(out), "run wrote no result folder")
    spec = make_spec(work, "vector-ok", {"x": x, "y": y, "labels": lab},
                     extra="  allow_vector: true\n  normalize: none\n")
    p = run([simcon, "check", spec])
    check(p.returncode == 0, "data.allow_vector: true accepts it (%s)"
          % p.stderr)


MODES = {"help": mode_help, "docs": mode_docs, "progress": mode_progress,
         "defaults": mode_defaults, "vector": mode_vector}


def main():
    mode, simcon, src, work = sys.argv[1:5]
    MODES[mode](simcon, src, os.path.join(work, mode))
    print("# %d failure(s)" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
