package io.twinstream.store;

import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.postgresql.PostgreSQLContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The pgvector store against the pgvector image (PostgreSQL 17 with pgvector; where no registry is
 * reachable, the stand-in deploy/containers/engine.sh builds), for machines with a Docker engine;
 * skipped without one, except in CI, where it must run ({@link DockerEngine}). The same contract as
 * {@link PgVectorStoreIT} on PGlite, on a native PostgreSQL server.
 */
@ExtendWith(DockerEngine.class)
@Testcontainers
class PgVectorStoreContainerIT extends VectorStoreContract {

  @Container
  static final PostgreSQLContainer POSTGRES =
      new PostgreSQLContainer(
          DockerImageName.parse("pgvector/pgvector:pg17").asCompatibleSubstituteFor("postgres"));

  private final AtomicInteger tables = new AtomicInteger();
  private String last;

  private static Properties credentials() {
    Properties p = new Properties();
    p.setProperty("user", POSTGRES.getUsername());
    p.setProperty("password", POSTGRES.getPassword());
    return p;
  }

  @Override
  VectorStore open() {
    last = "vectors_" + System.identityHashCode(this) + "_" + tables.incrementAndGet();
    return PgVectorStore.open(POSTGRES.getJdbcUrl(), credentials(), last, DIM);
  }

  @Override
  VectorStore reopen(VectorStore store) {
    store.close();
    return PgVectorStore.open(POSTGRES.getJdbcUrl(), credentials(), last, DIM);
  }
}
