/* The header's data and model lines are cut at the window's edge with an ellipsis (one line
 * each, so that the header keeps its height; assets/style.css): the whole line shows on
 * hovering it (its title) and, for a window without a pointer (a tablet), a click or tap on a
 * cut line unfolds it, and another folds it again.
 */
(function () {
    "use strict";

    function line(event) {
        var target = event.target;
        return target && target.closest ? target.closest(".header .model-info") : null;
    }

    // a line cut by its ellipsis (wider than its box) says that it unfolds
    document.addEventListener("mouseover", function (event) {
        var box = line(event);
        if (box) {
            box.classList.toggle("cut", box.scrollWidth > box.clientWidth + 1 ||
                box.classList.contains("unfolded"));
        }
    });

    document.addEventListener("click", function (event) {
        var box = line(event);
        if (!box) {
            return;
        }
        if (box.classList.contains("unfolded")) {
            box.classList.remove("unfolded");
        } else if (box.scrollWidth > box.clientWidth + 1) {
            box.classList.add("unfolded");
            box.classList.add("cut");
        }
    });
}());
