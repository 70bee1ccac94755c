package io.twinstream.store;

import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.postgresql.PostgreSQLContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The pgvector store against the official pgvector image (PostgreSQL 17 with pgvector), for
 * machines with a Docker engine; skipped without one. The same contract as {@link PgVectorStoreIT}
 * on PGlite, on a native PostgreSQL server.
 */
@Testcontainers(disabledWithoutDocker = true)
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
