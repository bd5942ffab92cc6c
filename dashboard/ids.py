"""Component ids of the dashboard (tests and automation find the page's parts by these).

The public ids (stable, see DESIGN.md) are ``sample-map``, ``color-by``, ``gene-map``,
``gene-search``, ``gene-neighbors`` and the ``export-*`` controls.
"""

from __future__ import annotations

# --- page / state
URL = "url"
ALERTS = "alerts"
DATASET_INFO = "dataset-info"
SIMULATED_BADGE = "simulated-badge"
MODEL_INFO = "model-info"
MODEL_STATUS = "model-status"  # dcc.Store {"ready": bool, "key": str | None}
TRAIN_REQUEST = "train-request"  # dcc.Store: set when a training job must start
TRAINED_KEY = "trained-key"  # dcc.Store: written by the training job
STATUS_POLL = "status-poll"  # dcc.Interval: polls the model status until it is ready
TRAIN_PANEL = "train-panel"
TRAIN_PROGRESS = "train-progress"
TRAIN_PROGRESS_LABEL = "train-progress-label"
TRAIN_PROGRESS_BOX = "train-progress-box"  # the progress label and bar (hidden once stopped)
TRAIN_RUNNING = "train-running"  # dcc.Store: True while the training job runs, then False
TRAIN_STOPPED = "train-stopped"  # what the page says when the training job stopped early
TRAIN_STOPPED_TEXT = "train-stopped-text"
TRAIN_RETRY = "train-retry"
SHARE_LINK = "share-link"
SHARE_COPY = "share-copy"  # dcc.Clipboard: copies the link to this view
SHARE_NOTE = "share-note"  # under the link: what it leaves out (placed samples, ...)

# --- sample map
SAMPLE_MAP = "sample-map"
SAMPLE_MAP_KIND = "sample-map-kind"  # dcc.Store: what the figure shows now (for Patch updates)
COLOR_BY = "color-by"
GENE_LIST = "gene-list"
GENE_LIST_APPLY = "gene-list-apply"
GENE_LIST_UPLOAD = "gene-list-upload"
CLIP = "clip-percentiles"
SELECTION = "selection"  # dcc.Store: selected sample indices
SELECTION_INFO = "selection-info"
SELECTION_GENES = "selection-genes"  # DataTable of genes specific to the selection
SELECTION_GENES_STORE = "selection-genes-store"
SELECTION_GENES_HEAD = "selection-genes-head"  # the specific-genes table's heading
#: RadioItems by that heading: the genes higher in the selection, or lower (a link's ``dir``)
SPECIFIC_DIRECTION = "specific-direction"
#: Buttons by the selection: keep it as the reference group the next selection's specific
#: genes are scored against (the ``selection`` store's ``reference``), and drop it
REFERENCE_KEEP = "reference-keep"
REFERENCE_CLEAR = "reference-clear"
#: Selecting samples by a label of theirs (the tissue, or the category the map is coloured by):
#: the labels chosen, the button that selects their samples, and "among the selected samples"
LABEL_SELECT = "label-select"
LABEL_SELECT_APPLY = "label-select-apply"
LABEL_SELECT_WITHIN = "label-select-within"
#: Button by the specific-genes table: lists its genes in the gene tables (``gene-selection``)
SELECTION_GENES_GO = "selection-genes-go"
PROBE = "probe"  # panel with the in-silico probe result
#: dcc.Store ``{"x", "y", "n"}``: the place clicked on the sample map's plot area, in data
#: coordinates (written by assets/probe.js; ``n`` counts the clicks)
PROBE_CLICK = "probe-click"
PLACE_UPLOAD = "place-upload"  # dcc.Upload: a matrix of new samples to place on the map
PLACE_TRANSFORM = "place-transform"  # apply the training data's log transform to the upload
PLACE_CLEAR = "place-clear"
PLACE_INFO = "place-info"
PLACE_RUNNING = "place-running"  # says that an upload is being placed (it may take minutes)
PLACED = "placed-samples"  # dcc.Store: the placed samples (records)
PLACED_TABLE = "placed-table"
EXPORT_PLACED_CSV = "export-placed-csv"
PLACED_DOWNLOAD = "placed-download"
PROBE_GENES = "probe-genes"
PROBE_SAMPLES = "probe-samples"

# --- gene space
GENE_MAP = "gene-map"
GENE_COLOR = "gene-color"  # colour the gene map by gene type or a GO term
GENE_SEARCH = "gene-search"
GENE_NEIGHBORS = "gene-neighbors"
NEIGHBORS_INFO = "neighbors-info"  # what the neighbour table lists, or how to fill it
GENE_ENRICHMENT = "gene-enrichment"
GO_SOURCE = "go-source"
FOCUS_GENE = "focus-gene"  # dcc.Store: the gene in focus (symbol) or None
#: dcc.Store ``{"genes": [symbol, ...]}``: the genes of a box or lasso on the gene map, or None;
#: with ``"source"`` (``specific to the selection of 863 samples``) when the button by the
#: specific-genes table (``selection-genes-go``) put them there
GENE_SELECTION = "gene-selection"
NEIGHBORS_K = "neighbors-k"

# --- baselines side by side
BASELINES_BUTTON = "baselines-button"
BASELINES_GRAPH = "baselines-graph"
BASELINES_TABLE = "baselines-table"
BASELINES_PROGRESS = "baselines-progress"
BASELINES_RUNNING = "baselines-running"  # dcc.Store: True while the job runs, then False
BASELINES_REQUEST = "baselines-request"  # dcc.Store: {"id"}, new at each click of the button
BASELINES_POLL = "baselines-poll"  # dcc.Interval: a job started by an earlier page
BASELINES_SHARE = "baselines-share"  # share of labelled samples 1-NN learns from
BASELINES_NOTE = "baselines-note"  # what the 1-NN accuracies mean here
BASELINES_PER_CLASS = "baselines-per-class"  # 1-NN learns from the share of each class

# --- export
EXPORT_FIGURE = "export-figure"
EXPORT_FORMAT = "export-format"
EXPORT_SIZE = "export-size"
EXPORT_BUTTON = "export-button"
EXPORT_DOWNLOAD = "export-download"
EXPORT_NEIGHBORS_CSV = "export-neighbors-csv"
EXPORT_ENRICHMENT_CSV = "export-enrichment-csv"
EXPORT_SELECTION_CSV = "export-selection-csv"
EXPORT_SELECTION_GENES_CSV = "export-selection-genes-csv"
EXPORT_SAMPLE_MAP_CSV = "export-sample-map-csv"  # every sample of the map, as coloured
EXPORT_GENE_MAP_CSV = "export-gene-map-csv"  # every gene of the gene space, as coloured
EXPORT_CSV_DOWNLOAD = "export-csv-download"
MAP_ZOOM = "map-zoom"  # dcc.Store: the axis ranges each map is zoomed to in the page
