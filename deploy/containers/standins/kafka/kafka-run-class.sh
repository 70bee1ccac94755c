#!/bin/bash
# Runs a class of the broker's jars, as Kafka's own script does (logs to stderr for the tools).
exec java ${KAFKA_HEAP_OPTS:--Xmx256m} ${KAFKA_OPTS:-} \
  -Dlog4j2.configurationFile=/opt/kafka/config/log4j2.properties \
  -cp "/opt/kafka/libs/*" "$@"
