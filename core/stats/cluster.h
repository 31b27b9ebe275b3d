/* Hierarchical clustering for the "cluster" model order of the heat maps:
 * UPGMA (average linkage; Sokal & Michener 1958), hand-written because GSL
 * has none. Kept apart from the figures so that plotting and clustering
 * do not call each other. */
#ifndef SC_CLUSTER_H
#define SC_CLUSTER_H

#include <stddef.h>

#include "err.h"

/* UPGMA (average linkage) on the m x m distance matrix d (row-major,
 * symmetric, zero diagonal; only the upper triangle is read). Writes the
 * dendrogram's leaf order to order[m] and, if heights is not NULL, the m-1
 * merge heights in merge order to heights[m-1]. Conventions match
 * scipy.cluster.hierarchy.linkage(method="average") followed by leaves_list
 * when no two candidate distances tie: the closest pair of clusters merges
 * (ties: lowest cluster ids), the new cluster gets the next id, the child
 * with the lower id is drawn first. Hand-written (O(m^3), m <= a few
 * hundred models): GSL has no hierarchical clustering.
 * Statuses: SC_EINVAL (m == 0, non-finite distance), SC_ENOMEM. */
int sc_upgma(const double *d, size_t m, size_t *order, double *heights,
             sc_err *err);

#endif
