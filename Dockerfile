# Node: the current LTS line (26) in the image; the code also runs on Node 20.19+, which CI tests.
FROM node:26-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src src
COPY detectors detectors
COPY alert-engine alert-engine

FROM deps AS build
RUN npm run build && npm prune --omit=dev

# The demo producer of docker-compose.yml (scripts/produce.ts): dev dependencies kept, for tsx.
FROM deps AS tools
COPY scripts scripts
COPY baselines baselines
USER node
ENTRYPOINT ["npx", "tsx"]
CMD ["scripts/produce.ts", "--brokers", "kafka:9092", "--topic", "predictions"]

FROM node:26-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY package.json ./
USER node
EXPOSE 9464
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["run", "--config", "/etc/driftwatch/driftwatch.yaml"]
