/* Files over an upload's size limit: say so in the page.
 *
 * dcc.Upload drops a file larger than its max_size without a word (nothing reaches the server).
 * Each upload sits in a wrapper (dashboard.layout.sized_upload) whose data attributes give the
 * limit in bytes, the alert slot to write in and the text that states the limit.
 */
(function () {
    "use strict";

    function check(target, files) {
        var zone = target && target.closest ? target.closest("[data-max-bytes]") : null;
        if (!zone || !files || !files.length || !window.dash_clientside) {
            return;
        }
        var limit = Number(zone.getAttribute("data-max-bytes"));
        for (var i = 0; i < files.length; i++) {
            var file = files[i];
            if (file.size > limit) {
                var message = file.name + ": " + (file.size / 1e6).toFixed(1) + " MB; " +
                    zone.getAttribute("data-limit");
                window.dash_clientside.set_props(zone.getAttribute("data-alert"), {
                    children: {
                        type: "Div",
                        namespace: "dash_html_components",
                        props: {children: message, className: "alert alert-error"}
                    }
                });
                return;
            }
        }
    }

    document.addEventListener("change", function (event) {
        if (event.target && event.target.type === "file") {
            check(event.target, event.target.files);
        }
    }, true);
    document.addEventListener("drop", function (event) {
        check(event.target, event.dataTransfer ? event.dataTransfer.files : null);
    }, true);
}());
