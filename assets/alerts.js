/* Messages at the bottom of the window: a warning or an error stays until the next one, an
 * information goes by itself (below); a click on a message dismisses it (not when its text is
 * being selected for copying, nor on a link in it, nor on the line that unfolds folded
 * warnings). The next message of the same kind shows again.
 *
 * The messages never cover a row of controls (the dropdowns and buttons above a map, its mode
 * bar, an open dropdown's list, the header's link): stuck to the top of the page, they
 * covered the controls scrolled under them, which could not be clicked while a message
 * showed. They sit at the bottom of the window, or at its top ("alerts-high") while the bottom
 * would cover more of such controls than the top; placed again after each scroll, resize or
 * change of the page. A figure's legend counts as such a row: a message left showing covered
 * the legend of the baseline maps.
 *
 * Old messages stayed until clicked and covered what lay under them: a message that only
 * informs (alert-info: a file written, a hint) goes by itself INFO_MS after it showed, later
 * while the pointer rests on it (being read) or its text is selected; warnings and errors,
 * which a user must read, stay until clicked away.
 */
(function () {
    "use strict";

    var BOX = "alerts";
    var CONTROLS = ".controls, .details, .selection-bar, .table-head, .modebar-container, " +
        ".header-share, .Select-menu-outer, .js-plotly-plot .legend";
    var GAP = 8;  // pixels between the messages and the window's edge (assets/style.css)
    var INFO_MS = 8000;  // how long an information shows
    var RETRY_MS = 2000;  // the next look while it is being read
    var frame = null;
    var timers = {};  // by slot id: {text, timer} of the information it shows

    function clearSlot(slot) {
        if (window.dash_clientside && window.dash_clientside.set_props) {
            window.dash_clientside.set_props(slot.id, {children: null});
        }
    }

    // an information (nothing but alert-info in its slot) goes after INFO_MS; a new one in
    // the same slot (its text) starts the time again; warnings and errors are left alone
    function expireInfos() {
        document.querySelectorAll("#" + BOX + " .alert-slot").forEach(function (slot) {
            var text = slot.textContent;
            var info = !!slot.querySelector(".alert-info") &&
                !slot.querySelector(".alert:not(.alert-info)");
            var had = timers[slot.id];
            if (had && (!info || had.text !== text)) {
                window.clearTimeout(had.timer);
                delete timers[slot.id];
                had = null;
            }
            if (!info || had || !slot.id) {
                return;
            }
            var entry = {text: text, timer: null};
            var expire = function () {
                var selected = window.getSelection ? window.getSelection() : null;
                var reading = slot.matches(":hover") || (selected && String(selected).length &&
                    slot.contains(selected.anchorNode));
                if (reading) {
                    entry.timer = window.setTimeout(expire, RETRY_MS);
                    return;
                }
                delete timers[slot.id];
                clearSlot(slot);
            };
            entry.timer = window.setTimeout(expire, INFO_MS);
            timers[slot.id] = entry;
        });
    }

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
        if (slot && slot.id) {
            clearSlot(slot);
        }
    });

    // square pixels of the controls in view that the messages would cover from top to bottom
    function covered(box, controls, top, bottom) {
        var area = 0;
        controls.forEach(function (r) {
            var w = Math.min(box.right, r.right) - Math.max(box.left, r.left);
            var h = Math.min(bottom, r.bottom) - Math.max(top, r.top);
            if (w > 0 && h > 0) {
                area += w * h;
            }
        });
        return area;
    }

    function place() {
        frame = null;
        expireInfos();
        var box = document.getElementById(BOX);
        var rect = box ? box.getBoundingClientRect() : null;
        if (!rect || !rect.height) {
            return;  // no message
        }
        var height = window.innerHeight;
        var controls = [];
        document.querySelectorAll(CONTROLS).forEach(function (el) {
            var r = el.getBoundingClientRect();
            if (!box.contains(el) && r.width && r.height && r.bottom > 0 && r.top < height) {
                controls.push(r);
            }
        });
        var low = covered(rect, controls, height - GAP - rect.height, height - GAP);
        var high = covered(rect, controls, GAP, GAP + rect.height);
        var wanted = high < low;
        if (box.classList.contains("alerts-high") !== wanted) {
            box.classList.toggle("alerts-high", wanted);
        }
    }

    function schedule() {
        if (frame === null) {
            frame = window.requestAnimationFrame(place);
        }
    }

    window.addEventListener("scroll", schedule, {passive: true, capture: true});
    window.addEventListener("resize", schedule);
    new MutationObserver(schedule).observe(document.documentElement, {
        childList: true,
        subtree: true
    });
}());
