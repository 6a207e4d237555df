import type { BaselineFileV1 } from './file-format-v1.js';
import type { BaselineFile, FeatureEntry } from './file-format.js';

type AnyFeature = FeatureEntry | BaselineFileV1['features'][string];

const pct = (part: number, whole: number) =>
  whole === 0 ? '0%' : `${((100 * part) / whole).toFixed(part === 0 || part === whole ? 0 : 2)}%`;
const num = (x: number) => (Number.isInteger(x) ? String(x) : x.toPrecision(6));

/** A readable summary of a baseline file: identity, provenance, and each feature. */
export function describeBaseline(parsed: BaselineFile, hash: string, file: string): string {
  const lines: string[] = [];
  const v2 = 'format_version' in parsed;
  lines.push(`baseline ${hash}  ${file}`);
  lines.push(`  model ${parsed.model} version ${parsed.model_version}, built ${parsed.created_at}`);
  if (v2) {
    const s = parsed.source;
    lines.push(
      `  from ${s.file} (${s.format}, ${s.rows} rows${s.sha256 ? `, sha256 ${s.sha256}` : ''}) by driftwatch ${parsed.tool.version}`,
    );
    const o = parsed.options;
    lines.push(
      `  options: bins ${o.bins}, top_k ${o.top_k}, sample_size ${o.sample_size}${o.categorical.length ? `, categorical ${o.categorical.join(',')}` : ''}${parsed.prediction ? `, prediction ${parsed.prediction}` : ''}`,
    );
  } else {
    lines.push(`  format 1 (${parsed.source.file}, ${parsed.source.rows} rows)`);
  }
  const features = Object.entries(parsed.features as Record<string, AnyFeature>);
  for (const [name, f] of features) {
    const total = f.count + f.missing;
    const role = v2 && parsed.prediction === name ? ' (prediction)' : '';
    lines.push('');
    lines.push(
      `${name}${role}: ${f.kind}, ${f.count} values, ${pct(f.missing, total)} missing (${f.missing})`,
    );
    if (f.kind === 'numeric') {
      if ('summary' in f) {
        const s = f.summary;
        lines.push(
          `  mean ${num(s.mean)}  std ${num(s.std)}  min ${num(s.min)}  max ${num(s.max)}`,
        );
        lines.push(
          `  quantiles ${f.quantiles.map((q) => `${q.q * 100}%=${num(q.value)}`).join('  ')}`,
        );
        lines.push(`  reference sample: ${f.sample.size} values (${f.sample.method})`);
      }
      const edges = ['-inf', ...f.cuts.map(num), '+inf'];
      lines.push('  bins:');
      f.proportions.forEach((p: number, i: number) => {
        const open = i === 0 ? '(' : '[';
        lines.push(`    ${open}${edges[i]}, ${edges[i + 1]})  ${(100 * p).toFixed(2)}%`);
      });
    } else {
      const counts: [string, number][] =
        'counts' in f
          ? Object.entries(f.counts)
          : Object.entries(f.proportions).map(([k, p]): [string, number] => [
              k,
              Math.round(p * f.count),
            ]);
      const top = [...counts].sort((a, b) => b[1] - a[1]).slice(0, 10);
      const distinct = 'distinct' in f ? f.distinct : counts.length;
      lines.push(`  ${distinct} categories; top ${top.length}:`);
      for (const [k, c] of top) lines.push(`    ${JSON.stringify(k)}  ${c}  ${pct(c, f.count)}`);
      if ('other' in f && f.other > 0) {
        lines.push(
          `    (other ${distinct - Object.keys(f.counts).length} categories)  ${f.other}  ${pct(f.other, f.count)}`,
        );
      }
    }
  }
  return `${lines.join('\n')}\n`;
}
