# Independent reference values from R for tests/unit/test_stats_multi.c and
# a cross-check of the exact 4-model Mantel values in ref_unit.out.
# Run:  Rscript tests/stat/ref_unit.R > tests/stat/ref_unit_R.out
# (Debian bookworm: r-base-core 4.2.2, r-cran-vegan 2.6-4; versions are
# printed in the output's first line).
suppressPackageStartupMessages(library(vegan))
cat("# R", as.character(getRversion()), "vegan",
    as.character(packageVersion("vegan")), "\n")

# Benjamini & Hochberg (1995), JRSS-B 57:289, section 4.2: the 15 p-values
# of the Neuhaus et al. (1992) thrombolysis study. BH at q = 0.05 rejects
# the 4 smallest; Holm (like Bonferroni) rejects 3.
p <- c(0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344,
       0.0459, 0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.000)
op <- options(digits = 17)
cat("bh95.holm", sprintf("%.17g", p.adjust(p, "holm")), "\n")
cat("bh95.BH", sprintf("%.17g", p.adjust(p, "BH")), "\n")
cat("bh95.rejected_at_0.05 holm", sum(p.adjust(p, "holm") <= 0.05),
    "BH", sum(p.adjust(p, "BH") <= 0.05), "\n")
# Unsorted input with ties, to pin order handling.
p2 <- c(0.04, 0.01, 0.04, 0.20, 0.03)
cat("ties.holm", sprintf("%.17g", p.adjust(p2, "holm")), "\n")
cat("ties.BH", sprintf("%.17g", p.adjust(p2, "BH")), "\n")

# vegan::mantel on the 4-model example, every non-identity permutation
# given explicitly: vegan's p = (1 + #{T* >= T - eps}) / (1 + 23) is then
# the exact enumeration p.
A4 <- matrix(c(1, 0.812, 0.347, 0.559,  0.812, 1, 0.238, 0.691,
               0.347, 0.238, 1, 0.405,  0.559, 0.691, 0.405, 1), 4)
B4 <- matrix(c(1, 0.733, 0.291, 0.368,  0.733, 1, 0.412, 0.877,
               0.291, 0.412, 1, 0.154,  0.368, 0.877, 0.154, 1), 4)
perms <- allPerms(4)  # 23 rows, identity excluded
for (meth in c("pearson", "spearman")) {
  m <- mantel(as.dist(A4), as.dist(B4), method = meth, permutations = perms)
  cat(sprintf("vegan.mantel4.%s r %.17g p %.17g nperm %d\n", meth,
              m$statistic, m$signif, nrow(perms)))
}
