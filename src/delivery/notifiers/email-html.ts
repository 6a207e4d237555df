/**
 * The HTML part of an email, rendered from its Doc: every string escaped, only http(s) URLs
 * linked.
 */
import type { Cell, Doc, Row } from './email-doc.js';
import { multiLine, oneLine } from './email-format.js';

const TH = 'style="text-align:left;padding:2px 12px 2px 0;vertical-align:top;color:#555"';
const TD = 'style="padding:2px 0;vertical-align:top"';
const TABLE = 'style="border-collapse:collapse;font-family:sans-serif;font-size:14px"';

export function renderHtml(doc: Doc): string {
  const rowHtml = ([label, cell]: Row) =>
    `<tr><th ${TH}>${esc(label)}</th><td ${TD}>${cellHtml(cell)}</td></tr>`;
  const parts: string[] = [
    '<!DOCTYPE html>',
    '<html><head><meta charset="utf-8"></head>',
    '<body style="font-family:sans-serif;font-size:14px">',
    `<p style="font-size:16px"><strong>${esc(doc.headline)}</strong></p>`,
    `<p style="color:#555">${esc(doc.subline)}</p>`,
  ];
  for (const s of doc.sections) {
    parts.push(`<h3 style="margin:16px 0 4px">${esc(s.title)}</h3>`);
    if (s.lead !== undefined) parts.push(`<p>${multiLine(s.lead).map(esc).join('<br>')}</p>`);
    parts.push(`<table ${TABLE}>`);
    parts.push(...s.rows.map(rowHtml));
    for (const [label, note] of s.notes ?? []) {
      parts.push(
        `<tr><th ${TH}>${esc(label)}</th><td ${TD}>${multiLine(note).map(esc).join('<br>')}</td></tr>`,
      );
    }
    parts.push('</table>');
  }
  if (doc.table) {
    const t = doc.table;
    parts.push(`<h3 style="margin:16px 0 4px">${esc(t.title)}</h3>`, `<table ${TABLE}>`);
    parts.push(`<tr>${t.columns.map((c) => `<th ${TH}>${esc(c)}</th>`).join('')}</tr>`);
    for (const r of t.rows) {
      parts.push(`<tr>${r.map((c) => `<td ${TD}>${esc(c)}</td>`).join('')}</tr>`);
    }
    parts.push('</table>');
  }
  if (doc.links.length > 0) {
    parts.push('<h3 style="margin:16px 0 4px">Links</h3>', `<table ${TABLE}>`);
    parts.push(...doc.links.map(rowHtml), '</table>');
  }
  parts.push(
    '<hr>',
    `<table style="border-collapse:collapse;font-size:12px;color:#777">`,
    ...doc.footer.map(rowHtml),
    '</table>',
    '</body></html>',
  );
  return `${parts.join('\n')}\n`;
}

function cellHtml(cell: Cell): string {
  if ('text' in cell) return esc(cell.text);
  return isHttpUrl(cell.link)
    ? `<a href="${esc(cell.link)}">${esc(cell.link)}</a>`
    : esc(oneLine(cell.link));
}

function esc(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function isHttpUrl(s: string): boolean {
  if (/[\s<>"'`]/.test(s)) return false;
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}
