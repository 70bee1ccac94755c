/**
 * The {@code twinstream} command ({@link io.twinstream.cli.TwinstreamCli}) and its subcommands:
 * embed, run, produce, consume, model, train, eval, demo. Commands parse options and orchestrate;
 * the work is done by the modules below.
 */
package io.twinstream.cli;
