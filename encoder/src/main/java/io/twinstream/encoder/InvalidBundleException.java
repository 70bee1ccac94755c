package io.twinstream.encoder;

import java.util.Objects;

/**
 * A model bundle cannot be used: a file is missing, does not match its checksum, cannot be parsed,
 * or the model does not load. The message names the file; {@link #problem()} says what kind of
 * failure it was.
 */
public class InvalidBundleException extends Exception {

  private static final long serialVersionUID = 1L;

  /** What went wrong. */
  public enum Problem {
    /** A file the bundle needs does not exist. */
    MISSING_FILE,
    /** A file's SHA-256 differs from the one in the manifest. */
    CHECKSUM_MISMATCH,
    /** manifest.json (or an imported config file) is not valid or lacks a required field. */
    MALFORMED_MANIFEST,
    /** A file exists but cannot be read. */
    UNREADABLE,
    /** The ONNX model or tokenizer cannot be loaded, or does not fit the manifest. */
    INVALID_MODEL,
    /** A name that is neither a built-in bundle nor a directory. */
    UNKNOWN_BUNDLE,
    /** A registry path that resolves outside the registry's root (a symbolic link). */
    OUTSIDE_REGISTRY
  }

  private final Problem problem;
  private final String file;

  public InvalidBundleException(Problem problem, String file, String message) {
    this(problem, file, message, null);
  }

  public InvalidBundleException(Problem problem, String file, String message, Throwable cause) {
    super(file + ": " + message, cause);
    this.problem = Objects.requireNonNull(problem, "problem");
    this.file = Objects.requireNonNull(file, "file");
  }

  /** The kind of failure. */
  public Problem problem() {
    return problem;
  }

  /** The file (path or classpath location) the failure is about. */
  public String file() {
    return file;
  }
}
