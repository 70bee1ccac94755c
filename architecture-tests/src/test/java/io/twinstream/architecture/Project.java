package io.twinstream.architecture;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Where the project's modules and their build outputs are, seen from this module's tests. */
final class Project {

  private Project() {}

  /** The root of the checkout (the parent pom's directory). */
  static Path root() {
    String data = System.getProperty("twinstream.dataDir"); // set by the build to ROOT/data
    Path root = data != null ? Path.of(data).getParent() : Path.of("..");
    return root.toAbsolutePath().normalize();
  }

  /** The module directories: those with a pom.xml directly under the root. */
  static List<Path> modules() throws IOException {
    List<Path> out = new ArrayList<>();
    try (Stream<Path> children = Files.list(root())) {
      children.filter(d -> Files.isRegularFile(d.resolve("pom.xml"))).sorted().forEach(out::add);
    }
    return out;
  }

  /** The one file in {@code module}/target whose name matches {@code glob}. */
  static Path builtFile(String module, String glob) throws IOException {
    List<Path> found = new ArrayList<>();
    try (var stream = Files.newDirectoryStream(root().resolve(module).resolve("target"), glob)) {
      stream.forEach(found::add);
    }
    if (found.size() != 1) {
      throw new IllegalStateException(
          module + "/target/" + glob + " matched " + found + ": build the module first");
    }
    return found.get(0);
  }
}
