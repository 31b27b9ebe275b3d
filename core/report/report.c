/* report.html: one self-contained page per result folder (plot.h) that
 * leads with the answer (issue 16).
 *
 * Order: the headline first -- the category contrasts as a table whose
 * last column says the result in words ("not significant after Holm"),
 * the box plots of consistency by category pair for the first attribute
 * of models.csv (inlined SVG from figures/), and per metric a grid of
 * small dataset x dataset consistency heatmaps, one per model subset in
 * consistency.csv, on one shared colour scale with labelled ends. Then
 * the details, each in its own top-level <details> block (one click away,
 * none nested): the consistency summary table, behaviour table and
 * scatters, per-dataset similarity matrices, box plots of the other
 * attributes, models and datasets, figure files and tables, manifest.json.
 *
 * Size: at the paper's scale (64 models x 23 datasets x 3 metrics) the
 * figures hold ~280,000 heatmap cells and ~140,000 scatter points; as
 * inline SVG with a tooltip each the page was 113 MB. Here every value is
 * written once, at 4 significant digits, into one JSON block
 * (<script type="application/json" id="simcon-data">); a small inline
 * script draws the heatmaps and scatters on <canvas> elements from it
 * (lazily, when their <details> opens) and shows tooltips read from it.
 * The exact values stay in the CSVs and in the SVG files of figures/,
 * which are all linked.
 *
 * Invariants: no external resource (renders offline and from file://);
 * text from the data is HTML-escaped, and JSON-escaped with '<', '>' and
 * '&' as \u escapes inside the data block; the page is written atomically;
 * same folder, same bytes. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>

#include "atomic.h"
#include "mem.h"
#include "report_int.h"
#include "results_schema.h"

/* Heatmap canvases: about 190 px per similarity panel and 160 px per
 * consistency panel, cells at least 2 px; values are printed in cells of
 * at least 28 px (a 10 px "0.00" needs that much). */
#define SIM_SIDE 192
#define CONS_SIDE 160
/* Palette stops written to the data block (and the CSS colour bars). */
#define NSTOPS 33

static const char *const STYLE =
    "body{font-family:'DejaVu Sans',Arial,sans-serif;margin:1em auto;"
    "max-width:1400px;padding:0 1em;color:#222;line-height:1.35}"
    "h1{font-size:1.4em;margin:.3em 0}h2{font-size:1.2em;margin:.8em 0 .3em;"
    "border-bottom:1px solid #ccc}h3{font-size:1em;margin:.8em 0 .3em}"
    "table{border-collapse:collapse;margin:.4em 0;font-size:.85em}"
    "th,td{border:1px solid #ccc;padding:.15em .5em;text-align:left}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums;"
    "white-space:nowrap}th{background:#f3f3f3}tr.sig td{background:#e8f1fa}"
    "figure{margin:.4em .6em .4em 0;display:inline-block;vertical-align:top}"
    "figure svg{max-width:100%;height:auto}"
    "figcaption{font-size:.8em;color:#444;max-width:420px}"
    "pre{background:#f7f7f7;padding:1em;overflow-x:auto;font-size:.8em}"
    "details{margin:.4em 0;border:1px solid #ddd;padding:.3em .6em}"
    "summary{cursor:pointer;font-weight:bold}nav{font-size:.9em}"
    ".grid{display:flex;flex-wrap:wrap;gap:4px}.grid figure{margin:0}"
    ".bar{display:flex;align-items:center;gap:.4em;font-size:.8em;"
    "margin:.2em 0}.bar i{display:inline-block;width:160px;height:10px}"
    "#tip{position:fixed;display:none;background:#fff;border:1px solid #888;"
    "padding:2px 6px;font-size:12px;pointer-events:none;z-index:9}"
    ".note{color:#666;font-style:italic;font-size:.9em;margin:.3em 0}";

/* Draws the canvases from the data block and shows tooltips (see top). */
static const char *const SCRIPT =
    "(function(){\n"
    "var D=JSON.parse(document.getElementById('simcon-data').textContent);\n"
    "var tip=document.getElementById('tip');\n"
    "function pick(p,t){if(!(t>=0))t=0;if(t>1)t=1;"
    "return p[Math.round(t*(p.length-1))];}\n"
    "function ink(h){var n=parseInt(h.slice(1),16);return 0.2126*(n>>16)+"
    "0.7152*(n>>8&255)+0.0722*(n&255)>140?'#000':'#fff';}\n"
    "function show(e,t){tip.textContent=t;tip.style.left=(e.clientX+12)+'px';"
    "tip.style.top=(e.clientY+12)+'px';tip.style.display='block';}\n"
    "function hide(){tip.style.display='none';}\n"
    "function heat(c){var k=+c.dataset.k,names,vals,col,what;\n"
    " if(c.dataset.kind==='cons'){names=D.dsnames;vals=D.cons[k].v[+c.dataset."
    "s];"
    "what='r';col=function(v){return pick(D.rdbu,(v+1)/2);};}\n"
    " else{names=D.models;vals=D.sim[k][+c.dataset.d];what=D.metrics[k];"
    "var lo=D.simrange[k][0],hi=D.simrange[k][1];"
    "col=function(v){return pick(D.viridis,(v-lo)/(hi-lo));};}\n"
    " var n=names.length,cell=c.width/n,x=c.getContext('2d');\n"
    " x.font='10px sans-serif';x.textAlign='center';x.textBaseline='middle';\n"
    " for(var i=0;i<n;i++)for(var j=0;j<n;j++){var v=vals[i*n+j],"
    "f=v===null?'#d9d9d9':col(v);x.fillStyle=f;\n"
    "  x.fillRect(Math.floor(j*cell),Math.floor(i*cell),Math.ceil(cell),"
    "Math.ceil(cell));\n"
    "  if(v!==null&&cell>=28){x.fillStyle=ink(f);"
    "x.fillText(v.toFixed(2),(j+.5)*cell,(i+.5)*cell);}}\n"
    " c.addEventListener('mousemove',function(e){var "
    "r=c.getBoundingClientRect(),"
    "j=Math.floor((e.clientX-r.left)/r.width*n),"
    "i=Math.floor((e.clientY-r.top)/r.height*n);\n"
    "  if(i<0||j<0||i>=n||j>=n)return hide();var v=vals[i*n+j];\n"
    "  show(e,names[i]+' \\u00d7 '+names[j]+': '+(v===null?'no value':"
    "what+' = '+v));});\n"
    " c.addEventListener('mouseleave',hide);}\n"
    "function scat(c){var k=+c.dataset.k,d=+c.dataset.d,n=D.models.length,"
    "S=D.sim[k][d],G=D.gap[d],P=[];\n"
    " for(var i=0;i<n;i++)for(var j=i+1;j<n;j++)"
    "P.push([G[i*n+j],(S[i*n+j]+S[j*n+i])/2,i,j]);\n"
    " var x0=1/0,x1=-1/0,y0=1/0,y1=-1/0;P.forEach(function(p){"
    "x0=Math.min(x0,p[0]);x1=Math.max(x1,p[0]);y0=Math.min(y0,p[1]);"
    "y1=Math.max(y1,p[1]);});\n"
    " if(!(x1>x0)){x0-=.5;x1+=.5;}if(!(y1>y0)){y0-=.5;y1+=.5;}\n"
    " var L=44,T=8,W=c.width-L-10,H=c.height-T-30,x=c.getContext('2d');\n"
    " function X(v){return L+W*(v-x0)/(x1-x0);}"
    "function Y(v){return T+H-H*(v-y0)/(y1-y0);}\n"
    " x.strokeStyle='#000';x.strokeRect(L,T,W,H);x.fillStyle='#000';"
    "x.font='10px sans-serif';x.textAlign='center';\n"
    " x.fillText(x0.toFixed(2),L,T+H+12);x.fillText(x1.toFixed(2),L+W,T+H+12);"
    "x.fillText('accuracy gap',L+W/2,T+H+25);x.textAlign='right';\n"
    " x.fillText(y0.toFixed(2),L-3,T+H);x.fillText(y1.toFixed(2),L-3,T+10);"
    "x.fillStyle=D.dot;\n"
    " P.forEach(function(p){x.beginPath();x.arc(X(p[0]),Y(p[1]),2,0,6.2832);"
    "x.fill();});\n"
    " c.addEventListener('mousemove',function(e){var "
    "r=c.getBoundingClientRect(),"
    "mx=(e.clientX-r.left)*c.width/r.width,my=(e.clientY-r.top)*c.height/"
    "r.height,b=null,bd=36;\n"
    "  P.forEach(function(p){var dx=X(p[0])-mx,dy=Y(p[1])-my,q=dx*dx+dy*dy;"
    "if(q<bd){bd=q;b=p;}});\n"
    "  if(!b)return hide();show(e,D.models[b[2]]+' \\u00d7 '+D.models[b[3]]+"
    "': similarity '+b[1].toFixed(4)+', gap '+b[0].toFixed(4));});\n"
    " c.addEventListener('mouseleave',hide);}\n"
    "function draw(root){var cs=root.querySelectorAll('canvas[data-kind]');\n"
    " for(var i=0;i<cs.length;i++){var c=cs[i];if(c.dataset.done)continue;"
    "c.dataset.done='1';if(c.dataset.kind==='scatter')scat(c);else heat(c);}}\n"
    "draw(document.getElementById('headline'));\n"
    "var ds=document.querySelectorAll('details');\n"
    "for(var i=0;i<ds.length;i++)ds[i].addEventListener('toggle',function(e){"
    "if(e.target.open)draw(e.target);});\n"
    "function hash(){var t=location.hash&&document.getElementById("
    "location.hash.slice(1));if(t&&t.tagName==='DETAILS'){t.open=true;}}\n"
    "window.addEventListener('hashchange',hash);hash();\n"
    "})();\n";

/* Read a whole file (figure or manifest) into a new buffer. */
/* A whole (small) file of the result folder, through the fs layer's one
 * reading loop; *text is NULL on failure. */
static int slurp(const char *path, char **text, size_t *len, sc_err *err)
{
    int why = 0;
    FILE *f = sc_fopen_regular(path, &why);
    if (!f)
        return sc_err_set(err, SC_EIO,
                          "%s: cannot open (%s); rerun simcon "
                          "plot",
                          path, sc_open_strerror(why));
    int rc = sc_read_stream(f, 0, text, len);
    fclose(f);
    if (rc == SC_ENOMEM)
        return sc_err_set(err, SC_ENOMEM,
                          "svg: out of memory while building a figure; "
                          "free memory or plot fewer models");
    if (rc != SC_OK)
        return sc_err_set(err, SC_EIO, "%s: read error", path);
    return SC_OK;
}

static int manifest(sc_svg *h, const char *dir, sc_err *err)
{
    char *path = sc_plot_join(dir, SC_RES_MANIFEST);
    if (!path)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    struct stat st;
    int rc = SC_OK;
    if (stat(path, &st) != 0) {
        sc_report_note(
            h, "No manifest.json in this folder: provenance (spec, input "
               "checksums, versions, seeds) is unknown.");
    } else {
        char *text = NULL;
        rc = slurp(path, &text, NULL, err);
        if (rc == SC_OK) {
            sc_svg_printf(h, "<pre>");
            sc_svg_esc(h, text);
            sc_svg_printf(h, "</pre>\n");
        }
        sc_free(text);
    }
    sc_free(path);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Links to the files in tables/ (relative: they open from the same folder). */
static void table_links(sc_svg *h, const char *dir)
{
    char *tdir = sc_plot_join(dir, "tables");
    DIR *d = tdir ? opendir(tdir) : NULL;
    char *names[512];
    size_t n = 0;
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL && n < 512)
            if (e->d_name[0] != '.' && (names[n] = sc_strdup(e->d_name)))
                n++;
        closedir(d);
    }
    sc_free(tdir);
    if (n == 0) {
        sc_report_note(h, "No tables/ folder.");
        return;
    }
    qsort(names, n, sizeof *names, cmp_str);
    sc_svg_printf(h, "<p>Publication tables: ");
    for (size_t i = 0; i < n; i++) {
        sc_svg_printf(h, "%s<a href=\"tables/", i ? ", " : "");
        sc_svg_esc(h, names[i]);
        sc_svg_printf(h, "\">");
        sc_svg_esc(h, names[i]);
        sc_svg_printf(h, "</a>");
        sc_free(names[i]);
    }
    sc_svg_printf(h, ".</p>\n");
}

/* ## Figure index */

typedef struct fig {
    char *kind, *file, *label, *caption; /* pointers into the index text */
} fig;

/* Parse figures/index.tsv (text is modified in place). */
static int parse_index(char *text, const char *path, fig **out, size_t *n,
                       sc_err *err)
{
    size_t lines = 0;
    for (char *p = text; *p; p++)
        lines += *p == '\n';
    fig *f = sc_calloc(lines + 1, sizeof *f);
    if (!f)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    size_t k = 0, lineno = 0;
    for (char *p = text; *p;) {
        char *end = strchr(p, '\n');
        if (end)
            *end = '\0';
        lineno++;
        char *t1 = strchr(p, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        char *t3 = t2 ? strchr(t2 + 1, '\t') : NULL;
        if (t3) {
            *t1 = *t2 = *t3 = '\0';
        }
        /* The file must be a plain name inside figures/. */
        if (!t3 || strchr(t1 + 1, '/') != NULL) {
            sc_free(f);
            return sc_err_set(err, SC_EIO,
                              "%s:%zu: expected 'kind<TAB>"
                              "file<TAB>label<TAB>caption'; rerun simcon "
                              "plot",
                              path, lineno);
        }
        f[k].kind = p;
        f[k].file = t1 + 1;
        f[k].label = t2 + 1;
        f[k].caption = t3 + 1;
        k++;
        if (!end)
            break;
        p = end + 1;
    }
    *out = f;
    *n = k;
    return SC_OK;
}

static void folder_name(const char *dir, char *out, size_t size)
{
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/')
        len--;
    size_t start = len;
    while (start > 0 && dir[start - 1] != '/')
        start--;
    snprintf(out, size, "%.*s", (int)(len - start), dir + start);
}

/* ## JSON data block */

/* A JSON string; '<', '>' and '&' as \u escapes so no "</script>" or
 * markup can appear inside the data block. */
static void json_str(sc_svg *h, const char *s)
{
    sc_svg_raw(h, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            sc_svg_printf(h, "\\%c", *p);
        else if (*p < 0x20 || *p == '<' || *p == '>' || *p == '&')
            sc_svg_printf(h, "\\u%04x", (unsigned)*p);
        else
            sc_svg_raw(h, (const char *)p, 1);
    }
    sc_svg_raw(h, "\"", 1);
}

/* 4 significant digits: finer than a colour or a tooltip needs; the
 * exact numbers are in the CSVs. Non-finite (no value) is null. */
static void json_num(sc_svg *h, double v)
{
    char b[32];
    if (!isfinite(v)) {
        sc_svg_raw(h, "null", 4);
        return;
    }
    snprintf(b, sizeof b, "%.4g", v);
    sc_svg_printf(h, "%s", strcmp(b, "-0") == 0 ? "0" : b);
}

/* A JSON array of names[n] (strings) or, when names is NULL, of v[n]. */
static void json_list(sc_svg *h, const char *const *names, const double *v,
                      size_t n)
{
    sc_svg_raw(h, "[", 1);
    for (size_t i = 0; i < n; i++) {
        if (i)
            sc_svg_raw(h, ",", 1);
        if (names)
            json_str(h, names[i]);
        else
            json_num(h, v[i]);
    }
    sc_svg_raw(h, "]", 1);
}

static void json_palette(sc_svg *h, int diverging)
{
    sc_svg_raw(h, "[", 1);
    for (int i = 0; i < NSTOPS; i++) {
        double t = (double)i / (NSTOPS - 1);
        char hex[8];
        sc_rgb_hex(diverging ? sc_palette_rdbu(2 * t - 1)
                             : sc_palette_viridis(t),
                   hex);
        sc_svg_printf(h, "%s\"%s\"", i ? "," : "", hex);
    }
    sc_svg_raw(h, "]", 1);
}

/* ## What the page shows, gathered once */

typedef struct rdata {
    const char **dnames;   /* nd names in display order (ps->dorder) */
    size_t ns;             /* distinct model sets in consistency.csv */
    const char **sets;     /* borrowed cells, file order */
    double *cons;          /* nk * ns * nd * nd, display order, NAN = none */
    int *has_set;          /* nk * ns: any value */
    double *simlo, *simhi; /* nk: shared colour range per metric */
    const sc_simmat *gap;  /* ps->gap: gap[d].m == 0 without a gap.csv */
} rdata;

static void rdata_deinit(rdata *r)
{
    sc_free(r->dnames);
    sc_free(r->sets);
    sc_free(r->cons);
    sc_free(r->has_set);
    sc_free(r->simlo);
    sc_free(r->simhi);
}

static int rdata_cons(const sc_plotset *ps, rdata *r, sc_err *err)
{
    static const char *const need[] = {SC_COL_METRIC, SC_COL_DATASET_A,
                                       SC_COL_DATASET_B, SC_COL_MODEL_SET,
                                       SC_COL_R};
    const sc_tidy *t = &ps->cons;
    int c[5];
    int rc = sc_tidy_need(t, need, 5, c, err);
    if (rc != SC_OK)
        return rc;
    size_t nd = ps->nd;
    r->sets = sc_malloc((t->nrows + 1) * sizeof *r->sets);
    if (!r->sets)
        return sc_err_set(err, SC_ENOMEM, "report: out of memory");
    for (size_t row = 0; row < t->nrows; row++) {
        const char *set = sc_tidy_at(t, row, c[3]);
        size_t q = 0;
        while (q < r->ns && strcmp(r->sets[q], set) != 0)
            q++;
        if (q == r->ns)
            r->sets[r->ns++] = set;
    }
    size_t cells = ps->nk * r->ns * nd * nd;
    r->cons = sc_malloc((cells + 1) * sizeof *r->cons);
    r->has_set = sc_calloc(ps->nk * r->ns + 1, sizeof *r->has_set);
    if (!r->cons || !r->has_set)
        rc = sc_err_set(err, SC_ENOMEM, "report: out of memory");
    for (size_t k = 0; rc == SC_OK && k < ps->nk; k++)
        for (size_t q = 0; rc == SC_OK && q < r->ns; q++)
            rc = sc_plot_cons_matrix(ps, c, ps->metrics[k], r->sets[q],
                                     r->cons + (k * r->ns + q) * nd * nd,
                                     &r->has_set[k * r->ns + q], err);
    return rc;
}

static int rdata_load(const sc_plotset *ps, rdata *r, sc_err *err)
{
    size_t nd = ps->nd, nk = ps->nk, m = ps->m;
    memset(r, 0, sizeof *r);
    r->gap = ps->gap;
    r->dnames = sc_malloc((nd + 1) * sizeof *r->dnames);
    r->simlo = sc_malloc((nk + 1) * sizeof *r->simlo);
    r->simhi = sc_malloc((nk + 1) * sizeof *r->simhi);
    if (!r->dnames || !r->simlo || !r->simhi)
        return sc_err_set(err, SC_ENOMEM, "report: out of memory");
    /* Datasets grouped by domain, as in the consistency figures. */
    for (size_t i = 0; i < nd; i++)
        r->dnames[i] = ps->datasets[ps->dorder[i]];
    for (size_t k = 0; k < nk; k++) {
        double lo = INFINITY, hi = -INFINITY;
        for (size_t d = 0; d < nd; d++) {
            const double *s = ps->sim[d * nk + k].s.data;
            for (size_t i = 0; i < m * m; i++) {
                lo = s[i] < lo ? s[i] : lo;
                hi = s[i] > hi ? s[i] : hi;
            }
        }
        if (!(hi > lo)) {
            lo -= 0.5;
            hi += 0.5;
        }
        r->simlo[k] = lo;
        r->simhi[k] = hi;
    }
    if (ps->has_cons)
        return rdata_cons(ps, r, err);
    return SC_OK;
}

static void data_block(sc_svg *h, const sc_plotset *ps, const rdata *r)
{
    size_t m = ps->m, nd = ps->nd;
    sc_svg_printf(h, "<script type=\"application/json\" id=\"simcon-data\">"
                     "{\"models\":");
    json_list(h, (const char *const *)ps->models, NULL, m);
    sc_svg_printf(h, ",\n\"metrics\":");
    json_list(h, (const char *const *)ps->metrics, NULL, ps->nk);
    sc_svg_printf(h, ",\n\"datasets\":");
    json_list(h, (const char *const *)ps->datasets, NULL, nd);
    sc_svg_printf(h, ",\n\"dsnames\":");
    json_list(h, r->dnames, NULL, nd);
    sc_svg_printf(h, ",\n\"viridis\":");
    json_palette(h, 0);
    sc_svg_printf(h, ",\n\"rdbu\":");
    json_palette(h, 1);
    char hex[8];
    sc_rgb_hex(sc_palette_viridis(0.35), hex);
    sc_svg_printf(h, ",\n\"dot\":\"%s\",\n\"simrange\":[", hex);
    for (size_t k = 0; k < ps->nk; k++) {
        sc_svg_printf(h, "%s[", k ? "," : "");
        json_num(h, r->simlo[k]);
        sc_svg_raw(h, ",", 1);
        json_num(h, r->simhi[k]);
        sc_svg_raw(h, "]", 1);
    }
    sc_svg_printf(h, "],\n\"sim\":[");
    for (size_t k = 0; k < ps->nk; k++) {
        sc_svg_printf(h, "%s[", k ? ",\n" : "");
        for (size_t d = 0; d < nd; d++) {
            sc_svg_printf(h, "%s", d ? ",\n" : "");
            json_list(h, NULL, ps->sim[d * ps->nk + k].s.data, m * m);
        }
        sc_svg_raw(h, "]", 1);
    }
    sc_svg_printf(h, "],\n\"gap\":[");
    for (size_t d = 0; d < nd; d++) {
        sc_svg_printf(h, "%s", d ? ",\n" : "");
        if (r->gap[d].m)
            json_list(h, NULL, r->gap[d].s.data, m * m);
        else
            sc_svg_printf(h, "null");
    }
    sc_svg_printf(h, "],\n\"cons\":[");
    for (size_t k = 0; k < ps->nk; k++) {
        sc_svg_printf(h, "%s{\"sets\":[", k ? ",\n" : "");
        size_t shown = 0;
        for (size_t q = 0; q < r->ns; q++)
            if (r->has_set[k * r->ns + q]) {
                sc_svg_printf(h, "%s", shown++ ? "," : "");
                json_str(h, r->sets[q]);
            }
        sc_svg_printf(h, "],\"v\":[");
        shown = 0;
        for (size_t q = 0; q < r->ns; q++)
            if (r->has_set[k * r->ns + q]) {
                sc_svg_printf(h, "%s", shown++ ? ",\n" : "");
                json_list(h, NULL, r->cons + (k * r->ns + q) * nd * nd,
                          nd * nd);
            }
        sc_svg_printf(h, "]}");
    }
    sc_svg_printf(h, "]}</script>\n");
}

/* ## Page parts */

/* Colour bar with both ends labelled (the scale the grid below shares). */
static void colour_bar(sc_svg *h, int diverging, double lo, double hi,
                       const char *what)
{
    sc_svg_printf(h, "<div class=\"bar\"><span>");
    sc_svg_esc(h, what);
    sc_svg_printf(h,
                  ":</span><span>%.2f</span><i style=\"background:"
                  "linear-gradient(to right",
                  lo);
    for (int i = 0; i < 9; i++) {
        char hex[8];
        double t = i / 8.0;
        sc_rgb_hex(diverging ? sc_palette_rdbu(2 * t - 1)
                             : sc_palette_viridis(t),
                   hex);
        sc_svg_printf(h, ",%s", hex);
    }
    sc_svg_printf(h, ")\"></i><span>%.2f</span></div>\n", hi);
}

static size_t canvas_cell(size_t side, size_t n, size_t lo, size_t hi)
{
    size_t c = n ? side / n : hi;
    return c < lo ? lo : c > hi ? hi : c;
}

/* "after Holm" etc. from manifest.json's "correction" (our own format:
 * the runner writes "correction": "holm|bh|none"). */
static void correction_words(const char *dir, char *out, size_t size)
{
    snprintf(out, size, "after correction");
    char *path = sc_plot_join(dir, SC_RES_MANIFEST);
    char *text = NULL;
    sc_err ignore;
    struct stat st;
    if (path && stat(path, &st) == 0 &&
        slurp(path, &text, NULL, &ignore) == SC_OK) {
        const char *key = strstr(text, "\"correction\": \"");
        if (key) {
            key += strlen("\"correction\": \"");
            if (strncmp(key, "holm\"", 5) == 0)
                snprintf(out, size, "after Holm");
            else if (strncmp(key, "bh\"", 3) == 0)
                snprintf(out, size, "after Benjamini-Hochberg");
            else if (strncmp(key, "none\"", 5) == 0)
                snprintf(out, size, "(no multiple-testing correction)");
        }
    }
    sc_free(text);
    sc_free(path);
}

/* Inline one SVG of figures/ with its caption and a link to the file. */
static int inline_figure(sc_svg *h, const char *fdir, const fig *f, sc_err *err)
{
    char *path = sc_plot_join(fdir, f->file);
    char *svg = NULL;
    size_t len = 0;
    int rc = path ? slurp(path, &svg, &len, err)
                  : sc_err_set(err, SC_ENOMEM, "out of memory");
    if (rc == SC_OK) {
        sc_svg_printf(h, "<figure>\n");
        sc_svg_raw(h, svg, len);
        sc_svg_printf(h, "<figcaption>");
        sc_svg_esc(h, f->caption);
        sc_svg_printf(h, " (<a href=\"figures/");
        sc_svg_esc(h, f->file);
        sc_svg_printf(h, "\">");
        sc_svg_esc(h, f->file);
        sc_svg_printf(h, "</a>)</figcaption>\n</figure>\n");
    }
    sc_free(svg);
    sc_free(path);
    return rc;
}

/* Box plots (kind "boxes", label "metric / attr") of attribute attr, or of
 * every attribute but attr when other is set. */
static int box_figures(sc_svg *h, const char *dir, const fig *f, size_t nf,
                       const char *attr, int other, sc_err *err)
{
    char *fdir = sc_plot_join(dir, SC_RES_FIGURES_DIR);
    if (!fdir)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    int rc = SC_OK;
    size_t shown = 0, la = attr ? strlen(attr) : 0;
    for (size_t i = 0; rc == SC_OK && i < nf; i++) {
        if (strcmp(f[i].kind, "boxes") != 0)
            continue;
        size_t ll = strlen(f[i].label);
        int match = attr && ll > la + 3 &&
                    strcmp(f[i].label + ll - la, attr) == 0 &&
                    strncmp(f[i].label + ll - la - 3, " / ", 3) == 0;
        if (match == other)
            continue;
        rc = inline_figure(h, fdir, &f[i], err);
        shown++;
    }
    if (rc == SC_OK && shown == 0)
        sc_report_note(h,
                       other ? "No box plots of other attributes."
                             : "No box plots (no consistency.csv with category "
                               "pairs in this folder).");
    sc_free(fdir);
    return rc;
}

static void cons_grids(sc_svg *h, const sc_plotset *ps, const rdata *r)
{
    if (!ps->has_cons) {
        sc_report_note(h, "No consistency.csv in this folder.");
        return;
    }
    size_t nd = ps->nd, cell = canvas_cell(CONS_SIDE, nd, 4, 48);
    for (size_t k = 0; k < ps->nk; k++) {
        sc_svg_printf(h, "<h3>");
        sc_svg_esc(h, ps->metrics[k]);
        sc_svg_printf(h, "</h3>\n");
        colour_bar(h, 1, -1, 1, "consistency r");
        sc_svg_printf(h, "<div class=\"grid\">\n");
        size_t s = 0;
        for (size_t q = 0; q < r->ns; q++) {
            if (!r->has_set[k * r->ns + q])
                continue;
            sc_svg_printf(h,
                          "<figure><canvas data-kind=\"cons\" "
                          "data-k=\"%zu\" data-s=\"%zu\" width=\"%zu\" "
                          "height=\"%zu\"></canvas><figcaption>",
                          k, s++, cell * nd, cell * nd);
            sc_svg_esc(h, r->sets[q]);
            sc_svg_printf(h, "</figcaption></figure>\n");
        }
        sc_svg_printf(h, "</div>\n");
    }
}

static void sim_grids(sc_svg *h, const sc_plotset *ps, const rdata *r)
{
    size_t cell = canvas_cell(SIM_SIDE, ps->m, 2, 16);
    for (size_t k = 0; k < ps->nk; k++) {
        sc_svg_printf(h, "<h3>");
        sc_svg_esc(h, ps->metrics[k]);
        sc_svg_printf(h, "</h3>\n");
        colour_bar(h, 0, r->simlo[k], r->simhi[k], ps->metrics[k]);
        sc_svg_printf(h, "<div class=\"grid\">\n");
        for (size_t d = 0; d < ps->nd; d++) {
            sc_svg_printf(h,
                          "<figure><canvas data-kind=\"sim\" data-k=\"%zu\" "
                          "data-d=\"%zu\" width=\"%zu\" height=\"%zu\">"
                          "</canvas><figcaption>",
                          k, d, cell * ps->m, cell * ps->m);
            sc_svg_esc(h, ps->datasets[d]);
            sc_svg_printf(h, "</figcaption></figure>\n");
        }
        sc_svg_printf(h, "</div>\n");
    }
}

static void scatters(sc_svg *h, const sc_plotset *ps, const rdata *r)
{
    size_t any = 0;
    for (size_t d = 0; d < ps->nd; d++)
        any += r->gap[d].m != 0;
    if (!any || ps->m < 2) {
        sc_report_note(h, "No behaviour/*/gap.csv: no scatters.");
        return;
    }
    for (size_t k = 0; k < ps->nk; k++) {
        sc_svg_printf(h, "<h3>Similarity (");
        sc_svg_esc(h, ps->metrics[k]);
        sc_svg_printf(h, ") vs accuracy gap, one point per model pair</h3>\n"
                         "<div class=\"grid\">\n");
        for (size_t d = 0; d < ps->nd; d++) {
            if (!r->gap[d].m)
                continue;
            sc_svg_printf(h,
                          "<figure><canvas data-kind=\"scatter\" "
                          "data-k=\"%zu\" data-d=\"%zu\" width=\"260\" "
                          "height=\"200\"></canvas><figcaption>",
                          k, d);
            sc_svg_esc(h, ps->datasets[d]);
            sc_svg_printf(h, "</figcaption></figure>\n");
        }
        sc_svg_printf(h, "</div>\n");
    }
}

/* Every figure file of the index, linked, with its caption; a listed file
 * that is missing is an error (the index is stale). */
static int file_list(sc_svg *h, const char *dir, const fig *f, size_t nf,
                     sc_err *err)
{
    char *fdir = sc_plot_join(dir, SC_RES_FIGURES_DIR);
    if (!fdir)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    int rc = SC_OK;
    sc_svg_printf(h, "<ul>\n");
    for (size_t i = 0; rc == SC_OK && i < nf; i++) {
        char *path = sc_plot_join(fdir, f[i].file);
        struct stat st;
        if (!path)
            rc = sc_err_set(err, SC_ENOMEM, "out of memory");
        else if (stat(path, &st) != 0)
            rc = sc_err_set(err, SC_EIO,
                            "%s: listed in figures/index.tsv but "
                            "missing (%s); rerun simcon plot",
                            path, strerror(errno));
        sc_free(path);
        if (rc != SC_OK)
            break;
        sc_svg_printf(h, "<li><a href=\"figures/");
        sc_svg_esc(h, f[i].file);
        sc_svg_printf(h, "\">");
        sc_svg_esc(h, f[i].file);
        sc_svg_printf(h, "</a>");
        /* PDF and PNG beside it (simcon plot --format). */
        static const char *const ext[] = {".pdf", ".png"};
        size_t stem = strlen(f[i].file);
        stem -= stem > 4 ? 4 : stem;
        for (int e = 0; e < 2; e++) {
            char rel[1100];
            snprintf(rel, sizeof rel, "%.*s%s", (int)stem, f[i].file, ext[e]);
            char *alt = sc_plot_join(fdir, rel);
            if (alt && stat(alt, &st) == 0) {
                sc_svg_printf(h, ", <a href=\"figures/");
                sc_svg_esc(h, rel);
                sc_svg_printf(h, "\">%s</a>", ext[e] + 1);
            }
            sc_free(alt);
        }
        sc_svg_printf(h, ": ");
        sc_svg_esc(h, f[i].caption);
        sc_svg_printf(h, "</li>\n");
    }
    sc_svg_printf(h, "</ul>\n");
    sc_free(fdir);
    return rc;
}

static const char *const NAV =
    "<nav id=\"toc\">Answer: <a href=\"#headline\">contrasts</a> \xc2\xb7 "
    "<a href=\"#boxes\">box plots</a> \xc2\xb7 <a href=\"#grid\">consistency "
    "grid</a>. Details: <a href=\"#d-consistency\">consistency summary</a>"
    " \xc2\xb7 <a href=\"#d-behaviour\">behaviour</a> \xc2\xb7 "
    "<a href=\"#d-similarity\">similarity matrices</a> \xc2\xb7 "
    "<a href=\"#d-boxes\">other box plots</a> \xc2\xb7 <a href=\"#d-models\">"
    "models and datasets</a> \xc2\xb7 <a href=\"#d-files\">files</a> "
    "\xc2\xb7 <a href=\"#d-manifest\">manifest</a></nav>\n";

/* The page up to the headline's title: head, style, title line, nav. */
static void page_head(sc_svg *h, const sc_plotset *ps, const char *name)
{
    sc_svg_printf(h, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
                     "<meta charset=\"utf-8\">\n<title>simcon report: ");
    sc_svg_esc(h, name);
    sc_svg_printf(h,
                  "</title>\n<style>%s</style>\n</head>\n<body>\n"
                  "<div id=\"tip\"></div>\n<h1>simcon report: ",
                  STYLE);
    sc_svg_esc(h, name);
    sc_svg_printf(h, "</h1>\n<p>%zu models, %zu datasets, metrics ", ps->m,
                  ps->nd);
    sc_report_metric_names(h, ps);
    sc_svg_printf(h,
                  ". Similarity of neural network representations and "
                  "its consistency across datasets (Ciernik et al., ICML "
                  "2025).</p>\n%s<section id=\"headline\">\n<h2>Answer: "
                  "does consistency across datasets differ between "
                  "model categories?</h2>\n",
                  NAV);
}

/* The answer first: contrasts in words, the box plots by the first
 * attribute, the consistency grid. */
static int page_headline(sc_svg *h, const sc_plotset *ps, const rdata *r,
                         const char *dir, const char *after, const fig *f,
                         size_t nf, sc_err *err)
{
    const char *band = ps->na > 0 ? ps->attrs[0] : NULL;
    int rc = sc_report_headline(h, ps, after, err);
    if (rc != SC_OK)
        return rc;
    sc_svg_printf(h, "<h3 id=\"boxes\">Consistency by ");
    sc_svg_esc(h, band ? band : "category");
    sc_svg_printf(h, " category pair</h3>\n");
    rc = box_figures(h, dir, f, nf, band, 0, err);
    if (rc != SC_OK)
        return rc;
    sc_svg_printf(h, "<h3 id=\"grid\">Consistency across datasets, every "
                     "model subset</h3>\n<p class=\"note\">Per metric, one "
                     "dataset \xc3\x97 dataset heatmap per model subset of "
                     "consistency.csv; rows and columns in the same order in "
                     "every panel (grouped by domain): ");
    for (size_t i = 0; i < ps->nd; i++) {
        sc_svg_printf(h, i ? ", " : "");
        sc_svg_esc(h, r->dnames[i]);
    }
    sc_svg_printf(h, ". Hover a cell for the pair and r.</p>\n");
    cons_grids(h, ps, r);
    return SC_OK;
}

/* Everything else, each in a closed <details> section. */
static int page_details(sc_svg *h, const sc_plotset *ps, const rdata *r,
                        const char *dir, const fig *f, size_t nf, sc_err *err)
{
    const char *band = ps->na > 0 ? ps->attrs[0] : NULL;
    int rc;
    sc_svg_printf(h, "</section>\n<h2>Details</h2>\n"
                     "<details id=\"d-consistency\"><summary>Consistency "
                     "summary: median r per metric and model subset"
                     "</summary>\n");
    rc = sc_report_consistency_table(h, ps, err);
    if (rc != SC_OK)
        return rc;
    sc_svg_printf(h,
                  "</details>\n<details id=\"d-behaviour\"><summary>"
                  "Similarity and behaviour: table and scatters</summary>\n");
    rc = sc_report_behaviour_table(h, ps, err);
    if (rc != SC_OK)
        return rc;
    scatters(h, ps, r);
    sc_svg_printf(h, "</details>\n<details id=\"d-similarity\"><summary>"
                     "Similarity matrices of every dataset</summary>\n"
                     "<p class=\"note\">Models in spec order; one colour "
                     "scale per metric across datasets; hover a cell for "
                     "the pair and value.</p>\n");
    sim_grids(h, ps, r);
    sc_svg_printf(h, "</details>\n<details id=\"d-boxes\"><summary>Box plots "
                     "by the other attributes</summary>\n");
    rc = box_figures(h, dir, f, nf, band, 1, err);
    if (rc != SC_OK)
        return rc;
    sc_svg_printf(h, "</details>\n<details id=\"d-models\"><summary>Models "
                     "and datasets</summary>\n");
    sc_report_models(h, ps);
    sc_svg_printf(h, "</details>\n<details id=\"d-files\"><summary>Figure "
                     "files and tables</summary>\n");
    table_links(h, dir);
    if (nf == 0)
        sc_report_note(h,
                       "No figures/index.tsv: run simcon plot on this folder.");
    rc = file_list(h, dir, f, nf, err);
    if (rc != SC_OK)
        return rc;
    sc_svg_printf(h, "</details>\n<details id=\"d-manifest\"><summary>"
                     "manifest.json (spec, input checksums, versions, seeds, "
                     "timings)</summary>\n");
    rc = manifest(h, dir, err);
    if (rc != SC_OK)
        return rc;
    sc_svg_printf(h, "</details>\n");
    return SC_OK;
}

static int page(sc_svg *h, const sc_plotset *ps, const rdata *r,
                const char *dir, const char *name, const fig *f, size_t nf,
                sc_err *err)
{
    char after[64];
    correction_words(dir, after, sizeof after);
    page_head(h, ps, name);
    int rc = page_headline(h, ps, r, dir, after, f, nf, err);
    if (rc == SC_OK)
        rc = page_details(h, ps, r, dir, f, nf, err);
    if (rc != SC_OK)
        return rc;
    data_block(h, ps, r);
    sc_svg_printf(h, "<script>\n%s</script>\n</body>\n</html>\n", SCRIPT);
    return sc_svg_status(h, err);
}

int sc_report_write(const char *result_dir, sc_err *err)
{
    sc_plotset ps;
    int rc = sc_plotset_load(result_dir, &ps, err);
    if (rc != SC_OK)
        return rc;
    sc_svg h;
    sc_svg_init(&h);
    char *index = NULL;
    fig *f = NULL;
    size_t nf = 0;
    rdata r;
    char *ipath = sc_plot_join(result_dir, SC_RES_FIGURES_INDEX);
    char *out = sc_plot_join(result_dir, SC_RES_REPORT);
    if (!ipath || !out)
        rc = sc_err_set(err, SC_ENOMEM, "out of memory");
    struct stat st;
    if (rc == SC_OK && stat(ipath, &st) == 0) {
        rc = slurp(ipath, &index, NULL, err);
        if (rc == SC_OK && *index != '\0') /* empty: no figures */
            rc = parse_index(index, ipath, &f, &nf, err);
    }
    int have_r = 0;
    if (rc == SC_OK) {
        have_r = 1;
        rc = rdata_load(&ps, &r, err);
    }
    /* The folder's own name (results/<experiment>/ by default), not its
     * path: the page must not change when the folder is moved. */
    char name[256];
    folder_name(result_dir, name, sizeof name);
    if (rc == SC_OK)
        rc = page(&h, &ps, &r, result_dir, name, f, nf, err);
    if (rc == SC_OK)
        rc = sc_svg_write_file(&h, out, err);
    if (have_r)
        rdata_deinit(&r);
    sc_free(f);
    sc_free(ipath);
    sc_free(out);
    sc_free(index);
    sc_svg_deinit(&h);
    sc_plotset_deinit(&ps);
    return rc;
}
