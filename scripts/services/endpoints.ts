/** Where the real services answer; what tests, the demo and the bench connect to. */
export interface ServiceEndpoints {
  kafkaBrokers: string[];
  influx: { url: string; token: string; org: string; bucket: string };
  smtp: { host: string; port: number };
  mailApiUrl: string;
}

/** Fixed credentials for the throwaway InfluxDB the tooling sets up. */
export const INFLUX_SETUP = {
  username: 'driftwatch',
  password: 'driftwatch-password',
  org: 'driftwatch',
  bucket: 'drift',
  token: 'driftwatch-dev-token',
} as const;
