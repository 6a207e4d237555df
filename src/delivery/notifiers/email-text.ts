/** The plain-text part of an email, rendered from its Doc. */
import type { Doc, Row } from './email-doc.js';
import { multiLine, oneLine } from './email-format.js';

export function renderText(doc: Doc): string {
  const out: string[] = [oneLine(doc.headline), oneLine(doc.subline), ''];
  const width = 15;
  const row = ([label, cell]: Row) =>
    `  ${`${label}:`.padEnd(width)}${oneLine('text' in cell ? cell.text : cell.link)}`;
  for (const s of doc.sections) {
    out.push(oneLine(s.title));
    if (s.lead !== undefined) out.push(...multiLine(s.lead).map((l) => `  ${l}`));
    out.push(...s.rows.map(row));
    for (const [label, note] of s.notes ?? []) {
      const lines = multiLine(note);
      out.push(`  ${`${label}:`.padEnd(width)}${lines[0] ?? ''}`);
      for (const l of lines.slice(1)) out.push(`  ${''.padEnd(width)}${l}`);
    }
    out.push('');
  }
  if (doc.table) {
    const t = doc.table;
    out.push(oneLine(t.title));
    const cells = [t.columns, ...t.rows].map((r) => r.map(oneLine));
    const widths = t.columns.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
    for (const r of cells) {
      out.push(`  ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ')}`.trimEnd());
    }
    out.push('');
  }
  if (doc.links.length > 0) {
    out.push('Links');
    out.push(...doc.links.map(row));
    out.push('');
  }
  out.push('--');
  out.push(...doc.footer.map(row));
  return `${out.join('\n')}\n`;
}
