#!/usr/bin/python3
"""report.html renders in a real browser (issue 8): headless Chromium
screenshots the fixture's report, the PNG must not be blank, the browser
must log no console error, and the DOM Chromium built must hold the
report's sections and every inlined figure. Issue 16: at 1280 x 800 the
first screen shows the headline (heading and first contrast row, measured
by a probe script in the page), and the headline's consistency grid is
drawn on its canvases from the JSON data block.

usage: check_report.py REPORT_HTML OUT_DIR

Exit 77 (CTest SKIP_RETURN_CODE) when no chromium is installed; CI
installs it (.ci/install-deps.sh), so there the test runs. The PNG is
decoded here with zlib and numpy (no PIL: CI does not install it).
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zlib

import numpy as np

SKIP = 77
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]
checks = 0
PROBE = """<script>(function(){
var h=document.querySelector('#headline h2'),
 r=document.querySelector('#contrasts tr:nth-child(2)')||h,
 cs=document.querySelectorAll('#headline canvas'),drawn=0,inked=0;
for(var i=0;i<cs.length;i++){if(cs[i].dataset.done)drawn++;
 var d=cs[i].getContext('2d').getImageData(0,0,cs[i].width,cs[i].height).data;
 for(var k=0;k<d.length;k+=4)if(d[k]<240||d[k+1]<240||d[k+2]<240){inked++;break;}}
document.body.setAttribute('data-layout',JSON.stringify({vh:innerHeight,
 h2:Math.round(h.getBoundingClientRect().top),
 row1:Math.round(r.getBoundingClientRect().bottom),row1text:r.textContent,
 canvases:cs.length,drawn:drawn,inked:inked,
 undrawn:document.querySelectorAll('details canvas:not([data-done])').length}));
})();</script>
"""


def ok(cond, what):
    global checks
    checks += 1
    print("%sok %d - %s" % ("" if cond else "not ", checks, what))
    if not cond:
        sys.exit(1)


def chromium(args, timeout=120):
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    profile = tempfile.mkdtemp(prefix="sc-chromium-")
    try:
        return subprocess.run([exe] + FLAGS + ["--user-data-dir=" + profile]
                              + args, capture_output=True, text=True,
                              timeout=timeout)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def decode_png(path):
    """8-bit RGB/RGBA, non-interlaced PNG -> (h, w, channels) uint8."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, w = 8, b"", None
    while pos < len(data):
        n = int.from_bytes(data[pos:pos + 4], "big")
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            w, h = int.from_bytes(body[0:4], "big"), int.from_bytes(
                body[4:8], "big")
            depth, ctype, interlace = body[8], body[9], body[12]
            if depth != 8 or ctype not in (2, 6) or interlace:
                raise ValueError("unsupported PNG %d/%d/%d"
                                 % (depth, ctype, interlace))
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
    raw = np.frombuffer(zlib.decompress(idat), np.uint8)
    stride = w * bpp
    rows = raw.reshape(h, stride + 1)
    out = np.zeros((h, stride), np.int64)
    prev = np.zeros(stride, np.int64)
    for y in range(h):
        f, line = rows[y, 0], rows[y, 1:].astype(np.int64)
        if f == 0:
            cur = line
        elif f == 1:  # Sub: running sum per channel
            cur = np.cumsum(line.reshape(w, bpp), axis=0).reshape(-1) % 256
        elif f == 2:  # Up
            cur = (line + prev) % 256
        else:  # Average and Paeth depend on the pixel to the left
            cur = line.copy()
            for x in range(stride):
                left = cur[x - bpp] if x >= bpp else 0
                ul = prev[x - bpp] if x >= bpp else 0
                pred = ((left + prev[x]) // 2 if f == 3
                        else paeth(left, prev[x], ul))
                cur[x] = (line[x] + pred) % 256
        out[y] = cur
        prev = cur
    return out.reshape(h, w, bpp).astype(np.uint8)


def main():
    report, outdir = os.path.abspath(sys.argv[1]), sys.argv[2]
    if not (shutil.which("chromium") or shutil.which("chromium-browser")):
        print("# SKIP: chromium not installed (apt-get install chromium)")
        return SKIP
    os.makedirs(outdir, exist_ok=True)
    png = os.path.join(outdir, "report.png")
    if os.path.exists(png):
        os.remove(png)
    url = "file://" + report
    res = chromium(["--enable-logging=stderr", "--v=0",
                    "--screenshot=" + png, "--window-size=1280,2000", url])
    ok(res.returncode == 0 and os.path.exists(png),
       "chromium screenshot written (exit %d)" % res.returncode)
    console = [ln for ln in res.stderr.splitlines()
               if "CONSOLE" in ln or "Uncaught" in ln]
    ok(not console, "no console messages %s" % console[:3])
    img = decode_png(png)[:, :, :3].astype(np.int64)
    h, w = img.shape[:2]
    ok((w, h) == (1280, 2000), "screenshot is 1280 x 2000 (got %d x %d)"
       % (w, h))
    colours = np.unique(img.reshape(-1, 3) @ np.array([65536, 256, 1]))
    inked = float(np.mean(img.sum(axis=2) < 3 * 250))
    ok(len(colours) >= 32 and inked > 0.02,
       "screenshot not blank: %d colours, %.1f%% non-white pixels"
       % (len(colours), 100 * inked))
    dom = chromium(["--dump-dom", url])
    html = open(report, encoding="utf-8").read()
    ok(dom.returncode == 0 and "<h1>simcon report" in dom.stdout,
       "DOM dump holds the page heading")
    nsvg = html.count("<svg ")
    ok(nsvg > 0 and dom.stdout.count("<svg ") == nsvg,
       "DOM holds all %d inlined figures" % nsvg)
    for sec in ("toc", "headline", "contrasts", "boxes", "grid",
                "d-consistency", "d-behaviour", "d-similarity", "d-boxes",
                "d-models", "d-files", "d-manifest"):
        ok('id="%s"' % sec in dom.stdout, "DOM has #%s" % sec)

    # The first screen (1280 x 800) shows the headline: a probe script
    # appended to a copy of the page measures the layout Chromium computed
    # and writes it into the DOM, which --dump-dom returns.
    probe = os.path.join(os.path.dirname(report), "report_probe.html")
    with open(probe, "w", encoding="utf-8") as f:
        f.write(html.replace("</body>", PROBE + "</body>"))
    try:
        dom = chromium(["--window-size=1280,800", "--dump-dom",
                        "file://" + probe])
    finally:
        os.remove(probe)
    m = re.search(r'data-layout="([^"]*)"', dom.stdout)
    ok(m is not None, "probe ran (layout written into the DOM)")
    lay = json.loads(m.group(1).replace("&quot;", '"'))
    print("# layout: %s" % lay)
    # Headless Chromium keeps room for its (hidden) window frame: the
    # viewport of an 800 px window is about 650 px high.
    ok(600 <= lay["vh"] <= 800, "viewport of the 800 px window: %d px"
       % lay["vh"])
    ok(0 <= lay["h2"] < lay["vh"] and lay["row1"] < lay["vh"],
       "first screen shows the headline heading (y = %d) and the first "
       "contrast row (bottom y = %d)" % (lay["h2"], lay["row1"]))
    ok("significant" in lay["row1text"],
       "first contrast row says the result in words: %s" % lay["row1text"])
    ok(lay["drawn"] == lay["canvases"] > 0 and lay["inked"] > 0,
       "headline grid: %d of %d canvases drawn from the data block, "
       "%d with non-white pixels" % (lay["drawn"], lay["canvases"],
                                     lay["inked"]))
    ok(lay["undrawn"] > 0,
       "closed <details> canvases wait until opened (%d)" % lay["undrawn"])
    print("# %d checks passed" % checks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
