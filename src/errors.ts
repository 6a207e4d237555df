/** Stable error codes: users and scripts match on these, so never rename one. */
export type ErrorCode =
  | 'CONFIG_NOT_FOUND'
  | 'CONFIG_INVALID'
  | 'CONFIG_SECRET_MISSING'
  | 'BASELINE_INVALID'
  | 'BASELINE_DUPLICATE'
  | 'BASELINE_REFUSED'
  | 'BASELINE_CSV_INVALID'
  | 'BASELINE_INPUT_INVALID'
  | 'KAFKA_TOPIC_MISSING'
  | 'KAFKA_TOPIC_UNSUPPORTED'
  | 'KAFKA_CONNECT_FAILED'
  | 'KAFKA_AUTH_FAILED'
  | 'KAFKA_TLS_FAILED'
  | 'KAFKA_SECURITY_MISMATCH'
  | 'INFLUX_TLS_FAILED'
  | 'SCHEMA_REGISTRY_UNAVAILABLE'
  | 'SCHEMA_REGISTRY_AUTH_FAILED'
  | 'SCHEMA_REGISTRY_TLS_FAILED'
  | 'HTTP_LISTEN_FAILED'
  | 'RULES_INVALID'
  | 'ALERTS_CONFIG_INVALID'
  | 'CLI_USAGE'
  | 'WINDOW_MERGE_MISMATCH'
  | 'PARTIAL_BASELINE_UNKNOWN'
  | 'PARTIAL_UNREADABLE'
  | 'INTERNAL_TOPIC_MISMATCH'
  | 'SILENCE_INVALID'
  | 'SILENCE_NOT_FOUND'
  | 'API_TOKEN_TOO_SHORT';

/** An error a user can act on: a stable code plus a message naming the offending input. */
export class DriftwatchError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DriftwatchError';
    this.code = code;
  }
}
