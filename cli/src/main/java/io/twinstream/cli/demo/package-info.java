/**
 * The parts of {@code twinstream demo} that are not orchestration: simulated users ({@link
 * io.twinstream.cli.demo.SimulatedUsers}) searching a version's vectors ({@link
 * io.twinstream.cli.demo.CorpusVectors}), the report's metric ({@link
 * io.twinstream.cli.demo.TestQueries}), and the report and its chart ({@link
 * io.twinstream.cli.demo.DemoReport}, {@link io.twinstream.cli.demo.Chart}). Topics are tailed with
 * the test kit's {@code TopicTail}.
 */
package io.twinstream.cli.demo;
