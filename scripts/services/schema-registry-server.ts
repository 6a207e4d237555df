/**
 * A small Schema Registry speaking the Confluent REST API, for the test suite: the subset the
 * Confluent serializers and driftwatch use (register, look up by id, subject config), with
 * optional basic auth and TLS. Schemas persist in a JSON file, so a restart keeps every id
 * (an outage test stops and restarts it). Apicurio Registry 2.6 from Maven Central cannot be
 * run here (README "Schema Registry input": its dependencies are not all on Maven Central).
 *
 *   node --import tsx scripts/services/schema-registry-server.ts --port 8081 --data DIR
 *        [--user NAME --password-env VAR] [--cert FILE --key FILE]
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { parseArgs } from 'node:util';

interface Stored {
  id: number;
  subject: string;
  version: number;
  schema: string;
  schemaType: string;
  references: unknown[];
}

const { values: args } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    data: { type: 'string' },
    user: { type: 'string' },
    'password-env': { type: 'string' },
    cert: { type: 'string' },
    key: { type: 'string' },
  },
});
if (args.port === undefined || args.data === undefined) {
  process.stderr.write(
    'usage: schema-registry-server --port N --data DIR [--user U --password-env VAR] [--cert F --key F]\n',
  );
  process.exit(2);
}
const file = path.join(args.data, 'schemas.json');
const schemas: Stored[] = existsSync(file)
  ? (JSON.parse(readFileSync(file, 'utf8')) as Stored[])
  : [];
const subjectConfig = new Map<string, string>();
const expectedAuth =
  args.user === undefined
    ? undefined
    : `Basic ${Buffer.from(`${args.user}:${process.env[args['password-env'] ?? 'SCHEMA_REGISTRY_PASSWORD'] ?? ''}`).toString('base64')}`;

function save(): void {
  writeFileSync(`${file}.tmp`, JSON.stringify(schemas));
  renameSync(`${file}.tmp`, file);
}

type Reply = [number, unknown];

const notFound = (code: number, message: string): Reply => [404, { error_code: code, message }];

function register(
  subject: string,
  body: { schema?: unknown; schemaType?: unknown; references?: unknown },
): Reply {
  if (typeof body.schema !== 'string')
    return [422, { error_code: 42201, message: 'Invalid schema' }];
  const schemaType = typeof body.schemaType === 'string' ? body.schemaType : 'AVRO';
  const references = Array.isArray(body.references) ? body.references : [];
  const same = schemas.find((s) => s.schema === body.schema && s.schemaType === schemaType);
  const mine = schemas.filter((s) => s.subject === subject);
  if (same && mine.some((s) => s.id === same.id)) return [200, { id: same.id }];
  const id = same?.id ?? schemas.reduce((max, s) => Math.max(max, s.id), 0) + 1;
  schemas.push({
    id,
    subject,
    version: mine.length + 1,
    schema: body.schema,
    schemaType,
    references,
  });
  save();
  return [200, { id }];
}

function route(method: string, parts: string[], body: Record<string, unknown>): Reply {
  const [a, b, c, d] = parts;
  if (method === 'GET' && a === 'config' && b === undefined)
    return [200, { compatibilityLevel: 'BACKWARD' }];
  if (a === 'config' && b !== undefined) {
    if (method === 'PUT') {
      subjectConfig.set(
        b,
        typeof body.compatibility === 'string' ? body.compatibility : 'BACKWARD',
      );
      return [200, { compatibility: subjectConfig.get(b) }];
    }
    const level = subjectConfig.get(b);
    return level === undefined
      ? notFound(40408, `Subject '${b}' does not have subject-level compatibility configured`)
      : [200, { compatibilityLevel: level }];
  }
  if (method === 'GET' && a === 'schemas' && b === 'ids' && c !== undefined) {
    const found = schemas.find((s) => s.id === Number(c));
    if (!found) return notFound(40403, 'Schema not found');
    return [
      200,
      {
        schema: found.schema,
        ...(found.schemaType === 'AVRO' ? {} : { schemaType: found.schemaType }),
        ...(found.references.length > 0 ? { references: found.references } : {}),
      },
    ];
  }
  if (method === 'GET' && a === 'subjects' && b === undefined)
    return [200, [...new Set(schemas.map((s) => s.subject))]];
  if (a === 'subjects' && b !== undefined) {
    if (method === 'POST' && c === 'versions') return register(b, body);
    const mine = schemas.filter((s) => s.subject === b);
    if (method === 'GET' && c === 'versions' && d !== undefined) {
      const found = d === 'latest' ? mine.at(-1) : mine.find((s) => s.version === Number(d));
      if (!found) return notFound(40401, `Subject '${b}' not found.`);
      return [
        200,
        {
          subject: b,
          version: found.version,
          id: found.id,
          schema: found.schema,
          schemaType: found.schemaType,
        },
      ];
    }
  }
  return notFound(404, 'HTTP 404 Not Found');
}

function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    let reply: Reply;
    if (expectedAuth !== undefined && req.headers.authorization !== expectedAuth) {
      reply = [401, { error_code: 401, message: 'Unauthorized' }];
    } else {
      try {
        const text = Buffer.concat(chunks).toString('utf8');
        const body = (text === '' ? {} : JSON.parse(text)) as Record<string, unknown>;
        const parts = (req.url ?? '/')
          .split('?')[0]!
          .split('/')
          .filter(Boolean)
          .map(decodeURIComponent);
        reply = route(req.method ?? 'GET', parts, body);
      } catch (err) {
        reply = [500, { error_code: 50001, message: String(err) }];
      }
    }
    res.writeHead(reply[0], { 'content-type': 'application/vnd.schemaregistry.v1+json' });
    res.end(JSON.stringify(reply[1]));
  });
}

const server =
  args.cert !== undefined && args.key !== undefined
    ? https.createServer({ cert: readFileSync(args.cert), key: readFileSync(args.key) }, handle)
    : http.createServer(handle);
server.listen(Number(args.port), args.host, () => {
  process.stdout.write(
    `schema registry listening on ${args.host}:${args.port} (${schemas.length} schemas)\n`,
  );
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
