/* The browser's Back and Forward step through the page's views (dashboard.export: the view
 * kept in the address bar).
 *
 * The page writes its view into the address bar after each change. A change of what the page
 * shows, made by the user (the sample map's colouring, the gene in focus, the gene map's
 * colouring, the number of neighbours), adds an entry to the tab's history; the rest (zoom, pan,
 * clip range, selection, shares) and the page's own changes (the view a link or Back opens,
 * settled by the page) replace the address, so that a few zooms, or the first load, add none.
 *
 * On Back or Forward the page is given the address again (the ``url`` dcc.Location's search):
 * the callbacks that read a link restore its view. dcc.Location says a new address only when
 * it differs from the one it last read (the page's own writes do not reach it), so the address
 * is given here each time; dcc.Location, which listens after this script, then finds it known.
 */
(function () {
// the parts of a link whose change is a new view, worth a step back
var NEW_VIEW = ["color", "gene", "gcolor", "k"];
// the user acted (a press of a key, a button or a finger) since the page was opened, went
// Back or Forward, or last added an entry: only the user's own change adds one
var acted = false;

function viewOf(search) {
    var params = new URLSearchParams(search || "");
    return NEW_VIEW.map(function (name) { return params.get(name) || ""; }).join("\n");
}

["pointerdown", "keydown"].forEach(function (type) {
    window.addEventListener(type, function () { acted = true; }, true);
});

window.addEventListener("popstate", function () {
    acted = false;
    var set = window.dash_clientside && window.dash_clientside.set_props;
    if (set) {
        set("url", {search: window.location.search, href: window.location.href});
    }
});

/* Write the link ``href`` (a query string) into the address bar -> the address. */
function follow(href) {
    if (href && href !== window.location.search) {
        var address = window.location.pathname + href;
        if (acted && viewOf(href) !== viewOf(window.location.search)) {
            acted = false;
            window.history.pushState(null, "", address);
        } else {
            window.history.replaceState(null, "", address);
        }
    }
    return window.location.href;
}

window.dash_clientside = Object.assign({}, window.dash_clientside, {
    fe_history: {follow: follow}
});
})();
