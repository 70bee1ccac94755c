/**
 * Retrieval tasks for evaluation and the demo: a generated domain whose code words the base model
 * does not know, one built from STS-benchmark pairs, or BEIR files; split into traffic, dev and
 * test queries.
 */
package io.twinstream.trainer.task;
