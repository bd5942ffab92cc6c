/* The gene map's plot area as drawn in the page, for the spacing of its labels.
 *
 * dashboard.figures.place_labels keeps the neighbours' labels off the markers and off each
 * other in plot pixels, but the server cannot know how large the map is drawn: that follows the
 * window (and the legend's width). After the page changes (a new figure, a resize), this script
 * reads the plot area plotly drew (the graph's _fullLayout._size, without margins and legend)
 * and writes it as {width, height} to the dcc.Store "gene-map-size"
 * (dashboard.layout.GENE_MAP_SIZE), whose change redraws the map with the labels spaced for it.
 *
 * No redraw loop: the store is written only when the size differs from the stored one by more
 * than TOLERANCE pixels (labels do not change the plot area, so the redrawn map measures the
 * same), once the page has been still for WAIT_MS (not on every step of a window resize; at
 * the latest MAX_WAIT_MS after a change on a page that never rests). A
 * blank figure (no model yet) is not measured.
 */
(function () {
    "use strict";

    var GRAPH = "gene-map";
    var STORE = "gene-map-size";
    var TOLERANCE = 4;
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
        var now = stored();
        if (now && Math.abs(now.width - width) <= TOLERANCE &&
                Math.abs(now.height - height) <= TOLERANCE) {
            return;
        }
        sent = {width: width, height: height};
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
