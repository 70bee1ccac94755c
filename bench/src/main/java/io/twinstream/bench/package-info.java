/**
 * Benchmarks: JMH micro-benchmarks (encoder, matrix multiply ceiling, trainer state) and
 * whole-process harnesses (embedding process, streaming job, hot swap, training), each measuring
 * against a baseline run in the same process. Results and commands are in docs/benchmarks.md.
 */
package io.twinstream.bench;
