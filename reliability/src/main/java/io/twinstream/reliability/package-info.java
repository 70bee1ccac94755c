/**
 * The reliability suite: each case runs the job as a {@code twinstream run} process against a real
 * broker, injects one kind of failure (SIGKILL, a broker restart, fuzzed records, bad models, a
 * registry that goes away) and audits the {@code read_committed} output: records lost, records
 * duplicated. {@link io.twinstream.reliability.ReliabilitySuite} runs them from the command line;
 * the integration tests run them at a size that fits CI. Results are in docs/reliability.md.
 */
package io.twinstream.reliability;
