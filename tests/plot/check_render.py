#!/usr/bin/python3
"""PDF and PNG of every figure (issue 16), checked by rendering, not bytes.

usage: check_render.py SIMCON FIXTURE_DIR WORK_DIR

`simcon plot --format svg,pdf,png` on a copy of the fixture. For every SVG
of figures/index.tsv:
- PDF: one page of the SVG's size (1 px = 0.75 pt); pdffonts lists every
  font as embedded; pdftotext finds the figure's first text of three or
  more words (text stays text);
  pdftoppm (poppler, independent of cairo) rasterises it at 96 dpi (1 px =
  1 pixel) and the panel area -- the union of the cells, boxes or points
  the SVG draws -- is not blank.
- PNG: twice the SVG's size; decoded by headless Chromium (a probe page
  with the PNGs as data: URIs, pixels read back through a canvas), the
  panel area is not blank.
Also: --format with an unknown word is a usage error (exit 2) naming it.
Exit 77 after the PDF checks when Chromium is not installed.
"""
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

import numpy as np

SVG = "{http://www.w3.org/2000/svg}"
checks = 0


def ok(cond, what):
    global checks
    checks += 1
    print("%sok %d - %s" % ("" if cond else "not ", checks, what))
    if not cond:
        sys.exit(1)


def panel_box(root):
    """Union (x0, y0, x1, y1) in px of what carries data, and the kind."""
    xs, ys = [], []
    for r in root.iter(SVG + "rect"):
        a = r.attrib
        if "data-value" in a or "data-v" in a or "data-median" in a or \
                ("data-row" in a):
            x, y = float(a["x"]), float(a["y"])
            xs += [x, x + float(a["width"])]
            ys += [y, y + float(a["height"])]
    for c in root.iter(SVG + "circle"):
        a = c.attrib
        if "data-x" in a or "data-r" in a:
            x, y = float(a["cx"]), float(a["cy"])
            xs += [x - 3, x + 3]
            ys += [y - 3, y + 3]
    return (min(xs), min(ys), max(xs), max(ys)) if xs else None


def read_ppm(path):
    data = open(path, "rb").read()
    parts = data.split(maxsplit=4)
    assert parts[0] == b"P6", parts[0]
    w, h, mx = int(parts[1]), int(parts[2]), int(parts[3])
    assert mx == 255
    return np.frombuffer(parts[4][:w * h * 3], np.uint8).reshape(h, w, 3)


def inked(img, box, scale):
    x0, y0, x1, y1 = (int(round(v * scale)) for v in box)
    sub = img[max(y0, 0):y1, max(x0, 0):x1].astype(int)
    return float(np.mean(sub.sum(axis=2) < 3 * 245)) if sub.size else 0.0


PROBE = """<!DOCTYPE html><html><body><script>
window.onload=function(){var out={},im=document.images;
for(var i=0;i<im.length;i++){var c=document.createElement('canvas');
c.width=im[i].naturalWidth;c.height=im[i].naturalHeight;
var x=c.getContext('2d');x.drawImage(im[i],0,0);
var b=JSON.parse(im[i].dataset.box),d=x.getImageData(b[0],b[1],
Math.max(1,b[2]-b[0]),Math.max(1,b[3]-b[1])).data,n=0;
for(var k=0;k<d.length;k+=4)if(d[k]+d[k+1]+d[k+2]<735)n++;
out[im[i].id]=[c.width,c.height,n/(d.length/4)];}
document.body.setAttribute('data-out',JSON.stringify(out));};
</script>
"""


def main():
    simcon, fixture, work = sys.argv[1:4]
    shutil.rmtree(work, ignore_errors=True)
    dst = os.path.join(work, "fixture")
    shutil.copytree(fixture, dst)
    res = subprocess.run([simcon, "plot", dst, "--format", "svg,pdf,jpg"],
                         capture_output=True, text=True)
    ok(res.returncode == 2 and "'jpg'" in res.stderr and
       not os.path.exists(os.path.join(dst, "figures")),
       "--format svg,pdf,jpg: usage error naming jpg, nothing written (%s)"
       % res.stderr.strip())
    res = subprocess.run([simcon, "plot", dst, "--format", "svg,pdf,png"],
                         capture_output=True, text=True)
    ok(res.returncode == 0, "simcon plot --format svg,pdf,png: exit 0 (%s)"
       % res.stderr.strip())
    fdir = os.path.join(dst, "figures")
    with open(os.path.join(fdir, "index.tsv")) as f:
        index = [ln.split("\t") for ln in f.read().splitlines()]
    svgs = [x[1] for x in index]
    ok(all(os.path.exists(os.path.join(fdir, s[:-4] + e))
           for s in svgs for e in (".pdf", ".png")),
       "every one of %d figures has a .pdf and a .png" % len(svgs))
    tmp = tempfile.mkdtemp(prefix="sc-render-")
    probe, bad_pdf, fracs = [], [], []
    for name in svgs:
        root = ET.parse(os.path.join(fdir, name)).getroot()
        w, h = float(root.attrib["width"]), float(root.attrib["height"])
        # The first drawn text of three words or more (a figure title or,
        # in the summary, a panel title).
        title = next(t.text for t in root.iter(SVG + "text")
                     if t.text and len(t.text.split()) >= 3)
        box = panel_box(root)
        pdf = os.path.join(fdir, name[:-4] + ".pdf")
        info = subprocess.run(["pdfinfo", pdf], capture_output=True,
                              text=True).stdout
        m = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
        pages = re.search(r"Pages:\s+(\d+)", info)
        fonts = subprocess.run(["pdffonts", pdf], capture_output=True,
                               text=True).stdout.splitlines()[2:]
        text = subprocess.run(["pdftotext", pdf, "-"], capture_output=True,
                              text=True).stdout
        words = title.split()[:3]
        base = os.path.join(tmp, "p")
        subprocess.run(["pdftoppm", "-r", "96", "-singlefile", pdf, base],
                       check=True)
        img = read_ppm(base + ".ppm")
        frac = inked(img, box, 1.0) if box else 0.0
        problems = []
        if not m or abs(float(m.group(1)) - 0.75 * w) > 0.5 or \
                abs(float(m.group(2)) - 0.75 * h) > 0.5 or \
                pages.group(1) != "1":
            problems.append("page size/count")
        if not fonts or any(ln.split()[-5] != "yes" for ln in fonts):
            problems.append("fonts not embedded: %s" % fonts)
        if not all(wd in text for wd in words):
            problems.append("title text %s not in PDF text" % words)
        if abs(img.shape[1] - w) > 1.5 or abs(img.shape[0] - h) > 1.5:
            problems.append("raster %s vs %gx%g" % (img.shape, w, h))
        if frac < 0.01:
            problems.append("panel area blank (%.3f inked)" % frac)
        if problems:
            bad_pdf.append((name, problems))
        fracs.append(frac)
        probe.append((name, [round(2 * v) for v in box], w, h))
    shutil.rmtree(tmp, ignore_errors=True)
    ok(not bad_pdf, "PDFs: page size, fonts embedded, title as text, "
       "pdftoppm raster non-blank in the panels (inked %.3f..%.3f) %s"
       % (min(fracs), max(fracs), bad_pdf[:2]))

    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        print("# SKIP: chromium not installed, PNGs not decoded")
        return 77
    page = os.path.join(work, "probe.html")
    with open(page, "w") as f:
        f.write(PROBE)
        for k, (name, box, w, h) in enumerate(probe):
            data = open(os.path.join(fdir, name[:-4] + ".png"), "rb").read()
            f.write('<img id="i%d" data-box="%s" src="data:image/png;base64,'
                    '%s">\n' % (k, json.dumps(box),
                                base64.b64encode(data).decode()))
        f.write("</body></html>\n")
    profile = tempfile.mkdtemp(prefix="sc-chromium-")
    try:
        res = subprocess.run(
            [exe, "--headless", "--no-sandbox", "--disable-gpu",
             "--user-data-dir=" + profile, "--virtual-time-budget=20000",
             "--dump-dom", "file://" + os.path.abspath(page)],
            capture_output=True, text=True, timeout=300)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    m = re.search(r'data-out="([^"]*)"', res.stdout)
    ok(m is not None, "Chromium decoded the PNGs (probe ran)")
    out = json.loads(m.group(1).replace("&quot;", '"'))
    bad = []
    for k, (name, box, w, h) in enumerate(probe):
        pw, ph, frac = out["i%d" % k]
        if abs(pw - 2 * w) > 1 or abs(ph - 2 * h) > 1 or frac < 0.01:
            bad.append((name, pw, ph, frac))
    fr = [v[2] for v in out.values()]
    ok(len(out) == len(probe) and not bad,
       "PNGs: %d decoded at 2x the SVG size, panel areas non-blank "
       "(inked %.3f..%.3f) %s" % (len(out), min(fr), max(fr), bad[:2]))
    print("# %d checks passed" % checks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
