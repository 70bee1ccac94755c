package io.twinstream.trainer;

/**
 * DJL PyTorch settings Twinstream relies on, applied before the engine loads unless the user set
 * them: offline (the native library comes from the {@code pytorch-native-cpu} jar, never
 * downloaded) and one compute thread per core (DJL's default here is one thread), one inter-op
 * thread.
 */
public final class TorchDefaults {

  private TorchDefaults() {}

  /**
   * Sets the defaults as system properties where they are not set; call before the first DJL use.
   */
  public static void apply() {
    setIfAbsent("ai.djl.offline", "true");
    setIfAbsent(
        "ai.djl.pytorch.num_threads", Integer.toString(Runtime.getRuntime().availableProcessors()));
    setIfAbsent("ai.djl.pytorch.num_interop_threads", "1");
  }

  private static void setIfAbsent(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }
}
