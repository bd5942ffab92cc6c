/* A new continuous colouring of the sample map, made from the colour trace the page shows
 * (dashboard.sample_map.Recolour).
 *
 * The trace draws its samples lowest value first, an order that changes with each colouring.
 * The server sends the new order (sample rows), the colours in that order and the scale; the
 * page moves each point's x, y and hover text to its sample's new place, through the trace's
 * customdata (the sample row of each point). The hover text, most of the trace's weight, is
 * not sent again.
 */
(function () {
var TYPES = {
    f4: Float32Array, float32: Float32Array, f8: Float64Array, float64: Float64Array,
    i1: Int8Array, int8: Int8Array, u1: Uint8Array, uint8: Uint8Array,
    i2: Int16Array, int16: Int16Array, u2: Uint16Array, uint16: Uint16Array,
    i4: Int32Array, int32: Int32Array, u4: Uint32Array, uint32: Uint32Array
};

// a trace's array as the page holds it: a list, a typed array, or a typed array as sent
// ({dtype, bdata}: base64); null for anything else
function asArray(value) {
    if (Array.isArray(value) || ArrayBuffer.isView(value)) { return value; }
    if (!value || !TYPES[value.dtype]) { return null; }
    var data = value.bdata;
    if (typeof data === 'string') {
        var bin = atob(data);
        var bytes = new Uint8Array(bin.length);
        for (var i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); }
        data = bytes.buffer;
    }
    return data instanceof ArrayBuffer ? new TYPES[value.dtype](data) : null;
}

// an array of n values of the kind of ``array`` (the points keep the precision sent)
function like(array, n) {
    return ArrayBuffer.isView(array) ? new array.constructor(n) : new Array(n);
}

function recolour(r, figure) {
    var keep = window.dash_clientside.no_update;
    if (!r || !Array.isArray(r.order) || !figure || !Array.isArray(figure.data)) { return keep; }
    var old = figure.data[r.trace];
    var n = r.order.length;
    var rows = old && old.customdata;
    var x = old && asArray(old.x), y = old && asArray(old.y);
    var text = old && old.text;
    if (!Array.isArray(rows) || rows.length !== n || !x || !y || x.length !== n ||
            y.length !== n || !Array.isArray(text) || text.length !== n) {
        return keep;  // not the trace this colouring was made for
    }
    var at = new Map();  // sample row -> its point in the trace shown
    for (var i = 0; i < n; i++) { at.set(rows[i], i); }
    var nx = like(x, n), ny = like(y, n), nt = new Array(n);
    for (var k = 0; k < n; k++) {
        var j = at.get(r.order[k]);
        if (j === undefined) { return keep; }
        nx[k] = x[j];
        ny[k] = y[j];
        nt[k] = text[j];
    }
    var marker = old.marker || {};
    var colorbar = marker.colorbar || {};
    var trace = Object.assign({}, old, {
        x: nx,
        y: ny,
        text: nt,
        customdata: r.order,
        selectedpoints: r.selectedpoints,
        name: r.name,
        hovertemplate: r.hovertemplate,
        marker: Object.assign({}, marker, {
            color: r.color,
            cmin: r.cmin,
            cmax: r.cmax,
            colorscale: r.colorscale,
            colorbar: Object.assign({}, colorbar, {
                title: Object.assign({}, colorbar.title, {text: r.colorbar_title})
            })
        })
    });
    var data = figure.data.slice();
    data[r.trace] = trace;
    return Object.assign({}, figure, {data: data});
}

window.dash_clientside = Object.assign({}, window.dash_clientside, {
    fe_sample_map: {recolour: recolour}
});
})();
