/* Messages at the top of the page stay until the next one, and sit over the maps when the page
 * is scrolled: a click on a message dismisses it (not when its text is being selected for
 * copying, nor on a link in it, nor on the line that unfolds folded warnings). The next
 * message of the same kind shows again.
 */
(function () {
    "use strict";

    document.addEventListener("click", function (event) {
        var target = event.target;
        var box = target && target.closest ? target.closest(".alerts .alert") : null;
        if (!box || target.closest("a, button, input, textarea, summary")) {
            return;
        }
        var selected = window.getSelection ? String(window.getSelection()) : "";
        if (selected.length) {
            return;
        }
        var slot = box.closest(".alert-slot");
        if (slot && slot.id && window.dash_clientside && window.dash_clientside.set_props) {
            window.dash_clientside.set_props(slot.id, {children: null});
        }
    });
}());
