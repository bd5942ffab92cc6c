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

    function measure() {
        timer = null;
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
