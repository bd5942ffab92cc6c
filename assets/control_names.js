/* The page's dropdowns, sliders and radio groups named for a screen reader, as their labels say.
 *
 * dcc.Dropdown (react-select) and dcc.RangeSlider (rc-slider) put their id on an outer div and
 * pass no aria props on (Dash 3.2): an html.Label's htmlFor pointed at that div, which is not
 * focusable, so the box or handle a keyboard reaches had no name, and a click on the label
 * focused nothing. For each label whose htmlFor names such a div, this script gives the control
 * inside (the dropdown's combobox, each handle of a slider, a group of radio buttons) the
 * label's words as aria-label, and the hover text of the wrapper around it as its own title,
 * read as its description. It does so again whenever the page changes (a dropdown made
 * searchable or disabled draws a new combobox). A click on such a label focuses the control.
 *
 * An upload's file input gets its drop zone's words (and its card's heading) as its name.
 *
 * Escape in a dropdown whose menu is closed emptied it (react-select's escapeClearsValue, which
 * Dash does not pass on): the tissues chosen under the map were lost. Escape only closes a menu.
 */
(function () {
    "use strict";

    var INNER = "[role=combobox], [role=slider]";
    var ENDS = ["lower", "upper"];

    function set(el, attr, value) {
        if (value && el.getAttribute(attr) !== value) {
            el.setAttribute(attr, value);
        }
    }

    // the outer div that ``label`` names when it is no form field (else null)
    function boxOf(label) {
        var box = label.htmlFor ? document.getElementById(label.htmlFor) : null;
        return box && box.labels === undefined ? box : null;
    }

    // an upload's file input (transparent, over the drop zone): named by the zone's words
    function nameUploads() {
        document.querySelectorAll(".upload input[type=file]").forEach(function (input) {
            var zone = input.closest(".upload");
            var words = zone && zone.textContent.trim();
            var card = zone && zone.closest(".card");
            var head = card && card.querySelector("h3, h4");
            set(input, "aria-label", head ? head.textContent.trim() + ": " + words : words);
            var wrapper = zone && zone.closest("[title]");
            set(input, "title", wrapper && wrapper.title);
        });
    }

    function nameAll() {
        nameUploads();
        document.querySelectorAll("label[for]").forEach(function (label) {
            var box = boxOf(label);
            if (!box) {
                return;
            }
            var words = label.textContent.trim();
            var parts = Array.prototype.slice.call(box.querySelectorAll(INNER));
            if (!parts.length && box.querySelector("input[type=radio]")) {
                set(box, "role", "radiogroup");
                parts = [box];
            }
            parts.forEach(function (el, i) {
                var end = parts.length === 2 ? ENDS[i] : String(i + 1);
                set(el, "aria-label", parts.length > 1 ? words + ", " + end : words);
                var wrapper = el.parentElement && el.parentElement.closest("[title]");
                set(el, "title", wrapper && wrapper.title);
            });
        });
    }

    var pending = false;
    function later() {
        if (!pending) {
            pending = true;
            window.requestAnimationFrame(function () {
                pending = false;
                nameAll();
            });
        }
    }

    document.addEventListener("click", function (event) {
        var label = event.target.closest ? event.target.closest("label[for]") : null;
        var box = label && boxOf(label);
        var control = box && box.querySelector(INNER + ", input");
        if (control) {
            control.focus();
        }
    });

    // (on the window, capturing: before React hands the key to react-select)
    window.addEventListener("keydown", function (event) {
        var select = event.key === "Escape" && event.target.closest
            ? event.target.closest(".Select") : null;
        if (select && !select.classList.contains("is-open")) {
            event.stopPropagation();
        }
    }, true);

    new MutationObserver(later).observe(document.documentElement, {
        childList: true,
        subtree: true,
    });
    later();
})();
