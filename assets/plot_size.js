/* The gene map's plot area as drawn in the page, for the spacing of its labels.
 *
 * dashboard.figures.place_labels keeps the neighbours' labels off the markers and off each
 * other in plot pixels, but the server cannot know how large the map is drawn: that follows the
 * window (and the legend's width). After the page changes (a new figure, a resize), this script
 * reads the plot area plotly drew (the graph's _fullLayout._size, without margins and legend)
 * and writes it as {width, height} to the dcc.Store "gene-map-size"
 * (dashboard.layout.GENE_MAP_SIZE), whose change redraws the map with the labels spaced for it.
 * While the user has zoomed or panned the map, the store also holds the axis ranges in view
 * ({width, height, x: [x0, x1], y: [y0, y1]}; dashboard.figures.plot_view): zoomed into a
 * crowd of neighbours, their labels get the room the zoom gave them. A reset (autorange)
 * drops the ranges again. The store also names the map it measured (layout.meta.figure_key,
 * dashboard.gene_space.figure_key), so that the server sends only the labels when that map is
 * the one it would draw now.
 *
 * No redraw loop: the store is written only when the size differs from the stored one by more
 * than TOLERANCE pixels, or the view by more than VIEW_TOLERANCE of its span (labels change
 * neither the plot area nor the user's zoom, kept by uirevision, so the redrawn map measures the
 * same), once the page has been still for WAIT_MS (not on every step of a window resize; at
 * the latest MAX_WAIT_MS after a change on a page that never rests). A
 * blank figure (no model yet) is not measured.
 *
 * Titles: plotly does not wrap a figure's title, and in a narrow window (420 pixels) the maps'
 * titles ran off the figure. Before measuring, each figure's title is broken into lines at
 * spaces for the width it is drawn at (fitTitles; tags such as the SIMULATED DATA label are
 * closed and reopened across a break), the top margin growing by a line each; a wider window
 * joins the lines again. Only the drawn figure changes: a new figure from the server comes
 * with its whole title again (and is fitted anew), and exported files are built by the server
 * with the whole title (dashboard.figures.fit_title breaks it for the file's width). The plot
 * area is measured once the titles fit, so a title never changes the size stored after it.
 */
(function () {
    "use strict";

    var GRAPH = "gene-map";
    var STORE = "gene-map-size";
    var TOLERANCE = 4;
    var VIEW_TOLERANCE = 0.002;
    var WAIT_MS = 250;
    var MAX_WAIT_MS = 1500;
    var timer = null;
    var since = 0;
    var sent = null;  // the last size written, where the renderer cannot say what is stored

    function stored() {
        var api = window.dash_component_api;
        if (api && api.getLayout) {
            var store = api.getLayout(STORE);
            return store && store.props ? store.props.data : null;
        }
        return sent;
    }

    // the axis ranges in view while the map is zoomed or panned, else null (autorange)
    function view(full) {
        var xa = full.xaxis, ya = full.yaxis;
        if (!xa || !ya || (xa.autorange !== false && ya.autorange !== false)) {
            return null;
        }
        var x = [Number(xa.range[0]), Number(xa.range[1])];
        var y = [Number(ya.range[0]), Number(ya.range[1])];
        if (!(x.concat(y).every(isFinite))) {
            return null;
        }
        return {x: x, y: y};
    }

    function sameRange(a, b) {
        var span = Math.abs(b[1] - b[0]) || 1;
        return Math.abs(a[0] - b[0]) <= VIEW_TOLERANCE * span &&
            Math.abs(a[1] - b[1]) <= VIEW_TOLERANCE * span;
    }

    function sameView(stored, now) {
        var had = !!(stored && stored.x && stored.y);
        if (!had || !now) {
            return !had && !now;
        }
        return sameRange(stored.x, now.x) && sameRange(stored.y, now.y);
    }

    // a tag of plotly's HTML subset, and a line break as plotly reads it
    var TAG = /<\/?[A-Za-z][^<>]*>/g;
    var BREAK = /<br\s*\/?>/i;
    var LINE_SPACING = 1.3;  // plotly's distance between the lines of a text, in ems
    var TITLE_RIGHT = 10;  // pixels kept free at the right of a title
    var measurer = null;

    // width in pixels of a piece of title (tags left out; bold where a <b> is open)
    function textWidth(html, font) {
        var bold = 0;
        if (!measurer) {
            measurer = document.createElement("canvas").getContext("2d");
        }
        var width = 0;
        html.split(/(<\/?[A-Za-z][^<>]*>)/).forEach(function (piece) {
            if (/^<\/?[A-Za-z]/.test(piece)) {
                if (/^<b>$/i.test(piece)) { bold += 1; }
                if (/^<\/b>$/i.test(piece)) { bold = Math.max(bold - 1, 0); }
                return;
            }
            measurer.font = (bold ? "bold " : "") + font.size + "px " + font.family;
            width += measurer.measureText(piece.replace(/&[a-zA-Z#0-9]+;/g, "x")).width;
        });
        return width;
    }

    function closing(tags) {
        return tags.map(function (t) {
            return "</" + t.replace(/^<([A-Za-z]\w*)[\s\S]*$/, "$1") + ">";
        }).reverse().join("");
    }

    // the lines of ``text`` (which may hold <br>) that fit ``room`` pixels, broken at spaces
    // (a word longer than the room stays whole on its line)
    function wrapTitle(text, room, font) {
        var lines = [];
        text.split(BREAK).forEach(function (part) {
            var words = part.match(/(?:<\/?[A-Za-z][^<>]*>|[^\s<]|<)+/g) || [];
            var line = [];
            var prefix = "";  // the tags open where the line before was broken, reopened
            var opened = [];
            words.forEach(function (word) {
                if (line.length &&
                        textWidth(prefix + line.concat([word]).join(" "), font) > room) {
                    lines.push(prefix + line.join(" ") + closing(opened));
                    prefix = opened.join("");
                    line = [];
                }
                line.push(word);
                (word.match(TAG) || []).forEach(function (tag) {
                    if (tag.charAt(1) === "/") {
                        opened.pop();
                    } else if (!/\/>$/.test(tag)) {
                        opened.push(tag);
                    }
                });
            });
            lines.push(prefix + line.join(" "));
        });
        return lines;
    }

    // break each figure's title into the lines its width needs (or join them again): true
    // when a figure is being redrawn for it
    function fitTitles() {
        var changed = false;
        document.querySelectorAll(".js-plotly-plot").forEach(function (gd) {
            var full = gd._fullLayout;
            var layout = gd.layout;
            if (!full || !layout || !layout.title || !full.title || !full.width) {
                return;
            }
            var text = typeof layout.title === "string" ? layout.title : layout.title.text;
            if (!text) {
                return;
            }
            var margin = layout.margin && typeof layout.margin.t === "number" ?
                layout.margin.t : full.margin.t;
            var pad = full.title.pad.t;
            var fit = gd.__titleFit;
            var whole = text;
            var top = margin;
            var wholePad = pad;
            // a title this script drew: the whole one is the one it was made from
            if (fit && fit.drawn === text && fit.top === margin && fit.pad === pad) {
                whole = fit.whole;
                top = fit.wholeTop;
                wholePad = fit.wholePad;
            }
            var font = {size: full.title.font.size, family: full.title.font.family};
            var left = full.title.xref === "paper" ?
                full.margin.l + full.title.x * full._size.w : full.title.x * full.width;
            var lines = wrapTitle(whole, full.width - left - TITLE_RIGHT, font);
            var extra = lines.length - whole.split(BREAK).length;
            var wanted = extra > 0 ? lines.join("<br>") : whole;
            var grow = Math.max(extra, 0) * LINE_SPACING * font.size;
            var wantedTop = top + Math.ceil(grow);
            // plotly centres the lines of a title on its place: moved down by half of what
            // they add, the first line stays where the whole title was (below the mode bar)
            var wantedPad = wholePad + Math.ceil(grow / 2);
            if (wanted === text && wantedTop === margin && wantedPad === pad) {
                return;
            }
            gd.__titleFit = {drawn: wanted, top: wantedTop, pad: wantedPad, whole: whole,
                             wholeTop: top, wholePad: wholePad};
            changed = true;
            window.Plotly.relayout(gd, {
                "title.text": wanted, "margin.t": wantedTop, "title.pad.t": wantedPad
            });
        });
        return changed;
    }

    function measure() {
        timer = null;
        if (window.Plotly && fitTitles()) {
            schedule();  // measured once the figures are drawn with their titles fitted
            return;
        }
        var host = document.getElementById(GRAPH);
        var gd = host ? host.querySelector(".js-plotly-plot") : null;
        var full = gd ? gd._fullLayout : null;
        var size = full ? full._size : null;
        if (!size || !gd.data || !gd.data.length || !full.xaxis || full.xaxis.visible === false) {
            return;  // not drawn yet, or the blank figure of a page without a model
        }
        var clientside = window.dash_clientside;
        if (!clientside || !clientside.set_props || !(size.w > 0 && size.h > 0)) {
            return;
        }
        var width = Math.round(size.w);
        var height = Math.round(size.h);
        var zoom = view(full);
        var now = stored();
        if (now && Math.abs(now.width - width) <= TOLERANCE &&
                Math.abs(now.height - height) <= TOLERANCE) {
            // the same size: a zoom or a reset keeps the size stored, so the labels of the
            // whole map come back spaced as before, not for a plot a pixel or two apart
            if (sameView(now, zoom)) {
                return;
            }
            width = now.width;
            height = now.height;
        }
        sent = {width: width, height: height};
        if (zoom) {
            sent.x = zoom.x;
            sent.y = zoom.y;
        }
        // what the map in the page was drawn from: the server sends only the labels when it
        // is what it would draw now (a newer map may be on its way: then the whole map)
        var meta = full.meta || (gd.layout && gd.layout.meta);
        if (meta && meta.figure_key) {
            sent.figure_key = meta.figure_key;
        }
        clientside.set_props(STORE, {data: sent});
    }

    function schedule() {
        var now = Date.now();
        if (timer !== null) {
            if (now - since >= MAX_WAIT_MS) {
                return;  // the page never rests (a hover, a progress bar): measure anyway
            }
            clearTimeout(timer);
        } else {
            since = now;
        }
        timer = setTimeout(measure, WAIT_MS);
    }

    new MutationObserver(schedule).observe(document.documentElement, {
        childList: true,
        subtree: true
    });
    window.addEventListener("resize", schedule);
}());
