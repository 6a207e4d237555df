# The image the Deployment runs: driftwatch plus the baselines, for baselines too large for a
# ConfigMap (1 MiB). Baselines are immutable per model version, so the image tag versions them
# and every replica reads byte-identical files (results must not depend on which pod evaluates).
#
# Build with the baselines directory (<model>/<version>.json, as `driftwatch baseline build`
# writes it) as the context:
#   docker build -f deploy/kubernetes/baselines.Dockerfile \
#     --build-arg DRIFTWATCH_IMAGE=registry.example.com/ml/driftwatch:0.1.0 \
#     -t registry.example.com/ml/driftwatch-with-baselines:0.1.0-20261123 path/to/baselines
# then set that tag in kustomization.yaml (images:) and apply: a new baseline is a rollout.
ARG DRIFTWATCH_IMAGE=driftwatch:0.1.0
FROM ${DRIFTWATCH_IMAGE}
COPY . /var/lib/driftwatch/baselines/
# A broken or tampered file fails the build here, not a pod at start-up.
RUN set -e; for f in $(find /var/lib/driftwatch/baselines -mindepth 2 -maxdepth 2 -name '*.json'); do \
      node dist/src/cli.js baseline validate "$f"; \
    done
