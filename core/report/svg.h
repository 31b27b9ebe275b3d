/* A small deterministic SVG (and HTML) text writer, and the figure palettes.
 *
 * Purpose: simcon draws its figures itself (issue 8), so the same result
 * folder must always give the same bytes. This module is the only place
 * that turns numbers and names into markup:
 * - sc_svg is a growing text buffer with a sticky failure flag: appends
 *   after an allocation failure are no-ops and sc_svg_status() reports
 *   SC_ENOMEM once at the end, so drawing code need not check every call.
 * - Coordinates are printed with a fixed number of decimals (SC_SVG_DEC)
 *   through sc_svg_num(), which also folds "-0.00" to "0.00": "%g" would
 *   switch to exponent notation and vary in length, fixed decimals do not.
 *   We never call setlocale, so '.' is the decimal point (core/base/init.h).
 * - Text and attribute values go through sc_svg_esc(), which escapes the
 *   five XML special characters; the output is well-formed XML and valid
 *   HTML5 when inlined.
 * - Palettes: viridis (sequential, perceptually uniform, colour-blind safe)
 *   and ColorBrewer RdBu (diverging, centred on 0 for correlations), both
 *   tabulated from matplotlib 3.6.3 (tests/plot/palette_ref.py prints the
 *   anchors) and linearly interpolated in sRGB between anchors; Okabe-Ito
 *   for categories.
 * References: SVG 1.1 (W3C, 2011); XML 1.0 sec. 2.4 (escaping);
 * van der Walt & Smith, "A better default colormap for matplotlib" (SciPy
 * 2015; viridis, CC0); Brewer, colorbrewer2.org (RdBu, Apache-2.0);
 * Okabe & Ito (2008), "Color Universal Design". */
#ifndef SC_SVG_H
#define SC_SVG_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

/* Decimals of every coordinate/length written to a figure: 0.01 px is far
 * below what a screen or a 600 dpi printer resolves. */
#define SC_SVG_DEC 2

/* Smallest font size used anywhere in a figure (px at 1:1 scale): readable
 * at print size (about 7.5 pt). */
#define SC_SVG_FONT_MIN 10.0

/* A figure (or page) being built: the one text buffer of simcon (buf.h);
 * `data` is NUL-terminated once anything was appended, `failed` is sticky
 * after an allocation failure. */
typedef sc_buf sc_svg;

typedef struct sc_rgb {
    unsigned char r, g, b;
} sc_rgb;

/* Empty buffer; never fails (allocation happens on first append). */
void sc_svg_init(sc_svg *s);
/* Free the buffer; safe on an initialised or zeroed struct. */
void sc_svg_deinit(sc_svg *s);
/* SC_OK, or SC_ENOMEM (with a message in err) if any append failed. */
int sc_svg_status(const sc_svg *s, sc_err *err);

/* Append formatted text verbatim (no escaping). */
void sc_svg_printf(sc_svg *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Append raw bytes. */
void sc_svg_raw(sc_svg *s, const char *text, size_t len);
/* Append text with & < > " ' escaped as XML entities. NULL appends nothing. */
void sc_svg_esc(sc_svg *s, const char *text);
/* Append v with SC_SVG_DEC decimals; |v| below half the last digit prints
 * as 0, never "-0.00". Non-finite v prints "0" (coordinates are always
 * finite by construction; this keeps the XML valid if one is not). */
void sc_svg_num(sc_svg *s, double v);

/* Open an SVG document of w x h px with a <title> (escaped) and a white
 * background; sets the default font (sans-serif) for all text. */
void sc_svg_begin(sc_svg *s, double w, double h, const char *title);
void sc_svg_end(sc_svg *s);

/* Text anchors for sc_svg_text. */
enum { SC_SVG_START, SC_SVG_MIDDLE, SC_SVG_END };

/* <text> at (x, y) baseline, font size px (clamped to SC_SVG_FONT_MIN),
 * anchor, rotated by rot degrees about (x, y) when rot != 0, optional bold. */
void sc_svg_text(sc_svg *s, double x, double y, double size, int anchor,
                 double rot, int bold, const char *text);
/* A line with stroke colour (e.g. "#000") and width. */
void sc_svg_line(sc_svg *s, double x1, double y1, double x2, double y2,
                 const char *stroke, double width);
/* A line with the attributes attrs written as they are (e.g. a dashed
 * stroke: "stroke=\"#555\" stroke-dasharray=\"5 3\""). */
void sc_svg_line_attrs(sc_svg *s, double x1, double y1, double x2, double y2,
                       const char *attrs);
/* Opens "<rect x y width height fill=#rrggbb" and leaves the tag open so
 * the caller can add attributes and children; close with "/>" or ">...
 * </rect>". */
void sc_svg_rect_open(sc_svg *s, double x, double y, double w, double h,
                      sc_rgb fill);

/* Estimated advance width of text at font size px: 0.6 em per UTF-8 code
 * point, an upper bound for DejaVu Sans/Liberation Sans lower-case text
 * (their mean advance is about 0.55 em), so layouts sized with it do not
 * clip names. */
double sc_svg_text_width(const char *text, double size);

/* "#rrggbb" into out (8 bytes incl. NUL). */
void sc_rgb_hex(sc_rgb c, char out[8]);
/* Viridis at t in [0, 1] (clamped; NaN gives the t = 0 colour). */
sc_rgb sc_palette_viridis(double t);
/* RdBu at v in [-1, 1] (clamped): -1 dark red, 0 light grey, +1 dark blue,
 * i.e. matplotlib's "RdBu" with t = (v + 1) / 2. */
sc_rgb sc_palette_rdbu(double v);
/* Okabe-Ito categorical colour k (cycles after 8; k = 0 is orange, black is
 * left out because labels are black). */
sc_rgb sc_palette_category(size_t k);
/* Black or white, whichever contrasts more with background c (WCAG
 * relative luminance threshold). */
sc_rgb sc_rgb_contrast(sc_rgb c);

/* Write s to path atomically (path.tmp.<pid> then rename). SC_EIO naming
 * the path and strerror on failure; no file is left at the temp name. */
int sc_svg_write_file(const sc_svg *s, const char *path, sc_err *err);

#endif
