/**
 * Losses on batch embeddings, each pure and checked against hand-worked values and finite
 * differences: multiple negatives ranking, contrastive, online contrastive, triplet, batch-hard
 * triplet, CoSENT.
 */
package io.twinstream.trainer.loss;
