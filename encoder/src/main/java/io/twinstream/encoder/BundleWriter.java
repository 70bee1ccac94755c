package io.twinstream.encoder;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Writes a bundle's files into a directory, the manifest last, so a reader never sees a manifest
 * without its files.
 */
public final class BundleWriter {

  private BundleWriter() {}

  /**
   * Writes {@code bundle} into {@code dir} (created if absent; it must not already hold a
   * manifest).
   *
   * @throws IOException if the directory already holds a bundle or a file cannot be written
   */
  public static void write(ModelBundle bundle, Path dir) throws IOException {
    Files.createDirectories(dir);
    Path manifest = dir.resolve(BundleManifest.FILE_NAME);
    if (Files.exists(manifest)) {
      throw new IOException(
          manifest + ": a bundle already exists there; choose an empty directory");
    }
    for (var file : bundle.files().entrySet()) { // the manifest last
      writeDurably(dir.resolve(file.getKey()), file.getValue());
    }
  }

  private static void writeDurably(Path path, byte[] bytes) throws IOException {
    try (FileChannel channel =
        FileChannel.open(
            path,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      ByteBuffer buffer = ByteBuffer.wrap(bytes);
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
      channel.force(true);
    }
  }
}
