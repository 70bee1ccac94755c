/**
 * Training and evaluation data from files: pairs, triplets and labelled pairs in JSONL or STS TSV,
 * BEIR retrieval sets, with bad lines reported by file and line.
 */
package io.twinstream.trainer.data;
