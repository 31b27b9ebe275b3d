/* PDF and PNG of a figure, rendered in-process from its SVG (issue 16).
 *
 * Purpose: journals and LaTeX want vector PDF, slides and READMEs PNG.
 * simcon draws every figure as SVG (svg.h); this module hands the SVG text
 * to librsvg, which draws it on a cairo surface: a PDF surface (vector;
 * text stays text, cairo embeds subsets of the fonts fontconfig chose,
 * DejaVu Sans on Debian) or an image surface written as PNG. Both are
 * well-kept libraries from Debian (librsvg2-dev, libcairo2-dev), used
 * through their C API, no subprocess.
 *
 * Sizes: SVG user units are CSS px (96 per inch); the PDF page is the same
 * physical size (1 px = 0.75 pt), the PNG is SC_PNG_SCALE x the px size
 * (192 dpi: sharp on screens and in print at 1:1).
 * Invariants: only the two target files are written (inside the figure
 * staging folder, so a failure leaves nothing in figures/); PDF and PNG
 * bytes are not guaranteed identical across library versions (checked by
 * rendering, not bytes). glib aborts the process when its own allocations
 * fail; sc_malloc's failure injection does not reach here.
 * References: librsvg 2.54 API (rsvg_handle_render_document), cairo 1.16
 * (cairo_pdf_surface_create, cairo_surface_write_to_png). */
#include <stdio.h>
#include <string.h>

#include <cairo-pdf.h>
#include <cairo.h>
#include <librsvg/rsvg.h>

#include "plot_int.h"

#define SC_PNG_SCALE 2.0
#define SC_PT_PER_PX 0.75

/* Render handle h (w x h px) on cr, scaled by k. */
static int draw(RsvgHandle *h, cairo_t *cr, double w, double ht, double k,
                const char *path, sc_err *err)
{
    GError *gerr = NULL;
    cairo_scale(cr, k, k);
    RsvgRectangle vp = {0.0, 0.0, w, ht};
    if (!rsvg_handle_render_document(h, cr, &vp, &gerr)) {
        int rc = sc_err_set(err, SC_EIO, "%s: cannot render the figure (%s)",
                            path, gerr ? gerr->message : "librsvg failed");
        if (gerr)
            g_error_free(gerr);
        return rc;
    }
    if (cairo_status(cr) != CAIRO_STATUS_SUCCESS)
        return sc_err_set(err, SC_EIO, "%s: cannot render the figure (%s)",
                          path, cairo_status_to_string(cairo_status(cr)));
    return SC_OK;
}

static int write_pdf(RsvgHandle *h, double w, double ht, const char *path,
                     sc_err *err)
{
    cairo_surface_t *s =
        cairo_pdf_surface_create(path, w * SC_PT_PER_PX, ht * SC_PT_PER_PX);
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, "simcon");
    cairo_t *cr = cairo_create(s);
    int rc = draw(h, cr, w, ht, SC_PT_PER_PX, path, err);
    cairo_destroy(cr);
    cairo_surface_finish(s);
    if (rc == SC_OK && cairo_surface_status(s) != CAIRO_STATUS_SUCCESS)
        rc = sc_err_set(err, SC_EIO, "%s: cannot write (%s); check the disk",
                        path, cairo_status_to_string(cairo_surface_status(s)));
    cairo_surface_destroy(s);
    if (rc != SC_OK)
        remove(path);
    return rc;
}

static int write_png(RsvgHandle *h, double w, double ht, const char *path,
                     sc_err *err)
{
    int pw = (int)(w * SC_PNG_SCALE + 0.5), ph = (int)(ht * SC_PNG_SCALE + 0.5);
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, pw, ph);
    cairo_t *cr = cairo_create(s);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    int rc = draw(h, cr, w, ht, SC_PNG_SCALE, path, err);
    cairo_destroy(cr);
    if (rc == SC_OK) {
        cairo_status_t st = cairo_surface_write_to_png(s, path);
        if (st != CAIRO_STATUS_SUCCESS)
            rc = sc_err_set(err, SC_EIO,
                            "%s: cannot write (%s); check "
                            "the disk",
                            path, cairo_status_to_string(st));
    }
    cairo_surface_destroy(s);
    if (rc != SC_OK)
        remove(path);
    return rc;
}

int sc_plot_render(const sc_svg *svg, const char *base, unsigned formats,
                   sc_err *err)
{
    if (!(formats & (SC_PLOT_PDF | SC_PLOT_PNG)))
        return SC_OK;
    char path[1200];
    snprintf(path, sizeof path, "%s.svg", base);
    GError *gerr = NULL;
    RsvgHandle *h = rsvg_handle_new_from_data((const guint8 *)svg->data,
                                              (gsize)svg->len, &gerr);
    if (!h) {
        int rc = sc_err_set(err, SC_EIO, "%s: librsvg cannot read it (%s)",
                            path, gerr ? gerr->message : "unknown error");
        if (gerr)
            g_error_free(gerr);
        return rc;
    }
    gdouble w = 0, ht = 0;
    int rc = SC_OK;
    if (!rsvg_handle_get_intrinsic_size_in_pixels(h, &w, &ht) || !(w > 0) ||
        !(ht > 0))
        rc = sc_err_set(err, SC_EIO, "%s: no size in px", path);
    if (rc == SC_OK && (formats & SC_PLOT_PDF)) {
        snprintf(path, sizeof path, "%s.pdf", base);
        rc = write_pdf(h, w, ht, path, err);
    }
    if (rc == SC_OK && (formats & SC_PLOT_PNG)) {
        snprintf(path, sizeof path, "%s.png", base);
        rc = write_png(h, w, ht, path, err);
    }
    g_object_unref(h);
    return rc;
}
