/* Deterministic SVG/HTML text writer and palettes (see svg.h).
 *
 * Invariants: the buffer is always NUL-terminated once allocated; after the
 * first failed allocation nothing more is appended (failed stays set), so a
 * figure is either complete or reported as SC_ENOMEM, never truncated
 * silently. All numbers go through fixed-decimal formatting. */
#include "svg.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "atomic.h"
#include "mem.h"

/* ## Buffer */

void sc_svg_init(sc_svg *s)
{
    *s = (sc_svg){0};
}

void sc_svg_deinit(sc_svg *s)
{
    sc_buf_deinit(s);
}

int sc_svg_status(const sc_svg *s, sc_err *err)
{
    if (s->failed)
        return sc_err_set(err, SC_ENOMEM,
                          "svg: out of memory while building a figure; "
                          "free memory or plot fewer models");
    return SC_OK;
}

void sc_svg_raw(sc_svg *s, const char *text, size_t len)
{
    sc_buf_append(s, text, len);
}

void sc_svg_printf(sc_svg *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sc_buf_vprintf(s, fmt, ap);
    va_end(ap);
}

void sc_svg_esc(sc_svg *s, const char *text)
{
    if (!text)
        return;
    for (const char *p = text; *p; p++) {
        switch (*p) {
        case '&':
            sc_svg_raw(s, "&amp;", 5);
            break;
        case '<':
            sc_svg_raw(s, "&lt;", 4);
            break;
        case '>':
            sc_svg_raw(s, "&gt;", 4);
            break;
        case '"':
            sc_svg_raw(s, "&quot;", 6);
            break;
        case '\'':
            sc_svg_raw(s, "&#39;", 5);
            break;
        default:
            sc_svg_raw(s, p, 1);
        }
    }
}

void sc_svg_num(sc_svg *s, double v)
{
    /* Half a unit in the last printed decimal: anything smaller prints as
     * zero, and we print it as "0.00" rather than "-0.00". */
    const double half_ulp = 0.5 * pow(10.0, -SC_SVG_DEC);
    if (!isfinite(v)) {
        sc_svg_raw(s, "0", 1);
        return;
    }
    if (fabs(v) < half_ulp)
        v = 0.0;
    sc_svg_printf(s, "%.*f", SC_SVG_DEC, v);
}

/* ## Elements */

void sc_svg_begin(sc_svg *s, double w, double h, const char *title)
{
    sc_svg_printf(s, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"");
    sc_svg_num(s, w);
    sc_svg_printf(s, "\" height=\"");
    sc_svg_num(s, h);
    sc_svg_printf(s, "\" viewBox=\"0 0 ");
    sc_svg_num(s, w);
    sc_svg_printf(s, " ");
    sc_svg_num(s, h);
    sc_svg_printf(s, "\" font-family=\"DejaVu Sans, Liberation Sans, "
                     "Arial, sans-serif\" font-size=\"12\">\n<title>");
    sc_svg_esc(s, title);
    sc_svg_printf(s, "</title>\n<rect width=\"100%%\" height=\"100%%\" "
                     "fill=\"#ffffff\"/>\n");
}

void sc_svg_end(sc_svg *s)
{
    sc_svg_printf(s, "</svg>\n");
}

void sc_svg_text(sc_svg *s, double x, double y, double size, int anchor,
                 double rot, int bold, const char *text)
{
    static const char *const anchors[] = {"start", "middle", "end"};
    if (size < SC_SVG_FONT_MIN)
        size = SC_SVG_FONT_MIN;
    sc_svg_printf(s, "<text x=\"");
    sc_svg_num(s, x);
    sc_svg_printf(s, "\" y=\"");
    sc_svg_num(s, y);
    sc_svg_printf(s, "\" font-size=\"");
    sc_svg_num(s, size);
    sc_svg_printf(s, "\"");
    if (anchor != SC_SVG_START)
        sc_svg_printf(s, " text-anchor=\"%s\"",
                      anchors[anchor == SC_SVG_END ? 2 : 1]);
    if (bold)
        sc_svg_printf(s, " font-weight=\"bold\"");
    if (rot != 0.0) {
        sc_svg_printf(s, " transform=\"rotate(");
        sc_svg_num(s, rot);
        sc_svg_printf(s, " ");
        sc_svg_num(s, x);
        sc_svg_printf(s, " ");
        sc_svg_num(s, y);
        sc_svg_printf(s, ")\"");
    }
    sc_svg_printf(s, ">");
    sc_svg_esc(s, text);
    sc_svg_printf(s, "</text>\n");
}

/* "<line" with its four coordinates, the tag left open. */
static void line_open(sc_svg *s, double x1, double y1, double x2, double y2)
{
    sc_svg_printf(s, "<line x1=\"");
    sc_svg_num(s, x1);
    sc_svg_printf(s, "\" y1=\"");
    sc_svg_num(s, y1);
    sc_svg_printf(s, "\" x2=\"");
    sc_svg_num(s, x2);
    sc_svg_printf(s, "\" y2=\"");
    sc_svg_num(s, y2);
    sc_svg_printf(s, "\"");
}

void sc_svg_line(sc_svg *s, double x1, double y1, double x2, double y2,
                 const char *stroke, double width)
{
    line_open(s, x1, y1, x2, y2);
    sc_svg_printf(s, " stroke=\"%s\" stroke-width=\"", stroke);
    sc_svg_num(s, width);
    sc_svg_printf(s, "\"/>\n");
}

void sc_svg_line_attrs(sc_svg *s, double x1, double y1, double x2, double y2,
                       const char *attrs)
{
    line_open(s, x1, y1, x2, y2);
    sc_svg_printf(s, " %s/>\n", attrs);
}

void sc_svg_rect_open(sc_svg *s, double x, double y, double w, double h,
                      sc_rgb fill)
{
    char hex[8];
    sc_rgb_hex(fill, hex);
    sc_svg_printf(s, "<rect x=\"");
    sc_svg_num(s, x);
    sc_svg_printf(s, "\" y=\"");
    sc_svg_num(s, y);
    sc_svg_printf(s, "\" width=\"");
    sc_svg_num(s, w);
    sc_svg_printf(s, "\" height=\"");
    sc_svg_num(s, h);
    sc_svg_printf(s, "\" fill=\"%s\"", hex);
}

double sc_svg_text_width(const char *text, double size)
{
    size_t points = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        if ((*p & 0xC0) != 0x80) /* count lead bytes, not continuations */
            points++;
    return 0.6 * size * (double)points;
}

/* ## Palettes */

void sc_rgb_hex(sc_rgb c, char out[8])
{
    snprintf(out, 8, "#%02x%02x%02x", c.r, c.g, c.b);
}

typedef struct anchor {
    double t;
    unsigned char rgb[3];
} anchor;

/* matplotlib 3.6.3 viridis, entries 0, 8, ..., 248, 255 of its 256-colour
 * table (printed by tests/plot/palette_ref.py), t = index / 255. 33 anchors
 * keep the linear interpolation within 1/255 per channel of the full table
 * (checked against matplotlib's values in tests/unit/test_svg.c). */
static const anchor viridis[] = {
    {0.0000000000, {68, 1, 84}},    {0.0313725490, {71, 13, 96}},
    {0.0627450980, {72, 24, 106}},  {0.0941176471, {72, 35, 116}},
    {0.1254901961, {71, 45, 123}},  {0.1568627451, {69, 55, 129}},
    {0.1882352941, {66, 64, 134}},  {0.2196078431, {62, 73, 137}},
    {0.2509803922, {59, 82, 139}},  {0.2823529412, {55, 91, 141}},
    {0.3137254902, {51, 99, 141}},  {0.3450980392, {47, 107, 142}},
    {0.3764705882, {44, 114, 142}}, {0.4078431373, {41, 122, 142}},
    {0.4392156863, {38, 130, 142}}, {0.4705882353, {35, 137, 142}},
    {0.5019607843, {33, 145, 140}}, {0.5333333333, {31, 152, 139}},
    {0.5647058824, {31, 160, 136}}, {0.5960784314, {34, 167, 133}},
    {0.6274509804, {40, 174, 128}}, {0.6588235294, {50, 182, 122}},
    {0.6901960784, {63, 188, 115}}, {0.7215686275, {78, 195, 107}},
    {0.7529411765, {94, 201, 98}},  {0.7843137255, {112, 207, 87}},
    {0.8156862745, {132, 212, 75}}, {0.8470588235, {152, 216, 62}},
    {0.8784313725, {173, 220, 48}}, {0.9098039216, {194, 223, 35}},
    {0.9411764706, {216, 226, 25}}, {0.9725490196, {236, 229, 27}},
    {1.0000000000, {253, 231, 37}},
};

/* matplotlib 3.6.3 "RdBu" (ColorBrewer's 11-class RdBu) at t = k / 10. */
static const anchor rdbu[] = {
    {0.0, {103, 0, 31}},    {0.1, {177, 24, 43}},   {0.2, {214, 96, 77}},
    {0.3, {243, 164, 129}}, {0.4, {253, 219, 199}}, {0.5, {246, 247, 247}},
    {0.6, {209, 229, 240}}, {0.7, {144, 196, 221}}, {0.8, {67, 147, 195}},
    {0.9, {32, 101, 171}},  {1.0, {5, 48, 97}},
};

/* Piecewise-linear interpolation between sorted anchors, rounded to the
 * nearest integer channel value. */
static sc_rgb interpolate(const anchor *a, size_t n, double t)
{
    if (!(t > a[0].t)) /* also catches NaN */
        t = a[0].t;
    if (t > a[n - 1].t)
        t = a[n - 1].t;
    size_t k = 0;
    while (k + 2 < n && t > a[k + 1].t)
        k++;
    double f = (t - a[k].t) / (a[k + 1].t - a[k].t);
    unsigned char c[3];
    for (int i = 0; i < 3; i++) {
        double v = a[k].rgb[i] + f * (a[k + 1].rgb[i] - a[k].rgb[i]);
        c[i] = (unsigned char)lround(v);
    }
    sc_rgb out = {c[0], c[1], c[2]};
    return out;
}

sc_rgb sc_palette_viridis(double t)
{
    return interpolate(viridis, sizeof viridis / sizeof viridis[0], t);
}

sc_rgb sc_palette_rdbu(double v)
{
    return interpolate(rdbu, sizeof rdbu / sizeof rdbu[0], (v + 1.0) / 2.0);
}

sc_rgb sc_palette_category(size_t k)
{
    /* Okabe & Ito (2008), without black. */
    static const sc_rgb okabe_ito[] = {
        {230, 159, 0}, {86, 180, 233}, {0, 158, 115},   {240, 228, 66},
        {0, 114, 178}, {213, 94, 0},   {204, 121, 167}, {153, 153, 153},
    };
    return okabe_ito[k % (sizeof okabe_ito / sizeof okabe_ito[0])];
}

/* WCAG 2.x relative luminance of an sRGB channel value. */
static double linear_channel(unsigned char c)
{
    double v = c / 255.0;
    return v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4);
}

sc_rgb sc_rgb_contrast(sc_rgb c)
{
    double lum = 0.2126 * linear_channel(c.r) + 0.7152 * linear_channel(c.g) +
                 0.0722 * linear_channel(c.b);
    /* Contrast with black (L+0.05)/0.05 equals contrast with white
     * 1.05/(L+0.05) at L = 0.179: above it black text contrasts more. */
    sc_rgb black = {0, 0, 0}, white = {255, 255, 255};
    return lum > 0.179 ? black : white;
}

/* ## Files */

int sc_svg_write_file(const sc_svg *s, const char *path, sc_err *err)
{
    int rc = sc_svg_status(s, err);
    if (rc != SC_OK)
        return rc;
    /* The one atomic writer (atomic.c): regular files only, temp file,
     * fsync, rename. */
    return sc_atomic_write(path, s->len ? s->data : "", s->len, err);
}
