/* The result folder of `simcon run`: every file name and every CSV column,
 * named once.
 *
 * Purpose: the stages of core/run write these files and core/report reads
 * them back for figures and report.html; both sides take the names from
 * here, so a renamed column cannot leave a reader looking for the old one.
 * To add a column: add its SC_COL_ name (if new) and put it into the
 * file's SC_HDR_ line at the place where the writer prints it.
 * What each column means: the header comment of the stage that writes the
 * file (core/run/run_*.c). */
#ifndef SC_RESULTS_SCHEMA_H
#define SC_RESULTS_SCHEMA_H

/* ## Files and folders (relative to the result folder) */

#define SC_RES_MODELS "models.csv"
#define SC_RES_DATASETS "datasets.csv"
#define SC_RES_CONSISTENCY "consistency.csv"
#define SC_RES_CONTRASTS "contrasts.csv"
#define SC_RES_BEHAVIOUR "behaviour.csv"
#define SC_RES_MANIFEST "manifest.json"
#define SC_RES_REPORT "report.html"
/* similarity/<dataset>/<metric>.csv: the m x m matrices. */
#define SC_RES_SIMILARITY_DIR "similarity"
/* behaviour/<dataset>/gap.csv: accuracy gaps |acc_i - acc_j|. */
#define SC_RES_BEHAVIOUR_DIR "behaviour"
#define SC_RES_GAP "gap.csv"
#define SC_RES_TABLES_DIR "tables"
/* figures/<name>.svg (.pdf, .png) and their list, figures/index.tsv. */
#define SC_RES_FIGURES_DIR "figures"
#define SC_RES_FIGURES_INDEX "figures/index.tsv"
/* tables/<prefix><name>.csv, .md and .tex (name: metric or attribute). */
#define SC_RES_SIMILARITY_SUMMARY "tables/similarity_summary_"
#define SC_RES_CONSISTENCY_MATRIX "tables/consistency_matrix_"
#define SC_RES_CONSISTENCY_BY "tables/consistency_by_"
/* Cached similarity matrices (not part of the result). */
#define SC_RES_CACHE_DIR ".cache"

/* ## Columns */

#define SC_COL_METRIC "metric"
#define SC_COL_MODEL "model"
#define SC_COL_MODEL_A "model_a"
#define SC_COL_MODEL_B "model_b"
#define SC_COL_DATASET "dataset"
#define SC_COL_DATASET_A "dataset_a"
#define SC_COL_DATASET_B "dataset_b"
#define SC_COL_DOMAIN "domain"
#define SC_COL_N_STIMULI "n_stimuli"
#define SC_COL_N_USED "n_used"
#define SC_COL_MODEL_SET "model_set"
#define SC_COL_N_PAIRS "n_pairs"
#define SC_COL_N_DATASETS "n_datasets"
#define SC_COL_N_DATASET_PAIRS "n_dataset_pairs"
#define SC_COL_ATTRIBUTE "attribute"
#define SC_COL_CATEGORY_A "category_a"
#define SC_COL_CATEGORY_B "category_b"
#define SC_COL_N_MODELS_A "n_models_a"
#define SC_COL_N_MODELS_B "n_models_b"
#define SC_COL_R "r"
#define SC_COL_MEAN "mean"
#define SC_COL_STD "std"
#define SC_COL_MEDIAN "median"
#define SC_COL_Q1 "q1"
#define SC_COL_Q3 "q3"
#define SC_COL_MEAN_A "mean_a"
#define SC_COL_MEAN_B "mean_b"
#define SC_COL_MEAN_A_LO "mean_a_lo"
#define SC_COL_MEAN_A_HI "mean_a_hi"
#define SC_COL_MEAN_B_LO "mean_b_lo"
#define SC_COL_MEAN_B_HI "mean_b_hi"
#define SC_COL_EFFECT "effect"
#define SC_COL_NULL_MEAN "null_mean"
#define SC_COL_CI_LO "ci_lo"
#define SC_COL_CI_HI "ci_hi"
#define SC_COL_P "p"
#define SC_COL_Q "q"
#define SC_COL_B "B"
#define SC_COL_SEED "seed"
#define SC_COL_CI_METHOD "ci_method"
#define SC_COL_N_PERM "n_perm"
#define SC_COL_NOTE "note"

/* ## Header lines, in the order the writers print the fields */

/* models.csv: model, then one column per metadata key (first appearance). */
#define SC_HDR_MODELS SC_COL_MODEL
/* clang-format off */
#define SC_HDR_DATASETS \
    SC_COL_DATASET "," SC_COL_DOMAIN "," SC_COL_N_STIMULI "," SC_COL_N_USED
/* Parts shared by the statistics tables: an interval, p and q, and how
 * the interval was made (replicates, task seed, method). */
#define SC_HDR_CI SC_COL_CI_LO "," SC_COL_CI_HI
#define SC_HDR_PQ SC_COL_P "," SC_COL_Q
#define SC_HDR_BOOT SC_COL_B "," SC_COL_SEED "," SC_COL_CI_METHOD
/* The columns after the keys of consistency.csv and behaviour.csv (one
 * writer: sc_fmt_stat_tail in core/run). */
#define SC_HDR_ROW_STATS \
    SC_COL_R "," SC_HDR_CI "," SC_HDR_PQ "," SC_HDR_BOOT \
    "," SC_COL_N_PERM "," SC_COL_NOTE
#define SC_HDR_CONSISTENCY \
    SC_COL_METRIC "," SC_COL_DATASET_A "," SC_COL_DATASET_B \
    "," SC_COL_MODEL_SET "," SC_COL_N_PAIRS "," SC_HDR_ROW_STATS
#define SC_HDR_BEHAVIOUR \
    SC_COL_METRIC "," SC_COL_DATASET "," SC_COL_DOMAIN "," SC_COL_N_PAIRS \
    "," SC_HDR_ROW_STATS
#define SC_HDR_CONTRASTS \
    SC_COL_METRIC "," SC_COL_ATTRIBUTE "," SC_COL_CATEGORY_A \
    "," SC_COL_CATEGORY_B "," SC_COL_N_MODELS_A "," SC_COL_N_MODELS_B \
    "," SC_COL_MEAN_A "," SC_COL_MEAN_B "," SC_COL_EFFECT "," SC_HDR_CI \
    "," SC_HDR_PQ "," SC_HDR_BOOT "," SC_COL_MEAN_A_LO "," SC_COL_MEAN_A_HI \
    "," SC_COL_MEAN_B_LO "," SC_COL_MEAN_B_HI "," SC_COL_NULL_MEAN \
    "," SC_COL_N_PERM "," SC_COL_NOTE
#define SC_HDR_SIMILARITY_SUMMARY \
    SC_COL_MODEL_A "," SC_COL_MODEL_B "," SC_COL_MEAN "," SC_COL_STD \
    "," SC_COL_N_DATASETS "," SC_COL_NOTE
#define SC_HDR_CONSISTENCY_BY \
    SC_COL_METRIC "," SC_COL_MODEL_SET "," SC_COL_N_DATASET_PAIRS \
    "," SC_COL_MEDIAN "," SC_HDR_CI "," SC_COL_Q1 "," SC_COL_Q3 \
    "," SC_HDR_BOOT "," SC_COL_NOTE
/* clang-format on */
/* tables/consistency_matrix_<metric>.csv: an empty first cell, then one
 * column per dataset; no fixed names. */

#endif
