import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isMap, parseDocument, YAMLSeq, type Document } from 'yaml';
import { DriftwatchError } from '../errors.js';
import { checkRulesText, formatProblems, unreadableRulesFile } from './rules-file.js';

export type RetireOutcome = 'retired' | 'already retired' | 'unretired' | 'not retired';

/**
 * `driftwatch model retire|unretire`: edits `versions.retired` of a rules file in place, its
 * comments and layout kept, and checks the result before it replaces the file (written beside
 * it, then renamed: a daemon's reload never reads half a file). Daemons following the file
 * apply it at their next reload; a backtest reads the same file, so it agrees.
 */
export function setVersionRetired(
  file: string,
  model: string,
  version: string,
  retired: boolean,
  comment?: string,
): RetireOutcome {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw unreadableRulesFile(file, err);
  }
  const before = checkRulesText(text);
  if (!before.ok) {
    throw new DriftwatchError(
      'RULES_INVALID',
      `${file} is invalid; fix it before retiring versions:\n${formatProblems(file, before.problems)}`,
    );
  }
  const doc = parseDocument(text);
  const list = retiredList(doc);
  const at = list.items.findIndex((item) => {
    if (!isMap(item)) return false;
    return String(item.get('model')) === model && String(item.get('version')) === version;
  });
  if (retired && at >= 0) return 'already retired';
  if (!retired && at < 0) return 'not retired';
  if (retired) list.add(doc.createNode({ model, version, ...(comment ? { comment } : {}) }));
  else list.delete(at);
  const next = doc.toString();
  const after = checkRulesText(next);
  if (!after.ok) {
    throw new DriftwatchError(
      'RULES_INVALID',
      `${file} would be invalid after the change (nothing written):\n${formatProblems(file, after.problems)}`,
    );
  }
  const temp = `${file}.driftwatch-${process.pid}.tmp`;
  writeFileSync(temp, next);
  renameSync(temp, file);
  return retired ? 'retired' : 'unretired';
}

/** The document's `versions.retired` sequence, created when absent. */
function retiredList(doc: Document): YAMLSeq {
  const existing = doc.getIn(['versions', 'retired']);
  if (existing instanceof YAMLSeq) return existing;
  const seq = new YAMLSeq();
  doc.setIn(['versions', 'retired'], seq);
  return seq;
}
