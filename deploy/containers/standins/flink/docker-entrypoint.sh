#!/bin/bash
# The official Flink image's entrypoint, in short: FLINK_PROPERTIES lines replace or add keys of config.yaml,
# then the JobManager (session: jobmanager; application mode: standalone-job), or a TaskManager, runs in the
# foreground as the flink user, with the JVM memory options and dynamic settings Flink's BashJavaUtils derives
# from the configuration — what bin/jobmanager.sh and bin/taskmanager.sh do.
set -euo pipefail
home=/opt/flink
conf="$home/conf/config.yaml"

if [[ "$(id -u)" == 0 ]]; then
  exec setpriv --reuid=flink --regid=flink --init-groups "${BASH_SOURCE[0]}" "$@"
fi

if [[ -n "${FLINK_PROPERTIES:-}" ]]; then
  while IFS= read -r line; do
    key="$(sed -E 's/^[[:space:]]*([^:#[:space:]]+)[[:space:]]*:.*$/\1/' <<<"$line")"
    [[ -z "$line" || "$key" == "$line" ]] && continue
    grep -v -E "^${key//./\\.}[[:space:]]*:" "$conf" >"$conf.new" || true
    mv "$conf.new" "$conf"
    printf '%s\n' "$line" >>"$conf"
  done <<<"$FLINK_PROPERTIES"
fi

opens=(--add-exports=java.base/sun.net.util=ALL-UNNAMED --add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED)
for p in java.lang java.net java.io java.nio sun.nio.ch java.lang.reflect java.text java.time java.util \
  java.util.concurrent java.util.concurrent.atomic java.util.concurrent.locks; do
  opens+=("--add-opens=java.base/$p=ALL-UNNAMED")
done

case "${1:-help}" in
  jobmanager)
    role=jobmanager params=GET_JM_RESOURCE_PARAMS
    main=(org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint) ;;
  standalone-job)
    role=jobmanager params=GET_JM_RESOURCE_PARAMS
    main=(org.apache.flink.container.entrypoint.StandaloneApplicationClusterEntryPoint) ;;
  taskmanager)
    role=taskmanager params=GET_TM_RESOURCE_PARAMS
    main=(org.apache.flink.runtime.taskexecutor.TaskManagerRunner) ;;
  help)
    echo "usage: (jobmanager|standalone-job [--job-classname CLASS] [ARGS]|taskmanager|COMMAND)"
    exit 0 ;;
  *) exec "$@" ;;
esac
shift

classpath="$home/lib/*"
derived="$(java -cp "$classpath" org.apache.flink.runtime.util.bash.BashJavaUtils "$params" \
  --configDir "$home/conf" 2>&1)" || { echo "$derived" >&2; exit 1; }
results="$(sed -n 's/^BASH_JAVA_UTILS_EXEC_RESULT://p' <<<"$derived")"
jvm="$(sed -n 1p <<<"$results")"
dynamic="$(sed -n 2p <<<"$results")"
echo "Starting the $role: JVM $jvm; $dynamic"
# shellcheck disable=SC2086 # the derived options are words
exec java $jvm "${opens[@]}" ${FLINK_ENV_JAVA_OPTS:-} \
  -Dlog.file="$home/log/$role.log" \
  -Dlog4j.configuration="file:$home/conf/log4j-console.properties" \
  -Dlog4j.configurationFile="file:$home/conf/log4j-console.properties" \
  -classpath "$classpath" "${main[@]}" --configDir "$home/conf" $dynamic "$@"
