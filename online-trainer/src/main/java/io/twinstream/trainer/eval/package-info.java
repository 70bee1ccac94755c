/**
 * Evaluators that score an embedding function and name their primary metric: retrieval (nDCG@10,
 * MRR@10, recall, MAP), semantic similarity (Spearman, Pearson) and binary classification.
 */
package io.twinstream.trainer.eval;
