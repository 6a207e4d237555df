import type { z } from 'zod';

/** One line per problem: `kafka.brokers[0]: expected string, received number`. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      let keyPath = '';
      for (const key of issue.path) {
        keyPath += typeof key === 'number' ? `[${key}]` : keyPath ? `.${String(key)}` : String(key);
      }
      return `  - ${keyPath || '(root)'}: ${issue.message}`;
    })
    .join('\n');
}
