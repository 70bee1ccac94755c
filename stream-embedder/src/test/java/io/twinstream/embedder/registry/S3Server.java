package io.twinstream.embedder.registry;

import java.net.URI;
import java.util.Properties;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.fs.FileSystem;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.BlobStoreContext;

/**
 * A real S3-compatible server in the test JVM (S3Proxy over an in-memory blob store, with AWS
 * signature checking), and Flink's S3 file system (the presto plugin, on the test classpath)
 * pointed at it.
 */
final class S3Server implements AutoCloseable {

  static final String ACCESS_KEY = "twinstream-access";
  static final String SECRET_KEY = "twinstream-secret";

  private final BlobStoreContext context;
  private final S3Proxy proxy;

  private S3Server(BlobStoreContext context, S3Proxy proxy) {
    this.context = context;
    this.proxy = proxy;
  }

  /**
   * Starts the server with the given buckets and makes {@code s3://} reach it from Flink's file
   * systems.
   */
  static S3Server start(String... buckets) throws Exception {
    BlobStoreContext context =
        ContextBuilder.newBuilder("transient")
            .credentials("identity", "credential")
            .overrides(new Properties())
            .build(BlobStoreContext.class);
    BlobStore store = context.getBlobStore();
    for (String bucket : buckets) {
      store.createContainerInLocation(null, bucket);
    }
    S3Proxy proxy =
        S3Proxy.builder()
            .blobStore(store)
            .endpoint(URI.create("http://127.0.0.1:0"))
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
            .build();
    proxy.start(); // Jetty's start returns once the server listens
    if (!"STARTED".equals(proxy.getState())) {
      throw new IllegalStateException("S3Proxy did not start: " + proxy.getState());
    }
    Configuration conf = new Configuration();
    conf.setString("s3.endpoint", "http://127.0.0.1:" + proxy.getPort());
    conf.setString("s3.path.style.access", "true");
    conf.setString("s3.access-key", ACCESS_KEY);
    conf.setString("s3.secret-key", SECRET_KEY);
    FileSystem.initialize(conf, null);
    return new S3Server(context, proxy);
  }

  @Override
  public void close() throws Exception {
    try {
      proxy.stop();
    } finally {
      context.close();
      FileSystem.initialize(new Configuration(), null);
    }
  }
}
