/* The in-silico probe decodes at the place clicked on the sample map.
 *
 * Plotly reports clicks on points only. The empty parts of the map are covered by the invisible
 * points of the probe grid (dashboard.figures.probe_grid), but a click decoded at the nearest
 * grid point's centre, not where it landed, and on a map zoomed in (grid points some 60 pixels
 * apart) a click between them reached nothing. This script listens for clicks on the map's plot
 * area (plotly's drag cover, in every drag mode: a press and release without a drag, which plotly
 * passes on as a click on the cover), turns the pixel pressed into data coordinates with the
 * graph's axes, and writes {x, y, n} to the dcc.Store "probe-click" (dashboard.ids.PROBE_CLICK;
 * n counts the clicks, so that a second click on the same place decodes again). The server
 * decodes there (dashboard.selection.probe_at_place).
 *
 * One click, one decoding. A click on a sample, or on a placed sample's star, keeps its meaning:
 * the profile at that point, which the server decodes from the graph's clickData. This script
 * leaves such a click alone; it knows it by plotly's own click event (plotly_click, whose points
 * become clickData). Plotly emits it before passing the click on to the cover in zoom and pan
 * modes, and a moment after in select and lasso modes: the decision waits for the next task. A
 * click plotly reports on the probe grid is this script's (the server leaves clickData on the
 * grid, trace 0, alone).
 */
(function () {
    "use strict";

    var GRAPH = "sample-map";
    var STORE = "probe-click";
    var GRID = "probe grid";
    var press = null;   // where the pointer went down on the plot area
    var points = null;  // the points plotly reported clicked since then (plotly_click)
    var count = 0;

    // the sample map's graph when ``target`` is its plot area (the drag cover), else null
    function graphOf(target) {
        if (!target || !target.classList || !target.classList.contains("nsewdrag")) {
            return null;
        }
        var outer = target.closest("#" + GRAPH);
        return outer ? outer.querySelector(".js-plotly-plot") : null;
    }

    // plotly gives a graph drawn anew a new event emitter, and a new ``on`` with it
    function listen(gd) {
        if (typeof gd.on === "function" && gd.__probeOn !== gd.on) {
            gd.on("plotly_click", function (data) {
                points = (data && data.points) || [];
            });
            gd.__probeOn = gd.on;
        }
    }

    function down(event) {
        var gd = graphOf(event.target);
        var touches = event.touches;
        if (!gd || (touches && touches.length !== 1) || (!touches && event.button !== 0)) {
            press = null;
            return;
        }
        listen(gd);
        var at = touches ? touches[0] : event;
        var box = event.target.getBoundingClientRect();
        press = {gd: gd, px: at.clientX - box.left, py: at.clientY - box.top};
        points = null;
    }

    function decide(at) {
        var hit = points && points[0];
        var trace = hit && (hit.fullData || hit.data);
        if (hit && !(trace && trace.name === GRID)) {
            return;  // a sample or a star: the server decodes it from clickData
        }
        var full = at.gd._fullLayout, xa = full && full.xaxis, ya = full && full.yaxis;
        var set = window.dash_clientside && window.dash_clientside.set_props;
        if (!xa || !ya || !xa.p2d || !ya.p2d || !set) {
            return;
        }
        // the cover is the plot area: its pixels are the axes' (p2d counts from _offset)
        if (at.px < 0 || at.py < 0 || at.px > xa._length || at.py > ya._length) {
            return;
        }
        var x = Number(xa.p2d(at.px)), y = Number(ya.p2d(at.py));
        if (!isFinite(x) || !isFinite(y)) {
            return;
        }
        count += 1;
        set(STORE, {data: {x: x, y: y, n: count}});
    }

    document.addEventListener("mousedown", down, true);
    document.addEventListener("touchstart", down, {capture: true, passive: true});

    // plotly's click on the cover after a press without a drag (also after a tap). Plotly
    // dispatches it itself, and only then (gd._dragged); the browser's own click (isTrusted)
    // also follows a drag where no cover sheet catches the release (a window without hover)
    document.addEventListener("click", function (event) {
        var gd = graphOf(event.target);
        if (!gd || event.isTrusted || !press || press.gd !== gd) {
            return;
        }
        var at = press;
        press = null;
        if (event.detail > 1) {
            return;  // the second click of a double-click, which resets the zoom
        }
        setTimeout(function () { decide(at); }, 0);
    }, true);
}());
