/* Placed samples that a reloaded page finds again (dashboard.placement.restored_view).
 *
 * The server reads what the tab's last upload placed, or how far its job is, and answers with
 * {for: <the upload's id>, values: [placed, table rows, info, progress, alert, poll disabled,
 * session]}; {__keep__: true} marks a value left as it is. The page applies the answer only
 * while the tab still holds that upload: "Clear" (or another upload) after the server looked
 * would otherwise bring the cleared samples back when the answer arrives.
 *
 * Nor does it apply a second answer with the samples of an upload it shows already: a page
 * reloaded while they were placed shows their warnings in full and records them as shown in
 * the tab; that change reads the view again, whose answer folded the warnings at once.
 */
(function () {
// the id of the upload whose samples this page shows (as long as the page lives)
var shownHere = null;
window.dash_clientside = Object.assign({}, window.dash_clientside, {
    fe_placement: {
        restored: function (restored, session) {
            var keep = window.dash_clientside.no_update;
            var unchanged = [keep, keep, keep, keep, keep, keep, keep];
            if (!restored || !Array.isArray(restored.values) || restored.values.length !== 7) {
                return unchanged;
            }
            var current = (session && session.id) || null;
            if ((restored["for"] || null) !== current) {
                return unchanged;
            }
            var values = restored.values.map(function (value) {
                return value && value.__keep__ === true ? keep : value;
            });
            if (Array.isArray(values[0]) && values[0].length) {
                if (current !== null && current === shownHere) {
                    return unchanged;
                }
                // the upload whose samples the page now shows: the tab's record when the
                // answer sets it (the samples shown before a failed upload), else this one
                var record = values[6];
                shownHere = record && record.id ? record.id : current;
            }
            return values;
        }
    }
});
})();
