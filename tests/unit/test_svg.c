/* Unit tests of core/report/svg.c: escaping, fixed-precision numbers, element
 * bytes, palettes, atomic file writes, out-of-memory reporting.
 * Expected values: markup written out by hand from the SVG/XML rules in
 * the comments; palette colours printed by matplotlib 3.6.3
 * (tests/plot/palette_ref.py, "test points"), which the C interpolation
 * must match within 2/255 per channel. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../test.h"
#include "mem.h"
#include "svg.h"

static const char *text_of(sc_svg *s)
{
    return s->data ? s->data : "";
}

SC_TEST(escaping)
{
    sc_svg s;
    sc_svg_init(&s);
    /* XML 1.0 sec. 2.4: & and < must be escaped in text, " and ' in
     * attribute values; > for "]]>"; we escape all five everywhere. */
    sc_svg_esc(&s, "clip_vit-b/16&laion<2b> \"q\" 'a'");
    expect_str(text_of(&s),
               "clip_vit-b/16&amp;laion&lt;2b&gt; &quot;q&quot; &#39;a&#39;",
               "five special characters escaped");
    sc_svg_esc(&s, NULL);
    expect_int((long long)s.len, 59, "NULL appends nothing (59 bytes above)");
    sc_svg_deinit(&s);
    sc_svg_esc(&s, "\xc3\x97 \xe2\x80\x93");
    expect_str(text_of(&s), "\xc3\x97 \xe2\x80\x93", "UTF-8 passes through");
    sc_svg_deinit(&s);
}

SC_TEST(numbers)
{
    sc_svg s;
    sc_svg_init(&s);
    /* SC_SVG_DEC = 2 decimals; -0.004 rounds to zero and prints without
     * a sign; 2.385 is 2.38499999... in binary so rounds down; 1e6 stays
     * fixed-point. */
    sc_svg_num(&s, 12.3456);
    sc_svg_raw(&s, " ", 1);
    sc_svg_num(&s, -0.004);
    sc_svg_raw(&s, " ", 1);
    sc_svg_num(&s, -0.006);
    sc_svg_raw(&s, " ", 1);
    sc_svg_num(&s, 2.385);
    sc_svg_raw(&s, " ", 1);
    sc_svg_num(&s, 1e6);
    sc_svg_raw(&s, " ", 1);
    sc_svg_num(&s, NAN);
    expect_str(text_of(&s), "12.35 0.00 -0.01 2.38 1000000.00 0",
               "fixed decimals, no -0.00, non-finite as 0");
    sc_svg_deinit(&s);
}

SC_TEST(elements)
{
    sc_svg s;
    sc_svg_init(&s);
    sc_svg_text(&s, 10, 20.5, 8, SC_SVG_END, -45, 1, "a<b");
    /* font size 8 is clamped to SC_SVG_FONT_MIN = 10; rotation about the
     * anchor point. */
    expect_str(text_of(&s),
               "<text x=\"10.00\" y=\"20.50\" font-size=\"10.00\" "
               "text-anchor=\"end\" font-weight=\"bold\" "
               "transform=\"rotate(-45.00 10.00 20.50)\">a&lt;b</text>\n",
               "text element bytes");
    sc_svg_deinit(&s);
    sc_rgb c = {255, 0, 16};
    sc_svg_rect_open(&s, 1, 2, 3.333, 4, c);
    sc_svg_printf(&s, "/>");
    expect_str(text_of(&s),
               "<rect x=\"1.00\" y=\"2.00\" width=\"3.33\" height=\"4.00\" "
               "fill=\"#ff0010\"/>",
               "rect element bytes");
    sc_svg_deinit(&s);
    sc_svg_line(&s, 0, 1, 2, 3, "#000", 0.5);
    expect_str(text_of(&s),
               "<line x1=\"0.00\" y1=\"1.00\" x2=\"2.00\" y2=\"3.00\" "
               "stroke=\"#000\" stroke-width=\"0.50\"/>\n",
               "line element bytes");
    sc_svg_deinit(&s);
    sc_svg_begin(&s, 100, 50, "T&T");
    sc_svg_end(&s);
    expect_contains(text_of(&s),
                    "<svg xmlns=\"http://www.w3.org/2000/svg\" "
                    "width=\"100.00\" height=\"50.00\" "
                    "viewBox=\"0 0 100.00 50.00\"",
                    "svg root");
    expect_contains(text_of(&s), "<title>T&amp;T</title>", "escaped title");
    expect_contains(text_of(&s), "</svg>\n", "closed");
    sc_svg_deinit(&s);
    /* 0.6 em per code point: "\xc3\x97ab" is 3 code points. */
    expect_abs(sc_svg_text_width("\xc3\x97"
                                 "ab",
                                 10),
               18.0, 1e-12, "text width counts code points");
}

SC_TEST(long_printf)
{
    /* Longer than the 256-byte fast path: the buffer must grow and keep
     * every byte. */
    char big[1000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    sc_svg s;
    sc_svg_init(&s);
    sc_svg_printf(&s, "<%s>", big);
    expect_int((long long)s.len, 1001, "long append length");
    expect_int(s.data[1000], '>', "long append last byte");
    sc_svg_deinit(&s);
}

static int near(sc_rgb c, int r, int g, int b)
{
    return abs(c.r - r) <= 2 && abs(c.g - g) <= 2 && abs(c.b - b) <= 2;
}

SC_TEST(palettes)
{
    /* matplotlib 3.6.3: viridis(t), RdBu((v + 1) / 2). */
    static const struct {
        double t;
        int r, g, b;
    } vir[] = {{0.0, 68, 1, 84},
               {0.1234, 71, 44, 122},
               {0.5, 33, 145, 140},
               {0.777, 108, 205, 90},
               {1.0, 253, 231, 37}},
      rdbu[] = {{-1.0, 103, 0, 31},
                {-0.33, 247, 183, 153},
                {0.0, 246, 247, 247},
                {0.41, 141, 194, 220},
                {1.0, 5, 48, 97}};
    for (size_t i = 0; i < 5; i++) {
        sc_rgb c = sc_palette_viridis(vir[i].t);
        expect_true(near(c, vir[i].r, vir[i].g, vir[i].b),
                    "viridis(%g) = (%d,%d,%d), matplotlib (%d,%d,%d)", vir[i].t,
                    c.r, c.g, c.b, vir[i].r, vir[i].g, vir[i].b);
        c = sc_palette_rdbu(rdbu[i].t);
        expect_true(near(c, rdbu[i].r, rdbu[i].g, rdbu[i].b),
                    "rdbu(%g) = (%d,%d,%d), matplotlib (%d,%d,%d)", rdbu[i].t,
                    c.r, c.g, c.b, rdbu[i].r, rdbu[i].g, rdbu[i].b);
    }
    sc_rgb lo = sc_palette_viridis(-3), nan = sc_palette_viridis(NAN);
    expect_true(lo.r == 68 && lo.g == 1 && lo.b == 84, "clamped below");
    expect_true(nan.r == 68 && nan.g == 1 && nan.b == 84, "NaN -> t = 0");
    sc_rgb hi = sc_palette_rdbu(7);
    expect_true(hi.r == 5 && hi.g == 48 && hi.b == 97, "clamped above");
    char hex[8];
    sc_rgb_hex(sc_palette_category(0), hex);
    expect_str(hex, "#e69f00", "Okabe-Ito orange first");
    sc_rgb_hex(sc_palette_category(8), hex);
    expect_str(hex, "#e69f00", "categories cycle after 8");
    /* WCAG luminance: white text on viridis' dark end, black on its
     * yellow end. */
    expect_int(sc_rgb_contrast(sc_palette_viridis(0)).r, 255,
               "white on dark purple");
    expect_int(sc_rgb_contrast(sc_palette_viridis(1)).r, 0, "black on yellow");
}

SC_TEST(write_file)
{
    char path[256];
    snprintf(path, sizeof path, "%s/svg_test_%ld.svg", SC_BUILD_DIR,
             (long)getpid());
    sc_svg s;
    sc_svg_init(&s);
    sc_svg_printf(&s, "<svg/>\n");
    sc_err err;
    sc_err_clear(&err);
    expect_int(sc_svg_write_file(&s, path, &err), SC_OK, "write");
    FILE *f = fopen(path, "rb");
    char buf[32] = {0};
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    expect_int((long long)n, 7, "file length");
    expect_str(buf, "<svg/>\n", "file bytes");
    remove(path);
    expect_int(sc_svg_write_file(&s, "/nonexistent-dir/x.svg", &err), SC_EIO,
               "unwritable folder");
    expect_contains(err.msg, "/nonexistent-dir/.x.svg.tmp-",
                    "names the temp path");
    expect_contains(err.msg,
                    ": cannot create: No such file or directory; "
                    "check that the folder exists and is writable",
                    "says why and what to do");
    sc_svg_deinit(&s);
}

SC_TEST(out_of_memory_is_sticky)
{
    sc_svg s;
    sc_svg_init(&s);
    sc_mem_fail_after(1);
    sc_svg_printf(&s, "abc");
    sc_mem_fail_after(0);
    sc_svg_printf(&s, "def"); /* ignored: the figure is already lost */
    sc_err err;
    sc_err_clear(&err);
    expect_int(sc_svg_status(&s, &err), SC_ENOMEM, "status after failure");
    expect_str(err.msg,
               "svg: out of memory while building a figure; free "
               "memory or plot fewer models",
               "ENOMEM message");
    expect_int((long long)s.len, 0, "nothing appended after failure");
    expect_int(sc_svg_write_file(&s, "/tmp/never-written.svg", &err), SC_ENOMEM,
               "a failed figure is never written");
    sc_svg_deinit(&s);
}

int main(void)
{
    return sc_test_run();
}
