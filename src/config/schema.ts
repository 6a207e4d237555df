import { z } from 'zod';
import {
  CATEGORICAL_METHODS,
  DEFAULT_CORRECTION,
  DEFAULT_DRIFT_SETTINGS,
  NUMERIC_METHODS,
} from '../../detectors/index.js';
import { byteSizeSchema } from './byte-size.js';
import { durationSchema } from './duration.js';
import { DEFAULT_BASELINE_FILE_SIZE, MAX_BASELINE_FILE_SIZE } from '../baseline/limits.js';
import { brokerSchema, hostSchema, httpUrlSchema } from './network.js';
import { inputSchema } from './input.js';
import { schemaRegistrySchema } from './schema-registry.js';
import { clientTlsSchema, envName, kafkaSaslSchema, kafkaSslSchema } from './security-schema.js';
import type { PemMaterial } from './tls-files.js';

const kafkaSchema = z.strictObject({
  brokers: z.array(brokerSchema).min(1),
  clientId: z.string().min(1).default('driftwatch'),
  groupId: z.string().min(1).default('driftwatch'),
  topic: z.string().min(1),
  deadLetterTopic: z.string().min(1),
  /** Where a consumer group with no committed offset starts. */
  fromBeginning: z.boolean().default(true),
  /**
   * How long the group waits for a silent member (e.g. killed) before reassigning its
   * partitions. kafkajs heartbeats between batches, so a batch must be processed well within it:
   * shorter sessions expire mid-batch and the group loops on the same uncommitted batch.
   * Above 5m, brokers with the older or managed-service group.max.session.timeout.ms refuse it.
   */
  sessionTimeout: durationSchema
    .refine((ms) => ms >= 10_000, 'expected at least 10s (heartbeats come between batches)')
    .refine((ms) => ms <= 300_000, 'expected at most 5m (the broker limit on many clusters)')
    .default(30_000),
  /**
   * Most bytes fetched per partition at a time (kafkajs maxBytesPerPartition): bounds a batch,
   * and so the time between two heartbeats. Kafka still returns a single larger record batch
   * whole; above 10 MiB kafkajs' own per-fetch limit (maxBytes) would cap it anyway.
   */
  maxBatchBytes: z
    .number()
    .int()
    .min(16_384, 'expected at least 16384 bytes (16 KiB)')
    .max(10_485_760, 'expected at most 10485760 bytes (10 MiB)')
    .default(1_048_576),
  /** TLS to the brokers (README "Connecting to your cluster"); absent: plaintext. */
  ssl: kafkaSslSchema.optional(),
  /** SASL authentication: plain, scram-sha-256, scram-sha-512 or oauthbearer. */
  sasl: kafkaSaslSchema.optional(),
});

const influxSchema = z.strictObject({
  url: httpUrlSchema,
  org: z.string().min(1),
  bucket: z.string().min(1),
  /** Name of the environment variable holding the token; the token never sits in the file. */
  tokenEnv: envName.default('INFLUX_TOKEN'),
  measurement: z.string().min(1).default('drift'),
  /** With an https:// url: a private CA, or no verification. */
  tls: clientTlsSchema.optional(),
});

const windowsSchema = z
  .strictObject({
    size: durationSchema.refine((ms) => ms > 0, 'expected a window size > 0').default(300_000),
    /**
     * More window sizes per model (a daily view beside the 5-minute one), each a multiple of
     * `size`: every event also counts in a window of each; the `window` tag tells them apart.
     */
    additionalSizes: z.array(durationSchema).max(4).default([]),
    /**
     * Hopping windows: at every `size` window end, a view of each of these lengths (multiples of
     * `size`) merged from the last panes, e.g. 1h every 5m.
     */
    hopping: z.array(durationSchema).max(4).default([]),
    /**
     * Count windows: per model version, whole base windows merged until they hold `events`
     * predictions (or span `maxSpan`), each emitted as the series `window=count:<events>`.
     */
    count: z
      .strictObject({
        events: z.number().int().min(1).max(1_000_000_000),
        maxSpan: durationSchema.prefault('1d'),
      })
      .optional(),
    /** How far behind the newest event time the watermark trails; later events are late. */
    allowedLateness: durationSchema.default(0),
    /** Events stamped further than this into the future (wall clock) go to the dead-letter topic. */
    maxFutureSkew: durationSchema.default(600_000),
    /** An assigned partition with nothing to read stops holding the watermark back after this long. */
    idleTimeout: durationSchema.default(30_000),
  })
  .superRefine((w, ctx) => {
    // Every length once: a hopping length already includes the tumbling windows of it.
    const seen = new Set<number>([w.size]);
    for (const key of ['hopping', 'additionalSizes'] as const) {
      w[key].forEach((ms, i) => {
        if (ms <= w.size || ms % w.size !== 0 || seen.has(ms)) {
          ctx.addIssue({
            code: 'custom',
            path: [key, i],
            message: `expected a multiple of windows.size (${w.size} ms) larger than it, each once`,
          });
        }
        seen.add(ms);
      });
    }
    if (w.count && w.count.maxSpan < w.size) {
      ctx.addIssue({
        code: 'custom',
        path: ['count', 'maxSpan'],
        message: `expected at least windows.size (${w.size} ms)`,
      });
    }
    // A restart re-reads the partials of a running count window or a hopping view's panes; the
    // partials topic keeps 7 days, and half of it leaves room for lateness and a stalled stage.
    const longest = [
      ...w.hopping.map((ms, i) => ({ ms, path: ['hopping', i] })),
      ...(w.count ? [{ ms: w.count.maxSpan, path: ['count', 'maxSpan'] }] : []),
    ];
    for (const { ms, path } of longest) {
      if (ms > MAX_PANE_SPAN_MS) {
        ctx.addIssue({
          code: 'custom',
          path,
          message: `expected at most 3d: a restart re-reads this span of the partials topic, which keeps 7 days`,
        });
      }
    }
  });

/** The longest span of panes a restart may re-read (the partials topic keeps 7 days). */
export const MAX_PANE_SPAN_MS = 3 * 86_400_000;

const thresholdsSchema = z.strictObject({
  psi: z.number().positive().default(DEFAULT_DRIFT_SETTINGS.thresholds.psi),
  psiWarning: z.number().positive().default(DEFAULT_DRIFT_SETTINGS.thresholds.psiWarning),
  /** PSI flags only beyond sampling noise at this level (1: off); see README. */
  psiAlpha: z.number().gt(0).max(1).default(DEFAULT_DRIFT_SETTINGS.thresholds.psiAlpha),
  ks: z.number().gt(0).lt(1).default(DEFAULT_DRIFT_SETTINGS.thresholds.ks),
  chiSquare: z.number().gt(0).lt(1).default(DEFAULT_DRIFT_SETTINGS.thresholds.chiSquare),
  wasserstein: z.number().positive().default(DEFAULT_DRIFT_SETTINGS.thresholds.wasserstein),
  jensenShannon: z.number().gt(0).max(1).default(DEFAULT_DRIFT_SETTINGS.thresholds.jensenShannon),
  hellinger: z.number().gt(0).max(1).default(DEFAULT_DRIFT_SETTINGS.thresholds.hellinger),
});

const methodList = <T extends string>(methods: readonly [T, ...T[]]) =>
  z
    .array(z.enum(methods))
    .min(1)
    .refine((list) => new Set(list).size === list.length, 'expected each method once');

const driftSchema = z
  .strictObject({
    methods: z
      .strictObject({
        numeric: methodList(NUMERIC_METHODS).default([...DEFAULT_DRIFT_SETTINGS.numericMethods]),
        categorical: methodList(CATEGORICAL_METHODS).default(['chi_square', 'psi']),
      })
      .prefault({}),
    thresholds: thresholdsSchema.prefault({}),
    /** Windows with fewer non-missing values of a feature report insufficient_data. */
    minSamples: z.number().int().min(1).default(DEFAULT_DRIFT_SETTINGS.minSamples),
    psiEpsilon: z.number().positive().max(0.01).default(DEFAULT_DRIFT_SETTINGS.psiEpsilon),
    /** Bins expecting fewer window values are pooled before PSI / chi-square decide. */
    minExpected: z
      .strictObject({
        psi: z.number().positive().default(DEFAULT_DRIFT_SETTINGS.minExpected.psi),
        chiSquare: z.number().positive().default(DEFAULT_DRIFT_SETTINGS.minExpected.chiSquare),
      })
      .prefault({}),
    /** ks_2samp's method: auto (exact up to 10,000 values, within ksMaxExactWork), exact or asymp. */
    ksMethod: z.enum(['auto', 'exact', 'asymp']).default(DEFAULT_DRIFT_SETTINGS.ksMethod),
    /** With ksMethod auto: most exact-recursion steps per KS p-value before asymp is used. */
    ksMaxExactWork: z.number().positive().default(DEFAULT_DRIFT_SETTINGS.ksMaxExactWork),
    /** Multiple-test correction across a window's p-values (all features, KS and chi-square). */
    correction: z.enum(['none', 'bonferroni', 'benjamini_hochberg']).default(DEFAULT_CORRECTION),
    datasetDriftShare: z.number().gt(0).max(1).default(0.5),
    /** Per-feature methods, thresholds and minimum sample size, over the defaults above. */
    features: z
      .record(
        z.string(),
        z.strictObject({
          methods: methodList(NUMERIC_METHODS).optional(),
          thresholds: thresholdsSchema.partial().optional(),
          minSamples: z.number().int().min(1).optional(),
        }),
      )
      .default({}),
    /** Deprecated (0.1): the same as thresholds.psi. */
    psiThreshold: z.number().positive().optional(),
  })
  .refine((d) => d.thresholds.psiWarning <= (d.psiThreshold ?? d.thresholds.psi), {
    message: 'psiWarning must not exceed psi',
    path: ['thresholds', 'psiWarning'],
  });

const smtpSchema = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(587),
  secure: z.boolean().default(false),
  user: z.string().optional(),
  passwordEnv: envName.default('SMTP_PASSWORD'),
  from: z.string().min(3),
  /** Fail instead of sending in clear text when the server offers no STARTTLS. */
  requireTLS: z.boolean().default(false),
  /** Pooled connections shared by all email receivers. */
  maxConnections: z.number().int().min(1).max(20).default(2),
  /** TLS (implicit or STARTTLS): a private CA, or no verification. */
  tls: clientTlsSchema.optional(),
});

const alertsSchema = z.strictObject({
  /** The rules file (receivers and rules), relative to this file; reloaded on SIGHUP and change. */
  rules: z.string().min(1),
  /** Internal topic holding alert state and pending notifications (default `<groupId>.alerts`). */
  topic: z.string().min(1).optional(),
  /** Notifications no receiver could take (default `<topic>.dlq`); `notifications replay` resends. */
  deadLetterTopic: z.string().min(1).optional(),
  /** How long the alert topic keeps records (compacted per key besides). */
  retention: durationSchema.prefault('14d'),
  /** A series with no window this long is gone: its alerts resolve and it is forgotten. */
  forgetAfter: durationSchema.prefault('7d'),
  /**
   * How long past its end (wall clock) a silence stays on the silences topic: after it the
   * daemon writes its tombstone, so the compacted topic does not grow forever.
   */
  silenceRetention: durationSchema.prefault('7d'),
  /** InfluxDB measurement for alert transitions (Grafana annotations). */
  measurement: z.string().min(1).default('driftwatch_alerts'),
  /** Link in every notification; {{model}}, {{model_version}}, {{from}}, {{to}} (ms) filled in. */
  dashboardUrl: z.string().optional(),
  /** Where the runbooks are (docs/runbooks/ published): `{{runbook_base}}` in rule annotations. */
  runbookBaseUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** This installation's name: CloudEvents `source`, email Message-ID domain. */
  source: z.string().min(1).default('driftwatch'),
  mailDomain: z.string().min(1).optional(),
  /**
   * A changed rules file is read only once it stayed the same this long, and rules it drops go
   * only after one more read this much later agrees (a file rewritten in place, in pieces).
   */
  reloadSettle: durationSchema.prefault('1s'),
  /** Delivery retries: full-jitter exponential backoff between these bounds. */
  retryInitialDelay: durationSchema.prefault('5s'),
  retryMaxDelay: durationSchema.prefault('1h'),
});

/**
 * Delayed labels (README "Model quality (delayed labels)"): ground truth that arrives later on
 * its own topic as `{id, label, timestamp}`, joined to the prediction with that `id`.
 */
const labelsSchema = z
  .strictObject({
    /** The topic the labels are produced to (the user's; read by group `<groupId>.labels`). */
    topic: z.string().min(1),
    /** How long after its event time a prediction waits for its label (and a label for its prediction). */
    horizon: durationSchema
      .refine((ms) => ms >= 60_000, 'expected at least 1m')
      .refine((ms) => ms <= 30 * 86_400_000, 'expected at most 30d')
      .prefault('2d'),
    /** Predictions (and, separately, early labels) waiting per join partition; past it the oldest go. */
    maxPending: z.number().int().min(1).max(50_000_000).default(1_000_000),
    /** Partitions of `<groupId>.labels-join` (default: the partials topic's); fixed once created. */
    partitions: z.number().int().min(1).max(10_000).optional(),
    /**
     * How long after a window's end alert rules read its delayed quality, once (default: the
     * horizon, when no label can change it any more).
     */
    settleAfter: durationSchema.optional(),
  })
  .refine((l) => l.settleAfter === undefined || l.settleAfter <= l.horizon, {
    message: 'expected at most labels.horizon (no label is joined after it)',
    path: ['settleAfter'],
  });

/** `labels.settleAfter`, defaulted: when a window's delayed quality reaches the alert rules. */
export const settleAfterOf = (labels: { horizon: number; settleAfter?: number | undefined }) =>
  labels.settleAfter ?? labels.horizon;

const httpSchema = z.strictObject({
  host: hostSchema.default('0.0.0.0'),
  /** 0 takes any free port (tests); the port in use is logged. */
  port: z.number().int().min(0).max(65535).default(9464),
});

export const configSchema = z.strictObject({
  kafka: kafkaSchema,
  influx: influxSchema,
  /** How messages become events (README "Input formats and field mapping"); default shape without. */
  input: inputSchema.prefault({}),
  /** The Schema Registry of `input.format: schema-registry` (README "Schema Registry input"). */
  schemaRegistry: schemaRegistrySchema.optional(),
  windows: windowsSchema.default({
    size: 300_000,
    additionalSizes: [],
    hopping: [],
    allowedLateness: 0,
    maxFutureSkew: 600_000,
    idleTimeout: 30_000,
  }),
  baselines: z.strictObject({
    dir: z.string().min(1),
    /** How often the directory is scanned for newly added baselines (0 = never). */
    reloadInterval: durationSchema.default(30_000),
    /**
     * An event whose model version has no baseline: `drop` (counted, each pair logged once —
     * a shared topic can carry models nobody watches), `reject` (dead-letter topic, with the
     * reason), `newest` (the model's newest baseline) or `{ version: "…" }` (that version's).
     */
    fallback: z
      .union([z.enum(['drop', 'reject', 'newest']), z.strictObject({ version: z.string().min(1) })])
      .default('drop'),
    /**
     * Larger files in the directory are refused unread (logged and counted), so a stray dump
     * cannot fill the memory. At most 512MB: a file is parsed as one string.
     */
    maxFileSize: byteSizeSchema
      .refine((n) => n > 0 && n <= MAX_BASELINE_FILE_SIZE, 'expected a size from 1B to 512MB')
      .default(DEFAULT_BASELINE_FILE_SIZE),
  }),
  drift: driftSchema.prefault({}),
  /**
   * Replicas in one consumer group share the work (see README "Running in a cluster").
   * `partitions`: partitions of the internal partials topic and of the alert log, i.e. how many
   * replicas can evaluate windows in parallel. Default: the input topic's partition count when
   * the internal topics are first created; fixed afterwards (models are routed by it).
   */
  scale: z
    .strictObject({
      partitions: z.number().int().min(1).max(10_000).optional(),
      /**
       * Format of the partials this replica writes: an older one only during a rolling upgrade
       * from a release that reads no newer format (README "Upgrading across a partials format").
       */
      partialsFormat: z
        .union([z.literal(1), z.literal(2), z.literal(3), z.literal(4), z.literal(5)])
        .default(5),
    })
    .prefault({}),
  /** Delayed labels joined by prediction id; off when absent. */
  labels: labelsSchema.optional(),
  smtp: smtpSchema.optional(),
  alerts: alertsSchema.optional(),
  http: httpSchema.default({ host: '0.0.0.0', port: 9464 }),
  log: z
    .strictObject({
      level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
    })
    .default({ level: 'info' }),
});

/** The config file as written by the user (after defaults), without secrets. */
export type FileConfig = z.infer<typeof configSchema>;

/** What the config names but does not hold: secrets from env and files, PEM files' contents. */
export interface Secrets {
  influxToken: string;
  smtpPassword?: string;
  /** The password of kafka.sasl (plain, scram-*). */
  kafkaPassword?: string;
  /** The basic-auth password of schemaRegistry.auth. */
  schemaRegistryPassword?: string;
  /** Contents of the `*File` keys of kafka.ssl, influx.tls, smtp.tls and schemaRegistry.tls. */
  tls?: {
    kafka?: PemMaterial;
    influx?: PemMaterial;
    smtp?: PemMaterial;
    schemaRegistry?: PemMaterial;
  };
}

/** The validated configuration the daemon runs with: the file plus secrets from env. */
export interface Config extends FileConfig {
  secrets: Secrets;
}
