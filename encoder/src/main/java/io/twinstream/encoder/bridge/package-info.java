/**
 * Query bridges: a small map from a newer model version's vector space into an older one's, fitted
 * on texts both versions embedded, so that queries embedded by the newer version can search the
 * older version's vectors while the newer one is backfilled. Plain Java.
 */
package io.twinstream.encoder.bridge;
