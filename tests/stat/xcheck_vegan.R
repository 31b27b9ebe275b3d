# Cross-check of simcon's Mantel test against R's vegan::mantel on
# tests/stat/data/xcheck_{a,b}.csv (written by xcheck_data.py).
# Run: Rscript tests/stat/xcheck_vegan.R > tests/stat/xcheck_vegan.out
# The output is read by the slow test stat.xcheck_vegan (stat_validate.c),
# which runs simcon's own test with B = 9999 and checks that the p-values
# agree within Monte-Carlo error. vegan's p = (1 + #{T* >= T - eps})/(1+B),
# one-sided "greater", permuting the rows and columns of one matrix.
suppressPackageStartupMessages(library(vegan))
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE),
                                        value = TRUE)))
read_sim <- function(f) {
  s <- as.matrix(read.csv(f, row.names = 1, check.names = FALSE))
  s
}
a <- read_sim(file.path(here, "data", "xcheck_a.csv"))
b <- read_sim(file.path(here, "data", "xcheck_b.csv"))
b <- b[rownames(a), colnames(a)]  # match models by name
set.seed(20241127)
cat(sprintf("# R %s vegan %s permute %s\n", getRversion(),
            packageVersion("vegan"), packageVersion("permute")))
B <- 99999
for (meth in c("pearson", "spearman")) {
  # as.dist takes the lower triangle; the matrices are symmetric.
  m <- mantel(as.dist(a), as.dist(b), method = meth, permutations = B)
  cat(sprintf("vegan %s r %.17g p %.17g B %d\n", meth, m$statistic,
              m$signif, B))
}
