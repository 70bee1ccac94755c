package io.twinstream.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Where a local run keeps what must survive the process: Flink's checkpoints ({@code checkpoints/},
 * retained when the job is cancelled) and the embedded broker's data ({@code kafka/}). A run
 * started again with the same directory resumes from the latest completed checkpoint, with the
 * broker's topics as they were: what a Flink cluster with retained checkpoints gives. One process
 * uses a directory at a time ({@link #lock}); Flink's scratch files go to {@code tmp/}, emptied at
 * every start, so a killed run leaves nothing elsewhere.
 */
final class StateDirectory implements AutoCloseable {

  private final Path root;
  private final Path checkpoints;

  StateDirectory(Path root) {
    this(root, null);
  }

  /**
   * @param checkpoints where checkpoints are kept when not in {@code root/checkpoints} (a local
   *     checkpoint.dir of the user's), or null
   */
  StateDirectory(Path root, Path checkpoints) {
    this.root = root.toAbsolutePath().normalize();
    this.checkpoints =
        checkpoints != null
            ? checkpoints.toAbsolutePath().normalize()
            : this.root.resolve("checkpoints");
  }

  Path root() {
    return root;
  }

  /** Flink's checkpoint directory: {@code checkpoints/JOB_ID/chk-N/_metadata} below it. */
  Path checkpoints() {
    return checkpoints;
  }

  /** The embedded broker's data. */
  Path kafka() {
    return root.resolve("kafka");
  }

  /** Flink's scratch directory (io.tmp.dirs: blobs, spill files), emptied by {@link #lock}. */
  Path tmp() {
    return root.resolve("tmp");
  }

  private FileChannel lockFile;
  private FileLock lock;

  /**
   * Takes the directory for this process (released when it exits, however it exits) and empties
   * {@link #tmp}.
   *
   * @throws IllegalStateException if another process holds it
   */
  StateDirectory lock() throws IOException {
    Files.createDirectories(root);
    lockFile =
        FileChannel.open(root.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    lock = lockFile.tryLock();
    if (lock == null) {
      lockFile.close();
      throw new IllegalStateException(
          "state directory "
              + root
              + " is in use by another twinstream process; give this one its own --state-dir");
    }
    deleteTree(tmp());
    Files.createDirectories(tmp());
    return this;
  }

  @Override
  public void close() throws IOException {
    if (lockFile != null) {
      lockFile.close(); // releases the lock
    }
  }

  /**
   * Deletes the checkpoints of earlier jobs except the job directory holding {@code keep}: a job
   * restored from a retained checkpoint writes full checkpoints of its own (Flink's NO_CLAIM mode),
   * so nothing older is needed once it resumes, and the directory does not grow with every run.
   */
  void pruneCheckpointsExcept(Optional<Path> keep) throws IOException {
    if (!Files.isDirectory(checkpoints())) {
      return;
    }
    Path keepJob = keep.map(Path::getParent).orElse(null);
    List<Path> jobs;
    try (Stream<Path> s = Files.list(checkpoints())) {
      jobs = s.filter(Files::isDirectory).toList();
    }
    for (Path job : jobs) {
      if (!job.equals(keepJob)) {
        deleteTree(job);
      }
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.deleteIfExists(p);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  /**
   * The latest completed checkpoint of any job run with this directory (a {@code chk-N} directory
   * with its {@code _metadata}, the file Flink writes last), or empty.
   */
  Optional<Path> latestCheckpoint() throws IOException {
    if (!Files.isDirectory(checkpoints())) {
      return Optional.empty();
    }
    try (Stream<Path> files =
        Files.find(checkpoints(), 3, (p, a) -> isMetadata(p) && a.isRegularFile())) {
      return files.max(Comparator.comparing(StateDirectory::modified)).map(Path::getParent);
    }
  }

  private static boolean isMetadata(Path p) {
    return p.getFileName().toString().equals("_metadata")
        && p.getParent().getFileName().toString().startsWith("chk-");
  }

  private static FileTime modified(Path p) {
    try {
      return Files.getLastModifiedTime(p);
    } catch (IOException e) {
      return FileTime.fromMillis(0);
    }
  }
}
