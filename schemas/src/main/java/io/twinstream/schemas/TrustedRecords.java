package io.twinstream.schemas;

import org.apache.avro.util.ClassSecurityValidator;

/**
 * Lets Avro 1.12 instantiate Twinstream's generated records. Avro refuses to load record classes
 * outside trusted packages when it resolves an older writer schema (or when Flink's Avro serializer
 * creates records); this adds {@code io.twinstream.records} to the process-wide trusted set,
 * keeping whatever was trusted before (including the {@code org.apache.avro.SERIALIZABLE_PACKAGES}
 * system property).
 */
public final class TrustedRecords {

  /** The package of the generated record classes. */
  public static final String PACKAGE = "io.twinstream.records";

  private static boolean installed;

  private TrustedRecords() {}

  /** Installs the trust once per class loader; later calls do nothing. */
  public static synchronized void install() {
    if (installed) {
      return;
    }
    ClassSecurityValidator.ClassSecurityPredicate previous = ClassSecurityValidator.getGlobal();
    ClassSecurityValidator.setGlobal(
        ClassSecurityValidator.composite(previous, type -> PACKAGE.equals(type.getPackageName())));
    installed = true;
  }
}
