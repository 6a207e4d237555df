import { z } from 'zod';
import { durationSchema } from './duration.js';
import { httpUrlSchema } from './network.js';
import { clientTlsSchema, envName } from './security-schema.js';

/** Where the registry password comes from when neither key is set. */
export const DEFAULT_SCHEMA_REGISTRY_PASSWORD_ENV = 'SCHEMA_REGISTRY_PASSWORD';

/** HTTP basic auth: the password from `passwordFile`, else the env variable `passwordEnv`. */
const authSchema = z
  .strictObject({
    username: z.string().min(1),
    /** Env variable holding the password (default SCHEMA_REGISTRY_PASSWORD). */
    passwordEnv: envName.optional(),
    /** File holding the password (a mounted secret); a trailing newline is dropped. */
    passwordFile: z.string().min(1).optional(),
  })
  .superRefine((auth, ctx) => {
    if (auth.passwordEnv !== undefined && auth.passwordFile !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['passwordFile'],
        message: 'expected passwordEnv or passwordFile, not both',
      });
    }
  });

/**
 * `schemaRegistry`: the Confluent-compatible Schema Registry that `input.format:
 * schema-registry` reads schemas from (README "Schema Registry input").
 */
export const schemaRegistrySchema = z.strictObject({
  /** Base URL of the Confluent API (Apicurio: …/apis/ccompat/v7). */
  url: httpUrlSchema,
  auth: authSchema.optional(),
  /** With an https:// url: a private CA, or no verification. */
  tls: clientTlsSchema.optional(),
  /** Schemas kept in memory, by id (least recently used dropped first). */
  cacheSize: z.number().int().min(1).max(100_000).default(1_000),
  /** One HTTP request's limit; a request over it counts as an outage and is retried. */
  requestTimeout: durationSchema
    .refine((ms) => ms >= 100 && ms <= 300_000, 'expected from 100ms to 5m')
    .default(10_000),
  /** How long start-up waits for an unreachable registry before exiting (2). */
  startTimeout: durationSchema
    .refine((ms) => ms >= 0 && ms <= 600_000, 'expected at most 10m')
    .default(30_000),
});

export type SchemaRegistryConfig = z.output<typeof schemaRegistrySchema>;
