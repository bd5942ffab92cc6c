"""Pure figure builders: arrays in, :class:`plotly.graph_objects.Figure` out (no Dash, no I/O).

The callbacks and tests import the builders from here (a few names only the callbacks or
tests of one module read are imported from that module); each is defined in one of these
modules, none of which imports this one:

- :mod:`dashboard.figure_style`: font, palette, marker size, the layout of a map, the page's
  legend of a map, the simulated-data label, an empty figure, text helpers (the others build
  on it);
- :mod:`dashboard.figure_samples`: the sample map (continuous or categorical colouring; its
  trace order, which the callbacks patch by index), its probe grid, the placed samples;
- :mod:`dashboard.figure_labels`: where the gene map's labels go, in plot pixels;
- :mod:`dashboard.figure_genes`: the gene map (focus, neighbours, the selection's genes);
- :mod:`dashboard.figure_baselines`: the baseline maps side by side;
- :mod:`dashboard.figure_export`: figures fit for a file (sizes, titles, legends).
"""

from __future__ import annotations

# the names of the modules below that the callbacks and tests read here
from dashboard.figure_baselines import (  # noqa: F401
    baselines_figure,
    panel_columns,
    panel_title_room,
)
from dashboard.figure_export import (  # noqa: F401
    EXPORT_SIZES,
    EXPORT_WIDTH_MM,
    JOURNAL_PAGE_MM,
    JOURNAL_SIZES,
    X_TICK_STANDOFF,
    _visible_length,
    add_title_line,
    export_plot_area,
    fit_legend,
    fit_title,
    for_export,
    legend_in_columns,
    name_dataset,
)
from dashboard.figure_genes import (  # noqa: F401
    MAX_LABELLED_RINGS,
    gene_map_figure,
)
from dashboard.figure_labels import (  # noqa: F401
    _PLOT_PX,
    annotation_box,
    boxes_overlap,
    label_box,
    marker_box,
    place_labels,
    plot_area,
    plot_pixels,
    plot_view,
    spaced_labels,
    text_width,
)
from dashboard.figure_samples import (  # noqa: F401
    BAR_TITLE_CHARS,
    COLOR_TRACE,
    LEGEND_ENTRY,
    MERGED_CATEGORIES,
    PLACED_META,
    PROBE_TRACE,
    bar_title,
    bound_autorange,
    clip_range,
    clipped_title,
    colorscale,
    continuous_marker,
    elide_words,
    placed_samples_trace,
    probe_grid,
    probe_reach,
    sample_hover_text,
    sample_map_categorical,
    sample_map_continuous,
)
from dashboard.figure_style import (  # noqa: F401
    LEGEND_TITLE_WIDTH,
    MAP_HEIGHT_PX,
    PALETTE,
    SIMULATED_LABEL,
    _escape,
    _missing,
    _natural_key,
    empty_figure,
    fit_page_legend,
    mark_simulated,
    set_ranges,
    wrap_title,
)
